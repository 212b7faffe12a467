package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/config"
	"parcours/internal/crypto"
	"parcours/internal/database"
)

func auditCmd(e *Env, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "key") {
		fmt.Fprintln(e.Stderr, "Usage : parcours audit verify [options]\n        parcours audit key [options]")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return errUsage
	}
	if args[0] == "key" {
		return auditKey(e, args[1:])
	}
	return auditVerify(e, args[1:])
}

func auditKey(e *Env, args []string) error {
	fs, l := flags(e, "audit key", "Affiche la clé publique de vérification du journal d'audit, à remettre au DPO et aux auditeurs : avec elle seule, « parcours audit verify --verifier-key CLÉ » vérifie une copie de la base et le journal des points de contrôle publié, sans le trousseau.")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	kr, err := loadKeyring(c)
	if err != nil {
		return err
	}
	vkey, err := kr.AuditVerifierKey(audit.Origin)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, vkey)
	return nil
}

// loadKeyring reads the keyring without ever creating one: a command that only reads has no
// business making keys.
func loadKeyring(c config.Config) (*crypto.Keyring, error) {
	if c.KeyringEnv != "" {
		kr, err := crypto.ParseKeyring([]byte(c.KeyringEnv))
		if err != nil {
			return nil, fmt.Errorf("PARCOURS_KEYRING : %w", err)
		}
		return kr, nil
	}
	return crypto.LoadKeyring(c.KeyFile)
}

func auditVerify(e *Env, args []string) error {
	fs, l := flags(e, "audit verify", "Vérifie tout le journal d'audit sans rien y écrire : chaque entrée, l'arbre de Merkle, les points de contrôle signés de la base, "+
		"et chaque point de contrôle publié hors de la base (fin du journal supprimée, historique réécrit), les entrées antidatées et celles restées non scellées. "+
		"Fonctionne aussi sur une copie de la base (fichier SQLite, PostgreSQL restauré depuis pg_dump) avec la seule clé publique (« parcours audit key »). "+
		"Code de sortie 1 si une anomalie est détectée.")
	logPath := fs.String("checkpoint-log", "", "journal des points de contrôle publié à vérifier (défaut : "+audit.LogFile+" dans PARCOURS_AUDIT_CHECKPOINT_DIR)")
	vkey := fs.String("verifier-key", "", "clé publique de vérification, telle que « parcours audit key » l'affiche (sans elle, le trousseau est lu)")
	vkeyFile := fs.String("verifier-key-file", "", "fichier contenant la clé publique de vérification")
	backup := fs.Bool("backup", false, "la base est une sauvegarde plus ancienne que le journal publié : les points de contrôle publiés après elle sont comptés, pas signalés")
	c, err := parse(fs, l, args)
	if err != nil {
		return err
	}
	verifier, err := auditVerifier(c, *vkey, *vkeyFile)
	if err != nil {
		return err
	}
	ctx, cancel := e.context()
	defer cancel()
	db, err := openExisting(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	path := *logPath
	if path == "" {
		path = filepath.Join(c.Audit.CheckpointDir, audit.LogFile)
	}
	// The log is opened before Verify takes its snapshot: every checkpoint it shows was then
	// already committed, so a live server publishing meanwhile cannot look like a cut tail.
	opts := audit.VerifyOptions{Verifier: verifier, Backup: *backup, Now: clock.System{}.Now()}
	published, err := audit.OpenPublished(path)
	switch {
	case err == nil:
		defer published.Close()
		opts.Published = published
	case *logPath != "" || !errors.Is(err, iofs.ErrNotExist):
		return err
	}
	rep, err := audit.Verify(ctx, db, opts)
	if err != nil && !errors.Is(err, audit.ErrTampered) {
		return err
	}
	printAuditReport(e.Stdout, rep, path, opts.Published != nil)
	if rep.OK() {
		return nil
	}
	return fmt.Errorf("%d anomalie(s) détectée(s)", rep.ProblemCount)
}

func printAuditReport(w io.Writer, rep audit.Report, path string, published bool) {
	fmt.Fprintf(w, "Journal d'audit : %d entrées scellées, %d en attente, %d points de contrôle dans la base.\n", rep.TreeSize, rep.Unsequenced, rep.Checkpoints)
	switch {
	case published:
		fmt.Fprintf(w, "Journal publié %s : %d points de contrôle vérifiés, le plus récent couvre %d entrées.\n", path, rep.Published, rep.PublishedNewest.Size)
	case rep.Checkpoints == 0:
		fmt.Fprintf(w, "Aucun journal publié (%s) : la base n'a encore aucun point de contrôle.\n", path)
	}
	if rep.Unpublished > 0 {
		fmt.Fprintf(w, "%d point(s) de contrôle de la base pas encore publié(s) : normal quelques secondes sur une base en service, sinon la publication échoue (voir les journaux du serveur).\n", rep.Unpublished)
	}
	if rep.Beyond > 0 {
		fmt.Fprintf(w, "%d point(s) de contrôle publié(s) après cette sauvegarde.\n", rep.Beyond)
	}
	if rep.OK() {
		fmt.Fprintln(w, "Intégrité vérifiée : aucune altération détectée.")
		return
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  ALTÉRATION (%s) : %s\n", p.Kind, p.Message)
	}
	if more := rep.ProblemCount - len(rep.Problems); more > 0 {
		fmt.Fprintf(w, "  … et %d autre(s).\n", more)
	}
}

// auditVerifier returns the checkpoints' verifier from the public key given, or else from
// the keyring.
func auditVerifier(c config.Config, key, file string) (note.Verifier, error) {
	if key != "" && file != "" {
		return nil, errors.New("--verifier-key et --verifier-key-file sont exclusifs")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--verifier-key-file : %w", err)
		}
		key = string(b)
	}
	if key == "" {
		kr, err := loadKeyring(c)
		if err != nil {
			return nil, fmt.Errorf("%w (ou donnez la clé publique avec --verifier-key)", err)
		}
		return kr.AuditVerifier(audit.Origin)
	}
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("clé de vérification invalide (attendue telle que « parcours audit key » l'affiche) : %w", err)
	}
	if v.Name() != audit.Origin {
		return nil, fmt.Errorf("clé de vérification d'un autre journal (%q, attendu %q)", v.Name(), audit.Origin)
	}
	return v, nil
}

// openExisting opens the database for reading what is there: no migration, no schema
// requirement (it may be an older copy), and an SQLite file that does not exist is an error
// rather than a new empty database.
func openExisting(ctx context.Context, c config.Config) (*database.DB, error) {
	engine, target, err := database.Parse(c.DatabaseURL, c.DataDir)
	if err != nil {
		return nil, err
	}
	if engine == database.SQLite {
		if _, err := os.Stat(target); err != nil {
			return nil, fmt.Errorf("base SQLite %s introuvable : %w", target, err)
		}
	}
	return database.Open(ctx, c.DatabaseURL, c.DataDir, database.Options{MaxConns: c.MaxDBConns})
}
