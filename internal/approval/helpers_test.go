package approval_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/eligibility"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/notify"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

const pw = "Correct-Cheval-Pile-42"

var loadPlaces = sync.OnceValues(refdata.Load)

type fixture struct {
	db       *database.DB
	clock    *clock.Fake
	env      *crypto.Envelope
	accounts *account.Service
	orgs     *org.Service
	offer    *offer.Service
	people   *jobseeker.Service
	apps     *application.Service
	elig     *eligibility.Service
	files    *files.Service
	svc      *approval.Service
	places   *refdata.Data
	staff    access.Actor
	mu       sync.Mutex
	seq      int
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	places, err := loadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	kr, err := crypto.NewKeyring(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	f := &fixture{db: db, clock: clk, env: env, accounts: accounts, places: places,
		orgs:  org.NewService(db, guard, clk, places, accounts, "https://parcours.test"),
		offer: offer.NewService(db, clk, places, "https://parcours.test")}
	f.offer.SetOutbox(notify.Outbox{Envelope: env})
	f.people = jobseeker.NewService(db, guard, env, clk, places, accounts)
	f.files = files.NewService(db, env, clk, files.Options{})
	f.apps = application.NewService(db, guard, env, clk, f.offer, f.people, f.files, "https://parcours.test")
	f.elig = eligibility.NewService(db, guard, env, clk, f.people)
	if err := f.elig.EnsureCriteria(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.svc = approval.NewService(db, guard, env, clk, f.people, f.files, "https://parcours.test")
	f.apps.SetHireHook(f.svc.Hook)
	f.elig.SetPASSCheck(approval.KeepsDiagnosis)
	u, err := accounts.CreateVerified(context.Background(), account.SignUp{Kind: access.Staff, Email: "staff@exemple.fr", Password: pw, FirstName: "S", LastName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	f.staff = access.Actor{UserID: u.ID, Kind: access.Staff, MFA: true}
	return f
}

func (f *fixture) next() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return f.seq
}

func (f *fixture) siret() string {
	base := fmt.Sprintf("8%012d", f.next())
	for d := 0; d <= 9; d++ {
		if org.CheckSIRET(base+strconv.Itoa(d)) == nil {
			return base + strconv.Itoa(d)
		}
	}
	panic("no SIRET")
}

func (f *fixture) professional(t testing.TB, email string, orgID uuid.UUID) access.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := f.accounts.CreateVerified(ctx, account.SignUp{Kind: access.Professional, Email: email, Password: pw, FirstName: "Prénom", LastName: "Nom"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.orgs.StaffAddMember(ctx, f.staff, orgID, email, true); err != nil {
		t.Fatal(err)
	}
	a, _, err := f.orgs.Actor(ctx, u, orgID, false)
	if err != nil || a.OrgID != orgID {
		t.Fatalf("actor: %+v %v", a, err)
	}
	return a
}

// structure registers an SIAE with a convention, an employer member and a job description.
func (f *fixture) structure(t testing.TB, kind, email string) (offer.Structure, access.Actor, offer.JobDescription) {
	t.Helper()
	ctx := context.Background()
	today := f.today()
	e := offer.RegistryEntry{SIRET: f.siret(), Kind: kind, Name: kind + " " + email, CommuneCode: "69381"}
	e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = fmt.Sprintf("CONV-%d", f.next()), today.AddDays(-100), today.AddDays(3000)
	r, err := f.offer.SaveRegistryEntry(ctx, f.staff, e)
	if err != nil {
		t.Fatal(err)
	}
	emp := f.professional(t, email, r.Structure.ID)
	jd, err := f.offer.CreateJobDescription(ctx, emp, r.Structure.ID, offer.JobDescriptionInput{
		AppellationCode: f.places.AppellationsOfRome("A1203")[0].Code, ContractType: offer.ContractTypesFor(kind)[0],
		HoursPerWeek: 26, OpenPositions: 2, Description: "Entretien des espaces verts"})
	if err != nil {
		t.Fatal(err)
	}
	return r.Structure, emp, jd
}

// prescriber creates a habilitated prescriber organisation and a member acting for it.
func (f *fixture) prescriber(t testing.TB, email string) access.Actor {
	t.Helper()
	o, err := f.orgs.Create(context.Background(), f.staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS " + email, SIRET: f.siret(), CommuneCode: "69266", Habilitated: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.orgs.DecideHabilitation(context.Background(), f.staff, o.ID, org.Validated, "Vérifié"); err != nil {
		t.Fatal(err)
	}
	return f.professional(t, email, o.ID)
}

// person creates a job seeker's file: identified (declared not registered at France Travail)
// or not (France Travail identifier forgotten, no NIR).
func (f *fixture) person(t testing.TB, by access.Actor, identified bool) jobseeker.JobSeeker {
	t.Helper()
	n := f.next()
	p := jobseeker.Profile{Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: fmt.Sprintf("Durand%c", 'a'+n%26), FirstNames: "Léa",
		BirthDate: database.Date{Year: 1960 + n%40, Month: time.Month(1 + n%12), Day: 1 + n%27}, BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}
	if !identified {
		p.NoFTIDReason = jobseeker.FTIDForgotten
	}
	j, err := f.people.Create(context.Background(), by, jobseeker.CreateInput{Profile: p, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// applyTo sends an application to a structure and returns its id.
func (f *fixture) applyTo(t testing.TB, by access.Actor, person uuid.UUID, st offer.Structure, jd offer.JobDescription) uuid.UUID {
	t.Helper()
	a, err := f.apps.Send(context.Background(), by, application.SendInput{JobSeekerID: person, StructureID: st.ID, JobDescriptions: []uuid.UUID{jd.ID},
		SelfHire: by.Role == access.Employer})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// diagnose makes a diagnosis (RSA: level 1).
func (f *fixture) diagnose(t testing.TB, by access.Actor, person uuid.UUID) {
	t.Helper()
	if _, err := f.elig.Make(context.Background(), by, person, []string{"RSA"}); err != nil {
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
	_, err := f.apps.Decide(context.Background(), emp, app, application.Accept, application.Decision{Hire: f.hire(kind, start)})
	return err
}

func (f *fixture) today() database.Date { return database.DateOf(clock.DateOf(f.clock.Now())) }

// advance moves the clock by days.
func (f *fixture) advance(days int) { f.clock.Advance(time.Duration(days) * 24 * time.Hour) }

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
