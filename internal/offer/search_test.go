package offer_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

func names(items []offer.StructureResult) []string {
	out := make([]string, len(items))
	for i, r := range items {
		out[i] = r.Structure.Name
	}
	return out
}

func TestSearchScenario(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		p := places(t)
		today := database.ParisDate(start)
		cleaning := p.AppellationsOfRome("K2204")[0].Code
		gardening := p.AppellationsOfRome("A1203")[0].Code
		// Around Lille (59350): structures at the centres of communes at known distances.
		mk := func(kind, commune string, ends database.Date, jobs ...offer.JobDescriptionInput) (offer.Structure, access.Actor) {
			st := f.structure(t, kind, commune, ends)
			emp := f.employer(t, st, "emp-"+st.ID.String()[24:]+"@ex.fr", false)
			for _, in := range jobs {
				if _, err := f.svc.CreateJobDescription(ctx, emp, st.ID, in); err != nil {
					t.Fatal(err)
				}
			}
			return st, emp
		}
		open := func(app string, contract offer.ContractType, n int) offer.JobDescriptionInput {
			return offer.JobDescriptionInput{AppellationCode: app, ContractType: contract, HoursPerWeek: 26, OpenPositions: n}
		}
		valid, grace, expired := today.AddDays(200), today.AddDays(-30), today.AddDays(-31)
		lille, _ := mk("EI", "59350", valid, open(cleaning, offer.ContractCDDI, 2))             // 0 km, hiring
		roubaix, _ := mk("ACI", "59512", grace, open(gardening, offer.ContractCDDI, 1))         // in grace, hiring
		tourcoing, tEmp := mk("ETTI", "59599", valid, open(cleaning, offer.ContractInterim, 0)) // no open position
		mk("AI", "59009", expired, open(cleaning, offer.ContractCDDI, 3))                       // expired: hidden
		geiq, _ := mk("GEIQ", "59360", database.Date{}, open(cleaning, offer.ContractPro, 1))   // GEIQ, always active
		blocked, bEmp := mk("EI", "59017", valid, open(cleaning, offer.ContractCDDI, 1))        // will block
		hidden, _ := mk("EI", "59368", valid)                                                   // staff will hide it
		unstaffed := f.structure(t, "EI", "59328", valid)                                       // hiring but nobody to answer
		lonely := f.employer(t, unstaffed, "parti@ex.fr", false)
		if _, err := f.svc.CreateJobDescription(ctx, lonely, unstaffed.ID, open(cleaning, offer.ContractCDDI, 1)); err != nil {
			t.Fatal(err)
		}
		if err := f.orgs.SetMemberActive(ctx, f.staff, unstaffed.ID, lonely.UserID, false); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetApplicationsBlocked(ctx, bEmp, blocked.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSearchable(ctx, f.staff, hidden.ID, false); err != nil {
			t.Fatal(err)
		}
		far := f.structure(t, "EI", "75056", valid) // Paris, out of range
		_ = far
		antenna, err := f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: "ACI", Name: "Antenne de Roubaix",
			CommuneCode: "59650", ParentSIRET: roubaix.SIRET})
		if err != nil {
			t.Fatal(err)
		}

		page, err := f.svc.Search(ctx, offer.Query{CommuneCode: "59350"})
		if err != nil {
			t.Fatal(err)
		}
		if page.RadiusKm != 25 || page.Centre.Code != "59350" {
			t.Fatalf("defaults: %+v", page)
		}
		byName := map[string]offer.StructureResult{}
		for _, r := range page.Items {
			byName[r.Structure.Name] = r
		}
		for _, name := range []string{lille.Name, roubaix.Name, tourcoing.Name, geiq.Name, blocked.Name, unstaffed.Name, antenna.Structure.Name} {
			if _, ok := byName[name]; !ok {
				t.Errorf("%s missing from %v", name, names(page.Items))
			}
		}
		if len(page.Items) != 7 || page.Total != 7 {
			t.Fatalf("%d results: %v", len(page.Items), names(page.Items))
		}
		// First group: active members and open positions, not blocked; nearest first in each group.
		var seenSecond bool
		last := -1.0
		for _, r := range page.Items {
			first := r.Structure.Name == lille.Name || r.Structure.Name == roubaix.Name || r.Structure.Name == geiq.Name
			if r.Priority != first {
				t.Errorf("%s: priority %v", r.Structure.Name, r.Priority)
			}
			if !r.Priority && !seenSecond {
				seenSecond, last = true, -1
			}
			if r.Priority && seenSecond {
				t.Fatalf("group order: %v", names(page.Items))
			}
			if r.DistanceKm < last {
				t.Fatalf("distance order: %v", names(page.Items))
			}
			last = r.DistanceKm
			c, _ := p.Commune(r.Structure.CommuneCode)
			centre, _ := p.Commune("59350")
			if want := math.Round(refdata.Distance(centre.Lat, centre.Lng, c.Lat, c.Lng)*10) / 10; r.DistanceKm != want {
				t.Errorf("%s at %.1f km, want %.1f", r.Structure.Name, r.DistanceKm, want)
			}
		}
		if r := byName[blocked.Name]; r.Recruiting || !r.Structure.BlockApplications {
			t.Errorf("blocked structure recruiting: %+v", r)
		}
		if r := byName[tourcoing.Name]; len(r.JobDescriptions) != 1 || r.Recruiting {
			t.Errorf("tourcoing: %+v", r)
		}
		// Filters.
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", RecruitingNow: true}))
		if len(page.Items) != 4 { // lille, roubaix, geiq, unstaffed
			t.Errorf("recruiting now: %v", names(page.Items))
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", Rome: "A"}))
		if len(page.Items) != 1 || page.Items[0].Structure.Name != roubaix.Name || len(page.Items[0].JobDescriptions) != 1 {
			t.Errorf("ROME A: %v", names(page.Items))
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", Kinds: []string{"geiq", "ETTI"}}))
		if len(page.Items) != 2 {
			t.Errorf("kinds: %v", names(page.Items))
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", ContractType: offer.ContractInterim}))
		if len(page.Items) != 1 || page.Items[0].Structure.Name != tourcoing.Name {
			t.Errorf("interim: %v", names(page.Items))
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", Departement: "62"}))
		if len(page.Items) != 0 {
			t.Errorf("Pas-de-Calais: %v", names(page.Items))
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350", RadiusKm: 100}))
		if page.Total != 7 {
			t.Errorf("100 km: %v", names(page.Items))
		}
		// Changes elsewhere reach the search: a member leaves, the organisation is closed.
		if err := f.orgs.SetMemberActive(ctx, f.staff, tourcoing.ID, tEmp.UserID, false); err != nil {
			t.Fatal(err)
		}
		jobs := must[offer.Page[offer.JobResult]](t)(f.svc.SearchJobs(ctx, offer.Query{CommuneCode: "59350"}))
		for _, j := range jobs.Items {
			if j.Structure.ID == tourcoing.ID && (j.Priority || j.Structure.HasActiveMembers) {
				t.Errorf("job of a structure without members first: %+v", j)
			}
		}
		if jobs.Total != 6 { // lille, roubaix, tourcoing, geiq, blocked, unstaffed
			t.Errorf("%d jobs", jobs.Total)
		}
		if _, err := db.Writer().ExecContext(ctx, `UPDATE organisations SET deactivated_at = $2 WHERE id = $1`, lille.ID, start); err != nil {
			t.Fatal(err)
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350"}))
		jobs = must[offer.Page[offer.JobResult]](t)(f.svc.SearchJobs(ctx, offer.Query{CommuneCode: "59350"}))
		if page.Total != 6 || jobs.Total != 5 {
			t.Errorf("closed organisation still listed: %d structures, %d jobs", page.Total, jobs.Total)
		}
		// A day later Roubaix's grace is over, and its antenna goes with it.
		f.clock.Advance(24 * time.Hour)
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350"}))
		for _, r := range page.Items {
			if r.Structure.ID == roubaix.ID || r.Structure.ID == antenna.Structure.ID {
				t.Errorf("%s listed after its grace", r.Structure.Name)
			}
		}
		// Renewing the parent's convention brings both back.
		if _, err := f.svc.SaveRegistryEntry(ctx, f.staff, offer.RegistryEntry{SIRET: roubaix.SIRET, Kind: "ACI", Name: roubaix.Name, CommuneCode: "59512",
			ConventionNumber: roubaix.Convention.Number, ConventionStartsOn: today, ConventionEndsOn: today.AddDays(365)}); err != nil {
			t.Fatal(err)
		}
		page = must[offer.Page[offer.StructureResult]](t)(f.svc.Search(ctx, offer.Query{CommuneCode: "59350"}))
		if page.Total != 6 {
			t.Errorf("after renewal: %v", names(page.Items))
		}
	})
}

func TestSearchRejectsBadQueries(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		noCoords := places(t).CommunesWithoutCoords()
		if len(noCoords) == 0 {
			t.Fatal("reference data has no commune without coordinates any more: pick another test")
		}
		for _, tc := range []struct {
			q     offer.Query
			field string
		}{
			{offer.Query{}, "commune"},
			{offer.Query{CommuneCode: "00000"}, "commune"},
			{offer.Query{CommuneCode: noCoords[0].Code}, "commune"},
			{offer.Query{CommuneCode: "59350", RadiusKm: 30}, "radius"},
			{offer.Query{CommuneCode: "59350", RadiusKm: -5}, "radius"},
			{offer.Query{CommuneCode: "59350", Kinds: []string{"EA"}}, "kinds"},
			{offer.Query{CommuneCode: "59350", Departement: "00"}, "departement"},
			{offer.Query{CommuneCode: "59350", Rome: "Z"}, "rome"},
			{offer.Query{CommuneCode: "59350", Rome: "K22049"}, "rome"},
			{offer.Query{CommuneCode: "59350", AppellationCode: "x"}, "appellation"},
			{offer.Query{CommuneCode: "59350", ContractType: "cdi"}, "contract_type"},
			{offer.Query{CommuneCode: "59350", Cursor: "nope"}, "cursor"},
		} {
			_, err := f.svc.Search(ctx, tc.q)
			wantField(t, err, tc.field)
			_, err = f.svc.SearchJobs(ctx, tc.q)
			wantField(t, err, tc.field)
		}
		for _, c := range noCoords {
			if _, err := f.svc.SearchPrescribers(ctx, offer.Query{CommuneCode: c.Code}); !errorsIs(err, fault.Invalid) {
				t.Errorf("prescribers around %s: %v", c.Code, err)
			}
		}
		// An empty area is an empty page, not an error.
		page, err := f.svc.Search(ctx, offer.Query{CommuneCode: "97411", RadiusKm: 2, Kinds: []string{"EI"}, Limit: 1000})
		if err != nil || len(page.Items) != 0 || page.Next != "" {
			t.Fatalf("empty search: %+v, %v", page, err)
		}
	})
}

func TestSearchPrescribers(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		mk := func(kind, name, commune string, member bool) org.Organisation {
			// Staff create organisations without members; a professional becomes the first one.
			a := f.staff
			if member {
				u := f.user(t, access.Professional, "p-"+uuid.NewString()[:8]+"@ex.fr")
				var err error
				if a, _, err = f.orgs.Actor(ctx, u, uuid.Nil, false); err != nil {
					t.Fatal(err)
				}
			}
			o, err := f.orgs.Create(ctx, a, org.NewOrganisation{Kind: kind, Name: name, SIRET: f.nextSIRET(), CommuneCode: commune, Habilitated: true})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		mk("ML", "Mission locale de Lille", "59350", true)
		mk("CCAS", "CCAS de Roubaix", "59512", false)
		mk("CAP_EMPLOI", "Cap emploi Nord", "59599", true)
		mk("ML", "Mission locale de Paris", "75056", true)
		mk("EI", "Une entreprise d'insertion", "59350", true)
		page, err := f.svc.SearchPrescribers(ctx, offer.Query{CommuneCode: "59350", RadiusKm: 25})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(page.Items))
		for i, r := range page.Items {
			got[i] = r.Name
		}
		// With active members first, then nearest.
		want := []string{"Mission locale de Lille", "Cap emploi Nord", "CCAS de Roubaix"}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("prescribers %v, want %v", got, want)
		}
		if page.Items[0].DistanceKm != 0 || page.Items[0].CommuneName == "" || page.Items[0].KindLabel != "Mission locale" || page.Items[2].HasActiveMembers {
			t.Errorf("first %+v", page.Items)
		}
		page = must[offer.Page[offer.PrescriberResult]](t)(f.svc.SearchPrescribers(ctx, offer.Query{CommuneCode: "59350"}))
		if len(page.Items) != 1 || page.RadiusKm != 5 {
			t.Errorf("default 5 km: %+v", page.Items)
		}
		page = must[offer.Page[offer.PrescriberResult]](t)(f.svc.SearchPrescribers(ctx, offer.Query{CommuneCode: "59350", RadiusKm: 25, Kinds: []string{"CAP_EMPLOI"}}))
		if len(page.Items) != 1 {
			t.Errorf("kinds: %+v", page.Items)
		}
		_, err = f.svc.SearchPrescribers(ctx, offer.Query{CommuneCode: "59350", Kinds: []string{"EI"}})
		wantField(t, err, "kinds")
	})
}
