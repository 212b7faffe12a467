package offer_test

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

// National scale: the order of magnitude of the IAE registry. PARCOURS_BENCH_SCALE=10 runs the
// benchmarks at ten times that (50,000 structures, 250,000 job descriptions).
const (
	benchStructures      = 5000
	benchJobDescriptions = 25000
)

// benchScale is PARCOURS_BENCH_SCALE, 1 by default.
func benchScale(b *testing.B) int {
	v := os.Getenv("PARCOURS_BENCH_SCALE")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("PARCOURS_BENCH_SCALE=%q: a whole number of at least 1", v)
	}
	return n
}

// BenchmarkSearch measures searches around random communes on a national-scale registry, on
// both engines, and reports the median and 99th percentile of single queries. Two draws of
// the centre: any commune alike ("uniform", what the goal is stated on), and communes in
// proportion to population ("population", where people search from, which hits dense cities
// far more often). Searches read the in-memory read model, built once before the timings
// (BenchmarkSearchModel measures the build); "check-always" is the default service, which
// reads the registry's generation from the database at each search, "max-age-1s" the
// production setting (app.go), which reads it at most once a second.
func BenchmarkSearch(b *testing.B) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			db, _ := databasetest.Open(b, engine)
			scale := benchScale(b)
			ds := offertest.Generate(places(b), offertest.Options{Seed: 1, Structures: scale * benchStructures,
				JobDescriptions: scale * benchJobDescriptions, Now: start})
			began := time.Now()
			if err := offertest.Insert(ctx, db, ds); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: inserted %d structures, %d job descriptions, %d users in %s", engine, len(ds.Structures), len(ds.JobDescriptions),
				len(ds.Users), time.Since(began).Round(time.Millisecond))
			svc := offer.NewService(db, clock.NewFake(start), places(b), "https://parcours.test")
			cached := offer.NewService(db, clock.NewFake(start), places(b), "https://parcours.test")
			cached.SetSearchMaxAge(time.Second)
			for _, s := range []*offer.Service{svc, cached} {
				if _, err := s.Search(ctx, offer.Query{CommuneCode: "75056"}); err != nil {
					b.Fatal(err)
				}
			}
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
				{"max-age-1s/employers-25km/population", weighted, func(code string) (int, error) {
					p, err := cached.Search(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
				{"max-age-1s/jobs-25km/population", weighted, func(code string) (int, error) {
					p, err := cached.SearchJobs(ctx, offer.Query{CommuneCode: code, RadiusKm: 25})
					return p.Total, err
				}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					// The CPU time of the search's thread is measured besides the elapsed
					// time: on a shared machine the elapsed time's tail is other processes'.
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					var times, cpu []time.Duration
					found, i := 0, 0
					for b.Loop() {
						t0, c0 := time.Now(), threadCPU()
						n, err := bc.search(bc.communes[i%len(bc.communes)])
						times, cpu = append(times, time.Since(t0)), append(cpu, threadCPU()-c0)
						if err != nil {
							b.Fatal(err)
						}
						found += n
						i++
					}
					slices.Sort(times)
					slices.Sort(cpu)
					q := func(d []time.Duration, p float64) float64 {
						return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
					}
					b.ReportMetric(q(times, 0.50), "p50-ms")
					b.ReportMetric(q(times, 0.99), "p99-ms")
					b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
					b.ReportMetric(q(cpu, 0.50), "p50-cpu-ms")
					b.ReportMetric(q(cpu, 0.99), "p99-cpu-ms")
					b.ReportMetric(float64(found)/float64(i), "results/op")
				})
			}
		})
	}
}

// threadCPU is the CPU time of the calling thread (the goroutine is locked to it).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
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

// BenchmarkSearchModel measures building the searches' read model of the national-scale
// registry (one snapshot read of every structure and active job description, then the
// spatial indexes) and the memory it holds; then what the spatial index saves over a scan of
// every structure for the bounding box of a 25 km search (centres weighted by population).
func BenchmarkSearchModel(b *testing.B) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			db, _ := databasetest.Open(b, engine)
			scale := benchScale(b)
			ds := offertest.Generate(places(b), offertest.Options{Seed: 1, Structures: scale * benchStructures,
				JobDescriptions: scale * benchJobDescriptions, Now: start})
			if err := offertest.Insert(ctx, db, ds); err != nil {
				b.Fatal(err)
			}
			svc := offer.NewService(db, clock.NewFake(start), places(b), "https://parcours.test")
			var m offer.SearchModel
			b.Run("build", func(b *testing.B) {
				var before, after runtime.MemStats
				for b.Loop() {
					b.StopTimer()
					m = nil
					runtime.GC()
					runtime.ReadMemStats(&before)
					b.StartTimer()
					var err error
					if m, err = svc.BuildSearchModel(ctx); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					runtime.GC()
					runtime.ReadMemStats(&after)
					b.StartTimer()
				}
				structures, jobs := m.Sizes()
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
				b.ReportMetric(float64(structures), "structures")
				b.ReportMetric(float64(jobs), "active-jds")
			})
			where := offertest.NewPlaces(places(b))
			r := offertest.NewRand(42)
			centres := make([]refdata.Commune, 2000)
			for i := range centres {
				centres[i] = where.Pick(r)
			}
			for _, linear := range []bool{false, true} {
				name := "box-25km/grid"
				if linear {
					name = "box-25km/linear"
				}
				// One op is the 2,000 centres.
				b.Run(name, func(b *testing.B) {
					buf := make([]int32, 0, 1024)
					ops, found := 0, 0
					for b.Loop() {
						for _, c := range centres {
							buf = m.BoxCandidates(c.Lat, c.Lng, 25, linear, buf[:0])
							found += len(buf)
						}
						ops++
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops*len(centres)), "ns/box")
					b.ReportMetric(float64(found)/float64(ops*len(centres)), "candidates/box")
				})
			}
		})
	}
}
