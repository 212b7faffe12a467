package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

func TestIntegrateSequencesByTimeAndSignsCheckpoints(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := newTestLog(t, db)
		if rep, err := l.verify(t); err != nil || rep.TreeSize != 0 {
			t.Fatalf("empty log: %+v, %v", rep, err)
		}
		// Committed out of order, as concurrent requests do.
		for i, offset := range []int{5, 1, 3, 2, 4} {
			e := sampleEvent(i, t0.Add(time.Duration(offset)*time.Second))
			e.RequestID = "r" + string(rune('0'+offset))
			if err := audit.Record(ctx, db.Writer(), e); err != nil {
				t.Fatal(err)
			}
		}
		if n := l.integrate(t); n != 5 {
			t.Fatalf("Integrate = %d, want 5", n)
		}
		if n := l.integrate(t); n != 0 {
			t.Fatalf("second Integrate = %d, want 0", n)
		}
		rows, err := db.Reader().QueryContext(ctx, `SELECT seq, request_id FROM audit_events ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var order string
		for rows.Next() {
			var seq int64
			var req string
			if err := rows.Scan(&seq, &req); err != nil {
				t.Fatal(err)
			}
			order += req
		}
		rows.Close()
		if order != "r1r2r3r4r5" {
			t.Fatalf("sequenced in order %s, want by occurred_at", order)
		}
		var signed string
		var root []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT signed_note, root_hash FROM audit_checkpoints`).Scan(&signed, &root); err != nil {
			t.Fatal(err)
		}
		c, err := audit.OpenCheckpoint([]byte(signed), l.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != 5 || c.Origin != audit.Origin || !bytes.Equal(c.Root[:], root) {
			t.Fatalf("checkpoint %+v, stored root %x", c, root)
		}
		// The signed text is a C2SP tlog-checkpoint: origin, size, base64 root.
		if want := audit.Origin + "\n5\n"; !bytes.HasPrefix([]byte(signed), []byte(want)) {
			t.Fatalf("checkpoint text %q does not start with %q", signed, want)
		}
		rep, err := l.verify(t)
		if err != nil {
			t.Fatalf("Verify: %v %+v", err, rep.Problems)
		}
		if rep.TreeSize != 5 || rep.Entries != 5 || rep.Checkpoints != 1 || rep.Newest.Size != 5 || rep.Unsequenced != 0 {
			t.Fatalf("report %+v", rep)
		}
	})
}

// The keyring's Ed25519 seed signs the checkpoints in the application.
func TestCheckpointsSignedWithTheKeyring(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		kr, err := crypto.NewKeyring(t0)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := kr.AuditSigner(audit.Origin)
		if err != nil {
			t.Fatal(err)
		}
		verifier, err := kr.AuditVerifier(audit.Origin)
		if err != nil {
			t.Fatal(err)
		}
		l := newTestLogWith(t, db, signer, verifier)
		l.record(t, 7)
		l.integrate(t)
		// The public key alone, as handed to an auditor, checks the trail.
		vkey, err := kr.AuditVerifierKey(audit.Origin)
		if err != nil {
			t.Fatal(err)
		}
		public, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		opts := l.opts(t)
		opts.Verifier = public
		if rep, err := audit.Verify(t.Context(), db, opts); err != nil || rep.Published != 1 {
			t.Fatalf("Verify: %v %+v", err, rep)
		}
		// A checkpoint is only accepted from the key it names.
		_, other := newKeys(t, audit.Origin)
		opts = l.opts(t)
		opts.Verifier = other
		if _, err := audit.Verify(t.Context(), db, opts); !errors.Is(err, audit.ErrTampered) {
			t.Fatalf("Verify with another key = %v, want ErrTampered", err)
		}
	})
}

// Two application instances (two pools on one database) integrate at once while requests record:
// every entry is sequenced exactly once and seq has no gap.
func TestConcurrentIntegrateAcrossInstances(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := t.Context()
			db1, url := databasetest.Open(t, engine)
			db2, err := database.Open(ctx, url, "", database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			signer, verifier := newKeys(t, audit.Origin)
			clk := clock.NewFake(t0)
			instances := []*database.DB{db1, db2}
			const writers, perWriter = 4, 60
			var writing sync.WaitGroup
			var done atomic.Bool
			errs := make(chan error, writers+2)
			for w := range writers {
				writing.Go(func() {
					db := instances[w%2]
					for i := range perWriter {
						e := sampleEvent(w*perWriter+i, clk.Now().Add(time.Duration(i)*time.Millisecond))
						if err := db.WithTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e) }); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			// Each instance publishes to the same checkpoint log, as two processes sharing a
			// directory do: the file lock keeps each checkpoint there exactly once, in order.
			dir := t.TempDir()
			sequencer := func(db *database.DB) *audit.Sequencer {
				s := audit.NewSequencer(db, signer, clk)
				s.PublishTo(newPublisher(t, db, dir, verifier, clk, audit.PublisherOptions{}))
				return s
			}
			var integrating sync.WaitGroup
			var rounds atomic.Int64
			for _, db := range instances {
				s := sequencer(db)
				integrating.Go(func() {
					for !done.Load() {
						if _, err := s.Integrate(ctx); err != nil {
							errs <- err
							return
						}
						rounds.Add(1)
					}
				})
			}
			writing.Wait()
			done.Store(true)
			integrating.Wait()
			if _, err := sequencer(db1).Integrate(ctx); err != nil {
				t.Fatal(err)
			}
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			var count, distinct, minSeq, maxSeq, unsequenced int64
			if err := db1.Reader().QueryRowContext(ctx, `SELECT COUNT(seq), COUNT(DISTINCT seq), MIN(seq), MAX(seq),
				(SELECT COUNT(*) FROM audit_events WHERE seq IS NULL) FROM audit_events`).
				Scan(&count, &distinct, &minSeq, &maxSeq, &unsequenced); err != nil {
				t.Fatal(err)
			}
			const total = writers * perWriter
			if count != total || distinct != total || minSeq != 0 || maxSeq != total-1 || unsequenced != 0 {
				t.Fatalf("seq: %d numbered, %d distinct, from %d to %d, %d left; want %d, 0..%d", count, distinct, minSeq, maxSeq, unsequenced, total, total-1)
			}
			published, err := audit.OpenPublished(filepath.Join(dir, audit.LogFile))
			if err != nil {
				t.Fatal(err)
			}
			defer published.Close()
			rep, err := audit.Verify(ctx, db2, audit.VerifyOptions{Verifier: verifier, Published: published})
			if err != nil {
				t.Fatalf("Verify: %v %+v", err, rep.Problems)
			}
			if rep.Published != rep.Checkpoints || rep.Unpublished != 0 || rep.PublishedNewest.Size != total {
				t.Fatalf("%d checkpoints, %d published (newest %d), %d unpublished: want each published once", rep.Checkpoints, rep.Published, rep.PublishedNewest.Size, rep.Unpublished)
			}
			t.Logf("%d integrate rounds, %d checkpoints", rounds.Load(), rep.Checkpoints)
		})
	}
}

// Extending a tree whose tail was cut would bury the evidence: Integrate refuses.
func TestIntegrateRefusesATamperedTail(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := fixture(t, db)
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			dropTriggers(t, tx, db.Engine())
			_, err := tx.ExecContext(ctx, `DELETE FROM audit_checkpoints WHERE tree_size = 61`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.seq.Integrate(ctx); !errors.Is(err, audit.ErrTampered) {
			t.Fatalf("Integrate on a cut tail = %v, want ErrTampered", err)
		}
	})
}

func TestInclusionProofs(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := fixture(t, db)
		for _, seq := range []int64{0, 1, 19, 20, 33, 60} {
			p, err := audit.Prove(ctx, db.Reader(), seq)
			if err != nil {
				t.Fatal(err)
			}
			if p.Entry.Seq != seq || !p.Entry.Sequenced {
				t.Fatalf("proof of %d is about entry %d", seq, p.Entry.Seq)
			}
			if err := p.Check(l.verifier); err != nil {
				t.Fatalf("proof of %d: %v", seq, err)
			}
			forged := p
			forged.Leaf = tlog.RecordHash([]byte("autre chose"))
			if err := forged.Check(l.verifier); !errors.Is(err, audit.ErrTampered) {
				t.Fatalf("forged leaf accepted: %v", err)
			}
			moved := p
			moved.Entry.Seq = (seq + 1) % 61
			if err := moved.Check(l.verifier); err == nil {
				t.Fatal("proof accepted at another position")
			}
		}
		if _, err := audit.Prove(ctx, db.Reader(), 61); !errors.Is(err, fault.NotFound) {
			t.Fatalf("proof of an unsequenced entry: %v, want NotFound", err)
		}
	})
}

// dropTriggers removes the append-only triggers inside tx, as someone owning the tables could;
// rolling tx back restores them.
func dropTriggers(t testing.TB, tx *sql.Tx, engine database.Engine) {
	t.Helper()
	stmts := []string{
		`DROP TRIGGER audit_events_no_delete`, `DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_insert_only`,
		`DROP TRIGGER audit_hashes_no_delete`, `DROP TRIGGER audit_hashes_no_update`, `DROP TRIGGER audit_hashes_insert_only`,
		`DROP TRIGGER audit_checkpoints_no_delete`, `DROP TRIGGER audit_checkpoints_no_update`, `DROP TRIGGER audit_checkpoints_insert_only`,
	}
	if engine == database.Postgres {
		stmts = []string{
			`DROP TRIGGER audit_events_guard ON audit_events`,
			`DROP TRIGGER audit_hashes_guard ON audit_hashes`,
			`DROP TRIGGER audit_checkpoints_guard ON audit_checkpoints`,
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
