package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/notify/smtptest"
)

const from = "Parcours <ne-pas-repondre@parcours.test>"

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func relay(srv *smtptest.Server) notify.SMTP {
	return notify.SMTP{Host: srv.Host(), Port: srv.Port(), TLS: notify.TLSNone, From: from, HELO: "parcours.test",
		DialTimeout: 2 * time.Second, Timeout: 5 * time.Second}
}

// keys seals the test messages. The keyring is immutable; each test database holds its own
// message keys.
var keys = func() *crypto.Envelope {
	kr, err := crypto.NewKeyring(t0)
	if err != nil {
		panic(err)
	}
	return crypto.NewEnvelope(kr, clock.NewFake(t0))
}()

var outbox = notify.Outbox{Envelope: keys}

func newDeliverer(t *testing.T, db *database.DB, opts notify.Options) *notify.Deliverer {
	t.Helper()
	if opts.Envelope == nil {
		opts.Envelope = keys
	}
	d, err := notify.NewDeliverer(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func enqueue(t *testing.T, db *database.DB, now time.Time, to string) {
	t.Helper()
	err := db.WithTx(t.Context(), func(tx *sql.Tx) error {
		return outbox.Enqueue(t.Context(), tx, now, notify.Message{To: to, Kind: notify.KindVerifyEmail,
			Data: notify.VerifyEmail{FirstName: "Élodie", Link: "https://parcours.test/compte/verifier?jeton=abc", ExpiresIn: "48 heures"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func deliver(t *testing.T, d *notify.Deliverer) int {
	t.Helper()
	n, err := d.DeliverDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func only(t *testing.T, db *database.DB) notify.Mail {
	t.Helper()
	mails, err := outbox.List(t.Context(), db.Reader(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 {
		t.Fatalf("%d messages in the outbox, want 1", len(mails))
	}
	return mails[0]
}

func TestCommittedMessageIsDeliveredOnceWithCorrectMIME(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		to := "elodie.martin@example.org"
		enqueue(t, db, clk.Now(), to)
		queued := only(t, db)
		if queued.State != notify.Pending || queued.Attempts != 0 || queued.To != to || queued.Kind != notify.KindVerifyEmail {
			t.Fatalf("queued: %s", brief(queued))
		}
		clk.Advance(3 * time.Second)
		if n := deliver(t, d); n != 1 {
			t.Fatalf("delivered %d", n)
		}
		if n := deliver(t, d); n != 0 {
			t.Fatalf("second pass delivered %d", n)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages", len(msgs))
		}
		got := msgs[0]
		if got.From != "ne-pas-repondre@parcours.test" || len(got.To) != 1 || got.To[0] != to {
			t.Fatalf("envelope %q -> %q", got.From, got.To)
		}
		sent := only(t, db)
		if sent.State != notify.Sent || sent.Attempts != 1 || !sent.SentAt.Equal(clk.Now()) || sent.LastError != "" {
			t.Fatalf("after delivery: %s", brief(sent))
		}
		if !sent.Erased || sent.To != "" || sent.Subject != "" || sent.TextBody != "" || sent.HTMLBody != "" {
			t.Fatalf("the content outlived the delivery: %s", brief(sent))
		}
		checkMIME(t, got, queued, clk.Now())
	})
}

// checkMIME compares the received message with what the outbox held before sending it.
func checkMIME(t *testing.T, got smtptest.Message, want notify.Mail, sentAt time.Time) {
	t.Helper()
	h := got.Header
	if h == nil {
		t.Fatalf("unparsable message:\n%s", got.Data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want.Subject)
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject not RFC 2047 encoded: %q", h.Get("Subject"))
	}
	fromAddr, err := mail.ParseAddress(h.Get("From"))
	if err != nil || fromAddr.Name != "Parcours" || fromAddr.Address != "ne-pas-repondre@parcours.test" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	toAddrs, err := h.AddressList("To")
	if err != nil || len(toAddrs) != 1 || toAddrs[0].Address != want.To {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	if date, err := h.Date(); err != nil || !date.Equal(sentAt.Truncate(time.Second)) {
		t.Errorf("Date = %q (%v), want %v", h.Get("Date"), err, sentAt)
	}
	if id := h.Get("Message-ID"); id != "<"+want.ID+"@parcours.test>" {
		t.Errorf("Message-ID = %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers: %v", h)
	}
	for _, line := range bytes.Split(got.Data, []byte("\r\n")) {
		if len(line) > 78 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(got.Body), params["boundary"])
	for _, part := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", want.TextBody},
		{"text/html; charset=utf-8", want.HTMLBody},
	} {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatalf("part %s: %v", part.contentType, err)
		}
		if ct := p.Header.Get("Content-Type"); ct != part.contentType {
			t.Errorf("part Content-Type = %q, want %q", ct, part.contentType)
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part Content-Transfer-Encoding = %q", cte)
		}
		decoded, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("part %s: %v", part.contentType, err)
		}
		if normalized := strings.ReplaceAll(string(decoded), "\r\n", "\n"); normalized != part.body {
			t.Errorf("part %s differs:\n got %q\nwant %q", part.contentType, normalized, part.body)
		}
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("a third part or a broken end: %v", err)
	}
}

func TestRolledBackMessageIsNeverSent(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		boom := errors.New("business rule failed")
		err := db.WithTx(t.Context(), func(tx *sql.Tx) error {
			if err := outbox.Enqueue(t.Context(), tx, clk.Now(), notify.Message{To: "a@example.org", Kind: notify.KindAccountDeleted,
				Data: notify.AccountDeleted{FirstName: "A"}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := deliver(t, d); n != 0 {
			t.Fatalf("delivered %d", n)
		}
		if mails, _ := outbox.List(t.Context(), db.Reader(), 10); len(mails) != 0 || len(srv.Messages()) != 0 {
			t.Fatalf("rolled back message exists: %d rows, %d sent", len(mails), len(srv.Messages()))
		}
	})
}

func TestTemporaryFailuresAreRetriedWithBackoff(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		reg := prometheus.NewRegistry()
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk, Registerer: reg})
		to := "elodie.martin@example.org"
		enqueue(t, db, clk.Now(), to)
		srv.FailNext(2, 451)

		for attempt, base := range []time.Duration{time.Minute, 2 * time.Minute} {
			failedAt := clk.Now()
			if n := deliver(t, d); n != 1 {
				t.Fatalf("attempt %d: leased %d", attempt+1, n)
			}
			m := only(t, db)
			if m.State != notify.Pending || m.Attempts != attempt+1 || m.LastError != "DATA 451 4.3.0" {
				t.Fatalf("after failure %d: %+v", attempt+1, m)
			}
			if strings.Contains(m.LastError, "example.org") {
				t.Fatalf("last_error holds the address: %q", m.LastError)
			}
			wait := m.NextAttemptAt.Sub(failedAt)
			if wait < base || wait > base+base/5 {
				t.Fatalf("after failure %d: retry in %v, want %v plus at most 20 %%", attempt+1, wait, base)
			}
			clk.Set(m.NextAttemptAt.Add(-time.Second))
			if n := deliver(t, d); n != 0 {
				t.Fatalf("retried %v before the backoff ended", time.Second)
			}
			clk.Set(m.NextAttemptAt)
		}
		if n := deliver(t, d); n != 1 {
			t.Fatal("third attempt did not happen")
		}
		m := only(t, db)
		if m.State != notify.Sent || m.Attempts != 3 {
			t.Fatalf("after success: %s", brief(m))
		}
		if msgs := srv.Messages(); len(msgs) != 1 {
			t.Fatalf("server received %d messages", len(msgs))
		}
		if v := counter(t, reg, "parcours_mail_retried_total"); v != 2 {
			t.Errorf("retried counter = %v", v)
		}
		if v := counter(t, reg, "parcours_mail_sent_total"); v != 1 {
			t.Errorf("sent counter = %v", v)
		}
	})
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			m := f.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		srv.RejectRecipient("nobody@example.org", 550)
		enqueue(t, db, clk.Now(), "nobody@example.org")
		enqueue(t, db, clk.Now().Add(time.Millisecond), "content@example.org")
		srv.FailNext(1, 554) // the first DATA is the second message's: the first fails at RCPT
		recipients := recipientsByID(t, db)
		clk.Advance(time.Millisecond)
		if n := deliver(t, d); n != 2 {
			t.Fatalf("leased %d", n)
		}
		mails, err := outbox.List(t.Context(), db.Reader(), 10)
		if err != nil {
			t.Fatal(err)
		}
		errs := map[string]string{}
		for _, m := range mails {
			if m.State != notify.Failed || m.Attempts != 1 || !m.Erased {
				t.Fatalf("after a permanent failure: %s", brief(m))
			}
			errs[recipients[m.ID]] = m.LastError
		}
		if errs["nobody@example.org"] != "RCPT 550 5.1.1" || errs["content@example.org"] != "DATA 554 5.3.0" {
			t.Fatalf("last errors: %v", errs)
		}
		clk.Advance(3 * time.Hour)
		if n := deliver(t, d); n != 0 {
			t.Fatalf("a failed message was retried")
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("server received a message")
		}
	})
}

func TestDeliveryGivesUpAfterADay(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		enqueue(t, db, clk.Now(), "late@example.org")
		srv.FailNext(1000, 421)
		var m notify.Mail
		for range 100 {
			deliver(t, d)
			if m = only(t, db); m.State != notify.Pending {
				break
			}
			clk.Set(m.NextAttemptAt)
		}
		if m.State != notify.Failed || m.LastError != "DATA 421 4.3.0" {
			t.Fatalf("after a day of temporary failures: %s", brief(m))
		}
		if age := clk.Now().Sub(t0); age < 24*time.Hour || age > 26*time.Hour {
			t.Fatalf("given up after %v", age)
		}
		// 1+2+4+…+32 min then hourly: about 28 attempts in a day.
		if m.Attempts < 20 || m.Attempts > 30 {
			t.Fatalf("%d attempts", m.Attempts)
		}
	})
}

func TestRelayDownPostponesDelivery(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		srv.Close()
		enqueue(t, db, clk.Now(), "a@example.org")
		if _, err := d.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if m := only(t, db); m.State != notify.Pending || m.Attempts != 1 || m.LastError != "CONNECT erreur réseau" {
			t.Fatalf("relay down: %s", brief(m))
		}
	})
}

func TestAuthAndSTARTTLS(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		pool := srv.EnableSTARTTLS(t)
		srv.RequireAuth("parcours", "s3cret")
		clk := clock.NewFake(t0)
		cfg := relay(srv)
		cfg.TLS, cfg.TLSConfig = notify.TLSStartTLS, &tls.Config{RootCAs: pool}
		cfg.Username, cfg.Password = "parcours", "wrong"
		bad := newDeliverer(t, db, notify.Options{SMTP: cfg, Clock: clk, Instance: "bad"})
		enqueue(t, db, clk.Now(), "a@example.org")
		deliver(t, bad)
		if m := only(t, db); m.State != notify.Pending || m.LastError != "AUTH 535 5.7.8" {
			t.Fatalf("wrong password: %s", brief(m))
		}
		cfg.Password = "s3cret"
		good := newDeliverer(t, db, notify.Options{SMTP: cfg, Clock: clk, Instance: "good"})
		clk.Advance(2 * time.Minute)
		deliver(t, good)
		if m := only(t, db); m.State != notify.Sent {
			t.Fatalf("right password over STARTTLS: %s", brief(m))
		}
		// A client that does not trust the certificate must not send.
		enqueue(t, db, clk.Now(), "b@example.org")
		cfg.TLSConfig = nil
		untrusting := newDeliverer(t, db, notify.Options{SMTP: cfg, Clock: clk})
		deliver(t, untrusting)
		if len(srv.Messages()) != 1 {
			t.Fatalf("%d messages received", len(srv.Messages()))
		}
	})
}

// Two instances on one database: each message goes out exactly once.
func TestTwoDeliverersSendEachMessageExactlyOnce(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db1, url := databasetest.Open(t, engine)
			db2, err := database.Open(t.Context(), url, "", database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			srv := smtptest.Start(t)
			clk := clock.NewFake(t0)
			const n = 60
			for i := range n {
				enqueue(t, db1, clk.Now(), fmt.Sprintf("person%02d@example.org", i))
			}
			var wg sync.WaitGroup
			for i, db := range []*database.DB{db1, db2, db1, db2} {
				d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk, BatchSize: 4, Instance: fmt.Sprintf("i%d", i)})
				wg.Go(func() {
					for {
						if _, err := d.DeliverDue(context.Background()); err != nil {
							t.Error(err)
							return
						}
						depth, err := notify.QueueDepth(context.Background(), db.Writer())
						if err != nil {
							t.Error(err)
							return
						}
						if depth == 0 {
							return
						}
					}
				})
			}
			wg.Wait()
			msgs := srv.Messages()
			ids, rcpts := map[string]bool{}, map[string]bool{}
			for _, m := range msgs {
				ids[m.Header.Get("Message-ID")] = true
				rcpts[m.To[0]] = true
			}
			if len(msgs) != n || len(ids) != n || len(rcpts) != n {
				t.Fatalf("%d messages received, %d distinct ids, %d distinct recipients; want %d", len(msgs), len(ids), len(rcpts), n)
			}
			mails, err := outbox.List(t.Context(), db1.Reader(), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mails {
				if m.State != notify.Sent || m.Attempts != 1 {
					t.Fatalf("message %s", brief(m))
				}
			}
		})
	}
}

func TestMessageLeasedByADeadInstanceIsSentAfterTheLease(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk, Lease: 5 * time.Minute})
		enqueue(t, db, clk.Now(), "a@example.org")
		if _, err := db.Writer().ExecContext(t.Context(), `UPDATE outbox SET state = 'sending', attempts = 1,
			locked_by = 'dead', locked_until = $1`, clk.Now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := deliver(t, d); n != 0 {
			t.Fatal("took a message whose lease is live")
		}
		clk.Advance(5 * time.Minute)
		if n := deliver(t, d); n != 1 {
			t.Fatal("did not take over an expired lease")
		}
		if m := only(t, db); m.State != notify.Sent || m.Attempts != 2 {
			t.Fatalf("after takeover: %s", brief(m))
		}
	})
}

func TestDisabledDelivererKeepsMessagesForTheOutboxPage(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{Clock: clk})
		if !d.Disabled() {
			t.Fatal("no SMTP host but not disabled")
		}
		enqueue(t, db, clk.Now(), "a@example.org")
		clk.Advance(time.Hour)
		if n := deliver(t, d); n != 0 {
			t.Fatalf("disabled deliverer leased %d", n)
		}
		m := only(t, db)
		if m.State != notify.Pending || !strings.Contains(m.HTMLBody, "Élodie") || !m.CreatedAt.Equal(t0) {
			t.Fatalf("queued message: %s", brief(m))
		}
		got, err := outbox.Get(t.Context(), db.Reader(), m.ID)
		if err != nil || got.Subject != m.Subject || got.TextBody != m.TextBody {
			t.Fatalf("Get = %s, %v", brief(got), err)
		}
		for _, id := range []string{"0190a0a0-0000-7000-8000-000000000001", "not-a-uuid"} {
			if _, err := outbox.Get(t.Context(), db.Reader(), id); !errors.Is(err, fault.NotFound) {
				t.Fatalf("Get(%q) = %v", id, err)
			}
		}
	})
}

func TestRunDeliversUntilCancelled(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		reg := prometheus.NewRegistry()
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Interval: 10 * time.Millisecond, Registerer: reg})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- d.Run(ctx) }()
		enqueue(t, db, clock.System{}.Now(), "a@example.org")
		if _, err := srv.WaitFor(1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if v := counter(t, reg, "parcours_mail_queue_depth"); v < 0 || v > 1 {
			t.Errorf("queue depth = %v", v)
		}
	})
}

func TestPurgeSent(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(t0)
		for _, to := range []string{"old-sent@example.org", "new-sent@example.org", "old-failed@example.org", "old-pending@example.org"} {
			enqueue(t, db, clk.Now(), to)
		}
		ids := map[string]string{}
		for id, to := range recipientsByID(t, db) {
			ids[to] = id
		}
		set := func(to, state string, sentAt any) {
			if _, err := db.Writer().ExecContext(t.Context(), `UPDATE outbox SET state = $2, sent_at = $3, sealed = NULL WHERE id = $1`,
				ids[to], state, sentAt); err != nil {
				t.Fatal(err)
			}
		}
		set("old-sent@example.org", "sent", t0.Add(time.Hour))
		set("new-sent@example.org", "sent", t0.Add(10*24*time.Hour))
		set("old-failed@example.org", "failed", nil)
		clk.Advance(12 * 24 * time.Hour)
		res, err := notify.PurgeJob(db, clk, 7*24*time.Hour).Run(t.Context())
		if err != nil || res["deleted"] != 2 {
			t.Fatalf("purge job = %v, %v; want 2 deleted", res, err)
		}
		if n, err := notify.PurgeSent(t.Context(), db.Writer(), clk.Now().Add(-7*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("second PurgeSent = %d, %v; want 0", n, err)
		}
		mails, err := outbox.List(t.Context(), db.Reader(), 10)
		if err != nil {
			t.Fatal(err)
		}
		left := map[string]bool{}
		for _, m := range mails {
			for to, id := range ids {
				if m.ID == id {
					left[to] = true
				}
			}
		}
		if len(left) != 2 || !left["new-sent@example.org"] || !left["old-pending@example.org"] {
			t.Fatalf("left after purge: %v", left)
		}
	})
}

func TestEnqueueRefusesBadAddresses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		for _, to := range []string{"", "pas-une-adresse", "Nom <a@example.org>", "a@example.org\r\nBcc: b@example.org",
			"a@", "@example.org", "a@example.org, b@example.org", strings.Repeat("a", 250) + "@example.org"} {
			err := outbox.Enqueue(t.Context(), db.Writer(), t0, notify.Message{To: to, Kind: notify.KindAccountDeleted,
				Data: notify.AccountDeleted{FirstName: "A"}})
			if !errors.Is(err, fault.Invalid) || fault.FieldsOf(err)["email"] == "" {
				t.Errorf("Enqueue(%q) = %v, want an invalid email field", to, err)
			}
			if to != "" && err != nil && strings.Contains(err.Error(), to) {
				t.Errorf("error repeats the address: %v", err)
			}
		}
		if err := outbox.Enqueue(t.Context(), db.Writer(), t0, notify.Message{To: "a@example.org", Kind: "nope"}); !errors.Is(err, notify.ErrUnknownKind) {
			t.Errorf("unknown kind: %v", err)
		}
		if mails, _ := outbox.List(t.Context(), db.Reader(), 10); len(mails) != 0 {
			t.Fatalf("%d messages stored from bad input", len(mails))
		}
	})
}

// brief describes a stored message without its bodies, for failure messages.
func brief(m notify.Mail) string {
	return fmt.Sprintf("{to=%s kind=%s state=%s attempts=%d next=%s sent=%s last_error=%q erased=%v}", m.To, m.Kind, m.State,
		m.Attempts, m.NextAttemptAt.Format(time.RFC3339Nano), m.SentAt.Format(time.RFC3339Nano), m.LastError, m.Erased)
}

// recipientsByID maps the waiting messages' ids to their recipients, which are gone once the
// messages are sent or failed.
func recipientsByID(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	mails, err := outbox.List(t.Context(), db.Reader(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mails {
		if !m.Erased {
			out[m.ID] = m.To
		}
	}
	return out
}
