package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSupportWholePath walks the "done when" of the adapted support (issues 10 and 11) in one
// go, from the demo: Cap emploi's habilitated advisor creates a person's file with her address,
// opens her support with the five categories, builds her plan and records a review, requests an
// aid that a colleague grants, exports the payment batch and marks it paid, and uploads the
// proof of her employment-obligation title; the person takes over the account the advisor's
// creation opened for her and sees all of it, and who accessed her record; France Travail's
// prescriber without the habilitation, an employer and a staff member read none of it. Last,
// the staff erase her file as a duplicate: her support goes with it.
func TestSupportWholePath(t *testing.T) {
	srv := startDemoTest(t)
	srv.waitPastStartupCode()
	person := newPerson("Nadia", "Roux")
	srv.keepPrivate(person.Email)
	today := time.Now().Format("2006-01-02")

	// Cap emploi's advisor creates Nadia's file with her address: an account waits for her.
	c := newBrowser(t, srv)
	c.loginWithCode(demoCapEmploi, "code-cap-emploi")
	c.open("/candidats/nouveau")
	c.fillJobSeeker(person, "1984-11-23")
	c.clickThrough(`main form[action="/candidats"] button[type=submit]`)
	c.expectFlash("Le dossier du candidat est créé.")
	nadia := c.path()
	if !strings.HasPrefix(nadia, "/candidats/") {
		t.Fatalf("the new file is at %s", nadia)
	}

	// She opens the support with the five categories.
	c.clickThrough("#lien-accompagnement")
	c.expectHeading("Ouvrir l'accompagnement adapté")
	c.click(`label[for="f-types-motor"]`)
	c.click(`label[for="f-origins-other_accident"]`)
	c.setValue("#f-disability_comment", "Station debout prolongée difficile.")
	c.click(`label[for="f-compensation-workstation"]`)
	c.setValue("#f-compensation_comment", "Siège assis-debout.")
	c.setValue("#f-recovery", "Reprendre confiance après un long arrêt.")
	c.click(`label[for="f-limitations-loads"]`)
	c.setValue("#f-limitations_comment", "Pas de charge de plus de 5 kg.")
	eval[bool](c, "choose the title", `(() => { document.querySelector('#f-boeth_category').value = 'rqth'; return true; })()`)
	c.setValue("#f-boeth_decided_on", "2025-02-01")
	c.setValue("#f-boeth_valid_until", "2030-01-31")
	c.clickThrough(`main form[action$="/accompagnement"] button[type=submit]`)
	c.expectFlash("L'accompagnement adapté est ouvert.")
	c.expectText("record", "Moteur", "Station debout prolongée difficile.", "Siège assis-debout.", "Reprendre confiance après un long arrêt.",
		"Pas de charge de plus de 5 kg.", "Reconnaissance de la qualité de travailleur handicapé")

	// The plan, then its first review held today: a second version.
	c.clickThrough(`main a[href$="/accompagnement/plan"]`)
	c.clickThrough(`main a[href$="/accompagnement/plan/modifier"]`)
	// The job field suggests ROME appellations as she types.
	c.typeInto("#f-job0", "agent d'acc")
	c.step("job suggestions", chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#job0-suggestions option')].some(o => o.value === "Agent / Agente d'accueil (10372)")`))
	c.setValue("#f-job0", "Agent / Agente d'accueil (10372)")
	c.shoot("support-plan-form")
	c.setValue("#f-commune", "69266")
	c.setValue("#f-radius_km", "10")
	c.setValue("#f-hours", "28")
	c.setValue("#f-objectives", "Un poste d'accueil assis, près de chez elle.")
	eval[bool](c, "choose the action's type", `(() => { document.querySelector('#f-a0_type').value = 'training'; return true; })()`)
	c.setValue("#f-a0_description", "Remise à niveau bureautique.")
	c.setValue("#f-a0_due_on", time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	c.setValue("#f-r0_planned_on", today)
	c.clickThrough(`main form[action$="/plan/modifier"] button[type=submit]`)
	c.expectFlash("Le plan d'accompagnement est enregistré : une nouvelle version est créée.")
	c.clickThrough(`main a[href$="/accompagnement/plan/modifier"]`)
	c.setValue("#f-r0_held_on", today)
	c.setValue("#f-r0_summary", "Inscrite à la remise à niveau ; premier entretien d'embauche dans quinze jours.")
	c.clickThrough(`main form[action$="/plan/modifier"] button[type=submit]`)
	c.expectFlash("Le plan d'accompagnement est enregistré : une nouvelle version est créée.")
	c.expectText("reviewed plan", "Agent", "Remise à niveau bureautique.", "premier entretien d'embauche", "Version 2")
	c.checkPage("reviewed plan")

	// An aid: requested and instructed by her, granted by a colleague.
	c.open(nadia + "/accompagnement/aides")
	eval[bool](c, "choose the aid", `(() => { document.querySelector('#f-aid_code').value = 'FT_AGEPI'; return true; })()`)
	c.setValue("#f-amount", "300")
	c.setValue("#f-justification", "Garde de son fils pendant la remise à niveau.")
	c.setValue("#f-holder", person.FirstName+" "+person.LastName)
	c.setValue("#f-iban", "FR39 1870 7000 3402 1234 5678 914")
	c.setValue("#f-bic", "CCBPFRPPLYO")
	c.clickThrough(`main form[action$="/accompagnement/aides"] button[type=submit]`)
	c.expectFlash("La demande d'aide est enregistrée ; elle attend son instruction.")
	eval[bool](c, "instruct", `(() => { const f = document.querySelector('form[action$="/instruction"]');
  f.querySelector('input[value="oui"]').checked = true; f.querySelector('input[name="proposed"]').value = '300'; return true; })()`)
	c.clickThrough(`form[action$="/instruction"] button[type=submit]`)
	c.expectFlash("L'instruction est enregistrée ; la décision revient à un autre conseiller habilité.")
	r := newBrowser(t, srv)
	r.loginWithCode("accueil.cap-emploi@demo.parcours.test", "code-accueil-cap-emploi")
	r.open(nadia + "/accompagnement/aides")
	eval[bool](r, "decide", `(() => { const f = document.querySelector('form[action$="/decision"]');
  f.querySelector('input[value="accorder"]').checked = true; f.querySelector('input[name="granted"]').value = '300'; return true; })()`)
	r.clickThrough(`form[action$="/decision"] button[type=submit]`)
	r.expectFlash("L'aide est accordée ; la lettre de décision est disponible.")

	// The batch: exported as a SEPA file, then marked paid.
	c.open("/accompagnement/paiements")
	c.clickThrough(`form:has(input[name="funder"][value="FT"]) button[type=submit]`)
	c.expectFlash("Le lot de virements est créé : téléchargez son fichier SEPA et transmettez-le à la banque.")
	if got := eval[string](c, "download the SEPA file", `(async () => {
  for (const a of document.querySelectorAll('main a[href$="/fichier"]')) {
    const r = await fetch(a.href); const b = await r.text();
    if (b.includes('<InstdAmt Ccy="EUR">300.00</InstdAmt>')) return r.status + ' ' + b.includes('pain.001.001.03');
  }
  return 'no file with the aid';
})()`, chromedp.EvalAwaitPromise); got != "200 true" {
		t.Fatalf("SEPA file: %s", got)
	}
	c.clickThrough(`form[action$="/paye"] button[type=submit]`)
	c.expectFlash("Le lot est marqué payé ; les aides sont payées.")

	// The proof of her title.
	proof := filepath.Join(t.TempDir(), "notification RQTH.pdf")
	if err := os.WriteFile(proof, []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% notification MDPH\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.open(nadia + "/accompagnement/documents")
	c.setValue("#f-kind", "titre_boeth")
	c.step("attach the proof", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{proof}))
	c.clickThrough(`main form:has(#f-kind) button[type=submit]`)
	c.expectFlash("Le document est enregistré, chiffré.")
	c.expectText("documents", "notification RQTH.pdf", "Justificatif d'obligation d'emploi")

	// Nadia takes over her account from the mail and sees all of it.
	p := newBrowser(t, srv)
	p.open("/")
	p.openNewestMail(person.Email, "Votre espace candidat sur Parcours")
	link := eval[string](p, "activation link", `(document.querySelector('.parcours-mail a[href*="/mot-de-passe/nouveau/"]') || {}).href || ''`)
	if link == "" {
		t.Fatalf("no activation link in the mail: %s", p.bodyText())
	}
	srv.keepPrivate(link[strings.LastIndex(link, "/")+1:], person.Password)
	p.clickThrough(`.parcours-mail a[href*="/mot-de-passe/nouveau/"]`)
	p.typeInto("#f-password", person.Password)
	p.clickThrough(`main form button[type=submit]`)
	if status := p.login(person.Email, person.Password); status != 200 {
		t.Fatalf("Nadia's login answered %d", status)
	}
	p.open("/mon-accompagnement")
	p.expectText("own record", "Station debout prolongée difficile.", "Siège assis-debout.", "Reprendre confiance", "Pas de charge de plus de 5 kg.",
		"Cap emploi Rhône", "Télécharger le justificatif", "Consultation du dossier", "Qui a consulté ou modifié votre dossier")
	p.checkPage("own record, whole path")
	p.shoot("support-whole-mine")
	p.open("/mon-accompagnement/plan")
	p.expectText("own plan", "Remise à niveau bureautique.", "premier entretien d'embauche")
	p.open("/mon-accompagnement/aides")
	p.expectText("own aids", "AGEPI", "Garde de son fils", "Payée", "300,00")
	p.open("/mon-accompagnement/documents")
	p.expectText("own documents", "notification RQTH.pdf")

	// Nobody else reads any of it.
	others := map[string]*browser{}
	for _, who := range []string{demoPrescriber, demoEmployer} {
		o := newBrowser(t, srv)
		if status := o.login(who, demoPassword); status != 200 {
			t.Fatalf("login of %s answered %d", who, status)
		}
		others[who] = o
	}
	staff := newBrowser(t, srv)
	staff.loginWithCode(demoAdmin, "code-demo")
	others[demoAdmin] = staff
	for who, o := range others {
		for _, page := range []string{"/accompagnement", "/accompagnement/plan", "/accompagnement/aides", "/accompagnement/documents", "/accompagnement/justificatif"} {
			if status := o.open(nadia + page); status != 403 && status != 404 {
				t.Fatalf("%s opened %s: %d", who, page, status)
			}
			if body := o.bodyText(); strings.Contains(body, "Station debout") || strings.Contains(body, "Remise à niveau") || strings.Contains(body, "Garde de son fils") {
				t.Fatalf("%s reads Nadia's support on %s", who, page)
			}
		}
	}

	// The file turns out to duplicate another one: the staff erase it, with everything attached.
	staff.open(nadia)
	staff.expectText("erasure form", "Effacer ce dossier")
	staff.checkPage("job seeker's file, staff")
	staff.shoot("jobseeker-erase-staff")
	staff.setValue("#f-reason", "duplicate")
	staff.clickThrough(`main form[action$="/effacement"] button[type=submit]`)
	staff.expectFlash("Le dossier est effacé, avec tout ce qui s'y rattachait ; sa clé de chiffrement est détruite.")
	if status := staff.open(nadia); status != 404 {
		t.Fatalf("the erased file answers %d", status)
	}
	p.open("/mon-accompagnement")
	p.expectText("after the erasure", "Aucun accompagnement adapté")
}
