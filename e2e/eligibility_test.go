package e2e

import (
	"strings"
	"testing"
)

// personHref finds, in the professional's list of people, the file of one of them.
func (b *browser) personHref(name string) string {
	b.t.Helper()
	b.open("/candidats")
	href := eval[string](b, "file of "+name, `(() => {
  for (const a of document.querySelectorAll('main a[href^="/candidats/"]')) { if (a.textContent.includes(`+jsString(name)+`)) return a.getAttribute('href'); }
  return '';
})()`)
	if href == "" {
		b.t.Fatalf("no file of %s in the list: %s", name, b.bodyText())
	}
	return href
}

func (b *browser) expectText(what string, wants ...string) {
	b.t.Helper()
	text := b.bodyText()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			b.t.Fatalf("%s: the page does not say %q:\n%s", what, want, text)
		}
	}
}

// TestEligibilityPath walks the demo's eligibility cases as each role sees them: the
// prescriber's diagnosis in force and its renewal (incompatible criteria refused at their
// boxes first), an AI's own diagnosis, an EI's expired one replaced after a refused minimum,
// the precedence of the prescriber's diagnosis at the ACI, and the job seeker's view. axe-core
// checks every page.
func TestEligibilityPath(t *testing.T) {
	srv := startDemoTest(t)

	// The prescriber: Samira's file says she is eligible everywhere, and why.
	p := newBrowser(t, srv)
	if status := p.login(demoPrescriber, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	samira := p.personHref("Samira")
	p.open(samira)
	p.expectText("prescriber's file", "Éligible à l'IAE dans toutes les structures", "Règle appliquée", "Bénéficiaire du RSA (niveau 1)", "Parent isolé (niveau 2)")
	p.checkPage("job seeker's file with eligibility")
	p.shoot("eligibility-prescriber-file")

	// A new diagnosis: the incompatible pairs are refused at their boxes, all at once.
	p.clickThrough(`a[href^="` + samira + `/diagnostic"]`)
	p.expectHeading("Diagnostic d'éligibilité à l'IAE")
	p.checkPage("diagnosis form")
	p.shoot("diagnosis-form-prescriber")
	for _, code := range []string{"RSA", "SENIOR", "JEUNE", "DETLD", "DELD"} {
		p.click(`label[for="f-critere_` + code + `"]`)
	}
	if status := p.clickThrough(`main form button[type=submit]`); status != 422 {
		t.Fatalf("incompatible criteria answered %d", status)
	}
	if got := p.text("#erreurs"); !strings.Contains(got, "Senior (50 ans ou plus)") || !strings.Contains(got, "Demandeur d'emploi de longue durée") {
		t.Fatalf("error summary: %q", got)
	}
	p.checkPage("diagnosis form, errors")
	p.shoot("diagnosis-form-errors")
	p.click(`label[for="f-critere_JEUNE"]`)
	p.click(`label[for="f-critere_DELD"]`)
	p.clickThrough(`main form button[type=submit]`)
	p.expectFlash("Le diagnostic d'éligibilité est enregistré.")
	p.expectText("result", "2 critères de niveau 1 et 1 critère de niveau 2", "Valable dans toutes les structures d'insertion.")
	p.checkPage("diagnosis page")
	p.shoot("diagnosis-result-prescriber")

	// The AI sees its own diagnosis of Lucas on his application.
	ai := newBrowser(t, srv)
	if status := ai.login(demoEmployerAI, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	ai.openApplicationOf("Lucas")
	ai.expectText("AI's application", "Éligible à l'IAE chez Rhône Intérim Solidaire", "Jeune (moins de 26 ans) (niveau 2)")
	ai.checkPage("application with the structure's diagnosis")
	ai.shoot("eligibility-application-ai")

	// The EI: Bernard's diagnosis has expired; a new one below its minimum is refused.
	e := newBrowser(t, srv)
	if status := e.login(demoEmployer, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	e.switchTo("Rhône Insertion Services")
	e.openApplicationOf("Bernard")
	e.expectText("EI's application", "non établie pour cette structure", "était valable jusqu'au")
	e.checkPage("application with an expired diagnosis")
	e.shoot("eligibility-application-expired")
	e.clickThrough(`a[href*="/diagnostic?retour="]`)
	e.expectText("employer's form", "Pour votre structure (EI), cochez au moins 1 critère de niveau 1 ou 3 critères de niveau 2")
	e.click(`label[for="f-critere_SENIOR"]`)
	e.click(`label[for="f-critere_QPV"]`)
	if status := e.clickThrough(`main form button[type=submit]`); status != 422 {
		t.Fatalf("below the minimum answered %d", status)
	}
	e.checkPage("employer's form, minimum not met")
	e.shoot("diagnosis-form-employer-errors")
	e.click(`label[for="f-critere_DETLD"]`)
	e.clickThrough(`main form button[type=submit]`)
	e.expectFlash("Le diagnostic d'éligibilité est enregistré.")
	e.expectText("employer's result", "Diagnostic de la structure Rhône Insertion Services (EI)", "il vaut 92 jours", "Valable seulement chez Rhône Insertion Services.")
	e.shoot("diagnosis-result-employer")
	e.clickThrough(`main a[href^="/candidatures/"]`)
	e.expectText("back to the application", "Éligible à l'IAE chez Rhône Insertion Services")

	// The ACI: Samira's prescriber diagnosis applies; the structure has none to make.
	e.switchTo("Les Jardins du Rhône")
	e.openApplicationOf("Samira")
	e.expectText("ACI's application", "dans toutes les structures", "prime sur celui de la structure")
	if n := eval[int](e, "diagnosis button", `document.querySelectorAll('main a[href*="/diagnostic?"], main a[href$="/diagnostic"]').length`); n != 0 {
		t.Errorf("the ACI is offered to make a diagnosis over the prescriber's")
	}
	e.shoot("eligibility-application-precedence")

	// The job seeker, hired by the ACI, sees why they were eligible: their PASS IAE keeps the
	// ACI's diagnosis valid.
	j := newBrowser(t, srv)
	if status := j.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	j.openApplicationOf("Karim")
	j.expectText("job seeker's application", "Éligible à l'IAE chez Les Jardins du Rhône", "Bénéficiaire du RSA (niveau 1)",
		"Valable tant que le PASS IAE qui s'appuie sur lui est en cours")
	j.checkPage("job seeker's application with eligibility")
	j.shoot("eligibility-jobseeker")
}
