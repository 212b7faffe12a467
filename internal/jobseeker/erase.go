package jobseeker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/fault"
)

// EraseReasons are why a file may be erased, in the order of the form. The audit entry keeps
// the code: a free text could name the person whose file is gone.
var EraseReasons = []struct{ Code, Label string }{
	{"duplicate", "Doublon d'un autre dossier de la même personne"},
	{"no_consent", "Dossier ouvert par un professionnel sans que la personne en soit informée"},
	{"dpo_decision", "Demande d'effacement acceptée par le délégué à la protection des données"},
	{"error", "Dossier créé par erreur (personne fictive, saisie de test)"},
}

// Erase erases a person's file, for the platform's staff and with a reason: in one transaction
// the other modules erase what they hold (the adapted support's record, its documents and its
// key; the files sealed under the person's key), then the file and every row that hangs on it
// (applications, diagnoses, PASS IAE, follow-ups) go, and the person's data key is destroyed
// (crypto-shredding), so that copies in backups become unreadable too. The audit entry names
// the person by pseudonym and the reason's code.
// The person's account, if any, stays: it no longer has a file.
func (s *Service) Erase(ctx context.Context, actor access.Actor, person uuid.UUID, reason string) error {
	if err := access.Can(actor, access.EraseJobSeeker, access.Resource{Subject: person}); err != nil {
		return err
	}
	if !slices.ContainsFunc(EraseReasons, func(r struct{ Code, Label string }) bool { return r.Code == reason }) {
		return fault.Field("reason", "Choisissez le motif de l'effacement.")
	}
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		var id uuid.UUID
		err := tx.QueryRowContext(ctx, `SELECT id FROM job_seekers WHERE id = $1`, person).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("dossier du candidat : %w", fault.NotFound)
		}
		if err != nil {
			return err
		}
		for _, erase := range s.erasers {
			if err := erase(ctx, tx, person); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM job_seekers WHERE id = $1`, person); err != nil {
			return fmt.Errorf("effacement du dossier : %w", err)
		}
		if err := s.env.Shred(ctx, tx, subject(person)); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "jobseeker.erased", person, map[string]string{"reason": reason})
	})
}
