package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/refdata"
)

// importLines is the size of the file the import test sends: the order of magnitude of a
// national registry file (about 12 MB).
const importLines = 50_000

// TestRegistryImportPage: the platform administrator sends a registry file of 50,000 lines
// from the import page; it is imported in the background while its page shows a progress bar
// that updates itself, then the report; the import is in the history. axe-core checks every
// state.
func TestRegistryImportPage(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	file := filepath.Join(t.TempDir(), "registre-national.csv")
	if err := os.WriteFile(file, registryFile(t, importLines), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	srv.keepPrivate(demoPassword)
	b := newBrowser(t, srv)
	check := func(label string) {
		t.Helper()
		b.checkDSFR(label)
		b.checkAccessibility(label)
	}
	b.loginStaff()

	b.open("/admin/structures/import")
	b.expectHeading("Importer le registre des structures")
	check("registry import, form")
	// A send without a file is refused at the field.
	if status := b.clickThrough(`main form button[type=submit]`); status != 422 {
		t.Fatalf("send without a file answered %d, want 422", status)
	}
	check("registry import, no file")

	b.step("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`#f-fichier`), []string{file}))
	b.clickThrough(`main form button[type=submit]`)
	if p := b.path(); !strings.HasPrefix(p, "/admin/structures/import/") {
		t.Fatalf("after sending, page %s", p)
	}
	reportPath := b.path()
	b.step("progress shown", chromedp.WaitVisible(chromedp.CSS(`#import-progression`)))
	if label := strings.ReplaceAll(b.text(`label[for=import-progression]`), "\u202f", " "); !strings.Contains(label, "lignes traitées sur 50 000") {
		t.Fatalf("progress label %q", label)
	}
	check("registry import, in progress")
	b.shoot("import-progress")

	// The page updates itself (parcours.js polls) until the report replaces the progress bar.
	began := time.Now()
	var seen []string
	for {
		if eval[bool](b, "report shown", `!!document.querySelector('#import-etat .fr-alert')`) {
			break
		}
		if v := eval[string](b, "progress", `(document.querySelector('#import-progression') || {}).value + ''`); len(seen) == 0 || seen[len(seen)-1] != v {
			seen = append(seen, v)
		}
		if time.Since(began) > 5*time.Minute {
			t.Fatalf("no report after 5 minutes; progress seen: %v\n%s", seen, b.bodyText())
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("import of %d lines reported after %s; progress values seen: %v", importLines, time.Since(began).Round(time.Second), seen)
	// Thousands are grouped by a narrow no-break space.
	text := strings.ReplaceAll(b.bodyText(), "\u202f", " ")
	if !strings.Contains(text, "Import terminé") || !strings.Contains(text, "50 000 lignes lues") {
		t.Fatalf("report: %s", text)
	}
	if b.path() != reportPath {
		t.Fatalf("the report is on %s, not on the import's page %s", b.path(), reportPath)
	}
	check("registry import, report")
	b.shoot("import-report")

	b.open("/admin/structures/import")
	if !strings.Contains(b.bodyText(), "registre-national.csv") {
		t.Fatal("the import is not in the history")
	}
	check("registry import, history")
	b.logout()
}

// loginStaff logs the demo administrator in with the second factor the demo shows.
func (b *browser) loginStaff() {
	b.t.Helper()
	b.srv.waitPastStartupCode()
	b.open("/demo/courriels")
	code := b.text("#code-demo")
	b.open("/connexion")
	if status := b.login(demoAdmin, demoPassword); status != 200 {
		b.t.Fatalf("login answered %d", status)
	}
	b.expectPath("/connexion/double-facteur")
	b.typeInto("#f-code", code)
	b.clickThrough(`form[action="/connexion/double-facteur"] button[type=submit]`)
	b.expectPath("/tableau-de-bord")
}

// registryFile writes n structures of the generator as a registry file.
func registryFile(t *testing.T, n int) []byte {
	t.Helper()
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	ds := offertest.Generate(places, offertest.Options{Seed: 11, Structures: n, JobDescriptions: -1, NoMembers: true, Now: time.Now()})
	sirets := map[string]string{}
	entries := make([]offer.RegistryEntry, len(ds.Structures))
	for i, st := range ds.Structures {
		sirets[st.ID.String()] = st.SIRET
		e := offer.RegistryEntry{SIRET: st.SIRET, Kind: st.Kind, Name: st.Name, Brand: st.Brand, AddressLine1: st.AddressLine1,
			Postcode: st.Postcode, CommuneCode: st.CommuneCode, Email: st.Email, Phone: st.Phone, Website: st.Website}
		if st.IsAntenna() {
			e.ParentSIRET = sirets[st.ParentID.String()]
		} else if st.Convention.Number != "" {
			e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = st.Convention.Number, st.Convention.StartsOn, st.Convention.EndsOn
		}
		entries[i] = e
	}
	var b bytes.Buffer
	if err := registrycsv.Write(&b, entries); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
