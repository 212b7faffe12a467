package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// PlanBook is a person's plan as a reader gets it: every version, newest first (the first is
// the current plan), and the state of the record.
type PlanBook struct {
	RecordID   uuid.UUID
	PersonID   uuid.UUID
	PersonName string
	BirthDate  database.Date
	Versions   []PlanVersion
	// Today is the day the book was read, for the overdue marks.
	Today database.Date
	// Restricted: the person asked for the restriction of processing; nothing changes.
	Restricted bool
	// Ended: the support ended; the plan is read-only.
	Ended bool
	// Withheld tells that the versions' contents were not opened for this reader (restriction).
	Withheld bool
	// Emergency tells that the reader reads under an emergency access.
	Emergency bool
}

// Current is the current version, nil when no plan was saved yet.
func (b PlanBook) Current() *PlanVersion {
	if len(b.Versions) == 0 {
		return nil
	}
	return &b.Versions[0]
}

// Version is version n, nil when there is none.
func (b PlanBook) Version(n int) *PlanVersion {
	for i := range b.Versions {
		if b.Versions[i].Version == n {
			return &b.Versions[i]
		}
	}
	return nil
}

// Overdue tells whether the current plan has an action or a review late today.
func (b PlanBook) Overdue() bool {
	c := b.Current()
	return c != nil && !b.Ended && c.Plan.Overdue(b.Today)
}

// Editable tells whether the plan may change: the support runs and no restriction holds.
func (b PlanBook) Editable() bool { return !b.Ended && !b.Restricted }

// planBinding binds a version's content to its row.
func planBinding(record uuid.UUID, version int) crypto.Binding {
	return crypto.Binding{Table: "support_plan_versions", Column: "content", Row: fmt.Sprintf("%s/%d", record, version)}
}

// ReadPlan reads a person's plan and its history for the plan's purpose (D5312-50 2°), decided and
// recorded by access.Read. While the person's restriction holds, advisors get the history
// without the contents (Withheld); the person always reads theirs.
func (s *Service) ReadPlan(ctx context.Context, actor access.Actor, person uuid.UUID) (PlanBook, error) {
	var st state
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupportPlan, Purpose: access.PurposeSupportPlan, What: "support.plan"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (PlanBook, error) {
			if st.record == uuid.Nil {
				return PlanBook{}, errNoRecord
			}
			self := st.res.Relations.Has(access.RelSelf)
			b, err := s.loadPlan(ctx, q, st, self || !st.restricted)
			b.Emergency = !self && !st.res.Relations.Has(access.RelCaseload)
			return b, err
		})
}

// MyPlan reads the plan of the job seeker acting (fault.NotFound when they have no support).
func (s *Service) MyPlan(ctx context.Context, actor access.Actor) (PlanBook, error) {
	person, err := s.personOf(ctx, actor)
	if err != nil {
		return PlanBook{}, err
	}
	return s.ReadPlan(ctx, actor, person)
}

// loadPlan reads the versions of the record of st in q; with open, it opens their contents.
func (s *Service) loadPlan(ctx context.Context, q database.Querier, st state, open bool) (PlanBook, error) {
	b := PlanBook{RecordID: st.record, Today: s.today(), Restricted: st.restricted, Ended: st.ended, Withheld: !open}
	var first, birth, usage string
	if err := q.QueryRowContext(ctx, `SELECT j.id, j.first_names, j.birth_name, j.usage_name, j.birth_date FROM support_records r
		JOIN job_seekers j ON j.id = r.job_seeker_id WHERE r.id = $1`, st.record).Scan(&b.PersonID, &first, &birth, &usage, &b.BirthDate); err != nil {
		return PlanBook{}, fmt.Errorf("personne : %w", err)
	}
	if usage != "" {
		birth = usage
	}
	b.PersonName = first + " " + birth
	rows, err := q.QueryContext(ctx, `SELECT version, content, changes, created_at, created_by, created_org, ack_on, ack_how
		FROM support_plan_versions WHERE record_id = $1 ORDER BY version DESC`, st.record)
	if err != nil {
		return PlanBook{}, fmt.Errorf("plan : %w", err)
	}
	type row struct {
		v        PlanVersion
		sealed   []byte
		by, org  uuid.NullUUID
		changes  string
		ackOn    optDate
		ackWhich string
	}
	var read []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.v.Version, &x.sealed, &x.changes, &x.v.CreatedAt, &x.by, &x.org, &x.ackOn, &x.ackWhich); err != nil {
			rows.Close()
			return PlanBook{}, err
		}
		read = append(read, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return PlanBook{}, err
	}
	for _, x := range read {
		v := x.v
		if x.changes != "" {
			v.Changes = strings.Split(x.changes, ",")
		}
		v.AckOn, v.AckHow = x.ackOn.Date, x.ackWhich
		var user, org string
		if x.by.Valid {
			user = x.by.UUID.String()
		}
		if x.org.Valid {
			org = x.org.UUID.String()
		}
		if v.Author, v.AuthorOrg, err = names(ctx, q, user, org); err != nil {
			return PlanBook{}, err
		}
		if open {
			plain, err := s.env.Open(ctx, q, subject(st.record), planBinding(st.record, v.Version), x.sealed)
			if err != nil {
				return PlanBook{}, err
			}
			if v.Plan, err = unmarshalPlan(plain); err != nil {
				return PlanBook{}, err
			}
		}
		b.Versions = append(b.Versions, v)
	}
	return b, nil
}

// planChange runs a change of a person's plan: decided with the action given, refused when no
// record exists, while the person's restriction holds and once the support ended; committed with
// its audit entry (purpose: the plan).
func (s *Service) planChange(ctx context.Context, actor access.Actor, person uuid.UUID, act access.Action, event string,
	f func(tx *sql.Tx, record uuid.UUID) (map[string]string, error)) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := s.describe(ctx, tx, actor, person)
		if err != nil {
			return err
		}
		if err := access.Can(actor, act, st.res); err != nil {
			return err
		}
		if st.record == uuid.Nil {
			return errNoRecord
		}
		if st.restricted {
			return fmt.Errorf("la personne a demandé la limitation du traitement : le plan ne peut pas être modifié avant qu'elle soit levée : %w", fault.Conflict)
		}
		if st.ended {
			return fmt.Errorf("l'accompagnement est terminé : le plan ne peut plus être modifié : %w", fault.Conflict)
		}
		details, err := f(tx, st.record)
		if err != nil {
			return err
		}
		details["record"] = st.record.String()
		return s.record(ctx, tx, actor, event, person, access.PurposeSupportPlan, details)
	})
}

// SavePlan validates p and saves it as the new version of the person's plan; it returns the
// version's number and whether it is new. Every field error comes at once (fault.Fields). A
// plan identical to the current version makes no version: the current number is returned.
func (s *Service) SavePlan(ctx context.Context, actor access.Actor, person uuid.UUID, p Plan) (int, bool, error) {
	version := 0
	err := s.planChange(ctx, actor, person, access.EditSupportPlan, "support.plan_saved", func(tx *sql.Tx, record uuid.UUID) (map[string]string, error) {
		errs := fault.Fields{}
		if err := p.Validate(s.today()); err != nil {
			if errs = fault.FieldsOf(err); errs == nil {
				return nil, err
			}
		}
		s.checkPlaces(&p, errs)
		if err := errs.Err(); err != nil {
			return nil, err
		}
		current, before, err := s.currentPlan(ctx, tx, record)
		if err != nil {
			return nil, err
		}
		changed := changes(before, p)
		if current > 0 && len(changed) == 0 {
			version = current
			return nil, errUnchanged
		}
		version = current + 1
		raw, err := marshalPlan(p)
		if err != nil {
			return nil, err
		}
		content, err := s.env.Seal(ctx, tx, subject(record), planBinding(record, version), raw)
		if err != nil {
			return nil, err
		}
		var org any
		if actor.OrgID != uuid.Nil {
			org = actor.OrgID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO support_plan_versions (record_id, version, content, changes, created_at, created_by, created_org)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, record, version, content, strings.Join(changed, ","), s.clock.Now(), actor.UserID, org); err != nil {
			return nil, fmt.Errorf("enregistrement du plan : %w", err)
		}
		if err := s.writeDue(ctx, tx, record, p); err != nil {
			return nil, err
		}
		return map[string]string{"version": fmt.Sprint(version), "changes": strings.Join(changed, ",")}, nil
	})
	if errors.Is(err, errUnchanged) {
		return version, false, nil
	}
	return version, err == nil, err
}

// currentPlan reads and opens the current version of a record's plan in q (0 and an empty plan
// when none was saved).
func (s *Service) currentPlan(ctx context.Context, q database.Querier, record uuid.UUID) (int, Plan, error) {
	var current int
	var sealed []byte
	err := q.QueryRowContext(ctx, `SELECT version, content FROM support_plan_versions WHERE record_id = $1 ORDER BY version DESC LIMIT 1`, record).
		Scan(&current, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, Plan{}, nil
	}
	if err != nil {
		return 0, Plan{}, err
	}
	plain, err := s.env.Open(ctx, q, subject(record), planBinding(record, current), sealed)
	if err != nil {
		return 0, Plan{}, err
	}
	p, err := unmarshalPlan(plain)
	return current, p, err
}

// errUnchanged ends the transaction of a save that changes nothing, without an audit entry.
var errUnchanged = errors.New("plan inchangé")

// checkPlaces checks the jobs and the commune against the reference data and fills their
// labels; unknown ones are field errors added to errs.
func (s *Service) checkPlaces(p *Plan, errs fault.Fields) {
	places := s.people.Places()
	for i := range p.Jobs {
		a, ok := places.Appellation(p.Jobs[i].Code)
		if !ok {
			errs.Add("jobs", "Métier non reconnu : choisissez-le dans la liste proposée.")
			continue
		}
		p.Jobs[i] = PlanJob{Code: a.Code, Label: a.Label, Rome: a.Rome}
	}
	p.CommuneName = ""
	if p.CommuneCode != "" {
		c, ok := places.Commune(p.CommuneCode)
		if !ok {
			errs.Add("commune", "Commune inconnue : choisissez-la dans la liste proposée.")
			return
		}
		p.CommuneName = c.Name
	}
}

// writeDue rewrites the due dates of the record's current plan. A reminder already sent for an
// item whose date did not move stays sent.
func (s *Service) writeDue(ctx context.Context, tx *sql.Tx, record uuid.UUID, p Plan) error {
	reminded := map[string]database.Date{}
	rows, err := tx.QueryContext(ctx, `SELECT item, reminded_due FROM support_plan_due WHERE record_id = $1 AND reminded_due IS NOT NULL`, record)
	if err != nil {
		return err
	}
	for rows.Next() {
		var item string
		var d database.Date
		if err := rows.Scan(&item, &d); err != nil {
			rows.Close()
			return err
		}
		reminded[item] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM support_plan_due WHERE record_id = $1`, record); err != nil {
		return err
	}
	insert := func(item, kind string, due database.Date, settled bool) error {
		var rem any
		if d, ok := reminded[item]; ok && d == due {
			rem = d
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO support_plan_due (record_id, item, kind, due_on, settled, reminded_due) VALUES ($1, $2, $3, $4, $5, $6)`,
			record, item, kind, due, settled, rem)
		return err
	}
	for _, a := range p.Actions {
		if err := insert(a.ID, "action", a.DueOn, a.Settled()); err != nil {
			return err
		}
	}
	for _, r := range p.Reviews {
		if err := insert(r.ID, "review", r.PlannedOn, !r.HeldOn.IsZero()); err != nil {
			return err
		}
	}
	return nil
}

// Acknowledge records the person's acknowledgement of the current version of their plan. The
// person does it online (how is then "online", on today); an advisor records one made in person
// or on signed paper, on a day between the version's creation and today. A version is
// acknowledged once.
func (s *Service) Acknowledge(ctx context.Context, actor access.Actor, person uuid.UUID, version int, how string, on database.Date) error {
	act := access.EditSupportPlan
	if actor.Kind == access.JobSeeker {
		act, how, on = access.AcknowledgeSupportPlan, "online", s.today()
	}
	return s.planChange(ctx, actor, person, act, "support.plan_acknowledged", func(tx *sql.Tx, record uuid.UUID) (map[string]string, error) {
		var current int
		var created time.Time
		var ackHow string
		err := tx.QueryRowContext(ctx, `SELECT version, created_at, ack_how FROM support_plan_versions WHERE record_id = $1 ORDER BY version DESC LIMIT 1`, record).
			Scan(&current, &created, &ackHow)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("aucun plan n'a encore été enregistré : %w", fault.Conflict)
		}
		if err != nil {
			return nil, err
		}
		if version != current {
			return nil, fmt.Errorf("le plan a changé depuis : relisez sa dernière version avant d'en prendre connaissance : %w", fault.Conflict)
		}
		if ackHow != "" {
			return nil, fmt.Errorf("la personne a déjà pris connaissance de cette version : %w", fault.Conflict)
		}
		errs := fault.Fields{}
		if how != "online" && (how == "" || !known(AckMethods, how)) {
			errs.Add("ack_how", "Choisissez comment la personne a pris connaissance du plan.")
		}
		if how == "online" && actor.Kind != access.JobSeeker {
			errs.Add("ack_how", "Seule la personne peut prendre connaissance du plan en ligne.")
		}
		switch {
		case on.IsZero():
			errs.Add("ack_on", "Indiquez la date de la prise de connaissance.")
		case on.After(s.today()):
			errs.Add("ack_on", "La date ne peut pas être dans le futur.")
		case on.Before(database.ParisDate(created)):
			errs.Add("ack_on", "La date ne peut pas précéder celle de la version.")
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_plan_versions SET ack_on = $3, ack_how = $4, ack_at = $5, ack_by = $6
			WHERE record_id = $1 AND version = $2 AND ack_how = ''`, record, version, on, how, s.clock.Now(), actor.UserID); err != nil {
			return nil, err
		}
		return map[string]string{"version": fmt.Sprint(version), "how": how}, nil
	})
}

// PlanPDF reads the current version of the person's plan for its PDF, decided and recorded
// like a read of the plan, and renders it. It returns the file and its name.
func (s *Service) PlanPDF(ctx context.Context, actor access.Actor, person uuid.UUID) ([]byte, string, error) {
	var st state
	b, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewSupportPlan, Purpose: access.PurposeSupportPlan, What: "support.plan_pdf"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			st, err = s.describe(ctx, q, actor, person)
			return st.res, err
		},
		func(ctx context.Context, q database.Querier) (PlanBook, error) {
			if st.record == uuid.Nil {
				return PlanBook{}, errNoRecord
			}
			if st.restricted && !st.res.Relations.Has(access.RelSelf) {
				return PlanBook{}, fmt.Errorf("traitement limité à la demande de la personne : %w", fault.Conflict)
			}
			return s.loadPlan(ctx, q, st, true)
		})
	if err != nil {
		return nil, "", err
	}
	if b.Current() == nil {
		return nil, "", fmt.Errorf("aucun plan n'a encore été enregistré : %w", fault.NotFound)
	}
	out, err := RenderPlanPDF(b, *b.Current())
	if err != nil {
		return nil, "", err
	}
	return out, fmt.Sprintf("plan-accompagnement-v%d.pdf", b.Current().Version), nil
}
