package databasetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"parcours/internal/database"
)

// required tells whether PostgreSQL and its tools must be there (CI, make test).
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("PARCOURS_TEST_POSTGRES_REQUIRED") == "1"
}

// RawContent returns what a reader of the database's storage or of a backup sees: on SQLite
// the bytes of the database file and of every file beside it (-wal, -shm), on PostgreSQL the
// output of pg_dump. Tests scan it for values that must never be stored in clear.
func RawContent(t testing.TB, rawURL string) []byte {
	t.Helper()
	engine, target, err := database.Parse(rawURL, "")
	if err != nil {
		t.Fatal(err)
	}
	if engine == database.Postgres {
		return PgDump(t, target)
	}
	return SQLiteFiles(t, target)
}

// SQLiteFiles returns the bytes of the SQLite file at path and of its -wal and -shm files.
func SQLiteFiles(t testing.TB, path string) []byte {
	t.Helper()
	files, err := filepath.Glob(path + "*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no SQLite file at %s (%v)", path, err)
	}
	var raw []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	return raw
}

// PgDump returns the plain-text dump of the database at url (schema and data, bytea in hex).
// Without pg_dump the test is skipped, unless PostgreSQL is required (CI=true or
// PARCOURS_TEST_POSTGRES_REQUIRED=1), where it fails.
func PgDump(t testing.TB, url string) []byte {
	t.Helper()
	bin := PgDumpPath()
	if bin == "" {
		if required() {
			t.Fatal("pg_dump introuvable (ni dans le PATH ni sous /usr/lib/postgresql/*/bin) : installez postgresql-client")
		}
		t.Skip("pg_dump introuvable : le contenu brut de PostgreSQL n'est pas examiné")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--no-owner", "--dbname="+url).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("pg_dump: %v %s", err, msg)
	}
	return out
}

// PgDumpPath finds pg_dump: on the PATH, else the newest under /usr/lib/postgresql (Debian
// installs the server tools there without linking all of them). Empty when there is none.
func PgDumpPath() string {
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	version := func(p string) int {
		n, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(p, "/usr/lib/postgresql/"), "/")[0])
		return n
	}
	slices.SortFunc(found, func(a, b string) int { return version(a) - version(b) })
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}
