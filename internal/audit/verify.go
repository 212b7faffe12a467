package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/database"
)

// ProblemKind classifies what Verify found.
type ProblemKind string

// The kinds of problem.
const (
	// ProblemGap: seq numbers are missing (an entry was deleted).
	ProblemGap ProblemKind = "gap"
	// ProblemEntry: an entry's hash differs from the stored one (edited, moved or inserted).
	ProblemEntry ProblemKind = "entry"
	// ProblemHash: a stored tree hash differs from the one recomputed from its children.
	ProblemHash ProblemKind = "hash"
	// ProblemMissingHash: a stored hash the tree needs is absent.
	ProblemMissingHash ProblemKind = "missing_hash"
	// ProblemExtraHash: stored hashes exist beyond the tree (its tail was deleted).
	ProblemExtraHash ProblemKind = "extra_hash"
	// ProblemCheckpoint: a checkpoint's signature, format or recorded root is wrong.
	ProblemCheckpoint ProblemKind = "checkpoint"
	// ProblemCheckpointRoot: a checkpoint does not match the tree at its size.
	ProblemCheckpointRoot ProblemKind = "checkpoint_root"
	// ProblemUncovered: entries were sequenced without the checkpoint that always comes with them.
	ProblemUncovered ProblemKind = "uncovered"
	// ProblemTailCut: a published checkpoint covers more entries than the database holds.
	ProblemTailCut ProblemKind = "tail_cut"
	// ProblemFork: a published checkpoint is not a prefix of the database's tree (history
	// rewritten, or a fork signed over a cut tail).
	ProblemFork ProblemKind = "fork"
	// ProblemPublished: the published log is missing, or one of its records is unreadable or
	// not signed by the log's key.
	ProblemPublished ProblemKind = "published"
	// ProblemBackdated: an entry is dated more than SealDelay before the entry sequenced just
	// before it: it was inserted after the fact with an earlier date.
	ProblemBackdated ProblemKind = "backdated"
	// ProblemLate: entries are still unsequenced more than SealDelay after their time (the
	// sequencer is stopped, or they were inserted after the fact).
	ProblemLate ProblemKind = "late"
	// ProblemFuture: entries are dated more than SealDelay after the time of the check.
	ProblemFuture ProblemKind = "future"
)

// SealDelay is how long an entry may legitimately take to reach the tree after the time it
// carries, and so how much earlier than its predecessor in the tree it may be dated. The
// sequencer orders each batch by occurred_at, so only a commit that lands after a later entry
// was sequenced comes out of order, by the time between its occurred_at and its commit: waiting
// for SQLite's single writer (busy timeout 10 s), transient-error retries (under 0.2 s), a batch
// transaction stamped once at its start (a registry import batch: seconds), and clock skew
// between instances (NTP: well under a second). A minute covers these with room; back-dating
// by less than that gains a forger nothing worth hiding.
const SealDelay = time.Minute

// VerifyOptions say what Verify checks the database against.
type VerifyOptions struct {
	// Verifier checks the checkpoints' signatures; the public key is enough
	// (crypto.Keyring.AuditVerifierKey).
	Verifier note.Verifier
	// Published reads the checkpoint log published outside the database (see OpenPublished).
	// Nil means none: a database that holds checkpoints is then reported, since without the
	// published log a tail cut with its checkpoints leaves no trace in the database.
	Published io.Reader
	// Backup says the database is a copy (a backup) older than the published log: published
	// checkpoints larger than its tree are counted in Report.Beyond instead of being reported
	// as a cut tail, and entries waiting when it was copied are judged by its newest entry
	// rather than by Now. Every other check is the same.
	Backup bool
	// Now, when set, is the time of the check: entries dated more than SealDelay after it are
	// reported, and so are entries left unsequenced more than SealDelay before it.
	Now time.Time
}

// Problem is one finding, located by seq number, stored hash index or checkpoint size. It
// never holds entry contents.
type Problem struct {
	Kind ProblemKind
	// Seq is the entry concerned, or -1.
	Seq int64
	// Index is the stored hash concerned (tlog.StoredHashIndex numbering), or -1.
	Index int64
	// TreeSize is the checkpoint concerned, or 0.
	TreeSize int64
	// Message says it in French for the operator.
	Message string
}

// Report is the result of Verify.
type Report struct {
	// TreeSize is the number of sequenced entries (highest seq + 1).
	TreeSize int64
	// Entries counts the sequenced entries read (TreeSize minus gaps).
	Entries int64
	// Unsequenced counts entries recorded but not yet sequenced: the tail, not a problem unless
	// they are Late.
	Unsequenced int64
	// Late counts the unsequenced entries dated more than SealDelay before the check (Now),
	// or before the newest entry.
	Late int64
	// Checkpoints counts the database's checkpoints checked; Newest is the largest.
	Checkpoints int64
	Newest      Checkpoint
	// Published counts the records of the published log checked; PublishedNewest is the
	// largest.
	Published       int64
	PublishedNewest Checkpoint
	// Unpublished counts the database's checkpoints larger than PublishedNewest: on a live
	// database, those of the last seconds; more means publication fails (the server logs why).
	Unpublished int64
	// Beyond counts the published checkpoints larger than the tree of a backup (Backup only).
	Beyond int64
	// Problems lists the first problems found (at most maxProblems); ProblemCount counts all.
	Problems     []Problem
	ProblemCount int
}

// OK tells whether nothing was found.
func (r Report) OK() bool { return r.ProblemCount == 0 }

// maxProblems bounds the report: one insertion early in a big log shifts every later entry.
const maxProblems = 1000

// verifyChunk is how many entries Verify reads per query.
const verifyChunk = 2000

func (r *Report) add(p Problem) {
	r.ProblemCount++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}

// Verify checks the whole audit trail: every entry against its stored hash, every stored tree
// hash against its children, every checkpoint's signature and root, seq without gaps, the
// newest checkpoint covering the whole tree, every published checkpoint against the tree (a
// consistency proof: it must be a prefix of it, so a cut tail, a fork or a rewritten history
// shows), entries dated before their predecessor, and entries left unsequenced. It only reads,
// in one snapshot, so it may run while the application records and sequences, and on a copy of
// the database with the public key alone. It returns ErrTampered, with the report, when it
// finds a problem.
func Verify(ctx context.Context, db *database.DB, opts VerifyOptions) (Report, error) {
	var rep Report
	// One snapshot for all the queries: otherwise entries sequenced meanwhile would look like a
	// tree without its checkpoint.
	err := db.SnapshotTx(ctx, func(tx *sql.Tx) error {
		var err error
		rep, err = verify(ctx, tx, opts)
		return err
	})
	if err != nil {
		return rep, err
	}
	if !rep.OK() {
		return rep, fmt.Errorf("%d anomalie(s) : %w", rep.ProblemCount, ErrTampered)
	}
	return rep, nil
}

func verify(ctx context.Context, q database.Querier, opts VerifyOptions) (Report, error) {
	var rep Report
	if opts.Verifier == nil {
		return rep, errors.New("vérification du journal : clé de vérification absente")
	}
	var hashCount, maxIndex int64
	err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM audit_events WHERE seq IS NULL),
		(SELECT COUNT(*) FROM audit_hashes), (SELECT COALESCE(MAX(idx), -1) FROM audit_hashes)`).
		Scan(&rep.Unsequenced, &hashCount, &maxIndex)
	if err != nil {
		return rep, fmt.Errorf("vérification du journal : %w", err)
	}
	if err := verifyEntries(ctx, q, &rep); err != nil {
		return rep, err
	}
	if want := tlog.StoredHashCount(rep.TreeSize); hashCount > want || maxIndex >= want {
		rep.add(Problem{Kind: ProblemExtraHash, Seq: -1, Index: max(want, 0),
			Message: fmt.Sprintf("%d empreintes stockées pour un arbre qui en demande %d : la fin du journal a été supprimée", hashCount, want)})
	}
	if err := verifyCheckpoints(ctx, q, opts, &rep); err != nil {
		return rep, err
	}
	switch {
	case rep.TreeSize > 0 && rep.Checkpoints == 0:
		rep.add(Problem{Kind: ProblemUncovered, Seq: 0, Index: -1,
			Message: fmt.Sprintf("%d entrées numérotées et aucun point de contrôle", rep.TreeSize)})
	case rep.Newest.Size < rep.TreeSize:
		rep.add(Problem{Kind: ProblemUncovered, Seq: rep.Newest.Size, Index: -1, TreeSize: rep.Newest.Size,
			Message: fmt.Sprintf("entrées %d à %d numérotées sans point de contrôle", rep.Newest.Size, rep.TreeSize-1)})
	}
	if err := verifyTimes(ctx, q, opts, &rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// verifyEntries recomputes, entry by entry in seq order, the hashes tlog stores for it, from the
// entry and the stored hashes of earlier subtrees, and compares them with audit_hashes. Each
// check is local, so a problem is reported where it is rather than at every later entry; taken
// together the checks prove that audit_hashes is the tree of the entries.
//
// It also compares each entry's time with the one sequenced before it: the sequencer takes
// entries in time order, so one dated more than SealDelay earlier was slipped in afterwards.
func verifyEntries(ctx context.Context, q database.Querier, rep *Report) error {
	next := int64(0)
	var prev time.Time
	for {
		batch, err := sequencedFrom(ctx, q, next, verifyChunk)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		first, last := batch[0].seq.Int64, batch[len(batch)-1].seq.Int64
		// A fresh cache per chunk bounds memory; older hashes are read again on demand.
		hashes := newStoredHashes(ctx, q)
		if err := hashes.loadRange(tlog.StoredHashIndex(0, first), tlog.StoredHashIndex(0, last+1)); err != nil {
			return err
		}
		for _, e := range batch {
			seq := e.seq.Int64
			if seq > next {
				rep.add(Problem{Kind: ProblemGap, Seq: next, Index: -1,
					Message: fmt.Sprintf("entrées %d à %d absentes", next, seq-1)})
			}
			if !prev.IsZero() && e.occurredAt.Before(prev.Add(-SealDelay)) {
				rep.add(Problem{Kind: ProblemBackdated, Seq: seq, Index: -1,
					Message: fmt.Sprintf("entrée %d datée du %s, %s avant l'entrée qui la précède dans l'arbre : ajoutée après coup avec une date antérieure",
						seq, e.occurredAt.Format(time.RFC3339), prev.Sub(e.occurredAt).Round(time.Second))})
			}
			prev = e.occurredAt
			next = seq + 1
			rep.Entries++
			checkEntry(e, seq, hashes, rep)
		}
	}
	rep.TreeSize = next
	return nil
}

func checkEntry(e storedEvent, seq int64, hashes *storedHashes, rep *Report) {
	want, err := tlog.StoredHashes(seq, e.leaf(seq), hashes)
	if err != nil {
		var missing *missingHashError
		if errors.As(err, &missing) {
			rep.add(Problem{Kind: ProblemMissingHash, Seq: seq, Index: missing.index,
				Message: fmt.Sprintf("entrée %d : empreinte n°%d absente", seq, missing.index)})
			return
		}
		rep.add(Problem{Kind: ProblemHash, Seq: seq, Index: -1, Message: fmt.Sprintf("entrée %d : %v", seq, err)})
		return
	}
	base := tlog.StoredHashIndex(0, seq)
	for j, h := range want {
		idx := base + int64(j)
		got, err := hashes.ReadHashes([]int64{idx})
		switch {
		case err != nil:
			rep.add(Problem{Kind: ProblemMissingHash, Seq: seq, Index: idx,
				Message: fmt.Sprintf("entrée %d : empreinte n°%d absente", seq, idx)})
		case got[0] != h && j == 0:
			rep.add(Problem{Kind: ProblemEntry, Seq: seq, Index: idx,
				Message: fmt.Sprintf("entrée %d modifiée, déplacée ou insérée (ou son empreinte n°%d modifiée)", seq, idx)})
		case got[0] != h:
			rep.add(Problem{Kind: ProblemHash, Seq: seq, Index: idx,
				Message: fmt.Sprintf("empreinte n°%d (niveau %d, scellée avec l'entrée %d) modifiée", idx, j, seq)})
		}
	}
}

func sequencedFrom(ctx context.Context, q database.Querier, from int64, limit int) ([]storedEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("lecture du journal : %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		e, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture du journal : %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture du journal : %w", err)
	}
	return out, nil
}

// verifyCheckpoints checks each database checkpoint's signature and that its root is the tree
// hash, at its size, of the stored hashes verifyEntries vouched for; and each published
// checkpoint against the same tree. Both lists are sorted by size (the log is written in
// order), so they are read together: a published checkpoint equal to a database checkpoint
// already proven costs nothing more.
func verifyCheckpoints(ctx context.Context, q database.Querier, opts VerifyOptions, rep *Report) error {
	pc := publishedCheck{rep: rep, backup: opts.Backup}
	var pub *publishedReader
	if opts.Published != nil {
		pub = newPublishedReader(opts.Published, opts.Verifier)
		if err := pc.advance(pub); err != nil {
			return err
		}
	}
	after := int64(0)
	for {
		page, err := checkpointPage(ctx, q, after)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		// A fresh cache per page bounds memory, as in verifyEntries.
		hashes := newStoredHashes(ctx, q)
		proven := map[int64]tlog.Hash{}
		for _, r := range page {
			rep.Checkpoints++
			after = r.size
			if c, ok := checkDBCheckpoint(r, opts.Verifier, hashes, rep); ok {
				proven[r.size] = c.Root
			}
		}
		for pc.ok && (pc.cur.Err != nil || pc.cur.Checkpoint.Size <= after) {
			pc.check(proven, hashes)
			if err := pc.advance(pub); err != nil {
				return err
			}
		}
	}
	if pub == nil {
		if rep.Checkpoints > 0 {
			rep.add(Problem{Kind: ProblemPublished, Seq: -1, Index: -1,
				Message: "aucun journal des points de contrôle publié n'a été fourni : une fin de journal supprimée avec ses points de contrôle passerait inaperçue"})
		}
		return nil
	}
	hashes := newStoredHashes(ctx, q)
	for pc.ok {
		pc.check(nil, hashes)
		if err := pc.advance(pub); err != nil {
			return err
		}
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_checkpoints WHERE tree_size > $1`, rep.PublishedNewest.Size).
		Scan(&rep.Unpublished); err != nil {
		return fmt.Errorf("lecture des points de contrôle : %w", err)
	}
	if rep.Published == 0 && rep.Checkpoints > 0 {
		rep.add(Problem{Kind: ProblemPublished, Seq: -1, Index: -1,
			Message: fmt.Sprintf("le journal publié ne contient aucun point de contrôle alors que la base en a %d : publication jamais faite, ou mauvais fichier", rep.Checkpoints)})
	}
	return nil
}

type checkpointRow struct {
	size   int64
	root   []byte
	signed string
}

func checkpointPage(ctx context.Context, q database.Querier, after int64) ([]checkpointRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT tree_size, root_hash, signed_note FROM audit_checkpoints
		WHERE tree_size > $1 ORDER BY tree_size LIMIT 500`, after)
	if err != nil {
		return nil, fmt.Errorf("lecture des points de contrôle : %w", err)
	}
	defer rows.Close()
	var page []checkpointRow
	for rows.Next() {
		var r checkpointRow
		if err := rows.Scan(&r.size, &r.root, &r.signed); err != nil {
			return nil, fmt.Errorf("lecture des points de contrôle : %w", err)
		}
		page = append(page, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture des points de contrôle : %w", err)
	}
	return page, nil
}

// checkDBCheckpoint checks one database checkpoint; ok tells that it is signed, coherent and
// the tree's root at its size.
func checkDBCheckpoint(r checkpointRow, verifier note.Verifier, hashes *storedHashes, rep *Report) (c Checkpoint, ok bool) {
	rep.Newest = Checkpoint{Origin: verifier.Name(), Size: r.size}
	bad := func(kind ProblemKind, format string, args ...any) {
		ok = false
		rep.add(Problem{Kind: kind, Seq: -1, Index: -1, TreeSize: r.size, Message: fmt.Sprintf("point de contrôle %d : ", r.size) + fmt.Sprintf(format, args...)})
	}
	c, err := OpenCheckpoint([]byte(r.signed), verifier)
	if err != nil {
		bad(ProblemCheckpoint, "%v", err)
		return c, false
	}
	rep.Newest = c
	if c.Size != r.size {
		bad(ProblemCheckpoint, "le texte signé annonce %d entrées", c.Size)
		return c, false
	}
	ok = true
	if !bytes.Equal(r.root, c.Root[:]) {
		bad(ProblemCheckpoint, "la racine enregistrée diffère de la racine signée")
	}
	if r.size > rep.TreeSize {
		bad(ProblemCheckpointRoot, "couvre %d entrées mais l'arbre n'en a que %d", r.size, rep.TreeSize)
		return c, false
	}
	root, err := tlog.TreeHash(r.size, hashes)
	if err != nil {
		bad(ProblemCheckpointRoot, "racine incalculable : %v", err)
		return c, false
	}
	if root != c.Root {
		bad(ProblemCheckpointRoot, "la racine signée ne correspond pas à l'arbre")
	}
	return c, ok
}

// publishedCheck walks the published log beside the database's checkpoints.
type publishedCheck struct {
	rep    *Report
	backup bool
	cur    PublishedRecord
	ok     bool // cur holds a record
	// head is the database tree's root, computed once, when a published checkpoint needs it.
	head    tlog.Hash
	headErr error
	headSet bool
}

func (pc *publishedCheck) advance(pub *publishedReader) error {
	var err error
	pc.cur, pc.ok, err = pub.next()
	return err
}

// check verifies the current published record. A checkpoint equal to a proven database
// checkpoint is done; any other must be a prefix of the database's tree, shown by a
// consistency proof from the tree's stored hashes to the tree's root.
func (pc *publishedCheck) check(proven map[int64]tlog.Hash, hashes *storedHashes) {
	p, rep := pc.cur, pc.rep
	bad := func(kind ProblemKind, size int64, format string, args ...any) {
		rep.add(Problem{Kind: kind, Seq: -1, Index: -1, TreeSize: size,
			Message: fmt.Sprintf("journal publié, ligne %d : ", p.Line) + fmt.Sprintf(format, args...)})
	}
	if p.Err != nil {
		bad(ProblemPublished, 0, "%v", p.Err)
		return
	}
	c := p.Checkpoint
	rep.Published++
	if c.Size > rep.PublishedNewest.Size {
		rep.PublishedNewest = c
	}
	if root, ok := proven[c.Size]; ok && root == c.Root {
		return
	}
	n := rep.TreeSize
	if c.Size > n {
		if pc.backup {
			rep.Beyond++
			return
		}
		bad(ProblemTailCut, c.Size, "le point de contrôle publié %d couvre %d entrées, la base n'en a que %d : la fin du journal a été supprimée", c.Size, c.Size, n)
		return
	}
	if c.Size == 0 {
		return
	}
	if !pc.headSet {
		pc.head, pc.headErr = tlog.TreeHash(n, hashes)
		pc.headSet = true
	}
	err := pc.headErr
	var proof tlog.TreeProof
	if err == nil {
		proof, err = tlog.ProveTree(n, c.Size, hashes)
	}
	if err != nil {
		bad(ProblemFork, c.Size, "le point de contrôle publié %d ne peut être comparé à l'arbre de la base : %v", c.Size, err)
		return
	}
	if err := tlog.CheckTree(proof, n, pc.head, c.Size, c.Root); err != nil {
		bad(ProblemFork, c.Size, "le point de contrôle publié %d ne correspond pas à l'arbre de la base : historique réécrit ou fourche", c.Size)
	}
}

// verifyTimes reports entries left unsequenced more than SealDelay, and entries dated after the
// check. "Left" is measured from the later of Now and the trail's newest entry; for a backup,
// from its newest entry alone, so that a copy verified months later is judged as it was when
// made.
func verifyTimes(ctx context.Context, q database.Querier, opts VerifyOptions, rep *Report) error {
	var newest time.Time
	err := q.QueryRowContext(ctx, `SELECT occurred_at FROM audit_events ORDER BY occurred_at DESC, id DESC LIMIT 1`).Scan(&newest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vérification des dates du journal : %w", err)
	}
	if !opts.Backup && opts.Now.After(newest) {
		newest = opts.Now
	}
	if rep.Unsequenced > 0 {
		limit := newest.UTC().Add(-SealDelay)
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE seq IS NULL AND occurred_at < $1`, limit).Scan(&rep.Late); err != nil {
			return fmt.Errorf("vérification des dates du journal : %w", err)
		}
		if rep.Late > 0 {
			var oldest time.Time
			if err := q.QueryRowContext(ctx, `SELECT occurred_at FROM audit_events WHERE seq IS NULL ORDER BY occurred_at, id LIMIT 1`).Scan(&oldest); err != nil {
				return fmt.Errorf("vérification des dates du journal : %w", err)
			}
			rep.add(Problem{Kind: ProblemLate, Seq: -1, Index: -1,
				Message: fmt.Sprintf("%d entrée(s) non scellée(s) depuis plus d'une minute (la plus ancienne datée du %s) : séquenceur arrêté, ou entrées ajoutées après coup",
					rep.Late, oldest.UTC().Format(time.RFC3339))})
		}
	}
	if !opts.Now.IsZero() {
		var future int64
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE occurred_at > $1`, opts.Now.UTC().Add(SealDelay)).Scan(&future); err != nil {
			return fmt.Errorf("vérification des dates du journal : %w", err)
		}
		if future > 0 {
			rep.add(Problem{Kind: ProblemFuture, Seq: -1, Index: -1,
				Message: fmt.Sprintf("%d entrée(s) datée(s) de plus d'une minute après le %s, heure de la vérification", future, opts.Now.UTC().Format(time.RFC3339))})
		}
	}
	return nil
}
