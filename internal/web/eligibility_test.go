package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// The diagnosis form: the criteria by level with their proofs; an invalid form answers 422
// with every problem at once, each tied to its field; a valid one makes the diagnosis and
// shows why.
func TestDiagnosisForm(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		own := "/candidats/" + w.person["own"].String() + "/diagnostic"
		page := w.s.do(t, "GET", own, w.token(t, prescriberAdm), nil)
		if page.status != 200 {
			t.Fatalf("form: %d", page.status)
		}
		if n := strings.Count(page.body, `name="criteres"`); n != 18 {
			t.Errorf("%d criteria on the form, want 18", n)
		}
		for _, want := range []string{"Critères de niveau 1", "Critères de niveau 2", "Justificatif : Attestation de versement du RSA (CAF ou MSA), de moins de 3 mois.",
			"pas de nombre minimum de critères", `aria-describedby="f-critere_RSA-hint"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the form does not show %q", want)
			}
		}

		// Both incompatible pairs at once: 422, both messages in the summary and at their box.
		bad := url.Values{"criteres": {"SENIOR", "JEUNE", "DETLD", "DELD"}}
		resp := w.s.do(t, "POST", own, w.token(t, prescriberAdm), bad)
		if resp.status != 422 {
			t.Fatalf("pairs: %d", resp.status)
		}
		for _, want := range []string{`href="#f-critere_JEUNE"`, `href="#f-critere_DELD"`, `id="f-critere_JEUNE-error"`, `id="f-critere_DELD-error"`,
			`aria-describedby="f-critere_JEUNE-hint f-critere_JEUNE-error" aria-invalid="true"`, "ne peuvent pas être cochés ensemble"} {
			if !strings.Contains(resp.body, want) {
				t.Errorf("the refused form does not hold %q", want)
			}
		}
		// What was checked stays checked.
		if !regexp.MustCompile(`id="f-critere_SENIOR" name="criteres" value="SENIOR" checked`).MatchString(resp.body) {
			t.Error("the checked boxes are lost")
		}

		// The employer A, for the job seeker who applied there: its minimum (ACI: 1 of level 1
		// or 3 of level 2) at the list of criteria.
		js := "/candidats/" + w.person["js"].String() + "/diagnostic"
		resp = w.s.do(t, "POST", js, w.token(t, employerMember), url.Values{"criteres": {"QPV", "PM"}})
		if resp.status != 422 || !strings.Contains(resp.body, `href="#f-criteres"`) || !strings.Contains(resp.body, "au moins 1 critère de niveau 1 ou 3 critères de niveau 2") {
			t.Fatalf("employer below the minimum: %d", resp.status)
		}
		resp = w.s.do(t, "POST", js+"?retour=/candidatures/"+w.app["js"].String(), w.token(t, employerMember), url.Values{"criteres": {"QPV", "PM", "CAP_BEP"}})
		if resp.status != 303 || !strings.HasPrefix(resp.location, "/diagnostics/") {
			t.Fatalf("employer diagnosis: %d %s", resp.status, resp.location)
		}
		result := w.s.do(t, "GET", resp.location, w.token(t, employerMember), nil)
		for _, want := range []string{"Diagnostic de la structure Atelier A (ACI)", "0 critère de niveau 1 et 3 critères de niveau 2",
			"Valable seulement chez Atelier A", "Retour à la candidature"} {
			if !strings.Contains(result.body, want) {
				t.Errorf("the result page does not say %q", want)
			}
		}
		// The person sees it, and why, on the application page.
		app := w.s.do(t, "GET", "/candidatures/"+w.app["js"].String(), w.token(t, jobSeeker), nil)
		if !strings.Contains(app.body, "IAE chez Atelier A jusqu") {
			t.Errorf("the person's application page does not say they are eligible")
		}
		// The prescriber P does not see A's diagnosis.
		if strings.Contains(w.s.do(t, "GET", "/candidats/"+w.person["own"].String(), w.token(t, prescriberAdm), nil).body, "Atelier A (structure") {
			t.Error("the prescriber sees a structure's diagnosis")
		}
		// The employer A sees P's diagnosis of its applicant and cannot make one over it.
		page = w.s.do(t, "GET", "/candidatures/"+w.app["own"].String(), w.token(t, employerAdmin), nil)
		if !strings.Contains(page.body, "dans toutes les structures") || !strings.Contains(page.body, "prime sur celui de la structure") ||
			strings.Contains(page.body, "Faire un diagnostic") {
			t.Errorf("employer's view of a prescriber's diagnosis: %s", page.body)
		}
	})
}
