package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// passHref finds, in the structure's list of PASS IAE, the one of a person.
func (b *browser) passHref(name string) string {
	b.t.Helper()
	b.open("/pass-iae")
	href := eval[string](b, "PASS of "+name, `(() => {
  for (const tr of document.querySelectorAll('main table tbody tr')) { const a = tr.querySelector('a[href^="/pass-iae/"]'); if (a && tr.textContent.includes(`+jsString(name)+`)) return a.getAttribute('href'); }
  return '';
})()`)
	if href == "" {
		b.t.Fatalf("no PASS IAE of %s in the list: %s", name, b.bodyText())
	}
	return href
}

// hireForm fills the hiring form of an application for a contract starting on start.
func (b *browser) hireForm(start string) int64 {
	b.t.Helper()
	b.setValue("#f-hiring_start", start)
	b.setValue("#f-contract_type", "cddi")
	b.setValue("#f-hours_per_week", "24")
	return b.clickThrough(`form input[name="action"][value="accept"] ~ button[type=submit]`)
}

// diagnoseRSA makes, from the current page's diagnosis link, a diagnosis with the RSA criterion.
func (b *browser) diagnoseRSA(link string) {
	b.t.Helper()
	b.clickThrough(link)
	b.click(`label[for="f-critere_RSA"]`)
	b.clickThrough(`main form button[type=submit]`)
	b.expectFlash("Le diagnostic d'éligibilité est enregistré.")
}

// demoNIR is the NIR the demo gives a person (internal/demo/people.go).
func demoNIR(sex string, year, month int, place string, n int) string {
	base := fmt.Sprintf("%s%02d%02d%s%03d", sex, year%100, month, place, 400+n)
	v, _ := strconv.ParseUint(base, 10, 64)
	return fmt.Sprintf("%s%02d", base, 97-v%97)
}

// TestPASSPath is the path: from the demo, an SIAE makes a diagnosis, hires, gets a
// PASS IAE, suspends it and prints the attestation; it asks an authorised prescriber to prolong
// another PASS, who grants it; anyone verifies a PASS with its holder's birth date; after a PASS
// expired, the waiting period stops a rehire until an authorised prescriber diagnoses the
// person. axe-core checks every new page.
func TestPASSPath(t *testing.T) {
	srv := startDemoTest(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(paris)
	day := func(days int) string { return today.AddDate(0, 0, days).Format("2006-01-02") }
	person := newPerson("Inès", "Robert")
	srv.keepPrivate(person.Email)

	// The adviser creates the person's file (declared not registered at France Travail) and
	// applies to the ACI.
	p := newBrowser(t, srv)
	if status := p.login(demoPrescriber, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	p.open("/candidats/nouveau")
	p.fillJobSeeker(person, "1992-04-17")
	p.clickThrough(`main form[action="/candidats"] button[type=submit]`)
	p.expectFlash("Le dossier du candidat est créé.")
	personID := strings.TrimPrefix(p.path(), "/candidats/")
	p.open(p.structureHref("Jardins du Rhône") + "/postuler")
	p.setValue("#f-candidat", personID)
	p.click(`input[name="job_descriptions"]`)
	p.clickThrough(`main form button[type=submit]`)
	p.expectFlash("La candidature est envoyée : la structure la reçoit dès maintenant.")

	// The ACI cannot hire her before a diagnosis; it makes one, hires her and gets her PASS.
	e := newBrowser(t, srv)
	if status := e.login(demoEmployer, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	e.switchTo("Les Jardins du Rhône")
	e.openApplicationOf(person.FirstName)
	if status := e.hireForm(day(0)); status != 422 || !strings.Contains(e.text("#erreurs"), "n'est pas éligible à l'IAE") {
		t.Fatalf("a hire without diagnosis answered %d: %s", status, e.bodyText())
	}
	e.diagnoseRSA(`a[href*="/diagnostic?retour="]`)
	e.clickThrough(`main a[href^="/candidatures/"]`)
	e.hireForm(day(0))
	e.expectFlash("L'embauche est enregistrée ; le candidat et l'émetteur sont prévenus.")
	e.expectText("application of the hire", "PASS IAE", "n° 99999 ")
	e.open("/pass-iae")
	e.expectHeading("PASS IAE de la structure")
	e.checkPage("structure's PASS list")
	e.shoot("pass-list")
	e.open(e.passHref(person.LastName))
	e.expectText("new PASS", "730 jours restants", "Voir le diagnostic d'éligibilité")
	number := strings.TrimPrefix(e.heading(), "PASS IAE n° ")
	if !strings.HasPrefix(number, "99999 ") {
		t.Fatalf("PASS number %q", number)
	}
	e.checkPage("PASS page")
	e.shoot("pass-page")

	// It suspends it: a start in the future is refused at its field, today is accepted.
	e.setValue("#f-reason", "contract_broken")
	e.setValue("#f-start", day(1))
	if status := e.clickThrough(`form[action$="/suspension"] button[type=submit]`); status != 422 || !strings.Contains(e.text("#erreurs"), "dans le futur") {
		t.Fatalf("a suspension in the future answered %d", status)
	}
	e.checkPage("suspension form, errors")
	e.setValue("#f-start", day(0))
	e.setValue("#f-end", day(29))
	e.clickThrough(`form[action$="/suspension"] button[type=submit]`)
	e.expectFlash("La suspension est enregistrée : la fin du PASS IAE est reportée d'autant.")
	e.expectText("suspended PASS", "Suspension en cours", "(30 jours) : Contrat de travail rompu")
	e.shoot("pass-suspended")

	// It prints the attestation: a PDF of text.
	if got := eval[string](e, "attestation", `(async () => {
  const a = document.querySelector('a[href$="/attestation"]'); if (!a) return 'no link';
  const r = await fetch(a.href); const b = await r.text();
  return r.status + ' ' + r.headers.get('Content-Type') + ' ' + b.includes('Attestation de PASS IAE') + ' ' + b.includes('Robert');
})()`, chromedp.EvalAwaitPromise); got != "200 application/pdf true true" {
		t.Fatalf("attestation: %s", got)
	}

	// Sophie's PASS is 420 days old: the ACI asks the adviser's agency for an RQTH prolongation.
	e.open(e.passHref("Sophie"))
	e.click(`label[for="r-rqth"]`)
	e.setValue("#f-prolongation_end", day(309+300))
	ft := eval[string](e, "France Travail option", `(() => {
  const o = [...document.querySelectorAll('#f-prescriber option')].find(o => o.textContent.includes('France Travail Lyon Part-Dieu')); return o ? o.value : '';
})()`)
	e.setValue("#f-prescriber", ft)
	e.clickThrough(`form[action$="/prolongation"] button[type=submit]`)
	e.expectFlash("La demande de prolongation est envoyée au prescripteur habilité, qui est prévenu par e-mail.")
	e.expectText("request pending", "attend la décision de France Travail Lyon Part-Dieu")
	sophie := e.path()

	// The adviser is told by mail, and grants it.
	m := newBrowser(t, srv)
	m.open("/")
	m.openNewestMail(demoPrescriber, "demande de prolongation d'un PASS IAE")
	p.open("/prolongations")
	p.expectHeading("Demandes de prolongation de PASS IAE")
	p.checkPage("prescriber's requests")
	// The demo has another request (Nadia's): open Sophie's.
	href := eval[string](p, "Sophie's request", `(() => { const a = [...document.querySelectorAll('main a[href^="/prolongations/"]')].find(a => a.textContent.includes('Sophie')); return a ? a.getAttribute('href') : ''; })()`)
	if href == "" {
		t.Fatalf("no request for Sophie: %s", p.bodyText())
	}
	p.open(href)
	p.checkPage("prolongation request")
	p.shoot("prolongation-request")
	p.clickThrough(`button[name="decision"][value="accorder"]`)
	p.expectFlash("Votre décision est enregistrée.")
	e.open(sophie)
	e.expectText("prolonged PASS", "Reconnaissance de la qualité de travailleur handicapé (RQTH)", "Accordée")

	// Anyone verifies Inès's PASS with her birth date, and learns nothing with another.
	v := newBrowser(t, srv)
	v.open("/verifier-pass-iae")
	v.checkPage("verification page")
	v.typeInto("#f-numero", number)
	v.setValue("#f-date_naissance", "1992-04-17")
	v.clickThrough(`main form button[type=submit]`)
	v.expectText("verification", "PASS IAE suspendu", "Jusqu'au")
	if strings.Contains(v.bodyText(), person.LastName) {
		t.Fatalf("the verification names the holder")
	}
	v.setValue("#f-date_naissance", "1992-04-18")
	v.clickThrough(`main form button[type=submit]`)
	v.expectText("verification, wrong birth date", "Aucun PASS IAE ne correspond")

	// Karim, the demo job seeker, reads his PASS and why he was eligible.
	j := newBrowser(t, srv)
	if status := j.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	j.open("/pass-iae")
	j.expectHeading("Mon PASS IAE")
	j.checkPage("job seeker's PASS list")
	j.clickThrough(`main table a[href^="/pass-iae/"]`)
	j.expectText("job seeker's PASS", "Les Jardins du Rhône", "730 jours restants")
	if n := eval[int](j, "print button", `document.querySelectorAll('a[href$="/attestation"], form[action$="/suspension"]').length`); n != 0 {
		t.Errorf("the job seeker is offered the structure's actions")
	}
	j.checkPage("job seeker's PASS")
	j.clickThrough(`main a[href^="/diagnostics/"]`)
	j.expectText("why", "Règle appliquée", "Valable tant que le PASS IAE qui s'appuie sur lui est en cours")

	// Marc's PASS expired: the EI cannot hire him again during the waiting period, until the
	// adviser, an authorised prescriber, diagnoses him.
	e.switchTo("Rhône Insertion Services")
	e.openApplicationOf("Marc")
	e.diagnoseRSA(`a[href*="/diagnostic?retour="]`)
	e.clickThrough(`main a[href^="/candidatures/"]`)
	application := e.path()
	if status := e.hireForm(day(1)); status != 422 || !strings.Contains(e.text("#erreurs"), "Délai de carence") {
		t.Fatalf("a hire in the waiting period answered %d: %s", status, e.bodyText())
	}
	e.checkPage("hire refused by the waiting period")
	e.shoot("waiting-period")
	// The adviser finds Marc's file (the CCAS made it) with his NIR, and diagnoses him.
	p.open("/candidats")
	p.typeInto("#f-find_nir", demoNIR("1", 1972, 10, "69123", 11))
	p.setValue("#f-find_birth_date", "1972-10-05")
	p.clickThrough(`form[action="/candidats/retrouver"] button[type=submit]`)
	marc := p.path()
	p.diagnoseRSA(`a[href^="` + marc + `/diagnostic"]`)
	e.open(application)
	e.hireForm(day(1))
	e.expectFlash("L'embauche est enregistrée ; le candidat et l'émetteur sont prévenus.")
	e.open(e.passHref("Marc"))
	e.expectText("Marc's new PASS", "730 jours restants", "embauche du "+today.AddDate(0, 0, 1).Format("02/01/2006"))
}
