package support

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/jobs"
	"parcours/internal/notify"
	"parcours/internal/org"
)

// RemindReport counts what a reminder run did; it never names anyone.
type RemindReport struct {
	// Items counts the overdue actions and reviews reminded.
	Items int
	// Mails counts the messages queued.
	Mails int
}

// RemindOverdue tells the referent advisor of each running support (not restricted) about
// every action or review of its plan that is overdue, once per item and due date: the item is
// marked in the transaction that queues the message, so that a second run, even concurrent,
// sends nothing more. The message names no one and links to the advisor's caseload on
// baseURL. Each item commits with its audit entry.
func (s *Service) RemindOverdue(ctx context.Context, baseURL string) (RemindReport, error) {
	today := s.today()
	var rep RemindReport
	type due struct {
		record, person uuid.UUID
		item, kind     string
		on             database.Date
	}
	var list []due
	err := func() error {
		rows, err := s.db.Reader().QueryContext(ctx, `SELECT d.record_id, r.job_seeker_id, d.item, d.kind, d.due_on
			FROM support_plan_due d JOIN support_records r ON r.id = d.record_id
			WHERE NOT d.settled AND d.due_on < $1 AND (d.reminded_due IS NULL OR d.reminded_due <> d.due_on)
				AND r.ended_on IS NULL AND r.restricted_at IS NULL
			ORDER BY d.due_on, d.record_id, d.item`, today)
		if err != nil {
			return fmt.Errorf("plans en retard : %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.record, &d.person, &d.item, &d.kind, &d.on); err != nil {
				return err
			}
			list = append(list, d)
		}
		return rows.Err()
	}()
	if err != nil {
		return rep, err
	}
	outbox := notify.Outbox{Envelope: s.env}
	for _, d := range list {
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE support_plan_due SET reminded_due = due_on
				WHERE record_id = $1 AND item = $2 AND due_on = $3 AND NOT settled AND (reminded_due IS NULL OR reminded_due <> due_on)`,
				d.record, d.item, d.on)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // reminded meanwhile, or changed
			}
			mails, err := s.remindReferents(ctx, tx, outbox, d.record, baseURL, d.kind == "review", today)
			if err != nil {
				return err
			}
			rep.Items++
			rep.Mails += mails
			return audit.Record(ctx, tx, audit.Event{OccurredAt: s.clock.Now(), Action: "support.plan_reminded", ObjectType: audit.SubjectKind,
				ObjectRef: s.journal.SubjectRef(d.person), Outcome: audit.OutcomeOK,
				Details: map[string]string{"record": d.record.String(), "kind": d.kind, "mails": fmt.Sprint(mails)}})
		})
		if err != nil {
			return rep, fmt.Errorf("rappel d'un plan en retard : %w", err)
		}
	}
	return rep, nil
}

// remindReferents queues the reminder to the referent advisors of the record's caseload who
// still hold the habilitation and are active members of their organisation.
func (s *Service) remindReferents(ctx context.Context, tx *sql.Tx, outbox notify.Outbox, record uuid.UUID, baseURL string, review bool, today database.Date) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.org_id, c.referent_user FROM support_caseload c
		JOIN support_habilitations h ON h.org_id = c.org_id AND h.user_id = c.referent_user AND h.withdrawn_at IS NULL
		WHERE c.record_id = $1 AND c.referent_user IS NOT NULL AND (c.ended_on IS NULL OR c.ended_on >= $2)`, record, today)
	if err != nil {
		return 0, err
	}
	type referent struct{ org, user uuid.UUID }
	var refs []referent
	for rows.Next() {
		var r referent
		if err := rows.Scan(&r.org, &r.user); err != nil {
			rows.Close()
			return 0, err
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range refs {
		members, err := org.Recipients(ctx, tx, r.org, notify.KindSupportPlanOverdue, false)
		if err != nil {
			return 0, err
		}
		for _, m := range members {
			if m.UserID != r.user {
				continue
			}
			if err := outbox.Enqueue(ctx, tx, s.clock.Now(), notify.Message{To: m.Email, Kind: notify.KindSupportPlanOverdue,
				Data: notify.SupportPlanOverdue{FirstName: m.FirstName, Link: baseURL + "/accompagnement", Review: review}}); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// PlanReminderJob is the daily job that reminds the referents of overdue plans; it reports
// counts only.
func (s *Service) PlanReminderJob(baseURL string) jobs.Job {
	return jobs.Job{Name: "support.plan_reminders", Daily: "08:15", Timeout: 30 * time.Minute, Run: func(ctx context.Context) (jobs.Result, error) {
		rep, err := s.RemindOverdue(ctx, baseURL)
		return jobs.Result{"items": rep.Items, "mails": rep.Mails}, err
	}}
}
