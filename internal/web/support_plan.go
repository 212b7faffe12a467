package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/support"
)

// The plan of the adapted support (PPAE; support.Plan): the advisors' page, its form, the
// acknowledgement they record and the PDF; the person's page, where they acknowledge online.
// Every read states the plan's purpose and is recorded by the service.
func (s *Server) registerSupportPlanRoutes() {
	s.handle("GET /candidats/{id}/accompagnement/plan", gateUser, s.supportPlan)
	s.handle("GET /candidats/{id}/accompagnement/plan/modifier", gateUser, s.supportPlanEdit)
	s.handle("POST /candidats/{id}/accompagnement/plan/modifier", gateUser, s.supportPlanSave)
	s.handle("POST /candidats/{id}/accompagnement/plan/prise-de-connaissance", gateUser, s.supportPlanAck)
	s.handle("GET /candidats/{id}/accompagnement/plan/pdf", gateUser, s.supportPlanPDF)
	s.handle("GET /mon-accompagnement/plan", gateUser, s.supportMyPlan)
	s.handle("POST /mon-accompagnement/plan/prise-de-connaissance", gateUser, s.supportMyPlanAck)
	s.handle("GET /mon-accompagnement/plan/pdf", gateUser, s.supportMyPlanPDF)
}

// supportPlanView is the plan page: the book, the version shown, what the reader may do.
type supportPlanView struct {
	PersonID uuid.UUID
	Book     support.PlanBook
	// Shown is the version displayed (the current one unless ?version= asks another).
	Shown   *support.PlanVersion
	CanEdit bool
	// Mine: the person's own page.
	Mine       bool
	AckMethods []support.Option
	Form       form
	Today      string
}

// shownVersion picks the version asked by ?version=, the current one by default.
func shownVersion(r *http.Request, b support.PlanBook) *support.PlanVersion {
	if n, err := strconv.Atoi(r.URL.Query().Get("version")); err == nil {
		if v := b.Version(n); v != nil {
			return v
		}
	}
	return b.Current()
}

// supportPlanStance checks that the actor is a habilitated advisor of an organisation that may
// read the person's support (the service decides the read again).
func (s *Server) supportPlanStance(w http.ResponseWriter, r *http.Request) (uuid.UUID, support.Stance, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return uuid.Nil, support.Stance{}, false
	}
	a := actor(r)
	if a.Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return uuid.Nil, support.Stance{}, false
	}
	st, err := s.support.StanceOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return uuid.Nil, support.Stance{}, false
	}
	if !st.Habilitated {
		s.renderError(w, r, http.StatusForbidden)
		return uuid.Nil, support.Stance{}, false
	}
	return id, st, true
}

func (s *Server) supportPlan(w http.ResponseWriter, r *http.Request) {
	s.renderSupportPlan(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderSupportPlan(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, st, ok := s.supportPlanStance(w, r)
	if !ok {
		return
	}
	b, err := s.support.ReadPlan(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	today := database.ParisDate(s.clock.Now()).String()
	if f == nil {
		f = form{"ack_on": today}
	}
	s.render(w, r, status, "support_plan", "Plan d'accompagnement", supportPlanView{PersonID: id, Book: b, Shown: shownVersion(r, b),
		CanEdit: st.CanEdit && b.Editable(), AckMethods: support.AckMethods[:2], Form: f, Today: today}, errs)
}

// planFormView is the plan's form.
type planFormView struct {
	PersonID uuid.UUID
	Book     support.PlanBook
	Values   form
	Actions  []form
	Reviews  []form
	Types    []option
	Statuses []option
	Owners   []option
	Jobs     []planJobSlot
}

// planJobSlot is one of the job fields.
type planJobSlot struct{ Name, Label string }

func optionsOf(list []support.Option) []option {
	out := make([]option, len(list))
	for i, o := range list {
		out[i] = option{Value: o.Code, Label: o.Label}
	}
	return out
}

// planForm fills the form with a plan.
func (s *Server) planForm(p support.Plan) (form, []form, []form) {
	f := form{"objectives": p.Objectives}
	for i, j := range p.Jobs {
		f[fmt.Sprintf("job%d", i)] = j.Label + " (" + j.Code + ")"
	}
	if p.CommuneCode != "" {
		f["commune"] = s.communeText(p.CommuneCode)
	}
	number := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	f["radius_km"], f["salary"], f["hours"] = number(p.RadiusKm), number(p.Salary), number(p.Hours)
	var actions, reviews []form
	for _, a := range p.Actions {
		actions = append(actions, form{"id": a.ID, "type": a.Type, "description": a.Description, "due_on": dateValue(a.DueOn), "status": a.Status, "owner": a.Owner})
	}
	for _, r := range p.Reviews {
		reviews = append(reviews, form{"id": r.ID, "planned_on": dateValue(r.PlannedOn), "held_on": dateValue(r.HeldOn), "summary": r.Summary})
	}
	return f, actions, reviews
}

func (s *Server) supportPlanEdit(w http.ResponseWriter, r *http.Request) {
	s.renderSupportPlanForm(w, r, http.StatusOK, nil, nil, nil, nil)
}

func (s *Server) renderSupportPlanForm(w http.ResponseWriter, r *http.Request, status int, f form, actions, reviews []form, errs fault.Fields) {
	id, st, ok := s.supportPlanStance(w, r)
	if !ok {
		return
	}
	if !st.CanEdit {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	b, err := s.support.ReadPlan(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !b.Editable() {
		s.fail(w, r, fmt.Errorf("plan en lecture seule : %w", fault.Conflict))
		return
	}
	if f == nil {
		var p support.Plan
		if c := b.Current(); c != nil {
			p = c.Plan
		}
		f, actions, reviews = s.planForm(p)
	}
	// Blank rows to add an action or a review.
	for range 2 {
		if len(actions) < support.MaxPlanActions {
			actions = append(actions, form{"status": "planned", "owner": "person"})
		}
	}
	if len(reviews) < support.MaxPlanReviews {
		reviews = append(reviews, form{})
	}
	for i := range actions {
		actions[i]["n"] = strconv.Itoa(i + 1)
	}
	for i := range reviews {
		reviews[i]["n"] = strconv.Itoa(i + 1)
	}
	s.render(w, r, status, "support_plan_form", "Modifier le plan d'accompagnement", planFormView{PersonID: id, Book: b, Values: f,
		Actions: actions, Reviews: reviews, Types: optionsOf(support.ActionTypes), Statuses: optionsOf(support.ActionStatuses),
		Owners: optionsOf(support.ActionOwners), Jobs: []planJobSlot{{"job0", "Métier 1"}, {"job1", "Métier 2"}, {"job2", "Métier 3"}}}, errs)
}

// planInput parses the plan's form. Rows left blank are dropped, the others renumbered, so that
// the service's errors (a<i>_…, r<i>_…) name the rows shown again. Jobs, the commune, numbers
// and dates that do not parse are field errors.
func (s *Server) planInput(r *http.Request) (support.Plan, form, []form, []form, fault.Fields) {
	errs := fault.Fields{}
	p, f := s.planHead(r, errs)
	actions := formRows(r, "a", []string{"id", "type", "description", "due_on", "status", "owner"}, func(x form) bool {
		return x["type"] == "" && x["description"] == "" && x["due_on"] == ""
	})
	for i, a := range actions {
		p.Actions = append(p.Actions, support.PlanAction{ID: a["id"], Type: a["type"], Description: a["description"],
			DueOn: rowDate(errs, a, "due_on", fmt.Sprintf("a%d_due_on", i)), Status: a["status"], Owner: a["owner"]})
	}
	reviews := formRows(r, "r", []string{"id", "planned_on", "held_on", "summary"}, func(x form) bool {
		return x["planned_on"] == "" && x["held_on"] == "" && x["summary"] == ""
	})
	for i, x := range reviews {
		p.Reviews = append(p.Reviews, support.PlanReview{ID: x["id"], PlannedOn: rowDate(errs, x, "planned_on", fmt.Sprintf("r%d_planned_on", i)),
			HeldOn: rowDate(errs, x, "held_on", fmt.Sprintf("r%d_held_on", i)), Summary: x["summary"]})
	}
	return p, f, actions, reviews, errs
}

// planHead parses the jobs, the area, the salary, the hours and the objectives.
func (s *Server) planHead(r *http.Request, errs fault.Fields) (support.Plan, form) {
	f := formOf(r, "job0", "job1", "job2", "commune", "radius_km", "salary", "hours", "objectives")
	p := support.Plan{Objectives: f["objectives"]}
	for i := range support.MaxPlanJobs {
		name := fmt.Sprintf("job%d", i)
		if f[name] == "" {
			continue
		}
		if a, msg := s.resolveAppellation(f[name]); msg != "" {
			errs.Add(name, "Métier non reconnu : choisissez-le dans la liste proposée.")
		} else {
			p.Jobs = append(p.Jobs, support.PlanJob{Code: a.Code})
		}
	}
	if f["commune"] != "" {
		code, _, msg := s.resolveCommune(f["commune"])
		if msg != "" {
			errs.Add("commune", msg+".")
		}
		p.CommuneCode = code
	}
	number := func(name, msg string) int {
		if f[name] == "" {
			return 0
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f[name], " ", ""))
		if err != nil {
			errs.Add(name, msg)
		}
		return n
	}
	p.RadiusKm = number("radius_km", "Indiquez un nombre de kilomètres.")
	p.Salary = number("salary", "Indiquez un montant en euros, sans centimes.")
	p.Hours = number("hours", "Indiquez un nombre d'heures.")
	return p, f
}

// formRows reads the rows <prefix><i>_<field> of a form (<prefix>n of them, 40 at most),
// dropping the blank ones.
func formRows(r *http.Request, prefix string, fields []string, blank func(form) bool) []form {
	n, _ := strconv.Atoi(r.PostFormValue(prefix + "n"))
	var out []form
	for i := range min(n, 40) {
		row := form{}
		for _, field := range fields {
			row[field] = strings.TrimSpace(r.PostFormValue(fmt.Sprintf("%s%d_%s", prefix, i, field)))
		}
		if !blank(row) {
			out = append(out, row)
		}
	}
	return out
}

// rowDate parses a row's date; one that does not parse is an error on the field name.
func rowDate(errs fault.Fields, row form, field, name string) database.Date {
	if row[field] == "" {
		return database.Date{}
	}
	d, err := database.ParseDate(row[field])
	if err != nil {
		errs.Add(name, "Date invalide : utilisez le sélecteur de date.")
	}
	return d
}

func (s *Server) supportPlanSave(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	p, f, actions, reviews, errs := s.planInput(r)
	if len(errs) > 0 {
		// What did not parse is not sent; the rest of the form is still checked, for every
		// error at once.
		for k, v := range fault.FieldsOf(p.Validate(database.ParisDate(s.clock.Now()))) {
			if errs[k] == "" {
				errs[k] = v
			}
		}
	} else {
		_, created, err := s.support.SavePlan(r.Context(), actor(r), id, p)
		switch {
		case fault.FieldsOf(err) != nil:
			errs = fault.FieldsOf(err)
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			flash := "support_plan_saved"
			if !created {
				flash = "support_plan_unchanged"
			}
			s.setFlash(w, flash)
			redirect(w, r, "/candidats/"+id.String()+"/accompagnement/plan")
			return
		}
	}
	s.renderSupportPlanForm(w, r, http.StatusUnprocessableEntity, f, actions, reviews, errs)
}

func (s *Server) supportPlanAck(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "version", "ack_how", "ack_on")
	errs := fault.Fields{}
	on, perr := database.ParseDate(f["ack_on"])
	if perr != nil && f["ack_on"] != "" {
		errs.Add("ack_on", "Date invalide : utilisez le sélecteur de date.")
	}
	version, _ := strconv.Atoi(f["version"])
	if len(errs) == 0 {
		err := s.support.Acknowledge(r.Context(), actor(r), id, version, f["ack_how"], on)
		if errs = fault.FieldsOf(err); errs == nil && err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderSupportPlan(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "support_plan_acknowledged")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement/plan")
}

func (s *Server) supportPlanPDF(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.supportPlanStance(w, r)
	if !ok {
		return
	}
	pdf, name, err := s.support.PlanPDF(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/pdf", name, pdf)
}

func (s *Server) supportMyPlan(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	b, err := s.support.MyPlan(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "support_plan", "Mon plan d'accompagnement", supportPlanView{PersonID: b.PersonID, Book: b,
		Shown: shownVersion(r, b), Mine: true}, nil)
}

func (s *Server) supportMyPlanAck(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	b, err := s.support.MyPlan(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	if err := s.support.Acknowledge(r.Context(), a, b.PersonID, version, "online", database.Date{}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_plan_acknowledged_mine")
	redirect(w, r, "/mon-accompagnement/plan")
}

func (s *Server) supportMyPlanPDF(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	b, err := s.support.MyPlan(r.Context(), a)
	if errors.Is(err, fault.NotFound) || err == nil && b.Current() == nil {
		s.renderError(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pdf, name, err := s.support.PlanPDF(r.Context(), a, b.PersonID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/pdf", name, pdf)
}
