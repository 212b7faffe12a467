package database

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The migrations: one folder per engine, files numbered NNNNN_name.sql. Each domain gets its own
// range of numbers so that packages built in parallel do not collide (see README).
//
//go:embed migrations
var migrationsFS embed.FS

// versionTable is where goose records applied migrations.
const versionTable = "schema_migrations"

// ErrSchemaNewer means the database was migrated by a newer binary: serving it could corrupt data.
var ErrSchemaNewer = errors.New("le schéma de la base est plus récent que ce programme : mettez à jour parcours")

// ErrSchemaPending means migrations remain to be applied.
var ErrSchemaPending = errors.New("des migrations restent à appliquer : lancez « parcours migrate »")

func (db *DB) provider(logger *slog.Logger) (*goose.Provider, error) {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(versionTable), goose.WithDisableGlobalRegistry(true)}
	if db.engine == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		// Several instances may start at once on one PostgreSQL: an advisory lock makes one
		// migrate while the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	sub, err := fs.Sub(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, db.writer, sub, opts...)
}

// LatestVersion returns the newest migration this binary knows.
func (db *DB) LatestVersion() (int64, error) {
	p, err := db.provider(nil)
	if err != nil {
		return 0, err
	}
	sources := p.ListSources()
	if len(sources) == 0 {
		return 0, nil
	}
	return sources[len(sources)-1].Version, nil
}

// Migrate applies pending migrations and returns the versions it applied. It refuses a
// database whose schema is newer than the binary.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) ([]int64, error) {
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if current > latest {
		return nil, fmt.Errorf("%w (base : %d, programme : %d)", ErrSchemaNewer, current, latest)
	}
	p, err := db.provider(logger)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration : %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// SchemaVersion returns the version the database is at (0 when never migrated) and the latest
// version this binary knows. It only reads.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	latest, err = db.LatestVersion()
	if err != nil {
		return 0, 0, err
	}
	exists, err := db.tableExists(ctx, versionTable)
	if err != nil {
		return 0, 0, err
	}
	if !exists {
		return 0, latest, nil
	}
	var v *int64
	err = db.reader.QueryRowContext(ctx, `SELECT MAX(version_id) FROM `+versionTable+` WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, 0, fmt.Errorf("lecture de la version du schéma : %w", err)
	}
	if v == nil {
		return 0, latest, nil
	}
	return *v, latest, nil
}

// CheckSchema returns nil when the schema is exactly the binary's, ErrSchemaNewer or
// ErrSchemaPending otherwise.
func (db *DB) CheckSchema(ctx context.Context) error {
	current, latest, err := db.SchemaVersion(ctx)
	switch {
	case err != nil:
		return err
	case current > latest:
		return fmt.Errorf("%w (base : %d, programme : %d)", ErrSchemaNewer, current, latest)
	case current < latest:
		return fmt.Errorf("%w (base : %d, programme : %d)", ErrSchemaPending, current, latest)
	}
	return nil
}

func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.engine == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.reader.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("lecture du catalogue : %w", err)
	}
	return n > 0, nil
}

// MigrationsDigest is a hash of the engine's migration files; tests use it to reuse a
// migrated template database until a migration changes.
func MigrationsDigest(engine Engine) (string, error) {
	dir := "migrations/sqlite"
	if engine == Postgres {
		dir = "migrations/postgres"
	}
	h := sha256.New()
	err := fs.WalkDir(migrationsFS, dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrationsFS.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
