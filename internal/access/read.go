package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Journal writes the audit entry of a personal-data read inside the read's transaction.
// Package audit implements it; access cannot import audit, whose own reads are decided here.
type Journal interface {
	RecordRead(ctx context.Context, q database.Querier, e ReadEntry) error
}

// ReadEntry is what the audit trail keeps of one read: who, about whom, why, what, and the
// decision. It holds identifiers only; the journal turns the subject into a pseudonym.
type ReadEntry struct {
	At      time.Time
	Actor   Actor
	Action  Action
	Purpose Purpose
	// What names what was read, lower case with dots ("account", "organisation.members").
	What string
	// Subject is the person read about; uuid.Nil for a list of several people.
	Subject   uuid.UUID
	Relations Relations
	// Count is how many items a list read returned (1 for a single record, 0 when denied).
	Count  int
	Denied bool
}

// Request is what a read states: under which action, for which purpose, and what it reads.
type Request struct {
	Action  Action
	Purpose Purpose
	What    string
}

// Guard performs personal-data reads: one transaction holds the description of the resource,
// the decision, the read itself and its audit entry.
type Guard struct {
	db      *database.DB
	journal Journal
	clock   clock.Clock
}

// NewGuard returns the guard reading db and recording in j.
func NewGuard(db *database.DB, j Journal, c clock.Clock) *Guard {
	return &Guard{db: db, journal: j, clock: c}
}

// Read is the one way in to personal data. In one transaction it calls describe, which loads
// what the decision needs (the resource's organisation, its subject and the relations of the
// actor's organisation to that subject); decides with Can and the stated purpose, which must be
// one the action declares (no purpose, no read); calls fetch; and writes the audit entry. If the
// entry cannot be written, the read fails and nothing is returned.
//
// A refusal is recorded too (outcome denied) and returns an error wrapping fault.Forbidden, or
// fault.Unauthenticated for an anonymous actor; an error of describe (fault.NotFound for a
// missing record) is returned as is, without an entry. Reading one's own data (describe found
// the relation RelSelf) is decided but not recorded: the trail answers "who read my data", and
// the person themselves is not the question. A fetch returning a slice or a map records its
// length as the count.
func Read[T any](ctx context.Context, g *Guard, a Actor, req Request,
	describe func(ctx context.Context, q database.Querier) (Resource, error),
	fetch func(ctx context.Context, q database.Querier) (T, error)) (T, error) {
	var out T
	if err := g.purposeDeclared(a, req); err != nil {
		return out, err
	}
	var refused error
	err := g.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := describe(ctx, tx)
		if err != nil {
			return err
		}
		entry := ReadEntry{At: g.clock.Now(), Actor: a, Action: req.Action, Purpose: req.Purpose, What: req.What,
			Subject: res.Subject, Relations: res.Relations}
		if refused = Can(a, req.Action, res); refused != nil {
			entry.Denied = true
			// The refusal commits with its entry; the caller gets refused below.
			return g.record(ctx, tx, entry)
		}
		v, err := fetch(ctx, tx)
		if err != nil {
			return err
		}
		if res.Relations.Has(RelSelf) {
			out = v
			return nil
		}
		entry.Count = count(v)
		if err := g.record(ctx, tx, entry); err != nil {
			return err
		}
		out = v
		return nil
	})
	if refused != nil {
		var zero T
		return zero, errors.Join(refused, err)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func (g *Guard) purposeDeclared(a Actor, req Request) error {
	p, ok := policies[req.Action]
	if ok && slices.Contains(p.purposes, req.Purpose) {
		return nil
	}
	if a.Anonymous() {
		return fmt.Errorf("%s : %w", req.Action, fault.Unauthenticated)
	}
	return fmt.Errorf("%s : finalité « %s » non déclarée pour cette action : %w", req.Action, req.Purpose, fault.Forbidden)
}

func (g *Guard) record(ctx context.Context, q database.Querier, e ReadEntry) error {
	if err := g.journal.RecordRead(ctx, q, e); err != nil {
		return fmt.Errorf("lecture refusée faute de pouvoir l'inscrire au journal d'audit : %w", err)
	}
	return nil
}

// count is the length of a list read (a slice or a map), 1 for anything else.
func count(v any) int {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map {
		return rv.Len()
	}
	return 1
}
