package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/audit"
	"parcours/internal/cli"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// failLogin records an audit entry through the running server: a failed login.
func failLogin(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.PostForm("http://"+addr+"/connexion", url.Values{"email": {"personne@exemple.fr"}, "password": {"mauvais-mot-de-passe"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// waitSealed waits until the server has sealed every entry, at least want of them, and
// published the checkpoint covering them. It polls: how fast is not what is tested, and a
// server that never seals fails the test after two minutes.
func waitSealed(t *testing.T, env map[string]string, want int64) audit.Report {
	t.Helper()
	db, err := database.Open(t.Context(), env["PARCOURS_DATABASE_URL"], env["PARCOURS_DATA_DIR"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr, err := crypto.LoadKeyring(filepath.Join(env["PARCOURS_DATA_DIR"], "keys", "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := kr.AuditVerifier(audit.Origin)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		published, err := audit.OpenPublished(filepath.Join(env["PARCOURS_DATA_DIR"], "audit", audit.LogFile))
		if err == nil {
			rep, verr := audit.Verify(t.Context(), db, audit.VerifyOptions{Verifier: verifier, Published: published})
			published.Close()
			if verr != nil && rep.TreeSize == 0 {
				t.Fatal(verr)
			}
			if rep.Unsequenced == 0 && rep.TreeSize >= want && rep.PublishedNewest.Size == rep.TreeSize {
				return rep
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not seal and publish %d entries: %v", want, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// execSQL runs statements on the database named by env, with the application's settings (so
// that times are written as the application writes them).
func execSQL(t *testing.T, rawURL, dataDir string, stmts ...string) {
	t.Helper()
	db, err := database.Open(t.Context(), rawURL, dataDir, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Writer().ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// cutTailStatements drop the triggers and cut the tail of the three audit tables down to the
// newest checkpoint but one, leaving a database consistent on its own: attack (a).
func cutTailStatements(t *testing.T, rawURL, dataDir string, engine database.Engine) []string {
	t.Helper()
	db, err := database.Open(t.Context(), rawURL, dataDir, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var keep int64
	err = db.Reader().QueryRowContext(t.Context(), `SELECT COALESCE((SELECT tree_size FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1 OFFSET 1), 0)`).Scan(&keep)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`DROP TRIGGER audit_events_no_delete`, `DROP TRIGGER audit_hashes_no_delete`, `DROP TRIGGER audit_checkpoints_no_delete`}
	if engine == database.Postgres {
		stmts = []string{`DROP TRIGGER audit_events_guard ON audit_events`, `DROP TRIGGER audit_hashes_guard ON audit_hashes`,
			`DROP TRIGGER audit_checkpoints_guard ON audit_checkpoints`}
	}
	return append(stmts,
		`DELETE FROM audit_events WHERE seq >= `+itoa(keep),
		`DELETE FROM audit_hashes WHERE idx >= `+itoa(tlog.StoredHashCount(keep)),
		`DELETE FROM audit_checkpoints WHERE tree_size > `+itoa(keep))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// runCtx is run with a context that ends the command (serve) if it does not stop by itself.
func runCtx(t *testing.T, ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(&cli.Env{Args: append([]string{"parcours"}, args...), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Context: ctx})
	return code, out.String(), errb.String()
}

// The server seals what it records and publishes each checkpoint; `audit verify` reads only,
// checks a copy with the public key alone, and reports both attacks.
func TestServeSealsAndAuditVerifyReportsTheAttacks(t *testing.T) {
	env := baseEnv(t)
	env["PARCOURS_USER_PASSWORD"] = "Correct-Cheval-Pile-42"
	if code, _, errOut := run(t, env, "", "user", "create", "--email", "admin@exemple.fr", "--first-name", "Ada", "--last-name", "Admin"); code != 0 {
		t.Fatalf("user create: %s", errOut)
	}
	addr, _, stop := serve(t, env)
	failLogin(t, addr)
	waitSealed(t, env, 2)
	// What the last requests recorded is sealed before the server stops.
	failLogin(t, addr)
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	dir := filepath.Join(env["PARCOURS_DATA_DIR"], "audit")
	logFile := filepath.Join(dir, audit.LogFile)
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("checkpoint directory: %v %v", info, err)
	}
	if info, err := os.Stat(logFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint log: %v %v", info, err)
	}
	code, out, errOut := run(t, env, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "aucune altération") || !strings.Contains(out, "3 entrées scellées, 0 en attente") ||
		!strings.Contains(out, "le plus récent couvre 3 entrées") {
		t.Fatalf("audit verify: %d %s %s", code, out, errOut)
	}

	// A copy of the database, checked by someone holding only the public key and the log.
	code, key, errOut := run(t, env, "", "audit", "key")
	if code != 0 || !strings.HasPrefix(key, audit.Origin+"+") {
		t.Fatalf("audit key: %d %q %s", code, key, errOut)
	}
	copyPath := filepath.Join(t.TempDir(), "copie.db")
	execSQL(t, "", env["PARCOURS_DATA_DIR"], `VACUUM INTO '`+copyPath+`'`)
	auditor := baseEnv(t)
	keyFile := filepath.Join(t.TempDir(), "audit.pub")
	if err := os.WriteFile(keyFile, []byte(key), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, keyArgs := range [][]string{{"--verifier-key", strings.TrimSpace(key)}, {"--verifier-key-file", keyFile}} {
		args := append([]string{"audit", "verify", "--database-url", "sqlite:" + copyPath, "--checkpoint-log", logFile}, keyArgs...)
		if code, out, errOut := run(t, auditor, "", args...); code != 0 || !strings.Contains(out, "aucune altération") {
			t.Fatalf("verify of a copy with %s: %d %s %s", keyArgs[0], code, out, errOut)
		}
	}
	if entries, _ := os.ReadDir(auditor["PARCOURS_DATA_DIR"]); len(entries) != 0 {
		t.Fatalf("verifying a copy wrote in the data directory: %v", entries)
	}
	if code, _, errOut := run(t, auditor, "", "audit", "verify", "--database-url", "sqlite:"+copyPath, "--checkpoint-log", logFile); code != 1 || !strings.Contains(errOut, "n'existe pas") {
		t.Fatalf("verify without a key nor a keyring: %d %s", code, errOut)
	}

	// Attack (b): a forged entry dated two days ago, inserted while the server is stopped.
	execSQL(t, "", env["PARCOURS_DATA_DIR"], `INSERT INTO audit_events (id, occurred_at, action, outcome, object_ref) VALUES ('`+
		uuid.NewString()+`', '`+time.Now().UTC().Add(-48*time.Hour).Format("2006-01-02 15:04:05.999999-07:00")+`', 'health.read', 'ok', 'forged')`)
	code, out, _ = run(t, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "ALTÉRATION (late)") || !strings.Contains(out, "1 en attente") {
		t.Fatalf("waiting forged entry: %d %s", code, out)
	}
	code, out, _ = run(t, env, "", "audit", "verify")
	if !strings.Contains(out, "1 en attente") {
		t.Fatalf("verify sealed the forged entry: %s", out)
	}
	_, _, stop = serve(t, env)
	waitSealed(t, env, 4)
	stop()
	code, out, _ = run(t, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "ALTÉRATION (backdated)") {
		t.Fatalf("sealed forged entry: %d %s", code, out)
	}

	// Attack (a): the tail of the three tables cut together, down to a signed checkpoint.
	execSQL(t, "", env["PARCOURS_DATA_DIR"], cutTailStatements(t, "", env["PARCOURS_DATA_DIR"], database.SQLite)...)
	code, out, _ = run(t, env, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "ALTÉRATION (tail_cut)") {
		t.Fatalf("cut tail: %d %s", code, out)
	}
}

// A PostgreSQL database dumped with pg_dump and restored elsewhere is verified with the public
// key alone; the same attack on the restored copy is reported.
func TestAuditVerifyOnARestoredPostgreSQLCopy(t *testing.T) {
	env := baseEnv(t)
	env["PARCOURS_DATABASE_URL"] = databasetest.CreateEmptyPostgres(t)
	pgDump, psql := pgTool(t, "pg_dump"), pgTool(t, "psql")
	addr, _, stop := serve(t, env)
	failLogin(t, addr)
	failLogin(t, addr)
	waitSealed(t, env, 2)
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	dump := filepath.Join(t.TempDir(), "parcours.sql")
	if out, err := exec.Command(pgDump, "--no-owner", "--no-privileges", "--file", dump, env["PARCOURS_DATABASE_URL"]).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	restored := databasetest.CreateEmptyPostgres(t)
	if out, err := exec.Command(psql, "--quiet", "--set", "ON_ERROR_STOP=1", "--file", dump, restored).CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	_, key, _ := run(t, env, "", "audit", "key")
	auditor := baseEnv(t)
	logFile := filepath.Join(env["PARCOURS_DATA_DIR"], "audit", audit.LogFile)
	args := []string{"audit", "verify", "--database-url", restored, "--checkpoint-log", logFile, "--verifier-key", strings.TrimSpace(key)}
	code, out, errOut := run(t, auditor, "", args...)
	if code != 0 || !strings.Contains(out, "aucune altération") {
		t.Fatalf("verify of the restored copy: %d %s %s", code, out, errOut)
	}
	execSQL(t, restored, "", cutTailStatements(t, restored, "", database.Postgres)...)
	code, out, _ = run(t, auditor, "", args...)
	if code != 1 || !strings.Contains(out, "ALTÉRATION (tail_cut)") {
		t.Fatalf("cut tail on the restored copy: %d %s", code, out)
	}
}

// pgTool finds a PostgreSQL client program: on the PATH, or in Debian's versioned folders
// (newest first, since pg_dump must be at least the server's version).
func pgTool(t *testing.T, name string) string {
	t.Helper()
	databasetest.PostgresURL(t) // skips, or fails where PostgreSQL is required, like every PostgreSQL test
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	slices.Sort(found)
	if len(found) == 0 {
		t.Fatalf("%s introuvable : installez le client PostgreSQL (paquet postgresql-client)", name)
	}
	return found[len(found)-1]
}

// serve stops at once, in French, on a checkpoint directory it cannot publish to.
func TestServeRefusesAnUnusableCheckpointDirectory(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "fichier")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(root, "bloque")
	if err := os.MkdirAll(filepath.Join(blocked, audit.LogFile), 0o700); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		filepath.Join(root, "absent"): "introuvable",
		file:                          "n'est pas un dossier",
		blocked:                       "impossible à écrire",
	} {
		env := baseEnv(t)
		env["PARCOURS_AUDIT_CHECKPOINT_DIR"] = dir
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		code, _, errOut := runCtx(t, ctx, env, "serve", "--addr", "127.0.0.1:0")
		cancel()
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, %s", dir, code, errOut)
		}
	}
}
