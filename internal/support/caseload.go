package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Stance is what an actor may do about a person's support, for the page to offer it. It says
// whether a record exists only to a habilitated advisor; the actions still decide.
type Stance struct {
	// Habilitated: the actor is a habilitated advisor.
	Habilitated bool
	// CanOpen: no record yet, and the actor may open one.
	CanOpen bool
	// CanRead: the actor may read the record (caseload, emergency access, the person).
	CanRead bool
	// CanEdit: the actor's organisation has the person in its caseload.
	CanEdit bool
	// CanBreakGlass: a record exists outside the actor's caseload and the actor may open an
	// emergency access to it.
	CanBreakGlass bool
}

// StanceOf tells what the actor may do about the person's support (fault.NotFound for an
// unknown person). It reads no health data and records nothing.
func (s *Service) StanceOf(ctx context.Context, actor access.Actor, person uuid.UUID) (Stance, error) {
	st, err := s.describe(ctx, s.db.Reader(), actor, person)
	if err != nil {
		return Stance{}, err
	}
	var out Stance
	out.Habilitated = access.Allowed(actor, access.ListSupport, st.res)
	if !out.Habilitated && !st.res.Relations.Has(access.RelSelf) {
		return out, nil
	}
	exists := st.record != uuid.Nil
	out.CanOpen = !exists && access.Allowed(actor, access.OpenSupport, st.res)
	out.CanRead = exists && access.Allowed(actor, access.ViewSupport, st.res)
	out.CanEdit = exists && access.Allowed(actor, access.EditSupport, st.res)
	out.CanBreakGlass = exists && !out.CanRead && access.Allowed(actor, access.BreakGlass, st.res)
	return out, nil
}

// Summary is a line of the caseload list.
type Summary struct {
	PersonID  uuid.UUID
	Name      string
	BirthDate database.Date
	StartedOn database.Date
	EndedOn   database.Date
	Referent  string
	// PlanOverdue: an action or a review of the person's plan is overdue.
	PlanOverdue bool
}

// Caseload lists the people in the caseload of the actor's organisation (a support ended
// before today has left it). The list read is recorded (access.Read).
func (s *Service) Caseload(ctx context.Context, actor access.Actor, purpose access.Purpose) ([]Summary, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ListSupport, Purpose: purpose, What: "support.caseload"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var res access.Resource
			var err error
			if actor.Kind == access.Professional && actor.OrgID != uuid.Nil {
				res.Habilitated, err = habilitated(ctx, q, actor)
			}
			return res, err
		},
		func(ctx context.Context, q database.Querier) ([]Summary, error) {
			rows, err := q.QueryContext(ctx, `SELECT j.id, j.first_names, j.birth_name, j.usage_name, j.birth_date, c.started_on, c.ended_on,
					COALESCE(u.first_name, ''), COALESCE(u.last_name, ''),
					EXISTS (SELECT 1 FROM support_plan_due d WHERE d.record_id = r.id AND NOT d.settled AND d.due_on < $2 AND r.ended_on IS NULL)
				FROM support_caseload c JOIN support_records r ON r.id = c.record_id JOIN job_seekers j ON j.id = r.job_seeker_id
				LEFT JOIN users u ON u.id = c.referent_user
				WHERE c.org_id = $1 AND (c.ended_on IS NULL OR c.ended_on >= $2)
				ORDER BY c.ended_on IS NOT NULL, j.birth_name, j.first_names, j.id LIMIT 500`, actor.OrgID, s.today())
			if err != nil {
				return nil, fmt.Errorf("file active : %w", err)
			}
			defer rows.Close()
			var out []Summary
			for rows.Next() {
				var x Summary
				var first, birth, usage, rf, rl string
				var ended optDate
				if err := rows.Scan(&x.PersonID, &first, &birth, &usage, &x.BirthDate, &x.StartedOn, &ended, &rf, &rl, &x.PlanOverdue); err != nil {
					return nil, err
				}
				name := birth
				if usage != "" {
					name = usage
				}
				x.Name, x.EndedOn, x.Referent = first+" "+name, ended.Date, strings.TrimSpace(rf+" "+rl)
				out = append(out, x)
			}
			return out, rows.Err()
		})
}

// JointOrg is an organisation that may follow a person with the actor's (joint controllers).
type JointOrg struct {
	ID   uuid.UUID
	Name string
}

// JointOrgs lists the France Travail agencies and Cap emploi organisations of the actor's
// département other than the actor's own, for the opening form.
func (s *Service) JointOrgs(ctx context.Context, actor access.Actor) ([]JointOrg, error) {
	if !access.Allowed(actor, access.ListSupport, access.Resource{Habilitated: true}) {
		return nil, nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name FROM organisations WHERE kind IN ('FT', 'CAP_EMPLOI')
		AND departement = $1 AND id <> $2 AND deactivated_at IS NULL ORDER BY name LIMIT 200`, actor.OrgDepartement, actor.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JointOrg
	for rows.Next() {
		var o JointOrg
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Caseload changes. An advisor of an organisation that follows the person may add another
// France Travail agency or Cap emploi to the caseload (joint controllers, from today), end the
// follow-up of one of them (the person moves, or the other organisation hands over) as long as
// one organisation stays, and name the referent advisor of their own organisation among its
// habilitated members. Each change is decided like any change of the record (EditSupport, not
// while the person's restriction holds, not once the support has ended) and recorded in the
// audit trail with the organisation concerned.

// AddFollower adds the organisation org to the caseload of the person's record from today.
func (s *Service) AddFollower(ctx context.Context, actor access.Actor, person, org uuid.UUID) error {
	return s.caseloadChange(ctx, actor, person, "support.follower_added", org, func(tx *sql.Tx, record uuid.UUID) error {
		var kind string
		err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1 AND deactivated_at IS NULL`, org).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !(kind == "FT" || kind == "CAP_EMPLOI") {
			return fault.Field("follower_org", "Choisissez une agence France Travail ou un Cap emploi.")
		}
		if err != nil {
			return err
		}
		var running bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM support_caseload WHERE record_id = $1 AND org_id = $2
				AND (ended_on IS NULL OR ended_on >= $3))`, record, org, s.today()).Scan(&running); err != nil {
			return err
		}
		if running {
			return fault.Field("follower_org", "Cette organisation suit déjà la personne.")
		}
		// An organisation that followed the person before starts again: its row is reused.
		_, err = tx.ExecContext(ctx, `DELETE FROM support_caseload WHERE record_id = $1 AND org_id = $2`, record, org)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO support_caseload (record_id, org_id, started_on) VALUES ($1, $2, $3)`, record, org, s.today())
		return err
	})
}

// EndFollower ends the follow-up of the organisation org yesterday: from today its advisors
// no longer read the record. The last organisation cannot leave: the support is closed instead.
func (s *Service) EndFollower(ctx context.Context, actor access.Actor, person, org uuid.UUID) error {
	return s.caseloadChange(ctx, actor, person, "support.follower_ended", org, func(tx *sql.Tx, record uuid.UUID) error {
		today := s.today()
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM support_caseload WHERE record_id = $1 AND org_id <> $2
				AND (ended_on IS NULL OR ended_on >= $3)`, record, org, today).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			return fmt.Errorf("au moins une organisation doit suivre la personne : pour arrêter le suivi, terminez l'accompagnement : %w", fault.Conflict)
		}
		// A follow-up that started today leaves no day behind it: its row goes.
		res, err := tx.ExecContext(ctx, `UPDATE support_caseload SET ended_on = $4
			WHERE record_id = $1 AND org_id = $2 AND started_on < $3 AND (ended_on IS NULL OR ended_on >= $3)`, record, org, today, today.AddDays(-1))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			if res, err = tx.ExecContext(ctx, `DELETE FROM support_caseload WHERE record_id = $1 AND org_id = $2 AND started_on >= $3`, record, org, today); err != nil {
				return err
			}
			n, _ = res.RowsAffected()
		}
		if n == 0 {
			return fmt.Errorf("cette organisation ne suit plus la personne : %w", fault.Conflict)
		}
		return nil
	})
}

// SetReferent names user the referent advisor of the actor's organisation for the person.
func (s *Service) SetReferent(ctx context.Context, actor access.Actor, person, user uuid.UUID) error {
	return s.caseloadChange(ctx, actor, person, "support.referent_changed", actor.OrgID, func(tx *sql.Tx, record uuid.UUID) error {
		ok, err := habilitated(ctx, tx, access.Actor{UserID: user, OrgID: actor.OrgID})
		if err != nil {
			return err
		}
		if !ok {
			return fault.Field("referent", "Choisissez un conseiller habilité de votre organisation.")
		}
		_, err = tx.ExecContext(ctx, `UPDATE support_caseload SET referent_user = $3 WHERE record_id = $1 AND org_id = $2`, record, actor.OrgID, user)
		return err
	})
}

// caseloadChange runs a caseload change as a change of the record, refused once the support
// has ended, with the organisation concerned in the audit entry.
func (s *Service) caseloadChange(ctx context.Context, actor access.Actor, person uuid.UUID, action string, org uuid.UUID, f func(tx *sql.Tx, record uuid.UUID) error) error {
	return s.changeWith(ctx, actor, person, action, map[string]string{"org": org.String()}, func(tx *sql.Tx, record uuid.UUID) error {
		var ended optDate
		if err := tx.QueryRowContext(ctx, `SELECT ended_on FROM support_records WHERE id = $1`, record).Scan(&ended); err != nil {
			return err
		}
		if !ended.IsZero() {
			return fmt.Errorf("cet accompagnement est terminé : son suivi ne change plus : %w", fault.Conflict)
		}
		return f(tx, record)
	})
}

// Advisor is a habilitated member of an organisation, who may be a referent.
type Advisor struct {
	UserID uuid.UUID
	Name   string
}

// Advisors lists the habilitated members of the actor's organisation, for the referent's choice.
func (s *Service) Advisors(ctx context.Context, actor access.Actor) ([]Advisor, error) {
	if !access.Allowed(actor, access.ListSupport, access.Resource{Habilitated: true}) {
		return nil, nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT u.id, u.first_name, u.last_name FROM support_habilitations h
			JOIN memberships m ON m.org_id = h.org_id AND m.user_id = h.user_id AND m.is_active
			JOIN users u ON u.id = h.user_id
		WHERE h.org_id = $1 AND h.withdrawn_at IS NULL ORDER BY u.last_name, u.first_name, u.id LIMIT 500`, actor.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Advisor
	for rows.Next() {
		var a Advisor
		var first, last string
		if err := rows.Scan(&a.UserID, &first, &last); err != nil {
			return nil, err
		}
		a.Name = strings.TrimSpace(first + " " + last)
		out = append(out, a)
	}
	return out, rows.Err()
}
