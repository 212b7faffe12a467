package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/refdata"
)

func upload(t *testing.T, s *stack, token string, content []byte, check bool) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("fichier", "registre.csv")
	fw.Write(content)
	if check {
		mw.WriteField("verification", "on")
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.ts.URL+"/admin/structures/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: s.cookieName(), Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func TestStaffImportsTheRegistryFromAPage(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newStack(t, db, false)
		if _, _, err := refdata.EnsureImported(t.Context(), db, places, s.clock.Now()); err != nil {
			t.Fatal(err)
		}
		st := s.user(t, access.Staff, "registre@exemple.fr")
		token := s.login(t, st.Email, s.enrol(t, st))
		csv := "siret;type;raison_sociale;code_insee;numero_convention;debut_convention;fin_convention\n" +
			siret("6100000000001") + ";ACI;Chantier du Gier;42095;ACI042-1;01/01/2026;31/12/2027\n" +
			"12345678901234;EI;SIRET faux;69123;;;\n" +
			siret("6300000000001") + ";EI;Commune inconnue;99999;;;\n"
		r := upload(t, s, token, []byte(csv), true)
		if r.status != 200 || !strings.Contains(r.body, "Vérification sans écriture") || !strings.Contains(r.body, "<td>4</td>") {
			t.Fatalf("dry run: %d", r.status)
		}
		if p := s.do(t, "GET", "/recherche?commune=42095&rayon=2", "", nil); strings.Contains(p.body, "Chantier du Gier") {
			t.Fatal("a dry run wrote")
		}
		// The import is queued and the browser sent to its page, which shows the progress and
		// polls for it (parcours.js) as long as the answer is marked data-polling.
		r = upload(t, s, token, []byte(csv), false)
		if r.status != 303 || !strings.HasPrefix(r.location, "/admin/structures/import/") {
			t.Fatalf("import: %d %s", r.status, r.location)
		}
		page := s.do(t, "GET", r.location, token, nil)
		if page.status != 200 || !strings.Contains(page.body, `<progress`) || !strings.Contains(page.body, `data-poll="`+r.location+`/etat"`) ||
			!strings.Contains(page.body, "en attente") {
			t.Fatalf("page of a queued import: %d\n%s", page.status, page.body)
		}
		if st := s.do(t, "GET", r.location+"/etat", token, nil); st.status != 200 || !strings.Contains(st.body, "0 lignes traitées sur 3") ||
			!strings.Contains(st.body, "data-polling") {
			t.Fatalf("status of a queued import: %d %s", st.status, st.body)
		}
		if ran, err := s.imports.RunOnce(t.Context()); !ran || err != nil {
			t.Fatalf("RunOnce: %v, %v", ran, err)
		}
		status := s.do(t, "GET", r.location+"/etat", token, nil)
		if status.status != 200 || strings.Contains(status.body, "data-polling") || !strings.Contains(status.body, "1 structure créée") || !strings.Contains(status.body, "<td>3</td>") ||
			!strings.Contains(status.body, "2 lignes rejetées") || strings.Contains(status.body, "<progress") {
			t.Fatalf("status of the finished import: %d\n%s", status.status, status.body)
		}
		page = s.do(t, "GET", r.location, token, nil)
		if page.status != 200 || strings.Contains(page.body, "data-poll") || !strings.Contains(page.body, "Import terminé") {
			t.Fatalf("page of the finished import: %d\n%s", page.status, page.body)
		}
		if p := s.do(t, "GET", "/recherche?commune=42095&rayon=2", "", nil); !strings.Contains(p.body, "Chantier du Gier") {
			t.Fatal("the imported structure is not searchable")
		}
		if h := s.do(t, "GET", "/admin/structures/import", token, nil); !strings.Contains(h.body, "registre.csv") || !strings.Contains(h.body, "terminé") {
			t.Fatalf("history: %s", h.body)
		}
		latin1 := []byte("siret;type;raison_sociale;code_insee\n" + siret("6200000000001") + ";EI;R\xe9gie de quartier;69123\n")
		r = upload(t, s, token, latin1, false)
		if r.status != 422 || !strings.Contains(r.body, "UTF-8") || !strings.Contains(r.body, `id="f-fichier-error"`) {
			t.Fatalf("Latin-1 file: %d", r.status)
		}
	})
}
