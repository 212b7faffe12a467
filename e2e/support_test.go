package e2e

import (
	"strings"
	"testing"
	"time"
)

// The demo's adapted-support accounts (issue 10): habilitated advisors with a second factor.
const (
	demoCapEmploi = "cap-emploi@demo.parcours.test"
	demoSupportFT = "accompagnement.ft@demo.parcours.test"
	demoAgefiph   = "agefiph@demo.parcours.test"
	// demoOtherAgency is habilitated in another agency, France Travail Grenoble.
	demoOtherAgency = "accompagnement.ft-grenoble@demo.parcours.test"
)

// loginWithCode logs in an account with a second factor, reading its current code on the demo
// page (element id), and lands on the dashboard.
func (b *browser) loginWithCode(email, codeID string) {
	b.t.Helper()
	b.open("/demo/courriels")
	code := b.text("#" + codeID)
	if len(code) != 6 {
		b.t.Fatalf("demo code of %s: %q", email, code)
	}
	if status := b.login(email, demoPassword); status != 200 {
		b.t.Fatalf("login of %s answered %d", email, status)
	}
	b.expectPath("/connexion/double-facteur")
	b.typeInto("#f-code", code)
	b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`)
	b.expectPath("/tableau-de-bord")
}

// TestSupportPath walks the adapted support from the demo: Cap emploi's habilitated advisor
// finds Lucas Girard by his NIR and records the five categories with France Travail as joint
// controller; France Travail's habilitated advisor reads them; the agency's prescriber without
// the habilitation, an employer, the Agefiph agent, a habilitated advisor of another agency
// (France Travail Grenoble, offered only the emergency access) and staff cannot; Cap emploi's
// admin reviews the demo's emergency access; the demo job seeker sees his record and who
// accessed it, and asks for a rectification; the daily purge has removed Bernard Petit's record, whose RQTH ended
// more than 6 months ago. axe-core checks the pages.
func TestSupportPath(t *testing.T) {
	srv := startDemoTest(t)
	// The demo confirms each enrolment with the previous step's code; wait for a fresh step, as
	// TestFlows does for the administrator.
	srv.waitPastStartupCode()

	// Cap emploi finds Lucas Girard and opens his support.
	c := newBrowser(t, srv)
	c.loginWithCode(demoCapEmploi, "code-cap-emploi")
	c.open("/candidats")
	c.typeInto("#f-find_nir", demoNIR("1", 2003, 9, "69123", 1))
	c.setValue("#f-find_birth_date", "2003-09-02")
	c.clickThrough(`form[action="/candidats/retrouver"] button[type=submit]`)
	lucas := c.path()
	if !strings.HasPrefix(lucas, "/candidats/") {
		t.Fatalf("retrouver led to %s", lucas)
	}
	c.clickThrough("#lien-accompagnement")
	c.expectHeading("Ouvrir l'accompagnement adapté")
	c.expectText("opening form", "Ne jamais y écrire de diagnostic ni de traitement")
	c.checkPage("support opening form")
	c.shoot("support-open")
	c.click(`label[for="f-types-cognitive"]`)
	c.click(`label[for="f-origins-illness"]`)
	c.setValue("#f-disability_comment", "Fatigabilité en fin de journée.")
	c.click(`label[for="f-compensation-working_time"]`)
	c.setValue("#f-compensation_comment", "Temps partiel thérapeutique possible.")
	c.setValue("#f-recovery", "Reprendre un rythme régulier, aime le travail en équipe.")
	c.click(`label[for="f-limitations-concentration"]`)
	c.setValue("#f-limitations_comment", "Tâches courtes et variées.")
	eval[bool](c, "choose title and joint controller", `(() => {
  document.querySelector('#f-boeth_category').value = 'rqth';
  const joint = document.querySelector('#f-joint_org');
  for (const o of joint.options) { if (o.textContent.includes('Lyon Part-Dieu')) joint.value = o.value; }
  return true;
})()`)
	c.setValue("#f-boeth_decided_on", "2025-06-01")
	c.setValue("#f-boeth_valid_until", "2030-05-31")
	c.clickThrough(`main form[action$="/accompagnement"] button[type=submit]`)
	c.expectFlash("L'accompagnement adapté est ouvert.")
	c.expectText("record", "Cognitif", "Fatigabilité en fin de journée.", "Aménagement du temps de travail", "Reprendre un rythme régulier",
		"Concentration prolongée", "Reconnaissance de la qualité de travailleur handicapé", "France Travail Lyon Part-Dieu")
	c.checkPage("support record")
	c.shoot("support-record-cap-emploi")

	// Cap emploi builds Lucas's plan (issue 11, item 1).
	c.open(lucas + "/accompagnement/plan")
	c.expectText("empty plan", "Aucun plan n'est encore enregistré.")
	c.clickThrough(`main a[href$="/accompagnement/plan/modifier"]`)
	c.checkPage("plan form")
	c.setValue("#f-job0", "Magasinier / Magasinière (16276)")
	c.setValue("#f-commune", "69123")
	c.setValue("#f-radius_km", "15")
	c.setValue("#f-hours", "24")
	c.setValue("#f-objectives", "Reprendre un emploi à temps partiel dans la logistique.")
	eval[bool](c, "choose the action's type", `(() => { document.querySelector('#f-a0_type').value = 'training'; return true; })()`)
	c.setValue("#f-a0_description", "Formation de cariste.")
	c.setValue("#f-a0_due_on", "2027-03-01")
	c.setValue("#f-r0_planned_on", "2027-02-01")
	c.clickThrough(`main form[action$="/plan/modifier"] button[type=submit]`)
	c.expectFlash("Le plan d'accompagnement est enregistré : une nouvelle version est créée.")
	c.expectText("plan", "Magasinier", "Formation de cariste.", "Lyon, 15 km autour", "Historique des versions", "Première version")
	c.checkPage("plan")
	c.shoot("support-plan-cap-emploi")

	// Cap emploi's admin reviews the emergency access of its reception advisor.
	c.open("/accompagnement/administration")
	c.expectText("admin page", "Hugo Mercier", "Mme Haddad se présente", "Samira H.")
	c.checkPage("support administration")
	c.clickThrough(`main form[action^="/accompagnement/acces-urgence/"] button[value="justifie"]`)
	c.expectFlash("L'accès d'urgence est examiné.")
	c.expectText("after review", "Justifié")

	// France Travail Lyon Part-Dieu's habilitated advisor reads Lucas's record (joint controllers).
	f := newBrowser(t, srv)
	f.loginWithCode(demoSupportFT, "code-accompagnement-ft")
	f.open("/accompagnement")
	f.expectText("caseload", "Lucas Girard", "Karim Benali", "Samira Haddad", "PLAN EN RETARD")
	if strings.Contains(f.bodyText(), "Bernard") {
		// The purge runs at start-up; give it a moment.
		time.Sleep(3 * time.Second)
		f.open("/accompagnement")
		if strings.Contains(f.bodyText(), "Bernard") {
			t.Fatal("Bernard Petit's record, 6 months past its RQTH end, is still in the caseload")
		}
	}
	f.checkPage("caseload")
	f.open(lucas + "/accompagnement?finalite=support.plan")
	f.expectText("joint controller", "Fatigabilité en fin de journée.", "Reprendre un rythme régulier", "Tâches courtes et variées.")

	// Nobody else reads it.
	for _, who := range []string{demoPrescriber, demoEmployer, demoAgefiph, demoOtherAgency} {
		o := newBrowser(t, srv)
		switch who {
		case demoAgefiph:
			// The Agefiph agent has a second factor (the aid files addressed to the Agefiph).
			o.loginWithCode(who, "code-agefiph")
		case demoOtherAgency:
			// A habilitated advisor, of an agency that does not follow Lucas.
			o.loginWithCode(who, "code-accompagnement-ft-grenoble")
		default:
			if status := o.login(who, demoPassword); status != 200 {
				t.Fatalf("login of %s answered %d", who, status)
			}
		}
		status := o.open(lucas + "/accompagnement")
		if who == demoOtherAgency {
			// Habilitated but outside the caseload: only the emergency-access form, which the
			// journal, the person and her organisation's admin would see used.
			if status != 200 || o.heading() != "Accès d'urgence" {
				t.Fatalf("the other agency's advisor got %d %q", status, o.heading())
			}
		} else if status != 403 {
			t.Fatalf("%s opened the record: %d", who, status)
		}
		if strings.Contains(o.bodyText(), "Fatigabilité") {
			t.Fatalf("%s sees the health data", who)
		}
	}

	// The demo job seeker sees his record and who accessed it, and asks for a rectification.
	p := newBrowser(t, srv)
	if status := p.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	p.open("/mon-accompagnement")
	p.expectHeading("Mon accompagnement adapté")
	p.expectText("own record", "Séquelles d'un accident du travail", "Cap emploi Rhône", "France Travail Lyon Part-Dieu",
		"Consultation du dossier", "Information, accueil, orientation et accompagnement adapté", "Le droit d'opposition ne s'applique pas")
	p.checkPage("own support record")
	p.shoot("support-mine")
	p.click(`label[for="f-kind-rect"]`)
	p.setValue("#f-message", "La date de décision de ma RQTH est le 3 mars.")
	p.clickThrough(`main form[action="/mon-accompagnement/demandes"] button[type=submit]`)
	p.expectFlash("Votre demande est transmise à votre conseiller.")

	// He reads his plan and its history, and acknowledges the current version online.
	p.open("/mon-accompagnement/plan")
	p.expectHeading("Mon plan d'accompagnement")
	p.expectText("own plan", "Magasinier", "EN RETARD", "Historique des versions", "En entretien")
	p.checkPage("own plan")
	p.shoot("support-plan-mine")
	p.clickThrough(`main form[action="/mon-accompagnement/plan/prise-de-connaissance"] button[type=submit]`)
	p.expectFlash("Merci : votre prise de connaissance du plan est enregistrée.")
	p.expectText("acknowledged", "En ligne, par la personne")

	// The purge is in the journal, with counts and pseudonyms only.
	a := newBrowser(t, srv)
	a.loginWithCode(demoAdmin, "code-demo")
	if status := a.open("/candidats/" + strings.TrimPrefix(lucas, "/candidats/") + "/accompagnement"); status != 403 {
		t.Fatalf("staff opened the record: %d", status)
	}
	a.open("/admin/journal?action=support.purged")
	a.expectText("journal", "Purge des données de santé")
}
