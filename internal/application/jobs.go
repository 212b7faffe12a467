package application

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/jobs"
	"parcours/internal/notify"
)

// The periods of the automatic work (les emplois de l'inclusion §2.5), in calendar days.
const (
	AutoRefuseDays = 60
	ArchiveDays    = 180
	// batch is how many applications one transaction moves: short transactions keep the pages
	// responsive while the jobs go through a national table.
	batch = 500
)

// AutoRefuseJob refuses, every morning, the applications left untouched 60 days in new or
// processing (reason "auto"), and tells each person once for all of theirs.
func (s *Service) AutoRefuseJob() jobs.Job {
	return jobs.Job{Name: "application.auto_refuse", Daily: "05:00", Timeout: 30 * time.Minute, Run: s.RefuseUntouched}
}

// ArchiveJob archives, every morning, the applications untouched for 180 days (never the
// accepted ones nor those before a hire).
func (s *Service) ArchiveJob() jobs.Job {
	return jobs.Job{Name: "application.archive", Daily: "05:30", Timeout: 30 * time.Minute, Run: s.ArchiveUntouched}
}

// untouchedBefore is the instant before which an application last changed N days ago or more
// (Paris days: changed on day D, it is due on day D+N).
func untouchedBefore(now time.Time, days int) time.Time {
	today := clock.DateOf(now)
	start := today.AddDate(0, 0, -days+1)
	return time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, clock.Paris).UTC()
}

// RefuseUntouched is the run of AutoRefuseJob. It is idempotent: a refused application is no
// longer selected, and one moved meanwhile is left alone (the UPDATE checks state and date).
func (s *Service) RefuseUntouched(ctx context.Context) (jobs.Result, error) {
	bound := untouchedBefore(s.clock.Now(), AutoRefuseDays)
	res := jobs.Result{"refused": 0, "mails": 0}
	for {
		n, mails, err := s.refuseBatch(ctx, bound)
		if err != nil {
			return res, err
		}
		res["refused"] += n
		res["mails"] += mails
		if n < batch {
			return res, nil
		}
	}
}

func (s *Service) refuseBatch(ctx context.Context, bound time.Time) (refused, mails int, err error) {
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		// Each batch is dated when it commits: a long run must not write entries dated from its
		// start (audit verify reports entries older than those sealed before them).
		now := s.clock.Now()
		refused, mails = 0, 0
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.job_seeker_id, a.state, o.name FROM applications a JOIN organisations o ON o.id = a.to_org
			WHERE a.state IN ('new', 'processing') AND a.updated_at < $1 ORDER BY a.updated_at, a.id LIMIT $2`, bound, batch)
		if err != nil {
			return fmt.Errorf("candidatures sans réponse : %w", err)
		}
		type due struct {
			id, person uuid.UUID
			state      State
			structure  string
		}
		var list []due
		for rows.Next() {
			var d due
			var st string
			if err := rows.Scan(&d.id, &d.person, &st, &d.structure); err != nil {
				rows.Close()
				return err
			}
			d.state = State(st)
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		byPerson := map[uuid.UUID][]string{}
		for _, d := range list {
			r, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'refused', refusal_reason = 'auto', processed_at = $3, updated_at = $3,
				archived_at = NULL WHERE id = $1 AND state = $2 AND updated_at < $4`, d.id, string(d.state), now, bound)
			if err != nil {
				return fmt.Errorf("refus automatique : %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				continue
			}
			if err := s.recordTransition(ctx, tx, d.id, Refuse, d.state, Refused, access.Actor{}, uuid.Nil, now); err != nil {
				return err
			}
			byPerson[d.person] = append(byPerson[d.person], d.structure)
			refused++
		}
		persons := make([]uuid.UUID, 0, len(byPerson))
		for p := range byPerson {
			persons = append(persons, p)
		}
		sort.Slice(persons, func(i, j int) bool { return persons[i].String() < persons[j].String() })
		for _, p := range persons {
			sent, err := s.tellAutoRefusal(ctx, tx, p, byPerson[p], now)
			if err != nil {
				return err
			}
			if sent {
				mails++
			}
		}
		if refused == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, Action: "application.auto_refused", ObjectType: "batch", Outcome: audit.OutcomeOK,
			Details: map[string]string{"count": fmt.Sprint(refused)}})
	})
	return refused, mails, err
}

// tellAutoRefusal sends a person one mail for all their applications refused in a run.
func (s *Service) tellAutoRefusal(ctx context.Context, q database.Querier, person uuid.UUID, structures []string, now time.Time) (bool, error) {
	var email, first string
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(j.email, u.email, ''), j.first_names FROM job_seekers j LEFT JOIN users u ON u.id = j.user_id
		WHERE j.id = $1`, person).Scan(&email, &first); err != nil {
		return false, err
	}
	if email == "" {
		return false, nil
	}
	sort.Strings(structures)
	paragraphs := []string{fmt.Sprintf("Sans réponse depuis %d jours, votre candidature est close. Vous pouvez postuler ailleurs, ou de nouveau auprès de la même structure.", AutoRefuseDays)}
	name := structures[0]
	if len(structures) > 1 {
		name = fmt.Sprintf("%d structures", len(structures))
		paragraphs = []string{fmt.Sprintf("Sans réponse depuis %d jours, vos candidatures auprès de %s sont closes. Vous pouvez postuler ailleurs, ou de nouveau auprès des mêmes structures.",
			AutoRefuseDays, strings.Join(structures, ", "))}
	}
	return true, s.outbox.Enqueue(ctx, q, now, notify.Message{To: email, Kind: notify.KindApplicationUpdate, Data: notify.ApplicationUpdate{
		FirstName: strings.Fields(first + " ")[0], Structure: name, Paragraphs: paragraphs, Link: s.baseURL + "/candidatures"}})
}

// ArchiveUntouched is the run of ArchiveJob, in batches; idempotent.
func (s *Service) ArchiveUntouched(ctx context.Context) (jobs.Result, error) {
	bound := untouchedBefore(s.clock.Now(), ArchiveDays)
	res := jobs.Result{"archived": 0}
	for {
		var n int64
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			now := s.clock.Now()
			r, err := tx.ExecContext(ctx, `UPDATE applications SET archived_at = $1 WHERE id IN (
				SELECT id FROM applications WHERE archived_at IS NULL AND updated_at < $2
				AND state IN ('new', 'processing', 'postponed', 'refused', 'cancelled', 'obsolete')
				ORDER BY updated_at, id LIMIT $3)`, now, bound, batch)
			if err != nil {
				return fmt.Errorf("archivage des candidatures : %w", err)
			}
			n, _ = r.RowsAffected()
			return nil
		})
		if err != nil {
			return res, err
		}
		res["archived"] += int(n)
		if n < batch {
			return res, nil
		}
	}
}
