package application

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

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
	// batch is how many applications one transaction of a job moves on PostgreSQL, where the
	// pages read beside it (MVCC) and only wait for CPU; sqliteBatch on SQLite, where a page's
	// audit entry waits for the single writer until the batch commits: at a million
	// applications, 1,000 refusals held it for seconds on a loaded machine.
	batch       = 1000
	sqliteBatch = 100
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

// batchSize is how many applications a job moves per transaction on this engine.
func (s *Service) batchSize() int {
	if s.db.Engine() == database.SQLite {
		return sqliteBatch
	}
	return batch
}

// cursor is where a job's walk in (updated_at, id) order stands: each batch starts after the
// last row the previous one read, so that a run reads each candidate once, even those it
// leaves (moved meanwhile), and stops at the first short batch.
type cursor struct {
	at   time.Time
	id   uuid.UUID
	from bool // false: from the start
}

// after is the cursor's condition on alias a, with its two arguments added by arg.
func (c cursor) after(arg func(any) string) string {
	if !c.from {
		return "TRUE"
	}
	at, id := arg(c.at), arg(c.id)
	// The first term bounds the index range on both engines; the second breaks ties.
	return "a.updated_at >= " + at + " AND (a.updated_at > " + at + " OR a.id > " + id + ")"
}

// placeholders returns "$n, $n+1, …" for values appended to args.
func placeholders(args *[]any, values []uuid.UUID) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		*args = append(*args, v)
		b.WriteString("$" + strconv.Itoa(len(*args)))
	}
	return b.String()
}

// RefuseUntouched is the run of AutoRefuseJob, a batch per transaction. It is idempotent: a
// refused application is no longer selected, and one moved meanwhile is left alone (the UPDATE
// checks state and date).
func (s *Service) RefuseUntouched(ctx context.Context) (jobs.Result, error) {
	bound := untouchedBefore(s.clock.Now(), AutoRefuseDays)
	res := jobs.Result{"refused": 0, "mails": 0}
	var c cursor
	for {
		seen, refused, mails, next, err := s.refuseBatch(ctx, bound, c)
		if err != nil {
			return res, err
		}
		res["refused"] += refused
		res["mails"] += mails
		if seen < s.batchSize() {
			return res, nil
		}
		c = next
	}
}

// due is an application the automatic refusal selected.
type due struct {
	id, person uuid.UUID
	state      State
	structure  string
}

func (s *Service) refuseBatch(ctx context.Context, bound time.Time, c cursor) (seen, refused, mails int, next cursor, err error) {
	err = s.db.WithTx(ctx, func(tx *sql.Tx) error {
		// Each batch is dated when it commits: a long run must not write entries dated from its
		// start (audit verify reports entries older than those sealed before them).
		now := s.clock.Now()
		seen, refused, mails = 0, 0, 0
		args := []any{bound, s.batchSize()}
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.job_seeker_id, a.state, a.updated_at, o.name FROM applications a JOIN organisations o ON o.id = a.to_org
			WHERE a.state IN ('new', 'processing') AND a.updated_at < $1 AND `+c.after(arg)+` ORDER BY a.updated_at, a.id LIMIT $2`, args...)
		if err != nil {
			return fmt.Errorf("candidatures sans réponse : %w", err)
		}
		byState := map[State][]uuid.UUID{}
		found := map[uuid.UUID]due{}
		for rows.Next() {
			var d due
			var st string
			if err := rows.Scan(&d.id, &d.person, &st, &next.at, &d.structure); err != nil {
				rows.Close()
				return err
			}
			d.state, next.id, next.from = State(st), d.id, true
			byState[d.state] = append(byState[d.state], d.id)
			found[d.id] = d
			seen++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var moved []due
		for _, st := range []State{New, Processing} {
			if len(byState[st]) == 0 {
				continue
			}
			args := []any{now, string(st), bound}
			in := placeholders(&args, byState[st])
			rows, err := tx.QueryContext(ctx, `UPDATE applications SET state = 'refused', refusal_reason = 'auto', processed_at = $1, updated_at = $1,
				archived_at = NULL WHERE state = $2 AND updated_at < $3 AND id IN (`+in+`) RETURNING id`, args...)
			if err != nil {
				return fmt.Errorf("refus automatique : %w", err)
			}
			for rows.Next() {
				var id uuid.UUID
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				moved = append(moved, found[id])
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		refused = len(moved)
		if refused == 0 {
			return nil
		}
		if err := s.recordAutoRefusals(ctx, tx, moved, now); err != nil {
			return err
		}
		if mails, err = s.tellAutoRefusals(ctx, tx, moved, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{OccurredAt: now, Action: "application.auto_refused", ObjectType: "batch", Outcome: audit.OutcomeOK,
			Details: map[string]string{"count": fmt.Sprint(refused)}})
	})
	return seen, refused, mails, next, err
}

// recordAutoRefusals writes the transitions of a batch of automatic refusals (by the platform:
// no user), hundreds per statement.
func (s *Service) recordAutoRefusals(ctx context.Context, q database.Querier, moved []due, now time.Time) error {
	const per = 500 // 5 parameters each
	for start := 0; start < len(moved); start += per {
		var b strings.Builder
		b.WriteString(`INSERT INTO application_transitions (id, application_id, transition, from_state, to_state, at) VALUES `)
		var args []any
		for i, d := range moved[start:min(len(moved), start+per)] {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, '%s', $%d)", n+1, n+2, n+3, n+4, Refused, n+5)
			args = append(args, uuid.Must(uuid.NewV7()), d.id, string(Refuse), string(d.state), now)
		}
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("historique des refus automatiques : %w", err)
		}
	}
	return nil
}

// tellAutoRefusals sends each person of a batch one mail for all their applications refused in
// it, all enqueued at once.
func (s *Service) tellAutoRefusals(ctx context.Context, q database.Querier, moved []due, now time.Time) (int, error) {
	byPerson := map[uuid.UUID][]string{}
	var persons []uuid.UUID
	for _, d := range moved {
		if _, ok := byPerson[d.person]; !ok {
			persons = append(persons, d.person)
		}
		byPerson[d.person] = append(byPerson[d.person], d.structure)
	}
	sort.Slice(persons, func(i, j int) bool { return persons[i].String() < persons[j].String() })
	var args []any
	in := placeholders(&args, persons)
	rows, err := q.QueryContext(ctx, `SELECT j.id, COALESCE(j.email, u.email, ''), j.first_names FROM job_seekers j LEFT JOIN users u ON u.id = j.user_id
		WHERE j.id IN (`+in+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("destinataires des refus automatiques : %w", err)
	}
	type contact struct{ email, first string }
	contacts := map[uuid.UUID]contact{}
	for rows.Next() {
		var id uuid.UUID
		var c contact
		if err := rows.Scan(&id, &c.email, &c.first); err != nil {
			rows.Close()
			return 0, err
		}
		contacts[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var msgs []notify.Message
	for _, p := range persons {
		c := contacts[p]
		if c.email == "" {
			continue
		}
		msgs = append(msgs, s.autoRefusalMail(c.email, c.first, byPerson[p]))
	}
	return len(msgs), s.outbox.EnqueueAll(ctx, q, now, msgs)
}

// autoRefusalMail is the one mail a person gets for their applications refused in a run.
func (s *Service) autoRefusalMail(email, first string, structures []string) notify.Message {
	sort.Strings(structures)
	paragraphs := []string{fmt.Sprintf("Sans réponse depuis %d jours, votre candidature est close. Vous pouvez postuler ailleurs, ou de nouveau auprès de la même structure.", AutoRefuseDays)}
	name := structures[0]
	if len(structures) > 1 {
		name = fmt.Sprintf("%d structures", len(structures))
		paragraphs = []string{fmt.Sprintf("Sans réponse depuis %d jours, vos candidatures auprès de %s sont closes. Vous pouvez postuler ailleurs, ou de nouveau auprès des mêmes structures.",
			AutoRefuseDays, strings.Join(structures, ", "))}
	}
	return notify.Message{To: email, Kind: notify.KindApplicationUpdate, Data: notify.ApplicationUpdate{
		FirstName: strings.Fields(first + " ")[0], Structure: name, Paragraphs: paragraphs, Link: s.baseURL + "/candidatures"}}
}

// archivableSQL is the states the archiving moves, as written in the partial index that walks
// them (migration 00121): the text must match for SQLite to use it.
const archivableSQL = `a.archived_at IS NULL AND a.state IN ('new', 'processing', 'postponed', 'refused', 'cancelled', 'obsolete')`

// ArchiveUntouched is the run of ArchiveJob, a batch per transaction, each one statement that
// picks the next candidates in (updated_at, id) order and archives them; idempotent. A batch
// whose candidates all changed meanwhile would end the run early: the next day's run goes on.
func (s *Service) ArchiveUntouched(ctx context.Context) (jobs.Result, error) {
	bound := untouchedBefore(s.clock.Now(), ArchiveDays)
	res := jobs.Result{"archived": 0}
	var c cursor
	for {
		n := 0
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			n = 0
			args := []any{s.clock.Now(), bound, s.batchSize()}
			arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
			rows, err := tx.QueryContext(ctx, `UPDATE applications SET archived_at = $1 WHERE id IN (
				SELECT a.id FROM applications a WHERE `+archivableSQL+` AND a.updated_at < $2 AND `+c.after(arg)+`
				ORDER BY a.updated_at, a.id LIMIT $3)
				RETURNING id, updated_at`, args...)
			if err != nil {
				return fmt.Errorf("archivage des candidatures : %w", err)
			}
			defer rows.Close()
			next := c
			for rows.Next() {
				var at time.Time
				var id uuid.UUID
				if err := rows.Scan(&id, &at); err != nil {
					return err
				}
				at = at.UTC()
				if !next.from || at.After(next.at) || (at.Equal(next.at) && id.String() > next.id.String()) {
					next = cursor{at: at, id: id, from: true}
				}
				n++
			}
			if err := rows.Err(); err != nil {
				return err
			}
			c = next
			return nil
		})
		if err != nil {
			return res, err
		}
		res["archived"] += n
		if n == 0 {
			return res, nil
		}
	}
}
