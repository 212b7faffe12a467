package offer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/jobs"
	"parcours/internal/notify"
	"parcours/internal/offer"
)

// onDay sets the clock to 07:00 in Paris, n days after start's Paris date (when the daily jobs
// run).
func (f *fixture) onDay(n int) {
	f.clock.Set(time.Date(2026, 1, 12+n, 6, 0, 0, 0, time.UTC))
}

func run(t *testing.T, job jobs.Job) jobs.Result {
	t.Helper()
	r, err := job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStaleJobDescriptionsAtDayBoundaries(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "EI", "59350", date("2027-12-31"))
		admin := f.employer(t, st, "admin@ei.fr", true)
		f.employer(t, st, "membre@ei.fr", false) // not an admin: no mail
		in := offer.JobDescriptionInput{AppellationCode: places(t).AppellationsOfRome("K2204")[0].Code, ContractType: offer.ContractCDDI,
			HoursPerWeek: 24, OpenPositions: 2}
		// Created just after midnight in Paris: day 0 is that Paris date, not the UTC one.
		f.clock.Set(time.Date(2026, 1, 11, 23, 30, 0, 0, time.UTC)) // 00:30 on the 12th in Paris, still the 11th in UTC
		a := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, admin, st.ID, in))
		in.CustomTitle = "Agent de propreté (H/F)"
		b := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, admin, st.ID, in))
		c := must[offer.JobDescription](t)(f.svc.CreateJobDescription(ctx, admin, st.ID, in))
		job := f.svc.StaleJobDescriptionsJob()
		if job.Name != "offer.stale_job_descriptions" || job.Daily == "" {
			t.Fatalf("job %+v", job)
		}
		steps := []struct {
			day                        int
			update                     bool // the employer updates c before the run
			warned, deactivated, mails int
		}{
			{day: 59},
			{day: 60, warned: 3, mails: 1},
			{day: 60}, // same day again: idempotent
			{day: 61},
			{day: 70, update: true},
			{day: 89},
			{day: 90, deactivated: 2, mails: 1},
			{day: 91},
			{day: 129},
			{day: 130, warned: 1, mails: 1}, // c, updated on day 70
			{day: 160, deactivated: 1, mails: 1},
			{day: 161},
		}
		for _, s := range steps {
			f.onDay(s.day)
			if s.update {
				if err := f.svc.ConfirmJobDescription(ctx, admin, c.ID); err != nil {
					t.Fatal(err)
				}
			}
			got := run(t, job)
			want := jobs.Result{"warned": s.warned, "deactivated": s.deactivated, "mails": s.mails}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("day %d: %v, want %v", s.day, got, want)
				}
			}
			if s.day == 60 && s.warned > 0 {
				jp := must[offer.JobDescriptionPage](t)(f.svc.JobDescription(ctx, admin, a.ID))
				if !jp.Warning || jp.DaysLeft != 30 || jp.JobDescription.InactivityWarnedAt.IsZero() {
					t.Fatalf("day 60: %+v", jp)
				}
			}
		}
		warnings := f.mails(t, notify.KindJobDescriptionsStale)
		if len(warnings) != 2 || warnings[0].To != "admin@ei.fr" {
			t.Fatalf("%d warnings", len(warnings))
		}
		// The first warning (the list is newest first) names the three, deactivated on day 90
		// counted from the Paris date of their creation (12 January), not the UTC one.
		first := warnings[1].TextBody
		if strings.Count(first, "désactivation le 12 avril 2026") != 3 || !strings.Contains(first, "Agent de propreté (H/F)") {
			t.Errorf("first warning:\n%s", first)
		}
		deactivations := f.mails(t, notify.KindJobDescriptionsDeactivated)
		if len(deactivations) != 2 || !strings.Contains(deactivations[0].TextBody, "/fiches-de-poste") {
			t.Fatalf("%d deactivation mails", len(deactivations))
		}
		page := must[offer.StructurePage](t)(f.svc.Structure(ctx, admin, st.ID))
		for _, j := range page.JobDescriptions {
			if j.Active || !j.AutoDeactivated() {
				t.Errorf("%s still active or not marked automatic: %+v", j.Title(), j)
			}
		}
		if f.audits(t, "offer.job_description_auto_deactivated") != 3 || f.audits(t, "offer.job_description_stale_warned") != 4 {
			t.Fatal("automatic changes not audited")
		}
		// Two job descriptions with the same content are two rows, each handled.
		listed := map[uuid.UUID]bool{}
		for _, j := range page.JobDescriptions {
			listed[j.ID] = true
		}
		if b.ID == c.ID || !listed[a.ID] || !listed[b.ID] || !listed[c.ID] {
			t.Fatalf("same id twice, or a job description missing from the page: %v", listed)
		}
	})
}

func TestSpontaneousApplicationsCloseAfter90Days(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st := f.structure(t, "ACI", "69381", date("2027-12-31"))
		reopened := f.structure(t, "ACI", "69266", date("2027-12-31"))
		admin := f.employer(t, st, "admin@aci.fr", true)
		admin2 := f.employer(t, reopened, "admin@aci2.fr", true)
		f.clock.Set(time.Date(2026, 1, 11, 23, 30, 0, 0, time.UTC)) // 00:30 on the 12th in Paris: day 0
		if err := f.svc.SetSpontaneousOpen(ctx, admin, st.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSpontaneousOpen(ctx, admin2, reopened.ID, true); err != nil {
			t.Fatal(err)
		}
		job := f.svc.SpontaneousClosingJob()
		for _, s := range []struct {
			day, closed int
			reopen      bool
		}{{day: 50, reopen: true}, {day: 89}, {day: 90, closed: 1}, {day: 90}, {day: 91}, {day: 139}, {day: 140, closed: 1}} {
			f.onDay(s.day)
			if s.reopen {
				if err := f.svc.SetSpontaneousOpen(ctx, admin2, reopened.ID, true); err != nil {
					t.Fatal(err)
				}
			}
			page := must[offer.StructurePage](t)(f.svc.Structure(ctx, admin, st.ID))
			if open := page.SpontaneousOpen; open != (s.day < 90) {
				t.Fatalf("day %d: open = %v", s.day, open)
			}
			got := run(t, job)
			if got["closed"] != s.closed || got["mails"] != s.closed {
				t.Fatalf("day %d: %v, want %d closed", s.day, got, s.closed)
			}
		}
		mails := f.mails(t, notify.KindSpontaneousClosed)
		if len(mails) != 2 || !strings.Contains(mails[0].TextBody+mails[1].TextBody, "ouvertes le 12 janvier 2026") {
			t.Fatalf("%d mails: %+v", len(mails), mails)
		}
		if f.audits(t, "offer.spontaneous_auto_closed") != 2 {
			t.Fatal("automatic closing not audited")
		}
	})
}
