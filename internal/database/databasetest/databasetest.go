// Package databasetest gives tests a fresh, migrated database on each engine: a SQLite file in
// a temporary folder, and a new PostgreSQL database copied from a migrated template.
//
// PostgreSQL is found through PARCOURS_TEST_POSTGRES_URL (an account allowed to create
// databases). Without it the PostgreSQL half of each test is skipped with a message, unless
// CI=true or PARCOURS_TEST_POSTGRES_REQUIRED=1, where a missing server fails the test:
// `make test` and CI always run both.
package databasetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"parcours/internal/database"
)

// PostgresEnv names the variable holding the PostgreSQL admin URL for tests.
const PostgresEnv = "PARCOURS_TEST_POSTGRES_URL"

// Run calls fn once per engine, as subtests named "sqlite" and "postgres", each with a fresh
// migrated database.
func Run(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, _ := Open(t, engine)
			fn(t, db)
		})
	}
}

// Open returns a fresh migrated database of the engine and the URL that opens it again (for
// tests that start a second instance). Both are cleaned up when the test ends.
func Open(t testing.TB, engine database.Engine) (*database.DB, string) {
	t.Helper()
	rawURL := Create(t, engine)
	db, err := database.Open(context.Background(), rawURL, "", database.Options{})
	if err != nil {
		t.Fatalf("ouverture de la base de test : %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if engine == database.SQLite {
		if _, err := db.Migrate(context.Background(), nil); err != nil {
			t.Fatalf("migration de la base de test : %v", err)
		}
	}
	return db, rawURL
}

// Create makes a fresh migrated database without opening it and returns its URL.
func Create(t testing.TB, engine database.Engine) string {
	t.Helper()
	if engine == database.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	admin := PostgresURL(t)
	name := "parcours_t_" + randomHex(8)
	if err := createFromTemplate(admin, name); err != nil {
		t.Fatalf("PostgreSQL de test : %v", err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(admin, name); err != nil {
			t.Logf("suppression de la base %s : %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// PostgresURL returns the admin URL, or skips (or fails, where PostgreSQL is required) the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	required := os.Getenv("CI") == "true" || os.Getenv("PARCOURS_TEST_POSTGRES_REQUIRED") == "1"
	if admin == "" {
		if required {
			t.Fatalf("%s n'est pas défini alors que PostgreSQL est exigé (CI) : lancez les tests avec « make test »", PostgresEnv)
		}
		t.Skipf("PostgreSQL non testé : définissez %s (make test le fait)", PostgresEnv)
	}
	return admin
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func withDatabase(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

// advisoryKey serialises template creation across test processes (go test runs packages in parallel).
const advisoryKey = 7_261_542_001

func createFromTemplate(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	digest, err := database.MigrationsDigest(database.Postgres)
	if err != nil {
		return err
	}
	template := "parcours_tmpl_" + digest
	pool, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connexion à %s : %w", PostgresEnv, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, advisoryKey); err != nil {
		return fmt.Errorf("connexion à PostgreSQL (%s) : %w", PostgresEnv, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, advisoryKey)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, template).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if err := buildTemplate(ctx, conn, admin, template); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template)
	return err
}

func buildTemplate(ctx context.Context, conn *sql.Conn, admin, template string) error {
	building := template + "_build"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	db, err := database.Open(ctx, withDatabase(admin, building), "", database.Options{MaxConns: 2})
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx, nil)
	db.Close()
	if err != nil {
		return fmt.Errorf("migration du modèle PostgreSQL : %w", err)
	}
	// Renaming last means a half-built template is never used.
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+template); err != nil {
		return err
	}
	// Templates of older migration sets are dead weight; drop those nobody uses.
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'parcours\_tmpl\_%' AND datname <> $1`, template)
	if err != nil {
		return nil
	}
	var old []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			old = append(old, n)
		}
	}
	rows.Close()
	for _, n := range old {
		_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n)
	}
	return nil
}

func dropDatabase(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = pool.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	return err
}

// CreateEmptyPostgres makes a new, never-migrated PostgreSQL database and returns its URL, for
// tests of what the program does on first contact with a server.
func CreateEmptyPostgres(t testing.TB) string {
	t.Helper()
	admin := PostgresURL(t)
	name := "parcours_e_" + randomHex(8)
	pool, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("PostgreSQL de test : %v", err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(admin, name); err != nil {
			t.Logf("suppression de la base %s : %v", name, err)
		}
	})
	return withDatabase(admin, name)
}
