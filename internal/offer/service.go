// Package offer holds the IAE registry as employers and job seekers see it: the structures
// (SIAE and GEIQ, which are organisations) with their public page, convention and antennas,
// their job descriptions ("fiches de poste"), the search by distance for employers, job
// descriptions and prescribers, and the daily jobs that close spontaneous applications and
// deactivate job descriptions left without update.
//
// Rules are plain functions (rules.go) that the SQL only pre-filters for: the convention rule,
// the 90-day rules and the allowed contract types are decided in Go, in one place.
//
// Choices worth knowing:
//   - A structure is the organisation's row in structures; identity (SIRET, kind, legal name,
//     commune) stays on organisations and is changed in the same transaction when the registry
//     or the employer's address changes it. An SIAE or GEIQ created at sign-up has no row until
//     EnsureStructure, UpdateStructure or the registry creates it; until then it is not listed.
//   - Blocking applications keeps a structure listed (as les-emplois does) but never
//     "recruiting now" nor in the first group of results. Staff can hide a structure from
//     search altogether (searchable = false); deactivated organisations are never listed.
//   - Positions are the commune's centre unless a precise one is given; a place without
//     coordinates (a few merged communes) is not found by distance searches.
//   - Searches of employers and job descriptions read an in-memory read model of the listed
//     registry (readmodel.go), built at start (PrepareSearch) and rebuilt when the database's
//     generation (bumped by triggers on every change a search shows) differs from the one it
//     was built from. The service checks it on every
//     search by default, at most once per SetSearchMaxAge otherwise, and right after its own
//     writes. Prescriber search reads the database.
package offer

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/notify"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// Service runs the registry, job descriptions and search. Each change commits together with
// its audit entry and its e-mails.
type Service struct {
	db      *database.DB
	clock   clock.Clock
	places  *refdata.Data
	baseURL string
	// outbox receives the periodic jobs' e-mails (see SetOutbox).
	outbox notify.Outbox
	// read is the searches' read model and what keeps it fresh.
	read readState
	// reference is built at the first search that needs it.
	reference func() referenceIndex
}

// NewService returns the offer service. baseURL makes the links of e-mails absolute.
// Searches see every committed change at once; SetSearchMaxAge trades that for fewer checks.
func NewService(db *database.DB, c clock.Clock, places *refdata.Data, baseURL string) *Service {
	s := &Service{db: db, clock: c, places: places, baseURL: baseURL,
		reference: sync.OnceValue(func() referenceIndex { return newReferenceIndex(places) })}
	s.read.lock = make(chan struct{}, 1)
	return s
}

// SetOutbox gives the service the outbox its periodic jobs mail structures' admins through
// (sealed, see notify.Outbox). Call it before the service is used; without it those jobs fail
// rather than mail anything in clear.
func (s *Service) SetOutbox(o notify.Outbox) { s.outbox = o }

// withTx runs a change in a transaction, then tells the searches of this instance to look for
// it: an employer sees their change in the next search, whatever SetSearchMaxAge says.
func (s *Service) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := s.db.WithTx(ctx, fn)
	s.invalidateSearch()
	return err
}

// StructurePath is the public page of a structure; EmployerJobDescriptionsPath the employer's
// page listing its job descriptions. E-mails link to them.
func StructurePath(id uuid.UUID) string { return "/structures/" + id.String() }

// EmployerJobDescriptionsPath is where an employer manages a structure's job descriptions.
func EmployerJobDescriptionsPath(id uuid.UUID) string {
	return "/structures/" + id.String() + "/fiches-de-poste"
}

func (s *Service) link(path string) string { return s.baseURL + path }

func (s *Service) today() database.Date { return database.ParisDate(s.clock.Now()) }

// record writes the audit entry of a change. The platform itself (daily jobs) acts with the
// zero actor.
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action, objectType string, ref uuid.UUID,
	now time.Time, details map[string]string) error {
	e := audit.Event{OccurredAt: now, Action: action, ObjectType: objectType, ObjectRef: ref.String(), Outcome: audit.OutcomeOK, Details: details}
	if !actor.Anonymous() {
		e.ActorUser = actor.UserID.String()
	}
	if actor.OrgID != uuid.Nil {
		e.ActorOrg = actor.OrgID.String()
	}
	return audit.Record(ctx, q, e)
}

// mailAdmins sends one message to each active admin of the structure; build gives each its data.
func (s *Service) mailAdmins(ctx context.Context, q database.Querier, orgID uuid.UUID, now time.Time, kind notify.Kind,
	build func(firstName string) any) (int, error) {
	members, err := org.Recipients(ctx, q, orgID, kind, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range members {
		if err := s.outbox.Enqueue(ctx, q, now, notify.Message{To: m.Email, Kind: kind, Data: build(m.FirstName)}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// member tells whether the actor actively belongs to the organisation (what access rules call
// Resource.Member).
func member(ctx context.Context, q database.Querier, actor access.Actor, orgID uuid.UUID) (bool, error) {
	if actor.Kind != access.Professional || actor.UserID == uuid.Nil {
		return false, nil
	}
	return org.IsActorMember(ctx, q, actor, orgID)
}

// authorize asks the access package whether actor may act on the structure.
func authorize(ctx context.Context, q database.Querier, actor access.Actor, act access.Action, st Structure) error {
	m, err := member(ctx, q, actor, st.ID)
	if err != nil {
		return err
	}
	return access.Can(actor, act, st.Resource(m))
}

// nullFloat is v as a query argument, NULL when not ok.
func nullFloat(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func wrapTx(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s : %w", what, err)
}
