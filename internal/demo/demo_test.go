package demo_test

import (
	"context"
	"errors"
	"maps"
	"parcours/internal/access"
	"parcours/internal/audit"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/demo"
	"parcours/internal/eligibility"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
)

// A Tuesday in spring, 10:00 in Paris.
var start = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// lateEvening is already the next day in Paris, where French dates are read: a demo loaded
// between 23:00 and midnight UTC once hired Karim "in the past" and the server did not start.
var lateEvening = time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)

func deps(t *testing.T, db *database.DB, clk clock.Clock, places *refdata.Data) demo.Deps {
	t.Helper()
	if _, _, err := refdata.EnsureImported(context.Background(), db, places, clk.Now()); err != nil {
		t.Fatal(err)
	}
	kr, err := crypto.NewKeyring(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	offers := offer.NewService(db, clk, places, "https://parcours.test")
	offers.SetOutbox(accounts.Outbox())
	people := jobseeker.NewService(db, guard, env, clk, places, accounts)
	fileStore := files.NewService(db, env, clk, files.Options{})
	apps := application.NewService(db, guard, env, clk, offers, people, fileStore, "https://parcours.test")
	elig := eligibility.NewService(db, guard, env, clk, people)
	if err := elig.EnsureCriteria(context.Background()); err != nil {
		t.Fatal(err)
	}
	passes := approval.NewService(db, guard, env, clk, people, files.NewService(db, env, clk, files.Options{}), "https://parcours.test")
	apps.SetHireHook(passes.Hook)
	elig.SetPASSCheck(approval.KeepsDiagnosis)
	return demo.Deps{DB: db, Clock: clk, Envelope: env, Accounts: accounts, Orgs: org.NewService(db, guard, clk, places, accounts, "https://parcours.test"),
		Places: places, JobSeekers: people, Applications: apps, Eligibility: elig, Approvals: passes,
		Support: support.NewService(db, guard, env, clk, audit.NewJournal(env.Pseudonym), people, fileStore)}
}

// tables whose row counts must not change when the demo is loaded again.
var tables = []string{"users", "organisations", "memberships", "structures", "conventions", "job_descriptions", "audit_events", "outbox",
	"job_seekers", "applications", "application_transitions", "approvals", "approval_suspensions", "approval_prolongations",
	"approval_prolongation_requests", "approval_deliveries", "support_records", "support_habilitations", "support_emergency_accesses", "files", "support_plan_versions"}

func counts(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		out[table] = count(t, db, `SELECT COUNT(*) FROM `+table)
	}
	return out
}

func count(t *testing.T, db *database.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestLoad(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := clock.NewFake(start)
		d := deps(t, db, clk, places)
		began := time.Now()
		first, err := demo.Load(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("first load: %s, %+v", time.Since(began).Round(time.Millisecond), first.Registry)
		before := counts(t, db)
		clk.Advance(time.Hour)
		began = time.Now()
		second, err := demo.Load(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("second load: %s", time.Since(began).Round(time.Millisecond))
		if after := counts(t, db); !maps.Equal(before, after) {
			t.Fatalf("the second load changed the data:\nbefore %v\nafter  %v", before, after)
		}
		if first.Registry != second.Registry || len(first.Accounts) != len(second.Accounts) {
			t.Fatalf("results differ: %+v / %+v", first, second)
		}
		// The lists have real cases: each state an employer's list shows, the job seeker's own.
		for _, st := range []string{"new", "processing", "postponed", "refused", "accepted", "pool", "obsolete"} {
			if count(t, db, `SELECT COUNT(*) FROM applications WHERE state = $1`, st) == 0 {
				t.Errorf("no demo application in state %s", st)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM job_seekers j JOIN users u ON u.id = j.user_id WHERE u.email = 'candidat@demo.parcours.test'`); n != 1 {
			t.Errorf("the demo job seeker has %d files", n)
		}
		// The demo's people: a prescriber's diagnosis in force, two structures' (one expired).
		// Four people with diagnoses (people.go), five more for the lists (applications.go),
		// three with earlier PASS (passes.go).
		if n := count(t, db, `SELECT COUNT(*) FROM job_seekers`); n != 12 {
			t.Errorf("%d demo job seekers, want 12", n)
		}
		// Adapted support: Karim's record (Cap emploi with France Travail), Samira's and Bernard's
		// (France Travail), an emergency access to review, three habilitations, two advisor codes.
		if n := count(t, db, `SELECT COUNT(*) FROM support_records`); n != 3 {
			t.Errorf("%d support records, want 3", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM support_caseload`); n != 4 {
			t.Errorf("%d caseload rows, want 4", n)
		}
		// Karim's documents (issue 11): his title, a quote by Cap emploi, the bank details he sent.
		if n := count(t, db, `SELECT COUNT(*) FROM files WHERE subject LIKE 'support:%' AND kind IN ('titre_boeth', 'devis', 'rib')`); n != 3 {
			t.Errorf("%d support documents, want 3", n)
		}
		// Karim's plan: two versions, the first acknowledged; a review overdue.
		if n := count(t, db, `SELECT COUNT(*) FROM support_plan_versions WHERE ack_how <> ''`)*10 + count(t, db, `SELECT COUNT(*) FROM support_plan_versions`); n != 12 {
			t.Errorf("plan versions: %d acknowledged, %d in all; want 1 and 2", n/10, n%10)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM support_plan_due WHERE NOT settled AND kind = 'review'`); n != 1 {
			t.Errorf("%d reviews pending, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM support_emergency_accesses WHERE reviewed_at IS NULL`); n != 1 {
			t.Errorf("%d emergency accesses to review, want 1", n)
		}
		if codes, err := demo.Codes(ctx, db.Reader(), d.Envelope, clk.Now()); err != nil || len(codes) != 5 {
			t.Errorf("advisor codes: %v %v", codes, err)
		}
		// Karim's aids (support_aids.go): one paid in a batch marked paid, one granted, one requested.
		for state, want := range map[string]int{"paid": 1, "granted": 1, "requested": 1} {
			if n := count(t, db, `SELECT COUNT(*) FROM support_aids WHERE state = $1`, state); n != want {
				t.Errorf("%d aids %s, want %d", n, state, want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM support_aid_batches WHERE paid_at IS NOT NULL`); n != 1 {
			t.Errorf("%d paid batches, want 1", n)
		}
		todayDate := database.ParisDate(clk.Now())
		for _, c := range []struct {
			what, where string
			want        int
		}{
			{"prescriber's in force", `author_kind = 'prescriber' AND valid_until >= $1`, 2},
			{"structures' in force", `author_kind = 'employer' AND valid_until >= $1`, 2},
			{"expired", `valid_until < $1`, 1},
		} {
			if n := count(t, db, `SELECT COUNT(*) FROM eligibility_diagnoses WHERE `+c.where, todayDate); n != c.want {
				t.Errorf("%d diagnoses %s, want %d", n, c.what, c.want)
			}
		}
		// PASS IAE in every state, the demo job seeker's running, a request for the adviser to
		// decide and a hire waiting for staff.
		for _, c := range []struct {
			what, where string
			want        int
		}{
			{"future", `start_on > $1`, 1},
			{"running", `start_on <= $1 AND end_on >= $1`, 4},
			{"suspended", `EXISTS (SELECT 1 FROM approval_suspensions s WHERE s.approval_id = a.id AND s.start_on <= $1 AND s.end_on >= $1)`, 1},
			{"expired", `end_on < $1`, 1},
			{"prolonged", `EXISTS (SELECT 1 FROM approval_prolongations p WHERE p.approval_id = a.id) AND $1 = $1`, 1},
			{"the demo job seeker's, running", `start_on <= $1 AND end_on >= $1 AND job_seeker_id IN (SELECT j.id FROM job_seekers j JOIN users u ON u.id = j.user_id WHERE u.email = 'candidat@demo.parcours.test')`, 1},
		} {
			if n := count(t, db, `SELECT COUNT(*) FROM approvals a WHERE `+c.where, todayDate); n != c.want {
				t.Errorf("%d PASS IAE %s, want %d", n, c.what, c.want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM approval_prolongation_requests r JOIN memberships m ON m.org_id = r.to_org JOIN users u ON u.id = m.user_id
			WHERE r.state = 'pending' AND u.email = 'prescripteur@demo.parcours.test'`); n != 1 {
			t.Errorf("%d prolongation requests for the adviser, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM approval_deliveries WHERE state = 'pending'`); n != 1 {
			t.Errorf("%d hires waiting for a PASS delivered by hand, want 1", n)
		}
		reg := first.Registry
		if reg.Structures < 1500 || reg.JobDescriptions < 6000 || reg.Structures != before["structures"] || reg.JobDescriptions != before["job_descriptions"] {
			t.Fatalf("registry %+v, tables %v", reg, before)
		}
		deps := count(t, db, `SELECT COUNT(DISTINCT o.departement) FROM structures s JOIN organisations o ON o.id = s.org_id`)
		if all := len(places.Departements()); deps != all {
			t.Errorf("structures in %d départements out of %d", deps, all)
		}
		today := database.ParisDate(clk.Now())
		closed := count(t, db, `SELECT COUNT(*) FROM structures s JOIN organisations o ON o.id = s.org_id WHERE o.deactivated_at IS NOT NULL`)
		expired := count(t, db, `SELECT COUNT(*) FROM structures s JOIN organisations o ON o.id = s.org_id
			LEFT JOIN structures p ON p.org_id = s.parent_id
			LEFT JOIN conventions c ON c.id = COALESCE(s.convention_id, p.convention_id)
			WHERE o.kind <> 'GEIQ' AND (c.ends_on IS NULL OR c.ends_on < $1)`, today.AddDays(-offer.ConventionGraceDays))
		blocked := count(t, db, `SELECT COUNT(*) FROM structures WHERE block_applications`)
		if closed == 0 || expired == 0 || blocked == 0 {
			t.Errorf("%d closed, %d without a valid convention, %d blocking applications", closed, expired, blocked)
		}
		// Generated employers cannot log in, and their addresses are in reserved domains.
		if n := count(t, db, `SELECT COUNT(*) FROM users WHERE email NOT LIKE '%.test' AND email NOT LIKE '%.example'`); n != 0 {
			t.Errorf("%d accounts outside the reserved domains", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM users WHERE password_hash = ''`); n < 1000 {
			t.Errorf("only %d accounts without password", n)
		}
		// The daily jobs, which run at start, find nothing to do but the demo's old description.
		svc := offer.NewService(db, clk, places, "https://parcours.test")
		svc.SetOutbox(d.Accounts.Outbox())
		res, err := svc.ProcessStaleJobDescriptions(ctx)
		if err != nil || res["warned"] != 1 || res["deactivated"] != 0 {
			t.Errorf("stale job descriptions: %v, %v", res, err)
		}
		if res, err := svc.CloseExpiredSpontaneous(ctx); err != nil || res["closed"] != 0 {
			t.Errorf("spontaneous applications: %v, %v", res, err)
		}

		aci := structureID(t, db, "Les Jardins du Rhône")
		ei := structureID(t, db, "Rhône Insertion Services")
		found := map[uuid.UUID]offer.StructureResult{}
		q := offer.Query{CommuneCode: "69123", RadiusKm: 25, Limit: offer.MaxPageSize}
		for {
			page, err := svc.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				found[r.Structure.ID] = r
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if len(found) < 20 {
			t.Errorf("%d structures within 25 km of Lyon", len(found))
		}
		for name, id := range map[string]uuid.UUID{"ACI": aci, "EI": ei} {
			r, ok := found[id]
			if !ok || !r.Priority || !r.Recruiting || len(r.JobDescriptions) != 4 {
				t.Errorf("%s around Lyon: found %v, %+v", name, ok, r)
			}
		}
		aciPage, err := svc.Structure(ctx, access.Actor{}, aci)
		if err != nil {
			t.Fatal(err)
		}
		st := aciPage.Structure
		if st.Convention.Number == "" || !st.Active(today) || st.Description == "" || st.ProvidedSupport == "" ||
			st.Brand == "" || st.Website == "" || !st.PositionPrecise || !st.SpontaneousOpen(today) {
			t.Errorf("ACI's page: %+v", st)
		}
		stale := 0
		for _, j := range aciPage.JobDescriptions {
			if offer.NeedsUpdateWarning(j, today) {
				stale++
			}
		}
		if stale != 1 {
			t.Errorf("%d of the ACI's job descriptions ask for an update, want 1", stale)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE action = 'offer.job_description_created'`); n < 8 {
			t.Errorf("%d job descriptions created through the service", n)
		}

		// The demo page's code is the administrator's real second factor, read from a sealed copy
		// that another keyring cannot open.
		code, ok, err := demo.AdminCode(ctx, db.Reader(), d.Envelope, clk.Now())
		if err != nil || !ok || len(code) != 6 {
			t.Fatalf("AdminCode = %q, %v, %v", code, ok, err)
		}
		login, err := d.Accounts.Login(ctx, demo.AdminEmail, demo.Password, account.Client{IP: "192.0.2.1"})
		if err != nil || login.Next != account.StepMFA {
			t.Fatalf("administrator login: %+v, %v", login.Next, err)
		}
		if _, err := d.Accounts.CompleteMFA(ctx, login.Token, code); err != nil {
			t.Fatalf("the demo page's code does not log the administrator in: %v", err)
		}
		otherKeys, _ := crypto.NewKeyring(clk.Now())
		if _, _, err := demo.AdminCode(ctx, db.Reader(), crypto.NewEnvelope(otherKeys, clk), clk.Now()); !errors.Is(err, crypto.ErrUndecryptable) {
			t.Fatalf("AdminCode with another keyring = %v, want ErrUndecryptable", err)
		}
	})
}

// TestLoadResumes checks that a load interrupted after the bulk insertion, before its end, is
// completed by the next one without duplicates; it loads late in the evening (lateEvening).
func TestLoadResumes(t *testing.T) {
	places, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := clock.NewFake(lateEvening)
		d := deps(t, db, clk, places)
		if _, err := demo.Load(ctx, d); err != nil {
			t.Fatal(err)
		}
		before := counts(t, db)
		// As if the load had stopped just before recording its end.
		if _, err := db.Writer().ExecContext(ctx, `DELETE FROM settings WHERE key = 'demo_registry_loaded_at'`); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := demo.Load(ctx, d); err != nil {
			t.Fatal(err)
		}
		after := counts(t, db)
		for _, table := range []string{"users", "organisations", "memberships", "structures", "conventions", "job_descriptions"} {
			if before[table] != after[table] {
				t.Errorf("%s: %d rows, then %d", table, before[table], after[table])
			}
		}
	})
}

func structureID(t *testing.T, db *database.DB, name string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT id FROM organisations WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return id
}
