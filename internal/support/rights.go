package support

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
)

// Ask records the request of the job seeker acting: rectification (GDPR art. 16) or
// restriction of processing (art. 18). A restriction takes effect at once: until the referent
// lifts it, nothing changes and advisors no longer see the health data; storage goes on. The
// right to object (art. 21) does not apply (see the information notice): the processing is
// required by the Code du travail for the public employment service's mission.
func (s *Service) Ask(ctx context.Context, actor access.Actor, kind, message string) error {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.RequestSupportRights, st.res); err != nil {
			return err
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		f := fault.Fields{}
		if kind != RequestRectification && kind != RequestRestriction {
			f.Add("kind", "Choisissez le type de demande.")
		}
		message = strings.TrimSpace(message)
		if message == "" {
			f.Add("message", "Expliquez votre demande.")
		} else if utf8.RuneCountInString(message) > maxComment {
			f.Add("message", fmt.Sprintf("%d caractères au plus.", maxComment))
		}
		if err := f.Err(); err != nil {
			return err
		}
		id := uuid.Must(uuid.NewV7())
		sealed, err := s.env.Seal(ctx, tx, subject(st.record), rowBinding("support_requests", "message", id), []byte(message))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_requests (id, record_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5)`,
			id, st.record, kind, sealed, now); err != nil {
			return err
		}
		if kind == RequestRestriction {
			if _, err := tx.ExecContext(ctx, `UPDATE support_records SET restricted_at = $2 WHERE id = $1 AND restricted_at IS NULL`, st.record, now); err != nil {
				return err
			}
		}
		action := "support.request_rectification"
		if kind == RequestRestriction {
			action = "support.request_restriction"
		}
		return s.record(ctx, tx, actor, action, person, access.PurposeSupport, map[string]string{"record": st.record.String()})
	})
}

// Handle marks a request of the person handled; handling a restriction lifts it (once the
// person's other restriction requests are handled too).
func (s *Service) Handle(ctx context.Context, actor access.Actor, person, request uuid.UUID) error {
	var kind string
	lookup := func(tx *sql.Tx, id uuid.UUID) error {
		err := tx.QueryRowContext(ctx, `SELECT kind FROM support_requests WHERE id = $1 AND record_id = $2 AND handled_at IS NULL`, request, id).Scan(&kind)
		if err == sql.ErrNoRows {
			return fmt.Errorf("demande : %w", fault.NotFound)
		}
		return err
	}
	handle := func(tx *sql.Tx, id uuid.UUID) error {
		if err := lookup(tx, id); err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE support_requests SET handled_at = $2, handled_by = $3 WHERE id = $1`, request, now, actor.UserID); err != nil {
			return err
		}
		if kind != RequestRestriction {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE support_records SET restricted_at = NULL WHERE id = $1 AND NOT EXISTS
			(SELECT 1 FROM support_requests WHERE record_id = $1 AND kind = 'restriction' AND handled_at IS NULL)`, id)
		return err
	}
	// Lifting a restriction is the one change a restricted record accepts.
	err := s.change(ctx, actor, person, "support.restriction_lifted", func(tx *sql.Tx, id uuid.UUID) error {
		if err := lookup(tx, id); err != nil {
			return err
		}
		if kind != RequestRestriction {
			var restricted bool
			if err := tx.QueryRowContext(ctx, `SELECT restricted_at IS NOT NULL FROM support_records WHERE id = $1`, id).Scan(&restricted); err != nil {
				return err
			}
			if restricted {
				return fmt.Errorf("levez d'abord la limitation du traitement : %w", fault.Conflict)
			}
			return errRectification
		}
		return handle(tx, id)
	})
	if err != errRectification {
		return err
	}
	return s.change(ctx, actor, person, "support.request_handled", handle)
}

// errRectification makes Handle retry a rectification request as an ordinary change.
var errRectification = fmt.Errorf("rectification")
