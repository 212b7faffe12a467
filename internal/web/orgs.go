package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/fault"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

func (s *Server) registerOrgRoutes() {
	s.handle("GET /organisations/rattachement", gateUser, s.orgOnboarding)
	s.handle("POST /organisations", gateUser, s.orgCreate)
	s.handle("GET /organisations/{id}", gateUser, s.orgPage)
	s.handle("POST /organisations/{id}/demandes", gateUser, s.orgRequestJoin)
	s.handle("POST /organisations/{id}/demandes/{req}/decision", gateUser, s.orgDecideJoin)
	s.handle("POST /organisations/{id}/invitations", gateUser, s.orgInvite)
	s.handle("POST /organisations/{id}/invitations/{inv}/annulation", gateUser, s.orgRevokeInvitation)
	s.handle("POST /organisations/{id}/membres", gateUser, s.orgAddMember)
	s.handle("POST /organisations/{id}/membres/{user}", gateUser, s.orgMember)
	s.handle("POST /organisations/{id}/habilitation", gateUser, s.orgHabilitation)
	s.handle("GET /organisation/courante", gateUser, s.orgSwitchForm)
	s.handle("POST /organisation/courante", gateUser, s.orgSwitch)
	s.handle("GET /habilitations", gateUser, s.habilitationQueue)
	s.handle("GET /invitation/{token}", gatePublic, s.invitationPage)
	s.handle("POST /invitation/{token}", gatePublic, s.invitationAccept)
}

// pathID parses a {name} path segment as a UUID; a malformed one is simply not found.
func pathID(r *http.Request, name string) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue(name))
	return id, err == nil
}

type option struct {
	Value, Label string
	Group        string
	Options      []option
}

func kindOptions(kinds []org.KindInfo) []option {
	groups := map[org.Category]string{org.SIAE: "Structures d'insertion (SIAE)", org.GEIQ: "GEIQ", org.Prescriber: "Prescripteurs et orienteurs",
		org.Institution: "Services de l'État", org.Financer: "Financeurs"}
	var out []option
	index := map[org.Category]int{}
	for _, k := range kinds {
		i, ok := index[k.Category]
		if !ok {
			out = append(out, option{Group: groups[k.Category]})
			i = len(out) - 1
			index[k.Category] = i
		}
		out[i].Options = append(out[i].Options, option{Value: k.Code, Label: k.Label})
	}
	return out
}

type onboardingView struct {
	Form     form
	Searched bool
	Found    []org.Organisation
	// Member holds the ids of the found organisations the user already belongs to: they are
	// offered to open, not to join.
	Member     map[string]bool
	Kinds      []option
	Candidates []refdata.Commune
}

func (s *Server) orgOnboarding(w http.ResponseWriter, r *http.Request) {
	if actor(r).Kind != access.Professional {
		s.renderError(w, r, http.StatusForbidden)
		return
	}
	siret := org.NormaliseSIRET(r.URL.Query().Get("siret"))
	v := onboardingView{Form: form{"siret": siret}, Kinds: kindOptions(org.SignupKinds())}
	var errs fault.Fields
	if siret != "" {
		if err := org.CheckSIRET(siret); err != nil {
			// Keyed by the search field's id: the creation form below has a SIRET field too.
			errs = fault.Fields{"recherche-siret": err.Error()}
		} else {
			found, err := s.orgs.FindBySIRET(r.Context(), actor(r), siret)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			v.Searched, v.Found = true, found
			v.Member = map[string]bool{}
			for _, m := range session(r).Orgs {
				v.Member[m.Org.ID.String()] = true
			}
		}
	}
	s.render(w, r, http.StatusOK, "org_onboarding", "Rejoindre ou créer votre organisation", v, errs)
}

func (s *Server) orgCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "kind", "name", "siret", "commune", "habilitated")
	code, candidates, cerr := s.resolveCommune(f["commune"])
	in := org.NewOrganisation{Kind: f["kind"], Name: f["name"], SIRET: f["siret"], CommuneCode: code, Habilitated: f["habilitated"] == "oui"}
	o, err := s.orgs.Create(r.Context(), actor(r), in)
	if fields := fault.FieldsOf(err); fields != nil || cerr != "" {
		if fields == nil {
			fields = fault.Fields{}
		}
		if cerr != "" {
			fields["commune"] = cerr
		}
		v := onboardingView{Form: f, Kinds: kindOptions(org.SignupKinds()), Candidates: candidates}
		s.render(w, r, http.StatusUnprocessableEntity, "org_onboarding", "Rejoindre ou créer votre organisation", v, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if si := session(r); si != nil {
		if err := s.accounts.SetCurrentOrganisation(r.Context(), actor(r), si.auth.Session.ID, o.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.setFlash(w, "org_created")
	redirect(w, r, "/organisations/"+o.ID.String())
}

// resolveCommune turns what was typed ("Lyon", "Lyon (69001)", a postcode, an INSEE code)
// into a commune code, or a French message and the candidates to choose from.
func (s *Server) resolveCommune(input string) (string, []refdata.Commune, string) {
	input = strings.TrimSpace(input)
	if input == "" {
		return "", nil, ""
	}
	if isFiveDigits(input) {
		// What the field's hint suggests typing: a postcode. INSEE codes share the format
		// (69001 is Affoux's code but Lyon 1er's postcode), so the postcode wins; a code that is
		// no postcode is read as an INSEE code (links to a search carry those).
		owners := postcodeOwners(s.places.SearchCommunes(input, 50), input)
		switch {
		case len(owners) == 1:
			return owners[0].Code, nil, ""
		case len(owners) > 1:
			return "", owners[:min(len(owners), 8)], "Plusieurs communes ont ce code postal : choisissez-la dans la liste"
		}
	}
	if c, ok := s.places.Commune(input); ok {
		return c.Code, nil, ""
	}
	name, postcode := input, ""
	if i := strings.LastIndex(input, "("); i > 0 && strings.HasSuffix(input, ")") {
		name, postcode = strings.TrimSpace(input[:i]), strings.TrimSpace(input[i+1:len(input)-1])
	}
	results := s.places.SearchCommunes(name, 20)
	var named, exact []refdata.Commune
	for _, c := range results {
		if refdata.Normalize(c.Name) != refdata.Normalize(name) {
			continue
		}
		named = append(named, c)
		if postcode != "" && !containsString(c.Postcodes, postcode) {
			continue
		}
		exact = append(exact, c)
	}
	switch {
	case len(exact) == 1:
		return exact[0].Code, nil, ""
	case len(exact) > 1:
		return "", exact, "Plusieurs communes portent ce nom : choisissez-la avec son code postal dans la liste"
	case len(named) > 0:
		return "", named, "Le code postal " + postcode + " n'est pas celui de " + name + " : choisissez la commune dans la liste"
	case len(results) > 0:
		return "", results[:min(len(results), 8)], "Commune non reconnue : choisissez-la dans la liste proposée"
	}
	return "", nil, "Aucune commune ne correspond : vérifiez l'orthographe"
}

// postcodeOwners keeps the communes that have the postcode. Paris, Lyon and Marseille have one
// postcode per arrondissement: the arrondissement is kept rather than the whole city.
func postcodeOwners(found []refdata.Commune, postcode string) []refdata.Commune {
	var out []refdata.Commune
	parents := map[string]bool{}
	for _, c := range found {
		if containsString(c.Postcodes, postcode) && c.Parent != "" {
			parents[c.Parent] = true
		}
	}
	for _, c := range found {
		if containsString(c.Postcodes, postcode) && !parents[c.Code] {
			out = append(out, c)
		}
	}
	return out
}

func isFiveDigits(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// communeLabel is how a commune appears in the suggestions and how it is read back.
func communeLabel(c refdata.Commune) string {
	if len(c.Postcodes) > 0 {
		return c.Name + " (" + c.Postcodes[0] + ")"
	}
	return c.Name
}

// communeOptions answers the commune field's suggestions (parcours.js puts them into its datalist).
func (s *Server) communeOptions(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("commune"))
	if q == "" {
		q = strings.TrimSpace(r.URL.Query().Get("q"))
	}
	var list []string
	if len([]rune(q)) >= 2 && len(q) <= 100 {
		for _, c := range s.places.SearchCommunes(q, 15) {
			list = append(list, communeLabel(c))
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.renderFragment(w, r, "commune-options", list)
}

type orgPageView struct {
	org.Page
	Actor    access.Actor
	Form     form
	Statuses []option
}

var habilitationOptions = []option{
	{Value: string(org.Validated), Label: "Habiliter l'organisation"},
	{Value: string(org.Refused), Label: "Refuser l'habilitation"},
	{Value: string(org.NotSet), Label: "Remettre en attente"},
}

func (s *Server) orgPage(w http.ResponseWriter, r *http.Request) {
	s.renderOrgPage(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderOrgPage(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, err := s.orgs.LoadPage(r.Context(), actor(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = form{}
	}
	s.render(w, r, status, "org", p.Org.Name, orgPageView{Page: p, Actor: actor(r), Form: f, Statuses: habilitationOptions}, errs)
}

func (s *Server) orgRequestJoin(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	err := s.orgs.RequestJoin(r.Context(), actor(r), id, r.PostFormValue("message"))
	if errors.Is(err, fault.Conflict) {
		s.setFlash(w, "join_requested")
		redirect(w, r, "/tableau-de-bord")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "join_requested")
	redirect(w, r, "/tableau-de-bord")
}

func (s *Server) orgDecideJoin(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	req, ok2 := pathID(r, "req")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	accept := r.PostFormValue("decision") == "accepter"
	err := s.orgs.DecideJoin(r.Context(), actor(r), id, req, accept, r.PostFormValue("reason"))
	if fields := fault.FieldsOf(err); fields != nil {
		// Each pending request has its own reason field: say it for the page.
		s.renderOrgPage(w, r, http.StatusUnprocessableEntity, nil, fault.Fields{"": "Pour refuser une demande : " + lowerFirst(fields["reason"]) + "."})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "join_decided")
	redirect(w, r, "/organisations/"+id.String())
}

func (s *Server) orgInvite(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "email")
	err := s.orgs.Invite(r.Context(), actor(r), id, f["email"])
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderOrgPage(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "invitation_sent")
	redirect(w, r, "/organisations/"+id.String())
}

func (s *Server) orgRevokeInvitation(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	inv, ok2 := pathID(r, "inv")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	if err := s.orgs.RevokeInvitation(r.Context(), actor(r), id, inv); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "invitation_revoked")
	redirect(w, r, "/organisations/"+id.String())
}

func (s *Server) orgMember(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	user, ok2 := pathID(r, "user")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	var err error
	a := actor(r)
	switch r.PostFormValue("action") {
	case "desactiver":
		err = s.orgs.SetMemberActive(r.Context(), a, id, user, false)
	case "reactiver":
		err = s.orgs.SetMemberActive(r.Context(), a, id, user, true)
	case "admin":
		err = s.orgs.SetMemberAdmin(r.Context(), a, id, user, true)
	case "retirer-admin":
		err = s.orgs.SetMemberAdmin(r.Context(), a, id, user, false)
	default:
		s.renderError(w, r, http.StatusBadRequest)
		return
	}
	if errors.Is(err, fault.Conflict) {
		s.renderOrgPage(w, r, http.StatusConflict, nil, fault.Fields{"": conflictMessage(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "member_updated")
	redirect(w, r, "/organisations/"+id.String())
}

// orgAddMember lets staff add a professional to an organisation directly (State services,
// organisations left without an admin).
func (s *Server) orgAddMember(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "member_email")
	err := s.orgs.StaffAddMember(r.Context(), actor(r), id, f["member_email"], r.PostFormValue("admin") == "on")
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderOrgPage(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "member_added")
	redirect(w, r, "/organisations/"+id.String())
}

// lowerFirst lower-cases a message's first letter, to quote it inside a sentence.
func lowerFirst(msg string) string {
	if r, size := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
		return string(unicode.ToLower(r)) + msg[size:]
	}
	return msg
}

// conflictMessage keeps the French explanation of a conflict, without the technical suffix.
func conflictMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, " : "); i > 0 {
		msg = msg[:i]
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func (s *Server) orgHabilitation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "status", "reason", "from")
	err := s.orgs.DecideHabilitation(r.Context(), actor(r), id, org.Habilitation(f["status"]), f["reason"])
	back := "/organisations/" + id.String()
	if f["from"] == "queue" {
		back = "/habilitations"
	}
	if fields := fault.FieldsOf(err); fields != nil {
		if f["from"] == "queue" {
			s.renderQueue(w, r, http.StatusUnprocessableEntity, id, f, fields)
			return
		}
		s.renderOrgPage(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "habilitation_saved")
	redirect(w, r, back)
}

type queueView struct {
	Orgs     []org.Organisation
	Statuses []option
	ErrorFor uuid.UUID
	Form     form
}

func (s *Server) habilitationQueue(w http.ResponseWriter, r *http.Request) {
	s.renderQueue(w, r, http.StatusOK, uuid.Nil, nil, nil)
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, status int, errFor uuid.UUID, f form, errs fault.Fields) {
	orgs, err := s.orgs.PendingHabilitations(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = form{}
	}
	// Each organisation has its own decision fields: the messages go to errFor's.
	var keyed fault.Fields
	for k, msg := range errs {
		if keyed == nil {
			keyed = fault.Fields{}
		}
		if k != "" {
			k += "-" + errFor.String()
		}
		keyed[k] = msg
	}
	s.render(w, r, status, "habilitations", "Habilitation des prescripteurs", queueView{Orgs: orgs, Statuses: habilitationOptions, ErrorFor: errFor, Form: f}, keyed)
}

func (s *Server) orgSwitchForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "org_switch", "Changer d'organisation", nil, nil)
}

func (s *Server) orgSwitch(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	id, err := uuid.Parse(r.PostFormValue("org"))
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "org_switch", "Changer d'organisation", nil, fault.Fields{"org": "Choisissez une organisation"})
		return
	}
	if err := s.orgs.Switch(r.Context(), actor(r), session(r).auth.Session.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "org_switched")
	redirect(w, r, "/tableau-de-bord")
}

type invitationView struct {
	Org        org.Organisation
	Invitation org.Invitation
	Form       form
	// SameAccount is true when the logged-in user is the invited address.
	SameAccount bool
	OtherUser   bool
	// InvitationToken lets an existing user log in and come back to the invitation.
	InvitationToken string
}

func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request) {
	s.renderInvitation(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderInvitation(w http.ResponseWriter, r *http.Request, status int, f form, errs fault.Fields) {
	inv, o, err := s.orgs.InvitationByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, org.ErrInvitationInvalid) {
		s.render(w, r, http.StatusGone, "link_invalid", "Invitation expirée", map[string]string{
			"Text": "Cette invitation n'est plus valable : elle a expiré (elle vaut 14 jours), a été annulée ou a déjà servi. Demandez-en une nouvelle à l'administrateur de l'organisation.",
			"Link": "/", "LinkText": "Page d'accueil"}, nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := invitationView{Org: o, Invitation: inv, Form: f, InvitationToken: r.PathValue("token")}
	if si := session(r); si != nil {
		v.SameAccount = si.User().Email == inv.Email
		v.OtherUser = !v.SameAccount
	}
	if v.Form == nil {
		v.Form = form{}
	}
	s.render(w, r, status, "invitation", "Invitation à rejoindre "+o.Name, v, errs)
}

func (s *Server) invitationAccept(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	token := r.PathValue("token")
	if si := session(r); si != nil {
		if !si.Complete() {
			redirect(w, r, "/tableau-de-bord")
			return
		}
		o, err := s.orgs.AcceptInvitation(r.Context(), actor(r), token)
		if err != nil {
			if errors.Is(err, org.ErrInvitationInvalid) {
				s.renderInvitation(w, r, http.StatusGone, nil, nil)
				return
			}
			s.fail(w, r, err)
			return
		}
		if err := s.accounts.SetCurrentOrganisation(r.Context(), actor(r), si.auth.Session.ID, o.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		s.setFlash(w, "invitation_accepted")
		redirect(w, r, "/organisations/"+o.ID.String())
		return
	}
	f := formOf(r, "first_name", "last_name")
	in := account.SignUp{Password: r.PostFormValue("password"), FirstName: f["first_name"], LastName: f["last_name"],
		AcceptTerms: r.PostFormValue("accept_terms") == "on"}
	_, _, err := s.orgs.AcceptInvitationNewAccount(r.Context(), token, in)
	if fields := fault.FieldsOf(err); fields != nil {
		s.renderInvitation(w, r, http.StatusUnprocessableEntity, f, fields)
		return
	}
	if errors.Is(err, org.ErrInvitationInvalid) {
		s.renderInvitation(w, r, http.StatusGone, nil, nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "invitation_accepted")
	redirect(w, r, "/connexion")
}
