package support_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
)

// tester is what helpers need of *testing.T and *rapid.T.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

const pw = "Correct-Cheval-Pile-42"

var loadPlaces = sync.OnceValues(refdata.Load)

// fixture is the platform's services on a real database: a Cap emploi organisation and two
// France Travail agencies, each with a habilitated advisor (its admin), a member without the
// habilitation in the first agency, and a person followed by Cap emploi.
type fixture struct {
	db      *database.DB
	clock   *clock.Fake
	env     *crypto.Envelope
	keyFile string
	journal audit.Journal
	guard   *access.Guard
	accts   *account.Service
	orgs    *org.Service
	people  *jobseeker.Service
	files   *files.Service
	svc     *support.Service
	staff   access.Actor
	seq     int
	admins  map[uuid.UUID]bool

	capOrg, ftOrg, ftOther org.Organisation
	// capAdvisor, ftAdvisor and otherAdvisor hold the habilitation and administer their
	// organisation; ftPlain is a member of ftOrg without it.
	capAdvisor, ftAdvisor, otherAdvisor, ftPlain access.Actor
	person                                       uuid.UUID
	personActor                                  access.Actor
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	places, err := loadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	keyFile := filepath.Join(t.TempDir(), "keyring.json")
	if _, _, err := crypto.LoadOrCreateKeyring(keyFile); err != nil {
		t.Fatal(err)
	}
	env, err := crypto.OpenEnvelope(keyFile, clk)
	if err != nil {
		t.Fatal(err)
	}
	journal := audit.NewJournal(env.Pseudonym)
	guard := access.NewGuard(db, journal, clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	f := &fixture{admins: map[uuid.UUID]bool{}, db: db, clock: clk, env: env, keyFile: keyFile, journal: journal, guard: guard, accts: accounts,
		orgs: org.NewService(db, guard, clk, places, accounts, "https://parcours.test")}
	f.people = jobseeker.NewService(db, guard, env, clk, places, accounts)
	f.files = files.NewService(db, env, clk, files.Options{})
	f.svc = support.NewService(db, guard, env, clk, journal, f.people, f.files)
	u, err := accounts.CreateVerified(ctx, account.SignUp{Kind: access.Staff, Email: "staff@exemple.fr", Password: pw, FirstName: "S", LastName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	f.staff = access.Actor{UserID: u.ID, Kind: access.Staff, MFA: true}

	f.capOrg = f.org(t, "CAP_EMPLOI", "Cap emploi Rhône", "")
	f.ftOrg = f.org(t, "FT", "France Travail Lyon Part-Dieu", "69031")
	f.ftOther = f.org(t, "FT", "France Travail Marseille", "13001")
	f.capAdvisor = f.member(t, "cap@exemple.fr", f.capOrg.ID, true)
	f.ftAdvisor = f.member(t, "ft@exemple.fr", f.ftOrg.ID, true)
	f.ftPlain = f.member(t, "ft-sans@exemple.fr", f.ftOrg.ID, false)
	f.otherAdvisor = f.member(t, "ft-autre@exemple.fr", f.ftOther.ID, true)
	f.person, f.personActor = f.newPerson(t, f.capAdvisor, "personne@exemple.fr")
	return f
}

func (f *fixture) siret() string {
	f.seq++
	base := fmt.Sprintf("7%012d", f.seq)
	for d := 0; d <= 9; d++ {
		if org.CheckSIRET(base+strconv.Itoa(d)) == nil {
			return base + strconv.Itoa(d)
		}
	}
	panic("no SIRET")
}

func (f *fixture) org(t testing.TB, kind, name, safir string) org.Organisation {
	t.Helper()
	o, err := f.orgs.Create(context.Background(), f.staff, org.NewOrganisation{Kind: kind, Name: name, SIRET: f.siret(), SAFIR: safir, CommuneCode: "69383"})
	if err != nil {
		t.Fatalf("org %s: %v", name, err)
	}
	return o
}

// member adds an account to orgID (the first one becomes its admin) and, with habilitated,
// has the admin grant it the habilitation. The actor passed a second factor.
func (f *fixture) member(t testing.TB, email string, orgID uuid.UUID, habilitated bool) access.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := f.accts.CreateVerified(ctx, account.SignUp{Kind: access.Professional, Email: email, Password: pw, FirstName: "Prénom", LastName: email})
	if err != nil {
		t.Fatal(err)
	}
	first := !f.admins[orgID]
	f.admins[orgID] = true
	if err := f.orgs.StaffAddMember(ctx, f.staff, orgID, email, first); err != nil {
		t.Fatal(err)
	}
	a, _, err := f.orgs.Actor(ctx, u, orgID, true)
	if err != nil || a.OrgID != orgID {
		t.Fatalf("actor: %+v %v", a, err)
	}
	if habilitated {
		admin := a
		if !a.OrgAdmin {
			admin = f.adminOf(t, orgID)
		}
		if err := f.svc.SetHabilitation(ctx, admin, u.ID, true); err != nil {
			t.Fatalf("habilitation: %v", err)
		}
	}
	return a
}

func (f *fixture) adminOf(t testing.TB, orgID uuid.UUID) access.Actor {
	t.Helper()
	for _, a := range []access.Actor{f.capAdvisor, f.ftAdvisor, f.otherAdvisor} {
		if a.OrgID == orgID && a.OrgAdmin {
			return a
		}
	}
	t.Fatal("no admin")
	return access.Actor{}
}

// newPerson creates a job seeker who opens their own file, which the organisation of by then
// follows (found by NIR and birth date).
func (f *fixture) newPerson(t tester, by access.Actor, email string) (uuid.UUID, access.Actor) {
	t.Helper()
	ctx := context.Background()
	f.seq++
	u, err := f.accts.CreateVerified(ctx, account.SignUp{Kind: access.JobSeeker, Email: email, Password: pw, FirstName: "Alice", LastName: "Personne"})
	if err != nil {
		t.Fatal(err)
	}
	me := access.Actor{UserID: u.ID, Kind: access.JobSeeker}
	base := fmt.Sprintf("2800169123%03d", f.seq)
	n, _ := strconv.ParseInt(base, 10, 64)
	nir := fmt.Sprintf("%s%02d", base, 97-n%97)
	born := database.Date{Year: 1980, Month: 1, Day: 1 + f.seq%28}
	j, err := f.people.Create(ctx, me, jobseeker.CreateInput{Confirmed: true, Profile: jobseeker.Profile{
		Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: fmt.Sprintf("Personne%d", f.seq), FirstNames: "Alice",
			BirthDate: born, BornInFrance: true, BirthCommune: "69123"},
		NIR: nir, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69123"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.people.FollowByNIR(ctx, by, nir, born); err != nil {
		t.Fatalf("follow: %v", err)
	}
	return j.ID, me
}

func (f *fixture) today() database.Date { return database.ParisDate(f.clock.Now()) }

// input is a full record with canaries in every free-text field.
func (f *fixture) input(canary string) support.Input {
	today := f.today()
	return support.Input{StartedOn: today.AddDays(-30), RegisteredOn: today.AddDays(-400),
		Title: support.Title{Category: "rqth", DecidedOn: today.AddDays(-365), ValidUntil: today.AddDays(700)},
		Health: support.Health{DisabilityTypes: []string{"motor"}, DisabilityOrigins: []string{"work_accident"},
			DisabilityComment: canary + "-TYPE", Compensation: []string{"workstation", "transport"}, CompensationComment: canary + "-COMPENSATION",
			Recovery: canary + "-RETABLISSEMENT", Limitations: []string{"loads", "standing"}, LimitationsComment: canary + "-LIMITATIONS"}}
}

// open opens the person's record as the Cap emploi advisor, with the first FT agency.
func (f *fixture) open(t testing.TB, person uuid.UUID, canary string) uuid.UUID {
	t.Helper()
	id, err := f.svc.Open(context.Background(), f.capAdvisor, person, f.input(canary), f.ftOrg.ID)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return id
}

// count counts audit entries with this action.
func (f *fixture) count(t testing.TB, action string) int {
	t.Helper()
	var n int
	if err := f.db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
