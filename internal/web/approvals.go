package web

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// PASS IAE pages: the structure's list and each PASS with its actions, the holder's own PASS,
// the prolongation requests an authorised prescriber decides, the staff queue of manual
// deliveries, and the public verification.
func (s *Server) registerApprovalRoutes() {
	s.handle("GET /pass-iae", gateUser, s.approvalList)
	s.handle("GET /pass-iae/{id}", gateUser, s.approvalPage)
	s.handle("GET /pass-iae/{id}/attestation", gateUser, s.approvalAttestation)
	s.handle("POST /pass-iae/{id}/suspension", gateUser, s.approvalSuspend)
	s.handle("POST /pass-iae/{id}/fin-de-suspension", gateUser, s.approvalEndSuspension)
	s.handle("POST /pass-iae/{id}/prolongation", gateUser, s.approvalProlong)
	s.handle("POST /pass-iae/{id}/interruption", gateUser, s.approvalInterrupt)
	s.handle("GET /prolongations", gateUser, s.prolongationList)
	s.handle("GET /prolongations/{id}", gateUser, s.prolongationPage)
	s.handle("POST /prolongations/{id}/decision", gateUser, s.prolongationDecide)
	s.handle("GET /admin/pass-iae", gateUser, s.deliveryQueue)
	s.handle("POST /admin/pass-iae/{id}/delivrance", gateUser, s.deliver)
	s.handle("GET /verifier-pass-iae", gatePublic, s.verifyPage)
	s.handle("POST /verifier-pass-iae", gatePublic, s.verifySubmit)
}

// approvalListView is the structure's list, or the holder's own PASS.
type approvalListView struct {
	PASS   []approval.View
	Mine   bool
	State  string
	States []option
}

func (s *Server) approvalList(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	v := approvalListView{State: r.URL.Query().Get("etat")}
	var err error
	switch {
	case a.Kind == access.JobSeeker:
		v.Mine = true
		v.PASS, err = s.approvals.Mine(r.Context(), a)
	case a.Role == access.AuthorizedPrescriber:
		redirect(w, r, "/prolongations")
		return
	default:
		for _, st := range []approval.State{approval.Valid, approval.Suspended, approval.Future, approval.Expired} {
			v.States = append(v.States, option{Value: string(st), Label: st.Label()})
		}
		v.PASS, err = s.approvals.ForStructure(r.Context(), a, approval.Filter{State: approval.State(v.State)})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "PASS IAE de la structure"
	if v.Mine {
		title = "Mon PASS IAE"
	}
	s.render(w, r, http.StatusOK, "approvals", title, v, nil)
}

// approvalView is a PASS's page with its forms.
type approvalView struct {
	PASS                approval.View
	Form                form
	SuspensionReasons   []option
	ProlongationReasons []approval.ReasonRule
	Prescribers         []option
	Interruptions       []option
	// WindowOpen, WindowClose: when a prolongation may be asked.
	WindowOpen, WindowClose database.Date
	InWindow                bool
	Mine                    bool
	// Diagnosis is the page explaining why the person is eligible (the PASS's diagnosis).
	Diagnosis string
}

func (s *Server) approvalPage(w http.ResponseWriter, r *http.Request) {
	s.renderApprovalPage(w, r, http.StatusOK, form{}, nil)
}

func (s *Server) renderApprovalPage(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	p, err := s.approvals.Get(r.Context(), a, id, access.PurposeIAEFollowUp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := approvalView{PASS: p, Form: f, Mine: a.Kind == access.JobSeeker}
	if p.DiagnosisID != uuid.Nil && (a.Kind == access.JobSeeker || p.Manage) {
		v.Diagnosis = "/diagnostics/" + p.DiagnosisID.String()
	}
	if p.Manage {
		for _, reason := range approval.SuspensionReasons(p.OrgKind) {
			v.SuspensionReasons = append(v.SuspensionReasons, option{Value: string(reason), Label: reason.Label()})
		}
		v.ProlongationReasons = approval.ProlongationReasons(p.OrgKind)
		prescribers, err := s.approvals.Prescribers(r.Context(), "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, o := range prescribers {
			v.Prescribers = append(v.Prescribers, option{Value: o.ID.String(), Label: o.Name})
		}
		for _, reason := range approval.InterruptionReasons {
			v.Interruptions = append(v.Interruptions, option{Value: string(reason), Label: reason.Label()})
		}
		v.WindowOpen, v.WindowClose = approval.ProlongationWindow(p.End)
		v.InWindow = !p.Today.Before(v.WindowOpen) && !p.Today.After(v.WindowClose)
	}
	s.render(w, r, status, "approval", "PASS IAE n° "+p.Spaced(), v, errs)
}

// date reads a date field; a malformed one is a field error.
func dateField(f form, name string, errs fault.Fields) database.Date {
	if f[name] == "" {
		return database.Date{}
	}
	d, err := database.ParseDate(f[name])
	if err != nil {
		errs.Add(name, "Indiquez une date valide, au format JJ/MM/AAAA.")
	}
	return d
}

// afterChange ends a POST on a PASS: the form again with its errors, or the page with a flash.
func (s *Server) afterChange(w http.ResponseWriter, r *http.Request, f form, err error, flash string) {
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderApprovalPage(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, flash)
	redirect(w, r, "/pass-iae/"+r.PathValue("id"))
}

func (s *Server) approvalSuspend(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	f := formOf(r, "start", "end", "reason")
	errs := fault.Fields{}
	in := approval.SuspensionInput{Start: dateField(f, "start", errs), End: dateField(f, "end", errs), Reason: approval.SuspensionReason(f["reason"])}
	var err error = errs
	if len(errs) == 0 {
		err = s.approvals.Suspend(r.Context(), actor(r), id, in)
	}
	s.afterChange(w, r, f, err, "approval_suspended")
}

func (s *Server) approvalEndSuspension(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.afterChange(w, r, form{}, s.approvals.EndSuspension(r.Context(), actor(r), id), "approval_suspension_ended")
}

func (s *Server) approvalProlong(w http.ResponseWriter, r *http.Request) {
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
	f := formOf(r, "prolongation_reason", "prolongation_end", "prescriber")
	errs := fault.Fields{}
	in := approval.ProlongInput{ProlongationInput: approval.ProlongationInput{Reason: approval.ProlongationReason(f["prolongation_reason"])}}
	in.End = dateField(form{"end": f["prolongation_end"]}, "end", errs)
	if p, err := uuid.Parse(f["prescriber"]); err == nil {
		in.Prescriber = p
	}
	if file, header, err := r.FormFile("report"); err == nil {
		defer file.Close()
		if header.Size > 0 {
			up, err := s.files.Accept(r.Context(), actor(r), file, header.Filename, approval.ReportRules())
			if fields := fault.FieldsOf(err); fields != nil {
				s.afterChange(w, r, f, fields, "")
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			in.ReportUpload = &up
		}
	}
	var err error = prolongFields(errs)
	if len(errs) == 0 {
		var req uuid.UUID
		req, err = s.approvals.Prolong(r.Context(), actor(r), id, in)
		if err == nil && req != uuid.Nil {
			s.afterChange(w, r, f, nil, "approval_prolongation_requested")
			return
		}
	}
	s.afterChange(w, r, f, prolongFields(fault.FieldsOf(err), err), "approval_prolonged")
}

// prolongFields names the prolongation form's fields as the page does (the form shares the page
// with the suspension's "reason" and "end").
func prolongFields(f fault.Fields, orig ...error) error {
	if f == nil {
		if len(orig) > 0 {
			return orig[0]
		}
		return nil
	}
	out := fault.Fields{}
	for k, msg := range f {
		switch k {
		case "reason", "end":
			k = "prolongation_" + k
		}
		out.Add(k, msg)
	}
	return out.Err()
}

func (s *Server) approvalInterrupt(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	f := formOf(r, "interruption_reason")
	err := s.approvals.Interrupt(r.Context(), actor(r), id, approval.InterruptionReason(f["interruption_reason"]))
	if fields := fault.FieldsOf(err); fields != nil {
		if msg, ok := fields["reason"]; ok {
			err = fault.Field("interruption_reason", msg)
		}
	}
	s.afterChange(w, r, f, err, "approval_interrupted")
}

func (s *Server) approvalAttestation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	pdf, name, err := s.approvals.Attestation(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeAttachment(w, r, "application/pdf", name, pdf)
}

// prolongationListView is an authorised prescriber's requests.
type prolongationListView struct{ Pending, Decided []approval.Request }

func (s *Server) prolongationList(w http.ResponseWriter, r *http.Request) {
	all, err := s.approvals.Requests(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := prolongationListView{}
	for _, req := range all {
		if req.State == approval.RequestPending {
			v.Pending = append(v.Pending, req)
		} else {
			v.Decided = append(v.Decided, req)
		}
	}
	s.render(w, r, http.StatusOK, "prolongations", "Demandes de prolongation de PASS IAE", v, nil)
}

// prolongationView is a request with its decision form.
type prolongationView struct {
	Request     approval.RequestView
	DenyReasons []option
	Form        form
}

func (s *Server) prolongationPage(w http.ResponseWriter, r *http.Request) {
	s.renderProlongation(w, r, http.StatusOK, form{}, nil)
}

func (s *Server) renderProlongation(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	req, err := s.approvals.Request(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := prolongationView{Request: req, Form: f}
	for _, reason := range approval.DenyReasons {
		v.DenyReasons = append(v.DenyReasons, option{Value: string(reason), Label: reason.Label()})
	}
	s.render(w, r, status, "prolongation", "Demande de prolongation du PASS IAE n° "+req.PASS.Spaced(), v, errs)
}

func (s *Server) prolongationDecide(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok || !s.parseForm(w, r) {
		if !ok {
			s.notFound(w, r)
		}
		return
	}
	f := formOf(r, "decision", "deny_reason")
	var err error
	switch f["decision"] {
	case "accorder":
		err = s.approvals.Decide(r.Context(), actor(r), id, true, "")
	case "refuser":
		err = s.approvals.Decide(r.Context(), actor(r), id, false, approval.DenyReason(f["deny_reason"]))
	default:
		err = fault.Field("decision", "Choisissez d'accorder ou de refuser la prolongation.")
	}
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderProlongation(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "prolongation_decided")
	redirect(w, r, "/prolongations/"+id.String())
}

func (s *Server) deliveryQueue(w http.ResponseWriter, r *http.Request) {
	queue, err := s.approvals.Deliveries(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_deliveries", "PASS IAE à délivrer", queue, nil)
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if _, err := s.approvals.Deliver(r.Context(), actor(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "approval_delivered")
	redirect(w, r, "/admin/pass-iae")
}

// verifyView is the public verification page.
type verifyView struct {
	Form   form
	Asked  bool
	Result approval.Verification
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "verify", "Vérifier un PASS IAE", verifyView{Form: form{}}, nil)
}

func (s *Server) verifySubmit(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "numero", "date_naissance")
	errs := fault.Fields{}
	if f["numero"] == "" {
		errs.Add("numero", "Indiquez le numéro du PASS IAE.")
	}
	birth := dateField(f, "date_naissance", errs)
	if birth.IsZero() && errs["date_naissance"] == "" {
		errs.Add("date_naissance", "Indiquez la date de naissance du titulaire.")
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "verify", "Vérifier un PASS IAE", verifyView{Form: f}, errs)
		return
	}
	if ok, wait := s.verifyLimiter.Allow(s.clientIP(r)); !ok {
		s.renderTooMany(w, r, wait, "Trop de vérifications ont été demandées en peu de temps depuis votre connexion internet.")
		return
	}
	res, err := s.approvals.Verify(r.Context(), f["numero"], birth, s.clientIP(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "verify", "Vérifier un PASS IAE", verifyView{Form: f, Asked: true, Result: res}, nil)
}

// runningPASS is the person's PASS IAE not expired, for a page about them; nothing for those
// who may not read it.
func (s *Server) runningPASS(r *http.Request, person uuid.UUID) ([]approval.View, error) {
	if s.approvals == nil {
		return nil, nil
	}
	all, err := s.approvals.ForPerson(r.Context(), actor(r), person, access.PurposeIAERecruitment)
	if errors.Is(err, fault.Forbidden) {
		return nil, nil
	}
	var out []approval.View
	for _, p := range all {
		if p.State() != approval.Expired {
			out = append(out, p)
		}
	}
	return out, err
}
