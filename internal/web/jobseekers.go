package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/refdata"
)

func (s *Server) registerJobSeekerRoutes() {
	s.handle("GET /candidats", gateUser, s.followedPage)
	s.handle("GET /candidats/nouveau", gateUser, s.jobSeekerNew)
	s.handle("POST /candidats", gateUser, s.jobSeekerCreate)
	s.handle("POST /candidats/retrouver", gateUser, s.jobSeekerFind)
	s.handle("GET /candidats/{id}", gateUser, s.jobSeekerPage)
	s.handle("GET /candidats/{id}/modifier", gateUser, s.jobSeekerEdit)
	s.handle("POST /candidats/{id}", gateUser, s.jobSeekerUpdate)
	s.handle("POST /candidats/{id}/effacement", gateUser, s.jobSeekerErase)
	s.handle("GET /mon-dossier", gateUser, s.ownFile)
	s.handle("POST /mon-dossier", gateUser, s.ownFileSave)
}

// profileFields are the form's fields in their order on the page (the error summary follows it).
var profileFields = []string{"civility", "birth_name", "usage_name", "first_names", "birth_date", "born", "birth_commune", "birth_country",
	"nir", "no_nir_reason", "ft_id", "no_ft_id_reason", "email", "phone", "address", "postcode", "commune", "education",
	"rsa", "rsa_duration", "ass", "aah", "are", "unemployed_since"}

// profileForm reads the profile form into the domain's Profile, and the typed values to show
// again; a commune that cannot be resolved is a field error added to the domain's.
func (s *Server) profileForm(r *http.Request) (jobseeker.Profile, form, fault.Fields) {
	f := formOf(r, profileFields...)
	for _, n := range jobseeker.Needs() {
		f["need_"+n.Code] = r.PostFormValue("need_" + n.Code)
		f["need_"+n.Code+"_comment"] = strings.TrimSpace(r.PostFormValue("need_" + n.Code + "_comment"))
	}
	errs := fault.Fields{}
	p := jobseeker.Profile{Identity: jobseeker.Identity{Civility: jobseeker.Civility(f["civility"]), BirthName: f["birth_name"],
		UsageName: f["usage_name"], FirstNames: f["first_names"], BornInFrance: f["born"] != "abroad", BirthCountry: f["birth_country"]},
		NIR: f["nir"], NoNIRReason: jobseeker.NoNIRReason(f["no_nir_reason"]), FTID: f["ft_id"], NoFTIDReason: jobseeker.NoFTIDReason(f["no_ft_id_reason"]),
		Email: f["email"], Phone: f["phone"], Address: f["address"], Postcode: f["postcode"], Education: f["education"],
		RSA: f["rsa"], RSADuration: f["rsa_duration"], ASS: f["ass"], AAH: f["aah"], ARE: f["are"], Needs: jobseeker.SupportNeeds{}}
	if f["birth_date"] != "" {
		d, err := database.ParseDate(f["birth_date"])
		if err != nil {
			errs["birth_date"] = "Saisissez la date de naissance au format jj/mm/aaaa."
		}
		p.BirthDate = d
	}
	if f["unemployed_since"] != "" {
		d, err := database.ParseDate(f["unemployed_since"])
		if err != nil {
			errs["unemployed_since"] = "Saisissez une date valide."
		}
		p.UnemployedSince = d
	}
	if p.BornInFrance {
		code, _, cerr := s.resolveCommune(f["birth_commune"])
		if cerr != "" {
			errs["birth_commune"] = capitalFirst(cerr) + "."
		}
		p.BirthCommune = code
	}
	code, _, cerr := s.resolveCommune(f["commune"])
	if cerr != "" {
		errs["commune"] = capitalFirst(cerr) + "."
	}
	p.CommuneCode = code
	for _, n := range jobseeker.Needs() {
		if f["need_"+n.Code] == "on" {
			p.Needs[jobseeker.Need(n.Code)] = f["need_"+n.Code+"_comment"]
		}
	}
	return p, f, errs
}

func capitalFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// formOfProfile fills the form with a file, to edit it.
func formOfProfile(j jobseeker.JobSeeker, places *refdata.Data) form {
	f := form{"civility": string(j.Civility), "birth_name": j.BirthName, "usage_name": j.UsageName, "first_names": j.FirstNames,
		"birth_date": j.BirthDate.String(), "birth_country": j.BirthCountry, "nir": j.NIR, "no_nir_reason": string(j.NoNIRReason),
		"ft_id": j.FTID, "no_ft_id_reason": string(j.NoFTIDReason), "email": j.Email, "phone": j.Phone, "address": j.Address,
		"postcode": j.Postcode, "education": j.Education, "rsa": j.RSA, "rsa_duration": j.RSADuration, "ass": j.ASS, "aah": j.AAH, "are": j.ARE}
	if !j.BornInFrance {
		f["born"] = "abroad"
	}
	if c, ok := places.Commune(j.BirthCommune); ok {
		f["birth_commune"] = communeLabel(c)
	}
	if c, ok := places.Commune(j.CommuneCode); ok {
		f["commune"] = communeLabel(c)
	}
	if !j.UnemployedSince.IsZero() {
		f["unemployed_since"] = j.UnemployedSince.String()
	}
	for n, comment := range j.Needs {
		f["need_"+string(n)] = "on"
		f["need_"+string(n)+"_comment"] = comment
	}
	return f
}

// profileView is what the profile form shows.
type profileView struct {
	Form       form
	Action     string
	Cancel     string
	Self       bool
	ByProxy    bool
	Duplicates []jobseeker.Match
	// Options of the lists.
	Civilities, NoNIR, NoFTID, Countries, Education, RSA, Durations []option
	Needs                                                           []jobseeker.Option
}

func (s *Server) newProfileView(f form, action, cancel string) profileView {
	opts := func(in []jobseeker.Option) []option {
		out := make([]option, len(in))
		for i, o := range in {
			out[i] = option{Value: o.Code, Label: o.Label}
		}
		return out
	}
	return profileView{Form: f, Action: action, Cancel: cancel,
		Civilities: []option{{Value: string(jobseeker.Madame), Label: "Madame"}, {Value: string(jobseeker.Monsieur), Label: "Monsieur"}},
		NoNIR: []option{{Value: string(jobseeker.NoNIR), Label: jobseeker.NoNIR.Label()},
			{Value: string(jobseeker.NIROfSomeoneElse), Label: jobseeker.NIROfSomeoneElse.Label()}},
		NoFTID: []option{{Value: string(jobseeker.FTNotRegistered), Label: jobseeker.FTNotRegistered.Label()},
			{Value: string(jobseeker.FTIDForgotten), Label: jobseeker.FTIDForgotten.Label()}},
		Countries: opts(jobseeker.Countries()), Education: opts(jobseeker.EducationLevels()), RSA: opts(jobseeker.RSAKinds()),
		Durations: opts(jobseeker.Durations()), Needs: jobseeker.Needs()}
}

// followedView is a professional's list of the people their organisation follows.
type followedView struct {
	Query   string
	Stalled bool
	People  []jobseeker.Summary
	Find    form
}

func (s *Server) followedPage(w http.ResponseWriter, r *http.Request) {
	s.renderFollowed(w, r, http.StatusOK, form{}, nil)
}

func (s *Server) renderFollowed(w http.ResponseWriter, r *http.Request, status int, find form, errs fault.Fields) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	stalled := r.URL.Query().Get("sans_solution") == "1"
	list := s.jobseekers.Followed
	if stalled {
		list = s.jobseekers.FollowedStalled
	}
	people, err := list(r.Context(), actor(r), q, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "jobseekers", "Mes candidats", followedView{Query: q, Stalled: stalled, People: people, Find: find}, errs)
}

func (s *Server) jobSeekerNew(w http.ResponseWriter, r *http.Request) {
	if err := access.Can(actor(r), access.FindJobSeeker, access.Resource{}); err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newProfileView(form{"born": "fr"}, "/candidats", "/candidats")
	v.ByProxy = true
	s.render(w, r, http.StatusOK, "jobseeker_form", "Nouveau candidat", v, nil)
}

func (s *Server) jobSeekerCreate(w http.ResponseWriter, r *http.Request) {
	if err := access.Can(actor(r), access.FindJobSeeker, access.Resource{}); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	p, f, errs := s.profileForm(r)
	v := s.newProfileView(f, "/candidats", "/candidats")
	v.ByProxy = true
	if len(errs) > 0 {
		// Report the commune and date problems together with the domain's.
		if derr := fault.FieldsOf(p.Validate(database.ParisDate(s.clock.Now()), s.places)); derr != nil {
			for k, m := range derr {
				errs.Add(k, m)
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", "Nouveau candidat", v, errs)
		return
	}
	j, err := s.jobseekers.Create(r.Context(), actor(r), jobseeker.CreateInput{Profile: p, Confirmed: r.PostFormValue("confirm") == "on"})
	var dup *jobseeker.DuplicatesError
	if errors.As(err, &dup) {
		v.Duplicates = dup.Matches
		f["confirm"] = ""
		s.render(w, r, http.StatusConflict, "jobseeker_form", "Nouveau candidat", v, nil)
		return
	}
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", "Nouveau candidat", v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "jobseeker_created")
	redirect(w, r, "/candidats/"+j.ID.String())
}

// jobSeekerFind finds an existing file by NIR and birth date, and follows it.
func (s *Server) jobSeekerFind(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	if err := access.Can(actor(r), access.FindJobSeeker, access.Resource{}); err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(r, "find_nir", "find_birth_date")
	born, derr := database.ParseDate(f["find_birth_date"])
	errs := fault.Fields{}
	if jobseeker.CheckNIR(jobseeker.NormaliseNIR(f["find_nir"])) != nil {
		errs["find_nir"] = "Saisissez un numéro de sécurité sociale valide (15 caractères)."
	}
	if derr != nil {
		errs["find_birth_date"] = "Saisissez la date de naissance."
	}
	if len(errs) > 0 {
		s.renderFollowed(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	id, err := s.jobseekers.FollowByNIR(r.Context(), actor(r), f["find_nir"], born)
	if errors.Is(err, fault.NotFound) {
		s.renderFollowed(w, r, http.StatusUnprocessableEntity, f, fault.Fields{"find_nir": "Aucun dossier ne correspond à ce numéro et à cette date de naissance : créez-le."})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/candidats/"+id.String())
}

// jobSeekerPageView is a person's file as a professional sees it.
type jobSeekerPageView struct {
	Person  jobseeker.JobSeeker
	CanEdit bool
	// CanApply: the person or a professional, who can apply for them (not the staff).
	CanApply     bool
	Applications []application.Row
	// ListsApplications: the reader has a list of the person's applications (not the staff).
	ListsApplications bool
	// Eligibility is the person's IAE eligibility with why (nil: not the reader's to see).
	Eligibility *eligibilityView
	// Support is the adapted-support link for a habilitated advisor ("" for anyone else).
	Support string
	// Erase offers the staff the erasure of the file, with its reasons (nil for anyone else).
	Erase []option
	Form  form
}

func (s *Server) jobSeekerPage(w http.ResponseWriter, r *http.Request) {
	s.renderJobSeekerPage(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderJobSeekerPage(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	j, err := s.jobseekers.Get(r.Context(), a, id, access.PurposeIAEFollowUp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := jobSeekerPageView{Person: j, CanEdit: j.HandledByProxy && a.Kind == access.Professional || a.Kind == access.JobSeeker,
		CanApply: a.Kind == access.Professional || a.Kind == access.JobSeeker, Form: f}
	if a.IsStaff() {
		for _, reason := range jobseeker.EraseReasons {
			v.Erase = append(v.Erase, option{Value: reason.Code, Label: reason.Label})
		}
	}
	if v.Eligibility, err = s.eligibilityOf(r, id, uuid.Nil, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Support, err = s.supportLink(r, id); err != nil {
		s.fail(w, r, err)
		return
	}
	var list func(context.Context, access.Actor, application.Filter) ([]application.Row, string, error)
	switch {
	case a.Kind == access.JobSeeker:
		list = s.applications.Mine
	case a.Role == access.Employer:
		list = s.applications.Received
	case a.Kind == access.Professional:
		list = s.applications.Sent
	}
	if list != nil {
		v.ListsApplications = true
		if v.Applications, _, err = list(r.Context(), a, application.Filter{Person: id, Limit: 50}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "jobseeker", j.FullName(), v, errs)
}

// jobSeekerErase erases a person's file (the platform's staff, with a reason).
func (s *Server) jobSeekerErase(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "reason")
	err := s.jobseekers.Erase(r.Context(), actor(r), id, f["reason"])
	if errs := fault.FieldsOf(err); errs != nil {
		s.renderJobSeekerPage(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "jobseeker_erased")
	redirect(w, r, "/tableau-de-bord")
}

func (s *Server) jobSeekerEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	j, err := s.jobseekers.ForEdit(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.newProfileView(formOfProfile(j, s.places), "/candidats/"+id.String(), "/candidats/"+id.String())
	s.render(w, r, http.StatusOK, "jobseeker_form", "Modifier le dossier de "+j.FullName(), v, nil)
}

func (s *Server) jobSeekerUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if _, err := s.jobseekers.ForEdit(r.Context(), actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.saveProfile(w, r, id, "/candidats/"+id.String(), "Modifier le dossier")
}

// saveProfile updates a file from the form and goes back to target, or shows the form again.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request, id uuid.UUID, target, title string) {
	p, f, errs := s.profileForm(r)
	v := s.newProfileView(f, r.URL.Path, target)
	v.Self = actor(r).Kind == access.JobSeeker
	if len(errs) > 0 {
		if derr := fault.FieldsOf(p.Validate(database.ParisDate(s.clock.Now()), s.places)); derr != nil {
			for k, m := range derr {
				errs.Add(k, m)
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", title, v, errs)
		return
	}
	_, err := s.jobseekers.Update(r.Context(), actor(r), id, p)
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", title, v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "jobseeker_saved")
	redirect(w, r, target)
}

// ownFile is the job seeker's own file: the form to create it, or to change it.
func (s *Server) ownFile(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	j, ok, err := s.jobseekers.Mine(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := form{"born": "fr", "email": session(r).User().Email, "first_names": session(r).User().FirstName, "birth_name": session(r).User().LastName}
	if ok {
		f = formOfProfile(j, s.places)
	}
	v := s.newProfileView(f, "/mon-dossier", "/tableau-de-bord")
	v.Self = true
	s.render(w, r, http.StatusOK, "jobseeker_form", "Mon dossier de candidat", v, nil)
}

func (s *Server) ownFileSave(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	if a.Kind != access.JobSeeker {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	j, ok, err := s.jobseekers.Mine(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok {
		s.saveProfile(w, r, j.ID, "/mon-dossier", "Mon dossier de candidat")
		return
	}
	p, f, errs := s.profileForm(r)
	p.Email = session(r).User().Email
	v := s.newProfileView(f, "/mon-dossier", "/tableau-de-bord")
	v.Self = true
	if len(errs) > 0 {
		if derr := fault.FieldsOf(p.Validate(database.ParisDate(s.clock.Now()), s.places)); derr != nil {
			for k, m := range derr {
				errs.Add(k, m)
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", "Mon dossier de candidat", v, errs)
		return
	}
	_, err = s.jobseekers.Create(r.Context(), a, jobseeker.CreateInput{Profile: p, Confirmed: true})
	if fields := fault.FieldsOf(err); fields != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "jobseeker_form", "Mon dossier de candidat", v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "jobseeker_saved")
	redirect(w, r, "/mon-dossier")
}

// need is a support need with its comment, for display.
type need struct{ Label, Comment string }

// needsOf lists a person's needs in the order of the form.
func needsOf(n jobseeker.SupportNeeds) []need {
	var out []need
	for _, o := range jobseeker.Needs() {
		if c, ok := n[jobseeker.Need(o.Code)]; ok {
			out = append(out, need{Label: o.Label, Comment: c})
		}
	}
	return out
}

// actionLabel names the last thing an organisation did for a person.
func actionLabel(a string) string {
	switch a {
	case "create":
		return "Dossier créé"
	case "apply":
		return "Candidature envoyée"
	case "hire":
		return "Embauche"
	case "follow":
		return "Dossier retrouvé"
	}
	return a
}
