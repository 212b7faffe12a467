package offertest_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

var loadPlaces = sync.OnceValues(refdata.Load)

func places(tb testing.TB) *refdata.Data {
	tb.Helper()
	d, err := loadPlaces()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

var now = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a := offertest.Generate(places(t), offertest.Options{Seed: 7, Structures: 300, Now: now})
	b := offertest.Generate(places(t), offertest.Options{Seed: 7, Structures: 300, Now: now})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different datasets")
	}
	c := offertest.Generate(places(t), offertest.Options{Seed: 8, Structures: 300, Now: now})
	if reflect.DeepEqual(a.Structures[0], c.Structures[0]) {
		t.Fatal("different seeds, same data")
	}
}

func TestGenerateIsRealistic(t *testing.T) {
	p := places(t)
	ds := offertest.Generate(p, offertest.Options{Seed: 1, Structures: 5000, JobDescriptions: 25000, Now: now})
	if len(ds.Structures) != 5000 || len(ds.JobDescriptions) != 25000 {
		t.Fatalf("%d structures, %d job descriptions", len(ds.Structures), len(ds.JobDescriptions))
	}
	today := database.ParisDate(now)
	kinds := map[string]int{}
	sirets := map[string]bool{}
	byID := map[[16]byte]offer.Structure{}
	var idf, active, grace, expired, none, antennas, blocked int
	for _, st := range ds.Structures {
		kinds[st.Kind]++
		if org.CheckSIRET(st.SIRET) != nil || sirets[st.SIRET] {
			t.Fatalf("bad or repeated SIRET %s", st.SIRET)
		}
		sirets[st.SIRET] = true
		byID[st.ID] = st
		c, ok := p.Commune(st.CommuneCode)
		if !ok || c.Departement != st.Departement || !st.HasPosition || refdata.Distance(c.Lat, c.Lng, st.Lat, st.Lng) > 3 {
			t.Fatalf("structure %s misplaced: %+v", st.Name, st)
		}
		if c.Region == "11" {
			idf++
		}
		if st.IsAntenna() {
			antennas++
			parent, ok := byID[st.ParentID]
			if !ok || parent.Kind != st.Kind || parent.IsAntenna() || parent.Convention != st.Convention {
				t.Fatalf("antenna %s: parent %+v", st.Name, parent)
			}
		}
		if st.BlockApplications {
			blocked++
		}
		if offer.IsSIAE(st.Kind) {
			switch ends := st.Convention.EndsOn; {
			case ends.IsZero():
				none++
			case !ends.Before(today):
				active++
			case offer.ConventionActive(ends, today):
				grace++
			default:
				expired++
			}
		}
	}
	// Île-de-France holds about 18 % of the population.
	if share := float64(idf) / 5000; share < 0.14 || share > 0.23 {
		t.Errorf("Île-de-France share %.3f", share)
	}
	if kinds["ACI"] < kinds["EI"] || kinds["EI"] < kinds["ETTI"] || kinds["EITI"] == 0 || kinds["GEIQ"] == 0 {
		t.Errorf("kinds %v", kinds)
	}
	if grace == 0 || expired == 0 || none == 0 || active < 10*expired/2 || antennas == 0 || blocked == 0 {
		t.Errorf("conventions: %d valid, %d in grace, %d expired, %d none; %d antennas, %d blocked", active, grace, expired, none, antennas, blocked)
	}
	for _, j := range ds.JobDescriptions {
		st := byID[j.StructureID]
		a, ok := p.Appellation(j.AppellationCode)
		if !ok || a.Rome != j.RomeCode || !offer.ContractAllowed(st.Kind, j.ContractType) || j.HoursPerWeek < 1 || j.HoursPerWeek > 48 ||
			!j.HasPosition || j.Departement != st.Departement {
			t.Fatalf("job description %+v of %s", j, st.Kind)
		}
	}
	if len(ds.Users) == 0 || len(ds.Memberships) < len(ds.Structures)/2 {
		t.Errorf("%d users, %d memberships", len(ds.Users), len(ds.Memberships))
	}
}

func TestInsertOnBothEngines(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ds := offertest.Generate(places(t), offertest.Options{Seed: 3, Structures: 400, JobDescriptions: 1500, Now: now})
		if err := offertest.Insert(ctx, db, ds); err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"structures": 400, "organisations": 400, "job_descriptions": 1500,
			"conventions": len(ds.Conventions), "users": len(ds.Users), "memberships": len(ds.Memberships)} {
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
		svc := offer.NewService(db, clock.NewFake(now), places(t), "https://parcours.test")
		// What was generated reads back the same through the service.
		for _, want := range ds.Structures[:50] {
			page, err := svc.Structure(ctx, access.Actor{UserID: uuid.Must(uuid.NewV7()), Kind: access.Staff, MFA: true}, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := page.Structure
			if got.Name != want.Name || got.SIRET != want.SIRET || got.Convention.EndsOn != want.Convention.EndsOn ||
				got.Lat != want.Lat || got.ParentID != want.ParentID || !got.SpontaneousOpenSince.Equal(want.SpontaneousOpenSince) {
				t.Fatalf("read back %+v\nwant %+v", got, want)
			}
		}
		page, err := svc.Search(ctx, offer.Query{CommuneCode: ds.Structures[0].CommuneCode, RadiusKm: 100})
		if err != nil || page.Total == 0 {
			t.Fatalf("Search: %+v, %v", page, err)
		}
	})
}
