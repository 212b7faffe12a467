package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/fault"
	"parcours/internal/org"
)

func (s *Server) registerStaffRoutes() {
	s.handle("GET /admin", gateUser, s.staffHome)
	s.handle("GET /admin/utilisateurs", gateUser, s.staffUsers)
	s.handle("GET /admin/utilisateurs/{id}", gateUser, s.staffUser)
	s.handle("POST /admin/utilisateurs/{id}/statut", gateUser, s.staffUserStatus)
	s.handle("GET /admin/organisations", gateUser, s.staffOrgs)
	s.handle("GET /admin/organisations/nouvelle", gateUser, s.staffOrgForm)
	s.handle("POST /admin/organisations", gateUser, s.staffOrgCreate)
	s.handle("GET /admin/demandes", gateUser, s.staffJoinRequests)
	s.handle("GET /admin/journal", gateUser, s.staffAudit)
	s.registerImportRoutes()
}

// staffOnly answers 403 unless the actor is staff with MFA; every staff handler calls it
// first, and the services check again.
func (s *Server) staffOnly(w http.ResponseWriter, r *http.Request, act access.Action) bool {
	if err := access.Can(actor(r), act, access.Resource{}); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

func (s *Server) staffHome(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageUsers) {
		return
	}
	pending, err := s.orgs.PendingHabilitations(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	orphans, err := s.orgs.OrphanJoinRequests(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_home", "Administration", map[string]int{"Habilitations": len(pending), "Orphans": len(orphans)}, nil)
}

type staffUsersView struct {
	Query string
	Kind  string
	Users []account.User
	Next  string
}

func (s *Server) staffUsers(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageUsers) {
		return
	}
	q := r.URL.Query()
	v := staffUsersView{Query: strings.TrimSpace(q.Get("q")), Kind: q.Get("type")}
	users, err := s.accounts.StaffSearch(r.Context(), actor(r), account.Filter{Query: v.Query, Kind: access.UserKind(v.Kind), After: q.Get("apres"), Limit: 50})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Users = users
	if len(users) == 50 {
		v.Next = users[len(users)-1].Email
	}
	s.render(w, r, http.StatusOK, "staff_users", "Utilisateurs", v, nil)
}

type staffUserView struct {
	User     account.User
	Orgs     []org.Membership
	Events   []audit.Event
	Sessions []account.Session
}

func (s *Server) staffUser(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageUsers) {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a := actor(r)
	su, err := s.accounts.StaffView(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := staffUserView{User: su.User, Sessions: su.Sessions}
	if v.Orgs, err = s.orgs.StaffMemberships(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Events, _, err = s.trail.List(r.Context(), a, audit.Filter{Subject: id}, 20, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_user", su.User.FullName(), v, nil)
}

func (s *Server) staffUserStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	if err := s.accounts.SetDisabled(r.Context(), actor(r), id, r.PostFormValue("action") == "desactiver"); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "user_updated")
	redirect(w, r, "/admin/utilisateurs/"+id.String())
}

type staffOrgsView struct {
	Query        string
	Category     string
	Habilitation string
	Orgs         []org.Organisation
	NextName     string
	NextID       string
}

func (s *Server) staffOrgs(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageOrganisations) {
		return
	}
	q := r.URL.Query()
	v := staffOrgsView{Query: strings.TrimSpace(q.Get("q")), Category: q.Get("categorie"), Habilitation: q.Get("habilitation")}
	afterID, _ := uuid.Parse(q.Get("apres_id"))
	orgs, err := s.orgs.StaffSearch(r.Context(), actor(r), org.Filter{Query: v.Query, Category: org.Category(v.Category),
		Habilitation: org.Habilitation(v.Habilitation), AfterName: q.Get("apres"), AfterID: afterID, Limit: 50})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Orgs = orgs
	if len(orgs) == 50 {
		v.NextName, v.NextID = orgs[49].Name, orgs[49].ID.String()
	}
	s.render(w, r, http.StatusOK, "staff_orgs", "Organisations", v, nil)
}

type staffOrgFormView struct {
	Form       form
	Kinds      []option
	Candidates any
}

func (s *Server) staffOrgForm(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageOrganisations) {
		return
	}
	s.render(w, r, http.StatusOK, "staff_org_new", "Nouvelle organisation", staffOrgFormView{Form: form{}, Kinds: kindOptions(org.Kinds())}, nil)
}

func (s *Server) staffOrgCreate(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageOrganisations) {
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := formOf(r, "kind", "name", "siret", "safir", "commune")
	code, candidates, cerr := s.resolveCommune(f["commune"])
	o, err := s.orgs.Create(r.Context(), actor(r), org.NewOrganisation{Kind: f["kind"], Name: f["name"], SIRET: f["siret"],
		SAFIR: f["safir"], CommuneCode: code, Habilitated: true})
	if fields := fault.FieldsOf(err); fields != nil || cerr != "" {
		if fields == nil {
			fields = fault.Fields{}
		}
		if cerr != "" {
			fields["commune"] = cerr
		}
		s.render(w, r, http.StatusUnprocessableEntity, "staff_org_new", "Nouvelle organisation",
			staffOrgFormView{Form: f, Kinds: kindOptions(org.Kinds()), Candidates: candidates}, fields)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, "org_created")
	redirect(w, r, "/organisations/"+o.ID.String())
}

func (s *Server) staffJoinRequests(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.StaffManageOrganisations) {
		return
	}
	reqs, err := s.orgs.OrphanJoinRequests(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_requests", "Demandes sans administrateur", reqs, nil)
}

type staffAuditView struct {
	Filter audit.Filter
	Events []audit.Event
	Next   string
}

func (s *Server) staffAudit(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r, access.ViewAuditTrail) {
		return
	}
	q := r.URL.Query()
	f := audit.Filter{ActorUser: strings.TrimSpace(q.Get("acteur")), ObjectRef: strings.TrimSpace(q.Get("objet")), ActionPrefix: strings.TrimSpace(q.Get("action"))}
	events, next, err := s.trail.List(r.Context(), actor(r), f, 50, q.Get("curseur"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_audit", "Journal d'audit", staffAuditView{Filter: f, Events: events, Next: next}, nil)
}
