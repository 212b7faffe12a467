package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

func logPath(l *testLog) string { return filepath.Join(l.dir, audit.LogFile) }

// readLog returns the records of the test log's checkpoint log.
func readLog(t testing.TB, l *testLog) []audit.PublishedRecord {
	t.Helper()
	b, err := os.ReadFile(logPath(l))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := audit.ReadPublished(bytes.NewReader(b), l.verifier)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Err != nil {
			t.Fatalf("log record at line %d: %v", r.Line, r.Err)
		}
	}
	return recs
}

func sizes(recs []audit.PublishedRecord) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Checkpoint.Size)
	}
	return out
}

// dbNotes returns the database's signed checkpoints, smallest first, as the log holds them.
func dbNotes(t testing.TB, db *database.DB) []byte {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT signed_note FROM audit_checkpoints ORDER BY tree_size`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b bytes.Buffer
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		b.WriteString(s + "\n")
	}
	return b.Bytes()
}

func countRows(t testing.TB, db *database.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.Reader().QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// recordAt records one entry dated at.
func (l *testLog) recordAt(t testing.TB, at time.Time) {
	t.Helper()
	e := sampleEvent(l.n, at)
	l.n++
	if err := l.db.WithTx(context.Background(), func(tx *sql.Tx) error { return audit.Record(context.Background(), tx, e) }); err != nil {
		t.Fatal(err)
	}
}

// tamper commits the change with the append-only triggers dropped (and restored by nothing:
// the attacker does not put them back).
func tamper(t testing.TB, db *database.DB, fn func(ctx context.Context, tx *sql.Tx) error) {
	t.Helper()
	err := db.WithTx(context.Background(), func(tx *sql.Tx) error {
		dropTriggers(t, tx, db.Engine())
		return fn(context.Background(), tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func hasKind(rep audit.Report, kind audit.ProblemKind) bool {
	return slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool { return p.Kind == kind })
}

// Every committed checkpoint is appended once, in order, byte for byte as signed, to a file
// only its owner can read; a round with nothing new leaves the file alone.
func TestPublishAppendsEachCommittedCheckpointOnce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		if got := sizes(readLog(t, l)); !slices.Equal(got, []int64{20, 45, fixtureSize}) {
			t.Fatalf("published sizes %v", got)
		}
		content, err := os.ReadFile(logPath(l))
		if err != nil {
			t.Fatal(err)
		}
		if want := dbNotes(t, db); !bytes.Equal(content, want) {
			t.Fatalf("log:\n%s\nwant the database's signed notes:\n%s", content, want)
		}
		info, err := os.Stat(logPath(l))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("log mode %v, %v", info.Mode(), err)
		}
		if n, err := l.pub.Publish(t.Context()); n != 0 || err != nil {
			t.Fatalf("Publish with nothing new = %d, %v", n, err)
		}
		if again, _ := os.ReadFile(logPath(l)); !bytes.Equal(again, content) {
			t.Fatal("a round with nothing new changed the log")
		}
		// Another process opening the log finds its newest record from the end of the file.
		other, err := audit.OpenCheckpointLog(l.dir, l.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if head, err := other.Head(); err != nil || head.Size != fixtureSize {
			t.Fatalf("head read back: %+v, %v", head, err)
		}
		if rep, err := l.verify(t); err != nil || rep.Published != 3 || rep.Unpublished != 0 {
			t.Fatalf("Verify: %v %+v", err, rep)
		}
	})
}

// A publication that fails is reported and caught up at the next round, never skipped: the
// checkpoints committed meanwhile are all published, in order.
func TestPublicationFailureIsReportedThenCaughtUp(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := newTestLog(t, db)
		l.record(t, 5)
		l.integrate(t)
		path := logPath(l)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// A record torn by a crash in the middle of a write: the entries are still sealed, the
		// publication stops and says why.
		if err := os.WriteFile(path, append(bytes.Clone(good), audit.Origin+"\n10\n"...), 0o600); err != nil {
			t.Fatal(err)
		}
		l.record(t, 5)
		n, err := l.seq.Integrate(ctx)
		if n != 5 || err == nil || !strings.Contains(err.Error(), "incomplet") {
			t.Fatalf("Integrate with a torn log = %d, %v; want 5 sealed and the publication error", n, err)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM audit_checkpoints`); got != 2 {
			t.Fatalf("%d checkpoints in the database, want 2", got)
		}
		if err := os.WriteFile(path, good, 0o600); err != nil { // the operator repairs the file
			t.Fatal(err)
		}
		if n, err := l.seq.Integrate(ctx); n != 0 || err != nil {
			t.Fatalf("Integrate after the repair = %d, %v", n, err)
		}
		if got := sizes(readLog(t, l)); !slices.Equal(got, []int64{5, 10}) {
			t.Fatalf("published sizes after the retry %v, want [5 10]", got)
		}
		// The log gone: sealing stops (it cannot check that the tree extends what was
		// published), the entries wait, and nothing is lost when the log is back.
		if err := os.Rename(path, path+".away"); err != nil {
			t.Fatal(err)
		}
		l.record(t, 2)
		if n, err := l.seq.Integrate(ctx); n != 0 || err == nil {
			t.Fatalf("Integrate without the log = %d, %v; want an error", n, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the log was recreated: %v", err)
		}
		if err := os.Rename(path+".away", path); err != nil {
			t.Fatal(err)
		}
		if n, err := l.seq.Integrate(ctx); n != 2 || err != nil {
			t.Fatalf("Integrate with the log back = %d, %v", n, err)
		}
		if got := sizes(readLog(t, l)); !slices.Equal(got, []int64{5, 10, 12}) {
			t.Fatalf("published sizes %v", got)
		}
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("Verify: %v %+v", err, rep.Problems)
		}
	})
}

// Over a tail cut in the database, the sequencer refuses to sign; a history signed anyway (by
// a sequencer that does not publish) is never published, and Verify reports the fork.
func TestSealingAndPublicationRefuseAForkedTree(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := fixture(t, db)
		tamper(t, db, func(ctx context.Context, tx *sql.Tx) error { return cutTail(ctx, tx, 45) })
		if _, err := l.seq.Integrate(ctx); !errors.Is(err, audit.ErrTampered) {
			t.Fatalf("Integrate over a cut tail = %v, want ErrTampered", err)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM audit_events WHERE seq IS NULL`); got != 3 {
			t.Fatalf("%d entries waiting, want the 3 left unsealed", got)
		}
		rogue := audit.NewSequencer(db, l.signer, l.clock)
		l.record(t, 30)
		if n, err := rogue.Integrate(ctx); n != 33 || err != nil {
			t.Fatalf("rogue Integrate = %d, %v", n, err)
		}
		before, _ := os.ReadFile(logPath(l))
		if n, err := l.pub.Publish(ctx); n != 0 || !errors.Is(err, audit.ErrTampered) {
			t.Fatalf("Publish of a fork = %d, %v; want 0, ErrTampered", n, err)
		}
		if after, _ := os.ReadFile(logPath(l)); !bytes.Equal(before, after) {
			t.Fatal("the fork reached the published log")
		}
		rep, err := l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || !slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool {
			return p.Kind == audit.ProblemFork && p.TreeSize == fixtureSize
		}) {
			t.Fatalf("Verify of a fork: %v %s", err, names(rep.Problems))
		}
	})
}

// The witness receives the newest checkpoint as text/plain; when it fails the log is still
// written, the failure is reported without the address's token, and retried after a delay.
func TestWitnessReceivesCheckpointsAndFailuresAreRetried(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		var mu sync.Mutex
		var bodies [][]byte
		var requests int
		failing := false
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			requests++
			b, _ := io.ReadAll(r.Body)
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" || r.URL.Query().Get("token") != "SECRET" {
				t.Errorf("witness request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			}
			if failing {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			bodies = append(bodies, b)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		l := newTestLog(t, db)
		l.pub = newPublisher(t, db, l.dir, l.verifier, l.clock, audit.PublisherOptions{WitnessURL: srv.URL + "/add-checkpoint?token=SECRET"})
		l.seq.PublishTo(l.pub)
		witnessed := func() (int, []byte) {
			mu.Lock()
			defer mu.Unlock()
			if len(bodies) == 0 {
				return requests, nil
			}
			return requests, bodies[len(bodies)-1]
		}

		l.record(t, 3)
		l.integrate(t)
		if _, last := witnessed(); !bytes.Equal(append(last, '\n'), dbNotes(t, db)) {
			t.Fatalf("witness got %q", last)
		}
		mu.Lock()
		failing = true
		mu.Unlock()
		l.record(t, 2)
		_, err := l.seq.Integrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "témoin") || strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("Integrate with the witness down = %v", err)
		}
		if got := sizes(readLog(t, l)); !slices.Equal(got, []int64{3, 5}) {
			t.Fatalf("published sizes %v: the log must not wait for the witness", got)
		}
		n, _ := witnessed()
		if _, err := l.seq.Integrate(ctx); err != nil {
			t.Fatalf("Integrate during the witness's back-off = %v", err)
		}
		if again, _ := witnessed(); again != n {
			t.Fatal("the witness was asked again before its back-off ended")
		}
		mu.Lock()
		failing = false
		mu.Unlock()
		l.clock.Advance(2 * time.Second)
		if _, err := l.seq.Integrate(ctx); err != nil {
			t.Fatalf("Integrate after the witness is back = %v", err)
		}
		recs := readLog(t, l)
		if _, last := witnessed(); !bytes.HasPrefix(last, []byte(audit.Origin+"\n5\n")) || recs[len(recs)-1].Checkpoint.Size != 5 {
			t.Fatalf("witness got %q after the retry", last)
		}
	})
}

// Attack (a): dropping the triggers and cutting the tail of the three tables together leaves a
// database that is consistent on its own; the published log shows the cut.
func TestVerifyReportsATailCutWithItsCheckpoints(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("before: %v %s", err, names(rep.Problems))
		}
		tamper(t, db, func(ctx context.Context, tx *sql.Tx) error { return cutTail(ctx, tx, 45) })
		rep, err := l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || !slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool {
			return p.Kind == audit.ProblemTailCut && p.TreeSize == fixtureSize
		}) {
			t.Fatalf("cut tail: %v %s", err, names(rep.Problems))
		}
		// Without the published log, the database alone hides the cut: only the missing log is
		// reported.
		rep, _ = audit.Verify(t.Context(), db, audit.VerifyOptions{Verifier: l.verifier})
		if rep.ProblemCount != 1 || rep.Problems[0].Kind != audit.ProblemPublished {
			t.Fatalf("database alone: %s", names(rep.Problems))
		}
		// A backup taken when the tree had 45 entries is verified as such: what was published
		// after it is counted, not reported.
		opts := l.opts(t)
		opts.Backup = true
		if rep, err := audit.Verify(t.Context(), db, opts); err != nil || rep.Beyond != 1 || rep.Published != 3 {
			t.Fatalf("as a backup: %v %+v", err, rep)
		}
	})
}

// Attack (b): a forged entry dated in the past. Verify reports it while it waits and never
// seals it; once the server has sealed and signed it, Verify reports it as back-dated.
func TestVerifyReportsABackdatedEntryAndNeverSealsIt(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		forged := forgedEvent()
		forged.OccurredAt = t0.Add(-48 * time.Hour)
		// Inserting an entry needs no trigger dropped: it is what Record does.
		if err := db.WithTx(t.Context(), func(tx *sql.Tx) error { return insertUnsequenced(t.Context(), tx, forged) }); err != nil {
			t.Fatal(err)
		}
		state := func() [3]int64 {
			return [3]int64{countRows(t, db, `SELECT COUNT(*) FROM audit_events WHERE seq IS NULL`),
				countRows(t, db, `SELECT COUNT(*) FROM audit_checkpoints`), countRows(t, db, `SELECT COUNT(*) FROM audit_hashes`)}
		}
		before := state()
		rep, err := l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || !hasKind(rep, audit.ProblemLate) || rep.Late != 1 {
			t.Fatalf("waiting forged entry: %v %s", err, names(rep.Problems))
		}
		if after := state(); after != before {
			t.Fatalf("Verify wrote: %v before, %v after", before, after)
		}
		if n := l.integrate(t); n != 4 {
			t.Fatalf("the server sealed %d entries, want 4", n)
		}
		rep, err = l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || !slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool {
			return p.Kind == audit.ProblemBackdated && p.Seq == fixtureSize
		}) || hasKind(rep, audit.ProblemLate) {
			t.Fatalf("sealed forged entry: %v %s", err, names(rep.Problems))
		}
	})
}

// Entries committed out of their time order, as concurrent transactions are, pass within
// SealDelay; beyond it, the later-sealed entry is reported.
func TestVerifyToleratesCommitsOutOfOrderWithinSealDelay(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := newTestLog(t, db)
		l.recordAt(t, t0.Add(audit.SealDelay))
		l.integrate(t)
		l.recordAt(t, t0) // stamped a minute before, committed after: a long transaction
		l.integrate(t)
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("out of order by SealDelay: %v %s", err, names(rep.Problems))
		}
		l.recordAt(t, t0.Add(-audit.SealDelay-time.Microsecond))
		l.integrate(t)
		rep, err := l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || rep.ProblemCount != 1 || rep.Problems[0].Kind != audit.ProblemBackdated || rep.Problems[0].Seq != 2 {
			t.Fatalf("out of order beyond SealDelay: %v %s", err, names(rep.Problems))
		}
	})
}

// Entries left unsequenced more than SealDelay are reported: by the clock of the check, or for
// a backup by its newest entry. Entries dated after the check are reported too.
func TestVerifyReportsLateAndFutureEntries(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := newTestLog(t, db)
		l.recordAt(t, t0)
		l.recordAt(t, t0.Add(audit.SealDelay/2))
		l.clock.Set(t0.Add(audit.SealDelay))
		if rep, err := l.verify(t); err != nil || rep.Unsequenced != 2 || rep.Late != 0 {
			t.Fatalf("waiting for SealDelay: %v %+v", err, rep)
		}
		l.clock.Advance(time.Microsecond)
		rep, err := l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || rep.Late != 1 || !hasKind(rep, audit.ProblemLate) {
			t.Fatalf("waiting beyond SealDelay: %v %+v", err, rep)
		}
		// A backup is judged by its newest entry: the copy was made while they waited.
		opts := l.opts(t)
		opts.Backup = true
		if rep, err := audit.Verify(t.Context(), db, opts); err != nil || rep.Late != 0 {
			t.Fatalf("backup with entries waiting: %v %+v", err, rep)
		}
		l.recordAt(t, t0.Add(audit.SealDelay+time.Microsecond))
		opts = l.opts(t)
		opts.Backup = true
		if rep, err := audit.Verify(t.Context(), db, opts); !errors.Is(err, audit.ErrTampered) || rep.Late != 1 {
			t.Fatalf("backup with an entry waiting beyond SealDelay: %v %+v", err, rep)
		}
		l.integrate(t)
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("sealed: %v %s", err, names(rep.Problems))
		}
		l.recordAt(t, l.clock.Now().Add(audit.SealDelay+time.Second))
		l.integrate(t)
		rep, err = l.verify(t)
		if !errors.Is(err, audit.ErrTampered) || rep.ProblemCount != 1 || rep.Problems[0].Kind != audit.ProblemFuture {
			t.Fatalf("entry from the future: %v %s", err, names(rep.Problems))
		}
	})
}

// What is wrong with the published log itself is reported: a missing or empty log, a record
// edited, torn or signed by another key.
func TestVerifyReportsAFaultyPublishedLog(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		good, err := os.ReadFile(logPath(l))
		if err != nil {
			t.Fatal(err)
		}
		recs := bytes.SplitAfter(good, []byte("\n\n— "))
		signer, _ := newKeys(t, audit.Origin)
		foreign, err := note.Sign(&note.Note{Text: audit.Origin + "\n61\n" + strings.Split(string(good), "\n")[2] + "\n"}, signer)
		if err != nil {
			t.Fatal(err)
		}
		edited := bytes.Replace(good, []byte(audit.Origin+"\n45\n"), []byte(audit.Origin+"\n44\n"), 1)
		for name, log := range map[string][]byte{
			"empty":         {},
			"edited record": edited,
			"torn record":   append(bytes.Clone(good), recs[0]...),
			"foreign key":   append(bytes.Clone(good), append(foreign, '\n')...),
		} {
			opts := audit.VerifyOptions{Verifier: l.verifier, Published: bytes.NewReader(log)}
			rep, err := audit.Verify(t.Context(), db, opts)
			if !errors.Is(err, audit.ErrTampered) || !hasKind(rep, audit.ProblemPublished) {
				t.Errorf("%s: %v %s", name, err, names(rep.Problems))
			}
		}
		if rep, err := audit.Verify(t.Context(), db, audit.VerifyOptions{Verifier: l.verifier}); !errors.Is(err, audit.ErrTampered) || !hasKind(rep, audit.ProblemPublished) {
			t.Errorf("no log: %v %s", err, names(rep.Problems))
		}
	})
}

// A checkpoint directory that is missing, not a directory, or where the log cannot be written
// is a clear error in French; so is a log whose end is torn.
func TestOpenCheckpointLogErrorsAreClear(t *testing.T) {
	_, verifier := newKeys(t, audit.Origin)
	root := t.TempDir()
	file := filepath.Join(root, "fichier")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(root, "bloque")
	if err := os.MkdirAll(filepath.Join(blocked, audit.LogFile), 0o700); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(root, "dechire")
	if err := os.MkdirAll(torn, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(torn, audit.LogFile), []byte(audit.Origin+"\n3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		filepath.Join(root, "absent"): "introuvable",
		file:                          "n'est pas un dossier",
		blocked:                       "impossible à écrire",
		torn:                          "incomplet",
	} {
		if _, err := audit.OpenCheckpointLog(dir, verifier); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", dir, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a missing directory was created")
	}
}
