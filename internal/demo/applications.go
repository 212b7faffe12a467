package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
)

// applicationsLoadedKey marks the demo's people and applications as loaded.
const applicationsLoadedKey = "demo_applications_loaded_at"

// demoPerson is a person followed by the demo's France Travail adviser, and where their
// applications stand.
type demoPerson struct {
	civility    jobseeker.Civility
	first, last string
	born        database.Date
	commune     string
	needs       jobseeker.SupportNeeds
	rsa         string
	// steps: one application per structure ("aci", "ei", "ai"), and the move each makes.
	steps []demoStep
}

type demoStep struct {
	to   string
	move application.Transition // "" leaves it new
}

func demoPeople() []demoPerson {
	return []demoPerson{
		{jobseeker.Madame, "Léa", "Fontaine", database.Date{Year: 1991, Month: 3, Day: 14}, "69266",
			jobseeker.SupportNeeds{jobseeker.NeedMobility: "Pas de permis de conduire, dépend des transports en commun."}, "non_majore",
			[]demoStep{{"aci", ""}, {"ei", application.Process}}},
		{jobseeker.Monsieur, "Youssef", "Amrani", database.Date{Year: 1986, Month: 11, Day: 2}, "69123",
			jobseeker.SupportNeeds{jobseeker.NeedHousing: "Hébergé chez un proche.", jobseeker.NeedFinancial: ""}, "",
			[]demoStep{{"aci", application.Refuse}, {"ai", ""}}},
		{jobseeker.Madame, "Chantal", "Perrin", database.Date{Year: 1968, Month: 7, Day: 21}, "69381",
			jobseeker.SupportNeeds{jobseeker.NeedIsolation: ""}, "",
			[]demoStep{{"aci", ""}, {"ei", application.Accept}}}, // the ACI one becomes obsolete
		{jobseeker.Monsieur, "Kevin", "Morel", database.Date{Year: 2002, Month: 1, Day: 9}, "69383",
			jobseeker.SupportNeeds{jobseeker.NeedBasicSkills: "Souhaite reprendre une formation en français.", jobseeker.NeedAdministrative: ""}, "",
			[]demoStep{{"aci", application.Postpone}}},
		{jobseeker.Madame, "Aminata", "Diallo", database.Date{Year: 1995, Month: 9, Day: 30}, "69266",
			jobseeker.SupportNeeds{jobseeker.NeedFamily: "Deux enfants en bas âge : horaires de journée."}, "majore",
			[]demoStep{{"aci", application.AddToPool}, {"ei", ""}}},
	}
}

// loadApplications gives the lists and dashboards real cases: people followed by the France
// Travail adviser, their applications to the demo employer's ACI and EI and to the association
// intermédiaire in each state a list shows, and the demo job seeker's own file and
// application. Everything goes through the services, as users would do it.
func loadApplications(ctx context.Context, a Deps, ids map[string]uuid.UUID) error {
	if a.People == nil || a.Applications == nil || a.Offer == nil {
		return nil
	}
	if _, loaded, err := database.Setting(ctx, a.DB.Reader(), applicationsLoadedKey); err != nil || loaded {
		return err
	}
	actorOf := func(email, orgName string) (access.Actor, error) {
		u, err := a.Accounts.OperatorLookup(ctx, email)
		if err != nil {
			return access.Actor{}, err
		}
		act, _, err := a.Orgs.Actor(ctx, u, ids["org:"+orgName], false)
		if err == nil && act.OrgID != ids["org:"+orgName] {
			err = fmt.Errorf("%s n'agit pas pour %s", email, orgName)
		}
		return act, err
	}
	presc, err := actorOf("prescripteur@demo.parcours.test", "France Travail Lyon Part-Dieu")
	if err != nil {
		return err
	}
	structures := map[string]string{"aci": "Les Jardins du Rhône", "ei": "Rhône Insertion Services", "ai": "Rhône Intérim Solidaire"}
	employers := map[string]string{"aci": "employeur@demo.parcours.test", "ei": "employeur@demo.parcours.test", "ai": "employeur.ai@demo.parcours.test"}
	today := database.DateOf(a.Clock.Now())
	for _, p := range demoPeople() {
		prof := jobseeker.Profile{Identity: jobseeker.Identity{Civility: p.civility, BirthName: p.last, FirstNames: p.first, BirthDate: p.born,
			BornInFrance: true, BirthCommune: "69123"}, NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTIDForgotten,
			Phone: "0600000000", CommuneCode: p.commune, Education: "3", RSA: p.rsa, Needs: p.needs}
		if p.rsa != "" {
			prof.RSADuration = "12_23"
		}
		person, err := a.People.Create(ctx, presc, jobseeker.CreateInput{Profile: prof})
		var dup *jobseeker.DuplicatesError
		if errors.As(err, &dup) {
			continue // loaded by an earlier, interrupted run
		}
		if err != nil {
			return fmt.Errorf("candidat %s : %w", p.first, err)
		}
		for _, step := range p.steps {
			emp, err := actorOf(employers[step.to], structures[step.to])
			if err != nil {
				return err
			}
			page, err := a.Offer.Structure(ctx, emp, emp.OrgID)
			if err != nil {
				return err
			}
			var jobs []uuid.UUID
			for _, j := range page.JobDescriptions {
				if j.Active {
					jobs = append(jobs, j.ID)
					break
				}
			}
			app, err := a.Applications.Send(ctx, presc, application.SendInput{JobSeekerID: person.ID, StructureID: emp.OrgID, JobDescriptions: jobs,
				Message: p.first + " est motivé·e et disponible rapidement ; je reste joignable pour en parler."})
			if err != nil {
				return fmt.Errorf("candidature de %s : %w", p.first, err)
			}
			d := application.Decision{}
			switch step.move {
			case "":
				continue
			case application.Refuse:
				d = application.Decision{Reason: application.ReasonNoPosition, ReasonShared: true,
					Answer: "Nous n'avons plus de poste ouvert cette saison. Merci de votre intérêt.", AnswerToSender: "Nous recrutons de nouveau au printemps."}
			case application.Accept:
				d.Hire = application.Hire{Start: today.AddDays(14), ContractType: offer.ContractTypesFor(page.Structure.Kind)[0], HoursPerWeek: 26,
					SalaryCents: 1_450_00}
			case application.Postpone:
				d.Message = "Nous vous recontactons après les entretiens de la semaine prochaine."
			}
			if _, err := a.Applications.Decide(ctx, emp, app.ID, step.move, d); err != nil {
				return fmt.Errorf("candidature de %s (%s) : %w", p.first, step.move, err)
			}
		}
	}
	// The demo job seeker's own file, and an application of their own.
	u, err := a.Accounts.OperatorLookup(ctx, "candidat@demo.parcours.test")
	if err != nil {
		return err
	}
	js := access.Actor{UserID: u.ID, Kind: access.JobSeeker}
	if _, has, err := a.People.Mine(ctx, js); err != nil {
		return err
	} else if !has {
		mine, err := a.People.Create(ctx, js, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{Identity: jobseeker.Identity{
			Civility: jobseeker.Monsieur, BirthName: "Benali", FirstNames: "Karim", BirthDate: database.Date{Year: 1984, Month: 12, Day: 3},
			BornInFrance: true, BirthCommune: "69123"}, NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTIDForgotten,
			Phone: "0611223344", CommuneCode: "69383", Education: "4", ARE: "6_11",
			Needs: jobseeker.SupportNeeds{jobseeker.NeedMobility: ""}}})
		if err != nil {
			return fmt.Errorf("dossier du candidat : %w", err)
		}
		ei := ids["org:Rhône Insertion Services"]
		page, err := a.Offer.Structure(ctx, js, ei)
		if err != nil {
			return err
		}
		var jobs []uuid.UUID
		if len(page.JobDescriptions) > 0 {
			jobs = []uuid.UUID{page.JobDescriptions[0].ID}
		}
		if _, err := a.Applications.Send(ctx, js, application.SendInput{JobSeekerID: mine.ID, StructureID: ei, JobDescriptions: jobs,
			Message: "Bonjour, je suis disponible tout de suite et habite à côté."}); err != nil {
			return fmt.Errorf("candidature du candidat : %w", err)
		}
	}
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), applicationsLoadedKey, now.Format(time.RFC3339), now)
}
