package demo

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/support"
)

// loadSupportPlan gives Karim Benali his plan (issue 11, item 1), built by his Cap emploi
// advisor: a first version he acknowledged in person, then a second one, after an immersion,
// that he has yet to acknowledge (online, from his page); a review is overdue, so that the
// caseload and the plan show "en retard".
func loadSupportPlan(ctx context.Context, a Deps, capAdv access.Actor, karim uuid.UUID, today database.Date) error {
	p := support.Plan{Jobs: []support.PlanJob{{Code: "16276"}, {Code: "10750"}}, CommuneCode: "69123", RadiusKm: 20, Salary: 1850, Hours: 35,
		Objectives: "Retrouver un emploi de magasinier sur un poste aménagé (sans port de charges lourdes), d'abord par une immersion courte.",
		Actions: []support.PlanAction{
			{Type: "immersion", Description: "Immersion de deux semaines dans un entrepôt logistique de Vénissieux.", DueOn: today.AddDays(-10), Status: "planned", Owner: "person"},
			{Type: "aid_request", Description: "Demander à l'Agefiph l'étude de l'aménagement du poste de travail.", DueOn: today.AddDays(30), Status: "planned", Owner: "advisor"},
		},
		Reviews: []support.PlanReview{{PlannedOn: today.AddDays(-5)}}}
	if _, _, err := a.Support.SavePlan(ctx, capAdv, karim, p); err != nil {
		return fmt.Errorf("plan de Karim Benali : %w", err)
	}
	if err := a.Support.Acknowledge(ctx, capAdv, karim, 1, "in_person", today); err != nil {
		return err
	}
	b, err := a.Support.ReadPlan(ctx, capAdv, karim)
	if err != nil {
		return err
	}
	p = b.Current().Plan
	p.Actions[0].Status = "done"
	p.Actions = append(p.Actions, support.PlanAction{Type: "job_search", Description: "Répondre à trois offres de magasinier par semaine.",
		DueOn: today.AddDays(21), Status: "in_progress", Owner: "person"})
	if _, _, err := a.Support.SavePlan(ctx, capAdv, karim, p); err != nil {
		return fmt.Errorf("plan de Karim Benali : %w", err)
	}
	return nil
}
