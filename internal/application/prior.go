package application

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/offer"
)

// PriorKind is the kind of an action before hiring in a GEIQ (les emplois de l'inclusion §2.5):
// a period in a company, or a pre-qualification.
type PriorKind string

// The kinds of prior actions.
const (
	PriorPMSMP        PriorKind = "pmsmp"
	PriorMRS          PriorKind = "mrs"
	PriorStage        PriorKind = "stage"
	PriorMSPOther     PriorKind = "msp_other"
	PriorRegional     PriorKind = "regional"
	PriorAFPR         PriorKind = "afpr"
	PriorPOE          PriorKind = "poe"
	PriorPrequalOther PriorKind = "prequalification_other"
	priorMaxMonths              = 12
)

var priorLabels = map[PriorKind]string{
	PriorPMSMP:        "Période de mise en situation en milieu professionnel (PMSMP)",
	PriorMRS:          "Méthode de recrutement par simulation (MRS)",
	PriorStage:        "Stage",
	PriorMSPOther:     "Autre mise en situation professionnelle",
	PriorRegional:     "Pré-qualification : dispositif régional ou sectoriel",
	PriorAFPR:         "Action de formation préalable au recrutement (AFPR)",
	PriorPOE:          "Préparation opérationnelle à l'emploi (POE)",
	PriorPrequalOther: "Autre pré-qualification",
}

// PriorKinds lists the kinds in the order of the form.
func PriorKinds() []PriorKind {
	return []PriorKind{PriorPMSMP, PriorMRS, PriorStage, PriorMSPOther, PriorRegional, PriorAFPR, PriorPOE, PriorPrequalOther}
}

// Label is the kind's French name.
func (k PriorKind) Label() string {
	if l, ok := priorLabels[k]; ok {
		return l
	}
	return string(k)
}

// PriorAction is an action before hiring, over an inclusive date range.
type PriorAction struct {
	ID    uuid.UUID
	Kind  PriorKind
	Start database.Date
	End   database.Date
}

// CheckPriorAction validates a prior action.
func CheckPriorAction(p PriorAction) error {
	f := fault.Fields{}
	if _, ok := priorLabels[p.Kind]; !ok {
		f.Add("prior_kind", "Choisissez le type d'action.")
	}
	if p.Start.IsZero() {
		f.Add("prior_start", "Indiquez la date de début de l'action.")
	}
	switch {
	case p.End.IsZero():
		f.Add("prior_end", "Indiquez la date de fin de l'action.")
	case !p.Start.IsZero() && p.End.Before(p.Start):
		f.Add("prior_end", "La date de fin de l'action doit suivre sa date de début.")
	case !p.Start.IsZero() && p.End.After(addMonths(p.Start, priorMaxMonths)):
		f.Add("prior_end", fmt.Sprintf("Une action préalable dure %d mois au plus.", priorMaxMonths))
	}
	return f.Err()
}

// AddPriorAction records an action before hiring on an application received by a GEIQ; the
// first one moves the application to "action préalable à l'embauche". Only the members of the
// receiving GEIQ may.
func (s *Service) AddPriorAction(ctx context.Context, actor access.Actor, id uuid.UUID, p PriorAction) (PriorAction, error) {
	err := s.db.WithTx(ctx, func(tx *sql.Tx) error {
		a, kind, err := s.forPrior(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if kind != offer.KindGEIQ {
			return fmt.Errorf("seul un GEIQ enregistre des actions préalables à l'embauche : %w", fault.Conflict)
		}
		if a.State != PriorToHire {
			if _, ok := Next(a.State, MovePriorToHire); !ok {
				return stateConflict{a.State, a.JobSeekerID}
			}
		}
		if err := CheckPriorAction(p); err != nil {
			return err
		}
		now := s.clock.Now()
		p.ID = uuid.Must(uuid.NewV7())
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_prior_actions (id, application_id, kind, starts_on, ends_on, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.ID, a.ID, string(p.Kind), p.Start, p.End, now, database.NullUUID(actor.UserID)); err != nil {
			return fmt.Errorf("action préalable : %w", err)
		}
		if a.State != PriorToHire {
			return s.move(ctx, tx, actor, &a, MovePriorToHire, PriorToHire, uuid.Nil, now)
		}
		return s.record(ctx, tx, actor, "application.prior_action_added", a, map[string]string{"kind": string(p.Kind)})
	})
	return p, err
}

// DeletePriorAction removes an action before hiring; removing the last one moves the
// application back to "à l'étude".
func (s *Service) DeletePriorAction(ctx context.Context, actor access.Actor, id, actionID uuid.UUID) error {
	return s.db.WithTx(ctx, func(tx *sql.Tx) error {
		a, _, err := s.forPrior(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM application_prior_actions WHERE id = $1 AND application_id = $2`, actionID, a.ID)
		if err != nil {
			return fmt.Errorf("action préalable : %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("action préalable : %w", fault.NotFound)
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM application_prior_actions WHERE application_id = $1`, a.ID).Scan(&left); err != nil {
			return err
		}
		now := s.clock.Now()
		if left == 0 && a.State == PriorToHire {
			return s.move(ctx, tx, actor, &a, CancelPriorHire, Processing, uuid.Nil, now)
		}
		return s.record(ctx, tx, actor, "application.prior_action_deleted", a, nil)
	})
}

// forPrior loads an application for a change of its prior actions by a member of the
// receiving structure, and tells the structure's kind.
func (s *Service) forPrior(ctx context.Context, tx *sql.Tx, actor access.Actor, id uuid.UUID) (Application, string, error) {
	st, err := loadRow(ctx, tx, id)
	if err != nil {
		return Application{}, "", err
	}
	res, err := s.describe(ctx, tx, actor, st)
	if err != nil {
		return Application{}, "", err
	}
	if err := access.Can(actor, access.DecideApplication, res); err != nil {
		return Application{}, "", err
	}
	page, err := s.offer.Structure(ctx, actor, st.ToOrg)
	if err != nil {
		return Application{}, "", err
	}
	return st.Application, page.Structure.Kind, nil
}

// priorActions reads an application's prior actions, by start date.
func priorActions(ctx context.Context, q database.Querier, id uuid.UUID) ([]PriorAction, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, starts_on, ends_on FROM application_prior_actions WHERE application_id = $1
		ORDER BY starts_on, id`, id)
	if err != nil {
		return nil, fmt.Errorf("actions préalables : %w", err)
	}
	defer rows.Close()
	var out []PriorAction
	for rows.Next() {
		var p PriorAction
		var k string
		if err := rows.Scan(&p.ID, &k, &p.Start, &p.End); err != nil {
			return nil, err
		}
		p.Kind = PriorKind(k)
		out = append(out, p)
	}
	return out, rows.Err()
}
