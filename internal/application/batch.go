package application

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// MaxBatch is how many applications one batch action moves at most (a page of a list is 20).
const MaxBatch = 100

// Batch is what a batch action did: the applications moved, and those left as they were with
// the reason, in the order they were given.
type Batch struct {
	Done    []uuid.UUID
	Skipped []Skipped
}

// Skipped is an application a batch action left alone, and why (in French). Name is the
// person's first name and initial, when the actor may see the application.
type Skipped struct {
	ID     uuid.UUID
	Name   string
	Reason string
}

// Batchable tells whether a transition may be asked for several applications at once.
func Batchable(t Transition) bool {
	switch t {
	case Process, Postpone, AddToPool, Refuse, Transfer:
		return true
	}
	return false
}

// DecideMany makes the same move on several applications received by the actor's structure,
// in one transaction: those the move cannot start from (already answered, moved meanwhile)
// are skipped with the reason; an invalid decision (a refusal without its reason or message)
// moves none. The people and senders concerned receive one message each for all of theirs.
func (s *Service) DecideMany(ctx context.Context, actor access.Actor, ids []uuid.UUID, t Transition, d Decision) (Batch, error) {
	var out Batch
	if !Batchable(t) {
		return out, fmt.Errorf("action groupée %q : %w", t, fault.Invalid)
	}
	ids = distinct(ids)
	if len(ids) == 0 {
		return out, fault.Field("ids", "Cochez au moins une candidature.")
	}
	if len(ids) > MaxBatch {
		return out, fault.Field("ids", fmt.Sprintf("Une action groupée porte sur %d candidatures au plus.", MaxBatch))
	}
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		out = Batch{}
		var mail letters
		now := s.clock.Now()
		for _, id := range ids {
			_, err := s.decideOne(ctx, tx, actor, id, t, d, now, &mail)
			if reason, skip := skipReason(err); skip {
				sk := Skipped{ID: id, Reason: reason}
				if sc := (stateConflict{}); errors.As(err, &sc) {
					c, err := contactOf(ctx, tx, sc.person)
					if err != nil {
						return err
					}
					sk.Name = c.name()
				}
				out.Skipped = append(out.Skipped, sk)
				continue
			}
			if err != nil {
				return err
			}
			out.Done = append(out.Done, id)
		}
		return s.post(ctx, tx, &mail, now)
	})
	return out, err
}

// skipReason tells whether a batch goes on past an application's error, found before anything
// of it was written: a state the move cannot start from, or an application the actor may not
// move (told as not found, like a single request would). Field errors, a change made
// meanwhile and failures stop the batch, and nothing of it is kept.
func skipReason(err error) (string, bool) {
	var sc stateConflict
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &sc):
		return fmt.Sprintf("Action impossible sur une candidature « %s ».", sc.from.Label()), true
	case errors.Is(err, fault.NotFound), errors.Is(err, fault.Forbidden):
		return "Candidature introuvable parmi celles de votre structure.", true
	}
	return "", false
}

// archivable are the states an employer may archive by hand (accepted and prior_to_hire never).
var archivable = []State{Refused, Cancelled, Obsolete}

// Archive archives (or, with archived false, brings back) applications received by the
// actor's structure: archived ones leave the default list. Only refused, cancelled and
// obsolete applications are archived by hand (the others are by the 180-day job, or never).
func (s *Service) Archive(ctx context.Context, actor access.Actor, ids []uuid.UUID, archived bool) (Batch, error) {
	var out Batch
	ids = distinct(ids)
	if len(ids) == 0 {
		return out, fault.Field("ids", "Cochez au moins une candidature.")
	}
	if len(ids) > MaxBatch {
		return out, fault.Field("ids", fmt.Sprintf("Une action groupée porte sur %d candidatures au plus.", MaxBatch))
	}
	action := "application.archive"
	if !archived {
		action = "application.unarchive"
	}
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		out = Batch{}
		now := s.clock.Now()
		for _, id := range ids {
			reason, err := s.archiveOne(ctx, tx, actor, id, archived, now)
			if err != nil {
				if r, skip := skipReason(err); skip {
					out.Skipped = append(out.Skipped, Skipped{ID: id, Reason: r})
					continue
				}
				return err
			}
			if reason != "" {
				st, err := loadRow(ctx, tx, id)
				if err != nil {
					return err
				}
				c, err := contactOf(ctx, tx, st.JobSeekerID)
				if err != nil {
					return err
				}
				out.Skipped = append(out.Skipped, Skipped{ID: id, Name: c.name(), Reason: reason})
				continue
			}
			out.Done = append(out.Done, id)
		}
		if len(out.Done) == 0 {
			return nil
		}
		return s.recordBatch(ctx, tx, actor, action, out.Done, now)
	})
	return out, err
}

func (s *Service) archiveOne(ctx context.Context, tx *sql.Tx, actor access.Actor, id uuid.UUID, archived bool, now time.Time) (string, error) {
	st, err := loadRow(ctx, tx, id)
	if err != nil {
		return "", err
	}
	res, err := s.describe(ctx, tx, actor, st)
	if err != nil {
		return "", err
	}
	if err := access.Can(actor, access.DecideApplication, res); err != nil {
		return "", err
	}
	switch {
	case archived && !st.ArchivedAt.IsZero(), !archived && st.ArchivedAt.IsZero():
		return "", nil // already so: nothing to do, nothing to report
	case archived && !slices.Contains(archivable, st.State):
		return fmt.Sprintf("Une candidature « %s » ne s'archive pas : seules les candidatures déclinées, annulées ou embauchées ailleurs.", st.State.Label()), nil
	}
	var at any
	if archived {
		at = now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET archived_at = $2 WHERE id = $1`, id, at); err != nil {
		return "", fmt.Errorf("archivage : %w", err)
	}
	return "", nil
}

// recordBatch writes one audit entry per person concerned by a batch action.
func (s *Service) recordBatch(ctx context.Context, q database.Querier, actor access.Actor, action string, ids []uuid.UUID, now time.Time) error {
	for _, id := range ids {
		st, err := loadRow(ctx, q, id)
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, actor, action, st.Application, nil); err != nil {
			return err
		}
	}
	return nil
}

func distinct(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if id != uuid.Nil && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
