package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	demoPrescriber = "prescripteur@demo.parcours.test"
	demoEmployerAI = "employeur.ai@demo.parcours.test"
)

// setValue sets a field's value as a user choosing it would (dates, selects).
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	if !eval[bool](b, "set "+sel, `(() => { const el = document.querySelector(`+jsString(sel)+`); if (!el) return false;
  el.value = `+jsString(value)+`; el.dispatchEvent(new Event('change', {bubbles: true})); return el.value === `+jsString(value)+`; })()`) {
		b.t.Fatalf("cannot set %s to %q on %s", sel, value, b.location())
	}
}

// structureHref finds a demo structure's page from the search around Lyon.
func (b *browser) structureHref(name string) string {
	b.t.Helper()
	b.open("/recherche?commune=69123&rayon=10")
	href := eval[string](b, "link of "+name, `(() => {
  for (const a of document.querySelectorAll('main a[href^="/structures/"]')) { if (a.textContent.includes(`+jsString(name)+`)) return a.getAttribute('href'); }
  return '';
})()`)
	if !strings.HasPrefix(href, "/structures/") {
		b.t.Fatalf("no link to %s in the search results", name)
	}
	return href
}

// switchTo makes the logged-in member act for one of their organisations.
func (b *browser) switchTo(orgName string) {
	b.t.Helper()
	if b.orgBar() == orgName {
		return
	}
	b.open("/organisation/courante")
	id := eval[string](b, "radio of "+orgName, `(() => {
  const label = [...document.querySelectorAll('#f-org label')].find(l => l.firstChild.textContent.trim() === `+jsString(orgName)+`);
  return label ? label.htmlFor : '';
})()`)
	if id == "" {
		b.t.Fatalf("%q is not offered", orgName)
	}
	b.click(`label[for="` + id + `"]`)
	b.clickThrough(`form[action="/organisation/courante"] button[type=submit]`)
	if got := b.orgBar(); got != orgName {
		b.t.Fatalf("acting for %q, want %q", got, orgName)
	}
}

// shoot saves a screenshot of the page when PARCOURS_SCREENSHOTS names a folder.
func (b *browser) shoot(name string) {
	b.t.Helper()
	dir := os.Getenv("PARCOURS_SCREENSHOTS")
	if dir == "" {
		return
	}
	img := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// openApplicationOf opens, from the list of applications, the one of the person.
func (b *browser) openApplicationOf(person string) {
	b.t.Helper()
	b.open("/candidatures")
	href := eval[string](b, "application of "+person, `(() => {
  for (const a of document.querySelectorAll('main table a[href^="/candidatures/"]')) { if (a.textContent.includes(`+jsString(person)+`)) return a.getAttribute('href'); }
  return '';
})()`)
	if href == "" {
		b.t.Fatalf("no application of %s in the list: %s", person, b.bodyText())
	}
	b.open(href)
}

// TestApplicationPath is the path: from the demo, a prescriber creates a job seeker and
// applies to two structures; one refuses with a reason (the person and the prescriber are told
// by mail), the other accepts; the refused application is sent on to a third structure; each
// party sees it in their lists. axe-core checks every page on the way.
func TestApplicationPath(t *testing.T) {
	srv := startDemoTest(t)
	person := newPerson("Lina", "Moreau")
	srv.keepPrivate(person.Email)

	// The prescriber creates the person's file.
	p := newBrowser(t, srv)
	if status := p.login(demoPrescriber, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	p.open("/candidats/nouveau")
	p.expectHeading("Nouveau candidat")
	p.checkPage("new job seeker form")
	// Submitted empty: every problem at once, at its field.
	if status := p.clickThrough(`main form[action="/candidats"] button[type=submit]`); status != 422 {
		t.Fatalf("empty form answered %d", status)
	}
	if got := p.text("#erreurs"); !strings.Contains(got, "Saisissez le nom de naissance") || !strings.Contains(got, "Choisissez la commune de résidence") {
		t.Fatalf("error summary: %q", got)
	}
	p.checkPage("new job seeker form, errors")
	p.fillJobSeeker(person, "1992-04-17")
	p.typeInto("#f-phone", "06 12 34 56 78")
	p.click("#f-need_mobility")
	p.setValue("#f-need_mobility_comment", "Pas de permis de conduire")
	p.shoot("jobseeker-form")
	p.clickThrough(`main form[action="/candidats"] button[type=submit]`)
	p.expectFlash("Le dossier du candidat est créé.")
	p.expectHeading(person.FirstName + " " + person.LastName)
	p.checkPage("job seeker's file")
	p.shoot("jobseeker-file")
	personPath := p.path()

	// Two applications: to the ACI (with a CV) and to the EI of the demo employer.
	cv := filepath.Join(t.TempDir(), "CV Lina Moreau.pdf")
	if err := os.WriteFile(cv, []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% CV de Lina\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Jardins du Rhône", "Rhône Insertion Services"} {
		href := p.structureHref(name)
		p.open(href + "/postuler")
		p.checkPage("apply form " + name)
		p.setValue("#f-candidat", strings.TrimPrefix(personPath, "/candidats/"))
		p.click(`input[name="job_descriptions"]`)
		p.setValue("#f-message", "Lina cherche un emploi proche de chez elle.")
		if i == 0 {
			p.step("attach the CV", chromedp.SetUploadFiles(chromedp.CSS("#f-cv"), []string{cv}))
		}
		p.shoot("apply-" + asciiLower(strings.ReplaceAll(name, " ", "-")))
		p.clickThrough(`main form button[type=submit]`)
		p.expectFlash("La candidature est envoyée : la structure la reçoit dès maintenant.")
	}
	p.open("/candidatures")
	p.expectHeading("Candidatures envoyées")
	if n := eval[int](p, "rows", `document.querySelectorAll('main table tbody a').length`); n < 2 {
		t.Fatalf("the prescriber's list shows %d applications", n)
	}
	p.checkPage("prescriber's sent list")
	p.shoot("prescriber-sent")

	// The ACI refuses, sharing the reason; the EI accepts.
	e := newBrowser(t, srv)
	if status := e.login(demoEmployer, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	e.switchTo("Les Jardins du Rhône")
	e.open("/candidatures")
	e.expectHeading("Candidatures reçues")
	e.checkPage("employer's received list")
	e.shoot("employer-received")
	e.openApplicationOf(person.FirstName)
	e.checkPage("application, employer")
	// The CV downloads as a PDF, from the page, for the structure that received it.
	if got := eval[string](e, "download the CV", `(async () => {
  const a = document.querySelector('a[href$="/cv"]'); if (!a) return 'no link';
  const r = await fetch(a.href); const b = await r.text();
  return r.status + ' ' + r.headers.get('Content-Type') + ' ' + b.includes('CV de Lina');
})()`, chromedp.EvalAwaitPromise); got != "200 application/pdf true" {
		t.Fatalf("CV download: %s", got)
	}
	e.shoot("application-employer")
	e.setValue("#f-reason", "no_position")
	e.click("#f-reason_shared")
	e.setValue("#f-answer", "Nous n'avons plus de poste cette saison, merci de votre intérêt.")
	e.setValue("#f-answer_to_sender", "Nous rouvrons des postes au printemps.")
	e.clickThrough(`form input[name="action"][value="refuse"] ~ button[type=submit]`)
	e.expectFlash("La candidature est déclinée ; le candidat et l'émetteur sont prévenus.")
	refused := e.path()

	// Both were told: the person of the refusal with its reason, the prescriber with the
	// structure's word to them.
	m := newBrowser(t, srv)
	m.open("/")
	m.openNewestMail(person.Email, "Du nouveau pour la candidature chez Jardins du Rhône")
	if body := m.bodyText(); !strings.Contains(body, "plus de poste cette saison") || !strings.Contains(body, "Pas de recrutement en cours") {
		t.Fatalf("the person's mail: %s", body)
	}
	m.openNewestMail(demoPrescriber, "Du nouveau pour la candidature chez Jardins du Rhône")
	if body := m.bodyText(); !strings.Contains(body, "Nous rouvrons des postes au printemps") {
		t.Fatalf("the prescriber's mail: %s", body)
	}

	e.switchTo("Rhône Insertion Services")
	e.openApplicationOf(person.FirstName)
	// An SIAE hires only an eligible person: the EI makes its diagnosis first.
	e.clickThrough(`a[href*="/diagnostic?retour="]`)
	e.click(`label[for="f-critere_RSA"]`)
	e.clickThrough(`main form button[type=submit]`)
	e.expectFlash("Le diagnostic d'éligibilité est enregistré.")
	e.clickThrough(`main a[href^="/candidatures/"]`)
	e.setValue("#f-hiring_start", time.Now().AddDate(0, 0, 10).Format("2006-01-02"))
	e.setValue("#f-contract_type", "cddi")
	e.typeInto("#f-hours_per_week", "24")
	e.typeInto("#f-salary", "1 450,00")
	e.clickThrough(`form input[name="action"][value="accept"] ~ button[type=submit]`)
	e.expectFlash("L'embauche est enregistrée ; le candidat et l'émetteur sont prévenus.")
	if !strings.Contains(e.bodyText(), "Acceptée") {
		t.Fatalf("accepted application: %s", e.bodyText())
	}
	e.shoot("application-accepted")

	// The ACI sends the refused application on to the association intermédiaire.
	e.switchTo("Les Jardins du Rhône")
	e.open(refused)
	siret := luhnComplete("8345678900011") // the demo's association intermédiaire
	e.typeInto("#f-target_siret", siret)
	e.clickThrough(`form[action$="/envoi"] button[type=submit]`)
	e.expectFlash("La candidature est envoyée à l'autre structure.")
	e.checkPage("application sent on")

	// The third structure receives it.
	ai := newBrowser(t, srv)
	if status := ai.login(demoEmployerAI, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	ai.open("/candidatures")
	if !strings.Contains(ai.bodyText(), person.FirstName) {
		t.Fatalf("the AI does not list the application: %s", ai.bodyText())
	}
	ai.openApplicationOf(person.FirstName)
	if !strings.Contains(ai.bodyText(), "par employeur") {
		t.Fatalf("sent on by the ACI: %s", ai.bodyText())
	}
	ai.checkPage("application received after sending on")
}

// luhnComplete adds the Luhn check digit to a 13-digit SIRET base, as the demo does.
func luhnComplete(base string) string {
	for d := byte('0'); d <= '9'; d++ {
		s := base + string(d)
		sum := 0
		for i := 0; i < len(s); i++ {
			n := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				n *= 2
				if n > 9 {
					n -= 9
				}
			}
			sum += n
		}
		if sum%10 == 0 {
			return s
		}
	}
	return ""
}
