package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// postFile posts a multipart form with a file under "file" and the fields kv.
func postFile(t *testing.T, s *stack, path, token, name string, content []byte, kv ...string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for i := 0; i+1 < len(kv); i += 2 {
		mw.WriteField(kv[i], kv[i+1])
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: s.cookieName(), Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

func pdf(text string) []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + text + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// The documents through the pages: the Cap emploi advisor uploads bank details and a new
// version, the France Travail advisor of the caseload downloads both versions, a bad file is
// refused on its field with the type kept, a deletion needs a reason; the person sees the
// newest version and sends a signed plan, not an invoice.
func TestSupportDocumentsThroughThePages(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		base := "/candidats/" + w.person["js"].String() + "/accompagnement/documents"
		capTok, ftTok, jsTok := w.token(t, capAdvisor), w.token(t, ftAdvisor), w.token(t, jobSeeker)
		r := postFile(t, s, base, capTok, "bad.pdf", []byte("pas un PDF"), "kind", "rib")
		if r.status != 422 || !strings.Contains(r.body, "fr-upload-group fr-input-group--error") || !strings.Contains(r.body, `<option value="rib" selected>`) {
			t.Fatalf("bad file: %d\n%s", r.status, r.body)
		}
		r = postFile(t, s, base, capTok, "", nil, "kind", "")
		if r.status != 422 || !strings.Contains(r.body, "Choisissez le type du document.") || !strings.Contains(r.body, "Choisissez le fichier à déposer.") {
			t.Fatalf("empty form: %d", r.status)
		}
		r = postFile(t, s, base, capTok, "RIB-ALICE.pdf", pdf("RIB-VERSION-1"), "kind", "rib")
		if r.status != 303 || r.location != base {
			t.Fatalf("upload: %d %s", r.status, r.location)
		}
		page := s.do(t, "GET", base, ftTok, nil)
		if page.status != 200 || !strings.Contains(page.body, "RIB-ALICE.pdf") || !strings.Contains(page.body, "Coordonnées bancaires (RIB)") {
			t.Fatalf("list: %d", page.status)
		}
		first := between(page.body[strings.Index(page.body, "RIB-ALICE.pdf"):], `<input type="hidden" name="previous" value="`, `"`)
		if first == "" {
			t.Fatal("no new-version form for the document")
		}
		r = postFile(t, s, base, capTok, "rib-2.pdf", pdf("RIB-VERSION-2"), "previous", first)
		if r.status != 303 {
			t.Fatalf("new version: %d %s", r.status, r.body)
		}
		// The same stale version again: a message on that document's form.
		r = postFile(t, s, base, capTok, "rib-3.pdf", pdf("RIB-VERSION-3"), "previous", first)
		if r.status != 422 || !strings.Contains(r.body, "Une version plus récente de ce document") {
			t.Fatalf("stale version: %d", r.status)
		}
		old := s.do(t, "GET", base+"/"+first, ftTok, nil)
		if old.status != 200 || !strings.Contains(old.body, "RIB-VERSION-1") || !strings.Contains(old.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("old version: %d %v", old.status, old.header)
		}
		page = s.do(t, "GET", base, ftTok, nil)
		if !strings.Contains(page.body, "Versions précédentes") || !strings.Contains(page.body, "rib-2.pdf") {
			t.Fatal("no history on the page")
		}
		// The person: their documents, the newest version only.
		mine := s.do(t, "GET", "/mon-accompagnement/documents", jsTok, nil)
		if mine.status != 200 || !strings.Contains(mine.body, "rib-2.pdf") || strings.Contains(mine.body, "Versions précédentes") {
			t.Fatalf("the person's page: %d", mine.status)
		}
		if r := s.do(t, "GET", "/mon-accompagnement/documents/"+first, jsTok, nil); r.status != 404 {
			t.Fatalf("the person downloads an old version: %d", r.status)
		}
		r = postFile(t, s, "/mon-accompagnement/documents", jsTok, "facture.pdf", pdf("F"), "kind", "facture")
		if r.status != 422 || !strings.Contains(r.body, "Choisissez le type du document.") {
			t.Fatalf("the person sends an invoice: %d", r.status)
		}
		r = postFile(t, s, "/mon-accompagnement/documents", jsTok, "PLAN-SIGNE.pdf", pdf("PLAN"), "kind", "plan_signe")
		if r.status != 303 {
			t.Fatalf("the person sends a plan: %d", r.status)
		}
		if page := s.do(t, "GET", base, capTok, nil); !strings.Contains(page.body, "PLAN-SIGNE.pdf") || !strings.Contains(page.body, "par la personne") {
			t.Fatal("the advisor does not see the person's plan")
		}
		// Deletion: a reason first, kept on the page after.
		del := base + "/" + first + "/suppression"
		if r := s.do(t, "POST", del, capTok, url.Values{"reason": {" "}}); r.status != 422 || !strings.Contains(r.body, "Indiquez le motif de la suppression.") {
			t.Fatalf("deletion without reason: %d", r.status)
		}
		if r := s.do(t, "POST", del, capTok, url.Values{"reason": {"RIB d'un autre compte."}}); r.status != 303 {
			t.Fatalf("deletion: %d", r.status)
		}
		if page := s.do(t, "GET", base, capTok, nil); strings.Contains(page.body, "rib-2.pdf") || !strings.Contains(page.body, "RIB d&#39;un autre compte.") {
			t.Fatal("the deletion is not on the page")
		}
		// The person's access list tells the downloads.
		if acc := s.do(t, "GET", "/mon-accompagnement", jsTok, nil); !strings.Contains(acc.body, "Téléchargement d&#39;un document") {
			t.Fatal("the download is not in the person's access list")
		}
	})
}

// The statistics page and the extract: the habilitated advisors and the DDETS read the page;
// the extract needs a second factor, which the DDETS of the world has not passed.
func TestSupportStatisticsThroughThePages(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		s := w.s
		for _, role := range []string{capAdvisor, ddets} {
			r := s.do(t, "GET", "/accompagnement/statistiques", w.token(t, role), nil)
			if r.status != 200 || !strings.Contains(r.body, "Personnes accompagnées par organisation") || !strings.Contains(r.body, "<td>secret</td>") {
				t.Fatalf("%s: %d", role, r.status)
			}
			if strings.Contains(r.body, "<td>2</td>") {
				t.Fatalf("%s sees a small count", role)
			}
		}
		csv := s.do(t, "GET", "/accompagnement/statistiques/extrait", w.token(t, capAdvisor), nil)
		if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(csv.body, "personne;organisation;departement;debut;fin;motif_fin;categorie_boeth;tranche_age") ||
			strings.Count(csv.body, "Cap emploi C") != 2 {
			t.Fatalf("extract: %d %q", csv.status, csv.body)
		}
		if r := s.do(t, "GET", "/accompagnement/statistiques/extrait", w.token(t, ddets), nil); r.status != 403 {
			t.Fatalf("extract without second factor: %d", r.status)
		}
		var n int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit_events WHERE action = 'read.support.statistics_extract' AND purpose = 'support.statistics' AND outcome = 'ok'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("extract audited %d times: %v", n, err)
		}
	})
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}
