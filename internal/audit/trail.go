package audit

import (
	"context"

	"parcours/internal/access"
	"parcours/internal/database"
)

// Trail is how people read the audit trail: through access.Read, so that reading the trail
// is decided and recorded like any other read of personal data.
type Trail struct {
	guard   *access.Guard
	journal Journal
}

// NewTrail returns the reader of the trail.
func NewTrail(g *access.Guard, j Journal) *Trail { return &Trail{guard: g, journal: j} }

// List returns the entries matching f, newest first, and the cursor of the next page (see
// list). Staff with a second factor only.
func (t *Trail) List(ctx context.Context, actor access.Actor, f Filter, limit int, cursor string) ([]Event, string, error) {
	type page struct {
		events []Event
		next   string
	}
	p, err := access.Read(ctx, t.guard, actor, access.Request{Action: access.ViewAuditTrail, Purpose: access.PurposeSecurity, What: "audit.events"},
		func(context.Context, database.Querier) (access.Resource, error) {
			return access.Resource{Subject: f.Subject}, nil
		},
		func(ctx context.Context, q database.Querier) (page, error) {
			refs := f.refs(t.journal)
			events, next, err := list(ctx, q, f, refs, limit, cursor)
			return page{events, next}, err
		})
	return p.events, p.next, err
}
