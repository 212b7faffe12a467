package application

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// ChangeHire changes the contract of an accepted application before it starts (the start moved,
// the hours or the salary were renegotiated): the same rules as at the acceptance, decided by
// the members of the structure, while the contract has not started. The hire hook learns the
// new start in the same transaction (a PASS IAE not started moves with it).
func (s *Service) ChangeHire(ctx context.Context, actor access.Actor, id uuid.UUID, h Hire) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		now := s.clock.Now()
		today := database.ParisDate(now)
		st, err := loadRow(ctx, tx, id)
		if err != nil {
			return err
		}
		res, err := s.describe(ctx, tx, actor, st)
		if err != nil {
			return err
		}
		if err := access.Can(actor, access.DecideApplication, res); err != nil {
			return err
		}
		a, err := s.open(ctx, tx, st)
		if err != nil {
			return err
		}
		if a.State != Accepted {
			return fmt.Errorf("seule une embauche peut être modifiée : %w", fault.Conflict)
		}
		if !a.Hire.Start.After(today) {
			return fmt.Errorf("le contrat a commencé le %s : ses dates ne peuvent plus être modifiées ; déclarez une suspension ou une interruption du PASS IAE si besoin : %w",
				a.Hire.Start.French(), fault.Conflict)
		}
		page, err := s.offer.StructureIn(ctx, tx, actor, a.ToOrg)
		if err != nil {
			return err
		}
		if err := CheckHire(h, page.Structure.Kind, page.JobDescriptions, today); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET hiring_start = $2, hiring_end = $3, contract_type = $4, hours_per_week = $5,
			salary_cents = $6, first_mission = $7, hired_job = $8, updated_at = $9 WHERE id = $1`, a.ID, h.Start, nullDateArg(h.End), string(h.ContractType),
			h.HoursPerWeek, h.SalaryCents, nullDateArg(h.FirstMission), database.NullUUID(h.JobDescriptionID), now); err != nil {
			return fmt.Errorf("modification de l'embauche : %w", err)
		}
		if s.hireHook != nil && h.Start != a.Hire.Start {
			if err := s.hireHook(ctx, tx, Hired{Application: a.ID, JobSeekerID: a.JobSeekerID, Structure: a.ToOrg, Start: h.Start,
				SenderKind: a.SenderKind, SenderAuthorized: a.SenderAuthorized, Actor: actor, Today: today, Moved: a.Hire.Start}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "application.hire_changed", a, map[string]string{"start": h.Start.String(), "previous_start": a.Hire.Start.String()})
	})
}
