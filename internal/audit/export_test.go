package audit

import (
	"context"
	"database/sql"
)

// VerifyIn runs Verify's checks through q, so tamper tests can edit the tables and check in one
// transaction, then roll it back.
var VerifyIn = verify

// DecodeCursor exposes the cursor parser to the fuzz test.
var DecodeCursor = decodeCursor

// IntegrateIn runs one sequencing round of s inside tx, so that tamper tests can let the
// sequencer seal what they forged, then roll everything back.
func IntegrateIn(ctx context.Context, s *Sequencer, tx *sql.Tx) (int, error) {
	return s.integrateTx(ctx, tx)
}
