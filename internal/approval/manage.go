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
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/files"
	"parcours/internal/notify"
	"parcours/internal/org"
)

// RequestState is where a prolongation request stands.
type RequestState string

// The states.
const (
	RequestPending RequestState = "pending"
	RequestGranted RequestState = "granted"
	RequestDenied  RequestState = "denied"
)

// Label is the French wording.
func (s RequestState) Label() string {
	switch s {
	case RequestPending:
		return "En attente"
	case RequestGranted:
		return "Accordée"
	case RequestDenied:
		return "Refusée"
	}
	return string(s)
}

// DenyReason is why an authorised prescriber denies a prolongation.
type DenyReason string

// The reasons (les emplois de l'inclusion).
const (
	DenyIAE      DenyReason = "iae"
	DenySIAE     DenyReason = "siae"
	DenyDuration DenyReason = "duration"
	DenyMotive   DenyReason = "reason"
)

// DenyReasons in the order of the form.
var DenyReasons = []DenyReason{DenyIAE, DenySIAE, DenyDuration, DenyMotive}

// Label is the French wording.
func (r DenyReason) Label() string {
	switch r {
	case DenyIAE:
		return "L'IAE ne correspond plus aux besoins de la personne"
	case DenySIAE:
		return "La typologie de la structure n'est pas adaptée aux besoins de la personne"
	case DenyDuration:
		return "La durée de prolongation demandée n'est pas adaptée"
	case DenyMotive:
		return "Le motif de prolongation n'est pas adapté à la situation"
	}
	return string(r)
}

// Request is a prolongation request sent to an authorised prescriber.
type Request struct {
	ID, ApprovalID      uuid.UUID
	Reason              ProlongationReason
	Start, End          database.Date
	State               RequestState
	FromOrg, ToOrg      uuid.UUID
	FromName, ToName    string
	ReportFile          uuid.UUID
	DenyReason          DenyReason
	DecidedAt           time.Time
	CreatedAt           time.Time
	Reminders           int
	Number, JobSeekerID string
	Holder              Holder
}

// Days is the length asked.
func (r Request) Days() int { return DaysBetween(r.Start, r.End) + 1 }

func (s *Service) requests(ctx context.Context, q database.Querier, where string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.approval_id, r.reason, r.start_on, r.end_on, r.state, r.from_org, f.name, r.to_org, t.name,
			r.report_file, r.deny_reason, r.decided_at, r.created_at, r.reminders, a.number, a.job_seeker_id, j.first_names,
			CASE WHEN j.usage_name <> '' THEN j.usage_name ELSE j.birth_name END, j.birth_date
		FROM approval_prolongation_requests r JOIN organisations f ON f.id = r.from_org JOIN organisations t ON t.id = r.to_org
			JOIN approvals a ON a.id = r.approval_id JOIN job_seekers j ON j.id = a.job_seeker_id
		WHERE `+where+` ORDER BY r.created_at DESC, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("lecture des demandes de prolongation : %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var reason, state, deny string
		var report uuid.NullUUID
		var decided sql.NullTime
		var person uuid.UUID
		if err := rows.Scan(&r.ID, &r.ApprovalID, &reason, &r.Start, &r.End, &state, &r.FromOrg, &r.FromName, &r.ToOrg, &r.ToName,
			&report, &deny, &decided, &r.CreatedAt, &r.Reminders, &r.Number, &person, &r.Holder.FirstNames, &r.Holder.LastName, &r.Holder.BirthDate); err != nil {
			return nil, err
		}
		r.Reason, r.State, r.DenyReason, r.ReportFile, r.JobSeekerID = ProlongationReason(reason), RequestState(state), DenyReason(deny), report.UUID, person.String()
		if decided.Valid {
			r.DecidedAt = decided.Time.UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// manageResource is what ManageApproval decides on: the structure of the PASS's last hire.
func manageResource(ctx context.Context, q database.Querier, actor access.Actor, p PASS) (access.Resource, error) {
	r := access.Resource{Subject: p.JobSeekerID, OrgID: p.OrgID, OrgKind: p.OrgKind}
	err := q.QueryRowContext(ctx, `SELECT o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
		FROM organisations o WHERE o.id = $1`, p.OrgID, actor.UserID).Scan(&r.OrgCategory, &r.Member)
	return r, err
}

// change runs a change of a PASS by its structure: the PASS locked, the access decided.
func (s *Service) change(ctx context.Context, actor access.Actor, id uuid.UUID, fn func(tx *sql.Tx, p PASS) error) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		res, err := manageResource(ctx, tx, actor, p)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.ManageApproval, res); err != nil {
			return err
		}
		return fn(tx, p)
	})
}

// Suspend declares a suspension of a PASS (CheckSuspension); its end moves by the suspension's length.
func (s *Service) Suspend(ctx context.Context, actor access.Actor, id uuid.UUID, in SuspensionInput) error {
	return s.change(ctx, actor, id, func(tx *sql.Tx, p PASS) error {
		sus, err := CheckSuspension(p.Dates, p.OrgKind, p.HireStart, in, s.today())
		if err != nil {
			return err
		}
		sus.ID = uuid.Must(uuid.NewV7())
		next := ApplySuspension(p.Dates, sus)
		if _, err := tx.ExecContext(ctx, `INSERT INTO approval_suspensions (id, approval_id, start_on, end_on, reason, org_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sus.ID, p.ID, sus.Start, sus.End, string(sus.Reason), p.OrgID, actor.UserID, s.clock.Now()); err != nil {
			return fmt.Errorf("enregistrement de la suspension : %w", err)
		}
		if err := s.saveDates(ctx, tx, p, next); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "approval.suspended", p.JobSeekerID, map[string]string{"approval": p.ID.String(), "reason": string(sus.Reason),
			"days": fmt.Sprint(sus.Days())})
	})
}

// EndSuspension ends the running suspension today, when the person comes back before its planned
// end (a suspension that starts today disappears).
func (s *Service) EndSuspension(ctx context.Context, actor access.Actor, id uuid.UUID) error {
	return s.change(ctx, actor, id, func(tx *sql.Tx, p PASS) error {
		today := s.today()
		cur, ok := p.SuspensionOn(today)
		if !ok {
			return fault.Field("", "Ce PASS IAE n'est pas suspendu.")
		}
		next := p.Dates
		next.Suspensions = slices.DeleteFunc(slices.Clone(p.Suspensions), func(x Suspension) bool { return x.ID == cur.ID })
		var err error
		if cur.Start == today {
			_, err = tx.ExecContext(ctx, `DELETE FROM approval_suspensions WHERE id = $1`, cur.ID)
		} else {
			cur.End = today.AddDays(-1)
			next.Suspensions = append(next.Suspensions, cur)
			_, err = tx.ExecContext(ctx, `UPDATE approval_suspensions SET end_on = $2 WHERE id = $1`, cur.ID, cur.End)
		}
		if err != nil {
			return err
		}
		next.Recompute()
		if err := s.saveDates(ctx, tx, p, next); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "approval.suspension_ended", p.JobSeekerID, map[string]string{"approval": p.ID.String()})
	})
}

// ReportRules are the rules of a prolongation's report file: one PDF of at most 1 MB.
func ReportRules() files.Rules {
	return files.Rules{Field: "report", Formats: []files.Format{files.PDF}, MaxSize: 1 << 20}
}

// ProlongInput is what the prolongation form sends.
type ProlongInput struct {
	ProlongationInput
	// Prescriber is the authorised prescriber organisation asked, for the reasons that need one.
	Prescriber uuid.UUID
	// ReportUpload, when given, was accepted by ReportRules (files.Service.Accept).
	ReportUpload *files.Upload
}

// Prolong prolongs a PASS: declared directly by the structure for a CDI with a person aged 57 or
// more and for a training to complete; otherwise a request to the authorised prescriber named,
// who decides (Decide). Returns the request's id for a request, uuid.Nil otherwise.
func (s *Service) Prolong(ctx context.Context, actor access.Actor, id uuid.UUID, in ProlongInput) (uuid.UUID, error) {
	in.Report = in.ReportUpload != nil
	var out uuid.UUID
	err := s.change(ctx, actor, id, func(tx *sql.Tx, p PASS) error {
		if p.Pending() != nil {
			return fault.Field("", "Une demande de prolongation attend déjà la décision d'un prescripteur habilité.")
		}
		latest, _, err := s.latest(ctx, tx, p.JobSeekerID)
		if err != nil {
			return err
		}
		if latest.ID != p.ID {
			return fault.Field("", "Seul le dernier PASS IAE de la personne peut être prolongé.")
		}
		pro, err := CheckProlongation(p.Dates, p.OrgKind, in.ProlongationInput, s.today())
		rule, _ := RuleOf(in.Reason)
		if rule.Prescriber {
			f := fault.FieldsOf(err)
			if f == nil && err != nil {
				return err
			}
			if f == nil {
				f = fault.Fields{}
			}
			if _, err := authorisedPrescriber(ctx, tx, in.Prescriber); err != nil {
				f.Add("prescriber", "Choisissez l'organisation de prescripteurs habilités qui décidera de la prolongation.")
			}
			err = f.Err()
		}
		if err != nil {
			return err
		}
		var report uuid.UUID
		if in.ReportUpload != nil {
			info, err := s.files.Put(ctx, tx, actor, files.NewFile{Subject: subject(p.JobSeekerID), Kind: "prolongation_report", Upload: *in.ReportUpload})
			if err != nil {
				return err
			}
			report = info.ID
		}
		now := s.clock.Now()
		if rule.Prescriber {
			out = uuid.Must(uuid.NewV7())
			_, err := tx.ExecContext(ctx, `INSERT INTO approval_prolongation_requests (id, approval_id, reason, start_on, end_on, state, from_org, from_user,
				to_org, report_file, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10)`,
				out, p.ID, string(pro.Reason), pro.Start, pro.End, p.OrgID, actor.UserID, in.Prescriber, database.NullUUID(report), now)
			if database.IsUniqueViolation(err) {
				return fault.Field("", "Une demande de prolongation attend déjà la décision d'un prescripteur habilité.")
			}
			if err != nil {
				return fmt.Errorf("demande de prolongation : %w", err)
			}
			if err := s.notifyRequest(ctx, tx, in.Prescriber, p.OrgName, out, false); err != nil {
				return err
			}
			return s.record(ctx, tx, actor, "approval.prolongation_requested", p.JobSeekerID, map[string]string{"approval": p.ID.String(),
				"reason": string(pro.Reason), "days": fmt.Sprint(pro.Days())})
		}
		pro.ID, pro.DeclaredBy, pro.ReportFile = uuid.Must(uuid.NewV7()), p.OrgID, report
		if err := s.insertProlongation(ctx, tx, actor, p, pro, uuid.Nil); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "approval.prolonged", p.JobSeekerID, map[string]string{"approval": p.ID.String(),
			"reason": string(pro.Reason), "days": fmt.Sprint(pro.Days())})
	})
	return out, err
}

func subject(person uuid.UUID) string { return "jobseeker:" + person.String() }

func (s *Service) insertProlongation(ctx context.Context, tx *sql.Tx, actor access.Actor, p PASS, pro Prolongation, request uuid.UUID) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO approval_prolongations (id, approval_id, start_on, end_on, reason, declared_by, validated_by, request_id,
		report_file, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		pro.ID, p.ID, pro.Start, pro.End, string(pro.Reason), pro.DeclaredBy, database.NullUUID(pro.ValidatedBy), database.NullUUID(request),
		database.NullUUID(pro.ReportFile), database.NullUUID(actor.UserID), s.clock.Now())
	if err != nil {
		return fmt.Errorf("enregistrement de la prolongation : %w", err)
	}
	return s.saveDates(ctx, tx, p, ApplyProlongation(p.Dates, pro))
}

// authorisedPrescriber checks that an organisation is a habilitated prescriber and returns its name.
func authorisedPrescriber(ctx context.Context, q database.Querier, id uuid.UUID) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1 AND category = 'prescriber' AND habilitation = $2`,
		id, string(org.Validated)).Scan(&name)
	return name, err
}

// notifyRequest tells the members of the prescriber organisation asked (at most 10) about a
// request, or reminds them of it.
func (s *Service) notifyRequest(ctx context.Context, q database.Querier, to uuid.UUID, structure string, request uuid.UUID, reminder bool) error {
	members, err := org.Recipients(ctx, q, to, notify.KindProlongationRequest, false)
	if err != nil {
		return fmt.Errorf("destinataires de la demande : %w", err)
	}
	for i, m := range members {
		if i == 10 {
			break
		}
		if err := s.outbox.Enqueue(ctx, q, s.clock.Now(), notify.Message{To: m.Email, Kind: notify.KindProlongationRequest,
			Data: notify.ProlongationRequest{FirstName: m.FirstName, Structure: structure, Link: s.baseURL + "/prolongations/" + request.String(), Reminder: reminder}}); err != nil {
			return err
		}
	}
	return nil
}

// Decide grants or denies a prolongation request (the authorised prescriber asked). A grant adds
// the prolongation and moves the PASS end; a denial needs its reason.
func (s *Service) Decide(ctx context.Context, actor access.Actor, request uuid.UUID, grant bool, reason DenyReason) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		reqs, err := s.requests(ctx, tx, `r.id = $1`, request)
		if err != nil {
			return err
		}
		if len(reqs) == 0 {
			return fmt.Errorf("demande de prolongation : %w", fault.NotFound)
		}
		r := reqs[0]
		res := access.Resource{OrgID: r.ToOrg, Subject: uuid.MustParse(r.JobSeekerID)}
		if err := tx.QueryRowContext(ctx, `SELECT o.category, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2 AND m.is_active)
			FROM organisations o WHERE o.id = $1`, r.ToOrg, actor.UserID).Scan(&res.OrgCategory, &res.Member); err != nil {
			return err
		}
		if err := access.Can(actor, access.DecideProlongation, res); err != nil {
			return err
		}
		if r.State != RequestPending {
			return fmt.Errorf("cette demande a déjà été décidée : %w", fault.Conflict)
		}
		if !grant && !slices.Contains(DenyReasons, reason) {
			return fault.Field("deny_reason", "Choisissez le motif du refus.")
		}
		p, err := s.lock(ctx, tx, r.ApprovalID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		state, deny := RequestGranted, ""
		if !grant {
			state, deny = RequestDenied, string(reason)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE approval_prolongation_requests SET state = $2, deny_reason = $3, decided_by = $4, decided_at = $5
			WHERE id = $1 AND state = 'pending'`, r.ID, string(state), deny, actor.UserID, now); err != nil {
			return fmt.Errorf("décision sur la prolongation : %w", err)
		}
		if grant {
			// The PASS may have moved since the request (a suspension): the prolongation keeps its
			// length and starts the day after the current end.
			pro := Prolongation{ID: uuid.Must(uuid.NewV7()), Start: p.End.AddDays(1), Reason: r.Reason, DeclaredBy: r.FromOrg, ValidatedBy: r.ToOrg,
				ReportFile: r.ReportFile}
			pro.End = pro.Start.AddDays(r.Days() - 1)
			if err := s.insertProlongation(ctx, tx, actor, p, pro, r.ID); err != nil {
				return err
			}
		}
		action := "approval.prolongation_granted"
		if !grant {
			action = "approval.prolongation_denied"
		}
		return s.record(ctx, tx, actor, action, p.JobSeekerID, map[string]string{"approval": p.ID.String(),
			"request": r.ID.String(), "deny_reason": deny})
	})
}

// Interrupt ends a parcours today, for a reason: allowed to the structure after 12 consecutive
// months of suspension (R5132-1-3).
func (s *Service) Interrupt(ctx context.Context, actor access.Actor, id uuid.UUID, reason InterruptionReason) error {
	return s.change(ctx, actor, id, func(tx *sql.Tx, p PASS) error {
		today := s.today()
		if err := CheckInterruption(p.Dates, reason, today); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE approvals SET interrupted_on = $2, interruption_reason = $3 WHERE id = $1`, p.ID, today, string(reason)); err != nil {
			return fmt.Errorf("interruption du parcours : %w", err)
		}
		return s.record(ctx, tx, actor, "approval.interrupted", p.JobSeekerID, map[string]string{"approval": p.ID.String(), "reason": string(reason)})
	})
}

// Delivery is a hire waiting for a PASS delivered by hand.
type Delivery struct {
	ID, ApplicationID, JobSeekerID uuid.UUID
	OrgName                        string
	HireStart                      database.Date
	Holder                         Holder
	CreatedAt                      time.Time
}

// Deliveries lists the hires waiting for a PASS delivered by staff, oldest first.
func (s *Service) Deliveries(ctx context.Context, actor access.Actor) ([]Delivery, error) {
	return access.Read(ctx, s.guard, actor, access.Request{Action: access.DeliverApproval, Purpose: access.PurposeIAERecruitment, What: "approval.deliveries"},
		func(context.Context, database.Querier) (access.Resource, error) { return access.Resource{}, nil },
		func(ctx context.Context, q database.Querier) ([]Delivery, error) {
			rows, err := q.QueryContext(ctx, `SELECT d.id, d.application_id, d.job_seeker_id, o.name, d.hire_start, j.first_names,
					CASE WHEN j.usage_name <> '' THEN j.usage_name ELSE j.birth_name END, j.birth_date, d.created_at
				FROM approval_deliveries d JOIN organisations o ON o.id = d.org_id JOIN job_seekers j ON j.id = d.job_seeker_id
				WHERE d.state = 'pending' ORDER BY d.created_at, d.id`)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []Delivery
			for rows.Next() {
				var d Delivery
				if err := rows.Scan(&d.ID, &d.ApplicationID, &d.JobSeekerID, &d.OrgName, &d.HireStart, &d.Holder.FirstNames, &d.Holder.LastName,
					&d.Holder.BirthDate, &d.CreatedAt); err != nil {
					return nil, err
				}
				out = append(out, d)
			}
			return out, rows.Err()
		})
}

// Deliver issues by hand the PASS of a hire in the queue, once staff checked the person's identity.
func (s *Service) Deliver(ctx context.Context, actor access.Actor, id uuid.UUID) (uuid.UUID, error) {
	if err := access.Can(actor, access.DeliverApproval, access.Resource{}); err != nil {
		return uuid.Nil, err
	}
	var out uuid.UUID
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		var app, person, structure uuid.UUID
		var diag uuid.NullUUID
		var start database.Date
		err := tx.QueryRowContext(ctx, `SELECT application_id, job_seeker_id, org_id, hire_start, diagnosis_id FROM approval_deliveries
			WHERE id = $1 AND state = 'pending'`, id).Scan(&app, &person, &structure, &start, &diag)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("demande de PASS IAE : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		if out, err = s.issue(ctx, tx, actor, person, app, structure, start, diag.UUID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE approval_deliveries SET state = 'delivered', approval_id = $2, decided_by = $3, decided_at = $4 WHERE id = $1`,
			id, out, actor.UserID, s.clock.Now())
		return err
	})
	return out, err
}

// Remind sends the reminders due now: a pending request gets one 10, 20 and 30 days after it was
// sent. Returns how many requests were reminded.
func (s *Service) Remind(ctx context.Context) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		now := s.clock.Now()
		rows, err := tx.QueryContext(ctx, `SELECT r.id, r.to_org, f.name, r.created_at, r.reminders FROM approval_prolongation_requests r
			JOIN organisations f ON f.id = r.from_org WHERE r.state = 'pending' AND r.reminders < 3`)
		if err != nil {
			return err
		}
		type due struct {
			id, to    uuid.UUID
			structure string
		}
		var list []due
		for rows.Next() {
			var d due
			var created time.Time
			var sent int
			if err := rows.Scan(&d.id, &d.to, &d.structure, &created, &sent); err != nil {
				rows.Close()
				return err
			}
			if ReminderDue(created, sent, now) {
				list = append(list, d)
			}
		}
		rows.Close()
		for _, d := range list {
			if err := s.notifyRequest(ctx, tx, d.to, d.structure, d.id, true); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE approval_prolongation_requests SET reminders = reminders + 1, last_reminder_at = $2 WHERE id = $1`,
				d.id, now); err != nil {
				return err
			}
			n++
		}
		return rows.Err()
	})
	return n, err
}

// ReminderDue tells whether a request sent at created, reminded sent times, is due another
// reminder at now: after 10, 20 and 30 days.
func ReminderDue(created time.Time, sent int, now time.Time) bool {
	return sent < 3 && !now.Before(created.Add(time.Duration(sent+1)*10*24*time.Hour))
}

// Earlier is a PASS IAE issued before the platform knew the person (an agrément delivered on
// paper), which staff register so that its rules apply from now on.
type Earlier struct {
	JobSeekerID, OrgID uuid.UUID
	Start              database.Date
}

// Register records an earlier PASS, numbered from the sequence, managed by the structure named.
func (s *Service) Register(ctx context.Context, actor access.Actor, in Earlier) (uuid.UUID, error) {
	if err := access.Can(actor, access.DeliverApproval, access.Resource{}); err != nil {
		return uuid.Nil, err
	}
	if in.Start.IsZero() || in.Start.After(s.today()) {
		return uuid.Nil, fault.Field("start", "Indiquez le début du PASS IAE, aujourd'hui au plus tard.")
	}
	id := uuid.Must(uuid.NewV7())
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		var kind, category string
		if err := tx.QueryRowContext(ctx, `SELECT kind, category FROM organisations WHERE id = $1`, in.OrgID).Scan(&kind, &category); err != nil {
			return fmt.Errorf("structure : %w", err)
		}
		if category != "siae" || !slices.Contains(SIAEKinds, kind) {
			return fault.Field("org", "Choisissez une structure d'insertion par l'activité économique.")
		}
		number, err := nextNumber(ctx, tx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (id, number, job_seeker_id, start_on, end_on, org_id, hire_start, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $4, $7, $7)`, id, number, in.JobSeekerID, in.Start, DefaultEnd(in.Start), in.OrgID, now); err != nil {
			return fmt.Errorf("enregistrement du PASS IAE : %w", err)
		}
		return s.record(ctx, tx, actor, "approval.registered", in.JobSeekerID, map[string]string{"approval": id.String()})
	})
	return id, err
}
