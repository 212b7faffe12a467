// Package database opens the platform's database (embedded SQLite by default, PostgreSQL in
// production), applies the embedded migrations and runs transactions with retries.
//
// Queries are written once, in the SQL subset both engines accept: $1 placeholders,
// ON CONFLICT … DO UPDATE, RETURNING. Engine differences (column types, locking) live in the
// two migration folders and in this package. Times are always passed from Go in UTC (see
// package clock), never taken from SQL's now(), so that tests control them and both engines
// store the same instant.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The two supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what a store function needs to run SQL: a *sql.DB, a *sql.Tx or a *sql.Conn.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database. On SQLite it holds two pools: a single-connection writer (SQLite
// allows one writer at a time; queuing in Go is cheaper than SQLITE_BUSY retries) and a pool
// of read-only connections that WAL lets run beside the writer. On PostgreSQL both are the
// same pool.
type DB struct {
	engine Engine
	writer *sql.DB
	reader *sql.DB
	// where is a description of the database safe to log (no password).
	where string
}

// Options tune the connection pools.
type Options struct {
	// MaxConns caps PostgreSQL connections (default 20) and SQLite readers (2×CPU, at least 4,
	// at most MaxConns).
	MaxConns int
}

// Open opens the database named by rawURL. An empty rawURL means the SQLite file
// parcours.db in dataDir. Accepted forms: postgres://…, postgresql://…, sqlite:PATH or
// sqlite://PATH (relative paths are relative to the working directory).
func Open(ctx context.Context, rawURL, dataDir string, opts Options) (*DB, error) {
	engine, target, err := Parse(rawURL, dataDir)
	if err != nil {
		return nil, err
	}
	var db *DB
	switch engine {
	case Postgres:
		db, err = openPostgres(target, opts)
	default:
		db, err = openSQLite(target, opts)
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connexion à la base %s impossible : %w", db.where, err)
	}
	return db, nil
}

// Parse tells which engine rawURL names and returns the connection target: the PostgreSQL
// URL, or the SQLite file path.
func Parse(rawURL, dataDir string) (Engine, string, error) {
	switch {
	case rawURL == "":
		if dataDir == "" {
			dataDir = "."
		}
		return SQLite, filepath.Join(dataDir, "parcours.db"), nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		if _, err := url.Parse(rawURL); err != nil {
			return "", "", fmt.Errorf("PARCOURS_DATABASE_URL : adresse PostgreSQL illisible : %w", err)
		}
		return Postgres, rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite://"):
		return SQLite, strings.TrimPrefix(rawURL, "sqlite://"), nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		return SQLite, strings.TrimPrefix(rawURL, "sqlite:"), nil
	default:
		return "", "", errors.New("PARCOURS_DATABASE_URL : attendu postgres://… ou sqlite:CHEMIN")
	}
}

func openPostgres(target string, opts Options) (*DB, error) {
	pool, err := sql.Open("pgx", target)
	if err != nil {
		return nil, fmt.Errorf("ouverture de PostgreSQL : %w", err)
	}
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = 20
	}
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pool.SetConnMaxLifetime(time.Hour)
	return &DB{engine: Postgres, writer: pool, reader: pool, where: redactURL(target)}, nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// The pragmas follow the order PocketBase found safe: busy_timeout first, then WAL.
// synchronous=FULL makes every acknowledged commit survive a power loss, not only a crash.
// secure_delete overwrites deleted content, so a shredded data key does not linger in free pages.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
	"&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_time_format=sqlite"

func openSQLite(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("PARCOURS_DATABASE_URL : chemin SQLite vide")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, errors.New("PARCOURS_DATABASE_URL : le chemin SQLite ne doit contenir ni « ? » ni « # »")
	}
	if err := prepareSQLiteFiles(path); err != nil {
		return nil, err
	}
	writer, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("ouverture de SQLite : %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	// Create the file and switch it to WAL through the writer before readers open it.
	if err := writer.Ping(); err != nil {
		writer.Close()
		return nil, fmt.Errorf("ouverture de SQLite %s : %w", path, err)
	}
	reader, err := sql.Open("sqlite", "file:"+path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("ouverture de SQLite : %w", err)
	}
	// SQLite reads run in this process and are bound by its CPUs: readers beyond two per CPU
	// add a page cache each (2 MB) and contention, not throughput (bench/README.md: the
	// structure pages served 855 requests a second with 20 readers, 1,591 with 4, and the
	// process held 201 MB instead of 134).
	readers := max(4, 2*runtime.NumCPU())
	if opts.MaxConns > 0 {
		readers = min(readers, opts.MaxConns)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	return &DB{engine: SQLite, writer: writer, reader: reader, where: "sqlite"}, nil
}

// prepareSQLiteFiles makes the database file readable by its owner only before SQLite opens
// it: the file, its WAL and its shared-memory index hold every person's data (sealed or not),
// and SQLite creates the file 0644 minus the umask. SQLite gives the -wal and -shm files the
// main file's permission bits, so creating the main file 0600 is enough for all three; files
// left more open by an older version are tightened. Missing folders are created 0700; existing
// ones are left alone, since the path may be anywhere (sqlite:/tmp/x.db).
func prepareSQLiteFiles(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("création du dossier de données %s : %w", dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("création de la base SQLite %s : %w", path, err)
		}
	case !errors.Is(err, os.ErrExist):
		return fmt.Errorf("création de la base SQLite %s : %w", path, err)
	}
	if runtime.GOOS == "windows" { // no Unix permission bits
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("base SQLite %s : %w", p, err)
		}
		if perm := info.Mode().Perm(); info.Mode().IsRegular() && perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return fmt.Errorf("le fichier %s est lisible par d'autres comptes (droits %04o) et n'a pas pu être restreint ; corrigez avec « chmod 600 %s » : %w",
					p, perm, p, err)
			}
		}
	}
	return nil
}

// Engine tells which engine this is.
func (db *DB) Engine() Engine { return db.engine }

// Where describes the database without secrets, for logs.
func (db *DB) Where() string { return db.where }

// Reader returns the pool to use for reads outside a transaction.
func (db *DB) Reader() Querier { return db.reader }

// Writer returns the pool for single-statement writes outside a transaction. Multi-row
// changes use WithTx.
func (db *DB) Writer() Querier { return db.writer }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return err
	}
	if db.reader != db.writer {
		return db.reader.PingContext(ctx)
	}
	return nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// PoolStats reports the pools' statistics for metrics; readers is nil on PostgreSQL where
// both are one pool.
func (db *DB) PoolStats() (writer sql.DBStats, readers *sql.DBStats) {
	writer = db.writer.Stats()
	if db.reader != db.writer {
		r := db.reader.Stats()
		readers = &r
	}
	return writer, readers
}

// maxAttempts bounds WithTx retries of transient failures.
const maxAttempts = 6

// WithTx runs fn in a read-write transaction and commits it, or rolls it back if fn fails.
// A transaction that fails with a transient error (PostgreSQL serialization failure or
// deadlock, SQLite busy) is retried from the start with backoff, so fn must have no effect
// outside the transaction: send mail and start work through the outbox and job tables.
func (db *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.runTx(ctx, db.writer, nil, fn)
}

// ReadTx runs fn in a read-only transaction. On PostgreSQL it runs at READ COMMITTED, where
// each statement sees what was committed when it started; use SnapshotTx when several queries
// must agree with each other.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.runTx(ctx, db.reader, &sql.TxOptions{ReadOnly: db.engine == Postgres}, fn)
}

// SnapshotTx runs fn in a read-only transaction in which every query sees the same committed
// state of the database, however many transactions commit meanwhile: REPEATABLE READ on
// PostgreSQL; on SQLite a read transaction, whose WAL snapshot is taken at its first read and
// kept to its end. Writes inside fn fail on both engines.
func (db *DB) SnapshotTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.engine == Postgres {
		return db.runTx(ctx, db.reader, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}, fn)
	}
	// The reader pool is query_only; modernc.org/sqlite refuses isolation levels other than
	// the default, which already is a snapshot for a read transaction in WAL mode.
	return db.runTx(ctx, db.reader, nil, fn)
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = runOnce(ctx, pool, opts, fn)
		if err == nil || !IsTransient(err) || attempt == maxAttempts {
			return err
		}
		// Full jitter: 5 ms, 10 ms, 20 ms… with randomisation so retries do not collide again.
		backoff := time.Duration(5<<(attempt-1)) * time.Millisecond
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(rand.N(backoff) + time.Millisecond):
		}
	}
}

func runOnce(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *sql.Tx) error) (err error) {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("début de transaction : %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("validation de la transaction : %w", err)
	}
	return nil
}

// IsTransient reports whether err is worth retrying the whole transaction for.
func IsTransient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// IsUniqueViolation reports whether err comes from a unique or primary-key constraint.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err comes from a foreign-key constraint.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsCheckViolation reports whether err comes from a CHECK constraint (or, on SQLite, a
// trigger that raised ABORT, which is how append-only tables refuse changes).
func IsCheckViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23514" || pgErr.Code == "P0001"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_TRIGGER
	}
	return false
}

// IsUnavailable tells whether err means the database cannot be reached or cannot work right
// now (connection refused or cut, server shutting down, disk full, pool closed): worth a 503
// and a retry later rather than a 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		class := pgErr.Code[:2]
		return class == "08" || class == "53" || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "55000"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return true
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || pgconn.SafeToRetry(err) {
		return true
	}
	// database/sql's closed-pool error is not exported.
	return strings.Contains(err.Error(), "sql: database is closed")
}
