package cli

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/refdata"
)

// exitStatus is an error that ends the command with its own exit status; Main prints it.
type exitStatus struct {
	code int
	msg  string
}

func (e exitStatus) Error() string { return e.msg }

// Exit statuses of "import structures", documented in its --help.
const (
	exitRejectedLines = 3
	// maxListedRejections bounds the lines listed on stdout; the count of the others follows.
	maxListedRejections = 100
)

// commandLineActor is who "import structures" acts as: the offer service lets only staff who
// passed MFA change the registry, and whoever runs the binary on the server already holds
// the database and the keys. It has no account (UserID is uuid.Nil), so the audit entries of
// each structure show no actor, like the platform's own jobs; the "offer.registry_imported"
// entry written at the end says the import came from the command line.
func commandLineActor() access.Actor { return access.Actor{Kind: access.Staff, MFA: true} }

const importStructuresHelp = `Importe le registre des structures (SIAE et GEIQ) depuis un fichier CSV en UTF-8 (« - » : l'entrée standard).
Colonnes (première ligne ; casse et accents indifférents, dans n'importe quel ordre ; séparateur « ; » ou « , ») :
  obligatoires : siret, type (EI, AI, ACI, ETTI, EITI, GEIQ), raison_sociale, code_insee
  facultatives : enseigne, adresse, complement_adresse, code_postal, email, telephone, site_web,
                 numero_convention, debut_convention, fin_convention (JJ/MM/AAAA ou AAAA-MM-JJ),
                 siret_parent (l'antenne d'une structure du même type)
Détails : internal/offer/registrycsv/FORMAT.md.

Une structure est reconnue par son SIRET et son type : créée si elle manque, mise à jour sinon
(réimporter le même fichier ne crée rien). Adresse et contacts ne remplissent que les champs
laissés vides par l'employeur. Les lignes refusées sont listées avec leur numéro et la raison ;
les autres sont enregistrées, par lots de 500 lignes, chacun dans une transaction.
Les référentiels (communes) sont chargés d'abord s'il le faut.

Code de sortie : 0 toutes les lignes sont importées ; 1 fichier refusé (encodage, colonnes
manquantes…) ou erreur, rien n'est écrit par le lot en cours ; 2 ligne de commande incorrecte ;
3 des lignes sont rejetées, les autres sont importées (avec --dry-run : seraient rejetées).`

// importStructures runs "parcours import structures FICHIER.csv [--dry-run]".
func importStructures(e *Env, args []string) error {
	fs, l := flags(e, "import structures FICHIER.csv", importStructuresHelp)
	dryRun := fs.Bool("dry-run", false, "vérifier le fichier (format, SIRET, communes, conventions) sans rien écrire ni ouvrir la base")
	// Accept the options before or after the file name.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return errUsage
	}
	c, err := l.Load()
	if err != nil {
		return err
	}

	// The file is read before the database is opened: a wrong file changes nothing.
	parsed, digest, err := readRegistryFile(e, files[0])
	if err != nil {
		return err
	}
	if *dryRun {
		places, err := refdata.Load()
		if err != nil {
			return err
		}
		parsed.CheckCommunes(places)
		return finishImport(e, registrycsv.Check(parsed), nil)
	}

	a, ctx, cancel, err := open(e, c, true)
	if err != nil {
		return err
	}
	defer cancel()
	defer a.Close()
	if _, _, err := a.ImportRefdata(ctx); err != nil {
		return fmt.Errorf("référentiels : %w", err)
	}
	parsed.CheckCommunes(a.Places)
	bar := newProgressBar(e.Stderr)
	rep, importErr := registrycsv.Import(ctx, a.Offer, commandLineActor(), parsed, bar.update)
	bar.end()
	outcome := audit.OutcomeOK
	if importErr != nil {
		outcome = audit.OutcomeFailed
	}
	// One entry for the whole import, written even when it stopped half-way, since the batches
	// before the error stay written.
	ev := audit.Event{OccurredAt: a.Clock.Now(), Action: "offer.registry_imported", ObjectType: "registry_file", ObjectRef: digest,
		Purpose: "command_line", Outcome: outcome, Details: map[string]string{
			"source": "cli", "lines": strconv.Itoa(rep.Lines), "created": strconv.Itoa(rep.Created),
			"updated": strconv.Itoa(rep.Updated), "unchanged": strconv.Itoa(rep.Unchanged), "rejected": strconv.Itoa(len(rep.Rejected)),
		}}
	// Written also after an interruption (Ctrl-C cancels ctx), within 10 seconds.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.DB.WithTx(actx, func(tx *sql.Tx) error { return audit.Record(actx, tx, ev) }); err != nil {
		return errors.Join(importErr, fmt.Errorf("journal d'audit : %w", err))
	}
	return finishImport(e, rep, importErr)
}

// readRegistryFile parses the file ("-" is standard input) and returns its SHA-256, which
// names the file in the audit trail without its content.
func readRegistryFile(e *Env, path string) (registrycsv.Parsed, string, error) {
	var r io.Reader = e.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return registrycsv.Parsed{}, "", fmt.Errorf("ouverture du fichier : %w", err)
		}
		defer f.Close()
		r = f
	}
	h := sha256.New()
	parsed, err := registrycsv.Parse(io.TeeReader(r, h))
	if err != nil {
		return registrycsv.Parsed{}, "", err
	}
	return parsed, hex.EncodeToString(h.Sum(nil)), nil
}

// finishImport prints the report and the rejected lines on stdout, and picks the exit status.
func finishImport(e *Env, rep registrycsv.Report, importErr error) error {
	fmt.Fprintln(e.Stdout, rep.String())
	if n := len(rep.Rejected); n > 0 {
		fmt.Fprintln(e.Stdout, "\nLignes rejetées :")
		for i, r := range rep.Rejected {
			if i == maxListedRejections {
				fmt.Fprintf(e.Stdout, "… et %d autre(s) ligne(s) rejetée(s) : corrigez celles-ci et relancez l'import, qui ne recrée pas ce qui existe déjà.\n", n-i)
				break
			}
			fmt.Fprintf(e.Stdout, "ligne %d : %s\n", r.Line, r.Reason)
		}
	}
	switch {
	case importErr != nil:
		return importErr
	case len(rep.Rejected) > 0 && rep.DryRun:
		return exitStatus{code: exitRejectedLines, msg: fmt.Sprintf("%d ligne(s) seraient rejetées", len(rep.Rejected))}
	case len(rep.Rejected) > 0:
		return exitStatus{code: exitRejectedLines, msg: fmt.Sprintf("%d ligne(s) rejetée(s) ; les autres sont importées", len(rep.Rejected))}
	}
	return nil
}

// progressBar shows an import's progress on stderr: one line redrawn in place on a terminal,
// otherwise (a log file, a pipe) a line every 10 %.
type progressBar struct {
	w     io.Writer
	tty   bool
	shown int // last percentage drawn (terminal) or tenth printed (otherwise); -1 before any
	start time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	p := &progressBar{w: w, shown: -1, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

const barWidth = 30

func (p *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	pct := done * 100 / total
	if !p.tty {
		if tenth := pct / 10; tenth > p.shown {
			p.shown = tenth
			if tenth > 0 {
				fmt.Fprintf(p.w, "import : %d %% (%d / %d lignes)\n", pct, done, total)
			}
		}
		return
	}
	if pct == p.shown {
		return
	}
	p.shown, p.drawn = pct, true
	full := done * barWidth / total
	fmt.Fprintf(p.w, "\rimport : [%s%s] %3d %% (%d / %d lignes, %s)", strings.Repeat("=", full), strings.Repeat(" ", barWidth-full),
		pct, done, total, time.Since(p.start).Round(time.Second))
}

// end leaves the terminal's cursor on a fresh line.
func (p *progressBar) end() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}
