package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/support"
)

// Adapted support of disabled job seekers (package support): the advisors' pages, the
// organisation admin's page and the person's own. Every health read states its purpose and is
// recorded by the service; the pages only render what it returns.
func (s *Server) registerSupportRoutes() {
	s.handle("GET /accompagnement", gateUser, s.supportHome)
	s.handle("GET /accompagnement/administration", gateUser, s.supportAdmin)
	s.handle("POST /accompagnement/habilitations/{user}", gateUser, s.supportHabilitation)
	s.handle("POST /accompagnement/acces-urgence/{id}", gateUser, s.supportReview)
	s.handle("GET /candidats/{id}/accompagnement", gateUser, s.supportPage)
	s.handle("POST /candidats/{id}/accompagnement", gateUser, s.supportOpen)
	s.handle("GET /candidats/{id}/accompagnement/modifier", gateUser, s.supportEdit)
	s.handle("POST /candidats/{id}/accompagnement/modifier", gateUser, s.supportSave)
	s.handle("POST /candidats/{id}/accompagnement/fin", gateUser, s.supportClose)
	s.handle("POST /candidats/{id}/accompagnement/contentieux", gateUser, s.supportHold)
	s.handle("GET /candidats/{id}/accompagnement/justificatif", gateUser, s.supportProof)
	s.handle("POST /candidats/{id}/accompagnement/justificatif", gateUser, s.supportProofUpload)
	s.handle("POST /candidats/{id}/accompagnement/demandes/{req}", gateUser, s.supportHandle)
	s.handle("POST /candidats/{id}/accompagnement/bris-de-glace", gateUser, s.supportBreakGlass)
	s.handle("POST /candidats/{id}/accompagnement/suivi", gateUser, s.supportAddFollower)
	s.handle("POST /candidats/{id}/accompagnement/suivi/fin", gateUser, s.supportEndFollower)
	s.handle("POST /candidats/{id}/accompagnement/referent", gateUser, s.supportReferent)
	s.handle("GET /mon-accompagnement", gateUser, s.supportMine)
	s.handle("POST /mon-accompagnement/demandes", gateUser, s.supportAsk)
	s.handle("GET /mon-accompagnement/justificatif", gateUser, s.supportMyProof)
}

// supportLink is the person's adapted-support page for a habilitated advisor of an FT agency
// or a Cap emploi, "" for anyone else (the page itself decides again).
func (s *Server) supportLink(r *http.Request, person uuid.UUID) (string, error) {
	a := actor(r)
	if s.support == nil || a.Kind != access.Professional {
		return "", nil
	}
	st, err := s.support.StanceOf(r.Context(), a, person)
	if err != nil || !st.Habilitated {
		return "", err
	}
	return "/candidats/" + person.String() + "/accompagnement", nil
}

// supportPurposes are those an advisor may state when opening a record (D5312-50 1° to 4°).
var supportPurposes = []access.Purpose{access.PurposeSupport, access.PurposeSupportPlan, access.PurposeSupportAids, access.PurposeSupportDocuments}

// purposeOf reads the purpose stated with a request ("finalite"), the support itself by default.
func purposeOf(r *http.Request) access.Purpose {
	p := access.Purpose(r.FormValue("finalite"))
	for _, ok := range supportPurposes {
		if p == ok {
			return p
		}
	}
	return access.PurposeSupport
}

type supportHomeView struct {
	People []support.Summary
	Admin  bool
}

func (s *Server) supportHome(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	people, err := s.support.Caseload(r.Context(), a, access.PurposeSupport)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "support_home", "Accompagnement adapté", supportHomeView{People: people,
		Admin: access.Allowed(a, access.AdministerSupport, access.Resource{OrgID: a.OrgID, Member: true})}, nil)
}

// supportRecordView is the record page, or what the actor may do instead.
type supportRecordView struct {
	Person    jobseeker.JobSeeker
	PersonID  uuid.UUID
	Stance    support.Stance
	Record    *support.Record
	Purpose   access.Purpose
	Purposes  []access.PurposeInfo
	Form      supportForm
	JointOrgs []support.JointOrg
	Closing   []support.Option
	Today     string
	// Posted is what a small form of the record page sent, kept when it is refused.
	Posted form
	// Joinable are the organisations that may join the caseload; Advisors the habilitated
	// members of the actor's organisation, who may be referent; Active counts the
	// organisations following the person today.
	Joinable []support.JointOrg
	Advisors []support.Advisor
	Active   int
}

// supportForm is the record form's values and lists.
type supportForm struct {
	Values  form
	Checked map[string]bool
	Lists   supportLists
}

type supportLists struct {
	Types, Origins, Compensation, Limitations, BOETH []support.Option
}

var lists = supportLists{Types: support.DisabilityTypes, Origins: support.DisabilityOrigins, Compensation: support.CompensationNeeds,
	Limitations: support.Limitations, BOETH: support.BOETHCategories}

// supportPersonOf reads the file of a person the actor's organisation follows, for the
// opening form (its name and birth date).
func (s *Server) supportPersonOf(r *http.Request, id uuid.UUID) (jobseeker.JobSeeker, error) {
	return s.jobseekers.Get(r.Context(), actor(r), id, access.PurposeIAEFollowUp)
}

func (s *Server) supportPage(w http.ResponseWriter, r *http.Request) {
	s.renderSupportPage(w, r, http.StatusOK, nil, nil)
}

// renderSupportPage shows the record to those who may read it, the opening form to a
// habilitated advisor whose organisation follows a person without one, the emergency-access
// form to a habilitated advisor outside the caseload; anybody else gets 403.
func (s *Server) renderSupportPage(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	st, err := s.support.StanceOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.Kind != access.Professional || !st.Habilitated {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	v := supportRecordView{PersonID: id, Stance: st, Purpose: purposeOf(r), Purposes: access.Purposes(access.AdaptedSupport)[:4],
		Closing: support.ClosingReasons, Today: database.ParisDate(s.clock.Now()).String(), Posted: f}
	switch {
	case st.CanRead:
		rec, err := s.support.Get(r.Context(), a, id, v.Purpose)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Record = &rec
		if st.CanEdit && rec.Open() {
			if err := s.caseloadChoices(r, &v); err != nil {
				s.fail(w, r, err)
				return
			}
		}
	case st.CanOpen:
		if v.Person, err = s.supportPersonOf(r, id); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.JointOrgs, err = s.support.JointOrgs(r.Context(), a); err != nil {
			s.fail(w, r, err)
			return
		}
		v.Form = supportForm{Values: f, Checked: checkedOf(r), Lists: lists}
		if f == nil {
			v.Form.Values = form{"started_on": v.Today}
		}
	case st.CanBreakGlass:
	default:
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	s.render(w, r, status, "support_record", "Accompagnement adapté", v, errs)
}

// caseloadChoices fills the choices of the record page's caseload forms.
func (s *Server) caseloadChoices(r *http.Request, v *supportRecordView) error {
	orgs, err := s.support.JointOrgs(r.Context(), actor(r))
	if err != nil {
		return err
	}
	following := map[uuid.UUID]bool{}
	for _, c := range v.Record.Caseload {
		if c.EndedOn.IsZero() || !c.EndedOn.Before(database.ParisDate(s.clock.Now())) {
			following[c.OrgID] = true
			v.Active++
		}
	}
	for _, o := range orgs {
		if !following[o.ID] {
			v.Joinable = append(v.Joinable, o)
		}
	}
	v.Advisors, err = s.support.Advisors(r.Context(), actor(r))
	return err
}

// checkedOf is the checkboxes of a posted record form.
func checkedOf(r *http.Request) map[string]bool {
	out := map[string]bool{}
	if r.PostForm == nil {
		return out
	}
	for _, name := range []string{"types", "origins", "compensation", "limitations"} {
		for _, v := range r.PostForm[name] {
			out[name+":"+v] = true
		}
	}
	return out
}

var supportFields = []string{"started_on", "registered_on", "deregistered_on", "boeth_category", "boeth_decided_on", "boeth_valid_until",
	"boeth_unlimited", "disability_comment", "compensation_comment", "recovery", "limitations_comment", "joint_org"}

// supportInput parses the record form; dates that do not parse are field errors.
func supportInput(r *http.Request) (support.Input, form, fault.Fields) {
	f := formOf(r, supportFields...)
	errs := fault.Fields{}
	date := func(name string) database.Date {
		if f[name] == "" {
			return database.Date{}
		}
		d, err := database.ParseDate(f[name])
		if err != nil {
			errs.Add(name, "Date invalide : utilisez le sélecteur de date.")
		}
		return d
	}
	in := support.Input{StartedOn: date("started_on"), RegisteredOn: date("registered_on"), DeregisteredOn: date("deregistered_on"),
		Title: support.Title{Category: f["boeth_category"], DecidedOn: date("boeth_decided_on"), ValidUntil: date("boeth_valid_until"),
			Unlimited: f["boeth_unlimited"] == "on"},
		Health: support.Health{DisabilityTypes: r.PostForm["types"], DisabilityOrigins: r.PostForm["origins"], DisabilityComment: f["disability_comment"],
			Compensation: r.PostForm["compensation"], CompensationComment: f["compensation_comment"], Recovery: f["recovery"],
			Limitations: r.PostForm["limitations"], LimitationsComment: f["limitations_comment"]}}
	return in, f, errs
}

func (s *Server) supportOpen(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	in, f, errs := supportInput(r)
	var joint uuid.UUID
	if f["joint_org"] != "" {
		joint, _ = uuid.Parse(f["joint_org"])
		if joint == uuid.Nil {
			errs.Add("joint_org", "Organisation inconnue.")
		}
	}
	if len(errs) == 0 {
		_, err := s.support.Open(r.Context(), actor(r), id, in, joint)
		if fields := fault.FieldsOf(err); fields != nil {
			errs = fields
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderSupportPage(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "support_opened")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement")
}

type supportEditView struct {
	PersonID uuid.UUID
	Record   support.Record
	Form     supportForm
}

func (s *Server) supportEdit(w http.ResponseWriter, r *http.Request) {
	s.renderSupportEdit(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderSupportEdit(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	st, err := s.support.StanceOf(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !st.CanEdit {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	rec, err := s.support.Get(r.Context(), a, id, access.PurposeSupport)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	checked := checkedOf(r)
	if f == nil {
		f = recordForm(rec)
		for name, codes := range map[string][]string{"types": rec.Health.DisabilityTypes, "origins": rec.Health.DisabilityOrigins,
			"compensation": rec.Health.Compensation, "limitations": rec.Health.Limitations} {
			for _, c := range codes {
				checked[name+":"+c] = true
			}
		}
	}
	s.render(w, r, status, "support_form", "Modifier l'accompagnement adapté", supportEditView{PersonID: id, Record: rec,
		Form: supportForm{Values: f, Checked: checked, Lists: lists}}, errs)
}

func dateValue(d database.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// recordForm fills the form with a record's values.
func recordForm(rec support.Record) form {
	f := form{"started_on": dateValue(rec.StartedOn), "registered_on": dateValue(rec.RegisteredOn), "deregistered_on": dateValue(rec.DeregisteredOn),
		"boeth_category": rec.Title.Category, "boeth_decided_on": dateValue(rec.Title.DecidedOn), "boeth_valid_until": dateValue(rec.Title.ValidUntil),
		"disability_comment": rec.Health.DisabilityComment, "compensation_comment": rec.Health.CompensationComment,
		"recovery": rec.Health.Recovery, "limitations_comment": rec.Health.LimitationsComment}
	if rec.Title.Unlimited {
		f["boeth_unlimited"] = "on"
	}
	return f
}

func (s *Server) supportSave(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	in, f, errs := supportInput(r)
	if len(errs) == 0 {
		err := s.support.Update(r.Context(), actor(r), id, in)
		if fields := fault.FieldsOf(err); fields != nil {
			errs = fields
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderSupportEdit(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "support_saved")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement")
}

// supportAction runs a small change posted from the record page, then comes back to it.
func (s *Server) supportAction(w http.ResponseWriter, r *http.Request, flash string, run func(id uuid.UUID) error) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	err := run(id)
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderSupportPage(w, r, http.StatusUnprocessableEntity, formOf(r, "closing_reason", "ended_on", "reason", "follower_org", "referent"), fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, flash)
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement")
}

func (s *Server) supportClose(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_closed", func(id uuid.UUID) error {
		on, err := database.ParseDate(r.PostFormValue("ended_on"))
		if err != nil {
			return fault.Field("ended_on", "Date invalide : utilisez le sélecteur de date.")
		}
		return s.support.Close(r.Context(), actor(r), id, r.PostFormValue("closing_reason"), on)
	})
}

func (s *Server) supportHold(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_saved", func(id uuid.UUID) error {
		return s.support.SetHold(r.Context(), actor(r), id, r.PostFormValue("hold") == "on")
	})
}

func (s *Server) supportHandle(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_request_handled", func(id uuid.UUID) error {
		req, ok := pathID(r, "req")
		if !ok {
			return fault.NotFound
		}
		return s.support.Handle(r.Context(), actor(r), id, req)
	})
}

func (s *Server) supportBreakGlass(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_emergency", func(id uuid.UUID) error {
		return s.support.BreakGlass(r.Context(), actor(r), id, r.PostFormValue("reason"))
	})
}

func (s *Server) supportAddFollower(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_follower_added", func(id uuid.UUID) error {
		org, err := uuid.Parse(r.PostFormValue("follower_org"))
		if err != nil {
			return fault.Field("follower_org", "Choisissez une agence France Travail ou un Cap emploi.")
		}
		return s.support.AddFollower(r.Context(), actor(r), id, org)
	})
}

// supportEndFollower ends an organisation's follow-up; an advisor whose own organisation
// leaves goes back to the caseload, which no longer lists the person.
func (s *Server) supportEndFollower(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	org, _ := uuid.Parse(r.PostFormValue("org"))
	if org == actor(r).OrgID && org != uuid.Nil {
		id, ok := pathID(r, "id")
		if !ok {
			s.notFound(w, r)
			return
		}
		if err := s.support.EndFollower(r.Context(), actor(r), id, org); err != nil {
			s.fail(w, r, err)
			return
		}
		s.setFlash(w, "support_follower_left")
		redirect(w, r, "/accompagnement")
		return
	}
	s.supportAction(w, r, "support_follower_ended", func(id uuid.UUID) error {
		return s.support.EndFollower(r.Context(), actor(r), id, org)
	})
}

func (s *Server) supportReferent(w http.ResponseWriter, r *http.Request) {
	s.supportAction(w, r, "support_referent", func(id uuid.UUID) error {
		user, err := uuid.Parse(r.PostFormValue("referent"))
		if err != nil {
			return fault.Field("referent", "Choisissez un conseiller habilité de votre organisation.")
		}
		return s.support.SetReferent(r.Context(), actor(r), id, user)
	})
}

func (s *Server) supportProof(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	file, err := s.support.Proof(r.Context(), actor(r), id, access.PurposeSupportDocuments)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeFile(w, r, file)
}

func (s *Server) supportProofUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	// Who may change the record is checked first, so that nobody else has a file read and scanned.
	if st, err := s.support.StanceOf(r.Context(), a, id); err != nil || !st.CanEdit {
		if err == nil {
			err = fault.Forbidden
		}
		s.fail(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		s.renderError(w, r, http.StatusBadRequest)
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("proof")
	if err != nil {
		s.renderSupportPage(w, r, http.StatusUnprocessableEntity, nil, fault.Fields{"proof": "Choisissez le fichier du justificatif."})
		return
	}
	defer file.Close()
	up, err := s.files.Accept(r.Context(), a, file, header.Filename, support.ProofRules())
	if err == nil {
		err = s.support.SetProof(r.Context(), a, id, up)
	}
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderSupportPage(w, r, http.StatusUnprocessableEntity, nil, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_proof_saved")
	redirect(w, r, "/candidats/"+id.String()+"/accompagnement")
}

// supportMyProof lets the person download their own title's document.
func (s *Server) supportMyProof(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	rec, err := s.support.Mine(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.support.Proof(r.Context(), a, rec.PersonID, access.PurposeSupportDocuments)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeFile(w, r, file)
}

type supportAdminView struct {
	Members     []support.Member
	Emergencies []support.Emergency
}

func (s *Server) supportAdmin(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	members, err := s.support.Members(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	emergencies, err := s.support.Emergencies(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "support_admin", "Habilitations et accès d'urgence", supportAdminView{Members: members, Emergencies: emergencies}, nil)
}

func (s *Server) supportHabilitation(w http.ResponseWriter, r *http.Request) {
	user, ok := pathID(r, "user")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if err := s.support.SetHabilitation(r.Context(), actor(r), user, r.PostFormValue("action") == "accorder"); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_habilitation_saved")
	redirect(w, r, "/accompagnement/administration")
}

func (s *Server) supportReview(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	verdict := r.PostFormValue("verdict")
	if verdict != "justifie" && verdict != "injustifie" {
		s.renderError(w, r, http.StatusUnprocessableEntity)
		return
	}
	if err := s.support.Review(r.Context(), actor(r), id, verdict == "justifie"); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "support_reviewed")
	redirect(w, r, "/accompagnement/administration")
}

type supportMineView struct {
	Record   *support.Record
	Accesses []support.Access
	Form     form
}

func (s *Server) supportMine(w http.ResponseWriter, r *http.Request) {
	s.renderSupportMine(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderSupportMine(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	v := supportMineView{Form: f}
	rec, err := s.support.Mine(r.Context(), a)
	switch {
	case errors.Is(err, fault.NotFound):
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		v.Record = &rec
		if v.Accesses, err = s.support.Accesses(r.Context(), a); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "support_mine", "Mon accompagnement adapté", v, errs)
}

func (s *Server) supportAsk(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "kind", "message")
	err := s.support.Ask(r.Context(), actor(r), f["kind"], f["message"])
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderSupportMine(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	flash := "support_asked"
	if f["kind"] == support.RequestRestriction {
		flash = "support_restricted"
	}
	s.setFlash(w, flash)
	redirect(w, r, "/mon-accompagnement")
}

// joinLabels is for templates: "a, b et c".
func joinLabels(labels []string) string {
	switch len(labels) {
	case 0:
		return ""
	case 1:
		return labels[0]
	}
	return strings.Join(labels[:len(labels)-1], ", ") + " et " + labels[len(labels)-1]
}
