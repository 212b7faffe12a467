package crypto_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// Rotation runs online: data sealed before it opens after it, readers running during it never
// fail, writers keep sealing, and once the old KEK is retired nothing needs it.
func TestRotationIsOnlineAndRetiresTheOldKey(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, path := newEnvelope(t)
		createFieldTable(t, db)
		// More subjects than one re-wrap batch, so the rotation takes several transactions.
		const subjects = 1300
		seedSubjects(t, db, env, 0, subjects)

		// Each reader and the writer is a separate "instance" that loaded the keyring before the
		// rotation and must follow it.
		var reads, failures, writes atomic.Int64
		var firstFailure atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for r := range 4 {
			instance, err := crypto.OpenEnvelope(path, clock.NewFake(testNow))
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(r), 1))
				for {
					select {
					case <-stop:
						return
					default:
					}
					i := rng.IntN(subjects)
					if err := checkRow(ctx, db, instance, i); err != nil {
						failures.Add(1)
						firstFailure.CompareAndSwap(nil, err)
					}
					reads.Add(1)
				}
			})
		}
		writer, err := crypto.OpenEnvelope(path, clock.NewFake(testNow))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := subjects; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := sealRowErr(db, writer, i); err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, err)
					return
				}
				writes.Add(1)
			}
		})

		// Readers are under way before the rotation starts and keep reading after it ends, so
		// the window in between is covered whatever the machine's load.
		waitForReads := func(n int64) {
			for deadline := time.Now().Add(30 * time.Second); reads.Load() < n && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
		}
		waitForReads(20)
		before := reads.Load()
		rep, err := crypto.Rotate(ctx, db, path)
		during := reads.Load() - before
		waitForReads(reads.Load() + 20)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if n := failures.Load(); n > 0 {
			t.Fatalf("%d of %d reads/writes failed during rotation; first: %v", n, reads.Load(), firstFailure.Load())
		}
		t.Logf("rotation: %+v; %d reads completed during it (%d in all) and %d writes", rep, during, reads.Load(), writes.Load())
		if during < 1 {
			t.Fatal("no read completed during the rotation: the test proves nothing")
		}
		if rep.NewVersion != 2 || rep.Remaining != 0 || rep.Rewrapped < subjects || rep.Batches < 3 || !slices.Equal(rep.Retirable, []int{1}) {
			t.Fatalf("report %+v", rep)
		}
		total := subjects + int(writes.Load())
		var underNew int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject_keys WHERE kek_version = 2`).Scan(&underNew); err != nil {
			t.Fatal(err)
		}
		if underNew != total {
			t.Fatalf("%d keys under KEK 2, want all %d", underNew, total)
		}

		ret, err := crypto.Retire(ctx, db, path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ret.Retired, []int{1}) || len(ret.Kept) != 0 {
			t.Fatalf("retire report %+v", ret)
		}
		// Without KEK 1, and with no file to reload from, every value still opens.
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		kr, err := crypto.ParseKeyring(data)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(kr.Versions(), []int{2}) {
			t.Fatalf("keyring versions after retire: %v", kr.Versions())
		}
		fresh := crypto.NewEnvelope(kr, clock.NewFake(testNow))
		for i := range total {
			if err := checkRow(ctx, db, fresh, i); err != nil {
				t.Fatalf("after retiring KEK 1: %v", err)
			}
		}
		// The pseudonym and audit keys survive rotation: pseudonyms stay linkable.
		if kr.Pseudonym("person", "1") != env.Pseudonym("person", "1") {
			t.Fatal("rotation changed the pseudonym key")
		}
	})
}

// An instance whose keyring cannot be reloaded (injected from the environment) must fail
// closed rather than wrap new keys under a KEK that rotation left behind.
func TestOutdatedInstanceFailsClosed(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		_, path := newEnvelope(t)
		old, err := crypto.LoadKeyring(path)
		if err != nil {
			t.Fatal(err)
		}
		oldFile, _ := os.ReadFile(path)
		stale := crypto.NewEnvelope(old, clock.NewFake(testNow))
		createFieldTable(t, db)
		sealRow(t, db, stale, "before", "person:before", "x")
		if _, err := crypto.Rotate(ctx, db, path); err != nil {
			t.Fatal(err)
		}
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			_, err := stale.Seal(ctx, tx, "person:new", healthBinding("n"), []byte("x"))
			return err
		})
		if !errors.Is(err, crypto.ErrUnknownKEK) {
			t.Fatalf("stale instance sealing for a new subject: %v, want ErrUnknownKEK", err)
		}
		var ct []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM crypto_test_fields WHERE id = 'before'`).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		if _, err := stale.Open(ctx, db.Reader(), "person:before", healthBinding("before"), ct); !errors.Is(err, crypto.ErrUnknownKEK) {
			t.Fatalf("stale instance reading a re-wrapped key: %v, want ErrUnknownKEK", err)
		}
		// Rotating with a keyring file restored from before the rotation is refused.
		if err := os.WriteFile(path, oldFile, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := crypto.Rotate(ctx, db, path); !errors.Is(err, crypto.ErrUnknownKEK) {
			t.Fatalf("Rotate with an outdated keyring file: %v, want ErrUnknownKEK", err)
		}
	})
}

func TestRetireKeepsKeysStillInUse(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		env, path := newEnvelope(t)
		createFieldTable(t, db)
		seedSubjects(t, db, env, 0, 3)
		// A rotation that did not reach one key: put subject 0's pre-rotation row back.
		var wrapped []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT wrapped_dek FROM subject_keys WHERE subject = 'person:0'`).Scan(&wrapped); err != nil {
			t.Fatal(err)
		}
		if _, err := crypto.Rotate(ctx, db, path); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Writer().ExecContext(ctx, `UPDATE subject_keys SET kek_version = 1, wrapped_dek = $1 WHERE subject = 'person:0'`, wrapped); err != nil {
			t.Fatal(err)
		}
		ret, err := crypto.Retire(ctx, db, path)
		if err != nil {
			t.Fatal(err)
		}
		if len(ret.Retired) != 0 || ret.Kept[1] != 1 {
			t.Fatalf("retire report %+v: KEK 1 still protects a key and must stay", ret)
		}
		kr, _ := crypto.LoadKeyring(path)
		rep, err := crypto.Rewrap(ctx, db, kr)
		if err != nil || rep.Rewrapped != 1 || rep.Remaining != 0 {
			t.Fatalf("Rewrap = %+v, %v", rep, err)
		}
		if ret, err := crypto.Retire(ctx, db, path); err != nil || !slices.Equal(ret.Retired, []int{1}) {
			t.Fatalf("second Retire = %+v, %v", ret, err)
		}
		if err := checkRow(ctx, db, crypto.NewEnvelope(mustLoad(t, path), clock.NewFake(testNow)), 0); err != nil {
			t.Fatal(err)
		}
	})
}

func mustLoad(t *testing.T, path string) *crypto.Keyring {
	t.Helper()
	kr, err := crypto.LoadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func seedSubjects(t testing.TB, db *database.DB, env *crypto.Envelope, from, to int) {
	t.Helper()
	ctx := context.Background()
	// One transaction per 1,000 subjects: seeding is not what is measured.
	for lo := from; lo < to; lo += 1000 {
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			for i := lo; i < min(lo+1000, to); i++ {
				if err := sealRowTx(ctx, tx, env, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sealRowErr(db *database.DB, env *crypto.Envelope, i int) error {
	return db.WithTx(context.Background(), func(tx *sql.Tx) error { return sealRowTx(context.Background(), tx, env, i) })
}

func sealRowTx(ctx context.Context, tx *sql.Tx, env *crypto.Envelope, i int) error {
	id := strconv.Itoa(i)
	ct, err := env.Seal(ctx, tx, "person:"+id, healthBinding(id), []byte("valeur "+id))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO crypto_test_fields (id, subject, clear_note, health) VALUES ($1, $2, '', $3)`, id, "person:"+id, ct)
	return err
}

func checkRow(ctx context.Context, db *database.DB, env *crypto.Envelope, i int) error {
	id := strconv.Itoa(i)
	var ct []byte
	if err := db.Reader().QueryRowContext(ctx, `SELECT health FROM crypto_test_fields WHERE id = $1`, id).Scan(&ct); err != nil {
		return fmt.Errorf("row %s: %w", id, err)
	}
	got, err := env.Open(ctx, db.Reader(), "person:"+id, healthBinding(id), ct)
	if err != nil {
		return fmt.Errorf("row %s: %w", id, err)
	}
	if string(got) != "valeur "+id {
		return fmt.Errorf("row %s: got %q", id, got)
	}
	return nil
}

// BenchmarkRotate measures a full rotation (new KEK, re-wrap of every DEK) over
// PARCOURS_BENCH_SUBJECTS subjects (10,000 by default) and reports the time per 1,000 subjects.
func BenchmarkRotate(b *testing.B) {
	n := 10_000
	if s := os.Getenv("PARCOURS_BENCH_SUBJECTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(fmt.Sprintf("%s/subjects=%d", engine, n), func(b *testing.B) {
			ctx := context.Background()
			db, _ := databasetest.Open(b, engine)
			env, path := newEnvelope(b)
			createFieldTable(b, db)
			seedSubjects(b, db, env, 0, n)
			b.ResetTimer()
			var total time.Duration
			for b.Loop() {
				rep, err := crypto.Rotate(ctx, db, path)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Rewrapped != n || rep.Remaining != 0 {
					b.Fatalf("report %+v", rep)
				}
				total += rep.Duration
				b.StopTimer()
				if _, err := crypto.Retire(ctx, db, path); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N)/float64(n)*1000, "ms/1000subjects")
		})
	}
}
