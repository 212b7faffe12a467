package audit_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// The fixture's shape: 61 sequenced entries, checkpoints at 20, 45 and 61.
const fixtureSize = 61

// fixtureHashes is how many tree hashes the fixture stores.
var fixtureHashes = tlog.StoredHashCount(fixtureSize)

// tampering is one way to alter the trail behind the triggers' back. pos picks the target
// (an entry's seq, a hash index or a checkpoint, depending on the kind); wantSeq is the seq the
// report must name, or -1 when the finding is located otherwise.
type tampering struct {
	name string
	do   func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (wantSeq int64, err error)
	// want, when set, lists the kinds of which the report must hold at least one: the
	// tampering is caught by the check meant for it.
	want []audit.ProblemKind
}

// editableFields lists every stored field of an entry and how to change it.
var editableFields = []string{
	"id", "occurred_at", "actor_user", "actor_org", "action", "object_type", "object_ref",
	"purpose", "outcome", "request_id", "ip_hash", "details",
}

func editField(field string) tampering {
	return tampering{"edit " + field, func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		seq := rng.Int64N(fixtureSize)
		var query string
		var args []any
		switch field {
		case "id":
			query, args = `UPDATE audit_events SET id = $1 WHERE seq = $2`, []any{uuid.New(), seq}
		case "occurred_at":
			// One microsecond is the smallest change either engine stores.
			var at time.Time
			if err := tx.QueryRowContext(ctx, `SELECT occurred_at FROM audit_events WHERE seq = $1`, seq).Scan(&at); err != nil {
				return 0, err
			}
			query, args = `UPDATE audit_events SET occurred_at = $1 WHERE seq = $2`, []any{at.UTC().Add(time.Microsecond), seq}
		case "outcome":
			query, args = `UPDATE audit_events SET outcome = CASE WHEN outcome = 'ok' THEN 'denied' ELSE 'ok' END WHERE seq = $1`, []any{seq}
		case "details":
			query, args = `UPDATE audit_events SET details = '{"count":"0"}' WHERE seq = $1`, []any{seq}
		case "actor_user", "actor_org":
			// Covers both a NULL actor given a value and a value changed.
			query, args = `UPDATE audit_events SET `+field+` = $1 WHERE seq = $2`, []any{uuid.NewString(), seq}
		default:
			query, args = `UPDATE audit_events SET `+field+` = `+field+` || 'x' WHERE seq = $1`, []any{seq}
		}
		_, err := tx.ExecContext(ctx, query, args...)
		return seq, err
	}, nil}
}

var tamperings = append(func() []tampering {
	var out []tampering
	for _, f := range editableFields {
		out = append(out, editField(f))
	}
	return out
}(),
	tampering{"delete entry", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		seq := rng.Int64N(fixtureSize)
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq = $1`, seq)
		if seq == fixtureSize-1 {
			return -1, err // the last one shows as checkpoints beyond the tree, not as a gap
		}
		return seq, err
	}, nil},
	tampering{"insert entry", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		seq := rng.Int64N(fixtureSize)
		// Make room by renumbering the entries after it, from the end so seq stays unique.
		for s := int64(fixtureSize - 1); s >= seq; s-- {
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = $1 WHERE seq = $2`, s+1, s); err != nil {
				return 0, err
			}
		}
		return seq, insertForged(ctx, tx, seq)
	}, nil},
	tampering{"append entry with its hashes", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		// The careful forger also stores the hashes tlog would have stored; only the
		// checkpoints, which need the signing key, give it away.
		e := forgedEvent()
		id := e.ID
		if err := insertForged(ctx, tx, fixtureSize, e); err != nil {
			return 0, err
		}
		leaf, err := leafOf(ctx, tx, id, fixtureSize)
		if err != nil {
			return 0, err
		}
		hs, err := tlog.StoredHashes(fixtureSize, leaf, hashReader{ctx, tx})
		if err != nil {
			return 0, err
		}
		for j, h := range hs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_hashes (idx, hash) VALUES ($1, $2)`, tlog.StoredHashIndex(0, fixtureSize)+int64(j), h[:]); err != nil {
				return 0, err
			}
		}
		return fixtureSize, nil
	}, nil},
	tampering{"swap two entries", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		i := rng.Int64N(fixtureSize)
		j := (i + 1 + rng.Int64N(fixtureSize-1)) % fixtureSize
		for _, step := range [][2]int64{{i, 1 << 40}, {j, i}, {1 << 40, j}} {
			if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = $1 WHERE seq = $2`, step[1], step[0]); err != nil {
				return 0, err
			}
		}
		return min(i, j), nil
	}, nil},
	tampering{"edit stored hash", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		idx := rng.Int64N(fixtureHashes)
		return -1, exactlyOne(tx.ExecContext(ctx, `UPDATE audit_hashes SET hash = $1 WHERE idx = $2`, randomHash(), idx))
	}, nil},
	tampering{"delete stored hash", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		return -1, exactlyOne(tx.ExecContext(ctx, `DELETE FROM audit_hashes WHERE idx = $1`, rng.Int64N(fixtureHashes)))
	}, nil},
	tampering{"cut the tail", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		// Delete the last entries and their hashes, consistently, leaving the checkpoints.
		keep := fixtureSize - 1 - rng.Int64N(10)
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq >= $1`, keep); err != nil {
			return 0, err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_hashes WHERE idx >= $1`, tlog.StoredHashCount(keep))
		return -1, err
	}, nil},
	tampering{"edit checkpoint text", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		size := pickCheckpoint(rng)
		var signed string
		if err := tx.QueryRowContext(ctx, `SELECT signed_note FROM audit_checkpoints WHERE tree_size = $1`, size).Scan(&signed); err != nil {
			return 0, err
		}
		lines := strings.SplitN(signed, "\n", 4)
		lines[2] = b64Hash(tlog.Hash(randomHash()))
		_, err := tx.ExecContext(ctx, `UPDATE audit_checkpoints SET signed_note = $1 WHERE tree_size = $2`, strings.Join(lines, "\n"), size)
		return -1, err
	}, nil},
	tampering{"edit checkpoint root", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		_, err := tx.ExecContext(ctx, `UPDATE audit_checkpoints SET root_hash = $1 WHERE tree_size = $2`, randomHash(), pickCheckpoint(rng))
		return -1, err
	}, nil},
	tampering{"forge checkpoint with another key", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		// An attacker's key with the log's name: right origin, wrong signer.
		skey, _, err := note.GenerateKey(rand.Reader, audit.Origin)
		if err != nil {
			return 0, err
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			return 0, err
		}
		size := pickCheckpoint(rng)
		root, err := tlog.TreeHash(size, hashReader{ctx, tx})
		if err != nil {
			return 0, err
		}
		msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", audit.Origin, size, b64Hash(root))}, signer)
		if err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_checkpoints SET signed_note = $1 WHERE tree_size = $2`, string(msg), size)
		return -1, err
	}, nil},
	tampering{"delete newest checkpoint", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_checkpoints WHERE tree_size = $1`, fixtureSize)
		return -1, err
	}, nil},
	// Attack (a): the tail of all three tables cut together, down to a signed checkpoint, so
	// that the database alone is a consistent, shorter log; only the published log remembers.
	tampering{"cut the tail with its hashes and checkpoints", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		return -1, cutTail(ctx, tx, []int64{0, 20, 45}[rng.IntN(3)])
	}, []audit.ProblemKind{audit.ProblemTailCut}},
	// Attack (b): a forged entry dated in the past, left for the server to seal and sign.
	tampering{"back-dated entry sealed by the server", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		e := forgedEvent()
		e.OccurredAt = t0.Add(-SealDelayPlus(rng))
		if err := insertUnsequenced(ctx, tx, e); err != nil {
			return 0, err
		}
		if _, err := audit.IntegrateIn(ctx, l.seq, tx); err != nil {
			return 0, err
		}
		// The forged entry is the oldest waiting, so it takes the next seq.
		return fixtureSize, nil
	}, []audit.ProblemKind{audit.ProblemBackdated}},
	tampering{"back-dated entry left unsequenced", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		e := forgedEvent()
		e.OccurredAt = t0.Add(-SealDelayPlus(rng))
		return -1, insertUnsequenced(ctx, tx, e)
	}, []audit.ProblemKind{audit.ProblemLate}},
	// A rewritten history signed with the real key (an old binary, or a sequencer without
	// publication) over a cut tail: shorter than the published log, or a fork of it.
	tampering{"history rewritten and re-signed", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		if err := cutTail(ctx, tx, 45); err != nil {
			return 0, err
		}
		for i := range 1 + rng.IntN(40) {
			e := sampleEvent(1000+i, t0.Add(time.Minute+time.Duration(i)*time.Millisecond))
			if err := audit.Record(ctx, tx, e); err != nil {
				return 0, err
			}
		}
		rogue := audit.NewSequencer(l.db, l.signer, l.clock)
		_, err := audit.IntegrateIn(ctx, rogue, tx)
		return -1, err
	}, []audit.ProblemKind{audit.ProblemTailCut, audit.ProblemFork}},
	// The thorough forger edits an entry and recomputes every stored hash after it, so that
	// the tree is the tree of the entries again; the signed roots are what it cannot redo.
	tampering{"entry edited and every hash recomputed", func(ctx context.Context, tx *sql.Tx, l *testLog, rng *mrand.Rand) (int64, error) {
		seq := rng.Int64N(fixtureSize)
		if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET purpose = 'falsifie' WHERE seq = $1`, seq); err != nil {
			return 0, err
		}
		for s := seq; s < fixtureSize; s++ {
			var id uuid.UUID
			if err := tx.QueryRowContext(ctx, `SELECT id FROM audit_events WHERE seq = $1`, s).Scan(&id); err != nil {
				return 0, err
			}
			leaf, err := leafOf(ctx, tx, id, s)
			if err != nil {
				return 0, err
			}
			hs, err := tlog.StoredHashes(s, leaf, hashReader{ctx, tx})
			if err != nil {
				return 0, err
			}
			for j, h := range hs {
				if _, err := tx.ExecContext(ctx, `UPDATE audit_hashes SET hash = $1 WHERE idx = $2`, h[:], tlog.StoredHashIndex(0, s)+int64(j)); err != nil {
					return 0, err
				}
			}
		}
		return -1, nil
	}, []audit.ProblemKind{audit.ProblemCheckpointRoot, audit.ProblemFork}},
)

// SealDelayPlus returns a back-dating beyond audit.SealDelay: from a minute and a second to
// about a year.
func SealDelayPlus(rng *mrand.Rand) time.Duration {
	return audit.SealDelay + time.Second + time.Duration(rng.Int64N(int64(365*24*time.Hour)))
}

// cutTail deletes every entry from seq keep on, with its stored hashes and the checkpoints
// beyond keep: what remains is a consistent log of keep entries.
func cutTail(ctx context.Context, tx *sql.Tx, keep int64) error {
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{`DELETE FROM audit_events WHERE seq >= $1`, keep},
		{`DELETE FROM audit_hashes WHERE idx >= $1`, tlog.StoredHashCount(keep)},
		{`DELETE FROM audit_checkpoints WHERE tree_size > $1`, keep},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.arg); err != nil {
			return err
		}
	}
	return nil
}

// insertUnsequenced inserts e as Record would: no trigger stands in the way of that.
func insertUnsequenced(ctx context.Context, tx *sql.Tx, e audit.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, occurred_at, action, outcome, object_ref)
		VALUES ($1, $2, $3, $4, $5)`, e.ID, e.OccurredAt, e.Action, string(e.Outcome), e.ObjectRef)
	return err
}

func pickCheckpoint(rng *mrand.Rand) int64 { return []int64{20, 45, 61}[rng.IntN(3)] }

func randomHash() []byte {
	b := make([]byte, tlog.HashSize)
	_, _ = rand.Read(b)
	return b
}

func b64Hash(h tlog.Hash) string { return h.String() }

func forgedEvent() audit.Event {
	return audit.Event{ID: uuid.New(), OccurredAt: t0, Action: "health.read", Outcome: audit.OutcomeOK, ObjectRef: "forged"}
}

func insertForged(ctx context.Context, tx *sql.Tx, seq int64, e ...audit.Event) error {
	ev := forgedEvent()
	if len(e) > 0 {
		ev = e[0]
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, occurred_at, action, outcome, object_ref, seq)
		VALUES ($1, $2, $3, $4, $5, $6)`, ev.ID, ev.OccurredAt, ev.Action, string(ev.Outcome), ev.ObjectRef, seq)
	return err
}

// leafOf recomputes an entry's leaf the way the package does, through Prove's public pieces:
// the forger knows the (public) encoding.
func leafOf(ctx context.Context, tx *sql.Tx, id uuid.UUID, seq int64) ([]byte, error) {
	var e audit.Event
	var at time.Time
	var actorUser, actorOrg sql.NullString
	var details string
	err := tx.QueryRowContext(ctx, `SELECT occurred_at, actor_user, actor_org, action, object_type, object_ref, purpose, outcome,
		request_id, ip_hash, details FROM audit_events WHERE id = $1`, id).
		Scan(&at, &actorUser, &actorOrg, &e.Action, &e.ObjectType, &e.ObjectRef, &e.Purpose, &e.Outcome, &e.RequestID, &e.IPHash, &details)
	if err != nil {
		return nil, err
	}
	null := func(s sql.NullString) any {
		if s.Valid {
			return strconv.Quote(s.String)
		}
		return "null"
	}
	q := strconv.Quote
	return fmt.Appendf(nil, `[%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]`, q("parcours.audit/leaf/v1"), seq, q(id.String()),
		q(at.UTC().Format("2006-01-02T15:04:05.000000Z")), null(actorUser), null(actorOrg), q(e.Action), q(e.ObjectType),
		q(e.ObjectRef), q(e.Purpose), q(string(e.Outcome)), q(e.RequestID), q(e.IPHash), q(details)), nil
}

// hashReader reads stored hashes inside the tamperer's transaction.
type hashReader struct {
	ctx context.Context
	tx  *sql.Tx
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		var b []byte
		if err := r.tx.QueryRowContext(r.ctx, `SELECT hash FROM audit_hashes WHERE idx = $1`, idx).Scan(&b); err != nil {
			return nil, fmt.Errorf("hash %d: %w", idx, err)
		}
		out[i] = tlog.Hash(b)
	}
	return out, nil
}

var errRollback = errors.New("rollback")

// trial tampers inside a transaction, verifies in it, and rolls it back.
// exactlyOne makes a tampering that touched no row an error, so a trial can never pass by
// tampering with nothing.
func exactlyOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("tampering changed %d rows, want 1 (%v)", n, err)
	}
	return nil
}

func trial(t *testing.T, l *testLog, tp tampering, rng *mrand.Rand) (rep audit.Report, wantSeq int64) {
	t.Helper()
	ctx := context.Background()
	err := l.db.WithTx(ctx, func(tx *sql.Tx) error {
		dropTriggers(t, tx, l.db.Engine())
		var err error
		if wantSeq, err = tp.do(ctx, tx, l, rng); err != nil {
			return fmt.Errorf("tampering %q: %w", tp.name, err)
		}
		if rep, err = audit.VerifyIn(ctx, tx, l.opts(t)); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return rep, wantSeq
}

func names(ps []audit.Problem) string {
	var out []string
	for _, p := range ps[:min(len(ps), 5)] {
		out = append(out, fmt.Sprintf("%s@seq%d/idx%d/cp%d", p.Kind, p.Seq, p.Index, p.TreeSize))
	}
	return strings.Join(out, " ")
}

// One test per kind of tampering: Verify detects it and, for entries, names the seq.
func TestVerifyDetectsEachKindOfTampering(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		// Control: dropping the triggers alone is not a finding.
		err := db.WithTx(t.Context(), func(tx *sql.Tx) error {
			dropTriggers(t, tx, db.Engine())
			rep, err := audit.VerifyIn(t.Context(), tx, l.opts(t))
			if err != nil {
				return err
			}
			if !rep.OK() || rep.TreeSize != fixtureSize || rep.Checkpoints != 3 || rep.Unsequenced != 3 {
				t.Fatalf("untampered log: %+v", rep)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		for i, tp := range tamperings {
			rng := mrand.New(mrand.NewPCG(uint64(i), 7))
			rep, wantSeq := trial(t, l, tp, rng)
			if rep.OK() {
				t.Errorf("%s: not detected", tp.name)
				continue
			}
			if wantSeq >= 0 && !slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool { return p.Seq == wantSeq }) {
				t.Errorf("%s at seq %d: report does not name it: %s", tp.name, wantSeq, names(rep.Problems))
			}
			if len(tp.want) > 0 && !slices.ContainsFunc(rep.Problems, func(p audit.Problem) bool { return slices.Contains(tp.want, p.Kind) }) {
				t.Errorf("%s: report has none of %v: %s", tp.name, tp.want, names(rep.Problems))
			}
			for _, p := range rep.Problems {
				if p.Message == "" || strings.Contains(p.Message, "forged") {
					t.Errorf("%s: problem message %q", tp.name, p.Message)
				}
			}
		}
		if rep, err := l.verify(t); err != nil {
			t.Fatalf("after the rolled-back trials: %v %s", err, names(rep.Problems))
		}
	})
}

// Target 5: random tamperings at random places, at least 100 per engine, all detected.
// PARCOURS_TAMPER_SEED replays a run; PARCOURS_TAMPER_TRIALS raises the count.
func TestVerifyDetectsRandomTampering(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PARCOURS_TAMPER_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	trials := 150
	if s := os.Getenv("PARCOURS_TAMPER_TRIALS"); s != "" {
		trials, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (PARCOURS_TAMPER_SEED=%d to replay)", seed, seed)
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		l := fixture(t, db)
		rng := mrand.New(mrand.NewPCG(seed, 1))
		kinds := map[string]int{}
		for range trials {
			tp := tamperings[rng.IntN(len(tamperings))]
			kinds[tp.name]++
			if rep, _ := trial(t, l, tp, rng); rep.OK() {
				t.Fatalf("%s not detected (seed %d)", tp.name, seed)
			}
		}
		t.Logf("%d trials, all detected; by kind: %v", trials, kinds)
	})
}
