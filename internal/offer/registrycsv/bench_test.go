package registrycsv_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/refdata"
)

// registryFile writes n structures of the generator (real communes, conventions, about 5 %
// antennas after their parents) as an import file.
func registryFile(tb testing.TB, places *refdata.Data, n int) []byte {
	tb.Helper()
	ds := offertest.Generate(places, offertest.Options{Seed: 7, Structures: n, JobDescriptions: -1, NoMembers: true, Now: now})
	sirets := make(map[uuid.UUID]string, len(ds.Structures))
	entries := make([]offer.RegistryEntry, len(ds.Structures))
	for i, st := range ds.Structures {
		sirets[st.ID] = st.SIRET
		e := offer.RegistryEntry{SIRET: st.SIRET, Kind: st.Kind, Name: st.Name, Brand: st.Brand, AddressLine1: st.AddressLine1,
			Postcode: st.Postcode, CommuneCode: st.CommuneCode, Email: st.Email, Phone: st.Phone, Website: st.Website}
		if st.IsAntenna() {
			e.ParentSIRET = sirets[st.ParentID]
		} else if st.Convention.Number != "" {
			e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = st.Convention.Number, st.Convention.StartsOn, st.Convention.EndsOn
		}
		entries[i] = e
	}
	var b bytes.Buffer
	if err := registrycsv.Write(&b, entries); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkImport10k imports 10,000 structures into an empty registry (reference data already
// loaded, not timed), parsing included. Goal: under 10 s on SQLite.
func BenchmarkImport10k(b *testing.B) {
	file := registryFile(b, places(b), 10_000)
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				db, _ := databasetest.Open(b, engine)
				svc := newService(b, db)
				b.StartTimer()
				start := time.Now()
				p, err := registrycsv.Parse(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				r, err := registrycsv.Import(context.Background(), svc, system, p, nil)
				if err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if r.Created != 10_000 || len(r.Rejected) != 0 {
					b.Fatalf("created %d, rejected %d: %v", r.Created, len(r.Rejected), r.Rejected[:min(5, len(r.Rejected))])
				}
				b.ReportMetric(elapsed.Seconds(), "s/import")
				b.ReportMetric(10_000/elapsed.Seconds(), "rows/s")
				db.Close()
			}
		})
	}
}
