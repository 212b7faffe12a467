package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/clock"
	"parcours/internal/database"
)

// integrateBatch is how many entries one sequencing transaction takes. Each transaction ends
// with a checkpoint, so a backlog becomes a few checkpoints rather than one long transaction.
const integrateBatch = 1000

// hashInsertRows bounds the rows of one multi-row INSERT into audit_hashes (two parameters each).
const hashInsertRows = 400

// ErrTampered means the audit tables do not match their own tree or checkpoints.
var ErrTampered = errors.New("journal d'audit altéré : lancez « parcours audit verify »")

// Sequencer numbers new entries, extends the Merkle tree and signs checkpoints.
type Sequencer struct {
	db     *database.DB
	signer note.Signer
	clock  clock.Clock
	pub    *Publisher
}

// NewSequencer returns a Sequencer that signs checkpoints with signer, whose name is the log's
// origin (usually Origin; see crypto.Keyring.AuditSigner).
func NewSequencer(db *database.DB, signer note.Signer, clk clock.Clock) *Sequencer {
	return &Sequencer{db: db, signer: signer, clock: clk}
}

// PublishTo makes Integrate publish every checkpoint through p once committed, and refuse to
// extend a tree that does not extend p's newest published checkpoint (a tail cut in the
// database, checkpoints included, or a history rewritten below it). The server's sequencer
// always publishes; one without a Publisher is for tests.
func (s *Sequencer) PublishTo(p *Publisher) { s.pub = p }

// Integrate sequences every entry committed so far, in (occurred_at, id) order, publishes the
// checkpoints (see PublishTo) and returns how many entries it sequenced. An entry whose
// transaction commits after a later one was sequenced takes the next seq: seq is the order
// entries entered the tree, occurred_at the order things happened (Verify tolerates SealDelay
// between the two). Several instances may call it at once: on PostgreSQL the sequencer row
// lock queues them, on SQLite the single writer does; each entry gets exactly one seq, without
// gaps. A publication that failed before is retried even when nothing new waits.
func (s *Sequencer) Integrate(ctx context.Context) (int, error) {
	n, err := s.integrate(ctx)
	if s.pub != nil {
		_, perr := s.pub.Publish(ctx)
		err = errors.Join(err, perr)
	}
	return n, err
}

func (s *Sequencer) integrate(ctx context.Context) (int, error) {
	// Each serving instance calls this every second: when nothing waits, a read answers without
	// taking the lock (a write, and an fsync on SQLite).
	var pending int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM audit_events WHERE seq IS NULL LIMIT 1) AS p`).
		Scan(&pending); err != nil {
		return 0, fmt.Errorf("lecture du journal d'audit : %w", err)
	}
	if pending == 0 {
		return 0, nil
	}
	total := 0
	for {
		var n int
		err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = s.integrateTx(ctx, tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < integrateBatch {
			return total, nil
		}
	}
}

func (s *Sequencer) integrateTx(ctx context.Context, tx *sql.Tx) (int, error) {
	now := s.clock.Now()
	// The lock: every sequencer updates this one row first, so they run one after another.
	// On PostgreSQL (READ COMMITTED) the statements that follow see what the previous holder
	// committed.
	res, err := tx.ExecContext(ctx, `UPDATE audit_sequencer SET integrated_at = $1 WHERE id = 1`, now)
	if err != nil {
		return 0, fmt.Errorf("verrou du séquenceur d'audit : %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, fmt.Errorf("verrou du séquenceur d'audit absent (migration 00030 appliquée ?)")
	}
	size, err := treeSize(ctx, tx)
	if err != nil {
		return 0, err
	}
	batch, err := unsequenced(ctx, tx, integrateBatch)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	hashes := newStoredHashes(ctx, tx)
	if err := s.extendsPublished(size, hashes); err != nil {
		return 0, err
	}
	var fresh []tlog.Hash
	for i, e := range batch {
		seq := size + int64(i)
		hs, err := tlog.StoredHashes(seq, e.leaf(seq), hashes)
		if err != nil {
			return 0, fmt.Errorf("arbre du journal d'audit (entrée %d) : %w", seq, err)
		}
		base := tlog.StoredHashIndex(0, seq)
		for j, h := range hs {
			hashes.put(base+int64(j), h)
		}
		fresh = append(fresh, hs...)
		res, err := tx.ExecContext(ctx, `UPDATE audit_events SET seq = $1 WHERE id = $2 AND seq IS NULL`, seq, e.id)
		if err != nil {
			return 0, fmt.Errorf("numérotation du journal d'audit : %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return 0, fmt.Errorf("numérotation du journal d'audit : l'entrée %d a changé pendant l'opération", seq)
		}
	}
	if err := insertHashes(ctx, tx, tlog.StoredHashIndex(0, size), fresh); err != nil {
		return 0, err
	}
	newSize := size + int64(len(batch))
	root, err := tlog.TreeHash(newSize, hashes)
	if err != nil {
		return 0, fmt.Errorf("racine du journal d'audit : %w", err)
	}
	signed, err := signCheckpoint(Checkpoint{Origin: s.signer.Name(), Size: newSize, Root: root}, s.signer)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, signed_note, created_at) VALUES ($1, $2, $3, $4)`,
		newSize, root[:], string(signed), now); err != nil {
		return 0, fmt.Errorf("point de contrôle du journal d'audit : %w", err)
	}
	return len(batch), nil
}

// extendsPublished checks that the tree of size entries held by hashes extends the newest
// published checkpoint. Signing a tree that does not would fork the log: the rewritten history
// would get checkpoints of its own.
func (s *Sequencer) extendsPublished(size int64, hashes *storedHashes) error {
	if s.pub == nil {
		return nil
	}
	head, err := s.pub.log.Head()
	if err != nil {
		return fmt.Errorf("séquencement suspendu : %w", err)
	}
	if head.Size == 0 {
		return nil
	}
	if head.Size > size {
		return fmt.Errorf("séquencement refusé : le journal publié a %d entrées, la base %d : fin du journal supprimée, ou base restaurée "+
			"d'une sauvegarde (alors archivez le journal publié avec le rapport d'incident et donnez un nouveau dossier PARCOURS_AUDIT_CHECKPOINT_DIR) : %w",
			head.Size, size, ErrTampered)
	}
	root, err := tlog.TreeHash(head.Size, hashes)
	var missing *missingHashError
	if errors.As(err, &missing) || (err == nil && root != head.Root) {
		return fmt.Errorf("séquencement refusé : l'arbre de la base ne prolonge pas le point de contrôle publié %d (historique réécrit) : %w", head.Size, ErrTampered)
	}
	if err != nil {
		return fmt.Errorf("racine du journal d'audit : %w", err)
	}
	return nil
}

// treeSize returns the number of sequenced entries. Each sequencing transaction ends with a
// checkpoint of the new size, so the newest checkpoint must cover exactly MAX(seq)+1 entries;
// anything else means the tables were edited behind the triggers' back, and extending the tree
// on top of that would bury the evidence.
func treeSize(ctx context.Context, q database.Querier) (int64, error) {
	var bySeq, byCheckpoint int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0), (SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints)
		FROM audit_events`).Scan(&bySeq, &byCheckpoint)
	if err != nil {
		return 0, fmt.Errorf("taille du journal d'audit : %w", err)
	}
	if bySeq != byCheckpoint {
		return 0, fmt.Errorf("%d entrées numérotées mais le dernier point de contrôle en couvre %d : %w", bySeq, byCheckpoint, ErrTampered)
	}
	return bySeq, nil
}

func unsequenced(ctx context.Context, q database.Querier, limit int) ([]storedEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq IS NULL
		ORDER BY occurred_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("lecture des entrées à numéroter : %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		e, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture des entrées à numéroter : %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture des entrées à numéroter : %w", err)
	}
	return out, nil
}

// insertHashes stores hashes at consecutive indexes from first, in multi-row INSERTs.
func insertHashes(ctx context.Context, q database.Querier, first int64, hashes []tlog.Hash) error {
	for len(hashes) > 0 {
		chunk := hashes[:min(len(hashes), hashInsertRows)]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO audit_hashes (idx, hash) VALUES `)
		args := make([]any, 0, 2*len(chunk))
		for i, h := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("($" + strconv.Itoa(2*i+1) + ", $" + strconv.Itoa(2*i+2) + ")")
			args = append(args, first+int64(i), h[:])
		}
		if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("écriture des empreintes du journal : %w", err)
		}
		first += int64(len(chunk))
		hashes = hashes[len(chunk):]
	}
	return nil
}
