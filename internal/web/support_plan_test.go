package web_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// The plan's pages as each role sees them: the caseload reads the plan with its overdue mark,
// saves a new version through the form (every error at once, nothing lost), records an
// acknowledgement and downloads the PDF; the person reads their plan, acknowledges it online
// and downloads it; the others are refused.
func TestSupportPlanPages(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		own := "/candidats/" + w.person["own"].String() + "/accompagnement/plan"
		cap := w.token(t, capAdvisor)

		page := s.do(t, "GET", own, cap, nil)
		if page.status != 200 || !strings.Contains(page.body, "PLAN-PROPRE-OBJECTIFS") || !strings.Contains(page.body, "Aide-comptable") ||
			!strings.Contains(page.body, "En retard") || !strings.Contains(page.body, "Historique des versions") {
			t.Fatalf("advisor's plan page: %d\n%s", page.status, page.body)
		}
		if home := s.do(t, "GET", "/accompagnement", cap, nil); !strings.Contains(home.body, "Plan en retard") {
			t.Fatalf("caseload without the overdue badge:\n%s", home.body)
		}
		if rec := s.do(t, "GET", "/candidats/"+w.person["own"].String()+"/accompagnement", cap, nil); !strings.Contains(rec.body, `href="`+own+`"`) {
			t.Fatal("the record page does not link to the plan")
		}
		form := s.do(t, "GET", own+"/modifier", cap, nil)
		if form.status != 200 || !strings.Contains(form.body, "PLAN-PROPRE-ACTION") || !strings.Contains(form.body, `name="a1_type"`) {
			t.Fatalf("form: %d", form.status)
		}

		// A form with errors comes back with all of them and every value typed.
		bad := url.Values{"job0": {"Astronaute de fantaisie"}, "commune": {"69123"}, "radius_km": {"beaucoup"}, "salary": {"1700"}, "hours": {"70"},
			"objectives": {"OBJECTIF-GARDE"}, "an": {"2"}, "a0_type": {"job_search"}, "a0_description": {""}, "a0_due_on": {"2027-01-15"},
			"a0_status": {"planned"}, "a0_owner": {"person"}, "a1_type": {""}, "a1_description": {""}, "a1_due_on": {""},
			"rn": {"1"}, "r0_planned_on": {""}, "r0_held_on": {""}, "r0_summary": {"COMPTE-RENDU-GARDE"}}
		resp := s.do(t, "POST", own+"/modifier", cap, bad)
		if resp.status != 422 {
			t.Fatalf("bad form: %d", resp.status)
		}
		for _, want := range []string{"Métier non reconnu", "Indiquez un nombre de kilomètres.", "Indiquez une durée hebdomadaire", "Décrivez l'action.",
			"Indiquez la date prévue du point d'étape.", "OBJECTIF-GARDE", "COMPTE-RENDU-GARDE", "Astronaute de fantaisie", "Le formulaire contient"} {
			if !strings.Contains(resp.body, html.EscapeString(want)) {
				t.Errorf("bad form: no %q", want)
			}
		}

		good := url.Values{"job0": {"Aide-comptable (10871)"}, "job1": {"Magasinier / Magasinière (16276)"}, "commune": {"69123"}, "radius_km": {"25"},
			"salary": {"1 750"}, "hours": {"24"}, "objectives": {"NOUVEL-OBJECTIF"}, "an": {"1"}, "a0_type": {"immersion"},
			"a0_description": {"NOUVELLE-ACTION"}, "a0_due_on": {"2027-02-01"}, "a0_status": {"planned"}, "a0_owner": {"advisor"}, "rn": {"0"}}
		resp = s.do(t, "POST", own+"/modifier", cap, good)
		if resp.status != 303 || resp.location != own {
			t.Fatalf("save: %d %s\n%s", resp.status, resp.location, resp.body)
		}
		page = s.do(t, "GET", own, cap, nil)
		if !strings.Contains(page.body, "NOUVEL-OBJECTIF") || !strings.Contains(page.body, "Magasinier") || !strings.Contains(page.body, "1750 €") ||
			!strings.Contains(page.body, "Version 2") || strings.Contains(page.body, "En retard") {
			t.Fatalf("after save:\n%s", page.body)
		}
		// The first version is still there, in the history.
		if v1 := s.do(t, "GET", own+"?version=1", cap, nil); !strings.Contains(v1.body, "PLAN-PROPRE-OBJECTIFS") || !strings.Contains(v1.body, "voir la version en vigueur") {
			t.Fatal("version 1 not shown")
		}
		// The advisor records an acknowledgement on paper; a date in the future is refused on its field.
		resp = s.do(t, "POST", own+"/prise-de-connaissance", cap, url.Values{"version": {"2"}, "ack_how": {"paper"}, "ack_on": {"2099-01-01"}})
		if resp.status != 422 || !strings.Contains(resp.body, "La date ne peut pas être dans le futur.") {
			t.Fatalf("future acknowledgement: %d", resp.status)
		}
		today := database.DateOf(s.clock.Now()).String()
		if resp = s.do(t, "POST", own+"/prise-de-connaissance", cap, url.Values{"version": {"2"}, "ack_how": {"paper"}, "ack_on": {today}}); resp.status != 303 {
			t.Fatalf("acknowledgement: %d", resp.status)
		}
		if page = s.do(t, "GET", own, cap, nil); !strings.Contains(page.body, "Sur papier signé") {
			t.Fatal("acknowledgement not shown")
		}
		pdf := s.do(t, "GET", own+"/pdf", cap, nil)
		if pdf.status != 200 || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF") || !strings.Contains(pdf.body, "NOUVELLE-ACTION") {
			t.Fatalf("pdf: %d %s", pdf.status, pdf.header.Get("Content-Type"))
		}

		// The person reads their plan, acknowledges it online and downloads it.
		js := w.token(t, jobSeeker)
		mine := s.do(t, "GET", "/mon-accompagnement/plan", js, nil)
		if mine.status != 200 || !strings.Contains(mine.body, "PLAN-CANDIDAT-OBJECTIFS") || !strings.Contains(mine.body, "J'ai pris connaissance de mon plan") ||
			strings.Contains(mine.body, "Modifier le plan") {
			t.Fatalf("the person's page: %d\n%s", mine.status, mine.body)
		}
		if home := s.do(t, "GET", "/mon-accompagnement", js, nil); !strings.Contains(home.body, `href="/mon-accompagnement/plan"`) {
			t.Fatal("the person's page does not link to the plan")
		}
		if resp = s.do(t, "POST", "/mon-accompagnement/plan/prise-de-connaissance", js, url.Values{"version": {"1"}}); resp.status != 303 {
			t.Fatalf("online acknowledgement: %d", resp.status)
		}
		if mine = s.do(t, "GET", "/mon-accompagnement/plan", js, nil); !strings.Contains(mine.body, "En ligne, par la personne") || strings.Contains(mine.body, "J'ai pris connaissance de mon plan") {
			t.Fatal("online acknowledgement not shown")
		}
		if pdf = s.do(t, "GET", "/mon-accompagnement/plan/pdf", js, nil); pdf.status != 200 || !strings.Contains(pdf.body, "PLAN-CANDIDAT-ACTION") {
			t.Fatalf("the person's pdf: %d", pdf.status)
		}
		// An emergency access of another agency reads the plan, never edits it.
		g := w.token(t, otherAgency)
		if r := s.do(t, "GET", own, g, nil); r.status != 403 {
			t.Fatalf("other agency before its emergency access: %d", r.status)
		}
		if r := s.do(t, "POST", "/candidats/"+w.person["own"].String()+"/accompagnement/bris-de-glace", g,
			url.Values{"reason": {"La personne est à l'accueil sans rendez-vous."}}); r.status != 303 {
			t.Fatalf("break glass: %d", r.status)
		}
		if r := s.do(t, "GET", own, g, nil); r.status != 200 || !strings.Contains(r.body, "NOUVEL-OBJECTIF") || !strings.Contains(r.body, "Accès d") ||
			strings.Contains(r.body, "Modifier le plan") {
			t.Fatalf("emergency read: %d", r.status)
		}
		if r := s.do(t, "POST", own+"/modifier", g, good); r.status != 403 {
			t.Fatalf("emergency edit: %d", r.status)
		}
		// Nobody else reads it.
		for _, role := range []string{ftNoHab, agefiph, staff, employerAdmin, prescriberAdm, jobSeeker} {
			for _, path := range []string{own, own + "/pdf", own + "/modifier"} {
				if r := s.do(t, "GET", path, w.token(t, role), nil); r.status != 403 && r.status != 404 {
					t.Errorf("%s on %s: %d", role, path, r.status)
				}
			}
		}
	})
}
