package offer_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
)

// National scale: the order of magnitude of the IAE registry.
const (
	benchStructures      = 5000
	benchJobDescriptions = 25000
)

// BenchmarkSearch measures searches around random communes on a national-scale registry, on
// both engines, and reports the median and 99th percentile of single queries. Two draws of
// the centre: any commune alike ("uniform", what the goal is stated on), and communes in
// proportion to population ("population", where people search from, which hits dense cities
// far more often).
func BenchmarkSearch(b *testing.B) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			db, _ := databasetest.Open(b, engine)
			ds := offertest.Generate(places(b), offertest.Options{Seed: 1, Structures: benchStructures, JobDescriptions: benchJobDescriptions, Now: start})
			began := time.Now()
			if err := offertest.Insert(ctx, db, ds); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: inserted %d structures, %d job descriptions, %d users in %s", engine, len(ds.Structures), len(ds.JobDescriptions),
				len(ds.Users), time.Since(began).Round(time.Millisecond))
			svc := offer.NewService(db, clock.NewFake(start), places(b), "https://parcours.test")
			where := offertest.NewPlaces(places(b))
			r := offertest.NewRand(42)
			uniform, weighted := make([]string, 2000), make([]string, 2000)
			for i := range uniform {
				uniform[i], weighted[i] = where.Uniform(r).Code, where.Pick(r).Code
			}
			for _, bc := range []struct {
				name     string
				communes []string
				search   func(code string) (int, error)
			}{
				{"employers-25km/uniform", uniform, func(code string) (int, error) {
					p, err := svc.Search(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
				{"employers-25km/population", weighted, func(code string) (int, error) {
					p, err := svc.Search(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
				{"employers-25km-filtered/population", weighted, func(code string) (int, error) {
					p, err := svc.Search(ctx, offer.Query{CommuneCode: code, RadiusKm: 25, Rome: "K", RecruitingNow: true})
					return p.Total, err
				}},
				{"jobs-25km/uniform", uniform, func(code string) (int, error) {
					p, err := svc.SearchJobs(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
				{"jobs-25km/population", weighted, func(code string) (int, error) {
					p, err := svc.SearchJobs(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					var times []time.Duration
					found, i := 0, 0
					for b.Loop() {
						t0 := time.Now()
						n, err := bc.search(bc.communes[i%len(bc.communes)])
						times = append(times, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						found += n
						i++
					}
					slices.Sort(times)
					q := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000 }
					b.ReportMetric(q(0.50), "p50-ms")
					b.ReportMetric(q(0.99), "p99-ms")
					b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
					b.ReportMetric(float64(found)/float64(i), "results/op")
				})
			}
		})
	}
}

// BenchmarkInsert measures loading the national-scale dataset (5,000 structures with their
// organisations, conventions, members' accounts and memberships, 25,000 job descriptions)
// into an empty database, search copies and statistics included.
func BenchmarkInsert(b *testing.B) {
	ds := offertest.Generate(places(b), offertest.Options{Seed: 1, Structures: benchStructures, JobDescriptions: benchJobDescriptions, Now: start})
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db, _ := databasetest.Open(b, engine)
				b.StartTimer()
				if err := offertest.Insert(context.Background(), db, ds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
