package offer_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
)

// listed searches around Lille and returns the results by structure.
func listed(t *testing.T, svc *offer.Service) map[uuid.UUID]offer.StructureResult {
	t.Helper()
	page, err := svc.Search(context.Background(), offer.Query{CommuneCode: "59350", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]offer.StructureResult{}
	for _, r := range page.Items {
		out[r.Structure.ID] = r
	}
	if len(out) != page.Total {
		t.Fatalf("%d results on one page, total %d", len(out), page.Total)
	}
	return out
}

func generation(t *testing.T, db *database.DB) int64 {
	t.Helper()
	var g int64
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT generation FROM offer_state WHERE id = 1`).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

// A write through the service shows in the next search of the same service, however long the
// service may otherwise keep its read model.
func TestSearchSeesItsOwnWritesAtOnce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.svc.SetSearchMaxAge(time.Hour)
		today := database.ParisDate(start)
		st := f.structure(t, "EI", "59350", today.AddDays(100))
		if _, ok := listed(t, f.svc)[st.ID]; !ok {
			t.Fatal("new structure not listed")
		}
		emp := f.employer(t, st, "emp@lille.fr", true)
		cleaning := places(t).AppellationsOfRome("K2204")[0].Code
		jd, err := f.svc.CreateJobDescription(ctx, emp, st.ID, offer.JobDescriptionInput{AppellationCode: cleaning,
			ContractType: offer.ContractCDDI, HoursPerWeek: 26, OpenPositions: 2})
		if err != nil {
			t.Fatal(err)
		}
		r := listed(t, f.svc)[st.ID]
		if len(r.JobDescriptions) != 1 || r.JobDescriptions[0].ID != jd.ID || !r.Recruiting || !r.Priority {
			t.Fatalf("after creating a job description: %+v", r)
		}
		jobs, err := f.svc.SearchJobs(ctx, offer.Query{CommuneCode: "59350"})
		if err != nil || jobs.Total != 1 || jobs.Items[0].JobDescription.ID != jd.ID {
			t.Fatalf("job search after creating: %+v, %v", jobs, err)
		}
		if err := f.svc.SetApplicationsBlocked(ctx, emp, st.ID, true); err != nil {
			t.Fatal(err)
		}
		if r := listed(t, f.svc)[st.ID]; r.Recruiting || r.Priority || !r.Structure.BlockApplications {
			t.Fatalf("after blocking: %+v", r)
		}
		if _, err := f.svc.UpdateStructure(ctx, emp, st.ID, offer.StructureInput{Brand: "La Belle Ouvrage", CommuneCode: "59350"}); err != nil {
			t.Fatal(err)
		}
		if r := listed(t, f.svc)[st.ID]; r.Structure.Brand != "La Belle Ouvrage" {
			t.Fatalf("after renaming: %+v", r.Structure)
		}
		if err := f.svc.SetSearchable(ctx, f.staff, st.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, ok := listed(t, f.svc)[st.ID]; ok {
			t.Fatal("hidden structure still listed")
		}
		// Searching again without any write reuses the model.
		builds := f.svc.SearchModelBuilds()
		listed(t, f.svc)
		listed(t, f.svc)
		if n := f.svc.SearchModelBuilds(); n != builds {
			t.Fatalf("%d rebuilds without a write", n-builds)
		}
	})
}

// Another instance's write (another Service on the same database) shows up after the maximum
// age, and not before: in between the instance serves the model it has.
func TestSearchSeesOtherInstancesAfterMaxAge(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		other := offer.NewService(db, f.clock, places(t), "https://parcours.test")
		other.SetSearchMaxAge(time.Minute)
		today := database.ParisDate(start)
		st := f.structure(t, "EI", "59350", today.AddDays(100))
		emp := f.employer(t, st, "emp@lille.fr", false)
		if r, ok := listed(t, other)[st.ID]; !ok || len(r.JobDescriptions) != 0 {
			t.Fatalf("other instance: %+v, %v", r, ok)
		}
		cleaning := places(t).AppellationsOfRome("K2204")[0].Code
		if _, err := f.svc.CreateJobDescription(ctx, emp, st.ID, offer.JobDescriptionInput{AppellationCode: cleaning,
			ContractType: offer.ContractCDDI, HoursPerWeek: 26, OpenPositions: 2}); err != nil {
			t.Fatal(err)
		}
		if r := listed(t, f.svc)[st.ID]; len(r.JobDescriptions) != 1 {
			t.Fatalf("writing instance: %+v", r)
		}
		f.clock.Advance(time.Minute - time.Second)
		if r := listed(t, other)[st.ID]; len(r.JobDescriptions) != 0 {
			t.Fatalf("other instance saw the change before its maximum age: %+v", r)
		}
		f.clock.Advance(time.Second)
		if r := listed(t, other)[st.ID]; len(r.JobDescriptions) != 1 || !r.Priority {
			t.Fatalf("other instance after its maximum age: %+v", r)
		}
		// Changes made by other packages reach the generation through the triggers: the last
		// member leaves (org's triggers on memberships), the organisation is closed.
		if err := f.orgs.SetMemberActive(ctx, f.staff, st.ID, emp.UserID, false); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if r := listed(t, other)[st.ID]; r.Priority || r.Structure.HasActiveMembers {
			t.Fatalf("after the last member left: %+v", r)
		}
		if _, err := db.Writer().ExecContext(ctx, `UPDATE organisations SET deactivated_at = $2 WHERE id = $1`, st.ID, start); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if _, ok := listed(t, other)[st.ID]; ok {
			t.Fatal("closed organisation still listed")
		}
	})
}

// Whether a structure is active depends on the day: its convention's end plus 30 days of
// grace. Moving the clock changes the results with no write and no rebuild.
func TestConventionEndingChangesResultsWithoutWrite(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.svc.SetSearchMaxAge(time.Hour)
		today := database.ParisDate(start)
		ending := f.structure(t, "ACI", "59350", today)
		geiq := f.structure(t, "GEIQ", "59512", database.Date{})
		got := listed(t, f.svc)
		if _, ok := got[ending.ID]; !ok || len(got) != 2 {
			t.Fatalf("today: %v", got)
		}
		builds := f.svc.SearchModelBuilds()
		f.clock.Advance(30 * 24 * time.Hour) // the last day of grace
		if _, ok := listed(t, f.svc)[ending.ID]; !ok {
			t.Fatal("structure hidden on its last day of grace")
		}
		f.clock.Advance(24 * time.Hour)
		got = listed(t, f.svc)
		if _, ok := got[ending.ID]; ok || len(got) != 1 {
			t.Fatalf("after its grace: %v", got)
		}
		if _, ok := got[geiq.ID]; !ok {
			t.Fatal("GEIQ hidden")
		}
		if n := f.svc.SearchModelBuilds(); n != builds {
			t.Fatalf("%d rebuilds without a write", n-builds)
		}
	})
}

// Searches that find the model stale together wait for one rebuild.
func TestConcurrentSearchesRebuildOnce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "EI", "59350", database.ParisDate(start).AddDays(100))
		listed(t, f.svc)
		builds := f.svc.SearchModelBuilds()
		if _, err := db.Writer().ExecContext(ctx, `UPDATE structures SET brand = 'Nouvelle enseigne' WHERE org_id = $1`, st.ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				page, err := f.svc.Search(ctx, offer.Query{CommuneCode: "59350"})
				if err == nil && (len(page.Items) != 1 || page.Items[0].Structure.Brand != "Nouvelle enseigne") {
					t.Errorf("stale result: %+v", page.Items)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := f.svc.SearchModelBuilds() - builds; n != 1 {
			t.Fatalf("%d rebuilds for one change", n)
		}
	})
}

// The triggers of migrations 00080 and 00090 bump the generation on every change a search
// shows, and only then: a membership changes what a search shows only when a structure gets
// its first active member or loses its last one.
func TestRegistryChangesBumpTheGeneration(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "ACI", "59350", database.ParisDate(start).AddDays(100))
		emp := f.employer(t, st, "emp@lille.fr", true)
		cleaning := places(t).AppellationsOfRome("K2204")[0].Code
		jd, err := f.svc.CreateJobDescription(ctx, emp, st.ID, offer.JobDescriptionInput{AppellationCode: cleaning,
			ContractType: offer.ContractCDDI, HoursPerWeek: 26, OpenPositions: 2})
		if err != nil {
			t.Fatal(err)
		}
		second := f.user(t, access.Professional, "second@lille.fr")
		prescriber := uuid.Must(uuid.NewV7())
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO organisations (id, kind, category, name, siret, commune_code, departement,
			habilitation, created_at, updated_at) VALUES ($1, 'ML', 'prescriber', 'Mission locale', $2, '59350', '59', 'VALIDATED', $3, $3)`, prescriber, f.nextSIRET(), start); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			stmt string
			args []any
			bump bool
		}{
			{`UPDATE structures SET brand = 'B' WHERE org_id = $1`, []any{st.ID}, true},
			{`UPDATE job_descriptions SET open_positions = 1 WHERE id = $1`, []any{jd.ID}, true},
			{`UPDATE conventions SET ends_on = ends_on WHERE number = $1`, []any{st.Convention.Number}, true},
			{`UPDATE organisations SET name = 'Autre nom' WHERE id = $1`, []any{st.ID}, true},
			{`UPDATE organisations SET siret = $2 WHERE id = $1`, []any{st.ID, f.nextSIRET()}, true},
			{`UPDATE organisations SET updated_at = $2 WHERE id = $1`, []any{st.ID, start.Add(time.Hour)}, false},
			{`UPDATE organisations SET name = 'Autre mission locale' WHERE id = $1`, []any{prescriber}, false},
			{`UPDATE memberships SET is_active = is_active WHERE org_id = $1`, []any{st.ID}, false},
			{`UPDATE memberships SET is_active = is_active WHERE org_id = $1`, []any{prescriber}, false},
			{`UPDATE memberships SET is_active = FALSE, is_admin = FALSE WHERE org_id = $1`, []any{st.ID}, true},
			{`UPDATE memberships SET is_active = FALSE WHERE org_id = $1`, []any{st.ID}, false},
			{`UPDATE memberships SET is_active = TRUE WHERE org_id = $1`, []any{st.ID}, true},
			{`INSERT INTO memberships (org_id, user_id, is_admin, is_active, joined_at, updated_at) VALUES ($1, $2, FALSE, TRUE, $3, $3)`,
				[]any{st.ID, second.ID, start}, false},
			{`DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, []any{st.ID, emp.UserID}, false},
			{`UPDATE memberships SET org_id = $2 WHERE org_id = $1`, []any{st.ID, prescriber}, true},
			{`UPDATE memberships SET org_id = $2 WHERE org_id = $1`, []any{prescriber, st.ID}, true},
			{`DELETE FROM memberships WHERE org_id = $1`, []any{st.ID}, true},
			{`INSERT INTO memberships (org_id, user_id, is_admin, is_active, joined_at, updated_at) VALUES ($1, $2, FALSE, FALSE, $3, $3)`,
				[]any{st.ID, second.ID, start}, false},
			{`INSERT INTO memberships (org_id, user_id, is_admin, is_active, joined_at, updated_at) VALUES ($1, $2, FALSE, TRUE, $3, $3)`,
				[]any{st.ID, emp.UserID, start}, true},
			{`DELETE FROM job_descriptions WHERE id = $1`, []any{jd.ID}, true},
			{`UPDATE structures SET convention_id = NULL WHERE org_id = $1`, []any{st.ID}, true},
			{`DELETE FROM conventions WHERE number = $1`, []any{st.Convention.Number}, true},
			{`INSERT INTO conventions (id, number, starts_on, ends_on, created_at, updated_at) VALUES ($1, 'N-1', $2, $2, $3, $3)`,
				[]any{uuid.Must(uuid.NewV7()), database.ParisDate(start), start}, true},
		} {
			before := generation(t, db)
			if _, err := db.Writer().ExecContext(ctx, tc.stmt, tc.args...); err != nil {
				t.Fatalf("%s: %v", tc.stmt, err)
			}
			if after := generation(t, db); (after != before) != tc.bump {
				t.Errorf("%s: generation %d → %d", tc.stmt, before, after)
			}
		}
		// A transaction moves it once on PostgreSQL, at commit (once per row on SQLite).
		before := generation(t, db)
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			for _, brand := range []string{"C", "D", "E"} {
				if _, err := tx.ExecContext(ctx, `UPDATE structures SET brand = $2 WHERE org_id = $1`, st.ID, brand); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(3)
		if db.Engine() == database.Postgres {
			want = 1
		}
		if after := generation(t, db); after-before != want {
			t.Errorf("one transaction of 3 changes: generation %d → %d", before, after)
		}
		before = generation(t, db)
		ds := offertest.Generate(places(t), offertest.Options{Seed: 3, Structures: 30, JobDescriptions: 100, Now: start})
		if err := offertest.Insert(ctx, db, ds); err != nil {
			t.Fatal(err)
		}
		if after := generation(t, db); after == before {
			t.Error("bulk insert did not bump the generation")
		}
	})
}
