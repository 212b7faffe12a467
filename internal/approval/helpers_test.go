package approval_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/platformtest"
)

// fixture is the platform's services (platformtest) with the criteria loaded and the PASS IAE
// wired into hires and diagnoses as package app does; svc is the PASS IAE service.
type fixture struct {
	*platformtest.Platform
	svc *approval.Service
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	p := platformtest.New(t, db)
	if err := p.Eligibility.EnsureCriteria(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{Platform: p, svc: approval.NewService(db, p.Guard, p.Env, p.Clock, p.People, p.Files, platformtest.BaseURL)}
	p.Apps.SetHireHook(f.svc.Hook)
	p.Eligibility.SetPASSCheck(approval.KeepsDiagnosis)
	return f
}

// prescriber creates an authorised prescriber organisation and a member acting for it.
func (f *fixture) prescriber(t testing.TB, email string) access.Actor {
	t.Helper()
	return f.Prescriber(t, email, true)
}

// person creates a job seeker's file: identified (declared not registered at France Travail)
// or not (France Travail identifier forgotten, no NIR).
func (f *fixture) person(t testing.TB, by access.Actor, identified bool) jobseeker.JobSeeker {
	t.Helper()
	n := f.Next()
	p := jobseeker.Profile{Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: fmt.Sprintf("Durand%c", 'a'+n%26), FirstNames: "Léa",
		BirthDate: database.Date{Year: 1960 + n%40, Month: time.Month(1 + n%12), Day: 1 + n%27}, BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}
	if !identified {
		p.NoFTIDReason = jobseeker.FTIDForgotten
	}
	j, err := f.People.Create(context.Background(), by, jobseeker.CreateInput{Profile: p, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// applyTo sends an application to a structure and returns its id.
func (f *fixture) applyTo(t testing.TB, by access.Actor, person uuid.UUID, st offer.Structure, jd offer.JobDescription) uuid.UUID {
	t.Helper()
	a, err := f.Apps.Send(context.Background(), by, application.SendInput{JobSeekerID: person, StructureID: st.ID, JobDescriptions: []uuid.UUID{jd.ID},
		SelfHire: by.Role == access.Employer})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// diagnose makes a diagnosis (RSA: level 1).
func (f *fixture) diagnose(t testing.TB, by access.Actor, person uuid.UUID) {
	t.Helper()
	if _, err := f.Eligibility.Make(context.Background(), by, person, []string{"RSA"}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) hire(kind string, start database.Date) application.Hire {
	h := application.Hire{Start: start, ContractType: offer.ContractTypesFor(kind)[0], HoursPerWeek: 26, SalaryCents: 1_450_00}
	if kind == offer.KindAI || kind == offer.KindETTI {
		h.FirstMission = h.Start
	}
	return h
}

func (f *fixture) accept(emp access.Actor, app uuid.UUID, kind string, start database.Date) error {
	_, err := f.Apps.Decide(context.Background(), emp, app, application.Accept, application.Decision{Hire: f.hire(kind, start)})
	return err
}

// advance moves the clock by days.
func (f *fixture) advance(days int) { f.Clock.Advance(time.Duration(days) * 24 * time.Hour) }

// only returns the person's single PASS as the employer sees it.
func (f *fixture) only(t testing.TB, emp access.Actor, person uuid.UUID) approval.View {
	t.Helper()
	all, err := f.svc.ForPerson(context.Background(), emp, person, access.PurposeIAEFollowUp)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d PASS, want 1", len(all))
	}
	return all[0]
}
