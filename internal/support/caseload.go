package support

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
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
