package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// InclusionProof shows that one entry is in the tree a signed checkpoint commits to, in
// O(log n) hashes: what a person or an auditor can check without the rest of the log.
type InclusionProof struct {
	Entry Event
	// Leaf is the hash of the entry's canonical encoding at its seq.
	Leaf tlog.Hash
	// Checkpoint is the signed note of the tree the proof is against.
	Checkpoint []byte
	Proof      tlog.RecordProof
}

// Prove returns the inclusion proof of the entry numbered seq against the newest checkpoint.
func Prove(ctx context.Context, q database.Querier, seq int64) (InclusionProof, error) {
	var size int64
	var signed string
	err := q.QueryRowContext(ctx, `SELECT tree_size, signed_note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&size, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return InclusionProof{}, fmt.Errorf("aucun point de contrôle : %w", fault.NotFound)
	}
	if err != nil {
		return InclusionProof{}, fmt.Errorf("lecture du point de contrôle : %w", err)
	}
	if seq < 0 || seq >= size {
		return InclusionProof{}, fmt.Errorf("entrée %d pas encore scellée : %w", seq, fault.NotFound)
	}
	e, err := scanStored(q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE seq = $1`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return InclusionProof{}, fmt.Errorf("entrée %d absente du journal : %w", seq, ErrTampered)
	}
	if err != nil {
		return InclusionProof{}, fmt.Errorf("lecture de l'entrée %d : %w", seq, err)
	}
	proof, err := tlog.ProveRecord(size, seq, newStoredHashes(ctx, q))
	if err != nil {
		return InclusionProof{}, fmt.Errorf("preuve d'inclusion de l'entrée %d : %w", seq, err)
	}
	return InclusionProof{Entry: e.event(), Leaf: e.recordHash(seq), Checkpoint: []byte(signed), Proof: proof}, nil
}

// Check verifies the proof: the checkpoint is signed by verifier and the leaf is in its tree.
func (p InclusionProof) Check(verifier note.Verifier) error {
	c, err := OpenCheckpoint(p.Checkpoint, verifier)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(p.Proof, c.Size, c.Root, p.Entry.Seq, p.Leaf); err != nil {
		return fmt.Errorf("preuve d'inclusion de l'entrée %d invalide : %w", p.Entry.Seq, ErrTampered)
	}
	return nil
}
