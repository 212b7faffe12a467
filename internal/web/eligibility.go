package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/eligibility"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
)

func (s *Server) registerEligibilityRoutes() {
	s.handle("GET /candidats/{id}/diagnostic", gateUser, s.diagnosisForm)
	s.handle("POST /candidats/{id}/diagnostic", gateUser, s.diagnosisSave)
	s.handle("GET /diagnostics/{id}", gateUser, s.diagnosisPage)
}

// eligibilityView is a person's eligibility on a page: the status with why, and where the
// diagnosis form is.
type eligibilityView struct {
	Status eligibility.Status
	// Form is the diagnosis form's address (with the page to come back to).
	Form string
}

// eligibilityOf reads a person's eligibility for a page, for the structure the page is about
// (uuid.Nil: the reader's view). Staff and those who may not read it get nil, and the page
// shows nothing of it: the read is not theirs to make.
func (s *Server) eligibilityOf(r *http.Request, person, structure uuid.UUID, back string) (*eligibilityView, error) {
	a := actor(r)
	if s.eligibility == nil || (a.Kind != access.JobSeeker && a.Kind != access.Professional) {
		return nil, nil
	}
	st, err := s.eligibility.Status(r.Context(), a, person, structure, access.PurposeIAERecruitment)
	if errors.Is(err, fault.Forbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &eligibilityView{Status: st, Form: "/candidats/" + person.String() + "/diagnostic"}
	if back != "" {
		v.Form += "?retour=" + urlQueryEscape(back)
	}
	return v, nil
}

// diagnosisFormView is the diagnosis form.
type diagnosisFormView struct {
	Person  jobseeker.JobSeeker
	Status  eligibility.Status
	Set     eligibility.Set
	Levels  []criteriaLevel
	Checked map[string]bool
	// Rule says what the actor's diagnosis needs and what it is worth.
	Rule string
	Back string
}

// criteriaLevel is a fieldset of the form.
type criteriaLevel struct {
	Level    int
	Legend   string
	Hint     string
	Criteria []eligibility.Criterion
}

// back is the page to come back to: a page of the platform only.
func back(r *http.Request, person uuid.UUID) string {
	b := r.FormValue("retour")
	if strings.HasPrefix(b, "/candidatures/") || strings.HasPrefix(b, "/candidats/") {
		if !strings.ContainsAny(b, "\\:") && !strings.HasPrefix(b, "//") {
			return b
		}
	}
	return "/candidats/" + person.String()
}

func (s *Server) diagnosisForm(w http.ResponseWriter, r *http.Request) {
	s.renderDiagnosisForm(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderDiagnosisForm(w http.ResponseWriter, r *http.Request, status int, checked map[string]bool, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	if a.Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	person, err := s.jobseekers.Get(r.Context(), a, id, access.PurposeIAERecruitment)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.eligibility.Status(r.Context(), a, id, uuid.Nil, access.PurposeIAERecruitment)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !st.CanDiagnose && st.Blocked == "" {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	set, err := s.eligibility.Criteria(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if checked == nil {
		checked = map[string]bool{}
	}
	v := diagnosisFormView{Person: person, Status: st, Set: set, Checked: checked, Back: back(r, id),
		Levels: []criteriaLevel{
			{1, "Critères de niveau 1", "Un seul suffit à une structure pour établir l'éligibilité.", set.Level(1)},
			{2, "Critères de niveau 2", "Ils se cumulent : 2 pour une AI ou une ETTI, 3 pour une EI, un ACI ou une EITI.", set.Level(2)},
		}}
	switch a.Role {
	case access.AuthorizedPrescriber:
		v.Rule = eligibility.Explain(eligibility.ByPrescriber, "")
	case access.Employer:
		v.Rule = eligibility.Explain(eligibility.ByEmployer, a.OrgKind)
	}
	s.render(w, r, status, "diagnosis_form", "Diagnostic d'éligibilité de "+person.FullName(), v, errs)
}

func (s *Server) diagnosisSave(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	codes := r.PostForm["criteres"]
	checked := map[string]bool{}
	for _, c := range codes {
		checked[c] = true
	}
	d, err := s.eligibility.Make(r.Context(), actor(r), id, codes)
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderDiagnosisForm(w, r, http.StatusUnprocessableEntity, checked, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "diagnosis_saved")
	target := "/diagnostics/" + d.ID.String()
	if b := back(r, id); strings.HasPrefix(b, "/candidatures/") {
		target += "?retour=" + urlQueryEscape(b)
	}
	redirect(w, r, target)
}

// diagnosisView is a diagnosis with why, and the person's status around it.
type diagnosisView struct {
	Diagnosis eligibility.Diagnosis
	Why       eligibility.Why
	Status    eligibility.Status
	Person    jobseeker.JobSeeker
	Back      string
}

func (s *Server) diagnosisPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	d, st, err := s.eligibility.Get(r.Context(), a, id, access.PurposeIAERecruitment)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	person, err := s.jobseekers.Get(r.Context(), a, d.JobSeekerID, access.PurposeIAERecruitment)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := diagnosisView{Diagnosis: d, Why: st.Why(d), Status: st, Person: person, Back: back(r, d.JobSeekerID)}
	s.render(w, r, http.StatusOK, "diagnosis", "Diagnostic d'éligibilité de "+person.FullName(), v, nil)
}
