package audit

import (
	"context"

	"parcours/internal/database"
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
