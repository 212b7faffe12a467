// Package notify sends the platform's e-mails through an outbox.
//
// A domain package calls Outbox.Enqueue inside the transaction of the change the message
// announces, so the message exists if and only if that change committed. A Deliverer, on each
// instance, leases due messages with a conditional UPDATE (two instances never send the same
// one), sends them over SMTP and records the result: sent, retried later with exponential
// backoff (temporary failure: 4xx reply or network trouble), or failed (permanent 5xx refusal
// of the recipient or the content, or 24 hours without success).
//
// Delivery is at least once: a crash between the SMTP server's acceptance and the database
// update resends the message once its lease has expired; the stable Message-ID lets mail
// systems drop the duplicate.
//
// # Sealed content
//
// A message's recipient, subject and bodies are personal data, and its links are live secrets:
// a password-reset link read from the database or a backup takes the account over for an hour.
// So the outbox stores them only sealed (crypto.Envelope, AES-256-GCM bound to the outbox row),
// under a data key of the message's own (subject "outbox:ID"). Once the message is sent or
// abandoned, the UPDATE that records it also deletes the sealed content, and the same
// transaction deletes the data key (crypto.Envelope.Forget), so that only metadata remains: id,
// kind, state, times, attempts and last error. A per-message key rather than the recipient
// account's: many messages go to addresses without an account (invitations), an account's key
// is destroyed when the account is (while its farewell message still waits), and deleting the
// key with the content leaves nothing to decrypt in the free pages or old row versions the
// deleted ciphertext may linger in. A KEK rotation rewraps message keys like any other.
//
// No address appears in logs or in last_error, and PurgeSent deletes the metadata of old sent
// and failed messages.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/crypto"
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

// Outbox writes messages into the outbox and reads them back, sealed under Envelope. The
// Deliverer opens them to send them; only the demo page reads them otherwise.
type Outbox struct {
	Envelope *crypto.Envelope
}

// content is what a message seals: everything that says who receives what.
type content struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// messageSubject names the data key of one message; message ids (UUIDv7) are never reused.
func messageSubject(id string) string { return "outbox:" + id }

func messageBinding(id string) crypto.Binding {
	return crypto.Binding{Table: "outbox", Column: "sealed", Row: id}
}

// errNoEnvelope is a wiring mistake: an Outbox without its envelope must not write in clear.
var errNoEnvelope = errors.New("file des messages : aucune enveloppe de chiffrement configurée")

func sealContent(ctx context.Context, q database.Querier, env *crypto.Envelope, id string, c content) ([]byte, error) {
	if env == nil {
		return nil, errNoEnvelope
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("message : encodage : %w", err)
	}
	defer clear(plain)
	return env.Seal(ctx, q, messageSubject(id), messageBinding(id), plain)
}

func openContent(ctx context.Context, q database.Querier, env *crypto.Envelope, id string, sealed []byte) (content, error) {
	if env == nil {
		return content{}, errNoEnvelope
	}
	plain, err := env.Open(ctx, q, messageSubject(id), messageBinding(id), sealed)
	if err != nil {
		return content{}, fmt.Errorf("message %s : %w", id, err)
	}
	defer clear(plain)
	var c content
	if err := json.Unmarshal(plain, &c); err != nil {
		return content{}, fmt.Errorf("message %s : %w", id, crypto.ErrUndecryptable)
	}
	return c, nil
}

// Enqueue renders m, seals it and stores it as pending in q, which should be the caller's
// transaction: the message's data key commits with it. Time comes from the caller's clock. A
// bad address is a fault.Invalid error on field "email".
func (o Outbox) Enqueue(ctx context.Context, q database.Querier, now time.Time, m Message) error {
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
	sealed, err := sealContent(ctx, q, o.Envelope, id.String(), content{To: m.To, Subject: r.Subject, Text: r.Text, HTML: r.HTML})
	if err != nil {
		return fmt.Errorf("message %s : chiffrement : %w", m.Kind, err)
	}
	now = now.UTC()
	_, err = q.ExecContext(ctx, `INSERT INTO outbox (id, created_at, template, sealed, state, attempts, next_attempt_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $2)`, id.String(), now, string(m.Kind), sealed)
	if err != nil {
		return fmt.Errorf("message %s : mise en file : %w", m.Kind, err)
	}
	return nil
}

// enqueueRows is how many messages one INSERT of EnqueueAll writes (4 parameters each).
const enqueueRows = 500

// EnqueueAll is Enqueue for many messages, for the jobs that tell thousands of people in one
// run (the automatic refusal of applications): each message is still sealed under a data key of
// its own, but the keys are made in memory (crypto.Bulk) and the keys and messages are written
// hundreds per statement, in q, the caller's transaction. A bad address fails the whole call,
// naming no address.
func (o Outbox) EnqueueAll(ctx context.Context, q database.Querier, now time.Time, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if o.Envelope == nil {
		return errNoEnvelope
	}
	b, err := o.Envelope.NewBulk(ctx, q)
	if err != nil {
		return err
	}
	now = now.UTC()
	rows := make([][]any, 0, len(msgs))
	for _, m := range msgs {
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
		plain, err := json.Marshal(content{To: m.To, Subject: r.Subject, Text: r.Text, HTML: r.HTML})
		if err != nil {
			return fmt.Errorf("message : encodage : %w", err)
		}
		sealed, err := b.Seal(messageSubject(id.String()), messageBinding(id.String()), plain)
		clear(plain)
		if err != nil {
			return fmt.Errorf("message %s : chiffrement : %w", m.Kind, err)
		}
		rows = append(rows, []any{id.String(), now, string(m.Kind), sealed})
	}
	if err := b.Insert(ctx, q); err != nil {
		return err
	}
	for start := 0; start < len(rows); start += enqueueRows {
		chunk := rows[start:min(len(rows), start+enqueueRows)]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO outbox (id, created_at, template, sealed, state, attempts, next_attempt_at) VALUES `)
		args := make([]any, 0, 4*len(chunk))
		for i, row := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, 'pending', 0, $%d)", n+1, n+2, n+3, n+4, n+2)
			args = append(args, row...)
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("messages : mise en file : %w", err)
		}
	}
	return nil
}

// Mail is a stored message, opened, for the outbox page (demo mode) and tests.
type Mail struct {
	ID        string
	CreatedAt time.Time
	Kind      Kind
	// To, Subject, TextBody and HTMLBody are empty once the message was sent or abandoned: its
	// content was deleted (Erased is then true).
	To            string
	Subject       string
	TextBody      string
	HTMLBody      string
	Erased        bool
	State         State
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time // zero until sent
	// LastError is the last failure's class and SMTP code, e.g. "RCPT 550 5.1.1"; never an address.
	LastError string
}

const mailColumns = `id, created_at, template, sealed, state, attempts, next_attempt_at, sent_at, last_error`

// storedMail is a row of the outbox before its content is opened.
type storedMail struct {
	Mail
	sealed []byte
}

func scanMail(row interface{ Scan(...any) error }) (storedMail, error) {
	var m storedMail
	var sent sql.NullTime
	var lastError sql.NullString
	err := row.Scan(&m.ID, &m.CreatedAt, &m.Kind, &m.sealed, &m.State, &m.Attempts, &m.NextAttemptAt, &sent, &lastError)
	if err != nil {
		return storedMail{}, err
	}
	m.CreatedAt, m.NextAttemptAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC()
	if sent.Valid {
		m.SentAt = sent.Time.UTC()
	}
	m.LastError = lastError.String
	return m, nil
}

// open decrypts m's content, if it still has one.
func (o Outbox) open(ctx context.Context, q database.Querier, m storedMail) (Mail, error) {
	if m.sealed == nil {
		m.Erased = true
		return m.Mail, nil
	}
	c, err := openContent(ctx, q, o.Envelope, m.ID, m.sealed)
	if err != nil {
		return Mail{}, fmt.Errorf("lecture de la file des messages : %w", err)
	}
	m.To, m.Subject, m.TextBody, m.HTMLBody = c.To, c.Subject, c.Text, c.HTML
	return m.Mail, nil
}

// List returns the latest messages, newest first, at most limit (default 50, at most 500),
// with their content opened.
func (o Outbox) List(ctx context.Context, q database.Querier, limit int) ([]Mail, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := q.QueryContext(ctx, `SELECT `+mailColumns+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("lecture de la file des messages : %w", err)
	}
	var stored []storedMail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("lecture de la file des messages : %w", err)
		}
		stored = append(stored, m)
	}
	// Closed before opening: on a transaction, one statement runs at a time.
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture de la file des messages : %w", err)
	}
	mails := make([]Mail, 0, len(stored))
	for _, s := range stored {
		m, err := o.open(ctx, q, s)
		if err != nil {
			return nil, err
		}
		mails = append(mails, m)
	}
	return mails, nil
}

// Get returns one message, opened; an unknown or malformed id is a fault.NotFound error.
func (o Outbox) Get(ctx context.Context, q database.Querier, id string) (Mail, error) {
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
	return o.open(ctx, q, m)
}

// PurgeSent deletes what remains of the messages sent before before, and of the failed ones
// created before it (their content went at delivery; the metadata stays this long for
// operations), and returns how many went.
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
