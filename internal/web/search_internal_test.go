package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/config"
	"parcours/internal/refdata"
)

// The kept layout of an anonymous visitor's search page gives the page render gives.
func TestSearchPageInKeptLayoutIsThePage(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://localhost:8080")
	for _, demo := range []bool{false, true} {
		reg := prometheus.NewRegistry()
		s, err := New(Deps{Config: config.Config{BaseURL: base, Demo: demo}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Places: places, Registry: reg, Gatherer: reg})
		if err != nil {
			t.Fatal(err)
		}
		v := searchView{Mode: "postes", Commune: communeField{Value: "Lyon <3>"}, Results: &searchResults{Heading: "2 offres",
			Cards: "<li>carte</li>"}, NextURL: "/recherche/postes?page=x"}
		if err := s.searchFields(&v, nil); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/recherche/postes?commune=Lyon", nil)
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		s.render(want, r, 200, "search", "Trouver une offre d'emploi solidaire", v, nil)
		for range 2 { // made, then kept
			got = httptest.NewRecorder()
			if err := s.renderInChrome(got, r, "search", "Trouver une offre d'emploi solidaire", v); err != nil {
				t.Fatal(err)
			}
			if got.Body.String() != want.Body.String() {
				t.Fatalf("demo %v: the page in its kept layout differs:\n%s\nwant:\n%s", demo, got.Body, want.Body)
			}
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Content-Length"} {
			if got.Header().Get(h) != want.Header().Get(h) {
				t.Errorf("%s: %q, want %q", h, got.Header().Get(h), want.Header().Get(h))
			}
		}
	}
}
