package files

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Store keeps the sealed bytes of files, by file id. It never sees a clear byte, a name or a
// subject: Service seals before Put and opens after Get. Every method receives the caller's
// Querier, the transaction that also writes or reads the file's metadata row, so that the
// database store commits bytes and metadata together.
//
// The database store (DatabaseStore) is the default, so that one backup holds everything. An
// S3-compatible store can implement the same interface (see the package documentation for
// what it must do about transactions it cannot join).
type Store interface {
	// Put stores size bytes read from r under id. The id is new: Put never overwrites.
	Put(ctx context.Context, q database.Querier, id uuid.UUID, r io.Reader, size int64) error
	// Get returns a reader of the bytes stored under id, or an error wrapping fault.NotFound.
	// The caller closes it.
	Get(ctx context.Context, q database.Querier, id uuid.UUID) (io.ReadCloser, error)
	// Delete removes the bytes under id. Deleting what is not there is not an error.
	Delete(ctx context.Context, q database.Querier, id uuid.UUID) error
}

// DatabaseStore returns the store that keeps the sealed bytes in the file_contents table of the
// platform's database. Its rows go with their files row (a foreign key with ON DELETE CASCADE
// is the safety net; Service deletes them explicitly, as any store needs).
func DatabaseStore() Store { return dbStore{} }

type dbStore struct{}

func (dbStore) Put(ctx context.Context, q database.Querier, id uuid.UUID, r io.Reader, size int64) error {
	content, err := readExactly(r, size)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO file_contents (id, content) VALUES ($1, $2)`, id, content); err != nil {
		return fmt.Errorf("enregistrement du contenu du fichier : %w", err)
	}
	return nil
}

func (dbStore) Get(ctx context.Context, q database.Querier, id uuid.UUID) (io.ReadCloser, error) {
	var content []byte
	err := q.QueryRowContext(ctx, `SELECT content FROM file_contents WHERE id = $1`, id).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("contenu du fichier : %w", fault.NotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lecture du contenu du fichier : %w", err)
	}
	return io.NopCloser(bytes.NewReader(content)), nil
}

func (dbStore) Delete(ctx context.Context, q database.Querier, id uuid.UUID) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM file_contents WHERE id = $1`, id); err != nil {
		return fmt.Errorf("suppression du contenu du fichier : %w", err)
	}
	return nil
}

// readExactly reads size bytes from r and checks that r holds no more.
func readExactly(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > MaxSize+1<<10 {
		return nil, fmt.Errorf("taille de contenu invalide : %d", size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("lecture du contenu du fichier : %w", err)
	}
	if n, _ := io.CopyN(io.Discard, r, 1); n != 0 {
		return nil, errors.New("contenu du fichier plus long que la taille annoncée")
	}
	return buf, nil
}
