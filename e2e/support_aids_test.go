package e2e

import (
	"strings"
	"testing"
)

// TestSupportAidsPath walks the aids of the adapted support from the demo (issue 11, part 2):
// Cap emploi's advisor requests an AGEPI for Karim Benali and instructs it; the reception
// advisor, a colleague, grants it (the instructor cannot); the advisor exports the France
// Travail batch and marks it paid; Karim sees his aids and downloads the letter; the Agefiph
// agent sees the Agefiph files without the justification. axe-core checks the pages.
func TestSupportAidsPath(t *testing.T) {
	srv := startDemoTest(t)
	srv.waitPastStartupCode()

	c := newBrowser(t, srv)
	c.loginWithCode(demoCapEmploi, "code-cap-emploi")
	c.open("/accompagnement")
	karim := eval[string](c, "Karim's link", `(() => { for (const a of document.querySelectorAll('main a')) { if (a.textContent.includes('Karim')) return a.getAttribute('href'); } return ''; })()`)
	if !strings.HasPrefix(karim, "/candidats/") {
		t.Fatalf("Karim's link: %q", karim)
	}
	karim = strings.TrimSuffix(karim, "/accompagnement")
	c.open(karim + "/accompagnement")
	c.clickThrough(`a[href$="/accompagnement/aides"]`)
	c.expectHeading("Aides et services")
	c.expectText("demo aids", "Siège ergonomique", "Payée", "Aide à la mobilité (France Travail)", "Aide à la mobilité : permis de conduire")
	c.checkPage("aids page")
	c.shoot("support-aids")

	// A request with errors keeps its values; then the right one.
	eval[bool](c, "choose the aid", `(() => { document.querySelector('#f-aid_code').value = 'FT_AGEPI'; return true; })()`)
	c.setValue("#f-amount", "900")
	c.setValue("#f-justification", "Garde de sa fille pendant la formation de cariste.")
	c.setValue("#f-holder", "Karim Benali")
	c.setValue("#f-iban", "FR39 1870 7000 3402 1234 5678 915")
	c.setValue("#f-bic", "CCBPFRPPLYO")
	c.clickThrough(`main form[action$="/accompagnement/aides"] button[type=submit]`)
	c.expectText("rejected request", "Le formulaire contient 2 erreurs", "Le plafond de cette aide est de 520,00", "clé de contrôle de l'IBAN")
	c.checkPage("aid request errors")
	c.setValue("#f-amount", "450")
	c.setValue("#f-iban", "FR39 1870 7000 3402 1234 5678 914")
	c.clickThrough(`main form[action$="/accompagnement/aides"] button[type=submit]`)
	c.expectFlash("La demande d'aide est enregistrée ; elle attend son instruction.")
	eval[bool](c, "instruct", `(() => { const f = document.querySelector('form[action$="/instruction"]');
  f.querySelector('input[value="oui"]').checked = true; f.querySelector('input[name="proposed"]').value = '450'; return true; })()`)
	c.clickThrough(`form[action$="/instruction"] button[type=submit]`)
	c.expectFlash("L'instruction est enregistrée ; la décision revient à un autre conseiller habilité.")
	c.expectText("four eyes", "Vous avez demandé ou instruit cette aide")

	r := newBrowser(t, srv)
	r.loginWithCode("accueil.cap-emploi@demo.parcours.test", "code-accueil-cap-emploi")
	r.open(karim + "/accompagnement/aides")
	eval[bool](r, "decide", `(() => { const f = document.querySelector('form[action$="/decision"]');
  f.querySelector('input[value="accorder"]').checked = true; f.querySelector('input[name="granted"]').value = '450'; return true; })()`)
	r.clickThrough(`form[action$="/decision"] button[type=submit]`)
	r.expectFlash("L'aide est accordée ; la lettre de décision est disponible.")

	c.open("/accompagnement/paiements")
	c.expectText("payments", "Aides accordées à payer", "AGEPI", "Bilan par financeur")
	c.checkPage("payments page")
	c.clickThrough(`form:has(input[name="funder"][value="FT"]) button[type=submit]`)
	c.expectFlash("Le lot de virements est créé : téléchargez son fichier SEPA et transmettez-le à la banque.")
	c.clickThrough(`form[action$="/paye"] button[type=submit]`)
	c.expectFlash("Le lot est marqué payé ; les aides sont payées.")
	c.shoot("support-aid-payments")

	p := newBrowser(t, srv)
	if status := p.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	p.open("/mon-accompagnement")
	p.clickThrough(`a[href="/mon-accompagnement/aides"]`)
	p.expectHeading("Mes aides")
	p.expectText("own aids", "AGEPI", "Garde de sa fille", "Payée", "450,00")
	p.checkPage("own aids")

	a := newBrowser(t, srv)
	a.loginWithCode(demoAgefiph, "code-agefiph")
	a.open("/accompagnement/aides-financeur")
	a.expectText("funder files", "Karim Benali", "Aide technique : compensation du handicap", "Aide à la mobilité : permis de conduire")
	if body := a.bodyText(); strings.Contains(body, "Siège ergonomique") || strings.Contains(body, "AGEPI") || strings.Contains(body, "FR39") {
		t.Fatal("the Agefiph agent sees more than the files addressed to the Agefiph")
	}
	a.checkPage("funder files")
	if status := a.open(karim + "/accompagnement/aides"); status != 403 {
		t.Fatalf("the Agefiph agent opened the person's aids: %d", status)
	}
}
