package database_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

func TestTransactionsCommitOrRollBackAsAWhole(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		now := time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC)
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			if err := database.SetSetting(ctx, tx, "a", "1", now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx returned %v, want the function's error", err)
		}
		if _, ok, _ := database.Setting(ctx, db.Reader(), "a"); ok {
			t.Fatal("a failed transaction left a row behind")
		}
		if err := db.WithTx(ctx, func(tx *sql.Tx) error { return database.SetSetting(ctx, tx, "a", "2", now) }); err != nil {
			t.Fatal(err)
		}
		v, ok, err := database.Setting(ctx, db.Reader(), "a")
		if err != nil || !ok || v != "2" {
			t.Fatalf("Setting = %q, %v, %v; want 2", v, ok, err)
		}
		var got time.Time
		if err := db.Reader().QueryRowContext(ctx, `SELECT updated_at FROM settings WHERE key = 'a'`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(now) {
			t.Fatalf("time round trip: got %v, want %v", got, now)
		}
	})
}

func TestTimesCompareInOrderOnBothEngines(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
		// Fractions of different lengths are where text comparison could go wrong on SQLite.
		times := []time.Time{base, base.Add(450 * time.Millisecond), base.Add(500 * time.Millisecond), base.Add(time.Second)}
		for i, tm := range times {
			if err := database.SetSetting(ctx, db.Writer(), string(rune('a'+i)), "x", tm); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE updated_at > $1 AND updated_at < $2`,
			base.Add(400*time.Millisecond), base.Add(999*time.Millisecond)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("%d rows between the bounds, want 2", n)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		now := time.Now().UTC()
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', $1)`, now); err != nil {
			t.Fatal(err)
		}
		_, err := db.Writer().ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', $1)`, now)
		if !database.IsUniqueViolation(err) {
			t.Fatalf("IsUniqueViolation(%v) = false", err)
		}
	})
}

func TestSchemaChecks(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("fresh migrated database: %v", err)
		}
		// A newer binary recorded a migration this one does not know.
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO schema_migrations (version_id, is_applied) VALUES (99999, true)`); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); !errors.Is(err, database.ErrSchemaNewer) {
			t.Fatalf("CheckSchema = %v, want ErrSchemaNewer", err)
		}
		if _, err := db.Migrate(ctx, nil); !errors.Is(err, database.ErrSchemaNewer) {
			t.Fatalf("Migrate = %v, want ErrSchemaNewer", err)
		}
	})
}

func TestEmptyDatabaseReportsPendingMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := database.Open(t.Context(), "sqlite:"+path, "", database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckSchema(t.Context()); !errors.Is(err, database.ErrSchemaPending) {
		t.Fatalf("CheckSchema = %v, want ErrSchemaPending", err)
	}
}

// SQLite has one writer; concurrent transactions must queue, not fail with "database is locked".
func TestConcurrentWritersAllCommit(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.WithTx(ctx, func(tx *sql.Tx) error {
					var count int
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings`).Scan(&count); err != nil {
						return err
					}
					return database.SetSetting(ctx, tx, "k"+string(rune('A'+i)), "v", time.Now().UTC())
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var count int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM settings`).Scan(&count); err != nil {
			t.Fatal(err)
		}
		if count != n {
			t.Fatalf("%d rows, want %d", count, n)
		}
	})
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		engine database.Engine
		target string
		bad    bool
	}{
		{"", database.SQLite, "var/parcours.db", false},
		{"sqlite:/tmp/a.db", database.SQLite, "/tmp/a.db", false},
		{"sqlite:///tmp/a.db", database.SQLite, "/tmp/a.db", false},
		{"postgres://u@h/db", database.Postgres, "postgres://u@h/db", false},
		{"mysql://x", "", "", true},
	} {
		engine, target, err := database.Parse(tc.in, "var")
		if (err != nil) != tc.bad || engine != tc.engine || target != tc.target {
			t.Errorf("Parse(%q) = %q, %q, %v", tc.in, engine, target, err)
		}
	}
}

// The SQLite file, its WAL and its shared-memory index are readable by their owner only, and a
// data folder the program creates is 0700, whatever the umask lets through.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dataDir := filepath.Join(t.TempDir(), "var", "data")
	db, err := database.Open(t.Context(), "", dataDir, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	// A read through the reader pool makes sure the shared-memory index exists.
	if err := database.SetSetting(t.Context(), db.Writer(), "k", "v", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := database.Setting(t.Context(), db.Reader(), "k"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dataDir, "parcours.db")
	for _, p := range []string{dataDir, filepath.Dir(dataDir), path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		}
		if perm := info.Mode().Perm(); perm != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(p), perm, want)
		}
	}

	// A file an older version left world-readable is tightened at the next start.
	old := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := database.Open(t.Context(), "sqlite:"+old, "", database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, p := range []string{old, old + "-wal", old + "-shm"} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s after opening: %v, %v; want 0600", filepath.Base(p), info.Mode(), err)
		}
	}
}

// A snapshot transaction sees one committed state: a row committed after its first read stays
// invisible to its later reads, and it cannot write.
func TestSnapshotTxSeesOneCommittedState(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		if err := database.SetSetting(ctx, db.Writer(), "before", "1", now); err != nil {
			t.Fatal(err)
		}
		count := func(q database.Querier) int {
			var n int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		err := db.SnapshotTx(ctx, func(tx *sql.Tx) error {
			first := count(tx)
			// Committed by another connection while the snapshot is open.
			if err := database.SetSetting(ctx, db.Writer(), "during", "1", now); err != nil {
				return err
			}
			if got := count(db.Reader()); got != first+1 {
				t.Fatalf("outside the snapshot: %d rows, want %d", got, first+1)
			}
			if got := count(tx); got != first {
				t.Fatalf("inside the snapshot: %d rows after a concurrent commit, want %d", got, first)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.SnapshotTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('inside', '1', $1)`, now)
			return err
		})
		if err == nil {
			t.Fatal("a snapshot transaction wrote")
		}
		if _, ok, _ := database.Setting(ctx, db.Reader(), "inside"); ok {
			t.Fatal("the refused write is in the database")
		}
	})
}
