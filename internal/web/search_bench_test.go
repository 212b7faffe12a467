package web_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

// BenchmarkSearchPages renders the search pages around Lyon on a national-scale registry
// (5,000 structures, 25,000 job descriptions) through the whole handler, as bench/http.sh
// requests them: the page's CPU cost without the network. bench/http.sh measures the
// throughput over HTTP.
func BenchmarkSearchPages(b *testing.B) {
	db, _ := databasetest.Open(b, database.SQLite)
	s := newStack(&testing.T{}, db, false)
	ctx := context.Background()
	if _, _, err := refdata.EnsureImported(ctx, db, places, s.clock.Now()); err != nil {
		b.Fatal(err)
	}
	ds := offertest.Generate(places, offertest.Options{Seed: 1, Structures: 5000, JobDescriptions: 25000, Now: s.clock.Now().Add(-time.Hour)})
	if err := offertest.Insert(ctx, db, ds); err != nil {
		b.Fatal(err)
	}
	for _, page := range []struct{ name, path string }{
		{"employers", "/recherche?commune=69123&rayon=25"},
		{"jobs", "/recherche/postes?commune=69123&rayon=25"},
		{"healthz", "/healthz"},
	} {
		path := page.path
		b.Run(page.name, func(b *testing.B) {
			// The first request builds the read model and the cards.
			s.server.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				s.server.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", path, rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
