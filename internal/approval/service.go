package approval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/notify"
)

// SIAEKinds are the structures whose hires need a PASS IAE (GEIQ do not).
var SIAEKinds = []string{"EI", "AI", "ACI", "ETTI", "EITI"}

// Service runs the PASS IAE.
type Service struct {
	db         *database.DB
	guard      *access.Guard
	env        *crypto.Envelope
	clock      clock.Clock
	jobseekers *jobseeker.Service
	files      *files.Service
	outbox     notify.Outbox
	baseURL    string
}

// NewService returns the service.
func NewService(db *database.DB, g *access.Guard, env *crypto.Envelope, c clock.Clock, js *jobseeker.Service, fs *files.Service, baseURL string) *Service {
	return &Service{db: db, guard: g, env: env, clock: c, jobseekers: js, files: fs, outbox: notify.Outbox{Envelope: env}, baseURL: baseURL}
}

// WithClock returns the service reading the time from c (the demo dates its history through it).
func (s *Service) WithClock(c clock.Clock) *Service {
	cp := *s
	cp.clock = c
	return &cp
}

func (s *Service) today() database.Date { return database.ParisDate(s.clock.Now()) }

// PASS is a PASS IAE as its readers see it.
type PASS struct {
	ID          uuid.UUID
	Number      string
	JobSeekerID uuid.UUID
	Dates
	DiagnosisID uuid.UUID
	// OrgID is the structure of the last hire, which manages the PASS; HireStart that hire's start.
	OrgID              uuid.UUID
	OrgName, OrgKind   string
	HireStart          database.Date
	InterruptionReason InterruptionReason
	CreatedAt          time.Time
	// Holder is the person's name and birth date, for the pages and the attestation.
	Holder Holder
	// Asked are the prolongation requests, newest first.
	Asked []Request
	// Today is the day the PASS was read; State and DaysLeft are computed on it.
	Today database.Date
}

// Holder is who a PASS belongs to.
type Holder struct {
	FirstNames, LastName string
	BirthDate            database.Date
}

// Name is "Prénom NOM".
func (h Holder) Name() string { return h.FirstNames + " " + h.LastName }

// State is the state on the day it was read.
func (p PASS) State() State { return p.StateOn(p.Today) }

// Left is the number of days left on the day it was read.
func (p PASS) Left() int { return p.DaysLeft(p.Today) }

// Spaced is the number in groups, as printed: "99999 00 00001".
func (p PASS) Spaced() string {
	if len(p.Number) != 12 {
		return p.Number
	}
	return p.Number[:5] + " " + p.Number[5:7] + " " + p.Number[7:]
}

// CurrentSuspension is the suspension running on the day read, if any.
func (p PASS) CurrentSuspension() *Suspension {
	if s, ok := p.SuspensionOn(p.Today); ok {
		return &s
	}
	return nil
}

// Pending is the pending prolongation request, if any.
func (p PASS) Pending() *Request {
	for i := range p.Asked {
		if p.Asked[i].State == RequestPending {
			return &p.Asked[i]
		}
	}
	return nil
}

// Number formats a sequence number: 99999 and 7 digits.
func Number(seq int64) string { return fmt.Sprintf("99999%07d", seq) }

// nextNumber takes the next number in the hire's transaction. The update locks the counter row
// until the transaction ends (PostgreSQL) or runs alone (SQLite), so that concurrent hires wait
// for each other here and get consecutive numbers.
func nextNumber(ctx context.Context, tx *sql.Tx) (string, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `UPDATE approval_numbers SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&n); err != nil {
		return "", fmt.Errorf("numéro de PASS IAE : %w", err)
	}
	return Number(n), nil
}

const passColumns = `a.id, a.number, a.job_seeker_id, a.start_on, a.end_on, a.diagnosis_id, a.org_id, o.name, o.kind, a.hire_start,
	a.interrupted_on, a.interruption_reason, a.created_at, j.first_names, CASE WHEN j.usage_name <> '' THEN j.usage_name ELSE j.birth_name END, j.birth_date`

const passFrom = ` FROM approvals a JOIN organisations o ON o.id = a.org_id JOIN job_seekers j ON j.id = a.job_seeker_id `

// nullDate scans a DATE that may be NULL.
type nullDate struct{ database.Date }

func (d *nullDate) Scan(src any) error {
	if src == nil {
		d.Date = database.Date{}
		return nil
	}
	return d.Date.Scan(src)
}

func scanPASS(sc interface{ Scan(...any) error }) (PASS, error) {
	var p PASS
	var diag uuid.NullUUID
	var interrupted nullDate
	var reason string
	err := sc.Scan(&p.ID, &p.Number, &p.JobSeekerID, &p.Start, &p.End, &diag, &p.OrgID, &p.OrgName, &p.OrgKind, &p.HireStart,
		&interrupted, &reason, &p.CreatedAt, &p.Holder.FirstNames, &p.Holder.LastName, &p.Holder.BirthDate)
	p.DiagnosisID, p.InterruptedOn, p.InterruptionReason, p.CreatedAt = diag.UUID, interrupted.Date, InterruptionReason(reason), p.CreatedAt.UTC()
	return p, err
}

var errNoPASS = fmt.Errorf("PASS IAE : %w", fault.NotFound)

// passes reads PASS with their suspensions, prolongations and requests.
func (s *Service) passes(ctx context.Context, q database.Querier, where string, args ...any) ([]PASS, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+passColumns+passFrom+`WHERE `+where+` ORDER BY a.end_on DESC, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("lecture des PASS IAE : %w", err)
	}
	var out []PASS
	for rows.Next() {
		p, err := scanPASS(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		p.Today = s.today()
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.details(ctx, q, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// details reads a PASS's suspensions, prolongations and prolongation requests.
func (s *Service) details(ctx context.Context, q database.Querier, p *PASS) error {
	rows, err := q.QueryContext(ctx, `SELECT id, start_on, end_on, reason, org_id, ended_by_hire FROM approval_suspensions
		WHERE approval_id = $1 ORDER BY start_on`, p.ID)
	if err != nil {
		return err
	}
	p.Suspensions = nil
	for rows.Next() {
		var x Suspension
		var reason string
		if err := rows.Scan(&x.ID, &x.Start, &x.End, &reason, &x.OrgID, &x.EndedByHire); err != nil {
			rows.Close()
			return err
		}
		x.Reason = SuspensionReason(reason)
		p.Suspensions = append(p.Suspensions, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, start_on, end_on, reason, declared_by, validated_by, report_file FROM approval_prolongations
		WHERE approval_id = $1 ORDER BY start_on`, p.ID)
	if err != nil {
		return err
	}
	p.Prolongations = nil
	for rows.Next() {
		var x Prolongation
		var reason string
		var validated, report uuid.NullUUID
		if err := rows.Scan(&x.ID, &x.Start, &x.End, &reason, &x.DeclaredBy, &validated, &report); err != nil {
			rows.Close()
			return err
		}
		x.Reason, x.ValidatedBy, x.ReportFile = ProlongationReason(reason), validated.UUID, report.UUID
		p.Prolongations = append(p.Prolongations, x)
	}
	rows.Close()
	reqs, err := s.requests(ctx, q, `r.approval_id = $1`, p.ID)
	if err != nil {
		return err
	}
	p.Asked = reqs
	return rows.Err()
}

// latest reads the person's most recent PASS (by end), if any.
func (s *Service) latest(ctx context.Context, q database.Querier, person uuid.UUID) (PASS, bool, error) {
	all, err := s.passes(ctx, q, `a.job_seeker_id = $1`, person)
	if err != nil || len(all) == 0 {
		return PASS{}, false, err
	}
	return all[0], true, nil
}

// lock reads a PASS for a change, locking its row first so that changes to one PASS run one
// after the other.
func (s *Service) lock(ctx context.Context, tx *sql.Tx, id uuid.UUID) (PASS, error) {
	res, err := tx.ExecContext(ctx, `UPDATE approvals SET updated_at = $2 WHERE id = $1`, id, s.clock.Now())
	if err != nil {
		return PASS{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return PASS{}, errNoPASS
	}
	all, err := s.passes(ctx, tx, `a.id = $1`, id)
	if err != nil {
		return PASS{}, err
	}
	return all[0], nil
}

// saveDates writes the start and end computed by the rules, after checking the end is
// start + 729 days + the suspended and prolonged days.
func (s *Service) saveDates(ctx context.Context, q database.Querier, p PASS, d Dates) error {
	if d.End != d.ComputeEnd() {
		return fmt.Errorf("fin du PASS IAE incohérente : %s au lieu de %s", d.End, d.ComputeEnd())
	}
	_, err := q.ExecContext(ctx, `UPDATE approvals SET start_on = $2, end_on = $3, updated_at = $4 WHERE id = $1`, p.ID, d.Start, d.End, s.clock.Now())
	if err != nil {
		return fmt.Errorf("dates du PASS IAE : %w", err)
	}
	return nil
}

// record writes the audit entry of a change, naming the person by pseudonym.
func (s *Service) record(ctx context.Context, q database.Querier, actor access.Actor, action string, person uuid.UUID, d map[string]string) error {
	e := audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind,
		ObjectRef: s.env.Pseudonym(audit.SubjectKind, person.String()), Outcome: audit.OutcomeOK, Details: d,
		ActorUser: nilString(actor.UserID), ActorOrg: nilString(actor.OrgID)}
	return audit.Record(ctx, q, e)
}

func nilString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// KeepsDiagnosis tells, in q, whether a running PASS was issued on a diagnosis: such a
// diagnosis stays valid while the PASS runs (eligibility.Service.SetPASSCheck).
func KeepsDiagnosis(ctx context.Context, q database.Querier, diagnosis uuid.UUID, day database.Date) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM approvals WHERE diagnosis_id = $1 AND end_on >= $2
		AND (interrupted_on IS NULL OR interrupted_on >= $2)`, diagnosis, day).Scan(&n)
	return n > 0, err
}

// Hook is the hire hook (application.Service.SetHireHook): it runs in the transaction of the
// hire. For an SIAE it refuses a person who is not eligible, reuses a PASS that can carry the
// hire, or issues a new one (or queues a manual delivery); the waiting period applies.
func (s *Service) Hook(ctx context.Context, tx *sql.Tx, h application.Hired) error {
	var kind, category string
	if err := tx.QueryRowContext(ctx, `SELECT kind, category FROM organisations WHERE id = $1`, h.Structure).Scan(&kind, &category); err != nil {
		return fmt.Errorf("structure de l'embauche : %w", err)
	}
	if category != "siae" || !slices.Contains(SIAEKinds, kind) {
		return nil
	}
	if h.Cancel {
		return s.cancel(ctx, tx, h)
	}
	if !h.Moved.IsZero() {
		return s.moveHire(ctx, tx, h)
	}
	latest, found, err := s.latest(ctx, tx, h.JobSeekerID)
	if err != nil {
		return err
	}
	if found && latest.Running(h.Today) {
		return s.reuse(ctx, tx, latest, h)
	}
	diag, byPrescriber, err := validDiagnosis(ctx, tx, h.JobSeekerID, h.Structure, h.Today)
	if err != nil {
		return err
	}
	if diag == uuid.Nil {
		return fault.Field("", "La personne n'est pas éligible à l'IAE : elle n'a ni diagnostic d'éligibilité valable dans votre structure, ni PASS IAE en cours. "+
			"Faites son diagnostic d'éligibilité (page du candidat) avant d'accepter la candidature.")
	}
	if found && InWaitingPeriod(latest.LastDay(), h.Today) && !byPrescriber &&
		!(h.SenderKind == application.SentByPrescriber && h.SenderAuthorized) {
		return fault.Field("", fmt.Sprintf("Délai de carence : le dernier PASS IAE de la personne a pris fin le %s. Un nouveau PASS IAE ne peut pas être délivré avant le %s, "+
			"sauf si la candidature ou le diagnostic d'éligibilité vient d'un prescripteur habilité.", latest.LastDay().French(), WaitingEnd(latest.LastDay()).AddDays(1).French()))
	}
	var nir, ft bool
	var noFT string
	if err := tx.QueryRowContext(ctx, `SELECT nir IS NOT NULL, ft_id IS NOT NULL, no_ft_id_reason FROM job_seekers WHERE id = $1`, h.JobSeekerID).
		Scan(&nir, &ft, &noFT); err != nil {
		return fmt.Errorf("identifiants du candidat : %w", err)
	}
	now := s.clock.Now()
	if !nir && !ft && noFT != "not_registered" {
		_, err := tx.ExecContext(ctx, `INSERT INTO approval_deliveries (id, application_id, job_seeker_id, org_id, hire_start, diagnosis_id, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)`, uuid.Must(uuid.NewV7()), h.Application, h.JobSeekerID, h.Structure, h.Start, diag, now)
		if err != nil {
			return fmt.Errorf("demande de PASS IAE : %w", err)
		}
		return s.record(ctx, tx, h.Actor, "approval.delivery_queued", h.JobSeekerID, map[string]string{"application": h.Application.String()})
	}
	_, err = s.issue(ctx, tx, h.Actor, h.JobSeekerID, h.Application, h.Structure, h.Start, diag)
	return err
}

// issue creates a PASS for a hire, with the next number.
func (s *Service) issue(ctx context.Context, tx *sql.Tx, actor access.Actor, person, app, structure uuid.UUID, start database.Date, diag uuid.UUID) (uuid.UUID, error) {
	number, err := nextNumber(ctx, tx)
	if err != nil {
		return uuid.Nil, err
	}
	id, now := uuid.Must(uuid.NewV7()), s.clock.Now()
	_, err = tx.ExecContext(ctx, `INSERT INTO approvals (id, number, job_seeker_id, start_on, end_on, diagnosis_id, org_id, hire_start, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, id, number, person, start, DefaultEnd(start), database.NullUUID(diag), structure, start, now)
	if err != nil {
		return uuid.Nil, fmt.Errorf("délivrance du PASS IAE : %w", err)
	}
	if err := s.linkHire(ctx, tx, id, app, structure, start); err != nil {
		return uuid.Nil, err
	}
	return id, s.record(ctx, tx, actor, "approval.issued", person, map[string]string{"approval": id.String(), "application": app.String()})
}

func (s *Service) linkHire(ctx context.Context, tx *sql.Tx, approval, app, structure uuid.UUID, start database.Date) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO approval_hires (approval_id, application_id, org_id, hire_start, created_at) VALUES ($1, $2, $3, $4, $5)`,
		approval, app, structure, start, s.clock.Now())
	if err != nil {
		return fmt.Errorf("embauche sur le PASS IAE : %w", err)
	}
	return nil
}

// reuse carries a new hire on a running PASS: a PASS not started moves to the hiring start and
// a running suspension ends the day before it.
func (s *Service) reuse(ctx context.Context, tx *sql.Tx, p PASS, h application.Hired) error {
	p, err := s.lock(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	next, err := ApplyHire(p.Dates, h.Start, h.Today)
	if err != nil {
		return err
	}
	if err := s.saveHire(ctx, tx, p, next); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE approvals SET org_id = $2, hire_start = $3 WHERE id = $1`, p.ID, h.Structure, h.Start); err != nil {
		return err
	}
	if err := s.linkHire(ctx, tx, p.ID, h.Application, h.Structure, h.Start); err != nil {
		return err
	}
	return s.record(ctx, tx, h.Actor, "approval.reused", h.JobSeekerID, map[string]string{"approval": p.ID.String(), "application": h.Application.String()})
}

// moveHire follows a hire whose start moved before it began: a hire waiting for staff keeps
// its new start; the PASS that carries it as its latest hire takes the new start as a new hire
// would (a PASS not started moves with it, its end follows; the contract must start by the PASS
// end); an earlier hire of the PASS only changes its line.
func (s *Service) moveHire(ctx context.Context, tx *sql.Tx, h application.Hired) error {
	if _, err := tx.ExecContext(ctx, `UPDATE approval_deliveries SET hire_start = $2 WHERE application_id = $1 AND state = 'pending'`,
		h.Application, h.Start); err != nil {
		return fmt.Errorf("demande de PASS IAE : %w", err)
	}
	var id uuid.UUID
	err := tx.QueryRowContext(ctx, `SELECT approval_id FROM approval_hires WHERE application_id = $1`, h.Application).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	p, err := s.lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE approval_hires SET hire_start = $2 WHERE application_id = $1`, h.Application, h.Start); err != nil {
		return err
	}
	if p.HireStart != h.Moved || p.OrgID != h.Structure {
		return nil
	}
	next, err := ApplyHire(p.Dates, h.Start, h.Today)
	if err != nil {
		return err
	}
	if err := s.saveHire(ctx, tx, p, next); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE approvals SET hire_start = $2 WHERE id = $1`, p.ID, h.Start); err != nil {
		return err
	}
	return s.record(ctx, tx, h.Actor, "approval.hire_moved", h.JobSeekerID, map[string]string{"approval": p.ID.String(),
		"application": h.Application.String(), "start": next.Start.String()})
}

// saveHire writes what a hire did to a PASS (ApplyHire): the suspensions it ended or removed,
// then the dates.
func (s *Service) saveHire(ctx context.Context, tx *sql.Tx, p PASS, next Dates) error {
	for _, old := range p.Suspensions {
		i := slices.IndexFunc(next.Suspensions, func(x Suspension) bool { return x.ID == old.ID })
		var err error
		switch {
		case i < 0:
			_, err = tx.ExecContext(ctx, `DELETE FROM approval_suspensions WHERE id = $1`, old.ID)
		case next.Suspensions[i].End != old.End:
			_, err = tx.ExecContext(ctx, `UPDATE approval_suspensions SET end_on = $2, ended_by_hire = TRUE WHERE id = $1`, old.ID, next.Suspensions[i].End)
		}
		if err != nil {
			return fmt.Errorf("fin de la suspension : %w", err)
		}
	}
	return s.saveDates(ctx, tx, p, next)
}

// validDiagnosis finds the diagnosis that makes the person eligible in the structure on day: an
// authorised prescriber's first, else the structure's own.
func validDiagnosis(ctx context.Context, q database.Querier, person, structure uuid.UUID, day database.Date) (uuid.UUID, bool, error) {
	var id uuid.UUID
	var kind string
	err := q.QueryRowContext(ctx, `SELECT id, author_kind FROM eligibility_diagnoses
		WHERE job_seeker_id = $1 AND made_on <= $3 AND valid_until >= $3 AND (ended_on IS NULL OR ended_on > $3)
			AND (author_kind = 'prescriber' OR author_org = $2)
		ORDER BY CASE WHEN author_kind = 'prescriber' THEN 0 ELSE 1 END, made_on DESC LIMIT 1`, person, structure, day).Scan(&id, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("diagnostic d'éligibilité : %w", err)
	}
	return id, kind == "prescriber", nil
}

// cancel undoes what a hire did: a hire waiting for staff leaves the queue; a PASS that carried
// only this hire is deleted (its number is never handed out again: the counter only grows); a
// PASS that carried others keeps them.
func (s *Service) cancel(ctx context.Context, tx *sql.Tx, h application.Hired) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM approval_deliveries WHERE application_id = $1 AND state = 'pending'`, h.Application); err != nil {
		return fmt.Errorf("annulation de la demande de PASS IAE : %w", err)
	}
	var id uuid.UUID
	err := tx.QueryRowContext(ctx, `SELECT approval_id FROM approval_hires WHERE application_id = $1`, h.Application).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var hires int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM approval_hires WHERE approval_id = $1`, id).Scan(&hires); err != nil {
		return err
	}
	query := `DELETE FROM approval_hires WHERE application_id = $1`
	arg := any(h.Application)
	if hires == 1 {
		query, arg = `DELETE FROM approvals WHERE id = $1`, id
	}
	if _, err := tx.ExecContext(ctx, query, arg); err != nil {
		return fmt.Errorf("annulation du PASS IAE : %w", err)
	}
	return s.record(ctx, tx, h.Actor, "approval.cancelled", h.JobSeekerID, map[string]string{"approval": id.String(),
		"application": h.Application.String(), "deleted": fmt.Sprint(hires == 1)})
}
