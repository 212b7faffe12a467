// Package platformtest builds the IAE domain services on a real database for the tests of the
// packages that need several of them (applications, eligibility, PASS IAE), and creates the
// records those tests start from: organisations and their members, structures with a job
// description, job seekers. Tests only: nothing outside _test files imports it.
package platformtest

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

// Password is every account's password.
const Password = "Correct-Cheval-Pile-42"

// BaseURL is the platform's address in mails and links.
const BaseURL = "https://parcours.test"

var loadPlaces = sync.OnceValues(refdata.Load)

// Platform holds the services, as package app wires them, on a fake clock set to 4 December
// 2026 at 9:00 UTC, with a staff member (MFA passed) to create what needs staff.
type Platform struct {
	DB          *database.DB
	Clock       *clock.Fake
	Env         *crypto.Envelope
	Guard       *access.Guard
	Accounts    *account.Service
	Orgs        *org.Service
	Offer       *offer.Service
	People      *jobseeker.Service
	Files       *files.Service
	Apps        *application.Service
	Eligibility *eligibility.Service
	Places      *refdata.Data
	Staff       access.Actor

	mu  sync.Mutex
	seq int
}

// New builds the services on db. The eligibility criteria are not loaded (EnsureCriteria) and
// no PASS IAE hook is set: the tests that need them do it.
func New(t testing.TB, db *database.DB) *Platform {
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
		Envelope: env, BaseURL: BaseURL, Guard: guard})
	p := &Platform{DB: db, Clock: clk, Env: env, Guard: guard, Accounts: accounts, Places: places,
		Orgs:  org.NewService(db, guard, clk, places, accounts, BaseURL),
		Offer: offer.NewService(db, clk, places, BaseURL)}
	p.Offer.SetOutbox(notify.Outbox{Envelope: env})
	p.People = jobseeker.NewService(db, guard, env, clk, places, accounts)
	p.Files = files.NewService(db, env, clk, files.Options{})
	p.Apps = application.NewService(db, guard, env, clk, p.Offer, p.People, p.Files, BaseURL)
	p.Eligibility = eligibility.NewService(db, guard, env, clk, p.People)
	u, err := accounts.CreateVerified(context.Background(), account.SignUp{Kind: access.Staff, Email: "staff@exemple.fr", Password: Password, FirstName: "S", LastName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	p.Staff = access.Actor{UserID: u.ID, Kind: access.Staff, MFA: true}
	return p
}

// Next returns a number not returned before (safe for parallel use).
func (p *Platform) Next() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return p.seq
}

// Today is the fake clock's day in Paris.
func (p *Platform) Today() database.Date { return database.ParisDate(p.Clock.Now()) }

// SIRET returns a valid SIRET not used before.
func (p *Platform) SIRET() string {
	base := fmt.Sprintf("8%012d", p.Next())
	for d := 0; d <= 9; d++ {
		if org.CheckSIRET(base+strconv.Itoa(d)) == nil {
			return base + strconv.Itoa(d)
		}
	}
	panic("no SIRET")
}

// Professional creates an account, makes it an admin of orgID and returns it acting for it.
func (p *Platform) Professional(t testing.TB, email string, orgID uuid.UUID) access.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := p.Accounts.CreateVerified(ctx, account.SignUp{Kind: access.Professional, Email: email, Password: Password, FirstName: "Prénom", LastName: "Nom"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Orgs.StaffAddMember(ctx, p.Staff, orgID, email, true); err != nil {
		t.Fatal(err)
	}
	a, _, err := p.Orgs.Actor(ctx, u, orgID, false)
	if err != nil || a.OrgID != orgID {
		t.Fatalf("actor: %+v %v", a, err)
	}
	return a
}

// Structure registers an SIAE of that kind (or a GEIQ) in Lyon with a convention running from
// 100 days ago to 3,000 days ahead (none for a GEIQ; tests move the clock years ahead), an
// employer member, and one active job description.
func (p *Platform) Structure(t testing.TB, kind, email string) (offer.Structure, access.Actor, offer.JobDescription) {
	t.Helper()
	ctx := context.Background()
	today := p.Today()
	e := offer.RegistryEntry{SIRET: p.SIRET(), Kind: kind, Name: kind + " " + email, CommuneCode: "69381"}
	if kind != offer.KindGEIQ {
		e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = fmt.Sprintf("CONV-%d", p.Next()), today.AddDays(-100), today.AddDays(3000)
	}
	r, err := p.Offer.SaveRegistryEntry(ctx, p.Staff, e)
	if err != nil {
		t.Fatal(err)
	}
	emp := p.Professional(t, email, r.Structure.ID)
	jd, err := p.Offer.CreateJobDescription(ctx, emp, r.Structure.ID, offer.JobDescriptionInput{
		AppellationCode: p.Places.AppellationsOfRome("A1203")[0].Code, ContractType: offer.ContractTypesFor(kind)[0],
		HoursPerWeek: 26, OpenPositions: 2, Description: "Entretien des espaces verts"})
	if err != nil {
		t.Fatal(err)
	}
	return r.Structure, emp, jd
}

// Prescriber creates a prescriber organisation (a CCAS), authorised by staff or not, and a
// member acting for it.
func (p *Platform) Prescriber(t testing.TB, email string, authorised bool) access.Actor {
	t.Helper()
	o, err := p.Orgs.Create(context.Background(), p.Staff, org.NewOrganisation{Kind: "CCAS", Name: "CCAS " + email, SIRET: p.SIRET(), CommuneCode: "69266", Habilitated: true})
	if err != nil {
		t.Fatal(err)
	}
	if authorised {
		if err := p.Orgs.DecideHabilitation(context.Background(), p.Staff, o.ID, org.Validated, "Vérifié"); err != nil {
			t.Fatal(err)
		}
	}
	return p.Professional(t, email, o.ID)
}

// Person creates a job seeker's file by proxy (born in Lyon in May 1990, no NIR, not
// registered at France Travail); email may be empty.
func (p *Platform) Person(t testing.TB, by access.Actor, first, last, email string) jobseeker.JobSeeker {
	t.Helper()
	pr := jobseeker.Profile{Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: last, FirstNames: first,
		BirthDate: database.Date{Year: 1990, Month: 5, Day: 1 + p.Next()%27}, BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, Email: email, CommuneCode: "69266"}
	j, err := p.People.Create(context.Background(), by, jobseeker.CreateInput{Profile: pr, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}
