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
	"parcours/internal/refdata"
)

// applicationsLoadedKey marks the demo's people and applications as loaded.
const applicationsLoadedKey = "demo_applications_loaded_at"

// listPerson is a person followed by the demo's France Travail adviser, and where their
// applications stand.
type listPerson struct {
	civility    jobseeker.Civility
	first, last string
	born        database.Date
	commune     string
	needs       jobseeker.SupportNeeds
	rsa         string
	// steps: one application per structure ("aci", "ei", "ai"), and the move each makes.
	steps []listStep
}

type listStep struct {
	to   string
	move application.Transition // "" leaves it new
}

func listPeople() []listPerson {
	return []listPerson{
		{jobseeker.Madame, "Léa", "Fontaine", database.Date{Year: 1991, Month: 3, Day: 14}, "69266",
			jobseeker.SupportNeeds{jobseeker.NeedMobility: "Pas de permis de conduire, dépend des transports en commun."}, "non_majore",
			[]listStep{{"aci", ""}, {"ei", application.Process}}},
		{jobseeker.Monsieur, "Youssef", "Amrani", database.Date{Year: 1986, Month: 11, Day: 2}, "69123",
			jobseeker.SupportNeeds{jobseeker.NeedHousing: "Hébergé chez un proche.", jobseeker.NeedFinancial: ""}, "",
			[]listStep{{"aci", application.Refuse}, {"ai", ""}}},
		{jobseeker.Madame, "Chantal", "Perrin", database.Date{Year: 1968, Month: 7, Day: 21}, "69381",
			jobseeker.SupportNeeds{jobseeker.NeedIsolation: ""}, "",
			[]listStep{{"aci", ""}, {"ei", application.Accept}}}, // the ACI one becomes obsolete
		{jobseeker.Monsieur, "Kevin", "Morel", database.Date{Year: 2002, Month: 1, Day: 9}, "69383",
			jobseeker.SupportNeeds{jobseeker.NeedBasicSkills: "Souhaite reprendre une formation en français.", jobseeker.NeedAdministrative: ""}, "",
			[]listStep{{"aci", application.Postpone}}},
		{jobseeker.Madame, "Aminata", "Diallo", database.Date{Year: 1995, Month: 9, Day: 30}, "69266",
			jobseeker.SupportNeeds{jobseeker.NeedFamily: "Deux enfants en bas âge : horaires de journée."}, "majore",
			[]listStep{{"aci", application.AddToPool}, {"ei", ""}}},
	}
}

// loadApplications gives the lists and dashboards real cases: more people followed by the
// France Travail adviser, with applications to the demo employer's ACI and EI and to the
// association intermédiaire in each state a list shows (people.go makes the eligibility cases).
// Everything goes through the services, as users would do it.
func loadApplications(ctx context.Context, a Deps, places *refdata.Data, ids map[string]uuid.UUID) error {
	if a.JobSeekers == nil || a.Applications == nil {
		return nil
	}
	offers := offer.NewService(a.DB, a.Clock, places, "")
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
	today := database.ParisDate(a.Clock.Now())
	for _, p := range listPeople() {
		prof := jobseeker.Profile{Identity: jobseeker.Identity{Civility: p.civility, BirthName: p.last, FirstNames: p.first, BirthDate: p.born,
			BornInFrance: true, BirthCommune: "69123"}, NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTIDForgotten,
			Phone: "0600000000", CommuneCode: p.commune, Education: "3", RSA: p.rsa, Needs: p.needs}
		if p.rsa != "" {
			prof.RSADuration = "12_23"
		}
		person, err := a.JobSeekers.Create(ctx, presc, jobseeker.CreateInput{Profile: prof})
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
			page, err := offers.Structure(ctx, emp, emp.OrgID)
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
				// An SIAE hires only an eligible person: the adviser, an authorised
				// prescriber, diagnoses first.
				if a.Eligibility != nil {
					if _, err := a.Eligibility.Make(ctx, presc, person.ID, []string{"RSA", "DETLD"}); err != nil {
						return fmt.Errorf("diagnostic de %s : %w", p.first, err)
					}
				}
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
	now := a.Clock.Now()
	return database.SetSetting(ctx, a.DB.Writer(), applicationsLoadedKey, now.Format(time.RFC3339), now)
}
