package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/export"
	"parcours/internal/fault"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/org"
)

func (s *Server) registerApplicationRoutes() {
	s.handle("GET /structures/{id}/postuler", gateUser, s.applyForm)
	s.handle("POST /structures/{id}/postuler", gateUser, s.apply)
	s.handle("GET /candidatures", gateUser, s.applicationsPage)
	s.handle("GET /candidatures/export", gateUser, s.applicationsExport)
	s.handle("GET /candidatures/{id}", gateUser, s.applicationPage)
	s.handle("GET /candidatures/{id}/cv", gateUser, s.applicationCV)
	s.handle("POST /candidatures/{id}/decision", gateUser, s.applicationDecide)
	s.handle("POST /candidatures/{id}/envoi", gateUser, s.applicationSendOn)
	s.handle("POST /candidatures/{id}/embauche", gateUser, s.applicationChangeHire)
	s.handle("POST /candidatures/lot", gateUser, s.applicationsBatch)
	s.handle("POST /candidatures/{id}/actions-prealables", gateUser, s.priorActionAdd)
	s.handle("POST /candidatures/{id}/actions-prealables/{action}/suppression", gateUser, s.priorActionDelete)
}

// applyView is the application form.
type applyView struct {
	Structure offer.StructurePage
	// People the sender may apply for (professionals); empty for a job seeker, who applies for
	// themselves.
	People   []jobseeker.Summary
	Form     form
	Selected map[string]bool
	SelfHire bool
	// NoFile: a job seeker without a file is sent to create it first.
	NoFile bool
}

func (s *Server) applyForm(w http.ResponseWriter, r *http.Request) {
	s.renderApply(w, r, http.StatusOK, form{"candidat": r.URL.Query().Get("candidat")}, nil, nil)
}

func (s *Server) renderApply(w http.ResponseWriter, r *http.Request, status int, f form, selected map[string]bool, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	if a.Kind != access.JobSeeker {
		if err := access.Can(a, access.FindJobSeeker, access.Resource{}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	page, err := s.offer.Structure(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := applyView{Structure: page, Form: f, Selected: selected, SelfHire: a.OrgID == id && a.Role == access.Employer}
	switch a.Kind {
	case access.JobSeeker:
		if _, has, err := s.jobseekers.Mine(r.Context(), a); err != nil {
			s.fail(w, r, err)
			return
		} else if !has {
			v.NoFile = true
		}
	case access.Professional:
		if v.People, err = s.jobseekers.Followed(r.Context(), a, "", 200); err != nil {
			s.fail(w, r, err)
			return
		}
	default:
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	title := "Postuler"
	if v.SelfHire {
		title = "Déclarer une embauche"
	}
	s.render(w, r, status, "apply", title+" — "+page.Structure.DisplayName(), v, errs)
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		s.renderError(w, r, http.StatusBadRequest)
		return
	} else if errors.Is(err, http.ErrNotMultipart) && !s.parseForm(w, r) {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	a := actor(r)
	f := formOf(r, "candidat", "message")
	selected := map[string]bool{}
	var jobs []uuid.UUID
	for _, v := range r.PostForm["job_descriptions"] {
		if jd, err := uuid.Parse(v); err == nil {
			jobs = append(jobs, jd)
			selected[v] = true
		}
	}
	in := application.SendInput{StructureID: id, JobDescriptions: jobs, Message: f["message"], SelfHire: r.PostFormValue("self_hire") == "on"}
	if file, header, err := r.FormFile("cv"); err == nil {
		defer file.Close()
		if header.Size > 0 {
			up, err := s.files.Accept(r.Context(), a, file, header.Filename, application.CVRules())
			if fields := fault.FieldsOf(err); fields != nil {
				s.renderApply(w, r, http.StatusUnprocessableEntity, f, selected, fields)
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			in.CV = &up
		}
	}
	if a.Kind == access.JobSeeker {
		mine, has, err := s.jobseekers.Mine(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !has {
			redirect(w, r, "/mon-dossier")
			return
		}
		in.JobSeekerID = mine.ID
	} else {
		person, err := uuid.Parse(f["candidat"])
		if err != nil {
			s.renderApply(w, r, http.StatusUnprocessableEntity, f, selected, fault.Fields{"candidat": "Choisissez la personne pour qui vous postulez."})
			return
		}
		in.JobSeekerID = person
	}
	app, err := s.applications.Send(r.Context(), a, in)
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderApply(w, r, http.StatusUnprocessableEntity, f, selected, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "application_sent")
	redirect(w, r, "/candidatures/"+app.ID.String())
}

// applicationsView is a list of applications with its filters.
type applicationsView struct {
	// View is "recues", "envoyees" or "miennes".
	View     string
	CanSwap  bool
	Rows     []application.Row
	Next     string
	States   []option
	Senders  []option
	Filter   form
	Archived bool
	// Jobs are the structure's job descriptions (received view), to filter on; Batch the
	// actions on the applications checked.
	Jobs  []option
	Batch []option
}

func (s *Server) applicationsPage(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	q := r.URL.Query()
	v := applicationsView{View: q.Get("vue"), Filter: form{"etat": q.Get("etat"), "depuis": q.Get("depuis"), "jusqu": q.Get("jusqu"),
		"emetteur": q.Get("emetteur"), "poste": q.Get("poste")}, Archived: q.Get("archivees") == "1"}
	for _, st := range application.States() {
		v.States = append(v.States, option{Value: string(st), Label: st.Label()})
	}
	for _, k := range []application.SenderKind{application.SentByJobSeeker, application.SentByPrescriber, application.SentByEmployer} {
		v.Senders = append(v.Senders, option{Value: string(k), Label: k.Label()})
	}
	f := filterOf(q)
	f.Cursor = q.Get("curseur")
	errs := fault.Fields{}
	if d := q.Get("depuis"); d != "" {
		if f.Since, _ = database.ParseDate(d); f.Since.IsZero() {
			errs["depuis"] = "Saisissez une date valide."
		}
	}
	if d := q.Get("jusqu"); d != "" {
		if f.Until, _ = database.ParseDate(d); f.Until.IsZero() {
			errs["jusqu"] = "Saisissez une date valide."
		}
	}
	list := s.applications.Mine
	switch {
	case a.Kind == access.JobSeeker:
		v.View = "miennes"
	case a.Role == access.Employer:
		v.CanSwap = true
		if v.View == "envoyees" {
			list = s.applications.Sent
		} else {
			v.View, list = "recues", s.applications.Received
		}
	case a.Kind == access.Professional:
		v.View, list = "envoyees", s.applications.Sent
	default:
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	if v.View == "recues" {
		if page, err := s.offer.Structure(r.Context(), a, a.OrgID); err == nil {
			for _, j := range page.JobDescriptions {
				v.Jobs = append(v.Jobs, option{Value: j.ID.String(), Label: j.Title()})
			}
		}
		v.Batch = batchOptions()
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "applications", "Candidatures", v, errs)
		return
	}
	rows, next, err := list(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Rows, v.Next = rows, next
	title := map[string]string{"recues": "Candidatures reçues", "envoyees": "Candidatures envoyées", "miennes": "Mes candidatures"}[v.View]
	s.render(w, r, http.StatusOK, "applications", title, v, nil)
}

// filterOf reads a list's filters from the query string (the dates apart: their errors are
// the page's).
func filterOf(q url.Values) application.Filter {
	f := application.Filter{Archived: q.Get("archivees") == "1", SenderKind: application.SenderKind(q.Get("emetteur"))}
	if st := q.Get("etat"); st != "" {
		f.States = []application.State{application.State(st)}
	}
	if jd, err := uuid.Parse(q.Get("poste")); err == nil {
		f.JobDescription = jd
	}
	return f
}

// applicationsExport downloads the list the filters select as CSV or XLSX (format=xlsx).
func (s *Server) applicationsExport(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	q := r.URL.Query()
	view := application.View(q.Get("vue"))
	switch {
	case a.Kind == access.JobSeeker:
		view = application.ViewMine
	case a.Role == access.Employer && view != application.ViewSent:
		view = application.ViewReceived
	case a.Kind == access.Professional:
		view = application.ViewSent
	default:
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	f := filterOf(q)
	f.Since, _ = database.ParseDate(q.Get("depuis"))
	f.Until, _ = database.ParseDate(q.Get("jusqu"))
	t, err := s.applications.Export(r.Context(), a, view, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "candidatures-" + string(view) + "-" + s.clock.Now().In(clock.Paris).Format("2006-01-02")
	if q.Get("format") == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		if err := export.XLSX(w, t, s.clock.Now()); err != nil {
			s.log.Error("export failed", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if err := export.CSV(w, t); err != nil {
		s.log.Error("export failed", "err", err)
	}
}

// applicationView is one application as its reader sees it.
type applicationView struct {
	App       application.Detail
	Person    jobseeker.JobSeeker
	Structure offer.StructurePage
	// CanDecide: a member of the receiving structure; Moves are the transitions allowed now.
	CanDecide bool
	Moves     map[string]bool
	Reasons   []option
	Contracts []option
	Jobs      []option
	// Transfers are the actor's other structures the application may move to.
	Transfers []option
	Form      form
	Mine      bool
	// PriorKinds: a GEIQ records actions before hiring; Archivable: the state lets the
	// structure archive (or bring back) the application.
	PriorKinds []option
	Archivable bool
	// Eligibility is the person's eligibility for the receiving structure, with why.
	Eligibility *eligibilityView
	// PASS is the person's running PASS IAE, once hired.
	PASS []approval.View
	// CanChangeHire: a member of the structure may still change the hire (not started).
	CanChangeHire bool
}

func (s *Server) applicationPage(w http.ResponseWriter, r *http.Request) {
	s.renderApplication(w, r, http.StatusOK, form{}, nil)
}

func (s *Server) renderApplication(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	d, err := s.applications.Get(r.Context(), a, id, access.PurposeIAERecruitment)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := applicationView{App: d, Form: f, Mine: a.Kind == access.JobSeeker}
	if v.Person, err = s.jobseekers.Get(r.Context(), a, d.JobSeekerID, access.PurposeIAERecruitment); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Structure, err = s.offer.Structure(r.Context(), a, d.ToOrg); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Eligibility, err = s.eligibilityOf(r, d.JobSeekerID, d.ToOrg, "/candidatures/"+id.String()); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.State == application.Accepted {
		if v.PASS, err = s.runningPASS(r, d.JobSeekerID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v.CanDecide = a.Kind == access.Professional && a.OrgID == d.ToOrg && v.Structure.EmployerView
	if v.CanDecide {
		v.Moves = map[string]bool{}
		for _, t := range application.Transitions() {
			if _, ok := application.Next(d.State, t); ok {
				v.Moves[string(t)] = true
			}
		}
		for _, reason := range application.RefusalReasons(v.Structure.Structure.Kind) {
			v.Reasons = append(v.Reasons, option{Value: string(reason), Label: reason.Label()})
		}
		for _, c := range offer.ContractTypesFor(v.Structure.Structure.Kind) {
			v.Contracts = append(v.Contracts, option{Value: string(c), Label: c.Label()})
		}
		for _, j := range v.Structure.JobDescriptions {
			v.Jobs = append(v.Jobs, option{Value: j.ID.String(), Label: j.Title()})
		}
		if si := session(r); si != nil {
			for _, m := range si.Orgs {
				if m.Org.ID != d.ToOrg && (m.Org.Category == org.SIAE || m.Org.Category == org.GEIQ) {
					v.Transfers = append(v.Transfers, option{Value: m.Org.ID.String(), Label: m.Org.Name})
				}
			}
		}
		if v.Structure.Structure.Kind == offer.KindGEIQ {
			for _, k := range application.PriorKinds() {
				v.PriorKinds = append(v.PriorKinds, option{Value: string(k), Label: k.Label()})
			}
		}
		v.Archivable = !d.ArchivedAt.IsZero() || d.State == application.Refused || d.State == application.Cancelled || d.State == application.Obsolete
		v.CanChangeHire = d.State == application.Accepted && d.Hire.Start.After(database.ParisDate(s.clock.Now()))
		if v.CanChangeHire && f["hiring_start"] == "" && len(errs) == 0 {
			v.Form = hireForm(d.Hire)
		}
	}
	s.render(w, r, status, "application", "Candidature de "+v.Person.FullName(), v, errs)
}

func (s *Server) applicationDecide(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "action", "reason", "answer", "answer_to_sender", "message", "hiring_start", "hiring_end", "contract_type",
		"hours_per_week", "salary", "first_mission", "hired_job")
	f["reason_shared"] = r.PostFormValue("reason_shared")
	t := application.Transition(f["action"])
	d := application.Decision{Reason: application.RefusalReason(f["reason"]), Answer: f["answer"], AnswerToSender: f["answer_to_sender"],
		ReasonShared: f["reason_shared"] == "on", Message: f["message"]}
	if target, err := uuid.Parse(r.PostFormValue("target")); err == nil {
		d.Target = target
	}
	errs := fault.Fields{}
	if t == application.Accept {
		d.Hire, errs = hireOf(f)
	}
	if len(errs) == 0 {
		_, err := s.applications.Decide(r.Context(), actor(r), id, t, d)
		if fields := fault.FieldsOf(err); fields != nil {
			errs = fields
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "application_"+string(t))
	redirect(w, r, "/candidatures/"+id.String())
}

// hireForm is the hiring form of a recorded hire.
func hireForm(h application.Hire) form {
	f := form{"hiring_start": dateValue(h.Start), "hiring_end": dateValue(h.End), "contract_type": string(h.ContractType),
		"hours_per_week": strconv.Itoa(h.HoursPerWeek), "first_mission": dateValue(h.FirstMission)}
	if h.SalaryCents > 0 {
		f["salary"] = strings.Replace(fmt.Sprintf("%d.%02d", h.SalaryCents/100, h.SalaryCents%100), ".", ",", 1)
	}
	if h.JobDescriptionID != uuid.Nil {
		f["hired_job"] = h.JobDescriptionID.String()
	}
	return f
}

// applicationChangeHire changes a hire before its contract starts.
func (s *Server) applicationChangeHire(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "hiring_start", "hiring_end", "contract_type", "hours_per_week", "salary", "first_mission", "hired_job")
	h, errs := hireOf(f)
	if len(errs) == 0 {
		err := s.applications.ChangeHire(r.Context(), actor(r), id, h)
		if fields := fault.FieldsOf(err); fields != nil {
			errs = fields
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	s.setFlash(w, "application_hire_changed")
	redirect(w, r, "/candidatures/"+id.String())
}

// hireOf reads the hiring form; a malformed number or date is a field error.
func hireOf(f form) (application.Hire, fault.Fields) {
	errs := fault.Fields{}
	h := application.Hire{ContractType: offer.ContractType(f["contract_type"])}
	date := func(name, msg string) database.Date {
		if f[name] == "" {
			return database.Date{}
		}
		d, err := database.ParseDate(f[name])
		if err != nil {
			errs[name] = msg
		}
		return d
	}
	h.Start = date("hiring_start", "Saisissez la date de début du contrat.")
	h.End = date("hiring_end", "Saisissez une date de fin valide, ou laissez le champ vide.")
	h.FirstMission = date("first_mission", "Saisissez la date de la première mission.")
	if n, err := strconv.Atoi(f["hours_per_week"]); err == nil {
		h.HoursPerWeek = n
	} else if f["hours_per_week"] != "" {
		errs["hours_per_week"] = "Saisissez un nombre d'heures."
	}
	if f["salary"] != "" {
		euros, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(f["salary"], " ", ""), ",", "."), 64)
		if err != nil || euros < 0 {
			errs["salary"] = "Saisissez le salaire brut mensuel en euros, par exemple 1450,00."
		}
		h.SalaryCents = int(euros*100 + 0.5)
	}
	if jd, err := uuid.Parse(f["hired_job"]); err == nil {
		h.JobDescriptionID = jd
	}
	return h, errs
}

// applicationCV downloads the CV sent with an application, to those who may read it.
func (s *Server) applicationCV(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	f, err := s.applications.CV(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeFile(w, r, f)
}

// applicationSendOn sends a refused application on to another structure, found by its SIRET.
func (s *Server) applicationSendOn(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	a := actor(r)
	f := formOf(r, "target_siret", "target_message")
	siret := org.NormaliseSIRET(f["target_siret"])
	if err := org.CheckSIRET(siret); err != nil {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, fault.Fields{"target_siret": capitalFirst(err.Error()) + "."})
		return
	}
	orgs, err := s.orgs.FindBySIRET(r.Context(), a, siret)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var target uuid.UUID
	for _, o := range orgs {
		if o.SIRET == siret && (o.Category == org.SIAE || o.Category == org.GEIQ) {
			target = o.ID
			break
		}
	}
	if target == uuid.Nil {
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, fault.Fields{"target_siret": "Aucune structure d'insertion n'a ce SIRET sur Parcours."})
		return
	}
	next, err := s.applications.SendOn(r.Context(), a, id, target, nil, f["target_message"])
	if fields := fault.FieldsOf(err); fields != nil {
		if msg, ok := fields["job_descriptions"]; ok {
			fields["target_siret"] = msg
			delete(fields, "job_descriptions")
		}
		if msg, ok := fields[""]; ok {
			fields["target_siret"] = msg
			delete(fields, "")
		}
		s.renderApplication(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "application_sent_on")
	redirect(w, r, "/candidatures/"+next.ID.String())
}

func personOptions(people []jobseeker.Summary) []option {
	out := make([]option, len(people))
	for i, p := range people {
		out[i] = option{Value: p.ID.String(), Label: p.Name + " (" + p.BirthDate.French() + ")"}
	}
	return out
}

// jobTitle names a job description of the structure by its id.
func jobTitle(jobs []offer.JobDescription, id uuid.UUID) string {
	for _, j := range jobs {
		if j.ID == id {
			return j.Title()
		}
	}
	return "Poste retiré"
}

// euros shows cents as French currency: 1 450,00 €.
func euros(cents int) string {
	whole, rest := cents/100, cents%100
	s := strconv.Itoa(whole)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u00a0")
		}
		b.WriteRune(r)
	}
	return b.String() + "," + strconv.Itoa(rest/10) + strconv.Itoa(rest%10) + "\u00a0€"
}
