package application

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/offer"
)

var errNoApplication = fmt.Errorf("candidature : %w", fault.NotFound)

const appColumns = `a.id, a.job_seeker_id, a.to_org, a.sender_kind, a.sender_user, a.sender_org, a.sender_authorized, a.self_hire,
	a.state, a.message, a.refusal_reason, a.answer, a.answer_to_sender, a.reason_shared, a.hiring_start, a.hiring_end,
	a.contract_type, a.hours_per_week, a.salary_cents, a.first_mission, a.hired_job, a.transferred_from, a.created_at,
	a.updated_at, a.processed_at, a.archived_at, a.cv_file`

// stored is a row before its sealed columns are opened.
type stored struct {
	Application
	message, answer, answerToSender []byte
}

func scanApplication(row interface{ Scan(...any) error }) (stored, error) {
	var st stored
	a := &st.Application
	var senderUser, senderOrg, hiredJob, from, cv uuid.NullUUID
	var kind, state, reason, contract string
	var start, end, mission nullDate
	var hours, salary sql.NullInt64
	var processed, archived sql.NullTime
	err := row.Scan(&a.ID, &a.JobSeekerID, &a.ToOrg, &kind, &senderUser, &senderOrg, &a.SenderAuthorized, &a.SelfHire, &state,
		&st.message, &reason, &st.answer, &st.answerToSender, &a.ReasonShared, &start, &end, &contract, &hours, &salary, &mission,
		&hiredJob, &from, &a.CreatedAt, &a.UpdatedAt, &processed, &archived, &cv)
	if err != nil {
		return st, err
	}
	a.SenderKind, a.State, a.RefusalReason = SenderKind(kind), State(state), RefusalReason(reason)
	a.SenderUser, a.SenderOrg, a.TransferredFrom, a.CVFile = senderUser.UUID, senderOrg.UUID, from.UUID, cv.UUID
	a.Hire = Hire{Start: start.Date, End: end.Date, ContractType: offer.ContractType(contract), HoursPerWeek: int(hours.Int64),
		SalaryCents: int(salary.Int64), FirstMission: mission.Date, JobDescriptionID: hiredJob.UUID}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if processed.Valid {
		a.ProcessedAt = processed.Time.UTC()
	}
	if archived.Valid {
		a.ArchivedAt = archived.Time.UTC()
	}
	return st, nil
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

// loadRow reads an application without opening it.
func loadRow(ctx context.Context, q database.Querier, id uuid.UUID) (stored, error) {
	st, err := scanApplication(q.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications a WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return stored{}, errNoApplication
	}
	if err != nil {
		return stored{}, fmt.Errorf("lecture de la candidature : %w", err)
	}
	return st, nil
}

// open reads an application's sealed texts and its job descriptions.
func (s *Service) open(ctx context.Context, q database.Querier, st stored) (Application, error) {
	a := st.Application
	for _, c := range []struct {
		column string
		sealed []byte
		into   *string
	}{{"message", st.message, &a.Message}, {"answer", st.answer, &a.Answer}, {"answer_to_sender", st.answerToSender, &a.AnswerToSender}} {
		if c.sealed == nil {
			continue
		}
		plain, err := s.env.Open(ctx, q, personSubject(a.JobSeekerID), bind(a.ID, c.column), c.sealed)
		if err != nil {
			return Application{}, err
		}
		*c.into = string(plain)
	}
	rows, err := q.QueryContext(ctx, `SELECT job_description_id FROM application_jobs WHERE application_id = $1`, a.ID)
	if err != nil {
		return Application{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return Application{}, err
		}
		a.JobDescriptions = append(a.JobDescriptions, id)
	}
	return a, rows.Err()
}

// describe tells access how the actor stands to an application: the receiving structure
// (received, within two years or accepted), the sender's organisation, or the person.
func (s *Service) describe(ctx context.Context, q database.Querier, actor access.Actor, st stored) (access.Resource, error) {
	res := access.Resource{OrgID: st.ToOrg, Subject: st.JobSeekerID}
	var category string
	var member bool
	err := q.QueryRowContext(ctx, `SELECT o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
		FROM organisations o WHERE o.id = $1`, st.ToOrg, actor.UserID).Scan(&category, &member)
	if err != nil {
		return res, fmt.Errorf("structure de la candidature : %w", err)
	}
	res.OrgCategory, res.Member = category, member
	if actor.Kind == access.Professional && actor.OrgID != uuid.Nil {
		if actor.OrgID == st.ToOrg && (st.CreatedAt.After(s.clock.Now().Add(-receivedFor)) || st.State == Accepted) {
			res.Relations |= access.RelApplicationReceived
		}
		if actor.OrgID == st.SenderOrg {
			res.Relations |= access.RelApplicationSent
		}
	}
	if actor.Kind == access.JobSeeker {
		var own bool
		if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM job_seekers WHERE id = $1 AND user_id = $2)`,
			st.JobSeekerID, actor.UserID).Scan(&own); err != nil {
			return res, err
		}
		if own {
			res.Relations |= access.RelSelf
		}
	}
	return res, nil
}

// Transition is one recorded move of an application.
type Move struct {
	Transition Transition
	From, To   State
	At         time.Time
	UserID     uuid.UUID
	OrgID      uuid.UUID
	TargetOrg  uuid.UUID
}

// Detail is an application with its history.
type Detail struct {
	Application
	History []Move
	// PriorActions are a GEIQ's actions before hiring.
	PriorActions []PriorAction
}

// Get reads an application and its history for the purpose stated. The person reads theirs;
// the sender's organisation the ones it sent; the receiving structure's members the ones it
// received in the last two years, and the accepted ones always. The refusal reason is shown to
// the person only when the employer shared it.
func (s *Service) Get(ctx context.Context, actor access.Actor, id uuid.UUID, purpose access.Purpose) (Detail, error) {
	var st stored
	var res access.Resource
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: purpose, What: "application"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			if st, err = loadRow(ctx, q, id); err != nil {
				return access.Resource{}, err
			}
			res, err = s.describe(ctx, q, actor, st)
			return res, err
		},
		func(ctx context.Context, q database.Querier) (Detail, error) {
			a, err := s.open(ctx, q, st)
			if err != nil {
				return Detail{}, err
			}
			if !res.Relations.Any(access.RelApplicationReceived) {
				// The internal answer to the sender is the receiving structure's and the sender's.
				if !res.Relations.Has(access.RelApplicationSent) {
					a.AnswerToSender = ""
				}
				if res.Relations.Has(access.RelSelf) && !a.ReasonShared {
					a.RefusalReason = ""
				}
			}
			d := Detail{Application: a}
			if d.History, err = history(ctx, q, id); err != nil {
				return d, err
			}
			d.PriorActions, err = priorActions(ctx, q, id)
			return d, err
		})
}

// CVRules are what a CV must be: a PDF of 5 MB at most, checked by its content.
func CVRules() files.Rules {
	return files.Rules{Field: "cv", Formats: []files.Format{files.PDF}, MaxSize: 5 << 20}
}

// CV reads the CV sent with an application, for those who may read the application: a
// download decided and recorded like any read of it (access.Read).
func (s *Service) CV(ctx context.Context, actor access.Actor, id uuid.UUID) (files.File, error) {
	var st stored
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: access.PurposeIAERecruitment, What: "application.cv"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			var err error
			if st, err = loadRow(ctx, q, id); err != nil {
				return access.Resource{}, err
			}
			if st.CVFile == uuid.Nil {
				return access.Resource{}, fmt.Errorf("CV : %w", fault.NotFound)
			}
			return s.describe(ctx, q, actor, st)
		},
		func(ctx context.Context, q database.Querier) (files.File, error) {
			return s.files.Open(ctx, q, st.CVFile, personSubject(st.JobSeekerID))
		})
}

func history(ctx context.Context, q database.Querier, id uuid.UUID) ([]Move, error) {
	rows, err := q.QueryContext(ctx, `SELECT transition, from_state, to_state, at, user_id, org_id, target_org
		FROM application_transitions WHERE application_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("historique : %w", err)
	}
	defer rows.Close()
	var out []Move
	for rows.Next() {
		var m Move
		var t, from, to string
		var user, org, target uuid.NullUUID
		if err := rows.Scan(&t, &from, &to, &m.At, &user, &org, &target); err != nil {
			return nil, err
		}
		m.Transition, m.From, m.To = Transition(t), State(from), State(to)
		m.UserID, m.OrgID, m.TargetOrg, m.At = user.UUID, org.UUID, target.UUID, m.At.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Row is a line of a list of applications.
type Row struct {
	ID            uuid.UUID
	JobSeekerID   uuid.UUID
	PersonName    string
	StructureID   uuid.UUID
	StructureName string
	SenderKind    SenderKind
	SenderOrgName string
	State         State
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Archived      bool
}

// Filter narrows a list. Zero fields do not filter.
type Filter struct {
	States     []State
	Since      database.Date
	Until      database.Date
	SenderKind SenderKind
	// JobDescription keeps the applications naming that job description.
	JobDescription uuid.UUID
	// Person keeps one person's applications.
	Person uuid.UUID
	// Archived shows the archived applications instead of the others.
	Archived bool
	// Cursor is where the previous page ended ("" for the first page).
	Cursor string
	Limit  int
}

// Scope is whose list it is.
type scope int

const (
	scopeReceived scope = iota
	scopeSent
	scopePerson
)

// Received lists the applications the actor's structure received (for two years, and the
// accepted ones always), newest first, a page at a time. The list read is recorded.
func (s *Service) Received(ctx context.Context, actor access.Actor, f Filter) ([]Row, string, error) {
	return s.list(ctx, actor, scopeReceived, f)
}

// Sent lists the applications the actor's organisation sent, newest first.
func (s *Service) Sent(ctx context.Context, actor access.Actor, f Filter) ([]Row, string, error) {
	return s.list(ctx, actor, scopeSent, f)
}

// Mine lists the person's own applications, newest first.
func (s *Service) Mine(ctx context.Context, actor access.Actor, f Filter) ([]Row, string, error) {
	return s.list(ctx, actor, scopePerson, f)
}

type page struct {
	rows []Row
	next string
}

func (s *Service) list(ctx context.Context, actor access.Actor, sc scope, f Filter) ([]Row, string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 20
	}
	var person uuid.UUID
	p, err := access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: access.PurposeIAERecruitment, What: "application.list"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			res, p, err := s.describeList(ctx, q, actor, sc)
			person = p
			return res, err
		},
		func(ctx context.Context, q database.Querier) (page, error) {
			var rows []Row
			var next string
			var err error
			switch sc {
			case scopeReceived:
				rows, next, err = s.query(ctx, q, "a.to_org = $1 AND (a.created_at > $2 OR a.state = 'accepted')", []any{actor.OrgID, s.clock.Now().Add(-receivedFor)}, f)
			case scopeSent:
				rows, next, err = s.query(ctx, q, "a.sender_org = $1", []any{actor.OrgID}, f)
			default:
				if person == uuid.Nil {
					return page{}, nil
				}
				rows, next, err = s.query(ctx, q, "a.job_seeker_id = $1", []any{person}, f)
			}
			return page{rows, next}, err
		})
	return p.rows, p.next, err
}

// describeList tells access what a list is: the actor's structure's received applications,
// their organisation's sent ones, or the person's own (whose file id it returns).
func (s *Service) describeList(ctx context.Context, q database.Querier, actor access.Actor, sc scope) (access.Resource, uuid.UUID, error) {
	switch sc {
	case scopeReceived:
		member, err := actorMember(ctx, q, actor)
		if err != nil {
			return access.Resource{}, uuid.Nil, err
		}
		var category string
		if err := q.QueryRowContext(ctx, `SELECT category FROM organisations WHERE id = $1`, actor.OrgID).Scan(&category); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return access.Resource{}, uuid.Nil, err
		}
		return access.Resource{OrgID: actor.OrgID, OrgCategory: category, Member: member, Relations: access.RelApplicationReceived}, uuid.Nil, nil
	case scopeSent:
		if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
			return access.Resource{}, uuid.Nil, nil
		}
		return access.Resource{Relations: access.RelApplicationSent}, uuid.Nil, nil
	}
	if actor.Kind != access.JobSeeker {
		return access.Resource{}, uuid.Nil, nil
	}
	var person uuid.UUID
	err := q.QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE user_id = $1`, actor.UserID).Scan(&person)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Resource{Relations: access.RelSelf}, uuid.Nil, nil
	}
	return access.Resource{Subject: person, Relations: access.RelSelf}, person, err
}

func actorMember(ctx context.Context, q database.Querier, actor access.Actor) (bool, error) {
	if actor.Kind != access.Professional || actor.OrgID == uuid.Nil {
		return false, nil
	}
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2 AND is_active)`,
		actor.OrgID, actor.UserID).Scan(&ok)
	return ok, err
}

// listSQL is a list's query parts: FROM (alias a for the applications), WHERE, ORDER BY, and
// its arguments.
type listSQL struct {
	from  string
	where []string
	order string
	// arg adds an argument and returns its placeholder; args are all of them.
	arg  func(any) string
	args func() []any
}

// conditions turns a scope (a WHERE clause on alias a, with its arguments first) and a filter
// into a list's query parts. A list filtered on a job description starts from that job
// description's applications (alias aj), newest first (migration 00132): the planners then
// read the page in the index's order instead of testing each row of the structure's list.
func conditions(scopeSQL string, args []any, f Filter) (listSQL, error) {
	l := listSQL{from: "applications a", where: []string{scopeSQL}, order: "a.created_at DESC, a.id DESC"}
	l.arg = func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	l.args = func() []any { return args }
	at, id := "a.created_at", "a.id"
	if f.JobDescription != uuid.Nil {
		// CROSS JOIN: SQLite keeps the written order of the tables; PostgreSQL plans it freely.
		l.from = "application_jobs aj CROSS JOIN applications a"
		l.where = append(l.where, "aj.job_description_id = "+l.arg(f.JobDescription), "a.id = aj.application_id")
		at, id = "aj.created_at", "aj.application_id"
		l.order = at + " DESC, " + id + " DESC"
	}
	if len(f.States) > 0 {
		in := make([]string, len(f.States))
		for i, st := range f.States {
			in[i] = l.arg(string(st))
		}
		l.where = append(l.where, "a.state IN ("+strings.Join(in, ", ")+")")
	}
	if !f.Since.IsZero() {
		l.where = append(l.where, at+" >= "+l.arg(f.Since.Time()))
	}
	if !f.Until.IsZero() {
		l.where = append(l.where, at+" < "+l.arg(f.Until.AddDays(1).Time()))
	}
	if f.SenderKind != "" {
		l.where = append(l.where, "a.sender_kind = "+l.arg(string(f.SenderKind)))
	}
	if f.Person != uuid.Nil {
		l.where = append(l.where, "a.job_seeker_id = "+l.arg(f.Person))
	}
	if f.Archived {
		l.where = append(l.where, "a.archived_at IS NOT NULL")
	} else {
		l.where = append(l.where, "a.archived_at IS NULL")
	}
	if f.Cursor != "" {
		cAt, cID, err := decodeCursor(f.Cursor)
		if err != nil {
			return listSQL{}, err
		}
		t, i := l.arg(cAt), l.arg(cID)
		l.where = append(l.where, "("+at+" < "+t+" OR ("+at+" = "+t+" AND "+id+" < "+i+"))")
	}
	return l, nil
}

// query runs a list: scope is a WHERE clause on alias a with its arguments first. The page's
// ids are chosen first, from the applications alone (at national scale an index of the scope
// holds every column the filters read, migration 00121), and only those rows are joined to the
// people and organisations: joining before the LIMIT made the planners read and join rows
// that never reach the page.
func (s *Service) query(ctx context.Context, q database.Querier, scopeSQL string, args []any, f Filter) ([]Row, string, error) {
	l, err := conditions(scopeSQL, args, f)
	if err != nil {
		return nil, "", err
	}
	limit := l.arg(f.Limit + 1)
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.job_seeker_id, j.first_names, j.birth_name, j.usage_name, a.to_org, o.name,
			a.sender_kind, COALESCE(so.name, ''), a.state, a.created_at, a.updated_at, a.archived_at IS NOT NULL
		FROM (SELECT a.id, a.created_at FROM `+l.from+` WHERE `+strings.Join(l.where, " AND ")+`
			ORDER BY `+l.order+` LIMIT `+limit+`) page
		JOIN applications a ON a.id = page.id JOIN job_seekers j ON j.id = a.job_seeker_id JOIN organisations o ON o.id = a.to_org
		LEFT JOIN organisations so ON so.id = a.sender_org
		ORDER BY page.created_at DESC, page.id DESC`, l.args()...)
	if err != nil {
		return nil, "", fmt.Errorf("liste des candidatures : %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var first, birth, usage, kind, state string
		if err := rows.Scan(&r.ID, &r.JobSeekerID, &first, &birth, &usage, &r.StructureID, &r.StructureName, &kind, &r.SenderOrgName,
			&state, &r.CreatedAt, &r.UpdatedAt, &r.Archived); err != nil {
			return nil, "", err
		}
		name := birth
		if usage != "" {
			name = usage
		}
		r.PersonName = first + " " + name
		r.SenderKind, r.State = SenderKind(kind), State(state)
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

func encodeCursor(at time.Time, id uuid.UUID) string {
	return strconv.FormatInt(at.UnixMicro(), 36) + "." + id.String()
}

func decodeCursor(c string) (time.Time, uuid.UUID, error) {
	bad := fault.Field("cursor", "Curseur de pagination invalide.")
	micros, idText, ok := strings.Cut(c, ".")
	if !ok {
		return time.Time{}, uuid.Nil, bad
	}
	us, err := strconv.ParseInt(micros, 36, 64)
	if err != nil {
		return time.Time{}, uuid.Nil, bad
	}
	id, err := uuid.Parse(idText)
	if err != nil || id.String() != idText {
		return time.Time{}, uuid.Nil, bad
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// Counts are how many applications of a list are in each state (archived ones excepted).
type Counts map[State]int

// Pending is how many wait for the employer's answer.
func (c Counts) Pending() int { return c[New] + c[Processing] + c[Postponed] }

// Total is how many there are.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Count counts the applications of a list by state, for the dashboards: decided like the list
// (the counts name no one, so the read is decided but, being a map, recorded with its size).
func (s *Service) Count(ctx context.Context, actor access.Actor, v View) (Counts, error) {
	var sc scope
	switch v {
	case ViewReceived:
		sc = scopeReceived
	case ViewSent:
		sc = scopeSent
	default:
		sc = scopePerson
	}
	var person uuid.UUID
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.ViewApplication, Purpose: access.PurposeIAERecruitment, What: "application.counts"},
		func(ctx context.Context, q database.Querier) (access.Resource, error) {
			res, p, err := s.describeList(ctx, q, actor, sc)
			person = p
			return res, err
		},
		func(ctx context.Context, q database.Querier) (Counts, error) {
			var scopeSQL string
			var args []any
			switch sc {
			case scopeReceived:
				scopeSQL, args = "to_org = $1 AND (created_at > $2 OR state = 'accepted')", []any{actor.OrgID, s.clock.Now().Add(-receivedFor)}
			case scopeSent:
				scopeSQL, args = "sender_org = $1", []any{actor.OrgID}
			default:
				if person == uuid.Nil {
					return Counts{}, nil
				}
				scopeSQL, args = "job_seeker_id = $1", []any{person}
			}
			rows, err := q.QueryContext(ctx, `SELECT state, COUNT(*) FROM applications WHERE `+scopeSQL+` AND archived_at IS NULL GROUP BY state`, args...)
			if err != nil {
				return nil, fmt.Errorf("décompte des candidatures : %w", err)
			}
			defer rows.Close()
			out := Counts{}
			for rows.Next() {
				var st string
				var n int
				if err := rows.Scan(&st, &n); err != nil {
					return nil, err
				}
				out[State(st)] = n
			}
			return out, rows.Err()
		})
}

// Accepted is how many led to a hire.
func (c Counts) Accepted() int { return c[Accepted] }
