package approval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// View is a PASS with what the reader may do with it.
type View struct {
	PASS
	// Manage: the reader's structure made the last hire (suspend, prolong, print).
	Manage bool
	// Interrupt: the structure may end the parcours now (12 months of suspension).
	Interrupt bool
}

// ForPerson reads a person's PASS, newest first, for the purpose stated.
func (s *Service) ForPerson(ctx context.Context, actor access.Actor, person uuid.UUID, purpose access.Purpose) ([]View, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApproval, Purpose: purpose, What: "approval.person"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return s.jobseekers.Describe(ctx, q, actor, person)
		},
		func(ctx context.Context, q database.Querier) ([]View, error) {
			all, err := s.passes(ctx, q, `a.job_seeker_id = $1`, person)
			if err != nil {
				return nil, err
			}
			return s.views(ctx, q, actor, all)
		})
}

func (s *Service) views(ctx context.Context, q database.Querier, actor access.Actor, all []PASS) ([]View, error) {
	out := make([]View, 0, len(all))
	for _, p := range all {
		v := View{PASS: p}
		res, err := manageResource(ctx, q, actor, p)
		if err != nil {
			return nil, err
		}
		v.Manage = access.Allowed(actor, access.ManageApproval, res)
		v.Interrupt = v.Manage && InterruptionAllowed(p.Dates, p.Today)
		out = append(out, v)
	}
	return out, nil
}

// Mine reads the PASS of the job seeker logged in (none when the account has no file).
func (s *Service) Mine(ctx context.Context, actor access.Actor) ([]View, error) {
	if actor.Kind != access.JobSeeker {
		return nil, fmt.Errorf("PASS IAE : %w", fault.Forbidden)
	}
	var person uuid.UUID
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE user_id = $1`, actor.UserID).Scan(&person)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.ForPerson(ctx, actor, person, access.PurposeIAEFollowUp)
}

// Get reads one PASS, for the purpose stated.
func (s *Service) Get(ctx context.Context, actor access.Actor, id uuid.UUID, purpose access.Purpose) (View, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApproval, Purpose: purpose, What: "approval"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var person uuid.UUID
			err := q.QueryRowContext(ctx, `SELECT job_seeker_id FROM approvals WHERE id = $1`, id).Scan(&person)
			if errors.Is(err, sql.ErrNoRows) {
				return access.Resource{}, errNoPASS
			}
			if err != nil {
				return access.Resource{}, err
			}
			return s.jobseekers.Describe(ctx, q, actor, person)
		},
		func(ctx context.Context, q database.Querier) (View, error) {
			all, err := s.passes(ctx, q, `a.id = $1`, id)
			if err != nil {
				return View{}, err
			}
			if len(all) == 0 {
				return View{}, errNoPASS
			}
			v, err := s.views(ctx, q, actor, all)
			if err != nil {
				return View{}, err
			}
			return v[0], nil
		})
}

// ForPrint reads a PASS for its attestation: only its structure may print it.
func (s *Service) ForPrint(ctx context.Context, actor access.Actor, id uuid.UUID) (PASS, error) {
	var p PASS
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ManageApproval, Purpose: access.PurposeIAEFollowUp, What: "approval.attestation"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			all, err := s.passes(ctx, q, `a.id = $1`, id)
			if err != nil {
				return access.Resource{}, err
			}
			if len(all) == 0 {
				return access.Resource{}, errNoPASS
			}
			p = all[0]
			return manageResource(ctx, q, actor, p)
		},
		func(context.Context, database.Querier) (PASS, error) { return p, nil })
}

// Filter narrows a structure's list.
type Filter struct {
	// State keeps one state ("" for all).
	State State
}

// ForStructure lists the PASS managed by the actor's structure (its last hire), the latest end
// first, with the state and days left.
func (s *Service) ForStructure(ctx context.Context, actor access.Actor, f Filter) ([]View, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ListApprovals, Purpose: access.PurposeIAEFollowUp, What: "approval.structure"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			r := access.Resource{OrgID: actor.OrgID}
			err := q.QueryRowContext(ctx, `SELECT o.kind, o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
				FROM organisations o WHERE o.id = $1`, actor.OrgID, actor.UserID).Scan(&r.OrgKind, &r.OrgCategory, &r.Member)
			if errors.Is(err, sql.ErrNoRows) {
				return access.Resource{}, fmt.Errorf("structure : %w", fault.NotFound)
			}
			return r, err
		},
		func(ctx context.Context, q database.Querier) ([]View, error) {
			all, err := s.passes(ctx, q, `a.org_id = $1`, actor.OrgID)
			if err != nil {
				return nil, err
			}
			var keep []PASS
			for _, p := range all {
				if f.State == "" || p.State() == f.State {
					keep = append(keep, p)
				}
			}
			return s.views(ctx, q, actor, keep)
		})
}

// Requests lists the prolongation requests sent to the actor's authorised prescriber
// organisation, newest first.
func (s *Service) Requests(ctx context.Context, actor access.Actor) ([]Request, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ListProlongationRequests, Purpose: access.PurposeIAEFollowUp, What: "approval.requests"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			return orgResource(ctx, q, actor, actor.OrgID)
		},
		func(ctx context.Context, q database.Querier) ([]Request, error) {
			return s.requests(ctx, q, `r.to_org = $1`, actor.OrgID)
		})
}

// RequestView is a prolongation request with the PASS it is about, for its decision.
type RequestView struct {
	Request
	PASS PASS
}

// Request reads one prolongation request for the authorised prescriber asked.
func (s *Service) Request(ctx context.Context, actor access.Actor, id uuid.UUID) (RequestView, error) {
	var r Request
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.DecideProlongation, Purpose: access.PurposeIAEFollowUp, What: "approval.request"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			reqs, err := s.requests(ctx, q, `r.id = $1`, id)
			if err != nil {
				return access.Resource{}, err
			}
			if len(reqs) == 0 {
				return access.Resource{}, fmt.Errorf("demande de prolongation : %w", fault.NotFound)
			}
			r = reqs[0]
			res, err := orgResource(ctx, q, actor, r.ToOrg)
			res.Subject = uuid.MustParse(r.JobSeekerID)
			return res, err
		},
		func(ctx context.Context, q database.Querier) (RequestView, error) {
			all, err := s.passes(ctx, q, `a.id = $1`, r.ApprovalID)
			if err != nil || len(all) == 0 {
				return RequestView{}, errors.Join(err, errNoPASS)
			}
			return RequestView{Request: r, PASS: all[0]}, nil
		})
}

func orgResource(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID) (access.Resource, error) {
	r := access.Resource{OrgID: id}
	err := q.QueryRowContext(ctx, `SELECT o.kind, o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
		FROM organisations o WHERE o.id = $1`, id, actor.UserID).Scan(&r.OrgKind, &r.OrgCategory, &r.Member)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Resource{}, fmt.Errorf("organisation : %w", fault.NotFound)
	}
	return r, err
}

// Prescriber is an authorised prescriber organisation a structure may ask.
type Prescriber struct {
	ID         uuid.UUID
	Name, Kind string
}

// Prescribers lists the authorised prescriber organisations of a département (all when ""),
// by name, for the request form (public registry data).
func (s *Service) Prescribers(ctx context.Context, departement string) ([]Prescriber, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT o.id, o.name, o.kind FROM organisations o
		WHERE o.category = 'prescriber' AND o.habilitation = 'VALIDATED' AND ($1 = '' OR o.departement = $1) ORDER BY o.name LIMIT 200`, departement)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Prescriber
	for rows.Next() {
		var p Prescriber
		if err := rows.Scan(&p.ID, &p.Name, &p.Kind); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Verification is what the public verification answers: the state and the last day, nothing else.
type Verification struct {
	Found bool
	State State
	Until database.Date
}

// Verify answers whoever has a PASS number and its holder's birth date: whether it is valid,
// suspended or expired, and until when. A wrong birth date answers exactly like an unknown
// number. Each attempt is recorded (client: a pseudonym of the address is kept, never the address).
func (s *Service) Verify(ctx context.Context, number string, birth database.Date, client string) (Verification, error) {
	number = strings.ReplaceAll(strings.TrimSpace(number), " ", "")
	var v Verification
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		v = Verification{}
		if len(number) == 12 && !birth.IsZero() {
			all, err := s.passes(ctx, tx, `a.number = $1 AND j.birth_date = $2`, number, birth)
			if err != nil {
				return err
			}
			if len(all) == 1 {
				p := all[0]
				v = Verification{Found: true, State: p.State(), Until: p.LastDay()}
				if v.State == Future {
					v.State = Valid
				}
			}
		}
		e := audit.Event{OccurredAt: s.clock.Now(), Action: "approval.verified", ObjectType: "approval", Outcome: audit.OutcomeOK,
			IPHash: s.env.Pseudonym("ip", client), Details: map[string]string{"found": fmt.Sprint(v.Found)}}
		if !v.Found {
			e.Outcome = audit.OutcomeDenied
		}
		return audit.Record(ctx, tx, e)
	})
	return v, err
}
