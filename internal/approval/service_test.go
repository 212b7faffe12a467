package approval_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/offer"
)

// An SIAE hires an eligible person: the PASS is issued in the hire's transaction, numbered
// 99999 and a sequence, 730 days from the hiring start; a person not eligible is refused.
func TestIssueOnHire(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindACI, "aci@exemple.fr")
		person := f.person(t, emp, true)
		app := f.applyTo(t, emp, person.ID, st, jd)
		start := f.Today().AddDays(7)
		err := f.accept(emp, app, offer.KindACI, start)
		if msg := fault.FieldsOf(err)[""]; !strings.Contains(msg, "n'est pas éligible") {
			t.Fatalf("a person without diagnosis is hired: %v", err)
		}
		f.diagnose(t, emp, person.ID)
		if err := f.accept(emp, app, offer.KindACI, start); err != nil {
			t.Fatal(err)
		}
		p := f.only(t, emp, person.ID)
		if p.Number != "999990000001" || p.Start != start || p.End != approval.DefaultEnd(start) || p.State() != approval.Future || !p.Manage {
			t.Errorf("PASS %+v", p)
		}
		// The diagnosis is kept valid by the PASS, past its 92 days.
		f.advance(200)
		st2, err := f.Eligibility.Status(ctx, emp, person.ID, st.ID, access.PurposeIAEFollowUp)
		if err != nil || !st2.Eligible || !st2.Applied.KeptByPASS {
			t.Errorf("the PASS keeps its diagnosis: %+v %v", st2.Applied, err)
		}
		// The holder reads it; another structure without relation does not.
		_, other, _ := f.Structure(t, offer.KindEI, "ei@exemple.fr")
		if _, err := f.svc.ForPerson(ctx, other, person.ID, access.PurposeIAEFollowUp); !errors.Is(err, fault.Forbidden) {
			t.Errorf("another structure reads the PASS: %v", err)
		}
		list, err := f.svc.ForStructure(ctx, emp, approval.Filter{})
		if err != nil || len(list) != 1 || list[0].State() != approval.Valid || list[0].Left() != 730-193 {
			t.Errorf("structure list: %d %v", len(list), err)
		}
	})
}

// A cancelled hire takes its PASS with it; the number is never handed out again.
func TestCancelledHire(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindACI, "aci@exemple.fr")
		first := f.person(t, emp, true)
		app := f.applyTo(t, emp, first.ID, st, jd)
		f.diagnose(t, emp, first.ID)
		if err := f.accept(emp, app, offer.KindACI, f.Today().AddDays(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Apps.Decide(ctx, emp, app, application.CancelHire, application.Decision{}); err != nil {
			t.Fatal(err)
		}
		if all, err := f.svc.ForPerson(ctx, emp, first.ID, access.PurposeIAEFollowUp); err != nil || len(all) != 0 {
			t.Fatalf("the PASS outlived its hire: %d %v", len(all), err)
		}
		second := f.person(t, emp, true)
		app2 := f.applyTo(t, emp, second.ID, st, jd)
		f.diagnose(t, emp, second.ID)
		if err := f.accept(emp, app2, offer.KindACI, f.Today()); err != nil {
			t.Fatal(err)
		}
		if p := f.only(t, emp, second.ID); p.Number != "999990000002" {
			t.Errorf("number %s: a cancelled number was handed out again", p.Number)
		}
	})
}

// Without NIR, France Travail identifier or declaration, the hire waits for staff.
func TestManualDelivery(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindAI, "ai@exemple.fr")
		person := f.person(t, emp, false)
		app := f.applyTo(t, emp, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		if err := f.accept(emp, app, offer.KindAI, f.Today()); err != nil {
			t.Fatal(err)
		}
		if all, _ := f.svc.ForPerson(ctx, emp, person.ID, access.PurposeIAEFollowUp); len(all) != 0 {
			t.Fatalf("a PASS was issued without identifier")
		}
		if _, err := f.svc.Deliveries(ctx, emp); !errors.Is(err, fault.Forbidden) {
			t.Errorf("an employer reads the queue: %v", err)
		}
		queue, err := f.svc.Deliveries(ctx, f.Staff)
		if err != nil || len(queue) != 1 || queue[0].ApplicationID != app {
			t.Fatalf("queue %+v %v", queue, err)
		}
		if _, err := f.svc.Deliver(ctx, f.Staff, queue[0].ID); err != nil {
			t.Fatal(err)
		}
		if p := f.only(t, emp, person.ID); p.Start != f.Today() || p.Number != "999990000001" {
			t.Errorf("delivered %+v", p)
		}
		if queue, _ := f.svc.Deliveries(ctx, f.Staff); len(queue) != 0 {
			t.Errorf("still queued")
		}
	})
}

// Suspension, direct prolongation, prolongation requested from an authorised prescriber and
// granted, reminders, interruption refused before 12 months, and a new hire ending a suspension.
func TestLifecycle(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindAI, "ai@exemple.fr")
		presc := f.prescriber(t, "cd@exemple.fr")
		person := f.person(t, presc, true)
		app := f.applyTo(t, presc, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		start := f.Today()
		if err := f.accept(emp, app, offer.KindAI, start); err != nil {
			t.Fatal(err)
		}
		id := f.only(t, emp, person.ID).ID
		f.advance(100)
		err := f.svc.Suspend(ctx, emp, id, approval.SuspensionInput{Start: f.Today().AddDays(1), Reason: approval.BrokenContract})
		if fault.FieldsOf(err)["start"] == "" {
			t.Errorf("a suspension in the future: %v", err)
		}
		if err := f.svc.Suspend(ctx, presc, id, approval.SuspensionInput{Start: f.Today(), End: f.Today().AddDays(29), Reason: approval.BrokenContract}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("a prescriber suspends: %v", err)
		}
		if err := f.svc.Suspend(ctx, emp, id, approval.SuspensionInput{Start: f.Today().AddDays(-10), End: f.Today().AddDays(19), Reason: approval.BrokenContract}); err != nil {
			t.Fatal(err)
		}
		p := f.only(t, emp, person.ID)
		if p.State() != approval.Suspended || p.End != approval.DefaultEnd(start).AddDays(30) {
			t.Fatalf("suspended %s until %s", p.State(), p.End)
		}
		if err := f.svc.Interrupt(ctx, emp, id, approval.InterruptLongSuspend); fault.FieldsOf(err)[""] == "" {
			t.Errorf("interrupted after 10 days of suspension: %v", err)
		}
		// Inside the window (12 months before the end), a direct prolongation for a training.
		f.advance(400)
		end := p.End
		if _, err := f.svc.Prolong(ctx, emp, id, approval.ProlongInput{ProlongationInput: approval.ProlongationInput{Reason: approval.CompleteTraining,
			End: end.AddDays(60)}}); err != nil {
			t.Fatal(err)
		}
		if p = f.only(t, emp, person.ID); p.End != end.AddDays(60) || len(p.Prolongations) != 1 {
			t.Fatalf("prolonged to %s", p.End)
		}
		// RQTH in an AI: a report is required, and the prescriber asked decides.
		in := approval.ProlongInput{ProlongationInput: approval.ProlongationInput{Reason: approval.RQTH, End: p.End.AddDays(200)}, Prescriber: presc.OrgID}
		if _, err := f.svc.Prolong(ctx, emp, id, in); fault.FieldsOf(err)["report"] == "" {
			t.Errorf("no report: %v", err)
		}
		up, err := f.Files.Accept(ctx, emp, bytes.NewReader([]byte("%PDF-1.4\n%%EOF\n")), "bilan.pdf", approval.ReportRules())
		if err != nil {
			t.Fatal(err)
		}
		in.ReportUpload = &up
		req, err := f.svc.Prolong(ctx, emp, id, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Prolong(ctx, emp, id, in); fault.FieldsOf(err)[""] == "" {
			t.Errorf("a second pending request: %v", err)
		}
		if mails := mailsTo(t, f, "cd@exemple.fr"); len(mails) != 1 || !strings.Contains(mails[0].Subject, "prolongation") {
			t.Errorf("the prescriber is told: %d mails", len(mails))
		}
		// Reminders at 10, 20 and 30 days, then none.
		for i, days := range []int{9, 1, 10, 10, 10} {
			f.advance(days)
			n, err := f.svc.Remind(ctx)
			if want := []int{0, 1, 1, 1, 0}[i]; err != nil || n != want {
				t.Errorf("reminders after step %d: %d %v, want %d", i, n, err, want)
			}
		}
		if _, err := f.svc.Request(ctx, emp, req); !errors.Is(err, fault.Forbidden) {
			t.Errorf("the structure reads the request as decider: %v", err)
		}
		if err := f.svc.Decide(ctx, presc, req, false, ""); fault.FieldsOf(err)["deny_reason"] == "" {
			t.Errorf("a denial without reason: %v", err)
		}
		rv, err := f.svc.Request(ctx, presc, req)
		if err != nil || rv.State != approval.RequestPending || rv.PASS.ID != id {
			t.Fatalf("request %+v %v", rv.Request, err)
		}
		before := f.only(t, emp, person.ID).End
		if err := f.svc.Decide(ctx, presc, req, true, ""); err != nil {
			t.Fatal(err)
		}
		p = f.only(t, emp, person.ID)
		if p.End != before.AddDays(200) || len(p.Prolongations) != 2 || p.Prolongations[1].ValidatedBy != presc.OrgID {
			t.Errorf("granted: end %s, want %s", p.End, before.AddDays(200))
		}
		if err := f.svc.Decide(ctx, presc, req, true, ""); !errors.Is(err, fault.Conflict) {
			t.Errorf("decided twice: %v", err)
		}
		// A new hire in another structure while suspended ends the suspension the day before.
		if err := f.svc.Suspend(ctx, emp, id, approval.SuspensionInput{Start: f.Today(), Reason: approval.FinishedContract}); err != nil {
			t.Fatal(err)
		}
		st2, emp2, jd2 := f.Structure(t, offer.KindEI, "ei@exemple.fr")
		app2 := f.applyTo(t, presc, person.ID, st2, jd2)
		hire := f.Today().AddDays(5)
		if err := f.accept(emp2, app2, offer.KindEI, hire); err != nil {
			t.Fatal(err)
		}
		p = f.only(t, emp2, person.ID)
		last := p.Suspensions[len(p.Suspensions)-1]
		if last.End != hire.AddDays(-1) || !last.EndedByHire || p.OrgID != st2.ID || !p.Manage || p.End != p.ComputeEnd() {
			t.Errorf("after the new hire: %+v manage=%v", last, p.Manage)
		}
		if v := f.only(t, emp, person.ID); v.Manage {
			t.Errorf("the former structure still manages the PASS")
		}
	})
}

// After a PASS expires, a new hire waits two years unless an authorised prescriber diagnoses.
func TestWaitingPeriod(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindACI, "aci@exemple.fr")
		presc := f.prescriber(t, "cd@exemple.fr")
		person := f.person(t, presc, true)
		app := f.applyTo(t, presc, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		if err := f.accept(emp, app, offer.KindACI, f.Today()); err != nil {
			t.Fatal(err)
		}
		f.advance(800) // expired
		app2 := f.applyTo(t, emp, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		err := f.accept(emp, app2, offer.KindACI, f.Today())
		if msg := fault.FieldsOf(err)[""]; !strings.Contains(msg, "Délai de carence") {
			t.Fatalf("rehired during the waiting period: %v", err)
		}
		f.diagnose(t, presc, person.ID)
		if err := f.accept(emp, app2, offer.KindACI, f.Today()); err != nil {
			t.Fatalf("an authorised prescriber's diagnosis lifts the waiting period: %v", err)
		}
		all, err := f.svc.ForPerson(context.Background(), emp, person.ID, access.PurposeIAEFollowUp)
		if err != nil || len(all) != 2 || all[0].Number != "999990000002" || all[1].State() != approval.Expired {
			t.Errorf("PASS %d %v", len(all), err)
		}
	})
}

// 50 hires accepted at once get 50 distinct, consecutive numbers, on both engines.
func TestConcurrentNumbers(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindEI, "ei@exemple.fr")
		const n = 50
		apps := make([]uuid.UUID, n)
		people := make([]uuid.UUID, n)
		for i := range n {
			p := f.person(t, emp, true)
			people[i] = p.ID
			apps[i] = f.applyTo(t, emp, p.ID, st, jd)
			f.diagnose(t, emp, p.ID)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = f.accept(emp, apps[i], offer.KindEI, f.Today()) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ForStructure(ctx, emp, approval.Filter{})
		if err != nil || len(list) != n {
			t.Fatalf("%d PASS, %v", len(list), err)
		}
		var numbers []string
		for _, p := range list {
			numbers = append(numbers, p.Number)
		}
		slices.Sort(numbers)
		for i, got := range numbers {
			if want := approval.Number(int64(i + 1)); got != want {
				t.Fatalf("numbers %v: #%d is %s, want %s", numbers, i, got, want)
			}
		}
	})
}

// The public verification answers a number and the holder's birth date, and nothing for a
// wrong birth date, exactly as for an unknown number.
func TestVerify(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindACI, "aci@exemple.fr")
		person := f.person(t, emp, true)
		app := f.applyTo(t, emp, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		if err := f.accept(emp, app, offer.KindACI, f.Today()); err != nil {
			t.Fatal(err)
		}
		p := f.only(t, emp, person.ID)
		v, err := f.svc.Verify(ctx, "99999 00 00001", person.BirthDate, "192.0.2.1")
		if err != nil || !v.Found || v.State != approval.Valid || v.Until != p.End {
			t.Errorf("verification %+v %v", v, err)
		}
		wrong, err := f.svc.Verify(ctx, p.Number, person.BirthDate.AddDays(1), "192.0.2.1")
		unknown, err2 := f.svc.Verify(ctx, "999990000999", person.BirthDate, "192.0.2.1")
		if err != nil || err2 != nil || wrong != unknown || wrong.Found {
			t.Errorf("wrong birth date %+v, unknown number %+v", wrong, unknown)
		}
	})
}

func mailsTo(t *testing.T, f *fixture, to string) []notify.Mail {
	t.Helper()
	all, err := notify.Outbox{Envelope: f.Env}.List(context.Background(), f.DB.Reader(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Mail
	for _, m := range all {
		if m.To == to && m.Kind == notify.KindProlongationRequest {
			out = append(out, m)
		}
	}
	return out
}
