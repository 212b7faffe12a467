package web_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/database"
	"parcours/internal/org"
	"parcours/internal/support"
)

// The roles of the adapted support (issue 10), all past a second factor: a habilitated advisor
// of the France Travail agency F (69), a member of F without the habilitation, a habilitated
// advisor of Cap emploi C (69), a habilitated advisor of another agency G (13), an Agefiph
// agent. The first member of each organisation is its admin.
const (
	ftAdvisor   = "conseiller-ft"
	ftNoHab     = "conseiller-ft-sans-habilitation"
	capAdvisor  = "conseiller-cap-emploi"
	otherAgency = "conseiller-autre-agence"
	agefiph     = "agefiph"
)

var supportRoles = []string{ftAdvisor, ftNoHab, capAdvisor, otherAgency, agefiph}

// healthCanaries are planted in the health fields of three records: "own" (opened by C with F,
// the joint controllers), "js" (the job seeker's own, opened by C with F) and "other" (opened
// by G). Nobody else sees them: not staff, employers, prescribers, the Agefiph agent, an
// advisor without the habilitation nor one of another agency.
var healthCanaries = []struct {
	values []string
	seenBy []string
}{
	{[]string{"SANTE-PROPRE-TYPE", "SANTE-PROPRE-COMPENSATION", "SANTE-PROPRE-RETABLISSEMENT", "SANTE-PROPRE-LIMITATIONS", "SANTE-PROPRE-JUSTIFICATIF"}, []string{capAdvisor, ftAdvisor}},
	{[]string{"SANTE-CANDIDAT-TYPE", "SANTE-CANDIDAT-COMPENSATION", "SANTE-CANDIDAT-RETABLISSEMENT", "SANTE-CANDIDAT-LIMITATIONS", "SANTE-CANDIDAT-JUSTIFICATIF"}, []string{jobSeeker, capAdvisor, ftAdvisor}},
	{[]string{"SANTE-AUTRE-TYPE", "SANTE-AUTRE-COMPENSATION", "SANTE-AUTRE-RETABLISSEMENT", "SANTE-AUTRE-LIMITATIONS", "SANTE-AUTRE-JUSTIFICATIF"}, []string{otherAgency}},
	// Documents (issue 11): a document's name and content, in each record.
	{[]string{"DOC-PROPRE-NOM", "DOC-PROPRE-CONTENU"}, []string{capAdvisor, ftAdvisor}},
	{[]string{"DOC-CANDIDAT-NOM", "DOC-CANDIDAT-CONTENU"}, []string{jobSeeker, capAdvisor, ftAdvisor}},
	{[]string{"DOC-AUTRE-NOM", "DOC-AUTRE-CONTENU"}, []string{otherAgency}},
	// The plans (issue 11, item 1): objectives, an action, a review's summary of each record.
	{[]string{"PLAN-PROPRE-OBJECTIFS", "PLAN-PROPRE-ACTION", "PLAN-PROPRE-COMPTE-RENDU"}, []string{capAdvisor, ftAdvisor}},
	{[]string{"PLAN-CANDIDAT-OBJECTIFS", "PLAN-CANDIDAT-ACTION", "PLAN-CANDIDAT-COMPTE-RENDU"}, []string{jobSeeker, capAdvisor, ftAdvisor}},
	{[]string{"PLAN-AUTRE-OBJECTIFS", "PLAN-AUTRE-ACTION", "PLAN-AUTRE-COMPTE-RENDU"}, []string{otherAgency}},
}

// supportWorld is what plantSupport adds to the world.
type supportWorld struct {
	emergency uuid.UUID            // an emergency access of the other agency's advisor to "own", expired
	docs      map[string]uuid.UUID // a document in each record (issue 11), by person key
}

// plantSupport creates the support organisations, roles and records, and logs the roles in.
func (w *world) plantSupport(t *testing.T) {
	t.Helper()
	s := w.s
	ctx := context.Background()
	staffActor := access.Actor{UserID: w.users[staff].ID, Kind: access.Staff, MFA: true}
	for _, role := range supportRoles {
		w.users[role] = s.user(t, access.Professional, role+"@exemple.fr")
	}
	agency := func(name, safir, commune string, members ...account.User) org.Organisation {
		o, err := s.orgs.Create(ctx, staffActor, org.NewOrganisation{Kind: "FT", Name: name, SAFIR: safir, CommuneCode: commune})
		if err != nil {
			t.Fatalf("agency %s: %v", name, err)
		}
		for i, m := range members {
			if err := s.orgs.StaffAddMember(ctx, staffActor, o.ID, m.Email, i == 0); err != nil {
				t.Fatal(err)
			}
		}
		return o
	}
	w.orgs["F"] = agency("France Travail F", "69001", "69123", w.users[ftAdvisor], w.users[ftNoHab])
	w.orgs["C"] = s.createOrg(t, staffActor, "CAP_EMPLOI", "Cap emploi C", siret("7200000000001"), "69123", w.users[capAdvisor])
	w.orgs["G"] = agency("France Travail G", "13001", "13055", w.users[otherAgency])
	w.orgs["AG"] = s.createOrg(t, staffActor, "AGEFIPH", "Agefiph AG", siret("7400000000001"), "69123", w.users[agefiph])
	acting := func(role, orgKey string) access.Actor {
		a, _, err := s.orgs.Actor(ctx, w.users[role], w.orgs[orgKey].ID, true)
		if err != nil || a.OrgID != w.orgs[orgKey].ID {
			t.Fatalf("actor %s: %+v %v", role, a, err)
		}
		return a
	}
	for role, orgKey := range map[string]string{ftAdvisor: "F", capAdvisor: "C", otherAgency: "G"} {
		a := acting(role, orgKey)
		if err := s.support.SetHabilitation(ctx, a, a.UserID, true); err != nil {
			t.Fatalf("habilitation %s: %v", role, err)
		}
	}
	cap, other := acting(capAdvisor, "C"), acting(otherAgency, "G")
	// C follows "own" and the job seeker, G follows "other".
	for key, by := range map[string]access.Actor{"own": cap, "js": cap, "other": other} {
		if err := s.people.Touch(ctx, s.db.Writer(), by, w.person[key], "follow"); err != nil {
			t.Fatal(err)
		}
	}
	today := database.DateOf(s.clock.Now())
	docs := map[string]uuid.UUID{}
	for key, open := range map[string]struct {
		by     access.Actor
		joint  uuid.UUID
		canary string
	}{"own": {cap, w.orgs["F"].ID, "SANTE-PROPRE"}, "js": {cap, w.orgs["F"].ID, "SANTE-CANDIDAT"}, "other": {other, uuid.Nil, "SANTE-AUTRE"}} {
		in := support.Input{StartedOn: today.AddDays(-20), RegisteredOn: today.AddDays(-300),
			Title: support.Title{Category: "rqth", DecidedOn: today.AddDays(-100), ValidUntil: today.AddDays(1000)},
			Health: support.Health{DisabilityTypes: []string{"psychic"}, DisabilityComment: open.canary + "-TYPE", Compensation: []string{"working_time"},
				CompensationComment: open.canary + "-COMPENSATION", Recovery: open.canary + "-RETABLISSEMENT", Limitations: []string{"stress"},
				LimitationsComment: open.canary + "-LIMITATIONS"}}
		if _, err := s.support.Open(ctx, open.by, w.person[key], in, open.joint); err != nil {
			t.Fatalf("support %s: %v", key, err)
		}
		{
			up, err := s.files.Accept(ctx, open.by, strings.NewReader("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% "+open.canary+"-JUSTIFICATIF\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
				"rqth.pdf", support.ProofRules())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.support.SetProof(ctx, open.by, w.person[key], up); err != nil {
				t.Fatal(err)
			}
		}
		{
			canary := strings.Replace(open.canary, "SANTE", "DOC", 1)
			up, err := s.support.AcceptDocument(ctx, open.by, strings.NewReader("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% "+canary+"-CONTENU\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"),
				canary+"-NOM.pdf")
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.support.AddDocument(ctx, open.by, w.person[key], support.NewDocument{Kind: "devis", Upload: up})
			if err != nil {
				t.Fatal(err)
			}
			docs[key] = info.ID
		}
	}
	// A plan for each record (issue 11, item 1), with its canaries.
	for key, by := range map[string]access.Actor{"own": cap, "js": cap, "other": other} {
		canary := map[string]string{"own": "PLAN-PROPRE", "js": "PLAN-CANDIDAT", "other": "PLAN-AUTRE"}[key]
		p := support.Plan{Jobs: []support.PlanJob{{Code: "10871"}}, CommuneCode: "69123", RadiusKm: 15, Salary: 1800, Hours: 30,
			Objectives: canary + "-OBJECTIFS",
			Actions:    []support.PlanAction{{Type: "training", Description: canary + "-ACTION", DueOn: today.AddDays(-3), Status: "planned", Owner: "person"}},
			Reviews:    []support.PlanReview{{PlannedOn: today.AddDays(-10), HeldOn: today.AddDays(-9), Summary: canary + "-COMPTE-RENDU"}}}
		if _, _, err := s.support.SavePlan(ctx, by, w.person[key], p); err != nil {
			t.Fatalf("plan %s: %v", key, err)
		}
	}
	// An emergency access of G's advisor to "own", then past its 4 hours: to review, not to read.
	if err := s.support.BreakGlass(ctx, other, w.person["own"], "La personne se présente à l'accueil de l'agence G."); err != nil {
		t.Fatal(err)
	}
	list, err := s.support.Emergencies(ctx, other)
	if err != nil || len(list) != 1 {
		t.Fatalf("emergencies: %v %v", list, err)
	}
	w.sup = &supportWorld{emergency: list[0].ID, docs: docs}
	s.clock.Advance(support.EmergencyDuration + time.Minute)
	w.plantAids(t)
	for _, role := range supportRoles {
		w.secrets[role] = s.enrol(t, w.users[role])
		w.tokens[role] = s.login(t, w.users[role].Email, w.secrets[role])
	}
}

// unchecked: a support role on a route of the other processings, whose rules these roles do
// not change: only the canaries and server errors are checked.
const unchecked expect = 100

// expectFor is what a request should get: the routes' table, with the support roles checked on
// the support routes only.
func expectFor(pattern string, rc routeCase, role, target string) expect {
	if slices.Contains(supportRoles, role) && !strings.Contains(pattern, "accompagnement") {
		return unchecked
	}
	return rc.expect(role, target)
}

// supportPath targets a record of the caseload of C and F ("own") or of G ("other").
func supportPath(suffix string) func(*world, string, string) string {
	return func(w *world, _, target string) string {
		return "/candidats/" + w.person[target].String() + "/accompagnement" + suffix
	}
}

// caseloadOf allows C's and F's advisors on "own", G's on "other".
func caseloadOf(role, target string) expect {
	if target == "own" && (role == capAdvisor || role == ftAdvisor) || target == "other" && role == otherAgency {
		return allow
	}
	return deny
}

var habilitatedAdvisors = []string{ftAdvisor, capAdvisor, otherAgency}

func recordForm(*world, string, string) url.Values {
	return url.Values{"started_on": {"2026-11-01"}, "registered_on": {"2026-01-05"}, "boeth_category": {"rqth"}, "boeth_decided_on": {"2026-02-01"},
		"boeth_valid_until": {"2029-02-01"}, "types": {"motor"}, "recovery": {"Reprise progressive"}}
}

// supportRouteTable lists the adapted-support routes (issue 10); TestEveryRouteForEveryRole
// reads it with routeTable.
var supportRouteTable = map[string]routeCase{
	"GET /accompagnement":                {path: fixed("/accompagnement"), expect: only(habilitatedAdvisors...)},
	"GET /accompagnement/administration": {path: fixed("/accompagnement/administration"), expect: only(habilitatedAdvisors...)},
	"POST /accompagnement/habilitations/{user}": {
		path: func(w *world, _, target string) string {
			u := w.users[ftNoHab].ID
			if target == "other" {
				u = w.users[otherAgency].ID
			}
			return "/accompagnement/habilitations/" + u.String()
		},
		form: vals("action", "accorder"),
		expect: func(role, target string) expect {
			if target == "own" && role == ftAdvisor || target == "other" && role == otherAgency {
				return allow
			}
			return deny
		}},
	"POST /accompagnement/acces-urgence/{id}": {
		path: func(w *world, _, target string) string {
			if target == "other" {
				return "/accompagnement/acces-urgence/" + uuid.NewString()
			}
			return "/accompagnement/acces-urgence/" + w.sup.emergency.String()
		},
		form: vals("verdict", "justifie"),
		expect: func(role, target string) expect {
			if target == "own" && role == otherAgency {
				return allow
			}
			return deny
		}},
	// The record to the caseload; an emergency-access form to the other habilitated advisors.
	"GET /candidats/{id}/accompagnement": {path: supportPath(""), expect: only(habilitatedAdvisors...)},
	// Every record exists: the caseload reaches the conflict, the others are refused.
	"POST /candidats/{id}/accompagnement":          {path: supportPath(""), form: recordForm, expect: caseloadOf},
	"GET /candidats/{id}/accompagnement/modifier":  {path: supportPath("/modifier"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/modifier": {path: supportPath("/modifier"), form: recordForm, expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/fin": {path: supportPath("/fin"), form: func(w *world, _, _ string) url.Values {
		// Ended today: the caseload ends with the day, so the next role of the caseload still reaches it.
		return url.Values{"closing_reason": {"employment"}, "ended_on": {database.DateOf(w.s.clock.Now()).String()}}
	}, expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/contentieux":    {path: supportPath("/contentieux"), form: vals("hold", "on"), expect: caseloadOf},
	"GET /candidats/{id}/accompagnement/justificatif":    {path: supportPath("/justificatif"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/justificatif":   {path: supportPath("/justificatif"), form: vals(), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/demandes/{req}": {path: supportPath("/demandes/" + uuid.NewString()), form: vals(), expect: always(deny)},
	"POST /candidats/{id}/accompagnement/bris-de-glace": {path: supportPath("/bris-de-glace"), form: vals("reason", "La personne est à l'accueil sans rendez-vous."),
		expect: func(role, target string) expect {
			if target == "own" && role == otherAgency || target == "other" && (role == capAdvisor || role == ftAdvisor) {
				return allow
			}
			return deny
		}},
	// Caseload changes with an unknown organisation or advisor: the caseload reaches the
	// refusal of the value, the others are refused before.
	"POST /candidats/{id}/accompagnement/suivi":     {path: supportPath("/suivi"), form: vals("follower_org", uuid.NewString()), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/suivi/fin": {path: supportPath("/suivi/fin"), form: vals("org", uuid.NewString()), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/referent":  {path: supportPath("/referent"), form: vals("referent", uuid.NewString()), expect: caseloadOf},
	// Documents and statistics (issue 11). An upload posted as a plain form reaches the
	// caseload (400: not multipart) and is refused to the others before anything is read; a
	// deletion without a reason reaches the caseload (422) and nobody else.
	"GET /candidats/{id}/accompagnement/documents":  {path: supportPath("/documents"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/documents": {path: supportPath("/documents"), form: vals("kind", "devis"), expect: caseloadOf},
	"GET /candidats/{id}/accompagnement/documents/{file}": {path: func(w *world, _, target string) string {
		return "/candidats/" + w.person[target].String() + "/accompagnement/documents/" + w.sup.docs[target].String()
	}, expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/documents/{file}/suppression": {path: func(w *world, _, target string) string {
		return "/candidats/" + w.person[target].String() + "/accompagnement/documents/" + w.sup.docs[target].String() + "/suppression"
	}, form: vals("reason", ""), expect: caseloadOf},
	"GET /mon-accompagnement/documents":  {path: fixed("/mon-accompagnement/documents"), expect: only(jobSeeker)},
	"POST /mon-accompagnement/documents": {path: fixed("/mon-accompagnement/documents"), form: vals("kind", "rib"), expect: only(jobSeeker)},
	"GET /mon-accompagnement/documents/{file}": {path: func(w *world, _, _ string) string {
		return "/mon-accompagnement/documents/" + w.sup.docs["js"].String()
	}, expect: only(jobSeeker)},
	// The indicators to the habilitated advisors and the DDETS; the extract needs a second factor,
	// which the DDETS of the world has not passed.
	"GET /accompagnement/statistiques":         {path: fixed("/accompagnement/statistiques"), expect: only(append([]string{ddets}, habilitatedAdvisors...)...)},
	"GET /accompagnement/statistiques/extrait": {path: fixed("/accompagnement/statistiques/extrait"), expect: only(habilitatedAdvisors...)},
	"GET /mon-accompagnement":                  {path: fixed("/mon-accompagnement"), expect: only(jobSeeker)},
	"GET /mon-accompagnement/justificatif":     {path: fixed("/mon-accompagnement/justificatif"), expect: only(jobSeeker)},
	"POST /mon-accompagnement/demandes":        {path: fixed("/mon-accompagnement/demandes"), form: vals("kind", "rectification", "message", "Ma date est fausse."), expect: only(jobSeeker)},
	// The plan (issue 11, item 1): the caseload reads and edits; the person reads and acknowledges.
	"GET /candidats/{id}/accompagnement/plan":          {path: supportPath("/plan"), expect: caseloadOf},
	"GET /candidats/{id}/accompagnement/plan/modifier": {path: supportPath("/plan/modifier"), expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/plan/modifier": {path: supportPath("/plan/modifier"), form: func(*world, string, string) url.Values {
		return url.Values{"job0": {"Aide-comptable (10871)"}, "commune": {"69123"}, "radius_km": {"10"}, "salary": {"1700"}, "hours": {"35"},
			"objectives": {"Reprendre un emploi à temps partiel."}, "an": {"1"}, "a0_type": {"job_search"}, "a0_description": {"Envoyer cinq candidatures."},
			"a0_due_on": {"2027-01-15"}, "a0_status": {"planned"}, "a0_owner": {"person"}, "rn": {"0"}}
	}, expect: caseloadOf},
	"POST /candidats/{id}/accompagnement/plan/prise-de-connaissance": {path: supportPath("/plan/prise-de-connaissance"), form: func(w *world, _, _ string) url.Values {
		return url.Values{"version": {"1"}, "ack_how": {"paper"}, "ack_on": {database.DateOf(w.s.clock.Now()).String()}}
	}, expect: caseloadOf},
	"GET /candidats/{id}/accompagnement/plan/pdf":         {path: supportPath("/plan/pdf"), expect: caseloadOf},
	"GET /mon-accompagnement/plan":                        {path: fixed("/mon-accompagnement/plan"), expect: only(jobSeeker)},
	"GET /mon-accompagnement/plan/pdf":                    {path: fixed("/mon-accompagnement/plan/pdf"), expect: only(jobSeeker)},
	"POST /mon-accompagnement/plan/prise-de-connaissance": {path: fixed("/mon-accompagnement/plan/prise-de-connaissance"), form: vals("version", "1"), expect: only(jobSeeker)},
}

// mergedRoutes is routeTable with supportRouteTable.
func mergedRoutes() map[string]routeCase {
	out := map[string]routeCase{}
	for _, m := range []map[string]routeCase{routeTable, supportRouteTable} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// allCanaries are the people's canaries, which the support advisors see where their
// organisation follows the person (C follows "own" and the job seeker, G "other"), and the
// health canaries.
func allCanaries() []struct {
	values []string
	seenBy []string
} {
	out := slices.Clone(canaries)
	for i := range out {
		out[i].seenBy = slices.Clone(out[i].seenBy)
	}
	out[0].seenBy = append(out[0].seenBy, capAdvisor)
	out[1].seenBy = append(out[1].seenBy, otherAgency)
	out[2].seenBy = append(out[2].seenBy, capAdvisor)
	return append(out, healthCanaries...)
}
