package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

// peopleOptions size the job seekers and applications the seed adds to the registry.
type peopleOptions struct {
	jobSeekers, applications, prescribers int
	// untouched is the share of applications older than 60 days still new or processing: the
	// backlog the first run of the automatic refusal finds.
	untouched float64
	seed      uint64
}

// The words the generator draws from: enough for lists that look real, never real people.
var (
	seekerFirst = []string{"Karim", "Nadia", "Julien", "Sophie", "Yanis", "Inès", "Mamadou", "Aïcha", "Kevin", "Laura", "Mehdi", "Sarah",
		"Thomas", "Fatou", "Dylan", "Chloé", "Moussa", "Léa", "Bilal", "Manon", "Jordan", "Océane", "Sofiane", "Camille", "Ibrahima",
		"Émilie", "Anthony", "Amina", "Jérémy", "Justine", "Hamza", "Marine", "Mohamed", "Élodie", "Steven", "Aurélie", "Youssef", "Céline"}
	seekerLast = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
		"Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Diallo", "Traoré",
		"Benali", "Haddad", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Nguyen", "Camara", "Rousseau", "Blanc"}
	foreignBirth = []string{"MA", "DZ", "TN", "SN", "ML", "PT", "RO", "TR", "CI", "CM", "AF", "SY", "UA"}
	educations   = []string{"0", "1_2", "1_2", "3", "3", "3", "4", "4", "5", "6"}
	durations    = []string{"lt6", "6_11", "12_23", "24_plus"}
	needs        = []jobseeker.Need{jobseeker.NeedAdministrative, jobseeker.NeedFinancial, jobseeker.NeedMobility, jobseeker.NeedHousing,
		jobseeker.NeedHealth, jobseeker.NeedIsolation, jobseeker.NeedBasicSkills, jobseeker.NeedFamily}
	needComments = []string{"", "", "Pas de permis de conduire", "Hébergé chez un tiers", "Garde d'enfants le matin", "Dettes en cours de traitement"}
	messages     = []string{"Je suis motivé et disponible immédiatement.", "Bonjour, je vous adresse la candidature de la personne que j'accompagne : elle a déjà travaillé dans ce domaine.",
		"Disponible du lundi au vendredi, permis B.", "Personne suivie depuis six mois, projet professionnel validé.", ""}
	refusalReasons = []application.RefusalReason{application.ReasonDidNotCome, application.ReasonHiredElsewhere, application.ReasonNonEligible,
		application.ReasonLackingSkills, application.ReasonIncompatible, application.ReasonNoPosition, application.ReasonOther}
	// prescriberKinds is a plausible national mix of prescribing organisations.
	prescriberKinds = []struct {
		kind   string
		share  int
		habil  string
		prefix string
	}{{"FT", 45, "VALIDATED", "France Travail"}, {"ML", 22, "VALIDATED", "Mission locale"}, {"DEPT", 8, "VALIDATED", "Conseil départemental"},
		{"CAP_EMPLOI", 5, "VALIDATED", "Cap emploi"}, {"CCAS", 12, "NOT_SET", "CCAS"}, {"AUTRE", 8, "NOT_REQUIRED", "Association"}}
)

// prescriber is a generated prescribing organisation and its advisers' accounts.
type prescriber struct {
	id          uuid.UUID
	authorized  bool
	departement string
	users       []uuid.UUID
}

// target is a structure that receives applications, with its job descriptions and a member
// who sends, when the structure itself applies for someone elsewhere.
type target struct {
	id      uuid.UUID
	jobs    []uuid.UUID
	members []uuid.UUID
	kind    string
}

// weighted draws structures with a heavy tail: a few big ones (ETTI, AI) receive thousands of
// applications, most a few hundred, as nationally.
type weighted struct {
	items []int
	cum   []float64
}

func (w *weighted) add(i int, weight float64) {
	w.items = append(w.items, i)
	total := weight
	if n := len(w.cum); n > 0 {
		total += w.cum[n-1]
	}
	w.cum = append(w.cum, total)
}

func (w *weighted) pick(r *rand.Rand) int {
	x := r.Float64() * w.cum[len(w.cum)-1]
	return w.items[sort.SearchFloat64s(w.cum, x)]
}

// world is what the people are generated against.
type world struct {
	now         time.Time
	where       *offertest.Places
	targets     []target
	national    *weighted
	byDep       map[string]*weighted
	prescribers []prescriber
	presByDep   map[string][]int
	employers   []int // targets with members, who may send for someone else
}

func newWorld(places *refdata.Data, ds offertest.Dataset, pres []prescriber, r *rand.Rand) *world {
	w := &world{now: ds.Now, where: offertest.NewPlaces(places), national: &weighted{}, byDep: map[string]*weighted{},
		prescribers: pres, presByDep: map[string][]int{}}
	index := map[uuid.UUID]int{}
	for i, st := range ds.Structures {
		index[st.ID] = i
		w.targets = append(w.targets, target{id: st.ID, kind: st.Kind})
		weight := math.Min(60, 1/math.Pow(1-r.Float64(), 0.9)) // Pareto, capped at 60 times the smallest
		if st.Kind == offer.KindETTI || st.Kind == offer.KindAI {
			weight *= 2
		}
		w.national.add(i, weight)
		d := w.byDep[st.Departement]
		if d == nil {
			d = &weighted{}
			w.byDep[st.Departement] = d
		}
		d.add(i, weight)
	}
	for _, j := range ds.JobDescriptions {
		if i, ok := index[j.StructureID]; ok && j.Active {
			w.targets[i].jobs = append(w.targets[i].jobs, j.ID)
		}
	}
	for _, m := range ds.Memberships {
		if i, ok := index[m.OrgID]; ok && m.Active {
			w.targets[i].members = append(w.targets[i].members, m.UserID)
		}
	}
	for i, t := range w.targets {
		if len(t.members) > 0 {
			w.employers = append(w.employers, i)
		}
	}
	for i, p := range pres {
		w.presByDep[p.departement] = append(w.presByDep[p.departement], i)
	}
	return w
}

// makePrescribers generates the prescribing organisations and their advisers.
func makePrescribers(n int, places *refdata.Data, now time.Time, r *rand.Rand) ([]prescriber, [][]any, [][]any, [][]any) {
	where := offertest.NewPlaces(places)
	var out []prescriber
	var orgs, users, members [][]any
	total := 0
	for _, k := range prescriberKinds {
		total += k.share
	}
	for i := range n {
		x := r.IntN(total)
		k := prescriberKinds[0]
		for _, c := range prescriberKinds {
			if x < c.share {
				k = c
				break
			}
			x -= c.share
		}
		c := where.Pick(r)
		created := now.Add(-time.Duration(400+r.IntN(1500)) * 24 * time.Hour)
		p := prescriber{id: newID(r, created), authorized: k.habil == "VALIDATED", departement: c.Departement}
		orgs = append(orgs, []any{p.id, k.kind, "prescriber", k.prefix + " " + c.Name, c.Code, c.Departement, k.habil, created, created})
		for u := range 1 + r.IntN(5) {
			id := newID(r, created)
			first, last := seekerFirst[r.IntN(len(seekerFirst))], seekerLast[r.IntN(len(seekerLast))]
			users = append(users, []any{id, "professional", fmt.Sprintf("conseiller.%d.%d@prescripteurs.example", i, u), created, first, last,
				created, created, now})
			members = append(members, []any{p.id, id, u == 0, true, created, created})
			p.users = append(p.users, id)
		}
		out = append(out, p)
	}
	return out, orgs, users, members
}

// newID makes a UUIDv7 of the instant from the random source: deterministic, and sorted by
// creation like real ones.
func newID(r *rand.Rand, at time.Time) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	binary.BigEndian.PutUint16(u[6:], uint16(r.Uint32()))
	ms := uint64(at.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}

// nir makes the i-th NIR, unique for i under 94 million: sex, birth year and month from the
// person, then a département, commune and order number taken from i, then the key.
func nir(i int, c jobseeker.Civility, born database.Date) string {
	sex := 1
	if c == jobseeker.Madame {
		sex = 2
	}
	dep := i/989010%95 + 1
	if dep >= 20 {
		dep++ // no 20: Corsica is 2A and 2B
	}
	body := fmt.Sprintf("%d%02d%02d%02d%03d%03d", sex, born.Year%100, int(born.Month), dep, i/999%990+1, i%999+1)
	n, _ := strconv.ParseUint(body, 10, 64)
	return fmt.Sprintf("%s%02d", body, 97-n%97)
}

// chunk is what one transaction of the load writes.
type chunk struct {
	keys, users, seekers, followers, apps, appJobs, transitions [][]any
	people, applications                                        int
}

var (
	userColumns       = []string{"id", "kind", "email", "email_verified_at", "first_name", "last_name", "created_at", "updated_at", "last_activity_at"}
	followerColumns   = []string{"job_seeker_id", "org_id", "user_id", "since", "last_action", "last_action_at"}
	appJobColumns     = []string{"application_id", "job_description_id", "created_at"}
	transitionColumns = []string{"id", "application_id", "transition", "from_state", "to_state", "at", "user_id", "org_id"}
)

// generator makes the people chunk by chunk, each person with their applications, each sealed
// under the person's own key (crypto.Bulk).
type generator struct {
	w    *world
	o    peopleOptions
	r    *rand.Rand
	env  *crypto.Envelope
	made int // applications made so far
}

func (g *generator) chunk(ctx context.Context, q database.Querier, from, to int) (chunk, error) {
	b, err := g.env.NewBulk(ctx, q)
	if err != nil {
		return chunk{}, err
	}
	var c chunk
	for i := from; i < to; i++ {
		if err := g.person(b, &c, i); err != nil {
			return c, err
		}
	}
	for _, k := range b.Keys() {
		c.keys = append(c.keys, k.Row())
	}
	return c, nil
}

const day = 24 * time.Hour

func (g *generator) person(b *crypto.Bulk, c *chunk, i int) error {
	r, w := g.r, g.w
	// People arrive in order over three years (two weeks of jitter), so that the tables are
	// written in time order, as the platform writes them: a job or a list that walks recent
	// rows reads neighbouring pages, not the whole file.
	span := 3 * 365 * day
	created := w.now.Add(-span + time.Duration(float64(span)*float64(i)/float64(g.o.jobSeekers)) + time.Duration(r.Int64N(int64(14*day))) - 7*day)
	if latest := w.now.Add(-time.Hour); created.After(latest) {
		created = latest
	}
	home := w.where.Pick(r)
	j := jobseeker.JobSeeker{ID: newID(r, created), CreatedAt: created, UpdatedAt: created}
	p := &j.Profile
	p.Civility = jobseeker.Monsieur
	if r.IntN(2) == 0 {
		p.Civility = jobseeker.Madame
	}
	p.FirstNames, p.BirthName = seekerFirst[r.IntN(len(seekerFirst))], seekerLast[r.IntN(len(seekerLast))]
	p.BirthDate = database.DateOf(w.now.AddDate(-18-r.IntN(45), 0, -r.IntN(365)))
	if r.IntN(100) < 85 {
		birth := w.where.Pick(r)
		p.BornInFrance, p.BirthCommune = true, birth.Code
	} else {
		p.BirthCountry = foreignBirth[r.IntN(len(foreignBirth))]
	}
	if r.IntN(100) < 92 {
		p.NIR = nir(i, p.Civility, p.BirthDate)
	} else {
		p.NoNIRReason = jobseeker.NoNIR
	}
	if r.IntN(100) < 70 {
		p.FTID = fmt.Sprintf("%07d%c", i%10_000_000, 'A'+rune(i/10_000_000%26))
	} else {
		p.NoFTIDReason = jobseeker.NoFTIDReason("not_registered")
	}
	p.CommuneCode = home.Code
	if len(home.Postcodes) > 0 {
		p.Postcode = home.Postcodes[0]
	}
	p.Address = fmt.Sprintf("%d %s", 1+r.IntN(120), []string{"rue de la Gare", "avenue de la République", "allée des Tilleuls", "rue Pasteur"}[r.IntN(4)])
	p.Phone = fmt.Sprintf("06%08d", r.IntN(100_000_000))
	p.Education = educations[r.IntN(len(educations))]
	if r.IntN(100) < 35 {
		p.RSA, p.RSADuration = "non_majore", durations[r.IntN(len(durations))]
	}
	if r.IntN(100) < 25 {
		p.ARE = durations[r.IntN(len(durations))]
	}
	p.Needs = jobseeker.SupportNeeds{}
	for range r.IntN(4) {
		p.Needs[needs[r.IntN(len(needs))]] = needComments[r.IntN(len(needComments))]
	}
	// 40 % signed up alone (they have an account), the others were created by a prescriber of
	// their département.
	var pres *prescriber
	var presUser uuid.UUID
	if r.IntN(100) < 40 {
		j.UserID = newID(r, created)
		email := fmt.Sprintf("candidat.%d@candidats.example", i)
		p.Email = email
		c.users = append(c.users, []any{j.UserID, "job_seeker", email, created, p.FirstNames, p.BirthName, created, created, created})
	} else {
		local := w.presByDep[home.Departement]
		k := r.IntN(len(w.prescribers))
		if len(local) > 0 {
			k = local[r.IntN(len(local))]
		}
		pres = &w.prescribers[k]
		presUser = pres.users[r.IntN(len(pres.users))]
		j.CreatedByOrg = pres.id
		if r.IntN(100) < 60 {
			p.Email = fmt.Sprintf("personne.%d@candidats.example", i)
		}
		c.followers = append(c.followers, []any{j.ID, pres.id, presUser, created, "create", created})
	}
	creator := j.UserID
	if pres != nil {
		creator = presUser
	}
	row, err := jobseeker.LoadRow(b, j, creator)
	if err != nil {
		return err
	}
	c.seekers = append(c.seekers, row)
	c.people++

	// Applications: about the national mean per person, varied, the total exact at the end.
	remaining, people := g.o.applications-g.made, g.o.jobSeekers-i
	n := 0
	if people == 1 {
		n = remaining
	} else if mean := float64(remaining) / float64(people); mean > 0 {
		n = 1 + r.IntN(max(1, int(2*mean-1)))
		if mean < 1 && r.Float64() > mean {
			n = 0
		}
	}
	n = min(n, remaining)
	for range n {
		if err := g.application(b, c, j, home.Departement, pres, presUser); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) application(b *crypto.Bulk, c *chunk, j jobseeker.JobSeeker, dep string, pres *prescriber, presUser uuid.UUID) error {
	r, w := g.r, g.w
	var t *target
	if d := w.byDep[dep]; d != nil && r.IntN(100) < 75 {
		t = &w.targets[d.pick(r)]
	} else {
		t = &w.targets[w.national.pick(r)]
	}
	// Most applications go in the first months after the person's file was opened.
	span := min(w.now.Sub(j.CreatedAt), 120*day)
	created := j.CreatedAt.Add(time.Duration(r.Int64N(int64(span) + 1)))
	a := application.Application{ID: newID(r, created), JobSeekerID: j.ID, ToOrg: t.id, CreatedAt: created}
	switch x := r.IntN(100); {
	case pres != nil && x < 85, j.UserID == uuid.Nil && x < 92:
		if pres == nil {
			pres = &w.prescribers[r.IntN(len(w.prescribers))]
			presUser = pres.users[0]
		}
		a.SenderKind, a.SenderOrg, a.SenderUser, a.SenderAuthorized = application.SentByPrescriber, pres.id, presUser, pres.authorized
	case j.UserID != uuid.Nil && x < 90:
		a.SenderKind, a.SenderUser = application.SentByJobSeeker, j.UserID
	default:
		e := &w.targets[w.employers[r.IntN(len(w.employers))]]
		a.SenderKind, a.SenderOrg, a.SenderUser = application.SentByEmployer, e.id, e.members[0]
		if e.id == t.id {
			a.SelfHire = true
		}
	}
	if len(t.jobs) > 0 && r.IntN(100) < 75 {
		a.JobDescriptions = append(a.JobDescriptions, t.jobs[r.IntN(len(t.jobs))])
		if k := t.jobs[r.IntN(len(t.jobs))]; r.IntN(100) < 15 && k != a.JobDescriptions[0] {
			a.JobDescriptions = append(a.JobDescriptions, k)
		}
	}
	if r.IntN(100) < 70 {
		a.Message = messages[r.IntN(len(messages))]
	}
	// Where it stands: recent ones still wait, older ones were answered, but for a backlog
	// left untouched (new or processing for more than 60 days).
	age := w.now.Sub(created)
	touched := created.Add(time.Duration(r.Int64N(int64(min(age, 45*day)) + 1)))
	x := r.Float64()
	switch {
	case age < 60*day:
		a.State = pickState(x, []float64{0.40, 0.25, 0.10, 0.10, 0.15}, application.New, application.Processing, application.Postponed,
			application.Accepted, application.Refused)
	case x < g.o.untouched:
		a.State, touched = application.New, created
		if r.IntN(3) == 0 {
			a.State, touched = application.Processing, created.Add(time.Duration(r.Int64N(int64(20*day))))
		}
	default:
		a.State = pickState(r.Float64(), []float64{0.20, 0.57, 0.12, 0.03, 0.05, 0.03}, application.Accepted, application.Refused,
			application.Obsolete, application.Cancelled, application.Postponed, application.Pool)
	}
	if a.SelfHire {
		a.State = application.Accepted
	}
	a.UpdatedAt = touched
	from := application.New
	switch a.State {
	case application.Accepted:
		start := database.DateOf(clock.DateOf(touched).AddDate(0, 0, 7))
		ct := offer.ContractTypesFor(t.kind)
		a.Hire = application.Hire{Start: start, End: start.AddDays(120 + r.IntN(240)), ContractType: ct[r.IntN(len(ct))],
			HoursPerWeek: 20 + r.IntN(16), SalaryCents: 140_000 + r.IntN(60_000)}
		a.ProcessedAt = touched
	case application.Refused:
		a.RefusalReason = refusalReasons[r.IntN(len(refusalReasons))]
		a.Answer = "Nous ne pouvons pas donner suite à votre candidature pour le moment."
		a.ReasonShared = r.IntN(2) == 0
		a.ProcessedAt = touched
	case application.Obsolete, application.Cancelled:
		a.ProcessedAt = touched
	}
	row, err := application.LoadRow(b, a)
	if err != nil {
		return err
	}
	c.apps = append(c.apps, row)
	for _, jd := range a.JobDescriptions {
		c.appJobs = append(c.appJobs, []any{a.ID, jd, a.CreatedAt})
	}
	c.transitions = append(c.transitions, []any{newID(r, created), a.ID, "send", "", "new", created, database.NullUUID(a.SenderUser),
		database.NullUUID(a.SenderOrg)})
	if a.State != application.New {
		var actor any
		if len(t.members) > 0 {
			actor = t.members[0]
		}
		tr := map[application.State]string{application.Processing: "process", application.Postponed: "postpone", application.Accepted: "accept",
			application.Refused: "refuse", application.Obsolete: "render_obsolete", application.Cancelled: "cancel", application.Pool: "add_to_pool"}[a.State]
		if a.State == application.Cancelled {
			from = application.Accepted
		}
		c.transitions = append(c.transitions, []any{newID(r, touched), a.ID, tr, string(from), string(a.State), touched, actor, t.id})
	}
	c.applications++
	g.made++
	return nil
}

func pickState(x float64, shares []float64, states ...application.State) application.State {
	for i, s := range shares {
		if x < s {
			return states[i]
		}
		x -= s
	}
	return states[len(states)-1]
}

// loader writes rows: COPY on PostgreSQL, multi-row INSERTs on SQLite, one transaction per
// chunk either way.
type loader struct {
	db *database.DB
}

// sqliteParams is under SQLite's limit of 32,766 parameters per statement. The statements use
// "?": SQLite looks "$N" names up one by one, which is quadratic in the number of parameters.
const sqliteParams = 32000

type table struct {
	name string
	cols []string
	rows [][]any
}

func (c chunk) tables() []table {
	return []table{{"subject_keys", crypto.SubjectKeyColumns, c.keys}, {"users", userColumns, c.users},
		{"job_seekers", jobseeker.LoadColumns, c.seekers}, {"job_seeker_followers", followerColumns, c.followers},
		{"applications", application.LoadColumns, c.apps}, {"application_jobs", appJobColumns, c.appJobs},
		{"application_transitions", transitionColumns, c.transitions}}
}

func (l loader) write(ctx context.Context, tables []table) error {
	if l.db.Engine() == database.Postgres {
		return l.copy(ctx, tables)
	}
	return l.db.WithTx(ctx, func(tx *sql.Tx) error {
		for _, t := range tables {
			per := max(1, sqliteParams/len(t.cols))
			for start := 0; start < len(t.rows); start += per {
				rows := t.rows[start:min(len(t.rows), start+per)]
				var b strings.Builder
				b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
				args := make([]any, 0, len(rows)*len(t.cols))
				for i, row := range rows {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteByte('(')
					for k, v := range row {
						if k > 0 {
							b.WriteString(", ")
						}
						args = append(args, v)
						b.WriteByte('?')
					}
					b.WriteByte(')')
				}
				if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
					return fmt.Errorf("insertion dans %s : %w", t.name, err)
				}
			}
		}
		return nil
	})
}

// copy writes the chunk with COPY, in one transaction of the pgx connection under database/sql.
func (l loader) copy(ctx context.Context, tables []table) error {
	pool, ok := l.db.Writer().(*sql.DB)
	if !ok {
		return fmt.Errorf("COPY : pool PostgreSQL inattendu (%T)", l.db.Writer())
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, t := range tables {
			if len(t.rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("COPY %s : %w", t.name, err)
			}
		}
		return tx.Commit(ctx)
	})
}

// chunkPeople is how many people (with their applications, about 3.3 each) one transaction writes.
const chunkPeople = 5000

// seedPeople adds the prescribers, the job seekers and their applications, generating a chunk
// while the previous one is written, and shows progress every few seconds.
func seedPeople(ctx context.Context, db *database.DB, env *crypto.Envelope, places *refdata.Data, ds offertest.Dataset, o peopleOptions) error {
	began := time.Now()
	r := offertest.NewRand(o.seed ^ 0xa991)
	pres, orgs, users, members := makePrescribers(o.prescribers, places, ds.Now, r)
	l := loader{db: db}
	if db.Engine() == database.SQLite {
		// A page cache of 1 GB on the writer's single connection: the indexes of a million rows
		// are read back at each insert, which the default 2 MB turns into system calls.
		if _, err := db.Writer().ExecContext(ctx, `PRAGMA cache_size = -1000000`); err != nil {
			return err
		}
	}
	err := l.write(ctx, []table{{"users", userColumns, users},
		{"organisations", []string{"id", "kind", "category", "name", "commune_code", "departement", "habilitation", "created_at", "updated_at"}, orgs},
		{"memberships", []string{"org_id", "user_id", "is_admin", "is_active", "joined_at", "updated_at"}, members}})
	if err != nil {
		return err
	}
	g := &generator{w: newWorld(places, ds, pres, r), o: o, r: r, env: env}
	type made struct {
		c   chunk
		err error
	}
	chunks := make(chan made, 2)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for from := 0; from < o.jobSeekers; from += chunkPeople {
			c, err := g.chunk(genCtx, db.Reader(), from, min(o.jobSeekers, from+chunkPeople))
			select {
			case chunks <- made{c, err}:
			case <-genCtx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	people, apps, rows := 0, 0, 0
	shown := time.Now()
	for m := range chunks {
		if m.err != nil {
			return m.err
		}
		tables := m.c.tables()
		if err := l.write(ctx, tables); err != nil {
			return err
		}
		people, apps = people+m.c.people, apps+m.c.applications
		for _, t := range tables {
			rows += len(t.rows)
		}
		if time.Since(shown) >= 3*time.Second || people == o.jobSeekers {
			shown = time.Now()
			elapsed := time.Since(began)
			rate := float64(apps) / elapsed.Seconds()
			left := time.Duration(float64(o.applications-apps) / max(rate, 1) * float64(time.Second))
			fmt.Fprintf(os.Stderr, "seed : %s/%s candidats, %s/%s candidatures (%d %%), %s lignes, %s candidatures/s, reste ~%s\n",
				thousands(people), thousands(o.jobSeekers), thousands(apps), thousands(o.applications), apps*100/max(1, o.applications),
				thousands(rows), thousands(int(rate)), left.Round(time.Second))
		}
	}
	loaded := time.Since(began)
	analyze := "ANALYZE "
	if db.Engine() == database.Postgres {
		analyze = "VACUUM (ANALYZE) "
	}
	for _, t := range []string{"subject_keys", "users", "organisations", "memberships", "job_seekers", "job_seeker_followers", "applications",
		"application_jobs", "application_transitions"} {
		if _, err := db.Writer().ExecContext(ctx, analyze+t); err != nil {
			return fmt.Errorf("%s%s : %w", analyze, t, err)
		}
	}
	fmt.Printf("%s : %d prescripteurs, %s candidats, %s candidatures (%s lignes) ; chargés en %s (%s candidatures/s), %s en %s.\n",
		db.Where(), len(pres), thousands(people), thousands(apps), thousands(rows), loaded.Round(time.Second),
		thousands(int(float64(apps)/loaded.Seconds())), strings.TrimSpace(analyze), (time.Since(began) - loaded).Round(time.Second))
	return nil
}

// thousands writes n the French way: 1 000 000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// openLogin gives password to the first active member of the structure that received the most
// applications, with the current terms accepted, and returns the account's address.
func openLogin(ctx context.Context, db *database.DB, password string, now time.Time) (string, error) {
	hash, err := account.NewHasher(account.DefaultHashParams).Hash(ctx, password)
	if err != nil {
		return "", err
	}
	var email string
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		var user uuid.UUID
		if err := tx.QueryRowContext(ctx, `SELECT m.user_id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.is_active AND m.org_id = (SELECT to_org FROM applications GROUP BY to_org ORDER BY COUNT(*) DESC LIMIT 1)
			ORDER BY u.email LIMIT 1`).Scan(&user, &email); err != nil {
			return fmt.Errorf("membre de la structure qui a reçu le plus de candidatures : %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, password_changed_at = $3, terms_version = $4, terms_accepted_at = $3
			WHERE id = $1`, user, hash, now, account.CurrentTerms)
		return err
	})
	return email, err
}
