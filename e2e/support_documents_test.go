package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSupportDocumentsAndStatistics walks the documents and statistics of the adapted support
// (issue 11) from the demo: Cap emploi's habilitated advisor opens Karim Benali's documents
// (the demo's quote and the bank details Karim sent), uploads a letter, and reads the
// statistics, all cells secret with three records; Karim sees his documents; the agency's
// prescriber without the habilitation cannot open them. axe-core checks the pages.
func TestSupportDocumentsAndStatistics(t *testing.T) {
	srv := startDemoTest(t)
	srv.waitPastStartupCode()

	c := newBrowser(t, srv)
	c.loginWithCode(demoCapEmploi, "code-cap-emploi")
	c.open("/accompagnement")
	karim := eval[string](c, "Karim's record", `(() => { for (const a of document.querySelectorAll('main table a')) { if (a.textContent.includes('Karim')) return a.getAttribute('href'); } return ''; })()`)
	if !strings.HasSuffix(karim, "/accompagnement") {
		t.Fatalf("no link to Karim's record: %q", karim)
	}
	c.open(karim)
	c.clickThrough(`main a[href$="/accompagnement/documents"]`)
	c.expectHeading("Documents de l'accompagnement adapté")
	c.expectText("documents", "devis-siege-ergonomique.pdf", "rib.pdf", "par la personne", "Suppression prévue le", "Durées de conservation")
	c.checkPage("support documents")
	letter := filepath.Join(t.TempDir(), "courrier Agefiph.pdf")
	if err := os.WriteFile(letter, []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% courrier\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.setValue("#f-kind", "courrier")
	c.step("attach the letter", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{letter}))
	c.clickThrough(`main form:has(#f-kind) button[type=submit]`)
	c.expectFlash("Le document est enregistré, chiffré.")
	c.expectText("after upload", "courrier Agefiph.pdf", "Courrier")
	c.shoot("support-documents")

	c.open("/accompagnement/statistiques")
	c.expectHeading("Statistiques de l'accompagnement adapté")
	c.expectText("statistics", "Cap emploi Rhône", "secret", "Secret statistique", "Télécharger l'extrait pseudonymisé")
	c.checkPage("support statistics")
	c.shoot("support-statistics")

	p := newBrowser(t, srv)
	if status := p.login(demoJobSeeker, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	p.open("/mon-accompagnement/documents")
	p.expectHeading("Mes documents d'accompagnement")
	p.expectText("own documents", "devis-siege-ergonomique.pdf", "rib.pdf", "courrier Agefiph.pdf", "Transmettre un document à votre conseiller")
	p.checkPage("own support documents")

	o := newBrowser(t, srv)
	if status := o.login(demoPrescriber, demoPassword); status != 200 {
		t.Fatalf("login answered %d", status)
	}
	if status := o.open(karim + "/documents"); status != 403 {
		t.Fatalf("the prescriber without habilitation opened the documents: %d", status)
	}
}
