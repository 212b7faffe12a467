package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
)

// Outcome is the state of a run.
type Outcome string

// The outcomes of a run.
const (
	Running   Outcome = "running"
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
)

// claim is a run this instance won the right to execute.
type claim struct {
	id      string
	slot    time.Time
	slotEnd time.Time
	attempt int
	manual  bool
}

// abandoned is recorded on a run whose instance stopped before finishing it (its lease
// expired) when the slot it belonged to is over.
const abandoned = "bail expiré : l'instance s'est arrêtée pendant l'exécution"

type runRow struct {
	id         string
	slot       time.Time
	manual     bool
	outcome    Outcome
	attempt    int
	leaseUntil time.Time
	retryAt    sql.NullTime
}

// claim decides whether this instance runs j now and, if so, records the claim. Reads are only
// a shortcut: every claim is an INSERT that the unique index arbitrates or an UPDATE that
// compares the attempt it saw, so two instances racing here never both win.
func (r *Runner) claim(ctx context.Context, j *registered, now time.Time) (claim, bool, error) {
	start, end := j.schedule.slot(now)
	rows, err := r.db.Reader().QueryContext(ctx, `SELECT id, slot, manual, outcome, attempt, lease_until, retry_at
		FROM job_runs WHERE job = $1 AND ((slot = $2 AND NOT manual) OR outcome = 'running')`, j.Name, start)
	if err != nil {
		return claim{}, false, fmt.Errorf("tâche %s : lecture des exécutions : %w", j.Name, err)
	}
	var current *runRow
	var expired []runRow
	live := false
	for rows.Next() {
		var row runRow
		if err := rows.Scan(&row.id, &row.slot, &row.manual, &row.outcome, &row.attempt, &row.leaseUntil, &row.retryAt); err != nil {
			rows.Close()
			return claim{}, false, fmt.Errorf("tâche %s : lecture des exécutions : %w", j.Name, err)
		}
		isCurrent := !row.manual && row.slot.Equal(start)
		if row.outcome == Running {
			if row.leaseUntil.After(now) {
				live = true
			} else if !isCurrent {
				expired = append(expired, row)
			}
		}
		if isCurrent {
			current = &row
		}
	}
	if err := rows.Close(); err != nil {
		return claim{}, false, fmt.Errorf("tâche %s : lecture des exécutions : %w", j.Name, err)
	}
	if err := rows.Err(); err != nil {
		return claim{}, false, fmt.Errorf("tâche %s : lecture des exécutions : %w", j.Name, err)
	}
	for _, row := range expired {
		if err := r.abandon(ctx, row, now); err != nil {
			return claim{}, false, err
		}
	}
	if live {
		return claim{}, false, nil
	}
	c := claim{slot: start, slotEnd: end}
	lease := now.Add(j.Timeout + leaseGrace)
	if current == nil {
		id, err := uuid.NewV7()
		if err != nil {
			return claim{}, false, fmt.Errorf("tâche %s : identifiant : %w", j.Name, err)
		}
		res, err := r.db.Writer().ExecContext(ctx, `INSERT INTO job_runs
			(id, job, slot, manual, claimed_by, attempt, started_at, lease_until, outcome)
			VALUES ($1, $2, $3, FALSE, $4, 1, $5, $6, 'running') ON CONFLICT DO NOTHING`,
			id.String(), j.Name, start, r.instance, now, lease)
		if err != nil {
			return claim{}, false, fmt.Errorf("tâche %s : réservation du créneau : %w", j.Name, err)
		}
		if won, err := affectedOne(res); !won {
			return claim{}, false, err
		}
		c.id, c.attempt = id.String(), 1
		return c, true, nil
	}
	retryDue := current.outcome == Failed && current.retryAt.Valid && !current.retryAt.Time.After(now) &&
		current.attempt < j.MaxAttempts
	takeover := current.outcome == Running // its lease expired, or live would be set
	if !retryDue && !takeover {
		return claim{}, false, nil
	}
	res, err := r.db.Writer().ExecContext(ctx, `UPDATE job_runs
		SET claimed_by = $2, attempt = attempt + 1, started_at = $3, lease_until = $4,
			outcome = 'running', finished_at = NULL, retry_at = NULL
		WHERE id = $1 AND attempt = $5
			AND ((outcome = 'running' AND lease_until <= $3) OR (outcome = 'failed' AND retry_at <= $3))`,
		current.id, r.instance, now, lease, current.attempt)
	if err != nil {
		return claim{}, false, fmt.Errorf("tâche %s : reprise du créneau : %w", j.Name, err)
	}
	if won, err := affectedOne(res); !won {
		return claim{}, false, err
	}
	c.id, c.attempt = current.id, current.attempt+1
	if takeover {
		r.log.Warn("job run taken over after lease expiry", "job", j.Name, "slot", start, "attempt", c.attempt)
	}
	return c, true, nil
}

// affectedOne tells whether a conditional statement changed its row, i.e. won the race.
func affectedOne(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("nombre de lignes modifiées : %w", err)
	}
	return n == 1, nil
}

func (r *Runner) abandon(ctx context.Context, row runRow, now time.Time) error {
	_, err := r.db.Writer().ExecContext(ctx, `UPDATE job_runs
		SET outcome = 'failed', finished_at = $2, error_text = $3, retry_at = NULL
		WHERE id = $1 AND attempt = $4 AND outcome = 'running' AND lease_until <= $2`,
		row.id, now, abandoned, row.attempt)
	if err != nil {
		return fmt.Errorf("clôture d'une exécution abandonnée : %w", err)
	}
	return nil
}

// claimManual records a run asked for by RunNow. It has its own row, so it neither takes nor
// blocks the scheduled slot, but it refuses to overlap a live run of the same job.
func (r *Runner) claimManual(ctx context.Context, j *registered, now time.Time) (claim, error) {
	var live int
	err := r.db.Writer().QueryRowContext(ctx, `SELECT COUNT(*) FROM job_runs
		WHERE job = $1 AND outcome = 'running' AND lease_until > $2`, j.Name, now).Scan(&live)
	if err != nil {
		return claim{}, fmt.Errorf("tâche %s : lecture des exécutions : %w", j.Name, err)
	}
	if live > 0 {
		return claim{}, fmt.Errorf("tâche %s : %w", j.Name, ErrAlreadyRunning)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return claim{}, fmt.Errorf("tâche %s : identifiant : %w", j.Name, err)
	}
	_, err = r.db.Writer().ExecContext(ctx, `INSERT INTO job_runs
		(id, job, slot, manual, claimed_by, attempt, started_at, lease_until, outcome)
		VALUES ($1, $2, $3, TRUE, $4, 1, $3, $5, 'running')`,
		id.String(), j.Name, now, r.instance, now.Add(j.Timeout+leaseGrace))
	if err != nil {
		return claim{}, fmt.Errorf("tâche %s : enregistrement de l'exécution : %w", j.Name, err)
	}
	return claim{id: id.String(), slot: now, slotEnd: now, attempt: 1, manual: true}, nil
}

// finish records the end of a run. The WHERE clause makes it a no-op when another instance took
// the run over meanwhile (this one overran its lease), which finish reports as ok=false.
func (r *Runner) finish(ctx context.Context, c claim, outcome Outcome, now time.Time, res Result, errText *string, retryAt *time.Time) (bool, error) {
	var counts *string
	if len(res) > 0 {
		b, err := json.Marshal(res)
		if err != nil {
			return false, fmt.Errorf("encodage des compteurs : %w", err)
		}
		s := string(b)
		counts = &s
	}
	result, err := r.db.Writer().ExecContext(ctx, `UPDATE job_runs
		SET outcome = $4, finished_at = $5, counts = $6, error_text = COALESCE($7, error_text), retry_at = $8
		WHERE id = $1 AND claimed_by = $2 AND attempt = $3 AND outcome = 'running'`,
		c.id, r.instance, c.attempt, string(outcome), now, counts, errText, retryAt)
	if err != nil {
		return false, fmt.Errorf("enregistrement de la fin d'exécution : %w", err)
	}
	n, err := result.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enregistrement de la fin d'exécution : %w", err)
	}
	return n == 1, nil
}

// Run is one row of the history: a slot's run (with its retries) or a manual run.
type Run struct {
	ID        string
	Job       string
	Slot      time.Time
	Manual    bool
	ClaimedBy string
	// Attempt counts the tries of this slot, takeovers included.
	Attempt    int
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Outcome    Outcome
	Counts     Result
	// Error is the last failure's message, kept after a successful retry so that the
	// operations page shows what happened.
	Error   string
	RetryAt time.Time // zero when no retry is planned
}

// History returns the latest runs, newest first, of the job named name (all jobs if name is
// empty), at most limit (default 50, at most 1000).
func History(ctx context.Context, q database.Querier, name string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	const cols = `SELECT id, job, slot, manual, claimed_by, attempt, started_at, finished_at, outcome, counts, error_text, retry_at FROM job_runs`
	var rows *sql.Rows
	var err error
	if name == "" {
		rows, err = q.QueryContext(ctx, cols+` ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	} else {
		rows, err = q.QueryContext(ctx, cols+` WHERE job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, name, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("historique des tâches : %w", err)
	}
	defer rows.Close()
	runs := []Run{}
	for rows.Next() {
		var run Run
		var finished, retry sql.NullTime
		var counts, errText sql.NullString
		if err := rows.Scan(&run.ID, &run.Job, &run.Slot, &run.Manual, &run.ClaimedBy, &run.Attempt, &run.StartedAt,
			&finished, &run.Outcome, &counts, &errText, &retry); err != nil {
			return nil, fmt.Errorf("historique des tâches : %w", err)
		}
		run.Slot, run.StartedAt = run.Slot.UTC(), run.StartedAt.UTC()
		if finished.Valid {
			run.FinishedAt = finished.Time.UTC()
		}
		if retry.Valid {
			run.RetryAt = retry.Time.UTC()
		}
		run.Error = errText.String
		if counts.Valid && counts.String != "" {
			if err := json.Unmarshal([]byte(counts.String), &run.Counts); err != nil {
				return nil, fmt.Errorf("historique des tâches : compteurs illisibles : %w", err)
			}
		}
		runs = append(runs, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("historique des tâches : %w", err)
	}
	return runs, nil
}

// Prune deletes finished runs started before before and returns how many went.
func Prune(ctx context.Context, q database.Querier, before time.Time) (int, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM job_runs WHERE started_at < $1 AND outcome <> 'running'`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("purge de l'historique des tâches : %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge de l'historique des tâches : %w", err)
	}
	return int(n), nil
}
