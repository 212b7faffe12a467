package offer_test

import (
	"context"
	"errors"
	"fmt"
	"parcours/internal/audit"
	"sync"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/notify"
	"parcours/internal/offer"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// loadPlaces shares one parse of the reference data between tests: it is immutable.
var loadPlaces = sync.OnceValues(refdata.Load)

func places(tb testing.TB) *refdata.Data {
	tb.Helper()
	d, err := loadPlaces()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

const pw = "Correct-Cheval-Pile-42"

// start is a Monday in winter, 10:00 in Paris.
var start = time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)

type fixture struct {
	db       *database.DB
	clock    *clock.Fake
	svc      *offer.Service
	accounts *account.Service
	orgs     *org.Service
	staff    access.Actor
	seq      int
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(start)
	kr, _ := crypto.NewKeyring(clk.Now())
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: "https://parcours.test", Guard: guard})
	f := &fixture{db: db, clock: clk, accounts: accounts, orgs: org.NewService(db, guard, clk, places(t), accounts, "https://parcours.test"),
		svc: offer.NewService(db, clk, places(t), "https://parcours.test")}
	f.svc.SetOutbox(accounts.Outbox())
	s := f.user(t, access.Staff, "staff@exemple.fr")
	f.staff = access.Actor{UserID: s.ID, Kind: access.Staff, MFA: true}
	return f
}

func (f *fixture) user(t *testing.T, kind access.UserKind, email string) account.User {
	t.Helper()
	u, err := f.accounts.CreateVerified(context.Background(), account.SignUp{Kind: kind, Email: email, Password: pw, FirstName: "Prénom", LastName: "Nom"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// siret completes a 13-digit base with its check digit.
func siret(base string) string {
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic(base)
}

// nextSIRET gives a new valid SIRET at each call.
func (f *fixture) nextSIRET() string {
	f.seq++
	return siret(fmt.Sprintf("8%012d", f.seq))
}

func date(s string) database.Date {
	d, err := database.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// structure creates a structure through the registry; an SIAE gets a convention ending on
// ends (none when zero).
func (f *fixture) structure(t *testing.T, kind, commune string, ends database.Date) offer.Structure {
	t.Helper()
	e := offer.RegistryEntry{SIRET: f.nextSIRET(), Kind: kind, Name: kind + " " + commune, CommuneCode: commune}
	if !ends.IsZero() {
		e.ConventionNumber, e.ConventionStartsOn, e.ConventionEndsOn = fmt.Sprintf("CONV-%d", f.seq), ends.AddDays(-365), ends
	}
	r, err := f.svc.SaveRegistryEntry(context.Background(), f.staff, e)
	if err != nil {
		t.Fatal(err)
	}
	return r.Structure
}

// employer creates a professional member of the structure and returns them acting for it.
func (f *fixture) employer(t *testing.T, st offer.Structure, email string, admin bool) access.Actor {
	t.Helper()
	u := f.user(t, access.Professional, email)
	if err := f.orgs.StaffAddMember(context.Background(), f.staff, st.ID, u.Email, admin); err != nil {
		t.Fatal(err)
	}
	a, _, err := f.orgs.Actor(context.Background(), u, st.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) mails(t *testing.T, kind notify.Kind) []notify.Mail {
	t.Helper()
	all, err := f.accounts.Outbox().List(context.Background(), f.db.Reader(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Mail
	for _, m := range all {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) audits(t *testing.T, action string) int {
	t.Helper()
	return f.count(t, `SELECT COUNT(*) FROM audit_events WHERE action = $1`, action)
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	fields := fault.FieldsOf(err)
	if !errors.Is(err, fault.Invalid) || fields[field] == "" {
		t.Fatalf("want a message at field %q, got %v", field, err)
	}
}

func wantKind(t *testing.T, err error, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("want %v, got %v", kind, err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
