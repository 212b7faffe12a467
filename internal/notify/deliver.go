package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/jobs"
)

// Options configure a Deliverer. Only SMTP matters in production; the rest has defaults.
type Options struct {
	// SMTP is the relay; without a Host the Deliverer is disabled and messages stay pending
	// (demo mode shows them on a page instead).
	SMTP SMTP
	// Envelope opens the sealed messages and forgets their keys once they are delivered;
	// required unless the Deliverer is disabled.
	Envelope *crypto.Envelope
	// Clock gives "now" (default the system clock).
	Clock clock.Clock
	// Logger receives one line per delivery outcome, without addresses (default: discard).
	Logger *slog.Logger
	// Registerer receives the metrics; nil means no metrics.
	Registerer prometheus.Registerer
	// Instance names this process in outbox.locked_by (default: host name and a random suffix).
	Instance string
	// Interval is the polling period of Run (default 5 s).
	Interval time.Duration
	// BatchSize is how many messages one pass leases and sends over one connection (default 10).
	BatchSize int
	// Lease is how long a leased message is reserved for this instance (default 5 min). It must
	// exceed the time a batch takes, which SMTP.Timeout bounds per message.
	Lease time.Duration
	// RetryBase and RetryMax shape the backoff: RetryBase, twice that, four times… capped at
	// RetryMax, plus up to 20 % jitter so retries of a failed batch spread out (defaults 1 min, 1 h).
	RetryBase, RetryMax time.Duration
	// GiveUpAfter is how long after its creation a message is abandoned (default 24 h).
	GiveUpAfter time.Duration
}

// Deliverer sends due outbox messages. Several may run on one database: leases keep them from
// sending the same message.
type Deliverer struct {
	db       *database.DB
	envelope *crypto.Envelope
	smtp     SMTP
	from     *mail.Address
	clock    clock.Clock
	log      *slog.Logger
	instance string
	interval time.Duration
	batch    int
	lease    time.Duration
	base     time.Duration
	maxDelay time.Duration
	giveUp   time.Duration
	metrics  *metrics
}

// NewDeliverer checks the configuration and registers the metrics.
func NewDeliverer(db *database.DB, opts Options) (*Deliverer, error) {
	d := &Deliverer{
		db:       db,
		envelope: opts.Envelope,
		clock:    opts.Clock,
		log:      opts.Logger,
		instance: opts.Instance,
		interval: opts.Interval,
		batch:    opts.BatchSize,
		lease:    opts.Lease,
		base:     opts.RetryBase,
		maxDelay: opts.RetryMax,
		giveUp:   opts.GiveUpAfter,
	}
	if opts.SMTP.Enabled() {
		cfg, from, err := opts.SMTP.withDefaults()
		if err != nil {
			return nil, err
		}
		if opts.Envelope == nil {
			return nil, errNoEnvelope
		}
		d.smtp, d.from = cfg, from
	}
	if d.clock == nil {
		d.clock = clock.System{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.instance == "" {
		d.instance = jobs.InstanceName()
	}
	if d.interval <= 0 {
		d.interval = 5 * time.Second
	}
	if d.batch <= 0 {
		d.batch = 10
	}
	if d.lease <= 0 {
		d.lease = 5 * time.Minute
	}
	if d.base <= 0 {
		d.base = time.Minute
	}
	if d.maxDelay <= 0 {
		d.maxDelay = time.Hour
	}
	if d.giveUp <= 0 {
		d.giveUp = 24 * time.Hour
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	d.metrics = m
	return d, nil
}

// Disabled tells whether no relay is configured: messages then stay pending.
func (d *Deliverer) Disabled() bool { return !d.smtp.Enabled() }

// Run delivers due messages every Interval until ctx is cancelled. A full batch is followed at
// once by the next, so a backlog drains without waiting. Disabled, it only updates the queue
// depth gauge.
func (d *Deliverer) Run(ctx context.Context) error {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	for {
		for {
			n, err := d.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Error("notify: delivery pass failed", "err", err)
			}
			if err != nil || n < d.batch {
				break
			}
		}
		if depth, err := QueueDepth(ctx, d.db.Reader()); err == nil {
			d.metrics.queue.Set(float64(depth))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// leased is a message this instance holds, opened.
type leased struct {
	id, kind  string
	content   content
	createdAt time.Time
	attempts  int
	// openErr is why the content could not be opened; the message is then not sent.
	openErr error
}

// DeliverDue leases up to BatchSize due messages and sends them over one connection. It returns
// how many it leased (0 when disabled). Tests call it directly with a fake clock.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	if d.Disabled() {
		return 0, nil
	}
	now := d.clock.Now().UTC()
	if err := d.expire(ctx, now); err != nil {
		return 0, err
	}
	msgs, err := d.leaseDue(ctx, now)
	if err != nil || len(msgs) == 0 {
		return len(msgs), err
	}
	// Once leased, messages are sent and their outcome recorded even if ctx ends meanwhile:
	// abandoning them would resend them after the lease expires. SMTP timeouts bound this.
	work := context.WithoutCancel(ctx)
	var s *session
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	var errs []error
	for i, m := range msgs {
		if s == nil || !s.reusable() {
			s, err = dial(work, d.smtp)
			if err != nil {
				// The relay is unreachable: every leased message waits for its retry.
				for _, rest := range msgs[i:] {
					errs = append(errs, d.record(work, rest, err))
				}
				return len(msgs), errors.Join(errs...)
			}
		}
		if m.openErr != nil {
			errs = append(errs, d.record(work, m, m.openErr))
			continue
		}
		c := m.content
		raw, err := buildMessage(envelope{from: d.from, to: c.To, subject: c.Subject, id: m.id, date: d.clock.Now()}, c.Text, c.HTML)
		if err == nil {
			err = s.send(d.from.Address, c.To, raw)
		}
		clear(raw)
		errs = append(errs, d.record(work, m, err))
	}
	return len(msgs), errors.Join(errs...)
}

// expire fails the waiting messages older than the give-up delay: they are stale (their links
// have expired), whether retries kept failing or sending was disabled meanwhile. The last SMTP
// error, if any, stays as the reason. Their content and keys go, as after any delivery.
func (d *Deliverer) expire(ctx context.Context, now time.Time) error {
	var ids []string
	err := d.db.WithTx(ctx, func(tx *sql.Tx) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE outbox
			SET state = 'failed', last_error = COALESCE(last_error, 'expiré avant envoi'), locked_by = NULL, locked_until = NULL,
				sealed = NULL
			WHERE state IN ('pending', 'sending') AND created_at <= $1 AND next_attempt_at <= $2
				AND (locked_until IS NULL OR locked_until <= $2)
			RETURNING id`, now.Add(-d.giveUp), now)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := d.envelope.Forget(ctx, tx, messageSubject(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("abandon des messages trop anciens : %w", err)
	}
	if n := len(ids); n > 0 {
		d.metrics.failed.Add(float64(n))
		d.log.Warn("notify: messages expired before delivery", "count", n)
	}
	return nil
}

// leaseDue picks due messages and leases them one by one with a conditional UPDATE: when two
// instances pick the same message, the second UPDATE matches no row and that instance skips it.
// A message stuck in 'sending' by a dead instance is due again once its lease expired.
func (d *Deliverer) leaseDue(ctx context.Context, now time.Time) ([]leased, error) {
	rows, err := d.db.Reader().QueryContext(ctx, `SELECT id FROM outbox
		WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
		ORDER BY next_attempt_at, id LIMIT $2`, now, d.batch)
	if err != nil {
		return nil, fmt.Errorf("recherche des messages à envoyer : %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("recherche des messages à envoyer : %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recherche des messages à envoyer : %w", err)
	}
	var out []leased
	w := d.db.Writer()
	for _, id := range ids {
		res, err := w.ExecContext(ctx, `UPDATE outbox
			SET state = 'sending', attempts = attempts + 1, locked_by = $2, locked_until = $3
			WHERE id = $1 AND state IN ('pending', 'sending') AND next_attempt_at <= $4
				AND (locked_until IS NULL OR locked_until <= $4)`,
			id, d.instance, now.Add(d.lease), now)
		if err != nil {
			return out, fmt.Errorf("réservation d'un message : %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			continue // another instance leased it first
		}
		var m leased
		var sealed []byte
		err = w.QueryRowContext(ctx, `SELECT id, template, sealed, created_at, attempts
			FROM outbox WHERE id = $1 AND locked_by = $2`, id, d.instance).
			Scan(&m.id, &m.kind, &sealed, &m.createdAt, &m.attempts)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("lecture d'un message réservé : %w", err)
		}
		m.createdAt = m.createdAt.UTC()
		m.content, m.openErr = openContent(ctx, w, d.envelope, m.id, sealed)
		if m.openErr != nil && !unopenable(m.openErr) {
			// The database failed, not the message: it is retried once its lease expires.
			return out, fmt.Errorf("lecture d'un message réservé : %w", m.openErr)
		}
		out = append(out, m)
	}
	return out, nil
}

// record stores the outcome of one send.
func (d *Deliverer) record(ctx context.Context, m leased, sendErr error) error {
	now := d.clock.Now().UTC()
	if sendErr == nil {
		if err := d.finish(ctx, m, Sent, &now, ""); err != nil {
			return err
		}
		d.metrics.sent.Inc()
		d.log.Info("notify: message sent", "id", m.id, "kind", m.kind, "attempts", m.attempts)
		return nil
	}
	summary, permanent := describe(sendErr)
	if permanent || now.Sub(m.createdAt) >= d.giveUp {
		if err := d.finish(ctx, m, Failed, nil, summary); err != nil {
			return err
		}
		d.metrics.failed.Inc()
		d.log.Warn("notify: message failed", "id", m.id, "kind", m.kind, "attempts", m.attempts,
			"error", summary, "permanent", permanent)
		return nil
	}
	// Truncated like every stored time, so that the same instant reads back from both engines.
	next := now.Add(d.backoff(m.attempts)).Truncate(time.Microsecond)
	_, err := d.db.Writer().ExecContext(ctx, `UPDATE outbox
		SET state = 'pending', next_attempt_at = $3, locked_by = NULL, locked_until = NULL, last_error = $4
		WHERE id = $1 AND locked_by = $2 AND state = 'sending'`, m.id, d.instance, next, summary)
	if err != nil {
		return fmt.Errorf("report d'un message : %w", err)
	}
	d.metrics.retried.Inc()
	d.log.Warn("notify: message delivery postponed", "id", m.id, "kind", m.kind, "attempts", m.attempts,
		"error", summary, "next_attempt_at", next)
	return nil
}

// finish moves a leased message to sent or failed, deletes its sealed content in the same
// UPDATE and its data key in the same transaction; the locked_by condition keeps a late
// instance (one that overran its lease) from overwriting another's outcome.
func (d *Deliverer) finish(ctx context.Context, m leased, state State, sentAt *time.Time, lastError string) error {
	var errText *string
	if lastError != "" {
		errText = &lastError
	}
	lost := false
	err := d.db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox
			SET state = $3, sent_at = $4, last_error = COALESCE($5, last_error), locked_by = NULL, locked_until = NULL, sealed = NULL
			WHERE id = $1 AND locked_by = $2 AND state = 'sending'`, m.id, d.instance, string(state), sentAt, errText)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if lost = n == 0; lost {
			return nil
		}
		return d.envelope.Forget(ctx, tx, messageSubject(m.id))
	})
	if err != nil {
		return fmt.Errorf("enregistrement de l'envoi d'un message : %w", err)
	}
	if lost {
		d.log.Warn("notify: lease lost before recording the outcome", "id", m.id, "state", string(state))
	}
	return nil
}

// backoff returns the delay before the next attempt after attempts tries.
func (d *Deliverer) backoff(attempts int) time.Duration {
	delay := d.base
	for i := 1; i < attempts && delay < d.maxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, d.maxDelay)
	return delay + rand.N(delay/5+1)
}

// describe turns a send error into the text stored in last_error (a stage and an SMTP code,
// never the server's words, which may quote the address) and says whether it is permanent.
func describe(err error) (string, bool) {
	var se *sendError
	if errors.As(err, &se) {
		return se.summary(), se.permanent
	}
	if unopenable(err) {
		if errors.Is(err, crypto.ErrUnknownKEK) {
			// An outdated keyring: another instance, or this one after a reload, can open it.
			return "trousseau sans la clé du message", false
		}
		return "contenu chiffré illisible", true
	}
	// Building the message failed: retrying will not help.
	return "construction du message", true
}

// unopenable tells whether err says that a message's sealed content cannot be opened (as
// opposed to the database failing while reading its key).
func unopenable(err error) bool {
	return errors.Is(err, crypto.ErrUnknownKEK) || errors.Is(err, crypto.ErrUndecryptable) ||
		errors.Is(err, crypto.ErrNoKey) || errors.Is(err, crypto.ErrShredded) || errors.Is(err, errNoEnvelope)
}

// PurgeJob returns a daily job that deletes sent and failed messages older than keep.
func PurgeJob(db *database.DB, clk clock.Clock, keep time.Duration) jobs.Job {
	return jobs.Job{
		Name:  "notify.purge",
		Daily: "04:10",
		Run: func(ctx context.Context) (jobs.Result, error) {
			n, err := PurgeSent(ctx, db.Writer(), clk.Now().Add(-keep))
			return jobs.Result{"deleted": n}, err
		},
	}
}
