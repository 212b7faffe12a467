package support

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// minReason is the shortest justification an emergency access accepts.
const minReason = 15

// BreakGlass opens an emergency access ("bris de glace") to the record of a person outside the
// caseload of the actor's organisation: a habilitated advisor only, with a reason, for
// EmergencyDuration. Every read made under it is recorded as such, and the admin of the
// advisor's organisation reviews it afterwards.
func (s *Service) BreakGlass(ctx context.Context, actor access.Actor, person uuid.UUID, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.BreakGlass, st.res); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(reason); n < minReason || n > maxComment {
			return fault.Field("reason", fmt.Sprintf("Justifiez l'accès d'urgence (%d à %d caractères).", minReason, maxComment))
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		id := uuid.Must(uuid.NewV7())
		sealed, err := s.env.Seal(ctx, tx, subject(st.record), rowBinding("support_emergency_accesses", "reason", id), []byte(reason))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_emergency_accesses (id, record_id, org_id, user_id, reason, opened_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, st.record, actor.OrgID, actor.UserID, sealed, now, now.Add(EmergencyDuration)); err != nil {
			return fmt.Errorf("accès d'urgence : %w", err)
		}
		return s.record(ctx, tx, actor, "support.break_glass", person, access.PurposeSupport, map[string]string{"record": st.record.String(), "access": id.String()})
	})
}

// Emergency is an emergency access as its reviewer sees it.
type Emergency struct {
	ID        uuid.UUID
	Advisor   string
	Person    string
	Reason    string
	OpenedAt  time.Time
	ExpiresAt time.Time
	Reviewed  bool
	Verdict   string
}

// VerdictLabel is the French verdict.
func (e Emergency) VerdictLabel() string {
	switch e.Verdict {
	case "justified":
		return "Justifié"
	case "unjustified":
		return "Injustifié"
	}
	return "À examiner"
}

// Emergencies lists the emergency accesses of the admin's organisation's members, those to
// review first. The reviewer sees the advisor, the reason and the person's masked name
// (first name and initial), never the health data.
func (s *Service) Emergencies(ctx context.Context, actor access.Actor) ([]Emergency, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.AdministerSupport, Purpose: access.PurposeSecurity, What: "support.emergencies"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return adminResource(ctx, q, actor)
		},
		func(ctx context.Context, q database.Querier) ([]Emergency, error) {
			rows, err := q.QueryContext(ctx, `SELECT e.id, e.record_id, u.first_name, u.last_name, j.first_names, j.birth_name, e.reason,
					e.opened_at, e.expires_at, e.reviewed_at IS NOT NULL, e.verdict
				FROM support_emergency_accesses e JOIN users u ON u.id = e.user_id
				JOIN support_records r ON r.id = e.record_id JOIN job_seekers j ON j.id = r.job_seeker_id
				WHERE e.org_id = $1 ORDER BY e.reviewed_at IS NOT NULL, e.opened_at DESC LIMIT 200`, actor.OrgID)
			if err != nil {
				return nil, fmt.Errorf("accès d'urgence : %w", err)
			}
			type row struct {
				e      Emergency
				record uuid.UUID
				sealed []byte
			}
			var read []row
			for rows.Next() {
				var x row
				var first, last, pFirst, pLast string
				if err := rows.Scan(&x.e.ID, &x.record, &first, &last, &pFirst, &pLast, &x.sealed, &x.e.OpenedAt, &x.e.ExpiresAt,
					&x.e.Reviewed, &x.e.Verdict); err != nil {
					rows.Close()
					return nil, err
				}
				x.e.Advisor = strings.TrimSpace(first + " " + last)
				x.e.Person = pFirst
				if r := []rune(pLast); len(r) > 0 {
					x.e.Person += " " + string(r[0]) + "."
				}
				read = append(read, x)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			out := make([]Emergency, 0, len(read))
			for _, x := range read {
				plain, err := s.env.Open(ctx, q, subject(x.record), rowBinding("support_emergency_accesses", "reason", x.e.ID), x.sealed)
				if err != nil {
					return nil, err
				}
				x.e.Reason = string(plain)
				out = append(out, x.e)
			}
			return out, nil
		})
}

// Review records the admin's verdict on an emergency access of one of their organisation's
// members: justified or not (an unjustified one is for the DPO to follow up).
func (s *Service) Review(ctx context.Context, actor access.Actor, id uuid.UUID, justified bool) error {
	verdict := "unjustified"
	if justified {
		verdict = "justified"
	}
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := adminResource(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.AdministerSupport, res); err != nil {
			return err
		}
		now := s.clock.Now()
		r, err := tx.ExecContext(ctx, `UPDATE support_emergency_accesses SET reviewed_at = $3, reviewed_by = $4, verdict = $5
			WHERE id = $1 AND org_id = $2 AND reviewed_at IS NULL`, id, actor.OrgID, now, actor.UserID, verdict)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("accès d'urgence à examiner : %w", fault.NotFound)
		}
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, ActorUser: actor.UserID.String(), ActorOrg: actor.OrgID.String(),
			Action: "support.break_glass_reviewed", ObjectType: "emergency_access", ObjectRef: id.String(), Purpose: string(access.PurposeSecurity),
			Outcome: audit.OutcomeOK, Details: map[string]string{"verdict": verdict}})
	})
}
