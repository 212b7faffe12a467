package api_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"parcours/internal/api"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

var loadPlaces = sync.OnceValues(refdata.Load)

var now = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

type server struct {
	ts    *httptest.Server
	clock *clock.Fake
	doc   map[string]any
	data  offertest.Dataset
}

// newServer serves the API over a generated registry: 400 structures, 1,600 job descriptions.
func newServer(t *testing.T, db *database.DB) *server {
	t.Helper()
	places, err := loadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	data := offertest.Generate(places, offertest.Options{Seed: 7, Structures: 400, JobDescriptions: 1600, Now: now})
	if err := offertest.Insert(t.Context(), db, data); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(now)
	a := api.New(api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Offer: offer.NewService(db, clk, places, "https://parcours.test"),
		Places: places, Now: clk.Now})
	ts := httptest.NewServer(a)
	t.Cleanup(ts.Close)
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return &server{ts: ts, clock: clk, doc: doc, data: data}
}

type reply struct {
	status int
	header http.Header
	body   any
	raw    string
}

func (s *server) get(t *testing.T, path string) reply {
	t.Helper()
	resp, err := http.Get(s.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: not JSON: %s", path, b)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: v, raw: string(b)}
}

// conform checks a reply against the OpenAPI document: the operation, its status and the
// content type must be documented, and the body must match the schema.
func (s *server) conform(t *testing.T, docPath string, r reply) {
	t.Helper()
	ct := strings.Split(r.header.Get("Content-Type"), ";")[0]
	schema, ok := dig(s.doc, "paths", docPath, "get", "responses", itoa(r.status), "content", ct, "schema").(map[string]any)
	if !ok {
		t.Fatalf("%s: status %d with %s is not documented", docPath, r.status, ct)
	}
	if errs := checkSchema(s.doc, schema, r.body, "$"); len(errs) > 0 {
		t.Fatalf("%s %d does not match the document:\n%s\n%s", docPath, r.status, strings.Join(errs, "\n"), r.raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestStructuresAroundACommuneMatchTheDocument(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		r := s.get(t, "/api/v1/structures?code_insee=69123&distance_max_km=30")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		s.conform(t, "/structures", r)
		page := r.body.(map[string]any)
		items := page["items"].([]any)
		if len(items) == 0 {
			t.Fatal("no structure around Lyon in a national dataset")
		}
		seen := map[string]bool{}
		total := int(page["total"].(float64))
		for cursor := ""; ; {
			path := "/api/v1/structures?code_insee=69123&distance_max_km=30&limit=7"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r := s.get(t, path)
			s.conform(t, "/structures", r)
			p := r.body.(map[string]any)
			for _, it := range p["items"].([]any) {
				st := it.(map[string]any)
				if d := st["distance_km"].(float64); d > 30 {
					t.Fatalf("structure at %.1f km in a 30 km search", d)
				}
				if seen[st["id"].(string)] {
					t.Fatal("a structure on two pages")
				}
				seen[st["id"].(string)] = true
			}
			next, _ := p["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != total {
			t.Fatalf("paging gave %d structures, total says %d", len(seen), total)
		}
		// One structure by id, as documented.
		id := items[0].(map[string]any)["id"].(string)
		one := s.get(t, "/api/v1/structures/"+id)
		if one.status != 200 {
			t.Fatalf("by id: %d", one.status)
		}
		s.conform(t, "/structures/{id}", one)
	})
}

func TestBadParametersGetFrenchProblems(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		for path, param := range map[string]string{
			"/api/v1/structures":                                        "code_insee",
			"/api/v1/structures?code_insee=99999":                       "code_insee",
			"/api/v1/structures?code_insee=69123&distance_max_km=101":   "distance_max_km",
			"/api/v1/structures?code_insee=69123&distance_max_km=0":     "distance_max_km",
			"/api/v1/structures?code_insee=69123&distance_max_km=dix":   "distance_max_km",
			"/api/v1/structures?code_insee=69123&kinds=EI,BOULANGERIE":  "kinds",
			"/api/v1/structures?code_insee=69123&cursor=n-importe-quoi": "cursor",
			"/api/v1/structures?code_insee=60694":                       "code_insee", // no coordinates
		} {
			r := s.get(t, path)
			if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
				continue
			}
			s.conform(t, "/structures", r)
			errs := r.body.(map[string]any)["errors"].([]any)
			if errs[0].(map[string]any)["parameter"] != param {
				t.Errorf("%s: error on %v, want %s", path, errs[0], param)
			}
		}
		if r := s.get(t, "/api/v1/structures/not-a-uuid"); r.status != 404 {
			t.Errorf("bad id: %d", r.status)
		}
		if r := s.get(t, "/api/v1/structures/01900000-0000-7000-8000-000000000000"); r.status != 404 {
			t.Errorf("unknown id: %d", r.status)
		} else {
			s.conform(t, "/structures/{id}", r)
		}
		if r := s.get(t, "/api/v1/nothing"); r.status != 404 {
			t.Errorf("unknown path: %d", r.status)
		}
	})
}

func TestAnonymousRateLimit(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newServer(t, db)
	for i := range 60 {
		if r := s.get(t, "/api/v1/structures?code_insee=75056&distance_max_km=2&limit=1"); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	r := s.get(t, "/api/v1/structures?code_insee=75056")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("61st request: %d Retry-After=%q", r.status, r.header.Get("Retry-After"))
	}
	s.conform(t, "/structures", r)
	s.clock.Advance(2 * time.Second)
	if r := s.get(t, "/api/v1/structures?code_insee=75056&distance_max_km=2&limit=1"); r.status != 200 {
		t.Fatalf("after waiting: %d", r.status)
	}
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newServer(t, db)
	r := s.get(t, "/api/v1/openapi.json")
	if r.status != 200 || dig(r.body, "openapi") != "3.1.0" {
		t.Fatalf("%d %v", r.status, dig(r.body, "openapi"))
	}
	// Every documented path is a route, and every route is documented.
	for _, route := range api.Routes() {
		p := strings.TrimPrefix(strings.TrimPrefix(route, "GET "), "/api/v1")
		if p == "/openapi.json" {
			continue
		}
		if dig(s.doc, "paths", p, "get") == nil {
			t.Errorf("route %s is not in the document", route)
		}
	}
	for p := range s.doc["paths"].(map[string]any) {
		found := false
		for _, route := range api.Routes() {
			found = found || route == "GET /api/v1"+p
		}
		if !found {
			t.Errorf("documented path %s is not a route", p)
		}
	}
}

// Search results are public data: caches may keep them a minute; errors are never cached.
func TestSearchResponsesMayBeCached(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	s := newServer(t, db)
	ok := s.get(t, "/api/v1/structures?code_insee=69123&distance_max_km=30")
	if ok.status != 200 || ok.header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("search: %d Cache-Control=%q", ok.status, ok.header.Get("Cache-Control"))
	}
	if n := ok.header.Get("Content-Length"); n != itoa(len(ok.raw)) {
		t.Errorf("Content-Length %s for %d bytes", n, len(ok.raw))
	}
	for _, path := range []string{"/api/v1/structures?code_insee=99999", "/api/v1/structures/not-a-uuid", "/api/v1/nothing"} {
		if r := s.get(t, path); r.status < 400 || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d Cache-Control=%q", path, r.status, r.header.Get("Cache-Control"))
		}
	}
}

// A change committed to the registry shows in the next search's JSON: the structure's card
// of the previous generation is not reused.
func TestSearchShowsTheRegistryAsItNowIs(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		s := newServer(t, db)
		const path = "/api/v1/structures?code_insee=69123&distance_max_km=30"
		first := func() map[string]any {
			t.Helper()
			r := s.get(t, path)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			items := r.body.(map[string]any)["items"].([]any)
			if len(items) == 0 {
				t.Fatal("no structure around Lyon")
			}
			return items[0].(map[string]any)
		}
		before := first()
		s.get(t, path) // the card is now kept
		id := before["id"].(string)
		jds := before["job_descriptions"].([]any)
		if len(jds) == 0 {
			t.Fatalf("the first structure around Lyon has no job description: %v", before)
		}
		gone := jds[0].(map[string]any)["id"].(string)
		err := db.WithTx(t.Context(), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(t.Context(), `UPDATE structures SET brand = 'Nouvelle enseigne' WHERE org_id = $1`, id); err != nil {
				return err
			}
			_, err := tx.ExecContext(t.Context(), `UPDATE job_descriptions SET active = FALSE, deactivated_at = $2, deactivation_reason = 'employer' WHERE id = $1`,
				gone, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		after := first()
		if after["id"] != id {
			t.Fatalf("the order changed: %v then %v", id, after["id"])
		}
		if after["brand"] != "Nouvelle enseigne" {
			t.Errorf("brand %q after the change", after["brand"])
		}
		for _, j := range after["job_descriptions"].([]any) {
			if j.(map[string]any)["id"] == gone {
				t.Errorf("the deactivated job description %s is still listed", gone)
			}
		}
		if n := len(after["job_descriptions"].([]any)); n != len(jds)-1 {
			t.Errorf("%d job descriptions after deactivating one of %d", n, len(jds))
		}
	})
}
