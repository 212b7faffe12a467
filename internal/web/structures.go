package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/fault"
	"parcours/internal/offer"
)

func (s *Server) registerOfferRoutes() {
	s.handle("GET /recherche", gatePublic, s.searchEmployers)
	s.handle("GET /recherche/postes", gatePublic, s.searchJobs)
	s.handle("GET /recherche/prescripteurs", gatePublic, s.searchPrescribers)
	s.handle("GET /appellations", gatePublic, s.appellationOptions)
	s.handle("GET /structures/{id}", gatePublic, s.structurePage)
	s.handle("GET /structures/{id}/modifier", gateUser, s.structureEditForm)
	s.handle("POST /structures/{id}/modifier", gateUser, s.structureEdit)
	s.handle("POST /structures/{id}/candidatures-spontanees", gateUser, s.structureSpontaneous)
	s.handle("POST /structures/{id}/blocage", gateUser, s.structureBlocking)
	s.handle("GET /structures/{id}/fiches-de-poste", gateUser, s.jobDescriptionsPage)
	s.handle("GET /structures/{id}/fiches-de-poste/nouvelle", gateUser, s.jobDescriptionNewForm)
	s.handle("POST /structures/{id}/fiches-de-poste/nouvelle", gateUser, s.jobDescriptionCreate)
	s.handle("GET /structures/{id}/fiches-de-poste/{jd}/modifier", gateUser, s.jobDescriptionEditForm)
	s.handle("POST /structures/{id}/fiches-de-poste/{jd}/modifier", gateUser, s.jobDescriptionEdit)
	s.handle("POST /structures/{id}/fiches-de-poste/{jd}/{action}", gateUser, s.jobDescriptionAction)
}

type structureView struct {
	offer.StructurePage
	KindLabel   string
	CommuneName string
	Phone       string
	Stale       []offer.JobDescription // employer view: descriptions to update soon
	// StaleMessage asks the employer to confirm the stale descriptions, agreed in number.
	StaleMessage string
	// MaxJobDescriptions is the cap of a structure's job descriptions, active and inactive.
	MaxJobDescriptions int
}

func (s *Server) structureView(p offer.StructurePage) structureView {
	v := structureView{StructurePage: p, Phone: offer.FormatPhone(p.Structure.Phone), MaxJobDescriptions: offer.MaxJobDescriptionsPerStructure}
	if c, ok := s.places.Commune(p.Structure.CommuneCode); ok {
		v.CommuneName = communeLabel(c)
	}
	v.KindLabel = kindLabel(p.Structure.Kind)
	if p.EmployerView {
		for _, j := range p.JobDescriptions {
			if j.Active && offer.NeedsUpdateWarning(j, p.Today) {
				v.Stale = append(v.Stale, j)
			}
		}
		v.StaleMessage = staleMessage(len(v.Stale))
	}
	return v
}

// staleMessage asks to confirm n job descriptions left without update for 60 days ("" for
// none), with the French agreements of one and of several.
func staleMessage(n int) string {
	switch {
	case n == 0:
		return ""
	case n == 1:
		return "1 fiche de poste n'a pas été mise à jour depuis plus de 60 jours : confirmez-la ou modifiez-la, sinon elle sera désactivée à 90 jours."
	}
	return fmt.Sprintf("%d fiches de poste n'ont pas été mises à jour depuis plus de 60 jours : confirmez-les ou modifiez-les, sinon elles seront désactivées à 90 jours.", n)
}

func kindLabel(code string) string {
	for _, k := range employerKinds() {
		if k.Code == code {
			return k.Label
		}
	}
	return code
}

func (s *Server) structurePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, err := s.offer.Structure(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := p.Structure.Name
	if p.Structure.Brand != "" {
		title = p.Structure.Brand
	}
	s.render(w, r, http.StatusOK, "structure", title, s.structureView(p), nil)
}

func (s *Server) structureEditForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ok := s.employerStructure(w, r, id)
	if !ok {
		return
	}
	st := p.Structure
	f := form{"brand": st.Brand, "address_line1": st.AddressLine1, "address_line2": st.AddressLine2, "postcode": st.Postcode,
		"commune": s.communeText(st.CommuneCode), "phone": offer.FormatPhone(st.Phone), "email": st.Email, "website": st.Website,
		"description": st.Description, "provided_support": st.ProvidedSupport}
	s.render(w, r, http.StatusOK, "structure_edit", "Modifier la structure", structureEditView{Structure: st, Form: f}, nil)
}

// employerStructure loads the structure of an employer page: its members and staff only (403
// otherwise, also when the form sent has errors). It has answered when ok is false.
func (s *Server) employerStructure(w http.ResponseWriter, r *http.Request, id uuid.UUID) (p offer.StructurePage, ok bool) {
	p, err := s.offer.Structure(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return p, false
	}
	if !p.EmployerView {
		s.renderError(w, r, http.StatusForbidden)
		return p, false
	}
	return p, true
}

type structureEditView struct {
	Structure  offer.Structure
	Form       form
	Candidates any
}

func (s *Server) communeText(code string) string {
	if c, ok := s.places.Commune(code); ok {
		return communeLabel(c)
	}
	return code
}

func (s *Server) structureEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "brand", "address_line1", "address_line2", "postcode", "commune", "phone", "email", "website", "description", "provided_support")
	code, candidates, cerr := s.resolveCommune(f["commune"])
	st, err := s.offer.UpdateStructure(r.Context(), actor(r), id, offer.StructureInput{Brand: f["brand"], AddressLine1: f["address_line1"],
		AddressLine2: f["address_line2"], Postcode: f["postcode"], CommuneCode: code, Phone: f["phone"], Email: f["email"],
		Website: f["website"], Description: r.PostFormValue("description"), ProvidedSupport: r.PostFormValue("provided_support")})
	fields := fault.FieldsOf(err)
	if err != nil && fields == nil {
		s.fail(w, r, err)
		return
	}
	if fields != nil || cerr != "" {
		if fields == nil {
			fields = fault.Fields{}
		}
		if cerr != "" {
			fields["commune"] = cerr
		}
		current, ok := s.employerStructure(w, r, id)
		if !ok {
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "structure_edit", "Modifier la structure",
			structureEditView{Structure: current.Structure, Form: f, Candidates: candidates}, fields)
		return
	}
	s.setFlash(w, "structure_saved")
	redirect(w, r, offer.StructurePath(st.ID))
}

func (s *Server) structureSpontaneous(w http.ResponseWriter, r *http.Request) {
	s.structureToggle(w, r, func(id uuid.UUID, on bool) error { return s.offer.SetSpontaneousOpen(r.Context(), actor(r), id, on) }, "ouvrir", "spontaneous_saved")
}

func (s *Server) structureBlocking(w http.ResponseWriter, r *http.Request) {
	s.structureToggle(w, r, func(id uuid.UUID, on bool) error {
		return s.offer.SetApplicationsBlocked(r.Context(), actor(r), id, on)
	}, "bloquer", "blocking_saved")
}

func (s *Server) structureToggle(w http.ResponseWriter, r *http.Request, set func(uuid.UUID, bool) error, onWord, flash string) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if err := set(id, r.PostFormValue("action") == onWord); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, flash)
	redirect(w, r, offer.StructurePath(id))
}

func (s *Server) jobDescriptionsPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ok := s.employerStructure(w, r, id)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "job_descriptions", "Fiches de poste", s.structureView(p), nil)
}

type jdFormView struct {
	Structure offer.Structure
	JD        *offer.JobDescription
	Form      form
	Contracts []option
	Action    string
}

func (s *Server) contractOptions(kind string) []option {
	var out []option
	for _, c := range offer.ContractTypesFor(kind) {
		out = append(out, option{Value: string(c), Label: c.Label()})
	}
	return out
}

func (s *Server) jobDescriptionNewForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ok := s.employerStructure(w, r, id)
	if !ok {
		return
	}
	f := form{"commune": s.communeText(p.Structure.CommuneCode), "hours_per_week": "35", "open_positions": "1"}
	s.render(w, r, http.StatusOK, "job_description_form", "Nouvelle fiche de poste", jdFormView{Structure: p.Structure, Form: f,
		Contracts: s.contractOptions(p.Structure.Kind), Action: offer.EmployerJobDescriptionsPath(id) + "/nouvelle"}, nil)
}

// jdInput reads the job description form. What only the form can tell (a number that is not
// one, a commune or a job typed but not recognised) is reported on its field; the rest is the
// service's to check.
func (s *Server) jdInput(r *http.Request) (form, offer.JobDescriptionInput, fault.Fields) {
	f := formOf(r, "metier", "custom_title", "contract_type", "commune", "hours_per_week", "open_positions")
	f["description"], f["expected_profile"] = r.PostFormValue("description"), r.PostFormValue("expected_profile")
	if r.PostFormValue("cv_required") == "on" {
		f["cv_required"] = "on"
	}
	errs := fault.Fields{}
	in := offer.JobDescriptionInput{CustomTitle: f["custom_title"], Description: f["description"], ContractType: offer.ContractType(f["contract_type"]),
		ExpectedProfile: f["expected_profile"], CVRequired: f["cv_required"] == "on"}
	if f["metier"] != "" {
		if a, msg := s.resolveAppellation(f["metier"]); msg != "" {
			errs.Add("metier", msg)
		} else {
			in.AppellationCode = a.Code
		}
	}
	if f["commune"] != "" {
		code, _, msg := s.resolveCommune(f["commune"])
		if msg != "" {
			errs.Add("commune", msg)
		}
		in.CommuneCode = code
	}
	var err error
	if in.HoursPerWeek, err = strconv.Atoi(f["hours_per_week"]); err != nil {
		errs.Add("hours_per_week", fmt.Sprintf("Indiquez un nombre entier d'heures, de %d à %d", offer.MinHoursPerWeek, offer.MaxHoursPerWeek))
		in.HoursPerWeek = offer.MinHoursPerWeek // reported above: the service checks the rest
	}
	if in.OpenPositions, err = strconv.Atoi(f["open_positions"]); err != nil {
		errs.Add("open_positions", fmt.Sprintf("Indiquez un nombre entier de postes, de 0 à %d", offer.MaxOpenPositions))
		in.OpenPositions = 0
	}
	return f, in, errs
}

var jdErrorNames = map[string]string{"appellation": "metier", "appellation_code": "metier", "commune_code": "commune"}

func (s *Server) jobDescriptionCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f, in, errs := s.jdInput(r)
	var err error
	if len(errs) == 0 {
		_, err = s.offer.CreateJobDescription(r.Context(), actor(r), id, in)
	} else {
		err = s.offer.ValidateJobDescription(r.Context(), actor(r), id, in)
	}
	s.afterJDSave(w, r, id, nil, f, errs, err, offer.EmployerJobDescriptionsPath(id)+"/nouvelle")
}

func (s *Server) afterJDSave(w http.ResponseWriter, r *http.Request, id uuid.UUID, jd *offer.JobDescription, f form, errs fault.Fields, err error, action string) {
	for k, msg := range fault.FieldsOf(err) {
		if n, ok := jdErrorNames[k]; ok {
			k = n
		}
		errs.Add(k, msg)
	}
	if err != nil && fault.FieldsOf(err) == nil {
		s.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		p, ok := s.employerStructure(w, r, id)
		if !ok {
			return
		}
		title := "Nouvelle fiche de poste"
		if jd != nil {
			title = "Modifier la fiche de poste"
		}
		s.render(w, r, http.StatusUnprocessableEntity, "job_description_form", title, jdFormView{Structure: p.Structure, JD: jd, Form: f,
			Contracts: s.contractOptions(p.Structure.Kind), Action: action}, errs)
		return
	}
	s.setFlash(w, "job_description_saved")
	redirect(w, r, offer.EmployerJobDescriptionsPath(id))
}

// loadJD loads a job description of the structure in the path, for its employers.
func (s *Server) loadJD(w http.ResponseWriter, r *http.Request) (uuid.UUID, offer.JobDescriptionPage, bool) {
	id, ok1 := pathID(r, "id")
	jdID, ok2 := pathID(r, "jd")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return uuid.Nil, offer.JobDescriptionPage{}, false
	}
	p, err := s.offer.JobDescription(r.Context(), actor(r), jdID)
	if err == nil && p.JobDescription.StructureID != id {
		err = fault.NotFound
	}
	if err == nil && !p.EmployerView {
		err = fault.Forbidden
	}
	if err != nil {
		s.fail(w, r, err)
		return uuid.Nil, offer.JobDescriptionPage{}, false
	}
	return id, p, true
}

func (s *Server) jobDescriptionEditForm(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.loadJD(w, r)
	if !ok {
		return
	}
	j := p.JobDescription
	f := form{"metier": j.AppellationLabel + " (" + j.AppellationCode + ")", "custom_title": j.CustomTitle, "description": j.Description,
		"contract_type": string(j.ContractType), "commune": s.communeText(j.CommuneCode), "hours_per_week": strconv.Itoa(j.HoursPerWeek),
		"open_positions": strconv.Itoa(j.OpenPositions), "expected_profile": j.ExpectedProfile}
	if j.CVRequired {
		f["cv_required"] = "on"
	}
	s.render(w, r, http.StatusOK, "job_description_form", "Modifier la fiche de poste", jdFormView{Structure: p.Structure, JD: &j, Form: f,
		Contracts: s.contractOptions(p.Structure.Kind), Action: offer.EmployerJobDescriptionsPath(id) + "/" + j.ID.String() + "/modifier"}, nil)
}

func (s *Server) jobDescriptionEdit(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.loadJD(w, r)
	if !ok {
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	j := p.JobDescription
	f, in, errs := s.jdInput(r)
	var err error
	if len(errs) == 0 {
		_, err = s.offer.UpdateJobDescription(r.Context(), actor(r), j.ID, in)
	} else {
		err = s.offer.ValidateJobDescription(r.Context(), actor(r), id, in)
	}
	s.afterJDSave(w, r, id, &j, f, errs, err, offer.EmployerJobDescriptionsPath(id)+"/"+j.ID.String()+"/modifier")
}

func (s *Server) jobDescriptionAction(w http.ResponseWriter, r *http.Request) {
	id, p, ok := s.loadJD(w, r)
	if !ok {
		return
	}
	ctx, a, jd := r.Context(), actor(r), p.JobDescription.ID
	var err error
	switch strings.ToLower(r.PathValue("action")) {
	case "activer":
		err = s.offer.SetJobDescriptionActive(ctx, a, jd, true)
	case "desactiver":
		err = s.offer.SetJobDescriptionActive(ctx, a, jd, false)
	case "monter":
		err = s.offer.MoveJobDescription(ctx, a, jd, true)
	case "descendre":
		err = s.offer.MoveJobDescription(ctx, a, jd, false)
	case "confirmer":
		err = s.offer.ConfirmJobDescription(ctx, a, jd)
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "job_description_saved")
	redirect(w, r, offer.EmployerJobDescriptionsPath(id))
}
