package audit_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/database"
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// testLog is a database with a sequencer that publishes to a checkpoint log in a temporary
// directory, and the verifier of its checkpoints.
type testLog struct {
	db       *database.DB
	seq      *audit.Sequencer
	pub      *audit.Publisher
	signer   note.Signer
	verifier note.Verifier
	clock    *clock.Fake
	dir      string
	n        int
}

func newTestLog(t testing.TB, db *database.DB) *testLog {
	t.Helper()
	signer, verifier := newKeys(t, audit.Origin)
	return newTestLogWith(t, db, signer, verifier)
}

func newTestLogWith(t testing.TB, db *database.DB, signer note.Signer, verifier note.Verifier) *testLog {
	t.Helper()
	clk := clock.NewFake(t0)
	l := &testLog{db: db, seq: audit.NewSequencer(db, signer, clk), signer: signer, verifier: verifier, clock: clk, dir: t.TempDir()}
	l.pub = newPublisher(t, db, l.dir, verifier, clk, audit.PublisherOptions{})
	l.seq.PublishTo(l.pub)
	return l
}

func newPublisher(t testing.TB, db *database.DB, dir string, verifier note.Verifier, clk clock.Clock, opts audit.PublisherOptions) *audit.Publisher {
	t.Helper()
	log, err := audit.OpenCheckpointLog(dir, verifier)
	if err != nil {
		t.Fatal(err)
	}
	p, err := audit.NewPublisher(db, log, verifier, clk, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// opts returns what Verify needs to check the database against the published log as it is now.
func (l *testLog) opts(t testing.TB) audit.VerifyOptions {
	t.Helper()
	r, err := audit.OpenPublished(filepath.Join(l.dir, audit.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return audit.VerifyOptions{Verifier: l.verifier, Published: r, Now: l.clock.Now()}
}

// verify runs Verify against the published log.
func (l *testLog) verify(t testing.TB) (audit.Report, error) {
	t.Helper()
	return audit.Verify(context.Background(), l.db, l.opts(t))
}

func newKeys(t testing.TB, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier
}

// event returns a varied, valid event; i makes it unique.
func sampleEvent(i int, at time.Time) audit.Event {
	e := audit.Event{
		OccurredAt: at,
		Action:     []string{"health.read", "health.update", "session.login", "application.read"}[i%4],
		ObjectType: "person",
		ObjectRef:  fmt.Sprintf("%032x", i),
		Purpose:    "accompagnement",
		Outcome:    []audit.Outcome{audit.OutcomeOK, audit.OutcomeDenied, audit.OutcomeFailed}[i%3],
		RequestID:  fmt.Sprintf("req-%d", i),
		Details:    map[string]string{"fields_read": "rqth,restrictions", "count": fmt.Sprint(i)},
	}
	if i%5 != 0 { // some entries come from the platform itself, without actor
		e.ActorUser = uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint("user", i%3))).String()
		e.ActorOrg = uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint("org", i%2))).String()
	}
	return e
}

// record appends count sample events, one transaction each, a millisecond apart.
func (l *testLog) record(t testing.TB, count int) {
	t.Helper()
	ctx := context.Background()
	for range count {
		l.clock.Advance(time.Millisecond)
		e := sampleEvent(l.n, l.clock.Now())
		l.n++
		if err := l.db.WithTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

func (l *testLog) integrate(t testing.TB) int {
	t.Helper()
	n, err := l.seq.Integrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fixture builds a log of 61 sequenced entries under three checkpoints (20, 45, 61) and three
// entries left unsequenced.
func fixture(t testing.TB, db *database.DB) *testLog {
	t.Helper()
	l := newTestLog(t, db)
	for _, n := range []int{20, 25, 16} {
		l.record(t, n)
		if got := l.integrate(t); got != n {
			t.Fatalf("Integrate sequenced %d entries, want %d", got, n)
		}
	}
	l.record(t, 3)
	return l
}
