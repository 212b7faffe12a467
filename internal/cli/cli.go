// Package cli implements the parcours command and its subcommands. Each subcommand has its
// own flag set; every setting also reads its PARCOURS_* environment variable.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/app"
	"parcours/internal/config"
	"parcours/internal/crypto"
	"parcours/internal/demo"
	"parcours/internal/fault"
	"parcours/internal/refdata"
)

// Env is what a command sees of the outside world, so tests can run commands in-process.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, when set, is called with the listen address once serve accepts connections.
	Ready func(addr string)
	// Context ends the command (serve stops gracefully); defaults to SIGINT/SIGTERM.
	Context context.Context
}

type command struct {
	name, summary string
	run           func(e *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "démarre la plateforme (serveur web, tâches périodiques, envoi des courriels)", serve},
		{"migrate", "applique les migrations de la base de données", migrate},
		{"demo", "charge le jeu de données de démonstration (sans effet s'il est déjà chargé)", loadDemo},
		{"user", "gère les comptes : « user create » crée un compte (le premier administrateur)", user},
		{"import", "importe des données : « import refdata » charge les référentiels (communes, ROME…), « import structures FICHIER.csv » le registre des SIAE", importCmd},
		{"audit", "journal d'audit : « audit verify » vérifie son intégrité, « audit key » affiche la clé publique de vérification", auditCmd},
		{"keys", "trousseau de clés : « keys rotate » renouvelle la clé maîtresse, « keys retire » retire les anciennes", keysCmd},
		{"purge", "exécute une fois les tâches de conservation (comptes inactifs, sessions, courriels, données de santé échues)", purge},
	}
}

// errUsage means the command line was wrong; the usage was printed.
var errUsage = errors.New("usage")

// Main runs the command line and returns the exit status.
func Main(e *Env) int {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if len(e.Args) < 2 || e.Args[1] == "help" || e.Args[1] == "-h" || e.Args[1] == "--help" || e.Args[1] == "-help" {
		usage(e.Stdout)
		if len(e.Args) < 2 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == e.Args[1] {
			err := c.run(e, e.Args[2:])
			var status exitStatus
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			case errors.As(err, &status):
				fmt.Fprintf(e.Stderr, "parcours %s : %v\n", c.name, err)
				return status.code
			default:
				fmt.Fprintf(e.Stderr, "parcours %s : %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(e.Stderr, "parcours : commande inconnue %q\n\n", e.Args[1])
	usage(e.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Parcours — plateforme de l'inclusion et accompagnement adapté des demandeurs d'emploi en situation de handicap.")
	fmt.Fprintln(w, "\nUsage : parcours COMMANDE [options]\n\nCommandes :")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n« parcours COMMANDE --help » détaille les options. Variables d'environnement reconnues :")
	names := config.Names()
	sort.Strings(names)
	fmt.Fprintln(w, "  "+strings.Join(names, ", "))
}

// flags returns a flag set with every configuration flag, and a loader for the Config.
func flags(e *Env, name, summary string) (*flag.FlagSet, *config.Loader) {
	fs := flag.NewFlagSet("parcours "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "Usage : parcours %s [options]\n\n%s\n\nOptions (chacune lit aussi la variable indiquée) :\n", name, summary)
		fs.PrintDefaults()
	}
	return fs, config.Flags(fs, e.Getenv)
}

func parse(fs *flag.FlagSet, l *config.Loader, args []string) (config.Config, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, err
		}
		return config.Config{}, errUsage
	}
	return l.Load()
}

func logger(c config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func (e *Env) context() (context.Context, context.CancelFunc) {
	if e.Context != nil {
		return context.WithCancel(e.Context)
	}
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func open(e *Env, c config.Config, migrate bool) (*app.App, context.Context, context.CancelFunc, error) {
	ctx, cancel := e.context()
	a, err := app.Open(ctx, c, logger(c, e.Stderr), app.Options{Migrate: migrate})
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return a, ctx, cancel, nil
}

func serve(e *Env, args []string) error {
	fs, l := flags(e, "serve", "Démarre la plateforme. Avec --demo, charge les données de démonstration dans une base vide et affiche les comptes de démonstration.")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	a, ctx, cancel, err := open(e, c, true)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	// Before anything long: a checkpoint directory that cannot be written stops serve at once.
	if c.Jobs {
		if err := a.OpenSequencer(); err != nil {
			return err
		}
	}
	rep, imported, err := a.ImportRefdata(ctx)
	if err != nil {
		return err
	}
	if imported {
		missing := make([]string, len(rep.WithoutCoords))
		for i, c := range rep.WithoutCoords {
			missing[i] = c.Code
		}
		a.Log.Info("reference data imported", "version", rep.Version, "communes_without_coordinates", strings.Join(missing, " "),
			"duration", rep.Duration.String())
	}
	if c.Demo {
		res, err := demo.Load(ctx, demo.Deps{DB: a.DB, Clock: a.Clock, Envelope: a.Envelope, Accounts: a.Accounts, Orgs: a.Orgs, Places: a.Places,
			JobSeekers: a.JobSeekers, Applications: a.Applications, Eligibility: a.Eligibility, Approvals: a.Approvals, Support: a.Support})
		if err != nil {
			return fmt.Errorf("données de démonstration : %w", err)
		}
		printDemo(e.Stdout, c, res)
	}
	return a.Serve(ctx, e.Ready)
}

func printDemo(w io.Writer, c config.Config, res demo.Result) {
	fmt.Fprintf(w, "\nParcours (démonstration) : %s\n", c.BaseURL)
	fmt.Fprintf(w, "Comptes de démonstration (mot de passe commun : %s) :\n", demo.Password)
	for _, a := range res.Accounts {
		fmt.Fprintf(w, "  %-34s %s\n", a.Email, a.Role)
	}
	fmt.Fprintf(w, "Registre de démonstration : %d structures, %d fiches de poste ; recherche sans compte sur %s/recherche.\n",
		res.Registry.Structures, res.Registry.JobDescriptions, c.BaseURL)
	fmt.Fprintf(w, "Le compte administrateur demande un code de double authentification : il est affiché sur %s/demo/courriels.\n", c.BaseURL)
	fmt.Fprintf(w, "Les courriels (confirmation, mot de passe oublié…) ne sont pas envoyés : ils s'affichent sur %s/demo/courriels.\n\n", c.BaseURL)
}

func migrate(e *Env, args []string) error {
	fs, l := flags(e, "migrate", "Applique les migrations en attente et affiche la version du schéma.")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	ctx, cancel := e.context()
	defer cancel()
	a, err := app.Open(ctx, c, logger(c, e.Stderr), app.Options{Migrate: true})
	if err != nil {
		return err
	}
	defer a.Close()
	current, latest, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Schéma à jour : version %d sur %d (%s).\n", current, latest, a.DB.Where())
	return nil
}

func loadDemo(e *Env, args []string) error {
	fs, l := flags(e, "demo", "Charge le jeu de données de démonstration ; sans effet s'il est déjà chargé.")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	c.Demo = true
	a, ctx, cancel, err := open(e, c, true)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	if _, _, err := a.ImportRefdata(ctx); err != nil {
		return err
	}
	res, err := demo.Load(ctx, demo.Deps{DB: a.DB, Clock: a.Clock, Envelope: a.Envelope, Accounts: a.Accounts, Orgs: a.Orgs, Places: a.Places,
		JobSeekers: a.JobSeekers, Applications: a.Applications, Eligibility: a.Eligibility, Approvals: a.Approvals, Support: a.Support})
	if err != nil {
		return err
	}
	printDemo(e.Stdout, c, res)
	return nil
}

func user(e *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(e.Stderr, "Usage : parcours user create --email ADRESSE --first-name PRÉNOM --last-name NOM [--kind staff|professional|job_seeker]")
		fmt.Fprintln(e.Stderr, "Le mot de passe est lu sur l'entrée standard (ou dans PARCOURS_USER_PASSWORD).")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	fs, l := flags(e, "user create", "Crée un compte dont l'adresse est considérée comme confirmée, par défaut un administrateur de la plateforme. Le mot de passe est lu sur l'entrée standard, ou dans PARCOURS_USER_PASSWORD.")
	email := fs.String("email", "", "adresse e-mail du compte")
	first := fs.String("first-name", "", "prénom")
	last := fs.String("last-name", "", "nom")
	kind := fs.String("kind", "staff", "type de compte : staff, professional ou job_seeker")
	c, err := parse(fs, l, args[1:])
	if err != nil {
		return err
	}
	password := e.Getenv("PARCOURS_USER_PASSWORD")
	if password == "" {
		fmt.Fprint(e.Stderr, "Mot de passe : ")
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	a, ctx, cancel, err := open(e, c, true)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	u, err := a.Accounts.CreateVerified(ctx, account.SignUp{Kind: access.UserKind(*kind), Email: *email, Password: password, FirstName: *first, LastName: *last})
	if fields := fault.FieldsOf(err); fields != nil {
		for k, v := range fields {
			fmt.Fprintf(e.Stderr, "  %s : %s\n", k, v)
		}
		return errors.New("compte non créé")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Compte %s créé : %s (%s).\n", u.ID, u.Email, u.KindLabel())
	if u.Kind == access.Staff {
		fmt.Fprintln(e.Stdout, "La double authentification sera configurée à la première connexion.")
	}
	return nil
}

func importCmd(e *Env, args []string) error {
	if len(args) > 0 && args[0] == "structures" {
		return importStructures(e, args[1:])
	}
	if len(args) == 0 || args[0] != "refdata" {
		fmt.Fprintln(e.Stderr, "Usage : parcours import refdata [options]\n        parcours import structures FICHIER.csv [--dry-run] [options]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	fs, l := flags(e, "import refdata", "Charge dans la base les référentiels embarqués (régions, départements, communes, codes ROME, appellations). Sans effet s'ils sont déjà à jour ; --force les recharge.")
	force := fs.Bool("force", false, "recharger même si la version est déjà chargée")
	c, err := parse(fs, l, args[1:])
	if err != nil {
		return err
	}
	a, ctx, cancel, err := open(e, c, true)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	var rep interface{ String() string }
	if *force {
		r, err := refdata.Import(ctx, a.DB, a.Places, a.Clock.Now())
		if err != nil {
			return err
		}
		rep = r
	} else {
		r, imported, err := a.ImportRefdata(ctx)
		if err != nil {
			return err
		}
		if !imported {
			fmt.Fprintln(e.Stdout, "Référentiels déjà à jour.")
			return nil
		}
		rep = r
	}
	fmt.Fprintln(e.Stdout, rep.String())
	return nil
}

func keysCmd(e *Env, args []string) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "retire") {
		fmt.Fprintln(e.Stderr, "Usage : parcours keys rotate|retire [options]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	sub := args[0]
	summary := "Ajoute une nouvelle clé maîtresse, la rend principale et rechiffre toutes les clés de données, par lots, sans interrompre le service."
	if sub == "retire" {
		summary = "Retire du trousseau les clés maîtresses qui ne chiffrent plus aucune clé de données."
	}
	fs, l := flags(e, "keys "+sub, summary)
	c, err := parse(fs, l, args[1:])
	if err != nil {
		return err
	}
	if c.KeyringEnv != "" {
		return errors.New("le trousseau vient de PARCOURS_KEYRING : faites la rotation dans votre coffre de secrets, puis relancez avec le nouveau trousseau")
	}
	a, ctx, cancel, err := open(e, c, false)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	start := time.Now()
	if sub == "retire" {
		rep, err := crypto.Retire(ctx, a.DB, c.KeyFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%+v\n", rep)
		return nil
	}
	rep, err := crypto.Rotate(ctx, a.DB, c.KeyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Nouvelle clé maîtresse n°%d : %d clés de données rechiffrées, %d ignorées, %d restantes, en %s.\n",
		rep.NewVersion, rep.Rewrapped, rep.Skipped, rep.Remaining, time.Since(start).Round(time.Millisecond))
	return nil
}

func purge(e *Env, args []string) error {
	fs, l := flags(e, "purge", "Exécute une fois les tâches de conservation : comptes inactifs (avertissement à 12 mois, suppression à 13), sessions expirées, courriels envoyés anciens, données de santé de l'accompagnement adapté 6 mois après la fin de la RQTH ou la radiation, documents d'accompagnement dont la durée de conservation est échue.")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	a, ctx, cancel, err := open(e, c, false)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	runner, err := a.NewRunner()
	if err != nil {
		return err
	}
	for _, name := range []string{"account.inactivity", "account.sessions_purge", "notify.purge", "support.retention", "support.documents_retention"} {
		res, err := runner.RunNow(ctx, name)
		if err != nil {
			return fmt.Errorf("%s : %w", name, err)
		}
		fmt.Fprintf(e.Stdout, "%s : %v\n", name, map[string]int(res))
	}
	return nil
}
