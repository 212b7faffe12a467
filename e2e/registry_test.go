package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRegistryPages drives the IAE registry in the browser: a visitor searches employers and
// job offers around a commune typed by name (the form works by plain submission), opens a
// structure page; the demo employer edits a job description. axe-core checks every state.
func TestRegistryPages(t *testing.T) {
	srv := startDemoTest(t)
	b := newBrowser(t, srv)
	check := func(label string) {
		t.Helper()
		b.checkDSFR(label)
		b.checkAccessibility(label)
	}

	b.open("/recherche")
	b.expectHeading("Trouver un employeur solidaire")
	check("search, empty")

	// An unknown commune: the message is at the field, nothing is listed.
	b.typeInto("#f-commune", "Nullepartville")
	if status := b.clickThrough(`main form button[type=submit]`); status != 422 {
		t.Fatalf("unknown commune answered %d, want 422", status)
	}
	if !strings.Contains(b.text("#f-commune-error"), "Aucune commune ne correspond") {
		t.Fatalf("no field message: %s", b.bodyText())
	}
	check("search, unknown commune")

	// Typing offers the matching communes (parcours.js fills the field's datalist).
	b.open("/recherche")
	b.typeInto("#f-commune", "Lyo")
	b.step("commune suggestions", chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#communes-suggestions option')].some(o => o.value.startsWith('Lyon ('))`))
	b.setValue("#f-commune", "Lyon")
	eval[bool](b, "choose 5 km", `(() => { document.querySelector('#f-rayon').value = '5'; return true; })()`)
	b.clickThrough(`main form button[type=submit]`)
	heading := b.text("#resultats")
	if !strings.Contains(heading, "à moins de 5 km de Lyon") {
		t.Fatalf("results heading %q", heading)
	}
	if !strings.Contains(b.bodyText(), "Jardins du Rhône") {
		t.Fatal("the demo ACI is not listed around Lyon")
	}
	if !strings.Contains(eval[string](b, "shareable URL", `location.search`), "commune=Lyon") {
		t.Fatal("the search is not in the URL")
	}
	check("search, results")
	b.shoot("search-results")

	b.open("/recherche/postes?commune=69123&rayon=10")
	b.expectHeading("Trouver une offre d'emploi solidaire")
	check("job offers, results")
	b.open("/recherche/prescripteurs?commune=69123")
	b.expectHeading("Trouver un accompagnement près de chez soi")
	check("prescribers, results")

	// The structure page, as a visitor.
	b.open("/recherche?commune=69123&rayon=5")
	href := eval[string](b, "first structure link", `(() => {
  for (const a of document.querySelectorAll('#resultats ~ ul a')) { if (a.textContent.includes('Jardins du Rhône')) return a.getAttribute('href'); }
  return '';
})()`)
	if !strings.HasPrefix(href, "/structures/") {
		t.Fatalf("no link to the demo structure: %q", href)
	}
	b.open(href)
	b.expectHeading("Jardins du Rhône")
	if strings.Contains(b.bodyText(), "Gérer la structure") {
		t.Fatal("management shown to a visitor")
	}
	check("structure page, public")

	// The employer's pages.
	b.open("/connexion")
	b.login(demoEmployer, demoPassword)
	b.expectPath("/tableau-de-bord")
	b.open(href)
	if !strings.Contains(b.bodyText(), "Gérer la structure") {
		t.Fatal("no management for the structure's employer")
	}
	check("structure page, employer")
	b.open(href + "/modifier")
	b.expectHeading("Modifier la structure")
	check("structure edit form")
	b.open(href + "/fiches-de-poste")
	b.expectHeading("Fiches de poste")
	if !strings.Contains(b.bodyText(), "pas été mise à jour depuis plus de 60 jours") {
		t.Fatal("no banner for the demo's stale job description")
	}
	check("job descriptions")
	b.open(href + "/fiches-de-poste/nouvelle")
	b.expectHeading("Nouvelle fiche de poste")
	check("new job description, empty")
	b.typeInto("#f-hours_per_week", "99")
	if status := b.clickThrough(`main form button[type=submit]`); status != 422 {
		t.Fatalf("invalid job description answered %d, want 422", status)
	}
	check("new job description, rejected")
	b.logout()
}
