package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

// The demo registry has three parts:
//   - the demo employer's two structures, built through the offer service as staff and the
//     employer would (registry entry with its convention, public page, job descriptions,
//     spontaneous applications), so that every rule and audit entry applies;
//   - a national-looking registry from offertest's generator, bulk-inserted: through the
//     services, 7,500 rows with their audit entries would make the first start take minutes;
//   - one structure, through the service, in each département the generator left empty
//     (Mayotte: its communes have no population in the reference data, so a draw in
//     proportion to population never lands there).
const (
	registrySeed            = 2026
	registryStructures      = 1500
	registryJobDescriptions = 6000
	// registryAnchorKey holds the instant the generated registry is dated from. It is written
	// before inserting, so that a load interrupted half-way regenerates the very same rows
	// and can remove them before starting again.
	registryAnchorKey = "demo_registry_anchor"
	// registryLoadedKey marks a complete load: later loads create nothing.
	registryLoadedKey = "demo_registry_loaded_at"
	// quietAge and quietSpontaneousAge bound the ages of generated job descriptions and open
	// spontaneous applications. The generator spreads them over 130 and 120 days, past the 60-
	// and 90-day rules, and the daily jobs (which run at start) would then deactivate and mail
	// about a thousand of them, filling the demo mailbox and keeping the SQLite writer busy
	// while the first visitor logs in. The demo employer's own old job description shows the
	// 60-day rule instead.
	quietAge            = 55 * 24 * time.Hour
	quietSpontaneousAge = 80 * 24 * time.Hour
)

// Registry counts what the registry holds after the load.
type Registry struct {
	Structures      int
	JobDescriptions int
}

// showcase is a structure built through the services.
type showcase struct {
	kind, siret, name, commune    string
	brand, line1, postcode, phone string
	email, website                string
	lat, lng                      *float64
	description, support          string
	convention                    string // number; none for a GEIQ
	spontaneous                   bool
	jobs                          []showcaseJob
	// employer acts for the structure on its page and job descriptions; staff when empty.
	employer string
}

type showcaseJob struct {
	appellation, title   string
	contract             offer.ContractType
	hours, positions     int
	cv                   bool
	description, profile string
	// ageDays dates the job description's creation (and so its last update) that many days
	// back, through a service whose clock runs late, so its audit entry bears that date too:
	// the "please update" banner shows from day 60.
	ageDays int
}

func ptr(f float64) *float64 { return &f }

const supportText = "Un encadrant technique pour six salariés, une conseillère en insertion professionnelle : " +
	"entretiens individuels chaque mois, aide aux démarches (logement, mobilité, santé, droits), " +
	"formations qualifiantes et immersions en entreprise pour préparer la suite du parcours."

// aciJobs are the trades of an ACI doing market gardening, green spaces and reuse.
var aciJobs = []showcaseJob{
	{appellation: "16384", title: "Maraîcher / Maraîchère en agriculture biologique", contract: offer.ContractCDDI, hours: 26, positions: 4,
		description: "Culture de légumes biologiques sur nos deux hectares : semis, plantation, désherbage, récolte et préparation des paniers vendus aux adhérents.",
		profile:     "Goût du travail en extérieur et en équipe. Aucune expérience exigée : vous serez formé(e) sur place."},
	{appellation: "17480", contract: offer.ContractCDDI, hours: 26, positions: 3, ageDays: 70,
		description: "Entretien des parcs de la ville et des résidences de bailleurs sociaux : tonte, taille, débroussaillage, plantations.",
		profile:     "Bonne condition physique. Permis B apprécié, non exigé."},
	{appellation: "20503", contract: offer.ContractCDDI, hours: 24, positions: 2,
		description: "Collecte, tri, remise en état et vente des objets donnés à notre ressourcerie.",
		profile:     "Sens du contact avec le public ; aucune expérience exigée."},
	{appellation: "16069", contract: offer.ContractCDDIPHC, hours: 20, positions: 0,
		description: "Création et entretien de jardins partagés avec les habitants du quartier.",
		profile:     "Intérêt pour le jardinage ; une première expérience est un plus."},
}

// eiJobs are the trades of an EI in cleaning and catering.
var eiJobs = []showcaseJob{
	{appellation: "16981", contract: offer.ContractCDDI, hours: 24, positions: 3,
		description: "Nettoyage de bureaux et de parties communes d'immeubles, en équipe de deux, tôt le matin ou en fin de journée.",
		profile:     "Ponctualité et rigueur. Aucune expérience exigée."},
	{appellation: "10571", contract: offer.ContractCDDI, hours: 20, positions: 2,
		description: "Entretien des locaux de nos clients (écoles, équipements sportifs) avec des produits écolabellisés.",
		profile:     "Autonomie dans les déplacements entre sites (transports en commun)."},
	{appellation: "12756", contract: offer.ContractCDDI, hours: 30, positions: 1, cv: true,
		description: "Préparation des entrées et desserts de notre restaurant d'insertion (120 couverts le midi), mise en place, respect des règles d'hygiène.",
		profile:     "Une première expérience en cuisine est appréciée."},
	{appellation: "17846", contract: offer.ContractCDDI, hours: 25, positions: 0,
		description: "Plonge et entretien de la cuisine du restaurant d'insertion.",
		profile:     "Aucune expérience exigée."},
}

// employerShowcases are the demo employer's structures; their organisations exist already.
func employerShowcases() []showcase {
	return []showcase{
		{
			kind: "ACI", siret: siret("8123456700015"), name: "Les Jardins du Rhône", commune: "69381",
			brand: "Jardins du Rhône", line1: "14 quai Saint-Vincent", postcode: "69001",
			lat: ptr(45.7681), lng: ptr(4.8226),
			phone: "04 65 71 12 34", email: "contact@jardins-du-rhone.test", website: "https://jardins-du-rhone.test",
			description: "Atelier et chantier d'insertion en maraîchage biologique, entretien d'espaces verts et réemploi. " +
				"Nous accueillons des personnes éloignées de l'emploi pour quatre à vingt-quatre mois, " +
				"avec un accompagnement pendant tout le parcours.",
			support:    supportText,
			convention: "ACI069250001", spontaneous: true, jobs: aciJobs, employer: employerEmail,
		},
		{
			kind: "EI", siret: siret("8234567800013"), name: "Rhône Insertion Services", commune: "69266",
			line1: "27 rue Francis de Pressensé", postcode: "69100",
			lat: ptr(45.7687), lng: ptr(4.8770),
			phone: "04 65 71 56 78", email: "accueil@rhone-insertion-services.test", website: "https://rhone-insertion-services.test",
			description: "Entreprise d'insertion de propreté et de restauration : nettoyage de locaux pour les entreprises " +
				"et les collectivités de l'agglomération, et un restaurant d'insertion ouvert le midi.",
			support:    supportText,
			convention: "EI069250002", jobs: eiJobs, employer: employerEmail,
		},
		{
			kind: "AI", siret: siret("8345678900011"), name: "Rhône Intérim Solidaire", commune: "69123",
			line1: "8 rue de la Charité", postcode: "69002",
			lat: ptr(45.7546), lng: ptr(4.8322),
			phone: "04 65 71 90 12", email: "contact@rhone-interim-solidaire.test",
			description: "Association intermédiaire : missions de travail auprès de particuliers, d'associations et de " +
				"collectivités (ménage, petits travaux, manutention), avec un accompagnement vers un emploi durable.",
			support:    supportText,
			convention: "AI069250003", spontaneous: true, jobs: aiJobs, employer: "employeur.ai@demo.parcours.test",
		},
	}
}

// aiJobs are the missions of an association intermédiaire.
var aiJobs = []showcaseJob{
	{appellation: "16981", contract: offer.ContractCDDUsage, hours: 20, positions: 5,
		description: "Missions de ménage chez des particuliers et dans des associations de Lyon, de quelques heures à plusieurs jours.",
		profile:     "Discrétion et ponctualité. Aucune expérience exigée."},
	{appellation: "20503", contract: offer.ContractCDDUsage, hours: 15, positions: 3,
		description: "Manutention et petits déménagements pour des associations et des collectivités.",
		profile:     "Bonne condition physique."},
}

const employerEmail = "employeur@demo.parcours.test"

// conventionDates makes a convention valid from about ten months ago for three years.
func conventionDates(today database.Date) (database.Date, database.Date) {
	return today.AddDays(-300), today.AddDays(-300 + 3*365)
}

// registryLoader holds what building the registry needs.
type registryLoader struct {
	deps   Deps
	places *refdata.Data
	svc    *offer.Service
	staff  access.Actor
}

// lateClock runs behind another clock, to date a change in the past through the service.
type lateClock struct {
	clock.Clock
	by time.Duration
}

func (c lateClock) Now() time.Time { return c.Clock.Now().Add(-c.by) }

func loadRegistry(ctx context.Context, a Deps, places *refdata.Data, staff access.Actor) (Registry, error) {
	l := &registryLoader{deps: a, places: places, staff: staff, svc: offer.NewService(a.DB, a.Clock, places, "")}
	_, loaded, err := database.Setting(ctx, a.DB.Reader(), registryLoadedKey)
	if err != nil {
		return Registry{}, err
	}
	if !loaded {
		if err := l.load(ctx); err != nil {
			return Registry{}, err
		}
	}
	return countRegistry(ctx, a.DB.Reader())
}

func (l *registryLoader) load(ctx context.Context) error {
	for _, sc := range employerShowcases() {
		if err := l.ensureShowcase(ctx, sc); err != nil {
			return fmt.Errorf("structure %s : %w", sc.name, err)
		}
	}
	ds, err := l.insertGenerated(ctx)
	if err != nil {
		return fmt.Errorf("registre généré : %w", err)
	}
	for _, sc := range l.fillIns(ds) {
		if err := l.ensureShowcase(ctx, sc); err != nil {
			return fmt.Errorf("structure %s : %w", sc.name, err)
		}
	}
	now := l.deps.Clock.Now()
	return database.SetSetting(ctx, l.deps.DB.Writer(), registryLoadedKey, now.Format(time.RFC3339), now)
}

// ensureShowcase creates whatever part of the structure is missing.
func (l *registryLoader) ensureShowcase(ctx context.Context, sc showcase) error {
	today := database.ParisDate(l.deps.Clock.Now())
	id, err := l.structureID(ctx, sc.siret, sc.kind)
	if err != nil {
		return err
	}
	var st offer.Structure
	if id != uuid.Nil {
		page, err := l.svc.Structure(ctx, l.staff, id)
		if err != nil {
			return err
		}
		st = page.Structure
	}
	if id == uuid.Nil || st.CreatedAt.IsZero() || st.Convention.Number != sc.convention {
		e := offer.RegistryEntry{SIRET: sc.siret, Kind: sc.kind, Name: sc.name, CommuneCode: sc.commune, Brand: sc.brand,
			AddressLine1: sc.line1, Postcode: sc.postcode, Phone: sc.phone, Email: sc.email, Lat: sc.lat, Lng: sc.lng}
		if sc.convention != "" {
			e.ConventionNumber = sc.convention
			e.ConventionStartsOn, e.ConventionEndsOn = conventionDates(today)
		}
		res, err := l.svc.SaveRegistryEntry(ctx, l.staff, e)
		if err != nil {
			return err
		}
		id, st = res.Structure.ID, res.Structure
	}
	actor := l.staff
	if sc.employer != "" {
		if actor, err = l.actorFor(ctx, sc.employer, id); err != nil {
			return err
		}
	}
	if st.Description == "" {
		// The employer completes the public page the registry created.
		if _, err := l.svc.UpdateStructure(ctx, actor, id, offer.StructureInput{Brand: st.Brand, AddressLine1: st.AddressLine1,
			AddressLine2: st.AddressLine2, Postcode: st.Postcode, CommuneCode: st.CommuneCode, Phone: st.Phone, Email: st.Email,
			Website: sc.website, Description: sc.description, ProvidedSupport: sc.support}); err != nil {
			return err
		}
	}
	page, err := l.svc.Structure(ctx, actor, id)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, j := range page.JobDescriptions {
		have[j.AppellationCode] = true
	}
	for _, j := range sc.jobs {
		if have[j.appellation] {
			continue
		}
		svc := l.svc
		if j.ageDays > 0 {
			svc = offer.NewService(l.deps.DB, lateClock{Clock: l.deps.Clock, by: time.Duration(j.ageDays) * 24 * time.Hour}, l.places, "")
		}
		if _, err := svc.CreateJobDescription(ctx, actor, id, offer.JobDescriptionInput{AppellationCode: j.appellation,
			CustomTitle: j.title, Description: j.description, ContractType: j.contract, HoursPerWeek: j.hours,
			OpenPositions: j.positions, ExpectedProfile: j.profile, CVRequired: j.cv}); err != nil {
			return fmt.Errorf("fiche de poste %s : %w", j.appellation, err)
		}
	}
	if sc.spontaneous && !page.SpontaneousOpen {
		if err := l.svc.SetSpontaneousOpen(ctx, actor, id, true); err != nil {
			return err
		}
	}
	return nil
}

// structureID finds the organisation of that SIRET and kind (uuid.Nil when there is none).
func (l *registryLoader) structureID(ctx context.Context, siret, kind string) (uuid.UUID, error) {
	orgs, err := l.deps.Orgs.FindBySIRET(ctx, l.staff, siret)
	if err != nil {
		return uuid.Nil, err
	}
	for _, o := range orgs {
		if o.SIRET == siret && o.Kind == kind {
			return o.ID, nil
		}
	}
	return uuid.Nil, nil
}

// actorFor is the user acting for the organisation, as their session would make them.
func (l *registryLoader) actorFor(ctx context.Context, email string, orgID uuid.UUID) (access.Actor, error) {
	u, err := l.deps.Accounts.OperatorLookup(ctx, email)
	if err != nil {
		return access.Actor{}, err
	}
	a, _, err := l.deps.Orgs.Actor(ctx, u, orgID, false)
	if err != nil {
		return access.Actor{}, err
	}
	if a.OrgID != orgID {
		return access.Actor{}, fmt.Errorf("%s n'est pas membre de la structure", email)
	}
	return a, nil
}

// insertGenerated bulk-inserts the generated registry and returns it.
func (l *registryLoader) insertGenerated(ctx context.Context) (offertest.Dataset, error) {
	db := l.deps.DB
	anchor := l.deps.Clock.Now()
	text, resumed, err := database.Setting(ctx, db.Reader(), registryAnchorKey)
	if err != nil {
		return offertest.Dataset{}, err
	}
	if resumed {
		if anchor, err = time.Parse(time.RFC3339Nano, text); err != nil {
			return offertest.Dataset{}, fmt.Errorf("réglage %s illisible : %w", registryAnchorKey, err)
		}
	} else if err := database.SetSetting(ctx, db.Writer(), registryAnchorKey, anchor.UTC().Format(time.RFC3339Nano), anchor); err != nil {
		return offertest.Dataset{}, err
	}
	ds := offertest.Generate(l.places, offertest.Options{Seed: registrySeed, Structures: registryStructures,
		JobDescriptions: registryJobDescriptions, Now: anchor})
	quieten(&ds)
	if resumed {
		// A previous load stopped before its end: what it wrote is part of this very dataset.
		if err := removeGenerated(ctx, db, ds); err != nil {
			return offertest.Dataset{}, err
		}
	}
	return ds, offertest.Insert(ctx, db, ds)
}

// quieten brings the generated update and opening dates within the ages that the daily jobs
// leave alone (see quietAge). Creation dates are earlier still, so they stay consistent.
func quieten(ds *offertest.Dataset) {
	for i := range ds.JobDescriptions {
		j := &ds.JobDescriptions[i]
		if age := ds.Now.Sub(j.UpdatedAt); age > quietAge {
			j.UpdatedAt = ds.Now.Add(-(age % quietAge))
			if !j.DeactivatedAt.IsZero() {
				j.DeactivatedAt = j.UpdatedAt
			}
		}
	}
	for i := range ds.Structures {
		st := &ds.Structures[i]
		if age := ds.Now.Sub(st.SpontaneousOpenSince); !st.SpontaneousOpenSince.IsZero() && age > quietSpontaneousAge {
			st.SpontaneousOpenSince = ds.Now.Add(-(age % quietSpontaneousAge))
		}
	}
}

// removeGenerated deletes the rows of the dataset that an interrupted load wrote, in one
// transaction. Nothing else refers to them: the generated accounts cannot log in.
func removeGenerated(ctx context.Context, db *database.DB, ds offertest.Dataset) error {
	var structures, antennas, conventions, users []any
	for _, st := range ds.Structures {
		structures = append(structures, st.ID)
		if st.IsAntenna() {
			antennas = append(antennas, st.ID)
		}
	}
	for _, c := range ds.Conventions {
		conventions = append(conventions, c.ID)
	}
	for _, u := range ds.Users {
		users = append(users, u.ID)
	}
	steps := []struct {
		query string
		ids   []any
	}{
		{`DELETE FROM job_descriptions WHERE structure_id IN `, structures},
		{`DELETE FROM structures WHERE org_id IN `, antennas},
		{`DELETE FROM structures WHERE org_id IN `, structures},
		{`DELETE FROM memberships WHERE org_id IN `, structures},
		{`DELETE FROM organisations WHERE id IN `, structures},
		{`DELETE FROM conventions WHERE id IN `, conventions},
		{`DELETE FROM users WHERE id IN `, users},
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		for _, s := range steps {
			// 200 parameters per statement: well within both engines' limits.
			for from := 0; from < len(s.ids); from += 200 {
				chunk := s.ids[from:min(len(s.ids), from+200)]
				ph := make([]string, len(chunk))
				for i := range chunk {
					ph[i] = fmt.Sprintf("$%d", i+1)
				}
				if _, err := tx.ExecContext(ctx, s.query+"("+strings.Join(ph, ", ")+")", chunk...); err != nil {
					return fmt.Errorf("reprise du chargement interrompu : %w", err)
				}
			}
		}
		return nil
	})
}

// fillIns are one ACI, at the prefecture, for each département the generated registry left
// without any structure.
func (l *registryLoader) fillIns(ds offertest.Dataset) []showcase {
	covered := map[string]bool{}
	for _, st := range ds.Structures {
		covered[st.Departement] = true
	}
	// Today's jobs only: one description waiting for an update is enough for the demo.
	jobs := make([]showcaseJob, 0, 3)
	for _, j := range aciJobs[:3] {
		j.ageDays = 0
		jobs = append(jobs, j)
	}
	var out []showcase
	for k, d := range l.places.Departements() {
		if covered[d.Code] {
			continue
		}
		c, ok := l.places.Commune(d.ChefLieu)
		if !ok {
			continue
		}
		postcode := ""
		if len(c.Postcodes) > 0 {
			postcode = c.Postcodes[0]
		}
		out = append(out, showcase{
			kind: "ACI", siret: siret(fmt.Sprintf("8990000%06d", k)), name: "Chantier d'insertion de " + c.Name, commune: c.Code,
			line1: "1 place de la Mairie", postcode: postcode,
			phone: fmt.Sprintf("06 39 98 00 %02d", k%100), email: "contact@chantier-" + strings.ToLower(d.Code) + ".demo.parcours.test",
			description: "Atelier et chantier d'insertion : maraîchage, espaces verts et réemploi, " +
				"avec un accompagnement pendant tout le parcours.",
			support:    supportText,
			convention: "ACI" + d.Code + "250001", jobs: jobs,
		})
	}
	return out
}

// countRegistry counts the structures and job descriptions, whoever created them.
func countRegistry(ctx context.Context, q database.Querier) (Registry, error) {
	var r Registry
	err := q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM structures), (SELECT COUNT(*) FROM job_descriptions)`).
		Scan(&r.Structures, &r.JobDescriptions)
	if err != nil {
		return Registry{}, fmt.Errorf("décompte du registre : %w", err)
	}
	return r, nil
}
