package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

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
)

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
	// Unsequenced counts entries recorded but not yet sequenced: the tail, not a problem.
	Unsequenced int64
	// Checkpoints counts the checkpoints checked; Newest is the largest one.
	Checkpoints int64
	Newest      Checkpoint
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
// hash against its children, every checkpoint's signature (by verifier) and root, seq without
// gaps, and the newest checkpoint covering the whole tree. It reads one consistent snapshot, so
// it may run while the application records and integrates. It returns ErrTampered, with the
// report, when it finds a problem. Run Integrate first to include the latest entries.
func Verify(ctx context.Context, db *database.DB, verifier note.Verifier) (Report, error) {
	var rep Report
	// One snapshot for all the queries: otherwise entries sequenced meanwhile would look like a
	// tree without its checkpoint.
	err := db.SnapshotTx(ctx, func(tx *sql.Tx) error {
		var err error
		rep, err = verify(ctx, tx, verifier)
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

func verify(ctx context.Context, q database.Querier, verifier note.Verifier) (Report, error) {
	var rep Report
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
	if err := verifyCheckpoints(ctx, q, verifier, &rep); err != nil {
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
	return rep, nil
}

// verifyEntries recomputes, entry by entry in seq order, the hashes tlog stores for it, from the
// entry and the stored hashes of earlier subtrees, and compares them with audit_hashes. Each
// check is local, so a problem is reported where it is rather than at every later entry; taken
// together the checks prove that audit_hashes is the tree of the entries.
func verifyEntries(ctx context.Context, q database.Querier, rep *Report) error {
	next := int64(0)
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

// verifyCheckpoints checks each checkpoint's signature and that its root is the tree hash, at
// its size, of the stored hashes verifyEntries vouched for.
func verifyCheckpoints(ctx context.Context, q database.Querier, verifier note.Verifier, rep *Report) error {
	after := int64(0)
	for {
		rows, err := q.QueryContext(ctx, `SELECT tree_size, root_hash, signed_note FROM audit_checkpoints
			WHERE tree_size > $1 ORDER BY tree_size LIMIT 500`, after)
		if err != nil {
			return fmt.Errorf("lecture des points de contrôle : %w", err)
		}
		type row struct {
			size   int64
			root   []byte
			signed string
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.size, &r.root, &r.signed); err != nil {
				rows.Close()
				return fmt.Errorf("lecture des points de contrôle : %w", err)
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lecture des points de contrôle : %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		hashes := newStoredHashes(ctx, q)
		for _, r := range page {
			rep.Checkpoints++
			after = r.size
			rep.Newest = Checkpoint{Origin: verifier.Name(), Size: r.size}
			bad := func(kind ProblemKind, format string, args ...any) {
				rep.add(Problem{Kind: kind, Seq: -1, Index: -1, TreeSize: r.size, Message: fmt.Sprintf("point de contrôle %d : ", r.size) + fmt.Sprintf(format, args...)})
			}
			c, err := OpenCheckpoint([]byte(r.signed), verifier)
			if err != nil {
				bad(ProblemCheckpoint, "%v", err)
				continue
			}
			rep.Newest = c
			if c.Size != r.size {
				bad(ProblemCheckpoint, "le texte signé annonce %d entrées", c.Size)
				continue
			}
			if !bytes.Equal(r.root, c.Root[:]) {
				bad(ProblemCheckpoint, "la racine enregistrée diffère de la racine signée")
			}
			if r.size > rep.TreeSize {
				bad(ProblemCheckpointRoot, "couvre %d entrées mais l'arbre n'en a que %d", r.size, rep.TreeSize)
				continue
			}
			root, err := tlog.TreeHash(r.size, hashes)
			if err != nil {
				bad(ProblemCheckpointRoot, "racine incalculable : %v", err)
				continue
			}
			if root != c.Root {
				bad(ProblemCheckpointRoot, "la racine signée ne correspond pas à l'arbre")
			}
		}
	}
}
