package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/database"
)

// storedHashes is a tlog.HashReader over audit_hashes. Stored hashes never change, so what it
// reads is cached; hashes written in the current transaction are added with put.
type storedHashes struct {
	ctx   context.Context
	q     database.Querier
	cache map[int64]tlog.Hash
}

func newStoredHashes(ctx context.Context, q database.Querier) *storedHashes {
	return &storedHashes{ctx: ctx, q: q, cache: map[int64]tlog.Hash{}}
}

// missingHashError means the tree needs a stored hash that audit_hashes does not hold.
type missingHashError struct{ index int64 }

func (e *missingHashError) Error() string {
	return fmt.Sprintf("empreinte stockée n°%d absente", e.index)
}

func (r *storedHashes) put(index int64, h tlog.Hash) { r.cache[index] = h }

// ReadHashes implements tlog.HashReader.
func (r *storedHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var missing []int64
	for _, i := range indexes {
		if _, ok := r.cache[i]; !ok {
			missing = append(missing, i)
		}
	}
	// A query's parameters are bounded on both engines; tlog asks for about log2(n) at a time.
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), 500)]
		missing = missing[len(chunk):]
		var sb strings.Builder
		args := make([]any, len(chunk))
		for i, idx := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("$" + strconv.Itoa(i+1))
			args[i] = idx
		}
		if err := r.query(`SELECT idx, hash FROM audit_hashes WHERE idx IN (`+sb.String()+`)`, args...); err != nil {
			return nil, err
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := r.cache[idx]
		if !ok {
			return nil, &missingHashError{idx}
		}
		out[i] = h
	}
	return out, nil
}

// loadRange reads the stored hashes with index in [lo, hi) in one query.
func (r *storedHashes) loadRange(lo, hi int64) error {
	return r.query(`SELECT idx, hash FROM audit_hashes WHERE idx >= $1 AND idx < $2`, lo, hi)
}

func (r *storedHashes) query(query string, args ...any) error {
	rows, err := r.q.QueryContext(r.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("lecture des empreintes du journal : %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var raw []byte
		if err := rows.Scan(&idx, &raw); err != nil {
			return fmt.Errorf("lecture des empreintes du journal : %w", err)
		}
		// A hash of the wrong length (only possible with the constraints dropped) is kept as
		// zeros, which never matches, so that Verify reports it instead of stopping.
		var h tlog.Hash
		if len(raw) == tlog.HashSize {
			h = tlog.Hash(raw)
		}
		r.cache[idx] = h
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lecture des empreintes du journal : %w", err)
	}
	return nil
}
