package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/refdata"
)

// The demo's job seekers, with an application each and the eligibility diagnoses the screens
// show: a prescriber's diagnosis in force, an employer's in force (AI), an employer's that has
// expired (EI, 92 days), and the demo job seeker's own file with the ACI's diagnosis. Everything goes
// through the services; the diagnoses are dated in the past through a clock running late.

type demoPerson struct {
	civility                 jobseeker.Civility
	first, last, born, place string
	// to is the SIRET base of the structure applied to.
	to string
	// diagnosis: by "prescriber" or "employer", made ageDays ago, with these criteria.
	by       string
	ageDays  int
	criteria []string
}

var demoPeople = []demoPerson{
	{jobseeker.Madame, "Samira", "Haddad", "1987-03-14", "69266", "8123456700015", "prescriber", 20, []string{"RSA", "PI"}},
	{jobseeker.Monsieur, "Lucas", "Girard", "2003-09-02", "69123", "8345678900011", "employer", 10, []string{"JEUNE", "QPV"}},
	{jobseeker.Monsieur, "Bernard", "Petit", "1968-01-22", "69259", "8234567800013", "employer", 100, []string{"DETLD", "SENIOR"}},
}

// The demo job seeker applies to the ACI, which diagnosed them.
const demoSeekerStructure, demoSeekerDiagnosisAge = "8123456700015", 5

const peopleLoadedKey = "demo_people_loaded_at"

// loadPeople creates the demo's people, applications and diagnoses once.
func loadPeople(ctx context.Context, a Deps, places *refdata.Data, staff access.Actor, ids map[string]uuid.UUID) error {
	if a.JobSeekers == nil || a.Applications == nil || a.Eligibility == nil {
		return nil
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), peopleLoadedKey); err != nil || loaded {
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
	for i, p := range demoPeople {
		if err := l.ensurePerson(ctx, presc, i, p); err != nil {
			return fmt.Errorf("%s %s : %w", p.first, p.last, err)
		}
	}
	if err := l.ensureSeeker(ctx, ids[seekerEmail]); err != nil {
		return fmt.Errorf("candidat de démonstration : %w", err)
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), peopleLoadedKey, now.Format(time.RFC3339), now)
}

const seekerEmail = "candidat@demo.parcours.test"

// employerOf is the member acting for the structure of a SIRET base.
func (l *registryLoader) employerOf(ctx context.Context, base string) (access.Actor, uuid.UUID, error) {
	kind := map[string]string{"8123456700015": "ACI", "8234567800013": "EI", "8345678900011": "AI"}[base]
	id, err := l.structureID(ctx, siret(base), kind)
	if err != nil || id == uuid.Nil {
		return access.Actor{}, uuid.Nil, errors.Join(err, errors.New("structure de démonstration absente"))
	}
	email := employerEmail
	if kind == "AI" {
		email = "employeur.ai@demo.parcours.test"
	}
	a, err := l.actorFor(ctx, email, id)
	return a, id, err
}

// firstJob is a structure's first open job description, for an application.
func (l *registryLoader) firstJob(ctx context.Context, actor access.Actor, id uuid.UUID) ([]uuid.UUID, error) {
	page, err := l.svc.Structure(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	for _, j := range page.JobDescriptions {
		if j.Active {
			return []uuid.UUID{j.ID}, nil
		}
	}
	return nil, nil
}

// diagnose makes a diagnosis dated ageDays ago.
func (l *registryLoader) diagnose(ctx context.Context, by access.Actor, person uuid.UUID, ageDays int, criteria []string) error {
	svc := l.deps.Eligibility.WithClock(lateClock{Clock: l.deps.Clock, by: time.Duration(ageDays) * 24 * time.Hour})
	_, err := svc.Make(ctx, by, person, criteria)
	return err
}

func (l *registryLoader) ensurePerson(ctx context.Context, presc access.Actor, i int, p demoPerson) error {
	existing, err := l.deps.JobSeekers.Followed(ctx, presc, p.first+" "+p.last, 1)
	if err != nil || len(existing) > 0 {
		return err
	}
	born, err := database.ParseDate(p.born)
	if err != nil {
		return err
	}
	j, err := l.deps.JobSeekers.Create(ctx, presc, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: p.civility, BirthName: p.last, FirstNames: p.first, BirthDate: born, BornInFrance: true, BirthCommune: p.place},
		NIR:      demoNIR(p.civility, born, p.place, i), NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: p.place,
		Phone: fmt.Sprintf("06 70 00 00 %02d", 10+i)}})
	if err != nil {
		return err
	}
	emp, structure, err := l.employerOf(ctx, p.to)
	if err != nil {
		return err
	}
	jobs, err := l.firstJob(ctx, presc, structure)
	if err != nil {
		return err
	}
	if _, err := l.deps.Applications.Send(ctx, presc, application.SendInput{JobSeekerID: j.ID, StructureID: structure, JobDescriptions: jobs,
		Message: p.first + " cherche un emploi près de chez " + map[jobseeker.Civility]string{jobseeker.Madame: "elle", jobseeker.Monsieur: "lui"}[p.civility] + "."}); err != nil {
		return err
	}
	by := presc
	if p.by == "employer" {
		by = emp
	}
	return l.diagnose(ctx, by, j.ID, p.ageDays, p.criteria)
}

// ensureSeeker gives the demo job seeker a file, an application to the ACI and the ACI's
// diagnosis.
func (l *registryLoader) ensureSeeker(ctx context.Context, userID uuid.UUID) error {
	self := access.Actor{UserID: userID, Kind: access.JobSeeker}
	if _, has, err := l.deps.JobSeekers.Mine(ctx, self); err != nil || has {
		return err
	}
	j, err := l.deps.JobSeekers.Create(ctx, self, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Monsieur, BirthName: "Benali", FirstNames: "Karim",
			BirthDate: database.Date{Year: 1991, Month: 6, Day: 8}, BornInFrance: true, BirthCommune: "69123"},
		NIR: demoNIR(jobseeker.Monsieur, database.Date{Year: 1991, Month: 6, Day: 8}, "69123", 9), NoFTIDReason: jobseeker.FTNotRegistered,
		CommuneCode: "69123", Email: seekerEmail}})
	if err != nil {
		return err
	}
	emp, structure, err := l.employerOf(ctx, demoSeekerStructure)
	if err != nil {
		return err
	}
	jobs, err := l.firstJob(ctx, self, structure)
	if err != nil {
		return err
	}
	if _, err := l.deps.Applications.Send(ctx, self, application.SendInput{JobSeekerID: j.ID, StructureID: structure, JobDescriptions: jobs,
		Message: "Bonjour, le maraîchage m'intéresse beaucoup."}); err != nil {
		return err
	}
	return l.diagnose(ctx, emp, j.ID, demoSeekerDiagnosisAge, []string{"RSA"})
}

// demoNIR makes a valid NIR agreeing with the civility and birth date (born in the Rhône).
func demoNIR(c jobseeker.Civility, born database.Date, place string, n int) string {
	sex := "1"
	if c == jobseeker.Madame {
		sex = "2"
	}
	base := fmt.Sprintf("%s%02d%02d%s%03d", sex, born.Year%100, int(born.Month), place, 400+n)
	v, _ := strconv.ParseUint(base, 10, 64)
	return fmt.Sprintf("%s%02d", base, 97-v%97)
}
