package notify_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/notify"
	"parcours/internal/notify/smtptest"
)

// A live link, a recipient and a first name: what a reader of the database must not find.
const (
	liveToken = "jeton-vivant-Zq8xT3kLm0"
	recipient = "camille.secret@example.org"
	firstName = "Prénomsecret"
)

func enqueueReset(t *testing.T, db *database.DB, now time.Time) {
	t.Helper()
	err := outbox.Enqueue(t.Context(), db.Writer(), now, notify.Message{To: recipient, Kind: notify.KindPasswordReset,
		Data: notify.PasswordReset{FirstName: firstName, Link: "https://parcours.test/mot-de-passe/nouveau/" + liveToken, ExpiresIn: "1 heure"}})
	if err != nil {
		t.Fatal(err)
	}
}

// rowBytes returns every column of every outbox row and of every key row, as the database
// returns them: what a reader of a dump sees of the outbox.
func rowBytes(t *testing.T, db *database.DB) []byte {
	t.Helper()
	var raw []byte
	for _, table := range []string{"outbox", "subject_keys"} {
		rows, err := db.Reader().QueryContext(t.Context(), `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				if b, ok := v.([]byte); ok {
					raw = append(raw, b...)
				} else {
					raw = fmt.Append(raw, v)
				}
				raw = append(raw, '|')
			}
		}
		rows.Close()
	}
	return raw
}

func TestContentIsSealedAtRest(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		enqueueReset(t, db, t0)
		m := only(t, db)
		// The control: the outbox does hold the message, readable with the keys.
		if m.To != recipient || !strings.Contains(m.TextBody, liveToken) || !strings.Contains(m.HTMLBody, liveToken) ||
			!strings.Contains(m.TextBody, firstName) || m.Subject == "" || m.Erased {
			t.Fatalf("opened message: %s\n%s", brief(m), m.TextBody)
		}
		raw := rowBytes(t, db)
		if !bytes.Contains(raw, []byte(m.ID)) || !bytes.Contains(raw, []byte(notify.KindPasswordReset)) {
			t.Fatal("the row scan does not see the clear metadata: it cannot be trusted")
		}
		for _, secret := range []string{liveToken, recipient, firstName, m.Subject, "mot-de-passe/nouveau"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%q found in clear in the outbox", secret)
			}
		}
	})
}

// Once sent, permanently refused or expired, a message keeps only its metadata: the sealed
// content and its key are gone, so a later backup holds nothing to open.
func TestContentIsDeletedAfterDelivery(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		srv.RejectRecipient("refused@example.org", 550)
		enqueueReset(t, db, clk.Now())
		enqueue(t, db, clk.Now(), "refused@example.org")
		waiting := recipientsByID(t, db)
		if n := deliver(t, d); n != 2 {
			t.Fatalf("leased %d", n)
		}
		if msgs := srv.Messages(); len(msgs) != 1 || !bytes.Contains(msgs[0].Data, []byte(liveToken)) {
			t.Fatalf("the server did not receive the opened message: %d messages", len(msgs))
		}
		// A message that waited past the give-up delay while the relay was unconfigured.
		enqueue(t, db, clk.Now(), "late@example.org")
		clk.Advance(25 * time.Hour)
		if n := deliver(t, d); n != 0 {
			t.Fatalf("an expired message was leased: %d", n)
		}
		mails, err := outbox.List(t.Context(), db.Reader(), 10)
		if err != nil {
			t.Fatal(err)
		}
		states := map[notify.State]int{}
		for _, m := range mails {
			states[m.State]++
			if !m.Erased || m.To != "" || m.TextBody != "" {
				t.Errorf("content kept after the outcome: %s", brief(m))
			}
		}
		if states[notify.Sent] != 1 || states[notify.Failed] != 2 {
			t.Fatalf("states %v, want 1 sent and 2 failed", states)
		}
		var sealed, keys int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox WHERE sealed IS NOT NULL`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM subject_keys WHERE subject LIKE 'outbox:%'`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if sealed != 0 || keys != 0 {
			t.Fatalf("%d sealed contents and %d message keys left", sealed, keys)
		}
		raw := rowBytes(t, db)
		for id := range waiting {
			if !bytes.Contains(raw, []byte(id)) {
				t.Fatalf("message %s's metadata is gone too", id)
			}
		}
		// The database refuses a sent message with content, and a waiting one without.
		if _, err := db.Writer().ExecContext(t.Context(), `UPDATE outbox SET sealed = $1 WHERE state = 'sent'`, []byte("x")); err == nil {
			t.Error("a sent message accepted a sealed content")
		}
		enqueue(t, db, clk.Now(), "a@example.org")
		if _, err := db.Writer().ExecContext(t.Context(), `UPDATE outbox SET sealed = NULL WHERE state = 'pending'`); err == nil {
			t.Error("a waiting message accepted losing its content")
		}
	})
}

// A sealed content moved to another message does not open: neither the demo page nor the
// deliverer reads it, and the deliverer abandons both messages without sending anything.
func TestSwappedContentDoesNotOpen(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		srv := smtptest.Start(t)
		clk := clock.NewFake(t0)
		enqueue(t, db, clk.Now(), "first@example.org")
		enqueue(t, db, clk.Now().Add(time.Millisecond), "second@example.org")
		mails, err := outbox.List(t.Context(), db.Reader(), 10)
		if err != nil || len(mails) != 2 {
			t.Fatalf("%d mails, %v", len(mails), err)
		}
		a, b := mails[0].ID, mails[1].ID
		sealedOf := func(id string) []byte {
			var b []byte
			if err := db.Reader().QueryRowContext(t.Context(), `SELECT sealed FROM outbox WHERE id = $1`, id).Scan(&b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		sa, sb := sealedOf(a), sealedOf(b)
		for id, sealed := range map[string][]byte{a: sb, b: sa} {
			if _, err := db.Writer().ExecContext(t.Context(), `UPDATE outbox SET sealed = $2 WHERE id = $1`, id, sealed); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{a, b} {
			if _, err := outbox.Get(t.Context(), db.Reader(), id); !errors.Is(err, crypto.ErrUndecryptable) {
				t.Fatalf("Get of a swapped message = %v, want ErrUndecryptable", err)
			}
		}
		if _, err := outbox.List(t.Context(), db.Reader(), 10); !errors.Is(err, crypto.ErrUndecryptable) {
			t.Fatalf("List with swapped messages = %v, want ErrUndecryptable", err)
		}
		d := newDeliverer(t, db, notify.Options{SMTP: relay(srv), Clock: clk})
		clk.Advance(time.Second)
		if n := deliver(t, d); n != 2 {
			t.Fatalf("leased %d", n)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("a message that did not open was sent")
		}
		after, err := outbox.List(t.Context(), db.Reader(), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range after {
			if m.State != notify.Failed || m.LastError != "contenu chiffré illisible" || !m.Erased {
				t.Fatalf("swapped message after delivery: %s", brief(m))
			}
		}
	})
}

func TestOutboxRefusesToWorkWithoutKeys(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		err := notify.Outbox{}.Enqueue(t.Context(), db.Writer(), t0, notify.Message{To: "a@example.org", Kind: notify.KindAccountDeleted,
			Data: notify.AccountDeleted{FirstName: "A"}})
		if err == nil {
			t.Fatal("an outbox without envelope enqueued a message")
		}
		if n := rowBytes(t, db); len(n) != 0 {
			t.Fatalf("rows written: %q", n)
		}
		srv := smtptest.Start(t)
		if _, err := notify.NewDeliverer(db, notify.Options{SMTP: relay(srv)}); err == nil {
			t.Fatal("a deliverer without envelope was built")
		}
	})
}

// EnqueueAll stores what Enqueue would, each message sealed under its own key, whatever the
// number of messages; one bad address fails the call.
func TestEnqueueAllSealsEachMessageUnderItsOwnKey(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		const n = 1200 // more than one statement of keys and of messages
		msgs := make([]notify.Message, n)
		for i := range msgs {
			msgs[i] = notify.Message{To: fmt.Sprintf("personne.%d@example.org", i), Kind: notify.KindApplicationUpdate,
				Data: notify.ApplicationUpdate{FirstName: firstName, Structure: "Le Relais", Paragraphs: []string{"Sans réponse depuis 60 jours."},
					Link: "https://parcours.test/candidatures"}}
		}
		if err := outbox.EnqueueAll(t.Context(), db.Writer(), t0, msgs); err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox`).Scan(&stored); err != nil || stored != n {
			t.Fatalf("%d messages (%v), want %d", stored, err, n)
		}
		all, err := outbox.List(t.Context(), db.Reader(), n) // List opens at most 500
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range all {
			if !strings.HasPrefix(m.To, "personne.") || !strings.Contains(m.TextBody, firstName) || m.State != notify.Pending || !m.NextAttemptAt.Equal(t0) {
				t.Fatalf("message: %s", brief(m))
			}
			seen[m.To] = true
		}
		if len(seen) != len(all) {
			t.Fatalf("%d distinct recipients in %d messages", len(seen), len(all))
		}
		var keys int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM subject_keys WHERE subject LIKE 'outbox:%'`).Scan(&keys); err != nil || keys != n {
			t.Fatalf("%d message keys (%v), want %d", keys, err, n)
		}
		raw := rowBytes(t, db)
		for _, secret := range []string{"personne.1@example.org", firstName} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%q found in clear in the outbox", secret)
			}
		}
		bad := []notify.Message{msgs[0], {To: "pas une adresse", Kind: notify.KindApplicationUpdate, Data: msgs[0].Data}}
		if err := outbox.EnqueueAll(t.Context(), db.Writer(), t0, bad); err == nil || strings.Contains(err.Error(), "pas une adresse") {
			t.Fatalf("bad address: %v", err)
		}
		if err := outbox.EnqueueAll(t.Context(), db.Writer(), t0, nil); err != nil {
			t.Fatal(err)
		}
	})
}
