package application_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
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
	svc      *application.Service
	files    *files.Service
	places   *refdata.Data
	staff    access.Actor
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
	f.svc = application.NewService(db, guard, env, clk, f.offer, f.people, f.files, "https://parcours.test")
	u, err := accounts.CreateVerified(context.Background(), account.SignUp{Kind: access.Staff, Email: "staff@exemple.fr", Password: pw, FirstName: "S", LastName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	f.staff = access.Actor{UserID: u.ID, Kind: access.Staff, MFA: true}
	return f
}

func (f *fixture) siret() string {
	f.seq++
	base := fmt.Sprintf("8%012d", f.seq)
	for d := 0; d <= 9; d++ {
		if org.CheckSIRET(base+strconv.Itoa(d)) == nil {
			return base + strconv.Itoa(d)
		}
	}
	panic("no SIRET")
}

// professional creates an account and makes it a member of orgID, acting for it.
func (f *fixture) professional(t testing.TB, email string, orgID [16]byte) access.Actor {
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

// structure registers an SIAE of that kind with a convention, an employer member, and one
// active job description.
func (f *fixture) structure(t testing.TB, kind, email string) (offer.Structure, access.Actor, offer.JobDescription) {
	t.Helper()
	ctx := context.Background()
	today := database.DateOf(clock.DateOf(f.clock.Now()))
	e := offer.RegistryEntry{SIRET: f.siret(), Kind: kind, Name: kind + " " + email, CommuneCode: "69381"}
	if kind != offer.KindGEIQ {
		e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = fmt.Sprintf("CONV-%d", f.seq), today.AddDays(-100), today.AddDays(300)
	}
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

// person creates a job seeker's file by proxy.
func (f *fixture) person(t testing.TB, by access.Actor, first, last, email string) jobseeker.JobSeeker {
	t.Helper()
	f.seq++
	p := jobseeker.Profile{Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: last, FirstNames: first,
		BirthDate: database.Date{Year: 1990, Month: 5, Day: 1 + f.seq%27}, BornInFrance: true, BirthCommune: "69123"},
		NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, Email: email, CommuneCode: "69266"}
	j, err := f.people.Create(context.Background(), by, jobseeker.CreateInput{Profile: p, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// mailsTo returns the mails to an address, newest first.
func (f *fixture) mailsTo(t testing.TB, to string) []notify.Mail {
	t.Helper()
	all, err := notify.Outbox{Envelope: f.env}.List(context.Background(), f.db.Reader(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Mail
	for _, m := range all {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) hire(kind string) application.Hire {
	today := database.DateOf(clock.DateOf(f.clock.Now()))
	h := application.Hire{Start: today.AddDays(7), ContractType: offer.ContractTypesFor(kind)[0], HoursPerWeek: 26, SalaryCents: 1_450_00}
	if kind == offer.KindAI || kind == offer.KindETTI {
		h.FirstMission = h.Start
	}
	return h
}
