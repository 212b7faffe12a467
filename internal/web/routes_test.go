package web_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/org"
)

// The roles every route is tried with.
const (
	anon           = "anonyme"
	jobSeeker      = "candidat"
	noOrg          = "pro-sans-organisation"
	employerAdmin  = "employeur-admin"
	employerMember = "employeur-membre"
	prescriberAdm  = "prescripteur-admin"
	ddets          = "ddets"
	staff          = "staff"
	staffNoMFA     = "staff-sans-mfa"
)

var roles = append([]string{anon, jobSeeker, noOrg, employerMember, prescriberAdm, ddets, staffNoMFA, employerAdmin, staff}, supportRoles...)

// world is the fixture: two employer organisations (own A, other B), two prescribers in two
// départements (P in 69 with the DDETS, Q in 13), a DDETS in 69, and one account per role.
type world struct {
	s      *stack
	tokens map[string]string
	users  map[string]account.User
	orgs   map[string]org.Organisation
	// Records inside the organisations, by organisation key.
	joinReq     map[string]uuid.UUID
	invitation  map[string]uuid.UUID
	invToken    string
	jd          map[string]uuid.UUID
	otherSess   uuid.UUID // a session of someone else
	staffSecret string
	mailID      string
	// People and applications: "own" (followed by P, applied to A), "other" (followed by Q,
	// applied to B), "js" (the job seeker's own file, applied to A).
	person map[string]uuid.UUID
	app    map[string]uuid.UUID
	// Diagnoses: "own" by P (authorised) about its person, "other" by Q about theirs, "js" by
	// the employer A about the job seeker, who applied there.
	diag     map[string]uuid.UUID
	importID uuid.UUID // a registry import, queued
	// secrets are the TOTP keys of the roles with a second factor; sup the adapted support's records.
	secrets map[string]string
	sup     *supportWorld
	// PASS IAE: "own" issued on a hire by A of a person P follows, "other" by B of a person Q
	// follows, both 400 days old with a prolongation request pending (to P, to Q); delivery is
	// a hire by A waiting for staff.
	pass     map[string]uuid.UUID
	request  map[string]uuid.UUID
	delivery uuid.UUID
}

// canaries are values planted in the people's files: each may appear only in responses to the
// roles listed (the route × role test checks every response).
var canaries = []struct {
	values []string
	seenBy []string
}{
	{[]string{"290057512345669", "06 99 88 77 66", "0699887766", "CANARI-BESOIN-PROPRE", "CANARI-CV-PROPRE", "CANARI-MESSAGE-PROPRE"}, []string{prescriberAdm, employerAdmin, employerMember, staff}},
	{[]string{"184127645108946", "0655443322", "06 55 44 33 22", "CANARI-BESOIN-AUTRE", "CANARI-CV-AUTRE", "CANARI-MESSAGE-AUTRE"}, []string{staff}},
	{[]string{"CANARI-BESOIN-CANDIDAT", "0611002200", "CANARI-CV-CANDIDAT", "CANARI-MESSAGE-CANDIDAT"}, []string{jobSeeker, employerAdmin, employerMember, staff}},
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	s := newStack(t, db, true)
	ctx := context.Background()
	w := &world{s: s, tokens: map[string]string{}, users: map[string]account.User{}, orgs: map[string]org.Organisation{},
		joinReq: map[string]uuid.UUID{}, invitation: map[string]uuid.UUID{}, jd: map[string]uuid.UUID{},
		person: map[string]uuid.UUID{}, app: map[string]uuid.UUID{}, diag: map[string]uuid.UUID{}, secrets: map[string]string{}}
	mk := func(key string, kind access.UserKind) account.User {
		u := s.user(t, kind, key+"@exemple.fr")
		w.users[key] = u
		return u
	}
	st := mk(staff, access.Staff)
	mk(staffNoMFA, access.Staff)
	mk(jobSeeker, access.JobSeeker)
	mk(noOrg, access.Professional)
	ea, em := mk(employerAdmin, access.Professional), mk(employerMember, access.Professional)
	pa, da := mk(prescriberAdm, access.Professional), mk(ddets, access.Professional)
	eb := mk("employeur-b", access.Professional)
	eb2 := mk("membre-b", access.Professional)
	qa := mk("prescripteur-q", access.Professional)

	staffActor := access.Actor{UserID: st.ID, Kind: access.Staff, MFA: true}
	w.orgs["A"] = s.createOrg(t, staffActor, "ACI", "Atelier A", siret("1111111100001"), "69381", ea, em)
	w.orgs["B"] = s.createOrg(t, staffActor, "ACI", "Atelier B", siret("2222222200001"), "13055", eb, eb2)
	w.orgs["P"] = s.createOrg(t, staffActor, "CCAS", "CCAS P", siret("3333333300001"), "69266", pa)
	w.orgs["Q"] = s.createOrg(t, staffActor, "CCAS", "CCAS Q", siret("4444444400001"), "13055", qa)
	w.orgs["D"] = s.createOrg(t, staffActor, "DDETS_IAE", "DDETS 69", siret("5555555500001"), "69123", da)
	// Both prescribers are habilitated: their members make eligibility diagnoses.
	for _, k := range []string{"P", "Q"} {
		if err := s.orgs.DecideHabilitation(ctx, staffActor, w.orgs[k].ID, org.Validated, "Vérifié"); err != nil {
			t.Fatal(err)
		}
	}

	// Both employers are registered structures with a valid convention and a job description.
	for _, k := range []string{"A", "B"} {
		o := w.orgs[k]
		start, _ := database.ParseDate("2025-01-01")
		end, _ := database.ParseDate("2027-12-31")
		if _, err := s.offer.SaveRegistryEntry(ctx, staffActor, offer.RegistryEntry{SIRET: o.SIRET, Kind: o.Kind, Name: o.Name,
			CommuneCode: o.CommuneCode, ConventionNumber: "ACI-" + k, ConventionStartsOn: start, ConventionEndsOn: end}); err != nil {
			t.Fatal(err)
		}
		jd, err := s.offer.CreateJobDescription(ctx, staffActor, o.ID, offer.JobDescriptionInput{AppellationCode: "17506",
			ContractType: offer.ContractCDDI, HoursPerWeek: 26, OpenPositions: 2})
		if err != nil {
			t.Fatal(err)
		}
		w.jd[k] = jd.ID
	}

	imp, err := s.imports.Submit(ctx, staffActor, "registre.csv", []byte("siret;type;raison_sociale;code_insee\n"+siret("6600000000001")+";EI;Régie;69123\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.importID = imp.ID

	// A pending join request and invitation in each employer organisation.
	noOrgActor := access.Actor{UserID: w.users[noOrg].ID, Kind: access.Professional}
	for _, k := range []string{"A", "B"} {
		if err := s.orgs.RequestJoin(ctx, noOrgActor, w.orgs[k].ID, "bonjour"); err != nil {
			t.Fatal(err)
		}
		reqs, err := s.orgs.OrphanJoinRequests(ctx, staffActor)
		_ = reqs
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"A", "B"} {
		admin := access.Actor{UserID: w.users[map[string]string{"A": employerAdmin, "B": "employeur-b"}[k]].ID, Kind: access.Professional,
			OrgID: w.orgs[k].ID, OrgAdmin: true, Role: access.Employer}
		page, err := s.orgs.LoadPage(ctx, admin, w.orgs[k].ID)
		if reqs := page.JoinRequests; err != nil || len(reqs) != 1 {
			t.Fatalf("join requests of %s: %v %v", k, reqs, err)
		}
		w.joinReq[k] = page.JoinRequests[0].ID
		if err := s.orgs.Invite(ctx, admin, w.orgs[k].ID, "invite-"+strings.ToLower(k)+"@exemple.fr"); err != nil {
			t.Fatal(err)
		}
		page, err = s.orgs.LoadPage(ctx, admin, w.orgs[k].ID)
		invs := page.Invitations
		if err != nil || len(invs) != 1 {
			t.Fatal(err)
		}
		w.invitation[k] = invs[0].ID
	}
	w.invToken = "jeton-inconnu"

	// People with canaries in their NIR, phone, support needs and application messages.
	acting := func(key string, orgKey string) access.Actor {
		a, _, err := s.orgs.Actor(ctx, w.users[key], w.orgs[orgKey].ID, false)
		if err != nil || a.OrgID != w.orgs[orgKey].ID {
			t.Fatalf("actor %s: %+v %v", key, a, err)
		}
		return a
	}
	for _, p := range []struct {
		key, sender, orgKey, to string
		civility                jobseeker.Civility
		nir, phone, canary      string
		born                    database.Date
	}{
		{"own", prescriberAdm, "P", "A", jobseeker.Madame, "290057512345669", "0699887766", "PROPRE", database.Date{Year: 1990, Month: 5, Day: 12}},
		{"other", "prescripteur-q", "Q", "B", jobseeker.Monsieur, "184127645108946", "0655443322", "AUTRE", database.Date{Year: 1984, Month: 12, Day: 3}},
	} {
		by := acting(p.sender, p.orgKey)
		j, err := s.people.Create(ctx, by, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
			Identity: jobseeker.Identity{Civility: p.civility, BirthName: "Canari", FirstNames: "Personne " + p.key, BirthDate: p.born,
				BornInFrance: true, BirthCommune: "69123"},
			NIR: p.nir, NoFTIDReason: jobseeker.FTNotRegistered, Phone: p.phone, CommuneCode: "69266",
			Needs: jobseeker.SupportNeeds{jobseeker.NeedHealth: "CANARI-BESOIN-" + p.canary}}})
		if err != nil {
			t.Fatal(err)
		}
		w.person[p.key] = j.ID
		cv := cvUpload(t, s, by, "CANARI-CV-"+p.canary)
		a, err := s.apps.Send(ctx, by, application.SendInput{JobSeekerID: j.ID, StructureID: w.orgs[p.to].ID, JobDescriptions: []uuid.UUID{w.jd[p.to]},
			Message: "CANARI-MESSAGE-" + p.canary, CV: &cv})
		if err != nil {
			t.Fatal(err)
		}
		w.app[p.key] = a.ID
	}
	jsActor := access.Actor{UserID: w.users[jobSeeker].ID, Kind: access.JobSeeker}
	own, err := s.people.Create(ctx, jsActor, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: "Candidate", FirstNames: "Inès", BirthDate: database.Date{Year: 1995, Month: 3, Day: 2},
			BornInFrance: false, BirthCountry: "MA"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTIDForgotten, Phone: "0611002200", CommuneCode: "69123",
		Needs: jobseeker.SupportNeeds{jobseeker.NeedMobility: "CANARI-BESOIN-CANDIDAT"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.person["js"] = own.ID
	jsCV := cvUpload(t, s, jsActor, "CANARI-CV-CANDIDAT")
	ja, err := s.apps.Send(ctx, jsActor, application.SendInput{JobSeekerID: own.ID, StructureID: w.orgs["A"].ID, JobDescriptions: []uuid.UUID{w.jd["A"]},
		Message: "CANARI-MESSAGE-CANDIDAT", CV: &jsCV})
	if err != nil {
		t.Fatal(err)
	}
	w.app["js"] = ja.ID

	// Diagnoses: each prescriber's about the person it follows, the employer A's about the job
	// seeker.
	for key, by := range map[string]access.Actor{"own": acting(prescriberAdm, "P"), "other": acting("prescripteur-q", "Q"), "js": acting(employerAdmin, "A")} {
		d, err := s.elig.Make(ctx, by, w.person[key], []string{"RSA"})
		if err != nil {
			t.Fatalf("diagnosis %s: %v", key, err)
		}
		w.diag[key] = d.ID
	}

	w.passWorld(t, acting)
	w.plantSupport(t)

	// Sessions: staff with MFA; the others with a password.
	w.staffSecret = s.enrol(t, st)
	w.secrets[staff] = w.staffSecret
	w.tokens[staff] = s.login(t, st.Email, w.staffSecret)
	for _, key := range []string{staffNoMFA, jobSeeker, noOrg, employerAdmin, employerMember, prescriberAdm, ddets} {
		w.tokens[key] = s.login(t, w.users[key].Email, "")
	}
	other := s.login(t, eb.Email, "")
	a, err := s.accounts.Authenticate(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	w.otherSess = a.Session.ID
	w.mailID = "00000000-0000-0000-0000-000000000000"
	return w
}

// passWorld makes the PASS IAE of the world, 400 days ago, so that today is in their
// prolongation window.
func (w *world) passWorld(t *testing.T, acting func(key, orgKey string) access.Actor) {
	t.Helper()
	s, ctx := w.s, context.Background()
	now := s.clock.Now()
	s.clock.Set(now.AddDate(0, 0, -400))
	defer s.clock.Set(now)
	w.pass, w.request = map[string]uuid.UUID{}, map[string]uuid.UUID{}
	today := database.ParisDate(s.clock.Now())
	hire := application.Hire{Start: today, ContractType: offer.ContractCDDI, HoursPerWeek: 26}
	for key, k := range map[string][2]string{"own": {"P", "A"}, "other": {"Q", "B"}} {
		presc := acting(map[string]string{"P": prescriberAdm, "Q": "prescripteur-q"}[k[0]], k[0])
		emp := acting(map[string]string{"A": employerAdmin, "B": "employeur-b"}[k[1]], k[1])
		j, err := s.people.Create(ctx, presc, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
			Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: "Titulaire", FirstNames: "PASS " + key, BirthDate: database.Date{Year: 1980, Month: 1, Day: 2},
				BornInFrance: true, BirthCommune: "69123"},
			NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.apps.Send(ctx, presc, application.SendInput{JobSeekerID: j.ID, StructureID: w.orgs[k[1]].ID, JobDescriptions: []uuid.UUID{w.jd[k[1]]}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.elig.Make(ctx, presc, j.ID, []string{"RSA"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.apps.Decide(ctx, emp, a.ID, application.Accept, application.Decision{Hire: hire}); err != nil {
			t.Fatalf("hire %s: %v", key, err)
		}
		all, err := s.passes.ForPerson(ctx, emp, j.ID, access.PurposeIAEFollowUp)
		if err != nil || len(all) != 1 {
			t.Fatalf("PASS %s: %v", key, err)
		}
		w.pass[key] = all[0].ID
		s.clock.Set(now)
		w.request[key], err = s.passes.Prolong(ctx, emp, all[0].ID, approval.ProlongInput{Prescriber: presc.OrgID,
			ProlongationInput: approval.ProlongationInput{Reason: approval.Senior, End: all[0].End.AddDays(100)}})
		if err != nil {
			t.Fatalf("prolongation request %s: %v", key, err)
		}
		s.clock.Set(now.AddDate(0, 0, -400))
	}
	s.clock.Set(now)
	// A hire by A of a person without identifier: staff deliver the PASS by hand.
	emp := acting(employerAdmin, "A")
	j, err := s.people.Create(ctx, emp, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Monsieur, BirthName: "Attente", FirstNames: "Sans identifiant", BirthDate: database.Date{Year: 1975, Month: 6, Day: 7},
			BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTIDForgotten, CommuneCode: "69266"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.apps.Send(ctx, emp, application.SendInput{JobSeekerID: j.ID, StructureID: w.orgs["A"].ID, JobDescriptions: []uuid.UUID{w.jd["A"]}, SelfHire: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.elig.Make(ctx, emp, j.ID, []string{"RSA"}); err != nil {
		t.Fatal(err)
	}
	hire.Start = database.ParisDate(s.clock.Now())
	if _, err := s.apps.Decide(ctx, emp, a.ID, application.Accept, application.Decision{Hire: hire}); err != nil {
		t.Fatal(err)
	}
	queue, err := s.passes.Deliveries(ctx, access.Actor{UserID: w.users[staff].ID, Kind: access.Staff, MFA: true})
	if err != nil || len(queue) != 1 {
		t.Fatalf("queue %v", err)
	}
	w.delivery = queue[0].ID
}

// token returns the role's session, logging in again if an earlier request ended it (logout).
func (w *world) token(t *testing.T, role string) string {
	t.Helper()
	tok := w.tokens[role]
	if tok == "" {
		return ""
	}
	if _, err := w.s.accounts.Authenticate(context.Background(), tok); err == nil {
		return tok
	}
	w.tokens[role] = w.s.login(t, w.users[role].Email, w.secrets[role])
	return w.tokens[role]
}

// ownOrg is the organisation a role acts for (A for those without one).
func ownOrg(role string) string {
	switch role {
	case prescriberAdm:
		return "P"
	case ddets:
		return "D"
	}
	return "A"
}

// expectation of a request.
type expect int

const (
	public expect = iota // anyone: must not be refused nor crash
	allow                // must be reached (not refused)
	deny                 // must be refused: 401/403/404 or sent to log in / to a missing step
)

// routeCase builds the request for a role and a target ("own" or "other") and says what to expect.
type routeCase struct {
	path   func(w *world, role, target string) string
	form   func(w *world, role, target string) url.Values
	expect func(role, target string) expect
}

func always(e expect) func(string, string) expect { return func(string, string) expect { return e } }

func only(allowed ...string) func(string, string) expect {
	return func(role, _ string) expect {
		for _, a := range allowed {
			if a == role {
				return allow
			}
		}
		return deny
	}
}

// ownOnly allows roles (listed) on their own organisation only, staff everywhere.
func ownOnly(allowed ...string) func(string, string) expect {
	return func(role, target string) expect {
		if role == staff {
			return allow
		}
		for _, a := range allowed {
			if a == role && target == "own" {
				return allow
			}
		}
		return deny
	}
}

func fixed(p string) func(*world, string, string) string {
	return func(*world, string, string) string { return p }
}

func orgPath(suffix string) func(*world, string, string) string {
	return func(w *world, role, target string) string {
		k := ownOrg(role)
		if target == "other" {
			k = "B"
		}
		return "/organisations/" + w.orgs[k].ID.String() + suffix
	}
}

// structPath targets the role's own structure (A for roles without one) or the other (B).
func structPath(suffix string) func(*world, string, string) string {
	return func(w *world, role, target string) string {
		k := "A"
		if target == "other" {
			k = "B"
		}
		return "/structures/" + w.orgs[k].ID.String() + suffix
	}
}

func jdPath(suffix string) func(*world, string, string) string {
	return func(w *world, role, target string) string {
		k := "A"
		if target == "other" {
			k = "B"
		}
		return "/structures/" + w.orgs[k].ID.String() + "/fiches-de-poste/" + w.jd[k].String() + suffix
	}
}

// cvUpload is a checked PDF holding a canary, as the apply form would send it.
func cvUpload(t *testing.T, s *stack, by access.Actor, canary string) files.Upload {
	t.Helper()
	content := "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + canary + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	up, err := s.files.Accept(context.Background(), by, strings.NewReader(content), "cv.pdf", application.CVRules())
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// personPath targets the person the role's organisation follows ("own"; the job seeker's own
// file for the job seeker) or another organisation's ("other").
func personPath(suffix string) func(*world, string, string) string {
	return func(w *world, role, target string) string {
		k := target
		if target == "own" && role == jobSeeker {
			k = "js"
		}
		return "/candidats/" + w.person[k].String() + suffix
	}
}

// appPath targets an application the role's organisation sent or received ("own"; the job
// seeker's own for the job seeker) or another organisation's ("other").
func appPath(suffix string) func(*world, string, string) string {
	return func(w *world, role, target string) string {
		k := target
		if target == "own" && role == jobSeeker {
			k = "js"
		}
		return "/candidatures/" + w.app[k].String() + suffix
	}
}

// passPath targets the PASS of the hire by the role's structure ("own") or by B ("other").
func passPath(suffix string) func(*world, string, string) string {
	return func(w *world, _, target string) string { return "/pass-iae/" + w.pass[target].String() + suffix }
}

// requestPath targets the prolongation request sent to P ("own") or to Q ("other").
func requestPath(suffix string) func(*world, string, string) string {
	return func(w *world, _, target string) string {
		return "/prolongations/" + w.request[target].String() + suffix
	}
}

// ownFor allows the listed roles on their own records only, and the listed roles everywhere.
func ownFor(own []string, everywhere ...string) func(string, string) expect {
	return func(role, target string) expect {
		if slices.Contains(everywhere, role) || target == "own" && slices.Contains(own, role) {
			return allow
		}
		return deny
	}
}

func vals(kv ...string) func(*world, string, string) url.Values {
	return func(*world, string, string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
}

var fullyLoggedIn = []string{jobSeeker, noOrg, employerAdmin, employerMember, prescriberAdm, ddets, staff}
var professionals = []string{noOrg, employerAdmin, employerMember, prescriberAdm, ddets}

// routeTable lists every route. A route missing here fails TestEveryRouteForEveryRole.
var routeTable = map[string]routeCase{
	"GET /healthz":          {path: fixed("/healthz"), expect: always(public)},
	"GET /readyz":           {path: fixed("/readyz"), expect: always(public)},
	"GET /metrics":          {path: fixed("/metrics"), expect: always(public)},
	"GET /static/{path...}": {path: fixed("/static/css/parcours.css"), expect: always(public)},
	"GET /{$}":              {path: fixed("/"), expect: always(public)},
	// The JSON API never reads the session: its own tests cover it (internal/api).
	"/api/":                              {path: fixed("/api/v1/openapi.json"), expect: always(public)},
	"GET /accessibilite":                 {path: fixed("/accessibilite"), expect: always(public)},
	"GET /mentions-legales":              {path: fixed("/mentions-legales"), expect: always(public)},
	"GET /donnees-personnelles":          {path: fixed("/donnees-personnelles"), expect: always(public)},
	"GET /cgu":                           {path: fixed("/cgu"), expect: always(public)},
	"GET /communes":                      {path: fixed("/communes?commune=lyon"), expect: always(public)},
	"GET /inscription":                   {path: fixed("/inscription"), expect: always(public)},
	"GET /inscription/{kind}":            {path: fixed("/inscription/candidat"), expect: always(public)},
	"POST /inscription/{kind}":           {path: fixed("/inscription/candidat"), form: vals("email", "x@exemple.fr"), expect: always(public)},
	"GET /confirmer-email":               {path: fixed("/confirmer-email"), expect: always(public)},
	"POST /confirmer-email":              {path: fixed("/confirmer-email"), form: vals("email", "x@exemple.fr"), expect: always(public)},
	"GET /confirmer-email/{token}":       {path: fixed("/confirmer-email/inconnu"), expect: always(public)},
	"GET /connexion":                     {path: fixed("/connexion"), expect: always(public)},
	"POST /connexion":                    {path: fixed("/connexion"), form: vals("email", "x@exemple.fr", "password", "faux"), expect: always(public)},
	"GET /mot-de-passe/oubli":            {path: fixed("/mot-de-passe/oubli"), expect: always(public)},
	"POST /mot-de-passe/oubli":           {path: fixed("/mot-de-passe/oubli"), form: vals("email", "x@exemple.fr"), expect: always(public)},
	"GET /mot-de-passe/nouveau/{token}":  {path: fixed("/mot-de-passe/nouveau/inconnu"), expect: always(public)},
	"POST /mot-de-passe/nouveau/{token}": {path: fixed("/mot-de-passe/nouveau/inconnu"), form: vals("password", pw), expect: always(public)},
	"GET /invitation/{token}":            {path: fixed("/invitation/inconnu"), expect: always(public)},
	"POST /invitation/{token}":           {path: fixed("/invitation/inconnu"), form: vals("first_name", "A", "last_name", "B", "password", pw, "accept_terms", "on"), expect: always(public)},
	"GET /demo/courriels":                {path: fixed("/demo/courriels"), expect: always(public)},
	"GET /demo/courriels/{id}":           {path: func(w *world, _, _ string) string { return "/demo/courriels/" + w.mailID }, expect: always(public)},

	// Any session, even one waiting for its second factor.
	"GET /connexion/double-facteur":  {path: fixed("/connexion/double-facteur"), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},
	"POST /connexion/double-facteur": {path: fixed("/connexion/double-facteur"), form: vals("code", "000000"), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},
	"POST /deconnexion":              {path: fixed("/deconnexion"), form: vals(), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},

	// Enrolment is open to the staff who must enrol.
	"GET /compte/double-facteur":               {path: fixed("/compte/double-facteur"), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},
	"POST /compte/double-facteur/activation":   {path: fixed("/compte/double-facteur/activation"), form: vals(), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},
	"POST /compte/double-facteur/confirmation": {path: fixed("/compte/double-facteur/confirmation"), form: vals("code", "000000"), expect: only(append([]string{staffNoMFA}, fullyLoggedIn...)...)},
	// Staff must keep their second factor.
	"POST /compte/double-facteur/desactivation": {path: fixed("/compte/double-facteur/desactivation"), form: vals("password", "faux"), expect: only(jobSeeker, noOrg, employerAdmin, employerMember, prescriberAdm, ddets)},
	"POST /compte/double-facteur/codes":         {path: fixed("/compte/double-facteur/codes"), form: vals("password", "faux"), expect: only(fullyLoggedIn...)},
	"GET /cgu/accepter":                         {path: fixed("/cgu/accepter"), expect: only(fullyLoggedIn...)},
	"POST /cgu/accepter":                        {path: fixed("/cgu/accepter"), form: vals(), expect: only(fullyLoggedIn...)},

	// Own account.
	"GET /tableau-de-bord":      {path: fixed("/tableau-de-bord"), expect: only(fullyLoggedIn...)},
	"GET /compte":               {path: fixed("/compte"), expect: only(fullyLoggedIn...)},
	"POST /compte/profil":       {path: fixed("/compte/profil"), form: vals("first_name", "Nouveau", "last_name", "Nom"), expect: only(fullyLoggedIn...)},
	"POST /compte/mot-de-passe": {path: fixed("/compte/mot-de-passe"), form: vals("current_password", "faux", "new_password", "x"), expect: only(fullyLoggedIn...)},
	"POST /compte/sessions/{id}/fermer": {
		path: func(w *world, _, target string) string {
			if target == "other" {
				return "/compte/sessions/" + w.otherSess.String() + "/fermer"
			}
			return "/compte/sessions/" + uuid.Nil.String() + "/fermer"
		},
		form: vals(),
		// Nobody may close someone else's session; an unknown own id is simply not found.
		expect: always(deny),
	},

	// Organisations.
	"GET /organisations/rattachement": {path: fixed("/organisations/rattachement?siret=11111111000011"), expect: only(professionals...)},
	"POST /organisations":             {path: fixed("/organisations"), form: vals("kind", "CCAS", "name", "CCAS test", "siret", "", "commune", "69123"), expect: only(append([]string{staff}, professionals...)...)},
	"GET /organisations/{id}":         {path: orgPath(""), expect: ownOnly(employerAdmin, employerMember, prescriberAdm, ddets)},
	"POST /organisations/{id}/demandes": {path: orgPath("/demandes"), form: vals("message", "bonjour"),
		// Any professional may ask to join an organisation they are not in; members of the
		// target cannot; staff, job seekers and anonymous visitors cannot.
		expect: func(role, target string) expect {
			switch {
			case role == noOrg:
				return allow
			case target == "other" && (role == employerAdmin || role == employerMember || role == prescriberAdm || role == ddets):
				return allow
			}
			return deny
		}},
	"POST /organisations/{id}/demandes/{req}/decision": {
		path: func(w *world, role, target string) string {
			k := "A"
			if target == "other" {
				k = "B"
			}
			return "/organisations/" + w.orgs[k].ID.String() + "/demandes/" + w.joinReq[k].String() + "/decision"
		},
		form: vals("decision", "refuser", "reason", "Pas de poste"), expect: ownOnly(employerAdmin)},
	"POST /organisations/{id}/invitations": {path: orgPath("/invitations"), form: vals("email", "nouveau@exemple.fr"), expect: ownOnly(employerAdmin, prescriberAdm, ddets)},
	"POST /organisations/{id}/invitations/{inv}/annulation": {
		path: func(w *world, role, target string) string {
			k := "A"
			if target == "other" {
				k = "B"
			}
			return "/organisations/" + w.orgs[k].ID.String() + "/invitations/" + w.invitation[k].String() + "/annulation"
		},
		form: vals(), expect: ownOnly(employerAdmin)},
	"POST /organisations/{id}/membres": {path: orgPath("/membres"), form: vals("member_email", "employeur-b@exemple.fr"), expect: only(staff)},
	"POST /organisations/{id}/membres/{user}": {
		path: func(w *world, role, target string) string {
			k, member := "A", w.users[employerMember].ID
			if target == "other" {
				k, member = "B", w.users["membre-b"].ID
			}
			return "/organisations/" + w.orgs[k].ID.String() + "/membres/" + member.String()
		},
		form: vals("action", "admin"), expect: ownOnly(employerAdmin)},
	"POST /organisations/{id}/habilitation": {
		// Targets are prescribers: P (69, the DDETS's département) and Q (13).
		path: func(w *world, role, target string) string {
			k := "P"
			if target == "other" {
				k = "Q"
			}
			return "/organisations/" + w.orgs[k].ID.String() + "/habilitation"
		},
		form: vals("status", "REFUSED", "reason", "Pièces manquantes"),
		expect: func(role, target string) expect {
			if role == staff || (role == ddets && target == "own") {
				return allow
			}
			return deny
		}},
	"GET /organisation/courante": {path: fixed("/organisation/courante"), expect: only(fullyLoggedIn...)},
	"POST /organisation/courante": {
		path: fixed("/organisation/courante"),
		form: func(w *world, role, target string) url.Values {
			k := ownOrg(role)
			if target == "other" {
				k = "B"
			}
			return url.Values{"org": {w.orgs[k].ID.String()}}
		},
		expect: func(role, target string) expect {
			if target == "own" && (role == employerAdmin || role == employerMember || role == prescriberAdm || role == ddets) {
				return allow
			}
			return deny
		}},
	"GET /habilitations": {path: fixed("/habilitations"), expect: only(staff, ddets)},

	// Job seekers and applications (issue 8).
	"GET /candidats":         {path: fixed("/candidats"), expect: only(employerAdmin, employerMember, prescriberAdm, ddets, staff)},
	"GET /candidats/nouveau": {path: fixed("/candidats/nouveau"), expect: only(employerAdmin, employerMember, prescriberAdm)},
	"POST /candidats":        {path: fixed("/candidats"), form: vals("birth_name", ""), expect: only(employerAdmin, employerMember, prescriberAdm)},
	"POST /candidats/retrouver": {path: fixed("/candidats/retrouver"),
		form: func(w *world, role, target string) url.Values {
			if target == "other" {
				return url.Values{"find_nir": {"184127645108946"}, "find_birth_date": {"1984-12-03"}}
			}
			return url.Values{"find_nir": {"290057512345669"}, "find_birth_date": {"1990-05-12"}}
		},
		expect: only(employerAdmin, employerMember, prescriberAdm)},
	"GET /candidats/{id}":          {path: personPath(""), expect: ownFor([]string{jobSeeker, prescriberAdm, employerAdmin, employerMember}, staff)},
	"GET /candidats/{id}/modifier": {path: personPath("/modifier"), expect: ownFor([]string{jobSeeker, prescriberAdm})},
	"POST /candidats/{id}":         {path: personPath(""), form: vals("birth_name", ""), expect: ownFor([]string{jobSeeker, prescriberAdm})},
	// Erasure: the staff reach the form (an empty reason erases nothing: 422); nobody else does.
	"POST /candidats/{id}/effacement": {path: personPath("/effacement"), form: vals("reason", ""), expect: only(staff)},
	"GET /mon-dossier":                {path: fixed("/mon-dossier"), expect: only(jobSeeker)},
	"POST /mon-dossier":               {path: fixed("/mon-dossier"), form: vals("birth_name", ""), expect: only(jobSeeker)},
	"GET /structures/{id}/postuler":   {path: structPath("/postuler"), expect: only(jobSeeker, employerAdmin, employerMember, prescriberAdm)},
	"POST /structures/{id}/postuler": {path: structPath("/postuler"),
		form: func(w *world, _, _ string) url.Values {
			return url.Values{"candidat": {w.person["own"].String()}, "job_descriptions": {w.jd["A"].String(), w.jd["B"].String()}, "message": {"Bonjour"}}
		},
		expect: only(jobSeeker, employerAdmin, employerMember, prescriberAdm)},
	"GET /candidatures":         {path: fixed("/candidatures"), expect: only(jobSeeker, employerAdmin, employerMember, prescriberAdm, ddets)},
	"GET /candidatures/export":  {path: fixed("/candidatures/export?format=xlsx"), expect: only(jobSeeker, employerAdmin, employerMember, prescriberAdm, ddets)},
	"GET /candidatures/{id}":    {path: appPath(""), expect: ownFor([]string{jobSeeker, prescriberAdm, employerAdmin, employerMember}, staff)},
	"GET /candidatures/{id}/cv": {path: appPath("/cv"), expect: ownFor([]string{jobSeeker, prescriberAdm, employerAdmin, employerMember}, staff)},
	"POST /candidatures/{id}/decision": {path: appPath("/decision"), form: vals("action", "process"),
		expect: ownFor([]string{employerAdmin, employerMember})},
	// An accepted application only; these are pending: the structure reaches the conflict.
	"POST /candidatures/{id}/embauche": {path: appPath("/embauche"),
		form:   vals("hiring_start", "2027-01-04", "contract_type", "FS", "hours_per_week", "26"),
		expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /candidatures/{id}/envoi": {path: appPath("/envoi"),
		form: func(w *world, _, _ string) url.Values { return url.Values{"target_siret": {w.orgs["B"].SIRET}} },
		// A refused application only; these are pending: reached, then refused as a conflict.
		expect: ownFor([]string{prescriberAdm, employerAdmin, employerMember})},

	"POST /candidatures/lot": {path: fixed("/candidatures/lot"),
		form: func(w *world, _, target string) url.Values {
			return url.Values{"ids": {w.app[target].String()}, "action": {"process"}}
		},
		// Another structure's applications are not found (404), whatever the role.
		expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /candidatures/{id}/actions-prealables": {path: appPath("/actions-prealables"),
		form: vals("prior_kind", "pmsmp", "prior_start", "2026-12-10", "prior_end", "2026-12-20"),
		// Reached by the receiving structure's members, then refused as a conflict: structure A
		// is not a GEIQ (the GEIQ path is tested in package application).
		expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /candidatures/{id}/actions-prealables/{action}/suppression": {path: appPath("/actions-prealables/" + uuid.NewString() + "/suppression"),
		// No prior action exists in this world: 404 for the receiving structure, 403 for the
		// others (package application tests the deletion and who may).
		form: vals(), expect: always(deny)},
	"GET /compte/notifications": {path: fixed("/compte/notifications"), expect: only(noOrg, employerAdmin, employerMember, prescriberAdm, ddets)},
	"POST /compte/notifications": {path: fixed("/compte/notifications"),
		form: func(w *world, role, target string) url.Values {
			k := ownOrg(role)
			if target == "other" {
				k = "B"
			}
			return url.Values{"org": {w.orgs[k].ID.String()}, "on": {"application_received"}}
		},
		expect: func(role, target string) expect {
			if target == "own" && slices.Contains([]string{employerAdmin, employerMember, prescriberAdm, ddets}, role) {
				return allow
			}
			return deny
		}},
	// Eligibility diagnoses (issue 9). The employer A's person "own" has P's diagnosis, which
	// takes precedence: A's form says so instead of refusing, and a diagnosis sent is refused
	// at the form (422), not by access.
	"GET /candidats/{id}/diagnostic": {path: personPath("/diagnostic"), expect: ownFor([]string{prescriberAdm, employerAdmin, employerMember})},
	"POST /candidats/{id}/diagnostic": {path: personPath("/diagnostic"), form: vals("criteres", "RSA"),
		expect: ownFor([]string{prescriberAdm, employerAdmin, employerMember})},
	"GET /diagnostics/{id}": {path: func(w *world, role, target string) string {
		k := target
		if target == "own" && role == jobSeeker {
			k = "js"
		}
		return "/diagnostics/" + w.diag[k].String()
	}, expect: ownFor([]string{jobSeeker, prescriberAdm, employerAdmin, employerMember})},

	// PASS IAE (issue 9).
	"GET /pass-iae":                         {path: fixed("/pass-iae"), expect: only(jobSeeker, employerAdmin, employerMember, prescriberAdm)},
	"GET /pass-iae/{id}":                    {path: passPath(""), expect: ownFor([]string{prescriberAdm, employerAdmin, employerMember}, staff)},
	"GET /pass-iae/{id}/attestation":        {path: passPath("/attestation"), expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /pass-iae/{id}/suspension":        {path: passPath("/suspension"), form: vals("reason", "contract_broken", "start", "2026-11-20"), expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /pass-iae/{id}/fin-de-suspension": {path: passPath("/fin-de-suspension"), form: vals(), expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /pass-iae/{id}/prolongation":      {path: passPath("/prolongation"), form: vals("prolongation_reason", "complete_training", "prolongation_end", "2028-06-01"), expect: ownFor([]string{employerAdmin, employerMember})},
	"POST /pass-iae/{id}/interruption":      {path: passPath("/interruption"), form: vals("interruption_reason", "other"), expect: ownFor([]string{employerAdmin, employerMember})},
	"GET /prolongations":                    {path: fixed("/prolongations"), expect: only(prescriberAdm)},
	"GET /prolongations/{id}":               {path: requestPath(""), expect: ownFor([]string{prescriberAdm})},
	"POST /prolongations/{id}/decision":     {path: requestPath("/decision"), form: vals("decision", "refuser", "deny_reason", "iae"), expect: ownFor([]string{prescriberAdm})},
	"GET /admin/pass-iae":                   {path: fixed("/admin/pass-iae"), expect: only(staff)},
	"POST /admin/pass-iae/{id}/delivrance": {path: func(w *world, _, _ string) string { return "/admin/pass-iae/" + w.delivery.String() + "/delivrance" }, form: vals(),
		// Delivered once: the second request finds nothing to deliver.
		expect: func(role, target string) expect {
			if role == staff && target == "own" {
				return allow
			}
			return deny
		}},
	"GET /verifier-pass-iae":  {path: fixed("/verifier-pass-iae"), expect: always(public)},
	"POST /verifier-pass-iae": {path: fixed("/verifier-pass-iae"), form: vals("numero", "999990000001", "date_naissance", "1980-01-02"), expect: always(public)},

	// Search and structures (issue 3).
	"GET /recherche":                {path: fixed("/recherche?commune=69123&rayon=25"), expect: always(public)},
	"GET /recherche/postes":         {path: fixed("/recherche/postes?commune=69123&rayon=25"), expect: always(public)},
	"GET /recherche/prescripteurs":  {path: fixed("/recherche/prescripteurs?commune=69123"), expect: always(public)},
	"GET /appellations":             {path: fixed("/appellations?metier=jardin"), expect: always(public)},
	"GET /structures/{id}":          {path: structPath(""), expect: always(public)},
	"GET /structures/{id}/modifier": {path: structPath("/modifier"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/modifier": {path: structPath("/modifier"), form: vals("commune", "69381", "brand", "Les jardins",
		"phone", "0412345678", "description", "Maraîchage bio"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/candidatures-spontanees": {path: structPath("/candidatures-spontanees"), form: vals("action", "ouvrir"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/blocage":                 {path: structPath("/blocage"), form: vals("action", "bloquer"), expect: ownOnly(employerAdmin, employerMember)},
	"GET /structures/{id}/fiches-de-poste":          {path: structPath("/fiches-de-poste"), expect: ownOnly(employerAdmin, employerMember)},
	"GET /structures/{id}/fiches-de-poste/nouvelle": {path: structPath("/fiches-de-poste/nouvelle"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/fiches-de-poste/nouvelle": {path: structPath("/fiches-de-poste/nouvelle"), form: vals("metier", "17506",
		"contract_type", "cddi", "hours_per_week", "24", "open_positions", "1"), expect: ownOnly(employerAdmin, employerMember)},
	"GET /structures/{id}/fiches-de-poste/{jd}/modifier": {path: jdPath("/modifier"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/fiches-de-poste/{jd}/modifier": {path: jdPath("/modifier"), form: vals("metier", "17506",
		"contract_type", "cddi", "hours_per_week", "30", "open_positions", "3"), expect: ownOnly(employerAdmin, employerMember)},
	"POST /structures/{id}/fiches-de-poste/{jd}/{action}": {path: jdPath("/confirmer"), form: vals(), expect: ownOnly(employerAdmin, employerMember)},

	// Staff back office.
	"GET /admin":                   {path: fixed("/admin"), expect: only(staff)},
	"GET /admin/utilisateurs":      {path: fixed("/admin/utilisateurs?q=exemple"), expect: only(staff)},
	"GET /admin/utilisateurs/{id}": {path: func(w *world, _, _ string) string { return "/admin/utilisateurs/" + w.users[jobSeeker].ID.String() }, expect: only(staff)},
	"POST /admin/utilisateurs/{id}/statut": {
		path: func(w *world, _, _ string) string {
			return "/admin/utilisateurs/" + w.users["membre-b"].ID.String() + "/statut"
		},
		form: vals("action", "desactiver"), expect: only(staff)},
	"GET /admin/organisations":          {path: fixed("/admin/organisations?q=atelier"), expect: only(staff)},
	"GET /admin/organisations/nouvelle": {path: fixed("/admin/organisations/nouvelle"), expect: only(staff)},
	"POST /admin/organisations":         {path: fixed("/admin/organisations"), form: vals("kind", "AGEFIPH", "name", "Agefiph test", "siret", siret("6666666600001"), "commune", "69123"), expect: only(staff)},
	"GET /admin/demandes":               {path: fixed("/admin/demandes"), expect: only(staff)},
	"GET /admin/journal":                {path: fixed("/admin/journal"), expect: only(staff)},
	"GET /admin/structures/import":      {path: fixed("/admin/structures/import"), expect: only(staff)},
	"POST /admin/structures/import":     {path: fixed("/admin/structures/import"), form: vals(), expect: only(staff)},
	"GET /admin/structures/import/{id}": {path: func(w *world, _, _ string) string { return "/admin/structures/import/" + w.importID.String() },
		expect: only(staff)},
	"GET /admin/structures/import/{id}/etat": {path: func(w *world, _, _ string) string {
		return "/admin/structures/import/" + w.importID.String() + "/etat"
	}, expect: only(staff)},
}

func refused(r response) bool {
	switch r.status {
	case 401, 403, 404, 410:
		return true
	case 302, 303:
		for _, p := range []string{"/connexion", "/compte/double-facteur", "/cgu/accepter"} {
			if strings.HasPrefix(r.location, p) {
				return true
			}
		}
	}
	return false
}

// TestEveryRouteForEveryRole requests every registered route as every role, on the role's own
// organisation and on another one, and fails on any unexpected success (or refusal). A route
// without an entry in routeTable fails the test: adding a route means deciding who may use it.
func TestEveryRouteForEveryRole(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		engine := db.Engine()
		probe := newStack(t, db, true)
		requests := 0
		// shown counts, per canary set, the responses to allowed roles that carry it: the check
		// below looks for something that is there.
		shown := make([]int, len(canaries)+len(healthCanaries))
		for _, r := range probe.server.Routes() {
			rc, ok := routeTable[r.Pattern]
			if !ok {
				rc, ok = supportRouteTable[r.Pattern]
			}
			if !ok {
				t.Errorf("route %q has no entry in routeTable: say who may use it", r.Pattern)
				continue
			}
			method := "GET"
			if m, _, found := strings.Cut(r.Pattern, " "); found {
				method = m
			}
			t.Run(r.Pattern, func(t *testing.T) {
				// A fresh world per route: allowed requests change data (accept a request,
				// deactivate a member) and must not change what the next role may do.
				fresh, _ := databasetest.Open(t, engine)
				w := newWorld(t, fresh)
				for _, role := range roles {
					for _, target := range []string{"own", "other"} {
						if target == "other" && expectFor(r.Pattern, rc, role, "own") == unchecked {
							continue // the support roles' canary check on the other processings' routes: own target only
						}
						path := rc.path(w, role, target)
						var form url.Values
						if rc.form != nil {
							form = rc.form(w, role, target)
						}
						resp := w.s.do(t, method, path, w.token(t, role), form)
						requests++
						want := expectFor(r.Pattern, rc, role, target)
						if resp.status >= 500 {
							t.Errorf("%s %s as %s (%s): %d server error", method, path, role, target, resp.status)
							continue
						}
						for i, c := range allCanaries() {
							if slices.Contains(c.seenBy, role) {
								if strings.Contains(resp.body, c.values[0]) || strings.Contains(resp.body, c.values[len(c.values)-2]) {
									shown[i]++
								}
								continue
							}
							for _, v := range c.values {
								if strings.Contains(resp.body, v) {
									t.Errorf("%s %s as %s (%s): the response holds %q, which this role may not see", method, path, role, target, v)
								}
							}
						}
						switch {
						case want == deny && !refused(resp):
							t.Errorf("%s %s as %s on %s organisation: UNEXPECTED SUCCESS %d %s", method, path, role, target, resp.status, resp.location)
						case want == allow && refused(resp):
							t.Errorf("%s %s as %s on %s organisation: refused (%d %s), should be allowed", method, path, role, target, resp.status, resp.location)
						case want == public && resp.status == 403:
							t.Errorf("%s %s as %s: public route refused", method, path, role)
						}
					}
				}
			})
		}
		for pattern := range mergedRoutes() {
			found := false
			for _, r := range probe.server.Routes() {
				found = found || r.Pattern == pattern
			}
			if !found {
				t.Errorf("routeTable has %q, which is not a route any more", pattern)
			}
		}
		for i, n := range shown {
			if n == 0 {
				t.Errorf("canary set %d never shown to a role allowed to see it: the leak check would find nothing", i)
			}
		}
		t.Logf("%d requests", requests)
	})
}
