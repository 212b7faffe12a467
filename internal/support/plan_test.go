package support_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/pdftag"
	"parcours/internal/pdftag/pdftagtest"
	"parcours/internal/support"
)

// plan is a full plan with canaries in its free texts: an action due in 10 days, a review in 20.
func (f *fixture) plan(canary string) support.Plan {
	today := f.today()
	return support.Plan{Jobs: []support.PlanJob{{Code: "10871"}, {Code: "16276"}}, CommuneCode: "69123", RadiusKm: 20, Salary: 1900, Hours: 28,
		Objectives: canary + "-OBJECTIFS",
		Actions:    []support.PlanAction{{Type: "training", Description: canary + "-ACTION", DueOn: today.AddDays(10), Status: "planned", Owner: "person"}},
		Reviews:    []support.PlanReview{{PlannedOn: today.AddDays(20)}}}
}

// Every error of the form comes in one pass, tied to its field.
func TestPlanValidationAllErrorsAtOnce(t *testing.T) {
	today := database.Date{Year: 2026, Month: 12, Day: 4}
	p := support.Plan{Jobs: []support.PlanJob{{Code: "1"}, {Code: "1"}, {Code: "2"}, {Code: "3"}}, RadiusKm: 500, Salary: -1, Hours: 80,
		Objectives: strings.Repeat("x", 2001),
		Actions:    []support.PlanAction{{Type: "diagnostic", Status: "maybe", Owner: "someone"}},
		Reviews:    []support.PlanReview{{HeldOn: today.AddDays(1), Summary: "Fait"}, {PlannedOn: today, Summary: "Sans date"}}}
	err := p.Validate(today)
	fields := fault.FieldsOf(err)
	want := []string{"jobs", "radius_km", "salary", "hours", "objectives", "a0_type", "a0_description", "a0_due_on", "a0_status", "a0_owner",
		"r0_planned_on", "r0_held_on", "r1_held_on"}
	for _, name := range want {
		if fields[name] == "" {
			t.Errorf("no error on %s (%v)", name, fields)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(fields), len(want), fields)
	}
	ok := support.Plan{RadiusKm: 10, CommuneCode: "69123", Actions: []support.PlanAction{{Type: "other", Description: " Appeler ", DueOn: today, Status: "planned", Owner: "advisor"}}}
	if err := ok.Validate(today); err != nil || ok.Actions[0].Description != "Appeler" || ok.Actions[0].ID == "" {
		t.Fatalf("valid plan: %v %+v", err, ok)
	}
}

// Each saved change makes a version with who, when and what changed; an unchanged plan makes
// none; the caseload (both joint controllers) and the person read every version; jobs and the
// commune are checked against the reference data, with the other errors.
func TestPlanVersions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		if b, err := f.svc.ReadPlan(ctx, f.capAdvisor, f.person); err != nil || b.Current() != nil {
			t.Fatalf("empty plan: %v %+v", err, b)
		}
		bad := f.plan("X")
		bad.Jobs = []support.PlanJob{{Code: "99999"}}
		bad.CommuneCode = "00000"
		bad.Hours = 90
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, bad); len(fault.FieldsOf(err)) != 3 {
			t.Fatalf("bad plan: %v", err)
		}
		v, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("PLAN"))
		if err != nil || v != 1 {
			t.Fatalf("first version: %d %v", v, err)
		}
		b, err := f.svc.ReadPlan(ctx, f.ftAdvisor, f.person)
		if err != nil {
			t.Fatal(err)
		}
		if v, created, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, b.Current().Plan); err != nil || v != 1 || created {
			t.Fatalf("unchanged: %d %v", v, err)
		}
		p := b.Current().Plan
		p.Salary = 2100
		p.Actions[0].Status = "in_progress"
		f.clock.Advance(time.Hour)
		if v, _, err := f.svc.SavePlan(ctx, f.ftAdvisor, f.person, p); err != nil || v != 2 {
			t.Fatalf("second version: %d %v", v, err)
		}
		for name, a := range map[string]access.Actor{"Cap emploi": f.capAdvisor, "France Travail": f.ftAdvisor, "the person": f.personActor} {
			b, err := f.svc.ReadPlan(ctx, a, f.person)
			if err != nil || len(b.Versions) != 2 || b.Withheld {
				t.Fatalf("%s: %v %+v", name, err, b)
			}
			cur, first := b.Versions[0], b.Versions[1]
			if cur.Version != 2 || !slices.Equal(cur.Changes, []string{"salary", "actions"}) || cur.Plan.Salary != 2100 ||
				!strings.HasPrefix(cur.AuthorOrg, "France Travail") || first.Plan.Salary != 1900 || first.Plan.Objectives != "PLAN-OBJECTIFS" ||
				first.Plan.Jobs[0].Label != "Aide-comptable" || first.Plan.Jobs[0].Rome != "M1203" || first.Plan.CommuneName != "Lyon" ||
				first.AuthorOrg != "Cap emploi Rhône" || cur.Plan.Actions[0].ID != first.Plan.Actions[0].ID {
				t.Fatalf("%s reads %+v", name, b.Versions)
			}
			if got := strings.Join(cur.ChangeLabels(), ", "); got != "Salaire attendu, Actions" {
				t.Fatalf("change labels: %s", got)
			}
		}
		if f.count(t, "support.plan_saved") != 2 {
			t.Fatal("each version is audited")
		}
		// The person's list of accesses names the plan's reads and changes.
		list, err := f.svc.Accesses(ctx, f.personActor)
		if err != nil {
			t.Fatal(err)
		}
		var whats []string
		for _, a := range list {
			whats = append(whats, a.What)
		}
		if !slices.Contains(whats, "Consultation du plan d'accompagnement") || !slices.Contains(whats, "Modification du plan d'accompagnement") {
			t.Fatalf("accesses: %v", whats)
		}
	})
}

// Who reads and changes the plan: the caseload reads and edits, an emergency access reads, the
// person reads; nobody else reads anything, and every read states the plan's purpose.
func TestPlanAccessByRole(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("PLAN")); err != nil {
			t.Fatal(err)
		}
		before := f.count(t, "read.support.plan")
		noMFA := f.capAdvisor
		noMFA.MFA = false
		for name, a := range map[string]access.Actor{"an advisor without habilitation": f.ftPlain, "an advisor of another agency": f.otherAdvisor,
			"staff": f.staff, "an advisor without second factor": noMFA} {
			if b, err := f.svc.ReadPlan(ctx, a, f.person); !errors.Is(err, fault.Forbidden) || b.Current() != nil {
				t.Errorf("%s reads: %v", name, err)
			}
			if _, _, err := f.svc.PlanPDF(ctx, a, f.person); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s downloads: %v", name, err)
			}
			if _, _, err := f.svc.SavePlan(ctx, a, f.person, f.plan("INTRUS")); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s saves: %v", name, err)
			}
		}
		if _, _, err := f.svc.SavePlan(ctx, f.personActor, f.person, f.plan("MOI")); !errors.Is(err, fault.Forbidden) {
			t.Errorf("the person saves: %v", err)
		}
		// Readers by caseload write one entry each, with the plan's purpose.
		for _, a := range []access.Actor{f.capAdvisor, f.ftAdvisor} {
			if _, err := f.svc.ReadPlan(ctx, a, f.person); err != nil {
				t.Fatal(err)
			}
		}
		var purpose string
		if err := db.Reader().QueryRowContext(ctx, `SELECT purpose FROM audit_events WHERE action = 'read.support.plan' AND outcome = 'ok' ORDER BY occurred_at DESC LIMIT 1`).Scan(&purpose); err != nil || purpose != string(access.PurposeSupportPlan) {
			t.Fatalf("purpose %q %v", purpose, err)
		}
		if got := f.count(t, "read.support.plan") - before; got != 4+2 { // four refusals, two reads
			t.Fatalf("%d read entries", got)
		}
		// An emergency access reads but does not edit.
		if err := f.svc.BreakGlass(ctx, f.otherAdvisor, f.person, "La personne est à l'accueil de l'agence."); err != nil {
			t.Fatal(err)
		}
		if b, err := f.svc.ReadPlan(ctx, f.otherAdvisor, f.person); err != nil || !b.Emergency || b.Current().Plan.Objectives != "PLAN-OBJECTIFS" {
			t.Fatalf("emergency read: %v", err)
		}
		if _, _, err := f.svc.SavePlan(ctx, f.otherAdvisor, f.person, f.plan("URGENCE")); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("emergency edit: %v", err)
		}
		// The PDF: text in French, the person's jobs and actions.
		pdf, name, err := f.svc.PlanPDF(ctx, f.personActor, f.person)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || name != "plan-accompagnement-v1.pdf" ||
			!bytes.Contains(pdf, []byte("Projet personnalis\xe9 d'acc\xe8s \xe0 l'emploi")) || !bytes.Contains(pdf, []byte("Aide-comptable")) ||
			!bytes.Contains(pdf, []byte("PLAN-ACTION")) {
			t.Fatalf("pdf %s: %v", name, err)
		}
		// Tagged: a title, headings, the identity as a table, actions as a list.
		tags, err := pdftag.Verify(pdf)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{"H1", "H2", "Table/TR/TH", "L/LI", "P"} {
			if !slices.Contains(tags.Roles, role) {
				t.Errorf("plan PDF without %s: %v", role, tags.Roles)
			}
		}
		if got := pdftagtest.Check(t, pdf); !strings.Contains(got.Text, "PLAN-ACTION") {
			t.Errorf("the plan's text is not extracted: %q", got.Text)
		}
		if _, _, err := f.svc.PlanPDF(ctx, f.capAdvisor, f.person); err != nil || f.count(t, "read.support.plan_pdf") != 5 { // four refusals, one read
			t.Fatalf("pdf read not audited: %v %d", err, f.count(t, "read.support.plan_pdf"))
		}
	})
}

// The person acknowledges the current version online; an advisor records an acknowledgement in
// person or on paper; a version is acknowledged once, and only the current one.
func TestPlanAcknowledgement(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		today := f.today()
		if err := f.svc.Acknowledge(ctx, f.personActor, f.person, 1, "", database.Date{}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("no plan yet: %v", err)
		}
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("PLAN")); err != nil {
			t.Fatal(err)
		}
		err := f.svc.Acknowledge(ctx, f.capAdvisor, f.person, 1, "online", today.AddDays(1))
		if fields := fault.FieldsOf(err); fields["ack_how"] == "" || fields["ack_on"] == "" {
			t.Fatalf("advisor online, in the future: %v", err)
		}
		if err := f.svc.Acknowledge(ctx, f.capAdvisor, f.person, 1, "paper", today); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Acknowledge(ctx, f.personActor, f.person, 1, "", database.Date{}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("twice: %v", err)
		}
		p := f.plan("PLAN")
		p.Hours = 35
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, p); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Acknowledge(ctx, f.personActor, f.person, 1, "", database.Date{}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("old version: %v", err)
		}
		if err := f.svc.Acknowledge(ctx, f.ftPlain, f.person, 2, "paper", today); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("without habilitation: %v", err)
		}
		if err := f.svc.Acknowledge(ctx, f.personActor, f.person, 2, "", database.Date{}); err != nil {
			t.Fatal(err)
		}
		b, err := f.svc.MyPlan(ctx, f.personActor)
		if err != nil || b.Versions[0].AckHow != "online" || b.Versions[0].AckOn != today || b.Versions[1].AckHow != "paper" ||
			b.Versions[1].AckLabel() != "Sur papier signé" {
			t.Fatalf("acknowledgements: %v %+v", err, b.Versions)
		}
		if f.count(t, "support.plan_acknowledged") != 2 {
			t.Fatal("acknowledgements audited")
		}
	})
}

// A restriction freezes the plan (the advisors see the history without the contents, the person
// sees everything); an ended support's plan is read-only.
func TestPlanRestrictedAndEnded(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("PLAN")); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Ask(ctx, f.personActor, support.RequestRestriction, "Je conteste."); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("AUTRE")); !errors.Is(err, fault.Conflict) {
			t.Fatalf("save while restricted: %v", err)
		}
		if err := f.svc.Acknowledge(ctx, f.personActor, f.person, 1, "", database.Date{}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("acknowledge while restricted: %v", err)
		}
		b, err := f.svc.ReadPlan(ctx, f.capAdvisor, f.person)
		if err != nil || !b.Withheld || len(b.Versions) != 1 || b.Versions[0].Plan.Objectives != "" || b.Editable() {
			t.Fatalf("advisor while restricted: %v %+v", err, b)
		}
		if _, _, err := f.svc.PlanPDF(ctx, f.capAdvisor, f.person); !errors.Is(err, fault.Conflict) {
			t.Fatalf("pdf while restricted: %v", err)
		}
		if b, err := f.svc.MyPlan(ctx, f.personActor); err != nil || b.Versions[0].Plan.Objectives != "PLAN-OBJECTIFS" {
			t.Fatalf("the person while restricted: %v", err)
		}
		r, err := f.svc.Mine(ctx, f.personActor)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Handle(ctx, f.capAdvisor, f.person, r.Requests[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Close(ctx, f.capAdvisor, f.person, "employment", f.today()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("APRES")); !errors.Is(err, fault.Conflict) {
			t.Fatalf("save after the end: %v", err)
		}
		if b, err := f.svc.ReadPlan(ctx, f.capAdvisor, f.person); err != nil || b.Editable() || b.Versions[0].Plan.Objectives != "PLAN-OBJECTIFS" {
			t.Fatalf("ended: %v", err)
		}
	})
}

// The daily job reminds the referent once per overdue item and due date, with a controllable
// clock; a second run sends nothing; the mail names no one; the caseload marks the person.
func TestPlanOverdueRemindersIdempotent(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		p := f.plan("PLAN")
		p.Actions = append(p.Actions, support.PlanAction{Type: "mobility", Description: "PLAN-FAITE", DueOn: f.today().AddDays(5), Status: "done", Owner: "advisor"})
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, p); err != nil {
			t.Fatal(err)
		}
		remind := func() support.RemindReport {
			t.Helper()
			rep, err := f.svc.RemindOverdue(ctx, "https://parcours.test")
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		overdue := func() bool {
			t.Helper()
			list, err := f.svc.Caseload(ctx, f.capAdvisor, access.PurposeSupportPlan)
			if err != nil || len(list) != 1 {
				t.Fatalf("caseload: %v %v", list, err)
			}
			return list[0].PlanOverdue
		}
		if rep := remind(); rep.Items != 0 || overdue() {
			t.Fatalf("nothing due yet: %+v", rep)
		}
		f.clock.Advance(11 * 24 * time.Hour) // the action is late, the done one is not
		if rep := remind(); rep.Items != 1 || rep.Mails != 1 || !overdue() {
			t.Fatalf("action late: %+v", rep)
		}
		if rep := remind(); rep.Items != 0 {
			t.Fatalf("second run: %+v", rep)
		}
		f.clock.Advance(10 * 24 * time.Hour) // the review is late too; concurrent runs remind it once
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := support.RemindReport{}
		for range 4 {
			wg.Go(func() {
				rep, err := f.svc.RemindOverdue(ctx, "https://parcours.test")
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total.Items, total.Mails = total.Items+rep.Items, total.Mails+rep.Mails
				mu.Unlock()
			})
		}
		wg.Wait()
		if total.Items != 1 || total.Mails != 1 {
			t.Fatalf("review late, concurrent runs: %+v", total)
		}
		// Saving the plan keeps what was reminded; a new due date may be reminded once more.
		b, err := f.svc.ReadPlan(ctx, f.capAdvisor, f.person)
		if err != nil {
			t.Fatal(err)
		}
		p = b.Current().Plan
		p.Salary = 1800
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, p); err != nil {
			t.Fatal(err)
		}
		if rep := remind(); rep.Items != 0 {
			t.Fatalf("after an unrelated change: %+v", rep)
		}
		p.Actions[0].DueOn = f.today().AddDays(1)
		p.Reviews[0].HeldOn, p.Reviews[0].Summary = f.today(), "PLAN-COMPTE-RENDU"
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, p); err != nil {
			t.Fatal(err)
		}
		if rep := remind(); rep.Items != 0 || overdue() {
			t.Fatalf("rescheduled and held: %+v", rep)
		}
		f.clock.Advance(2 * 24 * time.Hour)
		if rep := remind(); rep.Items != 1 {
			t.Fatalf("rescheduled and late again: %+v", rep)
		}
		mails, err := notify.Outbox{Envelope: f.env}.List(ctx, db.Reader(), 50)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range mails {
			if m.Kind != notify.KindSupportPlanOverdue {
				continue
			}
			n++
			if m.To != "cap@exemple.fr" || !strings.Contains(m.TextBody, "https://parcours.test/accompagnement") ||
				strings.Contains(m.TextBody, "PLAN-") || strings.Contains(m.TextBody, "Personne") || strings.Contains(m.Subject, "Personne") {
				t.Fatalf("mail: %+v", m)
			}
		}
		if n != 3 || f.count(t, "support.plan_reminded") != 3 {
			t.Fatalf("%d mails", n)
		}
		// The job runs the same and reports counts.
		res, err := f.svc.PlanReminderJob("https://parcours.test").Run(ctx)
		if err != nil || res["items"] != 0 {
			t.Fatalf("job: %v %v", res, err)
		}
	})
}

// The plan is part of the record: the erasure and the purge delete its versions and due dates,
// and the shredded key leaves a copy of a version unreadable.
func TestPlanErasedWithTheRecord(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		id := f.open(t, f.person, "SANTE")
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, f.plan("PLAN")); err != nil {
			t.Fatal(err)
		}
		var sealed []byte
		if err := db.Reader().QueryRowContext(ctx, `SELECT content FROM support_plan_versions WHERE record_id = $1`, id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("PLAN-OBJECTIFS")) || bytes.Contains(sealed, []byte("Aide-comptable")) {
			t.Fatal("the plan is stored in clear")
		}
		if err := f.svc.Erase(ctx, db.Writer(), f.person); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM support_plan_versions) + (SELECT COUNT(*) FROM support_plan_due)`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d rows left (%v)", n, err)
		}
		if _, err := f.env.Open(ctx, db.Reader(), "support:"+id.String(), support.PlanBindingForTest(id, 1), sealed); err == nil {
			t.Fatal("a copy of the plan opens after the key was shredded")
		}
		// The daily purge deletes them as well.
		other, _ := f.newPerson(t, f.capAdvisor, "autre@exemple.fr")
		in := f.input("AUTRE")
		in.DeregisteredOn = f.today().AddDays(-1)
		if _, err := f.svc.Open(ctx, f.capAdvisor, other, in, f.ftOrg.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, other, f.plan("AUTRE")); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(200 * 24 * time.Hour)
		if rep, err := f.svc.Purge(ctx); err != nil || rep.Purged != 1 {
			t.Fatalf("purge: %+v %v", rep, err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM support_plan_versions) + (SELECT COUNT(*) FROM support_plan_due)`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d rows left after the purge (%v)", n, err)
		}
	})
}

// The plan is in no raw scan of the database, and a version's content moved to another
// record's row does not open.
func TestPlanSealedInTheRawDatabase(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db, url := databasetest.Open(t, engine)
			f := newFixture(t, db)
			ctx := context.Background()
			other, _ := f.newPerson(t, f.capAdvisor, "autre@exemple.fr")
			a := f.open(t, f.person, "SANTE-UN")
			b := f.open(t, other, "SANTE-DEUX")
			for person, canary := range map[uuid.UUID]string{f.person: "PLAN-UN", other: "PLAN-DEUX"} {
				p := f.plan(canary)
				p.Reviews[0].PlannedOn = f.today().AddDays(-1)
				p.Reviews[0].HeldOn, p.Reviews[0].Summary = f.today(), canary+"-COMPTE-RENDU"
				if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, person, p); err != nil {
					t.Fatal(err)
				}
			}
			raw := databasetest.RawContent(t, url)
			for _, canary := range []string{"PLAN-UN", "PLAN-DEUX", "COMPTE-RENDU", "OBJECTIFS"} {
				if bytes.Contains(raw, []byte(canary)) {
					t.Fatalf("the raw database holds %q in clear", canary)
				}
			}
			var ca, cb []byte
			for id, dst := range map[uuid.UUID]*[]byte{a: &ca, b: &cb} {
				if err := db.Reader().QueryRowContext(ctx, `SELECT content FROM support_plan_versions WHERE record_id = $1 AND version = 1`, id).Scan(dst); err != nil {
					t.Fatal(err)
				}
			}
			for id, v := range map[uuid.UUID][]byte{a: cb, b: ca} {
				if _, err := db.Writer().ExecContext(ctx, `UPDATE support_plan_versions SET content = $2 WHERE record_id = $1 AND version = 1`, id, v); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []uuid.UUID{f.person, other} {
				if _, err := f.svc.ReadPlan(ctx, f.capAdvisor, p); !errors.Is(err, crypto.ErrUndecryptable) {
					t.Fatalf("swapped plan opened: %v", err)
				}
			}
		})
	}
}

// Property, on both engines, with a controllable clock: whatever the plan's due dates and
// statuses and however the days pass, each run reminds exactly the items overdue and not yet
// reminded for that due date, and a second run the same day reminds nothing.
func TestPlanRemindersProperty(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "SANTE")
		rapid.Check(t, func(rt *rapid.T) {
			today := f.today()
			p := support.Plan{}
			type item struct {
				due     database.Date
				settled bool
			}
			items := map[string]item{}
			for range rapid.IntRange(1, 4).Draw(rt, "actions") {
				a := support.PlanAction{ID: uuid.NewString(), Type: "other", Description: "Action", DueOn: today.AddDays(rapid.IntRange(-5, 15).Draw(rt, "due")),
					Status: rapid.SampledFrom([]string{"planned", "in_progress", "done", "abandoned"}).Draw(rt, "status"), Owner: "person"}
				p.Actions = append(p.Actions, a)
				items[a.ID] = item{a.DueOn, a.Settled()}
			}
			for range rapid.IntRange(0, 2).Draw(rt, "reviews") {
				r := support.PlanReview{ID: uuid.NewString(), PlannedOn: today.AddDays(rapid.IntRange(-5, 15).Draw(rt, "planned"))}
				if rapid.Bool().Draw(rt, "held") {
					r.HeldOn = today
				}
				p.Reviews = append(p.Reviews, r)
				items[r.ID] = item{r.PlannedOn, !r.HeldOn.IsZero()}
			}
			if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, f.person, p); err != nil {
				rt.Fatal(err)
			}
			reminded := map[string]bool{}
			for range rapid.IntRange(1, 3).Draw(rt, "days") {
				f.clock.Advance(time.Duration(rapid.IntRange(0, 7).Draw(rt, "advance")) * 24 * time.Hour)
				now := f.today()
				want := 0
				for id, it := range items {
					if !it.settled && it.due.Before(now) && !reminded[id] {
						reminded[id] = true
						want++
					}
				}
				rep, err := f.svc.RemindOverdue(ctx, "https://parcours.test")
				if err != nil || rep.Items != want || rep.Mails != want {
					rt.Fatalf("day %s: %+v, want %d (%v)", now, rep, want, err)
				}
				if rep, err := f.svc.RemindOverdue(ctx, "https://parcours.test"); err != nil || rep.Items != 0 {
					rt.Fatalf("second run: %+v %v", rep, err)
				}
			}
		})
	})
}
