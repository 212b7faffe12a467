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
)

// RetentionMonths is how long health data and documents are kept after the end of the RQTH
// validity or after the de-registration as a job seeker, whichever comes first (D5312-54).
const RetentionMonths = 6

// AddMonths adds n calendar months to d, keeping the day of the month or, when the target month
// is shorter, its last day: 31 August plus 6 months is the last day of February.
func AddMonths(d database.Date, n int) database.Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return database.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// PurgeOn is the day from which a record's health data and documents must be gone: 6 months
// after the end of the title's validity, and in every case 6 months after de-registration,
// whichever comes first (D5312-54). It is zero while neither is known (a title without time
// limit, or none yet, and a person still registered).
func PurgeOn(t Title, deregisteredOn database.Date) database.Date {
	var out database.Date
	if t.Category != "" && !t.Unlimited && !t.ValidUntil.IsZero() {
		out = AddMonths(t.ValidUntil, RetentionMonths)
	}
	if !deregisteredOn.IsZero() {
		if d := AddMonths(deregisteredOn, RetentionMonths); out.IsZero() || d.Before(out) {
			out = d
		}
	}
	return out
}

// Due tells whether a record must be purged today: its purge day has come and no litigation
// holds it (D5312-54: the periods are extended while a dispute runs).
func Due(purgeOn, today database.Date, hold bool) bool {
	return !purgeOn.IsZero() && !hold && !today.Before(purgeOn)
}

// PurgeReport counts what a purge did; it never names anyone.
type PurgeReport struct {
	// Purged counts the records erased.
	Purged int
	// Held counts the records due but kept by a litigation hold.
	Held int
}

// Purge erases every record due today (see Due), each in its own transaction with its audit
// entry. It is idempotent: a record erased is gone, and a second run finds nothing.
func (s *Service) Purge(ctx context.Context) (PurgeReport, error) {
	today := s.today()
	var rep PurgeReport
	var due []uuid.UUID
	err := func() error {
		rows, err := s.db.Reader().QueryContext(ctx, `SELECT job_seeker_id, litigation_hold FROM support_records
			WHERE purge_on IS NOT NULL AND purge_on <= $1 ORDER BY purge_on, id`, today)
		if err != nil {
			return fmt.Errorf("dossiers à purger : %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			var hold bool
			if err := rows.Scan(&id, &hold); err != nil {
				return err
			}
			if hold {
				rep.Held++
				continue
			}
			due = append(due, id)
		}
		return rows.Err()
	}()
	if err != nil {
		return rep, err
	}
	for _, person := range due {
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			// Checked again in the transaction: a hold may have been set meanwhile.
			var purgeOn database.Date
			var hold bool
			err := tx.QueryRowContext(ctx, `SELECT purge_on, litigation_hold FROM support_records WHERE job_seeker_id = $1`, person).Scan(&purgeOn, &hold)
			if err == sql.ErrNoRows {
				return nil
			}
			if err != nil {
				return err
			}
			if !Due(purgeOn, today, hold) {
				return nil
			}
			if err := s.erase(ctx, tx, person, "support.purged"); err != nil {
				return err
			}
			rep.Purged++
			return nil
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// PurgeJob is the daily retention job; it reports counts only.
func (s *Service) PurgeJob() jobs.Job {
	return jobs.Job{Name: "support.retention", Daily: "04:15", Timeout: time.Hour, Run: func(ctx context.Context) (jobs.Result, error) {
		rep, err := s.Purge(ctx)
		return jobs.Result{"purged": rep.Purged, "held": rep.Held}, err
	}}
}

// Erase erases a person's support data in q, the transaction that erases the person: the
// record and everything attached to it, the documents, and the record's data key
// (crypto-shredding), so that copies in backups become unreadable too. A person without a
// record is not an error.
func (s *Service) Erase(ctx context.Context, q database.Querier, person uuid.UUID) error {
	return s.erase(ctx, q, person, "support.erased")
}

func (s *Service) erase(ctx context.Context, q database.Querier, person uuid.UUID, action string) error {
	var id uuid.UUID
	err := q.QueryRowContext(ctx, `SELECT id FROM support_records WHERE job_seeker_id = $1`, person).Scan(&id)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dossier d'accompagnement : %w", err)
	}
	for _, table := range []string{"support_requests", "support_emergency_accesses", "support_caseload",
		"support_plan_versions", "support_plan_due"} {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE record_id = $1`, id); err != nil {
			return fmt.Errorf("effacement (%s) : %w", table, err)
		}
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM support_records WHERE id = $1`, id); err != nil {
		return fmt.Errorf("effacement du dossier : %w", err)
	}
	files := 0
	if s.files != nil {
		if files, err = s.files.PurgeSubject(ctx, q, subject(id)); err != nil {
			return err
		}
	}
	if err := s.env.Shred(ctx, q, subject(id)); err != nil {
		return err
	}
	return audit.Record(ctx, q, audit.Event{OccurredAt: s.clock.Now(), Action: action, ObjectType: audit.SubjectKind,
		ObjectRef: s.journal.SubjectRef(person), Outcome: audit.OutcomeOK,
		Details: map[string]string{"record": id.String(), "files": fmt.Sprint(files)}})
}
