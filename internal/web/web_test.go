package web_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/web"
)

// Every response carries the security headers, whatever produced it (page, error, asset, probe).
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStackWith(t, db, false, "https://parcours.example.gouv.fr", &bytes.Buffer{})
	for _, path := range []string{"/", "/connexion", "/inexistant", "/static/css/parcours.css", "/healthz", "/readyz", "/tableau-de-bord", "/static/absent.css"} {
		r := s.do(t, "GET", path, "", nil)
		h := r.header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "same-origin",
			"X-Frame-Options":           "DENY",
			"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if h.Get("Permissions-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("%s: Permissions-Policy or X-Request-Id missing", path)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: HTML page cacheable: %q", path, h.Get("Cache-Control"))
		}
	}
	// Plain HTTP (a LAN test machine): no HSTS.
	s2 := newStackWith(t, db, false, "http://192.168.1.10:8080", &bytes.Buffer{})
	if h := s2.do(t, "GET", "/", "", nil).header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS over plain HTTP: %q", h)
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStack(t, db, false)
	form := url.Values{"email": {"x@exemple.fr"}, "password": {"faux"}}
	for name, headers := range map[string]map[string]string{
		"fetch metadata": {"Sec-Fetch-Site": "cross-site"},
		"foreign origin": {"Origin": "https://attaquant.example"},
	} {
		if r := s.doWith(t, "POST", "/connexion", "", form, headers); r.status != 403 {
			t.Errorf("%s: cross-site POST answered %d", name, r.status)
		}
	}
	if r := s.doWith(t, "POST", "/connexion", "", form, map[string]string{"Sec-Fetch-Site": "same-origin"}); r.status == 403 {
		t.Error("same-origin POST refused")
	}
	// A GET never changes anything, so it is not checked.
	if r := s.doWith(t, "GET", "/connexion", "", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); r.status != 200 {
		t.Errorf("cross-site GET answered %d", r.status)
	}
}

func TestOversizedBodiesUnknownRoutesAndMethods(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStack(t, db, false)
	big := url.Values{"email": {strings.Repeat("a", 2<<20)}}
	if r := s.do(t, "POST", "/connexion", "", big); r.status != 413 || !strings.Contains(r.body, "Envoi trop volumineux") {
		t.Errorf("2 MiB body: %d", r.status)
	}
	r := s.do(t, "GET", "/nulle-part", "", nil)
	if r.status != 404 || !strings.Contains(r.body, "Page non trouvée") || !strings.Contains(r.body, `lang="fr"`) {
		t.Errorf("unknown route: %d", r.status)
	}
	if r := s.do(t, "DELETE", "/connexion", "", nil); r.status != 405 {
		t.Errorf("DELETE /connexion: %d", r.status)
	}
	if r := s.do(t, "GET", "/demo/courriels", "", nil); r.status != 404 {
		t.Errorf("demo page outside demo mode: %d", r.status)
	}
}

// An instance is ready once its searches' read model is built, not before: a load balancer
// sends it no search that would wait for the build.
func TestReadinessWaitsForTheSearchModel(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newStack(t, db, false)
		fresh := offer.NewService(db, s.clock, places, "http://localhost:8080")
		reg := prometheus.NewRegistry()
		srv, err := web.New(web.Deps{Config: s.cfg, Logger: slog.New(slog.DiscardHandler), Health: db, Clock: s.clock, Offer: fresh,
			SearchReady: fresh.SearchReady, Places: places, Registry: reg, Gatherer: reg})
		if err != nil {
			t.Fatal(err)
		}
		get := func() (int, string) {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			return rec.Code, rec.Body.String()
		}
		if code, body := get(); code != 503 || !strings.Contains(body, "en préparation") {
			t.Fatalf("before the read model: %d %s", code, body)
		}
		if err := fresh.PrepareSearch(t.Context()); err != nil {
			t.Fatal(err)
		}
		if code, body := get(); code != 200 {
			t.Fatalf("after the read model: %d %s", code, body)
		}
	})
}

func TestDatabaseOutageGivesCleanUnavailablePages(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newStack(t, db, false)
		u := s.user(t, access.JobSeeker, "panne@exemple.fr")
		token := s.login(t, u.Email, "")
		if r := s.do(t, "GET", "/readyz", "", nil); r.status != 200 {
			t.Fatalf("readyz before the outage: %d %s", r.status, r.body)
		}
		cutOff(t, db)
		r := s.do(t, "GET", "/readyz", "", nil)
		if r.status != 503 || !strings.Contains(r.body, "injoignable") {
			t.Errorf("readyz during the outage: %d %s", r.status, r.body)
		}
		for _, path := range []string{"/compte", "/connexion?x=1"} {
			r := s.do(t, "GET", path, token, nil)
			if path == "/compte" && r.status != 503 {
				t.Errorf("%s during the outage: %d", path, r.status)
			}
			for _, leak := range []string{"goroutine", "sql:", "SELECT", "panic", "database is closed"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("%s: error page shows %q", path, leak)
				}
			}
		}
		if r := s.do(t, "GET", "/healthz", "", nil); r.status != 200 {
			t.Errorf("healthz must stay up: %d", r.status)
		}
	})
}

// cutOff makes the database unreachable: PostgreSQL refuses new connections and drops the
// open ones (as when the server restarts); the SQLite pool is closed.
func cutOff(t *testing.T, db *database.DB) {
	t.Helper()
	if db.Engine() != database.Postgres {
		db.Close()
		return
	}
	var name string
	if err := db.Reader().QueryRowContext(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", databasetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(t.Context(), `ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", databasetest.PostgresURL(t))
		if err == nil {
			a.Exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`)
			a.Close()
		}
	})
}

func TestLoginSetsAFreshHostOnlyCookieAndAnswersTheSameForUnknownAddresses(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		var logs bytes.Buffer
		s := newStackWith(t, db, false, "https://parcours.example.gouv.fr", &logs)
		s.user(t, access.JobSeeker, "camille.durand@exemple.fr")
		old := s.login(t, "camille.durand@exemple.fr", "")
		r := s.do(t, "POST", "/connexion", old, url.Values{"email": {"camille.durand@exemple.fr"}, "password": {pw}})
		if r.status != 303 || r.location != "/tableau-de-bord" {
			t.Fatalf("login: %d %s", r.status, r.location)
		}
		var c = r.cookies[0]
		for _, k := range r.cookies {
			if k.Name == "__Host-parcours_session" {
				c = k
			}
		}
		if c.Name != "__Host-parcours_session" || !c.HttpOnly || !c.Secure || c.SameSite != 2 /* Lax */ || c.Path != "/" || c.Domain != "" {
			t.Fatalf("session cookie %+v", c)
		}
		if c.Value == old || len(c.Value) < 43 {
			t.Fatal("the session was not renewed at login")
		}
		if _, err := s.accounts.Authenticate(t.Context(), old); err == nil {
			t.Fatal("the session present before login still works")
		}

		known := s.do(t, "POST", "/connexion", "", url.Values{"email": {"camille.durand@exemple.fr"}, "password": {"Mauvais-Mot-De-Passe-9"}})
		unknown := s.do(t, "POST", "/connexion", "", url.Values{"email": {"personne@exemple.fr"}, "password": {"Mauvais-Mot-De-Passe-9"}})
		strip := regexp.MustCompile(`value="[^"]*@exemple\.fr"`)
		if known.status != unknown.status || strip.ReplaceAllString(known.body, "") != strip.ReplaceAllString(unknown.body, "") {
			t.Fatalf("known and unknown addresses answered differently: %d vs %d", known.status, unknown.status)
		}
		if !strings.Contains(known.body, "Adresse e-mail ou mot de passe incorrect.") || strings.Contains(known.body, "Mauvais-Mot-De-Passe-9") {
			t.Fatal("wrong message, or the password echoed back")
		}
		for _, secret := range []string{"camille.durand", "personne@", pw, "Mauvais-Mot-De-Passe-9", "Durand", c.Value} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
		if !strings.Contains(logs.String(), `"route":"POST /connexion"`) {
			t.Error("request log lines missing")
		}
	})
}

func TestRejectedFormKeepsValuesAndTiesErrorsToFields(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStack(t, db, false)
	r := s.do(t, "POST", "/inscription/professionnel", "", url.Values{"first_name": {"Zoé"}, "last_name": {""}, "email": {"zoe@"}, "password": {"secret123"}})
	if r.status != 422 {
		t.Fatalf("status %d", r.status)
	}
	for _, want := range []string{
		`id="f-email" name="email" value="zoe@"`,        // value kept
		`aria-invalid="true"`,                           // field marked
		`f-email-hint f-email-error"`,                   // message tied to the field, after its hint
		`id="f-email-error" class="fr-error-text"`,      // the message itself
		`<a href="#f-last_name">`,                       // summary links to the field
		`Le formulaire contient 4 erreurs`,              // summary counts
		`<title>Erreur : Créer un compte professionnel`, // title announces the error
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "secret123") {
		t.Error("password echoed back")
	}
	var n int
	if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d users written", n)
	}
}

func TestMetricsAreLocalAndLabelledByRoute(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newStack(t, db, false)
	s.do(t, "GET", "/mot-de-passe/nouveau/un-jeton-secret", "", nil)
	r := s.do(t, "GET", "/metrics", "", nil)
	if r.status != 200 || !strings.Contains(r.body, `parcours_http_requests_total{method="GET",route="GET /mot-de-passe/nouveau/{token}",status="410"}`) {
		t.Fatalf("metrics: %d\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, "un-jeton-secret") {
		t.Error("a token reached the metrics")
	}
	if r := s.doWith(t, "GET", "/metrics", "", nil, map[string]string{"X-Forwarded-For": "203.0.113.9"}); r.status != 404 {
		t.Errorf("metrics through a proxy: %d", r.status)
	}
}
