package application_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/notify"
	"parcours/internal/offer"
)

func TestUntouchedApplicationsAreRefusedThenArchived(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		ei, eiEmp, eiJob := f.Structure(t, offer.KindEI, "emp@ei.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		p := f.Person(t, presc, "Léa", "Durand", "lea@exemple.fr")
		// Sent on 4 December at 10:00 in Paris, to two structures; a third one is answered.
		untouched, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
		if err != nil {
			t.Fatal(err)
		}
		processing, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p.ID, StructureID: ei.ID, JobDescriptions: []uuid.UUID{eiJob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Decide(ctx, eiEmp, processing.ID, application.Process, application.Decision{}); err != nil {
			t.Fatal(err)
		}
		third, _, thirdJob := f.Structure(t, offer.KindAI, "emp@ai.fr")
		pooled, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: f.Person(t, presc, "Max", "Roux", "").ID, StructureID: third.ID,
			JobDescriptions: []uuid.UUID{thirdJob.ID}})
		if err != nil {
			t.Fatal(err)
		}
		_ = emp
		run := func() int {
			res, err := f.svc.RefuseUntouched(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res["refused"]
		}
		// Day 59 (1 February): nothing yet. Day 60 (2 February), just after midnight in Paris: both.
		f.Clock.Set(time.Date(2027, 2, 1, 22, 59, 0, 0, time.UTC))
		if n := run(); n != 0 {
			t.Fatalf("refused %d on day 59", n)
		}
		f.Clock.Set(time.Date(2027, 2, 1, 23, 0, 0, 0, time.UTC))
		if n := run(); n != 3 {
			t.Fatalf("refused %d on day 60, want 3", n)
		}
		if n := run(); n != 0 {
			t.Fatalf("second run refused %d", n)
		}
		d, err := f.svc.Get(ctx, presc, untouched.ID, access.PurposeIAERecruitment)
		if err != nil || d.State != application.Refused || d.RefusalReason != application.ReasonAuto {
			t.Fatalf("refused: %+v %v", d.Application, err)
		}
		if last := d.History[len(d.History)-1]; last.UserID != uuid.Nil || last.Transition != application.Refuse {
			t.Fatalf("the platform's move: %+v", last)
		}
		// One mail for Léa's two applications.
		var mails []notify.Mail
		for _, m := range f.mailsTo(t, "lea@exemple.fr") {
			if m.Kind == notify.KindApplicationUpdate {
				mails = append(mails, m)
			}
		}
		if len(mails) != 1 || !strings.Contains(mails[0].Subject, "2 structures") || !strings.Contains(mails[0].TextBody, "sont closes") {
			t.Fatalf("person told: %d mails %+v", len(mails), mails)
		}
		_ = pooled

		// Archiving: 180 days after the last change (the refusal, on 2 February).
		archive := func() int {
			res, err := f.svc.ArchiveUntouched(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res["archived"]
		}
		f.Clock.Set(time.Date(2027, 7, 31, 21, 59, 0, 0, time.UTC)) // 31 July 23:59 Paris: day 179
		if n := archive(); n != 0 {
			t.Fatalf("archived %d on day 179", n)
		}
		f.Clock.Set(time.Date(2027, 7, 31, 22, 0, 0, 0, time.UTC)) // 1 August 00:00 Paris: day 180
		if n := archive(); n != 3 {
			t.Fatalf("archived %d on day 180, want 3", n)
		}
		if rows, _, _ := f.svc.Sent(ctx, presc, application.Filter{}); len(rows) != 0 {
			t.Fatalf("archived ones still listed: %+v", rows)
		}
		if rows, _, _ := f.svc.Sent(ctx, presc, application.Filter{Archived: true}); len(rows) != 3 {
			t.Fatalf("archived list: %+v", rows)
		}
	})
}

// "Sans solution": a first application more than 30 days ago, none accepted in 6 months.
func TestStalledPeopleAreFlagged(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		aci, emp, job := f.Structure(t, offer.KindACI, "emp@aci.fr")
		presc := f.prescriber(t, "p@ccas.fr")
		waiting := f.Person(t, presc, "Léa", "Attente", "")
		hired := f.Person(t, presc, "Max", "Embauche", "")
		var hiredApp uuid.UUID
		for _, p := range []uuid.UUID{waiting.ID, hired.ID} {
			a, err := f.svc.Send(ctx, presc, application.SendInput{JobSeekerID: p, StructureID: aci.ID, JobDescriptions: []uuid.UUID{job.ID}})
			if err != nil {
				t.Fatal(err)
			}
			hiredApp = a.ID
		}
		stalled := func() map[uuid.UUID]bool {
			list, err := f.People.Followed(ctx, presc, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			out := map[uuid.UUID]bool{}
			for _, s := range list {
				out[s.ID] = s.Stalled
			}
			return out
		}
		f.Clock.Advance(29 * 24 * time.Hour)
		if s := stalled(); s[waiting.ID] || s[hired.ID] {
			t.Fatalf("flagged before 30 days: %v", s)
		}
		if _, err := f.svc.Decide(ctx, emp, hiredApp, application.Accept, application.Decision{Hire: f.hire(offer.KindACI)}); err != nil {
			t.Fatal(err)
		}
		f.Clock.Advance(2 * 24 * time.Hour)
		if s := stalled(); !s[waiting.ID] || s[hired.ID] {
			t.Fatalf("after 31 days: %v (want only the one without a hire)", s)
		}
		only, err := f.People.FollowedStalled(ctx, presc, "", 50)
		if err != nil || len(only) != 1 || only[0].ID != waiting.ID {
			t.Fatalf("filter: %+v %v", only, err)
		}
		// Six months without any application: no longer "sans solution" (nothing in the window).
		f.Clock.Advance(200 * 24 * time.Hour)
		if s := stalled(); s[waiting.ID] {
			t.Fatal("still flagged with no application in six months")
		}
	})
}
