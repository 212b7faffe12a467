package audit

import (
	"context"

	"database/sql"
	"io"
	"parcours/internal/database"

	"golang.org/x/mod/sumdb/note"
)

// VerifyIn runs Verify's checks through q, so tamper tests can edit the tables and check in one
// transaction, then roll it back.
var VerifyIn = verify

// DecodeCursor exposes the cursor parser to the fuzz test.
var DecodeCursor = decodeCursor

// List and ForObject expose the trail's queries to the store tests, without the access decision
// (tested through Trail).
func List(ctx context.Context, q database.Querier, f Filter, limit int, cursor string) ([]Event, string, error) {
	return list(ctx, q, f, f.refs(Journal{}), limit, cursor)
}

var ForObject = forObject

// IntegrateIn runs one sequencing round of s inside tx, so that tamper tests can let the
// sequencer seal what they forged, then roll everything back.
func IntegrateIn(ctx context.Context, s *Sequencer, tx *sql.Tx) (int, error) {
	return s.integrateTx(ctx, tx)
}

// ReadPublished reads every record of a checkpoint log.
func ReadPublished(r io.Reader, verifier note.Verifier) ([]PublishedRecord, error) {
	pr := newPublishedReader(r, verifier)
	var out []PublishedRecord
	for {
		rec, ok, err := pr.next()
		if err != nil || !ok {
			return out, err
		}
		out = append(out, rec)
	}
}
