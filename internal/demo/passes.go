package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/refdata"
)

// The demo's PASS IAE, one in each state the screens show, all made through the services with
// clocks running late so that every rule holds:
//   - Karim Benali, the demo job seeker, hired today by the ACI: valid;
//   - Samira Haddad, hired 15 days ago by the ACI, suspended since 5 days ago;
//   - Lucas Girard, hired by the AI in 20 days: future;
//   - Nadia Roche, whose PASS (from the ACI, 760 days ago, registered by staff) was prolonged
//     for a training, with a request for an RQTH prolongation waiting for the France Travail
//     adviser (prescripteur@demo); she applied to the ACI again;
//   - Sophie Marchand, whose PASS from the ACI (420 days ago, registered by staff) may be
//     prolonged now;
//   - Marc Lefèvre, whose PASS from the EI (900 days ago, suspended a month once) has expired:
//     the CCAS (a prescriber not habilitated) applied for him to the EI again, and the waiting
//     period stops his hire unless an authorised prescriber diagnoses him.
// The earlier PASS are registered by staff: no diagnosis could be made that long ago under the
// criteria in force (arrêté of 4 September 2025).
// Chantal Perrin's hire by the EI (applications.go) waits in the staff's manual delivery queue:
// she has neither NIR nor France Travail identifier.

const passesLoadedKey = "demo_passes_loaded_at"

func loadPasses(ctx context.Context, a Deps, places *refdata.Data, staff access.Actor, ids map[string]uuid.UUID) error {
	if a.Approvals == nil || a.Applications == nil || a.Eligibility == nil || a.JobSeekers == nil {
		return nil
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), passesLoadedKey); err != nil || loaded {
		return err
	}
	l := &registryLoader{deps: a, places: places, staff: staff, svc: offer.NewService(a.DB, a.Clock, places, "")}
	ft, err := l.structureID(ctx, siret("1300054810012"), "FT")
	if err != nil {
		return err
	}
	presc, err := l.actorFor(ctx, "prescripteur@demo.parcours.test", ft)
	if err != nil {
		return err
	}
	aci, aciID, err := l.employerOf(ctx, "8123456700015")
	if err != nil {
		return err
	}
	ai, aiID, err := l.employerOf(ctx, "8345678900011")
	if err != nil {
		return err
	}
	ei, eiID, err := l.employerOf(ctx, "8234567800013")
	if err != nil {
		return err
	}
	// Karim: his application to the ACI, which diagnosed him.
	self := access.Actor{UserID: ids[seekerEmail], Kind: access.JobSeeker}
	rows, _, err := a.Applications.Mine(ctx, self, application.Filter{})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.State == application.New {
			if err := l.hire(ctx, aci, r.ID, "ACI", 0, 0); err != nil {
				return fmt.Errorf("embauche de Karim Benali : %w", err)
			}
		}
	}
	// Samira (the prescriber's diagnosis, 20 days old) and Lucas (the AI's, 10 days old).
	for _, p := range []struct {
		name     string
		emp      access.Actor
		to       uuid.UUID
		kind     string
		ago, ins int
	}{{"Samira Haddad", aci, aciID, "ACI", 15, 0}, {"Lucas Girard", ai, aiID, "AI", 0, 20}} {
		found, err := a.JobSeekers.Followed(ctx, presc, p.name, 1)
		if err != nil || len(found) == 0 {
			return fmt.Errorf("%s : %w", p.name, err)
		}
		rows, _, err := a.Applications.Received(ctx, p.emp, application.Filter{Person: found[0].ID})
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("candidature de %s : %w", p.name, err)
		}
		if err := l.hire(ctx, p.emp, rows[0].ID, p.kind, p.ago, p.ins); err != nil {
			return fmt.Errorf("embauche de %s : %w", p.name, err)
		}
		if p.ago > 0 {
			id, err := l.passOf(ctx, p.emp, found[0].ID)
			if err != nil {
				return err
			}
			today := database.ParisDate(a.Clock.Now())
			if err := a.Approvals.Suspend(ctx, p.emp, id, approval.SuspensionInput{Start: today.AddDays(-5), End: today.AddDays(45),
				Reason: approval.SuspendedContract}); err != nil {
				return fmt.Errorf("suspension du PASS de %s : %w", p.name, err)
			}
		}
	}
	// Nadia: hired 760 days ago, prolonged 100 days ago for a training, then an RQTH request.
	nadia, err := l.earlier(ctx, presc, aciID, jobseeker.Madame, "Nadia", "Roche", "1979-04-17", 760, 10)
	if err != nil {
		return err
	}
	id, err := l.passOf(ctx, aci, nadia)
	if err != nil {
		return err
	}
	back := a.Approvals.WithClock(lateClock{Clock: a.Clock, by: 100 * 24 * time.Hour})
	p, err := a.Approvals.Get(ctx, aci, id, access.PurposeIAEFollowUp)
	if err != nil {
		return err
	}
	if _, err := back.Prolong(ctx, aci, id, approval.ProlongInput{ProlongationInput: approval.ProlongationInput{Reason: approval.CompleteTraining,
		End: p.End.AddDays(120)}}); err != nil {
		return fmt.Errorf("prolongation du PASS de Nadia Roche : %w", err)
	}
	if _, err := a.Approvals.Prolong(ctx, aci, id, approval.ProlongInput{Prescriber: ft, ProlongationInput: approval.ProlongationInput{Reason: approval.RQTH,
		End: p.End.AddDays(120 + 365)}}); err != nil {
		return fmt.Errorf("demande de prolongation du PASS de Nadia Roche : %w", err)
	}
	// Sophie: her PASS from the ACI is 420 days old, in its prolongation window.
	if _, err := l.earlier(ctx, presc, aciID, jobseeker.Madame, "Sophie", "Marchand", "1970-02-11", 420, 12); err != nil {
		return err
	}
	// Marc: hired 900 days ago by the EI, suspended a month in his first year: expired.
	// The CCAS's social worker, a prescriber not habilitated, follows him and applied for him:
	// the waiting period applies to that application.
	ccas, err := l.structureID(ctx, siret("2669001000012"), "CCAS")
	if err != nil {
		return err
	}
	orienteur, err := l.actorFor(ctx, "orienteur@demo.parcours.test", ccas)
	if err != nil {
		return err
	}
	marc, err := l.earlier(ctx, orienteur, eiID, jobseeker.Monsieur, "Marc", "Lefèvre", "1972-10-05", 900, 11)
	if err != nil {
		return err
	}
	if id, err = l.passOf(ctx, ei, marc); err != nil {
		return err
	}
	late := a.Approvals.WithClock(lateClock{Clock: a.Clock, by: 700 * 24 * time.Hour})
	then := database.ParisDate(a.Clock.Now()).AddDays(-700)
	if err := late.Suspend(ctx, ei, id, approval.SuspensionInput{Start: then.AddDays(-10), End: then.AddDays(19), Reason: approval.BrokenContract}); err != nil {
		return fmt.Errorf("suspension du PASS de Marc Lefèvre : %w", err)
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), passesLoadedKey, now.Format(time.RFC3339), now)
}

// hire accepts an application, decided ago days back, for a contract starting in days after that.
func (l *registryLoader) hire(ctx context.Context, emp access.Actor, app uuid.UUID, kind string, ago, in int) error {
	clk := lateClock{Clock: l.deps.Clock, by: time.Duration(ago) * 24 * time.Hour}
	start := database.ParisDate(clk.Now()).AddDays(in)
	h := application.Hire{Start: start, ContractType: offer.ContractTypesFor(kind)[0], HoursPerWeek: 26, SalaryCents: 1_450_00}
	if kind == offer.KindAI || kind == offer.KindETTI {
		h.FirstMission = start
	}
	_, err := l.deps.Applications.WithClock(clk).Decide(ctx, emp, app, application.Accept, application.Decision{Hire: h})
	return err
}

// passOf is the PASS of a person the structure hired.
func (l *registryLoader) passOf(ctx context.Context, emp access.Actor, person uuid.UUID) (uuid.UUID, error) {
	all, err := l.deps.Approvals.ForPerson(ctx, emp, person, access.PurposeIAEFollowUp)
	if err != nil {
		return uuid.Nil, err
	}
	if len(all) == 0 {
		return uuid.Nil, fmt.Errorf("aucun PASS IAE délivré")
	}
	return all[0].ID, nil
}

// earlier registers, as staff, a PASS the person got ago days back from a structure (before
// the platform: no diagnosis existed then under the criteria in force), and has the
// professional who follows them (by) apply for them to that structure today.
func (l *registryLoader) earlier(ctx context.Context, by access.Actor, structure uuid.UUID, civ jobseeker.Civility,
	first, last, born string, ago, n int) (uuid.UUID, error) {
	if found, err := l.deps.JobSeekers.Followed(ctx, by, first+" "+last, 1); err != nil || len(found) > 0 {
		if err != nil {
			return uuid.Nil, err
		}
		return found[0].ID, nil
	}
	b, err := database.ParseDate(born)
	if err != nil {
		return uuid.Nil, err
	}
	j, err := l.deps.JobSeekers.Create(ctx, by, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: civ, BirthName: last, FirstNames: first, BirthDate: b, BornInFrance: true, BirthCommune: "69123"},
		NIR:      demoNIR(civ, b, "69123", n), NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69123"}})
	if err != nil {
		return uuid.Nil, err
	}
	start := database.ParisDate(l.deps.Clock.Now()).AddDays(-ago)
	if _, err := l.deps.Approvals.Register(ctx, l.staff, approval.Earlier{JobSeekerID: j.ID, OrgID: structure, Start: start}); err != nil {
		return uuid.Nil, err
	}
	jobs, err := l.firstJob(ctx, by, structure)
	if err != nil {
		return uuid.Nil, err
	}
	_, err = l.deps.Applications.Send(ctx, by, application.SendInput{JobSeekerID: j.ID, StructureID: structure, JobDescriptions: jobs,
		Message: first + " souhaite reprendre un emploi dans votre structure."})
	return j.ID, err
}
