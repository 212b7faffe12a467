// Package notify sends the platform's e-mails through an outbox.
//
// A domain package calls Enqueue inside the transaction of the change the message announces, so
// the message exists if and only if that change committed. A Deliverer, on each instance, leases
// due messages with a conditional UPDATE (two instances never send the same one), sends them
// over SMTP and records the result: sent, retried later with exponential backoff (temporary
// failure: 4xx reply or network trouble), or failed (permanent 5xx refusal of the recipient or
// the content, or 24 hours without success).
//
// Delivery is at least once: a crash between the SMTP server's acceptance and the database
// update resends the message once its lease has expired; the stable Message-ID lets mail
// systems drop the duplicate.
//
// Bodies hold personal data: PurgeSent deletes old sent and failed messages, and no address
// appears in logs or in last_error.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Message is a message to send: its recipient, its kind and the data its templates need.
type Message struct {
	To   string
	Kind Kind
	Data any
}

// State is where a message stands in the outbox.
type State string

// The states of a message.
const (
	Pending State = "pending"
	Sending State = "sending"
	Sent    State = "sent"
	Failed  State = "failed"
)

// ValidateAddress checks that s is a bare e-mail address (no display name), as stored on
// accounts. Its error names the field "email" and never repeats the address.
func ValidateAddress(s string) error {
	invalid := fault.Field("email", "Adresse électronique invalide.")
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n\t <>,;\"") {
		return invalid
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return invalid
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 || len(s)-at-1 > 253 {
		return invalid
	}
	return nil
}

// Enqueue renders m and stores it as pending in q, which should be the caller's transaction.
// Time comes from the caller's clock. A bad address is a fault.Invalid error on field "email".
func Enqueue(ctx context.Context, q database.Querier, now time.Time, m Message) error {
	if err := ValidateAddress(m.To); err != nil {
		return fmt.Errorf("message %s : %w", m.Kind, err)
	}
	r, err := Render(m.Kind, m.Data)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("message %s : identifiant : %w", m.Kind, err)
	}
	now = now.UTC()
	_, err = q.ExecContext(ctx, `INSERT INTO outbox
		(id, created_at, to_address, template, subject, text_body, html_body, state, attempts, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $2)`,
		id.String(), now, m.To, string(m.Kind), r.Subject, r.Text, r.HTML)
	if err != nil {
		return fmt.Errorf("message %s : mise en file : %w", m.Kind, err)
	}
	return nil
}

// Mail is a stored message, for the outbox page (demo mode, operations).
type Mail struct {
	ID            string
	CreatedAt     time.Time
	To            string
	Kind          Kind
	Subject       string
	TextBody      string
	HTMLBody      string
	State         State
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time // zero until sent
	// LastError is the last failure's class and SMTP code, e.g. "RCPT 550 5.1.1"; never an address.
	LastError string
}

const mailColumns = `id, created_at, to_address, template, subject, text_body, html_body, state, attempts,
	next_attempt_at, sent_at, last_error`

func scanMail(row interface{ Scan(...any) error }) (Mail, error) {
	var m Mail
	var sent sql.NullTime
	var lastError sql.NullString
	err := row.Scan(&m.ID, &m.CreatedAt, &m.To, &m.Kind, &m.Subject, &m.TextBody, &m.HTMLBody, &m.State,
		&m.Attempts, &m.NextAttemptAt, &sent, &lastError)
	if err != nil {
		return Mail{}, err
	}
	m.CreatedAt, m.NextAttemptAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC()
	if sent.Valid {
		m.SentAt = sent.Time.UTC()
	}
	m.LastError = lastError.String
	return m, nil
}

// List returns the latest messages, newest first, at most limit (default 50, at most 500).
func List(ctx context.Context, q database.Querier, limit int) ([]Mail, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := q.QueryContext(ctx, `SELECT `+mailColumns+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("lecture de la file des messages : %w", err)
	}
	defer rows.Close()
	mails := []Mail{}
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture de la file des messages : %w", err)
		}
		mails = append(mails, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture de la file des messages : %w", err)
	}
	return mails, nil
}

// Get returns one message; an unknown or malformed id is a fault.NotFound error.
func Get(ctx context.Context, q database.Querier, id string) (Mail, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Mail{}, fmt.Errorf("message : %w", fault.NotFound)
	}
	m, err := scanMail(q.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM outbox WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, fmt.Errorf("message : %w", fault.NotFound)
	}
	if err != nil {
		return Mail{}, fmt.Errorf("lecture du message : %w", err)
	}
	return m, nil
}

// PurgeSent deletes the messages sent before before, and the failed ones created before it
// (they hold personal data too), and returns how many went.
func PurgeSent(ctx context.Context, q database.Querier, before time.Time) (int, error) {
	before = before.UTC()
	res, err := q.ExecContext(ctx, `DELETE FROM outbox
		WHERE (state = 'sent' AND sent_at < $1) OR (state = 'failed' AND created_at < $1)`, before)
	if err != nil {
		return 0, fmt.Errorf("purge des messages envoyés : %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge des messages envoyés : %w", err)
	}
	return int(n), nil
}

// QueueDepth counts the messages waiting to be sent (pending or being sent).
func QueueDepth(ctx context.Context, q database.Querier) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("taille de la file des messages : %w", err)
	}
	return n, nil
}
