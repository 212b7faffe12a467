// Package offertest generates a realistic, deterministic IAE registry (structures spread over
// France in proportion to population, conventions, antennas, members, job descriptions) and
// bulk-inserts it. Tests, benchmarks, the demo dataset and the load scenarios of bench/ use it.
//
// The same Options always give the same Dataset, identifiers included. Insert writes straight
// into the tables of org, account (users without password: they cannot log in) and offer, in
// batches, because going through the services would take minutes at national scale.
package offertest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// Options shape a dataset. The zero value of each field has a sensible default.
type Options struct {
	// Seed makes the dataset; the same seed gives the same data.
	Seed uint64
	// Structures and JobDescriptions are the numbers to generate (default 100, and 5 job
	// descriptions per structure; a negative JobDescriptions makes none).
	Structures      int
	JobDescriptions int
	// Now anchors every date: conventions end around it, job descriptions were updated before
	// it (default 2026-01-15 09:00 UTC). Pass the clock's time.
	Now time.Time
	// NoMembers leaves every structure without members (no users are created).
	NoMembers bool
}

// User is a generated employer account (no password).
type User struct {
	ID                         uuid.UUID
	Email, FirstName, LastName string
}

// Membership links a user to a structure.
type Membership struct {
	OrgID, UserID uuid.UUID
	Admin, Active bool
}

// Dataset is what Generate made. Structures hold their effective convention (the parent's for
// an antenna); Conventions lists each once.
type Dataset struct {
	Now             time.Time
	Structures      []offer.Structure
	Conventions     []offer.Convention
	JobDescriptions []offer.JobDescription
	Users           []User
	Memberships     []Membership
}

// kindShares is a plausible national mix (about 1,900 ACI, 1,000 EI, 650 AI, 300 ETTI, 100
// EITI and 200 GEIQ in recent years).
var kindShares = []struct {
	kind  string
	share int
}{
	{offer.KindACI, 44}, {offer.KindEI, 23}, {offer.KindAI, 15}, {offer.KindETTI, 7}, {offer.KindEITI, 3}, {offer.KindGEIQ, 8},
}

// romesByKind are the trades each kind typically hires for (ROME v3 codes present in the
// reference data).
var romesByKind = map[string][]string{
	// espaces verts, maraîchage, peinture, maçonnerie, recyclerie, propreté urbaine, bûcheronnage, entretien de bâtiments, tri
	offer.KindACI: {"A1203", "A1414", "F1606", "F1703", "K2304", "K2303", "A1201", "I1203", "H3302"},
	// nettoyage, restauration, cuisine, plonge, recyclage, logistique, conditionnement
	offer.KindEI: {"K2204", "G1603", "G1602", "G1605", "K2304", "N1103", "H3302"},
	// nettoyage, services à la personne, aide aux adultes, espaces verts, manutention
	offer.KindAI: {"K2204", "K1304", "K1302", "A1203", "N1105"},
	// logistique, manutention, BTP, livraison
	offer.KindETTI: {"N1103", "N1105", "F1703", "F1701", "F1702", "N4105"},
	// livraison, services à domicile, jardinage, peinture
	offer.KindEITI: {"N4105", "K1304", "A1203", "F1606"},
	// BTP, industrie, transport, propreté, commerce, engins
	offer.KindGEIQ: {"F1703", "F1701", "H2909", "N4101", "K2204", "D1505", "N1101"},
}

var namePatterns = map[string][]string{
	offer.KindACI:  {"Jardins solidaires de %s", "Ressourcerie de %s", "Chantier d'insertion de %s", "Atelier vert de %s", "Les Compagnons bâtisseurs de %s"},
	offer.KindEI:   {"%s Propreté Solidaire", "Restaurant d'insertion de %s", "Blanchisserie solidaire de %s", "Logistique inclusive %s"},
	offer.KindAI:   {"Association intermédiaire de %s", "Solidarité Emploi %s", "Services de proximité %s"},
	offer.KindETTI: {"Intérim d'insertion %s", "Tremplin Intérim %s", "ETTI Solidaire %s"},
	offer.KindEITI: {"Coopérative d'indépendants de %s", "Livreurs solidaires de %s"},
	offer.KindGEIQ: {"GEIQ BTP %s", "GEIQ Propreté %s", "GEIQ Industrie %s", "GEIQ Transport et logistique %s"},
}

var brands = []string{"Le Jardin de Cocagne", "La Fabrique", "Tremplin", "L'Envol", "Le Relais", "Élan", "Passerelle", "Rebond", "Horizon", "Cap Avenir"}

var streets = []string{"rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "chemin des Vignes", "rue du Moulin",
	"place de la Mairie", "boulevard Pasteur", "rue des Écoles", "zone artisanale des Prés", "rue de la Gare"}

var firstNames = []string{"Camille", "Dominique", "Nadia", "Julien", "Sophie", "Karim", "Claire", "Thomas", "Inès", "Marc", "Léa", "Yanis"}
var lastNames = []string{"Martin", "Bernard", "Dubois", "Leroy", "Moreau", "Haddad", "Garnier", "Lefèvre", "Roux", "Fontaine", "Benali", "Petit"}

var descriptions = map[string]string{
	offer.KindACI:  "Atelier et chantier d'insertion : nous accueillons des personnes éloignées de l'emploi sur des activités utiles au territoire.",
	offer.KindEI:   "Entreprise d'insertion : une activité économique au service d'un parcours vers l'emploi durable.",
	offer.KindAI:   "Association intermédiaire : des missions de travail auprès de particuliers, d'associations et d'entreprises.",
	offer.KindETTI: "Entreprise de travail temporaire d'insertion : des missions d'intérim accompagnées chez nos entreprises clientes.",
	offer.KindEITI: "Entreprise d'insertion par le travail indépendant : lancez votre activité avec un accompagnement.",
	offer.KindGEIQ: "Groupement d'employeurs : un contrat en alternance et une qualification reconnue dans nos entreprises adhérentes.",
}

const support = "Accompagnement socioprofessionnel individuel, aide aux démarches (logement, mobilité, santé), formation en situation de travail."

// picker draws communes in proportion to population.
type picker struct {
	communes []refdata.Commune
	cum      []int64
}

func (p *picker) add(c refdata.Commune) {
	var last int64
	if len(p.cum) > 0 {
		last = p.cum[len(p.cum)-1]
	}
	p.communes = append(p.communes, c)
	p.cum = append(p.cum, last+int64(max(1, c.Population)))
}

func (p *picker) pick(r *rand.Rand) refdata.Commune {
	n := r.Int64N(p.cum[len(p.cum)-1])
	i, _ := slices.BinarySearch(p.cum, n+1)
	return p.communes[i]
}

// Places draws communes in proportion to population, nationally or within a département. It
// leaves out communes without a centre and the three communes rebuilt from their
// arrondissements (whose arrondissements are drawn instead).
type Places struct {
	all   picker
	byDep map[string]*picker
}

// NewPlaces indexes the reference communes.
func NewPlaces(places *refdata.Data) *Places {
	derived := places.DerivedCommunes()
	p := &Places{byDep: map[string]*picker{}}
	for c := range places.Communes() {
		if !c.HasCoords || slices.Contains(derived, c.Code) {
			continue
		}
		p.all.add(c)
		d := p.byDep[c.Departement]
		if d == nil {
			d = &picker{}
			p.byDep[c.Departement] = d
		}
		d.add(c)
	}
	return p
}

// Pick draws a commune, weighted by population.
func (p *Places) Pick(r *rand.Rand) refdata.Commune { return p.all.pick(r) }

// PickIn draws a commune of a département, weighted by population.
func (p *Places) PickIn(r *rand.Rand, dep string) refdata.Commune {
	if d := p.byDep[dep]; d != nil {
		return d.pick(r)
	}
	return p.all.pick(r)
}

// Uniform draws any commune with a centre, each as likely.
func (p *Places) Uniform(r *rand.Rand) refdata.Commune {
	return p.all.communes[r.IntN(len(p.all.communes))]
}

// NewRand returns the generator's random source for a seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// id makes a UUIDv7 from an instant and the random source, so that ids are deterministic and
// still sort by creation like real ones.
func id(r *rand.Rand, at time.Time) uuid.UUID {
	var u uuid.UUID
	ms := uint64(at.UnixMilli())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	binary.BigEndian.PutUint16(u[6:], uint16(r.Uint32()))
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}

// siret completes a 13-digit base with its Luhn check digit.
func siret(base string) string {
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic("offertest: no check digit for " + base)
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func slug(s string) string {
	s = refdata.Normalize(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }), "-")
}

// Generate makes a dataset. It panics only on a broken reference data set.
func Generate(places *refdata.Data, o Options) Dataset {
	if o.Structures <= 0 {
		o.Structures = 100
	}
	if o.JobDescriptions < 0 {
		o.JobDescriptions = 0
	} else if o.JobDescriptions == 0 {
		o.JobDescriptions = 5 * o.Structures
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	}
	now := o.Now.UTC().Truncate(time.Microsecond)
	today := database.ParisDate(now)
	r := NewRand(o.Seed)
	where := NewPlaces(places)
	appellations := map[string][]refdata.Appellation{}
	for kind, romes := range romesByKind {
		for _, rome := range romes {
			appellations[kind] = append(appellations[kind], places.AppellationsOfRome(rome)...)
		}
		if len(appellations[kind]) == 0 {
			panic("offertest: no appellation for " + kind)
		}
	}
	ds := Dataset{Now: now}
	totalShare := 0
	for _, k := range kindShares {
		totalShare += k.share
	}
	// SIRET bases 9SSSNNNNNNNNN: datasets of different seeds (modulo 1,000) can share a database.
	siretBase := 9_000_000_000_000 + int64(o.Seed%1000)*1_000_000_000
	for i := range o.Structures {
		created := now.Add(-days(30 + r.IntN(2000)))
		st := offer.Structure{ID: id(r, created), CreatedAt: created, UpdatedAt: created.Add(days(r.IntN(30))), Searchable: true}
		n := r.IntN(totalShare)
		for _, k := range kindShares {
			if n < k.share {
				st.Kind = k.kind
				break
			}
			n -= k.share
		}
		var c refdata.Commune
		// About one SIAE in sixteen is an antenna of an earlier structure of its kind, nearby.
		if offer.IsSIAE(st.Kind) && i > 20 && r.IntN(16) == 0 {
			for range 10 {
				parent := ds.Structures[r.IntN(len(ds.Structures))]
				if parent.Kind == st.Kind && !parent.IsAntenna() {
					st.ParentID, st.Convention = parent.ID, parent.Convention
					c = where.PickIn(r, parent.Departement)
					break
				}
			}
		}
		if c.Code == "" {
			c = where.Pick(r)
		}
		st.CommuneCode, st.Departement = c.Code, c.Departement
		st.SIRET = siret(fmt.Sprintf("%013d", siretBase+int64(i)))
		patterns := namePatterns[st.Kind]
		placeName := c.Name
		if st.Kind == offer.KindGEIQ {
			if d, ok := places.Departement(c.Departement); ok {
				placeName = d.Name
			}
		}
		st.Name = fmt.Sprintf(patterns[r.IntN(len(patterns))], placeName)
		if r.IntN(10) < 3 {
			st.Brand = brands[r.IntN(len(brands))]
		}
		st.AddressLine1 = fmt.Sprintf("%d %s", 1+r.IntN(120), streets[r.IntN(len(streets))])
		if len(c.Postcodes) > 0 {
			st.Postcode = c.Postcodes[0]
		}
		st.Lat, st.Lng, st.HasPosition = c.Lat, c.Lng, true
		if r.IntN(10) < 3 {
			// A geocoded address: within about two kilometres of the centre.
			st.Lat += (r.Float64() - 0.5) * 0.036
			st.Lng += (r.Float64() - 0.5) * 0.05
			st.PositionPrecise = true
		}
		st.Phone = fmt.Sprintf("0%d%08d", 1+r.IntN(5), r.IntN(100_000_000))
		domain := slug(st.Name) + ".example"
		st.Email = "contact@" + domain
		if r.IntN(10) < 4 {
			st.Website = "https://www." + domain
		}
		st.Description, st.ProvidedSupport = descriptions[st.Kind], support
		if offer.IsSIAE(st.Kind) && !st.IsAntenna() {
			st.Convention = convention(r, st, c, today, i)
			if st.Convention.Number != "" {
				ds.Conventions = append(ds.Conventions, st.Convention)
			}
		}
		st.BlockApplications = r.IntN(20) == 0
		st.Searchable = r.IntN(100) != 0
		if r.IntN(100) == 0 {
			st.OrgDeactivatedAt = now.Add(-days(1 + r.IntN(300)))
		}
		if r.IntN(10) < 4 {
			st.SpontaneousOpenSince = now.Add(-days(r.IntN(120)) - time.Duration(r.IntN(86400))*time.Second)
		}
		ds.Structures = append(ds.Structures, st)
		if !o.NoMembers {
			ds.members(r, st, i)
		}
	}
	ds.jobDescriptions(r, o.JobDescriptions, places, where, appellations)
	return ds
}

// convention draws a convention: mostly valid, some in their 30 days of grace, some expired,
// a few structures without one.
func convention(r *rand.Rand, st offer.Structure, c refdata.Commune, today database.Date, i int) offer.Convention {
	var ends database.Date
	switch n := r.IntN(100); {
	case n < 82:
		ends = today.AddDays(30 + r.IntN(700))
	case n < 88:
		ends = today.AddDays(-1 - r.IntN(offer.ConventionGraceDays))
	case n < 96:
		ends = today.AddDays(-offer.ConventionGraceDays - 1 - r.IntN(400))
	default:
		return offer.Convention{}
	}
	return offer.Convention{ID: id(r, st.CreatedAt), Number: fmt.Sprintf("%s%s%06d", st.Kind, c.Departement, i),
		StartsOn: ends.AddDays(-365 * (1 + r.IntN(3))), EndsOn: ends}
}

// members gives most structures one to three employers, the first admin; a few have only
// former members.
func (ds *Dataset) members(r *rand.Rand, st offer.Structure, i int) {
	n := r.IntN(100)
	if n < 12 {
		return
	}
	active := n >= 15
	count := 1 + r.IntN(3)
	for k := range count {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		u := User{ID: id(r, st.CreatedAt), FirstName: first, LastName: last,
			Email: fmt.Sprintf("%s.%s.%d.%d@employeurs.example", slug(first), slug(last), i, k)}
		ds.Users = append(ds.Users, u)
		ds.Memberships = append(ds.Memberships, Membership{OrgID: st.ID, UserID: u.ID, Admin: active && k == 0, Active: active})
	}
}

func (ds *Dataset) jobDescriptions(r *rand.Rand, n int, places *refdata.Data, where *Places, appellations map[string][]refdata.Appellation) {
	if len(ds.Structures) == 0 {
		return
	}
	per := make([][]int, len(ds.Structures))
	for j := range n {
		s := r.IntN(len(ds.Structures))
		per[s] = append(per[s], j)
	}
	for s, list := range per {
		st := ds.Structures[s]
		for rank := range list {
			apps := appellations[st.Kind]
			a := apps[r.IntN(len(apps))]
			updated := ds.Now.Add(-days(r.IntN(130)) - time.Duration(r.IntN(86400))*time.Second)
			created := updated.Add(-days(r.IntN(200)))
			if created.Before(st.CreatedAt) {
				created = st.CreatedAt
				if updated.Before(created) {
					updated = created
				}
			}
			contracts := offer.ContractTypesFor(st.Kind)
			contract := contracts[0]
			if r.IntN(4) == 0 {
				contract = contracts[r.IntN(len(contracts))]
			}
			c, _ := places.Commune(st.CommuneCode)
			if r.IntN(5) == 0 {
				c = where.PickIn(r, st.Departement)
			}
			jd := offer.JobDescription{ID: id(r, created), StructureID: st.ID, AppellationCode: a.Code, RomeCode: a.Rome,
				AppellationLabel: a.Label, ContractType: contract, CommuneCode: c.Code, Departement: c.Departement,
				HoursPerWeek: 20 + r.IntN(16), OpenPositions: 1 + r.IntN(5), CVRequired: r.IntN(5) == 0,
				Active: true, Rank: rank + 1, CreatedAt: created, UpdatedAt: updated,
				Description:     "Au sein d'une équipe encadrée, vous participez aux activités de la structure et bénéficiez d'un accompagnement.",
				ExpectedProfile: "Motivation et ponctualité ; aucune expérience exigée."}
			jd.Lat, jd.Lng, jd.HasPosition = c.Lat, c.Lng, c.HasCoords
			if st.Kind == offer.KindETTI {
				jd.HoursPerWeek = 35
			}
			if r.IntN(10) < 3 {
				jd.OpenPositions = 0
			}
			if r.IntN(10) < 3 {
				jd.CustomTitle = a.Label + " (H/F)"
				if len([]rune(jd.CustomTitle)) > offer.MaxTitle {
					jd.CustomTitle = ""
				}
			}
			if r.IntN(100) < 15 {
				jd.Active = false
				jd.DeactivatedAt = updated
				jd.DeactivationReason = "employer"
			}
			ds.JobDescriptions = append(ds.JobDescriptions, jd)
		}
	}
}
