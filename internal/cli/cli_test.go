package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"parcours/internal/cli"
	"parcours/internal/database/databasetest"
)

// run executes the command line in-process with its own environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(&cli.Env{Args: append([]string{"parcours"}, args...), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Context: t.Context()})
	return code, out.String(), errb.String()
}

func baseEnv(t *testing.T) map[string]string {
	return map[string]string{"PARCOURS_DATA_DIR": t.TempDir(), "PARCOURS_LOG_FORMAT": "text", "PARCOURS_LOG_LEVEL": "warn"}
}

func TestHelpAndUsageErrors(t *testing.T) {
	code, out, _ := run(t, nil, "", "help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "PARCOURS_DATABASE_URL") {
		t.Fatalf("help: %d\n%s", code, out)
	}
	for _, cmd := range []string{"serve", "migrate", "demo", "purge"} {
		code, _, errOut := run(t, nil, "", cmd, "--help")
		if code != 0 || !strings.Contains(errOut, "PARCOURS_ADDR") || !strings.Contains(errOut, "Usage : parcours "+cmd) {
			t.Errorf("%s --help: %d\n%s", cmd, code, errOut)
		}
	}
	for _, args := range [][]string{{"user", "create", "--help"}, {"audit", "verify", "--help"}, {"audit", "key", "--help"}, {"keys", "rotate", "--help"}, {"import", "refdata", "--help"}} {
		if code, _, _ := run(t, nil, "", args...); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	if code, _, errOut := run(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "commande inconnue") {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
	if code, _, _ := run(t, nil, "", "serve", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	env := baseEnv(t)
	env["PARCOURS_ADDR"] = "pas-une-adresse"
	env["PARCOURS_SMTP_TLS"] = "ssl"
	code, _, errOut := run(t, env, "", "migrate")
	if code != 1 || !strings.Contains(errOut, "PARCOURS_ADDR") || !strings.Contains(errOut, "PARCOURS_SMTP_TLS") {
		t.Errorf("bad configuration: %d\n%s", code, errOut)
	}
}

// serve starts the platform in-process and returns its address and a stop function that
// returns the exit status.
func serve(t *testing.T, env map[string]string, args ...string) (string, *bytes.Buffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- cli.Main(&cli.Env{Args: append([]string{"parcours", "serve", "--addr", "127.0.0.1:0"}, args...), Stdin: strings.NewReader(""),
			Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }, Context: ctx, Ready: func(a string) { ready <- a }})
	}()
	select {
	case addr := <-ready:
		return addr, &out, func() int { cancel(); return <-done }
	case code := <-done:
		cancel()
		t.Fatalf("serve exited %d before listening:\n%s", code, errb.String())
	case <-time.After(90 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestServeOnAnEmptyPostgreSQLDatabase(t *testing.T) {
	env := baseEnv(t)
	env["PARCOURS_DATABASE_URL"] = databasetest.CreateEmptyPostgres(t)
	addr, _, stop := serve(t, env)
	// Ready once the searches' read model is built at start (a few seconds on a loaded machine).
	code, body := get(t, "http://"+addr+"/readyz")
	for deadline := time.Now().Add(60 * time.Second); code == 503 && strings.Contains(body, "en préparation") && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		code, body = get(t, "http://"+addr+"/readyz")
	}
	if code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	if code, body := get(t, "http://"+addr+"/"); code != 200 || !strings.Contains(body, "Parcours") {
		t.Fatalf("home: %d", code)
	}
	if code, body := get(t, "http://"+addr+"/communes?commune=villeurb"); code != 200 || !strings.Contains(body, "Villeurbanne (69100)") {
		t.Fatalf("reference data not loaded: %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("graceful shutdown exit %d", code)
	}
}

func TestServeDemoOnSQLiteAndDemoIsIdempotent(t *testing.T) {
	env := baseEnv(t)
	addr, out, stop := serve(t, env, "--demo")
	if !strings.Contains(out.String(), "admin@demo.parcours.test") || !strings.Contains(out.String(), "Demo-Inclusion-2026") {
		t.Fatalf("demo accounts not printed:\n%s", out)
	}
	if code, body := get(t, "http://"+addr+"/demo/courriels"); code != 200 || !strings.Contains(body, `id="code-demo"`) {
		t.Fatalf("demo page: %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	count := func() int {
		db, err := sql.Open("sqlite", filepath.Join(env["PARCOURS_DATA_DIR"], "parcours.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if code, _, errOut := run(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %d %s", code, errOut)
	}
	if after := count(); after != before || before < 8 {
		t.Fatalf("users before %d, after a second load %d", before, after)
	}
}

func TestServeRefusesANewerSchema(t *testing.T) {
	env := baseEnv(t)
	if code, out, errOut := run(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "Schéma à jour") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	db, err := sql.Open("sqlite", filepath.Join(env["PARCOURS_DATA_DIR"], "parcours.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version_id, is_applied) VALUES (99999, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errOut := run(t, env, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "plus récent que ce programme") {
		t.Fatalf("serve on a newer schema: %d %s", code, errOut)
	}
}

func TestUserCreateAuditVerifyKeysRotateAndPurge(t *testing.T) {
	env := baseEnv(t)
	env["PARCOURS_USER_PASSWORD"] = "Correct-Cheval-Pile-42"
	code, out, errOut := run(t, env, "", "user", "create", "--email", "Admin@Exemple.fr", "--first-name", "Ada", "--last-name", "Admin")
	if code != 0 || !strings.Contains(out, "admin@exemple.fr") || !strings.Contains(out, "double authentification") {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, env, "", "user", "create", "--email", "admin@exemple.fr", "--first-name", "Ada", "--last-name", "Admin"); code != 1 || !strings.Contains(errOut, "existe déjà") {
		t.Fatalf("duplicate: %d %s", code, errOut)
	}
	delete(env, "PARCOURS_USER_PASSWORD")
	if code, _, errOut := run(t, env, "court\n", "user", "create", "--email", "b@exemple.fr", "--first-name", "B", "--last-name", "B"); code != 1 || !strings.Contains(errOut, "12 caractères") {
		t.Fatalf("weak password from stdin: %d %s", code, errOut)
	}

	// Nothing is sealed yet (only serve seals) and verify only reads: the entries wait.
	code, out, errOut = run(t, env, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "aucune altération") || !strings.Contains(out, "0 entrées scellées, 1 en attente") {
		t.Fatalf("audit verify: %d %s %s", code, out, errOut)
	}

	code, out, errOut = run(t, env, "", "keys", "rotate")
	if code != 0 || !strings.Contains(out, "Nouvelle clé maîtresse n°2") {
		t.Fatalf("keys rotate: %d %s %s", code, out, errOut)
	}
	keyring, err := os.ReadFile(filepath.Join(env["PARCOURS_DATA_DIR"], "keys", "keyring.json"))
	if err != nil || !strings.Contains(string(keyring), `"version": 2`) && !strings.Contains(string(keyring), `"version":2`) {
		t.Fatalf("keyring after rotation: %v\n%s", err, keyring)
	}
	code, out, errOut = run(t, env, "", "purge")
	if code != 0 || !strings.Contains(out, "account.inactivity") {
		t.Fatalf("purge: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, env, "", "import", "refdata")
	if code != 0 || !strings.Contains(out, "communes") {
		t.Fatalf("first import refdata: %d %s", code, out)
	}
	code, out, _ = run(t, env, "", "import", "refdata")
	if code != 0 || !strings.Contains(out, "déjà à jour") {
		t.Fatalf("second import refdata: %d %s", code, out)
	}
}
