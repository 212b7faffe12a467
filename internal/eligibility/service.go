package eligibility

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
)

// PASSCheck tells, in q, whether a running PASS IAE was issued on a diagnosis: such a
// diagnosis stays valid as long as the PASS runs. The approvals module provides it (wired once
// by package app); without it no diagnosis is kept.
type PASSCheck func(ctx context.Context, q database.Querier, diagnosis uuid.UUID, day database.Date) (bool, error)

// Service keeps the criteria and the diagnoses. Every read of a diagnosis goes through
// access.Read with its purpose; the criteria checked are sealed under the person's data key.
type Service struct {
	db         *database.DB
	guard      *access.Guard
	env        *crypto.Envelope
	clock      clock.Clock
	jobseekers *jobseeker.Service
	passCheck  PASSCheck
}

// NewService returns the service.
func NewService(db *database.DB, g *access.Guard, env *crypto.Envelope, c clock.Clock, js *jobseeker.Service) *Service {
	return &Service{db: db, guard: g, env: env, clock: c, jobseekers: js}
}

// SetPASSCheck lets the approvals module say which diagnoses a running PASS keeps valid.
func (s *Service) SetPASSCheck(f PASSCheck) { s.passCheck = f }

// EnsureCriteria loads the embedded criteria sets into the database (at start).
func (s *Service) EnsureCriteria(ctx context.Context) error {
	return EnsureCriteria(ctx, s.db, CriteriaFiles(), s.clock.Now())
}

func (s *Service) today() database.Date { return database.ParisDate(s.clock.Now()) }

// Criteria returns the criteria set that applies today, for the diagnosis form.
func (s *Service) Criteria(ctx context.Context) (Set, error) {
	return setOn(ctx, s.db.Reader(), s.today())
}

func subject(person uuid.UUID) string { return "jobseeker:" + person.String() }

func binding(id uuid.UUID) crypto.Binding {
	return crypto.Binding{Table: "eligibility_diagnoses", Column: "criteria", Row: id.String()}
}

// person is what a decision about a person's eligibility needs: the person with the actor's
// relations, and the actor's current organisation.
type person struct {
	res access.Resource
	// org is the actor's current organisation, and whether the actor is an active member.
	orgName, orgKind, orgCategory, habilitation string
	member                                      bool
}

// describe loads the person (fault.NotFound when unknown), how the actor's organisation stands
// to them (the job seekers' relations, and whether it made a diagnosis), and the actor's
// organisation.
func (s *Service) describe(ctx context.Context, q database.Querier, actor access.Actor, id uuid.UUID) (person, error) {
	res, err := s.jobseekers.Describe(ctx, q, actor, id)
	if err != nil {
		return person{}, err
	}
	p := person{res: res}
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return p, nil
	}
	var diagnosed bool
	err = q.QueryRowContext(ctx, `SELECT o.name, o.kind, o.category, o.habilitation,
			EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active),
			EXISTS (SELECT 1 FROM eligibility_diagnoses d WHERE d.job_seeker_id = $3 AND d.author_org = o.id)
		FROM organisations o WHERE o.id = $1`, actor.OrgID, actor.UserID, id).
		Scan(&p.orgName, &p.orgKind, &p.orgCategory, &p.habilitation, &p.member, &diagnosed)
	if err != nil {
		return person{}, fmt.Errorf("organisation de l'acteur : %w", err)
	}
	if diagnosed {
		p.res.Relations |= access.RelDiagnosed
	}
	return p, nil
}

// writeResource is the resource MakeDiagnosis decides on: the actor's organisation and the person.
func (p person) writeResource(actor access.Actor) access.Resource {
	r := p.res
	r.OrgID, r.OrgKind, r.OrgCategory, r.Member = actor.OrgID, p.orgKind, p.orgCategory, p.member
	return r
}

// readResource is the resource ViewEligibility decides on for one diagnosis: the person, and
// for a structure's diagnosis, that structure.
func (p person) readResource(actor access.Actor, d Diagnosis) access.Resource {
	r := p.res
	if d.Author == ByEmployer {
		r.OrgID, r.OrgCategory, r.OrgKind = d.AuthorOrg, "siae", d.StructureKind
		r.Member = p.member && actor.OrgID == d.AuthorOrg
	}
	return r
}

// author is what the actor writes as, and the structure kind of an employer.
func (p person) author(actor access.Actor) (Author, string) {
	switch {
	case actor.Role == access.AuthorizedPrescriber && p.habilitation == "VALIDATED":
		return ByPrescriber, ""
	case actor.Role == access.Employer && slices.Contains(SIAEKinds, p.orgKind):
		return ByEmployer, p.orgKind
	}
	return "", ""
}

const diagnosisColumns = `d.id, d.job_seeker_id, d.author_kind, d.author_org, o.name, d.author_user, d.structure_kind, d.criteria_set,
	d.criteria, d.made_on, d.valid_until, d.ended_on, d.created_at`

// diagnoses reads and opens a person's diagnoses, newest first.
func (s *Service) diagnoses(ctx context.Context, q database.Querier, where string, args ...any) ([]Diagnosis, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+diagnosisColumns+` FROM eligibility_diagnoses d JOIN organisations o ON o.id = d.author_org
		WHERE `+where+` ORDER BY d.created_at DESC, d.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("lecture des diagnostics : %w", err)
	}
	type row struct {
		d      Diagnosis
		sealed []byte
	}
	var read []row
	for rows.Next() {
		var r row
		var kind string
		var user uuid.NullUUID
		var ended nullDate
		if err := rows.Scan(&r.d.ID, &r.d.JobSeekerID, &kind, &r.d.AuthorOrg, &r.d.AuthorOrgName, &user, &r.d.StructureKind, &r.d.SetID,
			&r.sealed, &r.d.MadeOn, &r.d.NaturalEnd, &ended, &r.d.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		r.d.Author, r.d.AuthorUser, r.d.EndedOn, r.d.CreatedAt = Author(kind), user.UUID, ended.Date, r.d.CreatedAt.UTC()
		read = append(read, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sets := map[string]Set{}
	today := s.today()
	out := make([]Diagnosis, 0, len(read))
	for _, r := range read {
		set, ok := sets[r.d.SetID]
		if !ok {
			if set, _, err = loadSet(ctx, q, r.d.SetID); err != nil {
				return nil, err
			}
			sets[r.d.SetID] = set
		}
		plain, err := s.env.Open(ctx, q, subject(r.d.JobSeekerID), binding(r.d.ID), r.sealed)
		if err != nil {
			return nil, err
		}
		var checked []string
		if err := json.Unmarshal(plain, &checked); err != nil {
			return nil, fmt.Errorf("diagnostic illisible : %w", err)
		}
		for _, c := range set.Criteria {
			if slices.Contains(checked, c.Code) {
				r.d.Criteria = append(r.d.Criteria, c)
			}
		}
		if s.passCheck != nil {
			if r.d.KeptByPASS, err = s.passCheck(ctx, q, r.d.ID, today); err != nil {
				return nil, err
			}
		}
		out = append(out, r.d)
	}
	return out, nil
}

// nullDate scans a DATE that may be NULL.
type nullDate struct{ database.Date }

func (d *nullDate) Scan(src any) error {
	if src == nil {
		d.Date = database.Date{}
		return nil
	}
	return d.Date.Scan(src)
}

// visible keeps the diagnoses the actor may read (a structure's own diagnosis: the person and
// that structure only), as access decides.
func visible(actor access.Actor, p person, all []Diagnosis) []Diagnosis {
	var out []Diagnosis
	for _, d := range all {
		if access.Allowed(actor, access.ViewEligibility, p.readResource(actor, d)) {
			out = append(out, d)
		}
	}
	return out
}

// Status reads a person's eligibility as the actor sees it, for the purpose stated: the
// diagnosis that applies with why, or why none does. structure is the structure the question
// is about (an application's); uuid.Nil asks about every structure, except for an employer,
// who is asked about its own. The read is decided and recorded by access.Read.
func (s *Service) Status(ctx context.Context, actor access.Actor, id, structure uuid.UUID, purpose access.Purpose) (Status, error) {
	if structure == uuid.Nil && actor.Role == access.Employer {
		structure = actor.OrgID
	}
	var p person
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewEligibility, Purpose: purpose, What: "eligibility.status"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			p, err = s.describe(ctx, q, actor, id)
			return p.res, err
		},
		func(ctx context.Context, q database.Querier) (Status, error) {
			all, err := s.diagnoses(ctx, q, `d.job_seeker_id = $1`, id)
			if err != nil {
				return Status{}, err
			}
			st := evaluate(id, structure, visible(actor, p, all), s.today())
			st.CanDiagnose = access.Allowed(actor, access.MakeDiagnosis, p.writeResource(actor))
			if author, _ := p.author(actor); st.CanDiagnose && author == ByEmployer {
				if pd := prescriberValid(all, s.today()); pd != nil {
					st.CanDiagnose = false
					st.Blocked = blockedBy(*pd)
				}
			} else if author == "" {
				st.CanDiagnose = false
			}
			return st, nil
		})
}

// prescriberValid returns the prescriber's diagnosis valid on a day, if any.
func prescriberValid(all []Diagnosis, day database.Date) *Diagnosis {
	for i := range all {
		if all[i].Author == ByPrescriber && all[i].ValidOn(day) {
			return &all[i]
		}
	}
	return nil
}

func blockedBy(d Diagnosis) string {
	return "Un diagnostic d'un prescripteur habilité (" + d.AuthorOrgName + ") s'applique jusqu'au " + d.ValidUntil().French() +
		" : il prime sur celui de la structure, qui n'a pas à en faire un."
}

var errNoDiagnosis = fmt.Errorf("diagnostic d'éligibilité : %w", fault.NotFound)

// Get reads one diagnosis with the person's status around it, for the purpose stated. A
// structure's diagnosis is found only by the person and that structure; for everyone else it
// does not exist.
func (s *Service) Get(ctx context.Context, actor access.Actor, id uuid.UUID, purpose access.Purpose) (Diagnosis, Status, error) {
	var p person
	var personID uuid.UUID
	type result struct {
		d  Diagnosis
		st Status
	}
	r, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewEligibility, Purpose: purpose, What: "eligibility.diagnosis"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			err := q.QueryRowContext(ctx, `SELECT job_seeker_id FROM eligibility_diagnoses WHERE id = $1`, id).Scan(&personID)
			if errors.Is(err, sql.ErrNoRows) {
				return access.Resource{}, errNoDiagnosis
			}
			if err != nil {
				return access.Resource{}, err
			}
			p, err = s.describe(ctx, q, actor, personID)
			return p.res, err
		},
		func(ctx context.Context, q database.Querier) (result, error) {
			all, err := s.diagnoses(ctx, q, `d.job_seeker_id = $1`, personID)
			if err != nil {
				return result{}, err
			}
			seen := visible(actor, p, all)
			i := slices.IndexFunc(seen, func(d Diagnosis) bool { return d.ID == id })
			if i < 0 {
				return result{}, errNoDiagnosis
			}
			structure := uuid.Nil
			if seen[i].Author == ByEmployer {
				structure = seen[i].AuthorOrg
			}
			return result{d: seen[i], st: evaluate(personID, structure, seen, s.today())}, nil
		})
	return r.d, r.st, err
}

// Make records a diagnosis about a person: by an authorised prescriber, with any number of
// criteria, valid 6 months in every structure; or by a member of an SIAE for its own
// structure, with the minimum of its kind, valid 92 days there. Incompatible criteria and a
// minimum not met are refused at their fields, all at once. A structure cannot make one while
// a prescriber's diagnosis applies (it takes precedence). A new diagnosis ends the running one
// of the same scope (any prescriber's, or the same structure's), in the same transaction.
func (s *Service) Make(ctx context.Context, actor access.Actor, id uuid.UUID, checked []string) (Diagnosis, error) {
	today := s.today()
	var d Diagnosis
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := s.describe(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.MakeDiagnosis, p.writeResource(actor)); err != nil {
			return err
		}
		author, kind := p.author(actor)
		if author == "" {
			return fmt.Errorf("diagnostic d'éligibilité : %w", fault.Forbidden)
		}
		set, err := setOn(ctx, tx, today)
		if err != nil {
			return err
		}
		criteria, err := Check(set, author, kind, checked)
		if err != nil {
			return err
		}
		if author == ByEmployer {
			all, err := s.diagnoses(ctx, tx, `d.job_seeker_id = $1 AND d.author_kind = 'prescriber'`, id)
			if err != nil {
				return err
			}
			if pd := prescriberValid(all, today); pd != nil {
				return fault.Field("", blockedBy(*pd))
			}
		}
		now := s.clock.Now()
		d = Diagnosis{ID: uuid.Must(uuid.NewV7()), JobSeekerID: id, Author: author, AuthorOrg: actor.OrgID, AuthorOrgName: p.orgName,
			AuthorUser: actor.UserID, StructureKind: kind, SetID: set.ID, Criteria: criteria, MadeOn: today,
			NaturalEnd: ValidUntil(author, today), CreatedAt: now}
		scope, args := `author_kind = 'prescriber'`, []any{id, today}
		if author == ByEmployer {
			scope, args = `author_kind = 'employer' AND author_org = $3`, append(args, actor.OrgID)
		}
		res, err := tx.ExecContext(ctx, `UPDATE eligibility_diagnoses SET ended_on = $2 WHERE job_seeker_id = $1 AND ended_on IS NULL AND `+scope, args...)
		if err != nil {
			return fmt.Errorf("fin du diagnostic précédent : %w", err)
		}
		replaced, _ := res.RowsAffected()
		raw, err := json.Marshal(codes(criteria))
		if err != nil {
			return err
		}
		sealed, err := s.env.Seal(ctx, tx, subject(id), binding(d.ID), raw)
		if err != nil {
			return err
		}
		l1, l2 := count(criteria)
		_, err = tx.ExecContext(ctx, `INSERT INTO eligibility_diagnoses (id, job_seeker_id, author_kind, author_org, author_user, structure_kind,
			criteria_set, criteria, level1_count, level2_count, made_on, valid_until, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			d.ID, id, string(author), actor.OrgID, actor.UserID, kind, set.ID, sealed, l1, l2, today, d.NaturalEnd, now)
		if database.IsUniqueViolation(err) {
			return fmt.Errorf("un autre diagnostic vient d'être enregistré pour cette personne : rechargez la page : %w", fault.Conflict)
		}
		if err != nil {
			return fmt.Errorf("enregistrement du diagnostic : %w", err)
		}
		return s.record(ctx, tx, actor, "eligibility.diagnosis_made", id, map[string]string{"diagnosis": d.ID.String(), "author": string(author),
			"criteria_set": set.ID, "level1": fmt.Sprint(l1), "level2": fmt.Sprint(l2), "replaced": fmt.Sprint(replaced)})
	})
	if err != nil {
		return Diagnosis{}, err
	}
	return d, nil
}

// record writes the audit entry of a change, naming the person by pseudonym (never the criteria).
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, person uuid.UUID, d map[string]string) error {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind,
		ObjectRef: s.env.Pseudonym(audit.SubjectKind, person.String()), Outcome: audit.OutcomeOK, Details: d,
		ActorUser: actor.UserID.String(), ActorOrg: actor.OrgID.String()}
	return audit.Record(ctx, q, e)
}

// Referenced tells whether diagnoses point at an account (their author): the inactivity rule
// anonymises such an account instead of deleting it.
func Referenced(ctx context.Context, q database.Querier, userID uuid.UUID) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM eligibility_diagnoses WHERE author_user = $1`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("recherche des références au compte : %w", err)
	}
	return n > 0, nil
}

// WithClock returns the service reading the time from c: the demo dates diagnoses in the past
// through it, so that they obey every rule.
func (s *Service) WithClock(c clock.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}
