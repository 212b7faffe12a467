package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

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
	Rows   []auditRow
	Next   string
	// ActorName and ObjectName name the filtered actor and object, when there is one.
	ActorName, ObjectName string
}

// auditRow is an audit entry as staff read it: labels instead of codes, names instead of ids.
type auditRow struct {
	At        time.Time
	Seq       int64
	Sequenced bool
	Action    string
	Code      string
	Outcome   string
	Denied    bool
	Purpose   string
	Details   []string
	Actor     auditRef
	Org       auditRef
	Object    auditRef
}

// auditRef is someone or something an entry names: what to read, where to see it, and the
// reference to filter the journal on.
type auditRef struct {
	Label, Link, Filter string
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
	names, err := s.auditNames(r, events, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := staffAuditView{Filter: f, Next: next}
	for _, e := range events {
		v.Rows = append(v.Rows, names.row(e))
	}
	if id, err := uuid.Parse(f.ActorUser); err == nil {
		v.ActorName = names.person(id)
	}
	if id, err := uuid.Parse(f.ObjectRef); err == nil {
		if n, ok := names.people[id]; ok {
			v.ObjectName = n
		} else if n, ok := names.orgs[id]; ok {
			v.ObjectName = n
		}
	}
	s.render(w, r, http.StatusOK, "staff_audit", "Journal d'audit", v, nil)
}

// auditNames holds the names of the accounts and organisations a page of entries names,
// resolved through the account and organisation services (staff only, the accounts lookup
// recorded like any read of people).
type auditNames struct {
	people, orgs map[uuid.UUID]string
}

func (s *Server) auditNames(r *http.Request, events []audit.Event, f audit.Filter) (auditNames, error) {
	var people, orgs []uuid.UUID
	add := func(list *[]uuid.UUID, ref string) {
		if id, err := uuid.Parse(ref); err == nil {
			*list = append(*list, id)
		}
	}
	add(&people, f.ActorUser)
	add(&people, f.ObjectRef)
	add(&orgs, f.ObjectRef)
	for _, e := range events {
		add(&people, e.ActorUser)
		add(&orgs, e.ActorOrg)
		switch e.ObjectType {
		case "user":
			add(&people, e.ObjectRef)
		case "organisation", "structure":
			add(&orgs, e.ObjectRef)
		case "job_description":
			add(&orgs, e.Details["structure"])
		}
		add(&people, e.Details["user"])
	}
	var n auditNames
	var err error
	if n.people, err = s.accounts.StaffNames(r.Context(), actor(r), people); err != nil {
		return n, err
	}
	n.orgs, err = s.orgs.StaffNames(r.Context(), actor(r), orgs)
	return n, err
}

func (n auditNames) person(id uuid.UUID) string {
	if name, ok := n.people[id]; ok && name != "" {
		return name
	}
	return "Compte supprimé"
}

func (n auditNames) org(id uuid.UUID) string {
	if name, ok := n.orgs[id]; ok {
		return name
	}
	return "Organisation supprimée"
}

func (n auditNames) row(e audit.Event) auditRow {
	row := auditRow{At: e.OccurredAt, Seq: e.Seq, Sequenced: e.Sequenced, Code: e.Action, Denied: e.Outcome != audit.OutcomeOK}
	row.Action, _ = auditActionLabel(e.Action)
	row.Outcome = auditOutcomes[string(e.Outcome)]
	if row.Outcome == "" {
		row.Outcome = string(e.Outcome)
	}
	if e.Purpose != "" {
		row.Purpose = access.Purpose(e.Purpose).Label()
	}
	if id, err := uuid.Parse(e.ActorUser); err == nil {
		row.Actor = auditRef{Label: n.person(id), Link: "/admin/utilisateurs/" + id.String(), Filter: id.String()}
	} else {
		row.Actor = auditRef{Label: "La plateforme"}
	}
	if id, err := uuid.Parse(e.ActorOrg); err == nil {
		row.Org = auditRef{Label: n.org(id), Link: "/organisations/" + id.String()}
	}
	row.Object = n.object(e)
	row.Details = auditDetails(e)
	return row
}

// object names what an entry is about.
func (n auditNames) object(e audit.Event) auditRef {
	kind := auditObjectTypes[e.ObjectType]
	if kind == "" {
		kind = e.ObjectType
	}
	id, err := uuid.Parse(e.ObjectRef)
	switch {
	case e.ObjectType == "person" && e.ObjectRef != "":
		// A keyed pseudonym: nobody can read a name from it, but it filters the person's entries.
		return auditRef{Label: "Personne (réf. " + e.ObjectRef[:min(8, len(e.ObjectRef))] + "…)", Filter: e.ObjectRef}
	case err != nil:
		return auditRef{Label: kind}
	case e.ObjectType == "user":
		return auditRef{Label: kind + " : " + n.person(id), Link: "/admin/utilisateurs/" + id.String(), Filter: id.String()}
	case e.ObjectType == "organisation":
		return auditRef{Label: kind + " : " + n.org(id), Link: "/organisations/" + id.String(), Filter: id.String()}
	case e.ObjectType == "structure":
		return auditRef{Label: kind + " : " + n.org(id), Link: "/structures/" + id.String(), Filter: id.String()}
	case e.ObjectType == "job_description":
		if sid, err := uuid.Parse(e.Details["structure"]); err == nil {
			return auditRef{Label: kind + " (" + n.org(sid) + ")", Link: "/structures/" + sid.String() + "#poste-" + id.String(), Filter: id.String()}
		}
	}
	return auditRef{Label: kind, Filter: e.ObjectRef}
}

// auditDetails says the few facts of an entry worth reading, in French; identifiers are left
// out (the names above stand for them).
func auditDetails(e audit.Event) []string {
	var out []string
	d := e.Details
	// A list read records how many items it returned. (The trail's own reads record 1, a page;
	// that count says nothing and is left out.)
	if c, ok := d["count"]; ok && e.ObjectType == "list" && e.Action != "read.audit.events" {
		if n, err := strconv.Atoi(c); err == nil {
			out = append(out, plural(n, "élément lu", "éléments lus"))
		}
	}
	if v := d["fields"]; v != "" {
		var labels []string
		for _, f := range strings.Split(v, ",") {
			if l, ok := auditFields[f]; ok {
				f = l
			}
			labels = append(labels, f)
		}
		out = append(out, "Champs : "+strings.Join(labels, ", "))
	}
	if v := d["status"]; v != "" {
		out = append(out, "Décision : "+org.Habilitation(v).Label())
	}
	if v := d["decision"]; v != "" {
		out = append(out, "Décision : "+map[string]string{"accepted": "acceptée", "refused": "refusée"}[v])
	}
	if v := d["kind"]; v != "" {
		if k, ok := org.Kind(v); ok {
			v = k.Label
		}
		out = append(out, "Type : "+v)
	}
	if v := d["reason"]; v == "inactivity" {
		out = append(out, "Motif : inactivité")
	}
	if v := d["relation"]; v != "" {
		var labels []string
		for _, code := range strings.Split(v, "+") {
			if l, ok := auditRelations[code]; ok {
				code = l
			}
			labels = append(labels, code)
		}
		out = append(out, "Lien : "+strings.Join(labels, ", "))
	}
	return out
}
