package application_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/offer"
)

func kinds(ms []notify.Mail, k notify.Kind) []notify.Mail {
	var out []notify.Mail
	for _, m := range ms {
		if m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

// A batch refusal moves what it can, skips what it cannot with the reason, and sends each
// sender one message about all of theirs; an incomplete refusal moves nothing.
func TestBatchActions(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		_, otherEmp, _ := f.Structure(t, offer.KindEI, "emp@ei.fr")
		presc := f.prescriber(t, "sophie@ccas.fr")
		var ids []uuid.UUID
		for i, name := range []string{"Léa", "Karim", "Inès"} {
			p := f.Person(t, presc, name, "Durand", strings.ToLower(name)+"@exemple.fr")
			a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
			_ = i
		}
		// The structure's member was told of each application; the prescriber sent them.
		if got := len(kinds(f.mailsTo(t, "emp@aci.fr"), notify.KindApplicationReceived)); got != 3 {
			t.Fatalf("structure told of %d applications, want 3", got)
		}
		if got := len(kinds(f.mailsTo(t, "sophie@ccas.fr"), notify.KindApplicationReceived)); got != 0 {
			t.Fatalf("sender told of their own application %d times", got)
		}
		// One is already refused: the batch skips it.
		if _, err := f.svc.Decide(ctx, emp, ids[2], application.Refuse, application.Decision{Reason: application.ReasonDuplicate, Answer: "Doublon."}); err != nil {
			t.Fatal(err)
		}
		before := len(f.mailsTo(t, "sophie@ccas.fr"))

		// An incomplete refusal moves none.
		if _, err := f.svc.DecideMany(ctx, emp, ids, application.Refuse, application.Decision{Reason: application.ReasonNoPosition}); fault.FieldsOf(err)["answer"] == "" {
			t.Fatalf("refusal without a message: %v", err)
		}
		if d, _ := f.svc.Get(ctx, emp, ids[0], access.PurposeIAERecruitment); d.State != application.New {
			t.Fatalf("an invalid batch moved %s", d.State)
		}
		// Another structure's member moves none of them, and learns nothing of them.
		b, err := f.svc.DecideMany(ctx, otherEmp, ids, application.Process, application.Decision{})
		if err != nil || len(b.Done) != 0 || len(b.Skipped) != 3 || !strings.Contains(b.Skipped[0].Reason, "introuvable") {
			t.Fatalf("other structure's batch: %+v %v", b, err)
		}

		b, err = f.svc.DecideMany(ctx, emp, append(ids, ids[0]), application.Refuse, application.Decision{Reason: application.ReasonNoPosition,
			Answer: "Plus de poste cette saison.", AnswerToSender: "Au printemps."})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Done) != 2 || len(b.Skipped) != 1 || b.Skipped[0].ID != ids[2] || !strings.Contains(b.Skipped[0].Reason, "Déclinée") {
			t.Fatalf("batch: %+v", b)
		}
		for _, id := range ids[:2] {
			d, err := f.svc.Get(ctx, emp, id, access.PurposeIAERecruitment)
			if err != nil || d.State != application.Refused || d.History[len(d.History)-1].Transition != application.Refuse {
				t.Fatalf("after the batch: %+v %v", d.State, err)
			}
		}
		mails := f.mailsTo(t, "sophie@ccas.fr")
		if len(mails) != before+1 {
			t.Fatalf("the prescriber got %d messages for the batch, want one", len(mails)-before)
		}
		m := mails[0]
		if !strings.Contains(m.Subject, "2 candidatures") || !strings.Contains(m.TextBody, "Candidature de Léa D.") ||
			!strings.Contains(m.TextBody, "Candidature de Karim D.") || !strings.Contains(m.TextBody, "Au printemps.") {
			t.Fatalf("grouped message: %s\n%s", m.Subject, m.TextBody)
		}
		if m := kinds(f.mailsTo(t, "karim@exemple.fr"), notify.KindApplicationUpdate); len(m) != 1 || !strings.Contains(m[0].TextBody, "Plus de poste cette saison.") {
			t.Fatalf("person's message: %+v", m)
		}
		if _, err := f.svc.DecideMany(ctx, emp, ids, application.Accept, application.Decision{}); !errors.Is(err, fault.Invalid) {
			t.Fatalf("a hire in a batch: %v", err)
		}

		// Archive: only the answered ones; archived ones leave the list, and come back.
		p := f.Person(t, presc, "Noé", "Martin", "")
		pending, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
		if err != nil {
			t.Fatal(err)
		}
		b, err = f.svc.Archive(ctx, emp, []uuid.UUID{ids[0], ids[1], pending.ID}, true)
		if err != nil || len(b.Done) != 2 || len(b.Skipped) != 1 || b.Skipped[0].ID != pending.ID {
			t.Fatalf("archive: %+v %v", b, err)
		}
		if b, err := f.svc.Archive(ctx, otherEmp, []uuid.UUID{ids[2]}, true); err != nil || len(b.Done) != 0 {
			t.Fatalf("another structure archived: %+v %v", b, err)
		}
		rows, _, err := f.svc.Received(ctx, emp, application.Filter{})
		if err != nil || len(rows) != 2 {
			t.Fatalf("list without the archived: %d %v", len(rows), err)
		}
		archived, _, _ := f.svc.Received(ctx, emp, application.Filter{Archived: true})
		if len(archived) != 2 {
			t.Fatalf("archived list: %d", len(archived))
		}
		if b, err := f.svc.Archive(ctx, emp, []uuid.UUID{ids[0]}, false); err != nil || len(b.Done) != 1 {
			t.Fatalf("unarchive: %+v %v", b, err)
		}
		if rows, _, _ := f.svc.Received(ctx, emp, application.Filter{}); len(rows) != 3 {
			t.Fatalf("after unarchiving: %d", len(rows))
		}
	})
}

// A GEIQ records actions before hiring: the first one moves the application, removing the
// last one moves it back; an SIAE cannot.
func TestPriorActionsOfAGEIQ(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		geiq, emp, job := f.Structure(t, offer.KindGEIQ, "emp@geiq.fr")
		aci, aciEmp, aciJob := f.Structure(t, offer.KindACI, "emp@aci.fr")
		presc := f.prescriber(t, "sophie@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "lea@exemple.fr")
		a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: geiq.ID, JobDescriptions: []uuid.UUID{job.ID}})
		if err != nil {
			t.Fatal(err)
		}
		today := database.DateOf(f.Clock.Now())
		if _, err := f.svc.AddPriorAction(ctx, emp, a.ID, application.PriorAction{Kind: "x", Start: today, End: today.AddDays(-1)}); fault.FieldsOf(err)["prior_kind"] == "" ||
			fault.FieldsOf(err)["prior_end"] == "" {
			t.Fatalf("invalid prior action: %v", err)
		}
		if _, err := f.svc.AddPriorAction(ctx, presc, a.ID, application.PriorAction{Kind: application.PriorPMSMP, Start: today, End: today.AddDays(10)}); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("the sender added a prior action: %v", err)
		}
		first, err := f.svc.AddPriorAction(ctx, emp, a.ID, application.PriorAction{Kind: application.PriorPMSMP, Start: today, End: today.AddDays(10)})
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.AddPriorAction(ctx, emp, a.ID, application.PriorAction{Kind: application.PriorPOE, Start: today.AddDays(11), End: today.AddDays(40)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.svc.Get(ctx, emp, a.ID, access.PurposeIAERecruitment)
		if err != nil || d.State != application.PriorToHire || len(d.PriorActions) != 2 || d.PriorActions[0].Kind != application.PriorPMSMP {
			t.Fatalf("after two prior actions: %s %+v %v", d.State, d.PriorActions, err)
		}
		if b, err := f.svc.Archive(ctx, emp, []uuid.UUID{a.ID}, true); err != nil || len(b.Skipped) != 1 {
			t.Fatalf("archived before a hire: %+v %v", b, err)
		}
		if err := f.svc.DeletePriorAction(ctx, presc, a.ID, first.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("the sender deleted a prior action: %v", err)
		}
		if err := f.svc.DeletePriorAction(ctx, emp, a.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		if d, _ := f.svc.Get(ctx, emp, a.ID, access.PurposeIAERecruitment); d.State != application.PriorToHire {
			t.Fatalf("one left: %s", d.State)
		}
		if err := f.svc.DeletePriorAction(ctx, emp, a.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		d, _ = f.svc.Get(ctx, emp, a.ID, access.PurposeIAERecruitment)
		var moves []string
		for _, m := range d.History {
			moves = append(moves, string(m.Transition))
		}
		if d.State != application.Processing || strings.Join(moves, " ") != "send move_to_prior_to_hire cancel_prior_to_hire" {
			t.Fatalf("after the last one: %s %v", d.State, moves)
		}
		// An ACI has no prior actions.
		b, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{aciJob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddPriorAction(ctx, aciEmp, b.ID, application.PriorAction{Kind: application.PriorPMSMP, Start: today, End: today}); !errors.Is(err, fault.Conflict) {
			t.Fatalf("an ACI added a prior action: %v", err)
		}
	})
}

// Each professional chooses, per organisation, which notices they receive.
func TestNotificationSettings(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		colleague := f.Professional(t, "collegue@aci.fr", aci.ID)
		presc := f.prescriber(t, "sophie@ccas.fr")

		settings, err := f.Orgs.Notifications(ctx, emp)
		if err != nil || len(settings) != 1 || !settings[0].On[notify.KindApplicationReceived] {
			t.Fatalf("default settings: %+v %v", settings, err)
		}
		if err := f.Orgs.SetNotifications(ctx, emp, aci.ID, []notify.Kind{notify.KindSpontaneousClosed}); err != nil {
			t.Fatal(err)
		}
		if err := f.Orgs.SetNotifications(ctx, presc, presc.OrgID, nil); err != nil {
			t.Fatal(err)
		}
		// Not one's organisation.
		if err := f.Orgs.SetNotifications(ctx, presc, aci.ID, nil); !errors.Is(err, fault.NotFound) {
			t.Fatalf("settings for someone else's organisation: %v", err)
		}
		settings, _ = f.Orgs.Notifications(ctx, emp)
		if settings[0].On[notify.KindApplicationReceived] || !settings[0].On[notify.KindSpontaneousClosed] {
			t.Fatalf("saved settings: %+v", settings[0].On)
		}

		p := f.Person(t, presc, "Léa", "Durand", "lea@exemple.fr")
		a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(kinds(f.mailsTo(t, "emp@aci.fr"), notify.KindApplicationReceived)); n != 0 {
			t.Fatalf("switched off, yet %d notices", n)
		}
		if n := len(kinds(f.mailsTo(t, "collegue@aci.fr"), notify.KindApplicationReceived)); n != 1 {
			t.Fatalf("the colleague got %d notices, want 1", n)
		}
		if _, err := f.svc.Decide(ctx, colleague, a.ID, application.Refuse, application.Decision{Reason: application.ReasonNoPosition, Answer: "Non."}); err != nil {
			t.Fatal(err)
		}
		if n := len(kinds(f.mailsTo(t, "sophie@ccas.fr"), notify.KindApplicationUpdate)); n != 0 {
			t.Fatalf("the prescriber switched answers off, yet got %d", n)
		}
		// The person is always told.
		if n := len(kinds(f.mailsTo(t, "lea@exemple.fr"), notify.KindApplicationUpdate)); n != 1 {
			t.Fatalf("the person got %d messages", n)
		}
	})
}
