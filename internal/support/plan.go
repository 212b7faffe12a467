package support

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
)

// Plan is the personalised plan of the support (PPAE, "contrat d'engagement"; Code du travail
// D5312-50 2°): the jobs sought, the area, the expected salary and weekly hours, the objectives,
// the actions and the reviews. It is saved as versions, each sealed whole under the record's key.
// Its free texts serve the plan: never a diagnosis or a treatment.
type Plan struct {
	// Jobs are up to MaxPlanJobs ROME appellations.
	Jobs []PlanJob
	// CommuneCode is the INSEE code of the centre of the area, RadiusKm its radius.
	CommuneCode string
	CommuneName string
	RadiusKm    int
	// Salary is the expected gross monthly salary in euros (0: not stated).
	Salary int
	// Hours is the weekly activity sought, in hours (0: not stated).
	Hours      int
	Objectives string
	Actions    []PlanAction
	Reviews    []PlanReview
}

// PlanJob is a job sought: a ROME appellation.
type PlanJob struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Rome  string `json:"rome"`
}

// PlanAction is an action of the plan.
type PlanAction struct {
	ID          string
	Type        string
	Description string
	DueOn       database.Date
	Status      string
	Owner       string
}

// PlanReview is a review of the plan ("point d'étape"): planned, then held with its summary.
type PlanReview struct {
	ID        string
	PlannedOn database.Date
	HeldOn    database.Date
	Summary   string
}

// Limits of the plan.
const (
	MaxPlanJobs    = 3
	MaxPlanActions = 20
	MaxPlanReviews = 12
	maxObjectives  = 2000
	maxActionText  = 500
	maxSummary     = 2000
	maxRadiusKm    = 200
	maxSalary      = 20000
	maxHours       = 48
)

// The lists of the plan.
var (
	// ActionTypes are the kinds of action of a plan.
	ActionTypes = []Option{
		{"training", "Formation"},
		{"immersion", "Immersion professionnelle (PMSMP)"},
		{"job_search", "Recherche d'emploi et candidatures"},
		{"workstation", "Adaptation du poste ou du matériel"},
		{"mobility", "Mobilité"},
		{"aid_request", "Demande d'aide ou de prestation"},
		{"health_follow_up", "Démarche auprès de la médecine du travail ou de la MDPH"},
		{"appointment", "Rendez-vous avec un partenaire"},
		{"other", "Autre"},
	}
	// ActionStatuses are where an action stands.
	ActionStatuses = []Option{
		{"planned", "Prévue"},
		{"in_progress", "En cours"},
		{"done", "Réalisée"},
		{"abandoned", "Abandonnée"},
	}
	// ActionOwners are who carries an action out.
	ActionOwners = []Option{
		{"person", "La personne"},
		{"advisor", "Le conseiller ou l'organisme"},
	}
	// AckMethods are how the person acknowledged a version.
	AckMethods = []Option{
		{"in_person", "En entretien"},
		{"paper", "Sur papier signé"},
		{"online", "En ligne, par la personne"},
	}
	// planSections name what changed between versions.
	planSections = []Option{
		{"jobs", "Métiers recherchés"},
		{"area", "Zone géographique"},
		{"salary", "Salaire attendu"},
		{"hours", "Temps de travail"},
		{"objectives", "Objectifs"},
		{"actions", "Actions"},
		{"reviews", "Points d'étape"},
	}
)

// Labels for pages.
func (a PlanAction) TypeLabel() string   { return label(ActionTypes, a.Type) }
func (a PlanAction) StatusLabel() string { return label(ActionStatuses, a.Status) }
func (a PlanAction) OwnerLabel() string  { return label(ActionOwners, a.Owner) }

// Settled tells whether the action is done or abandoned.
func (a PlanAction) Settled() bool { return a.Status == "done" || a.Status == "abandoned" }

// Overdue tells whether the action is late on today.
func (a PlanAction) Overdue(today database.Date) bool {
	return !a.Settled() && !a.DueOn.IsZero() && a.DueOn.Before(today)
}

// Overdue tells whether the review is late on today: planned before today and not held.
func (r PlanReview) Overdue(today database.Date) bool {
	return r.HeldOn.IsZero() && !r.PlannedOn.IsZero() && r.PlannedOn.Before(today)
}

// Overdue tells whether an action or a review is late on today.
func (p Plan) Overdue(today database.Date) bool {
	return slices.ContainsFunc(p.Actions, func(a PlanAction) bool { return a.Overdue(today) }) ||
		slices.ContainsFunc(p.Reviews, func(r PlanReview) bool { return r.Overdue(today) })
}

// Validate checks the plan against today and returns every field error at once, in French.
// Field names are those of the form: jobs, commune, radius_km, salary, hours, objectives,
// a<i>_type, a<i>_description, a<i>_due_on, a<i>_status, a<i>_owner, r<i>_planned_on,
// r<i>_held_on, r<i>_summary. Jobs and the commune are checked against the reference data by
// the caller (see Service.SavePlan). Texts are trimmed.
func (p *Plan) Validate(today database.Date) error {
	f := fault.Fields{}
	if len(p.Jobs) > MaxPlanJobs {
		f.Add("jobs", fmt.Sprintf("%d métiers au plus.", MaxPlanJobs))
	}
	for i, j := range p.Jobs {
		if slices.ContainsFunc(p.Jobs[:i], func(o PlanJob) bool { return o.Code == j.Code }) {
			f.Add("jobs", "Le même métier est choisi deux fois.")
		}
	}
	if p.RadiusKm < 0 || p.RadiusKm > maxRadiusKm {
		f.Add("radius_km", fmt.Sprintf("Indiquez un rayon entre 0 et %d km.", maxRadiusKm))
	} else if p.RadiusKm > 0 && p.CommuneCode == "" {
		f.Add("commune", "Indiquez la commune autour de laquelle la personne cherche.")
	}
	if p.Salary < 0 || p.Salary > maxSalary {
		f.Add("salary", fmt.Sprintf("Indiquez un salaire brut mensuel entre 0 et %d euros.", maxSalary))
	}
	if p.Hours < 0 || p.Hours > maxHours {
		f.Add("hours", fmt.Sprintf("Indiquez une durée hebdomadaire entre 1 et %d heures.", maxHours))
	}
	p.Objectives = strings.TrimSpace(p.Objectives)
	if utf8.RuneCountInString(p.Objectives) > maxObjectives {
		f.Add("objectives", fmt.Sprintf("%d caractères au plus.", maxObjectives))
	}
	if len(p.Actions) > MaxPlanActions {
		f.Add("actions", fmt.Sprintf("%d actions au plus.", MaxPlanActions))
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		name := func(field string) string { return fmt.Sprintf("a%d_%s", i, field) }
		a.Description = strings.TrimSpace(a.Description)
		if !known(ActionTypes, a.Type) {
			f.Add(name("type"), "Choisissez le type d'action.")
		}
		switch n := utf8.RuneCountInString(a.Description); {
		case n == 0:
			f.Add(name("description"), "Décrivez l'action.")
		case n > maxActionText:
			f.Add(name("description"), fmt.Sprintf("%d caractères au plus.", maxActionText))
		}
		if a.DueOn.IsZero() {
			f.Add(name("due_on"), "Indiquez l'échéance de l'action.")
		}
		if !known(ActionStatuses, a.Status) {
			f.Add(name("status"), "Choisissez où en est l'action.")
		}
		if !known(ActionOwners, a.Owner) {
			f.Add(name("owner"), "Choisissez qui réalise l'action.")
		}
	}
	if len(p.Reviews) > MaxPlanReviews {
		f.Add("reviews", fmt.Sprintf("%d points d'étape au plus.", MaxPlanReviews))
	}
	for i := range p.Reviews {
		r := &p.Reviews[i]
		name := func(field string) string { return fmt.Sprintf("r%d_%s", i, field) }
		r.Summary = strings.TrimSpace(r.Summary)
		if r.PlannedOn.IsZero() {
			f.Add(name("planned_on"), "Indiquez la date prévue du point d'étape.")
		}
		if !r.HeldOn.IsZero() && r.HeldOn.After(today) {
			f.Add(name("held_on"), "Un point d'étape ne peut pas avoir eu lieu dans le futur.")
		}
		if r.Summary != "" && r.HeldOn.IsZero() {
			f.Add(name("held_on"), "Indiquez la date à laquelle le point d'étape a eu lieu, ou effacez le compte rendu.")
		}
		if utf8.RuneCountInString(r.Summary) > maxSummary {
			f.Add(name("summary"), fmt.Sprintf("%d caractères au plus.", maxSummary))
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	// Items keep their identifier across versions (the reminders follow them); new ones get one.
	for i := range p.Actions {
		if _, err := uuid.Parse(p.Actions[i].ID); err != nil {
			p.Actions[i].ID = uuid.NewString()
		}
	}
	for i := range p.Reviews {
		if _, err := uuid.Parse(p.Reviews[i].ID); err != nil {
			p.Reviews[i].ID = uuid.NewString()
		}
	}
	return nil
}

// changes lists the sections that differ between two plans, as codes of planSections.
func changes(before, after Plan) []string {
	var out []string
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	if !same(before.Jobs, after.Jobs) && (len(before.Jobs)+len(after.Jobs) > 0) {
		out = append(out, "jobs")
	}
	if before.CommuneCode != after.CommuneCode || before.RadiusKm != after.RadiusKm {
		out = append(out, "area")
	}
	if before.Salary != after.Salary {
		out = append(out, "salary")
	}
	if before.Hours != after.Hours {
		out = append(out, "hours")
	}
	if before.Objectives != after.Objectives {
		out = append(out, "objectives")
	}
	if !same(docActions(before.Actions), docActions(after.Actions)) {
		out = append(out, "actions")
	}
	if !same(docReviews(before.Reviews), docReviews(after.Reviews)) {
		out = append(out, "reviews")
	}
	return out
}

// ChangeLabels names the sections a version changed.
func ChangeLabels(codes []string) []string { return Labels(planSections, codes) }

// PlanVersion is one saved version of a plan, with who made it and the person's
// acknowledgement.
type PlanVersion struct {
	Version   int
	Plan      Plan
	Changes   []string
	CreatedAt time.Time
	Author    string
	AuthorOrg string
	// AckOn and AckHow are the person's acknowledgement (zero, "": not yet).
	AckOn  database.Date
	AckHow string
}

// ChangeLabels names what the version changed.
func (v PlanVersion) ChangeLabels() []string { return ChangeLabels(v.Changes) }

// Acknowledged tells whether the person acknowledged this version.
func (v PlanVersion) Acknowledged() bool { return v.AckHow != "" }

// AckLabel says how the person acknowledged it.
func (v PlanVersion) AckLabel() string { return label(AckMethods, v.AckHow) }

// planDoc is what a version's content seals.
type planDoc struct {
	Jobs        []PlanJob   `json:"jobs,omitempty"`
	CommuneCode string      `json:"commune,omitempty"`
	CommuneName string      `json:"commune_name,omitempty"`
	RadiusKm    int         `json:"radius_km,omitempty"`
	Salary      int         `json:"salary,omitempty"`
	Hours       int         `json:"hours,omitempty"`
	Objectives  string      `json:"objectives,omitempty"`
	Actions     []actionDoc `json:"actions,omitempty"`
	Reviews     []reviewDoc `json:"reviews,omitempty"`
}

type actionDoc struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Description string `json:"description"`
	DueOn       string `json:"due_on"`
	Status      string `json:"status"`
	Owner       string `json:"owner"`
}

type reviewDoc struct {
	ID        string `json:"id"`
	PlannedOn string `json:"planned_on"`
	HeldOn    string `json:"held_on,omitempty"`
	Summary   string `json:"summary,omitempty"`
}

func docActions(in []PlanAction) []actionDoc {
	out := make([]actionDoc, len(in))
	for i, a := range in {
		out[i] = actionDoc{ID: a.ID, Type: a.Type, Description: a.Description, DueOn: dateString(a.DueOn), Status: a.Status, Owner: a.Owner}
	}
	return out
}

func docReviews(in []PlanReview) []reviewDoc {
	out := make([]reviewDoc, len(in))
	for i, r := range in {
		out[i] = reviewDoc{ID: r.ID, PlannedOn: dateString(r.PlannedOn), HeldOn: dateString(r.HeldOn), Summary: r.Summary}
	}
	return out
}

func marshalPlan(p Plan) ([]byte, error) {
	return json.Marshal(planDoc{Jobs: p.Jobs, CommuneCode: p.CommuneCode, CommuneName: p.CommuneName, RadiusKm: p.RadiusKm,
		Salary: p.Salary, Hours: p.Hours, Objectives: p.Objectives, Actions: docActions(p.Actions), Reviews: docReviews(p.Reviews)})
}

func unmarshalPlan(b []byte) (Plan, error) {
	var d planDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return Plan{}, fmt.Errorf("plan illisible : %w", err)
	}
	p := Plan{Jobs: d.Jobs, CommuneCode: d.CommuneCode, CommuneName: d.CommuneName, RadiusKm: d.RadiusKm, Salary: d.Salary,
		Hours: d.Hours, Objectives: d.Objectives}
	for _, a := range d.Actions {
		due, err := parseDate(a.DueOn)
		if err != nil {
			return Plan{}, err
		}
		p.Actions = append(p.Actions, PlanAction{ID: a.ID, Type: a.Type, Description: a.Description, DueOn: due, Status: a.Status, Owner: a.Owner})
	}
	for _, r := range d.Reviews {
		planned, err := parseDate(r.PlannedOn)
		if err != nil {
			return Plan{}, err
		}
		held, err := parseDate(r.HeldOn)
		if err != nil {
			return Plan{}, err
		}
		p.Reviews = append(p.Reviews, PlanReview{ID: r.ID, PlannedOn: planned, HeldOn: held, Summary: r.Summary})
	}
	return p, nil
}

// planActionLabel names the plan's audited actions for the person's list of accesses ("" for
// another action).
func planActionLabel(action string) string {
	switch action {
	case "read.support.plan":
		return "Consultation du plan d'accompagnement"
	case "read.support.plan_pdf":
		return "Téléchargement du plan d'accompagnement"
	case "support.plan_saved":
		return "Modification du plan d'accompagnement"
	case "support.plan_acknowledged":
		return "Prise de connaissance du plan"
	case "support.plan_reminded":
		return "Rappel d'une échéance du plan à votre conseiller"
	}
	return ""
}
