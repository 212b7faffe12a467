package account_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/notify"
)

// start is a Monday morning in Paris, well inside a month, so month arithmetic is plain.
var start = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)

// cheapHash keeps tests fast; the cost parameters are not behaviour (their benchmark is separate).
var cheapHash = account.HashParams{Memory: 1024, Time: 1, Threads: 1}

type fixture struct {
	db    *database.DB
	clock *clock.Fake
	svc   *account.Service
	trail *audit.Trail
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	clk := clock.NewFake(start)
	kr, err := crypto.NewKeyring(start)
	if err != nil {
		t.Fatal(err)
	}
	env := crypto.NewEnvelope(kr, clk)
	journal := audit.NewJournal(env.Pseudonym)
	guard := access.NewGuard(db, journal, clk)
	svc := account.NewService(account.Options{
		DB: db, Clock: clk, Hasher: account.NewHasher(cheapHash), Envelope: env,
		BaseURL: "https://parcours.test", Guard: guard,
	})
	return &fixture{db: db, clock: clk, svc: svc, trail: audit.NewTrail(guard, journal)}
}

const goodPassword = "Correct-Cheval-Pile-42"

// signUpVerified creates an account through the public flow and follows the e-mailed link.
func (f *fixture) signUpVerified(t *testing.T, kind account.Kind, email string) account.User {
	t.Helper()
	ctx := context.Background()
	if err := f.svc.SignUp(ctx, account.SignUp{Kind: kind, Email: email, Password: goodPassword, FirstName: "Camille",
		LastName: "Martin", AcceptTerms: true}); err != nil {
		t.Fatalf("sign-up: %v", err)
	}
	link := f.lastLink(t, email, "verify_email")
	if err := f.svc.VerifyEmail(ctx, strings.TrimPrefix(link, "https://parcours.test/confirmer-email/")); err != nil {
		t.Fatalf("verify: %v", err)
	}
	u, err := account.UserByEmail(ctx, f.db.Reader(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var linkRE = regexp.MustCompile(`https://parcours\.test/[^\s"<>]+`)

// lastLink returns the link in the newest e-mail of that kind sent to address.
func (f *fixture) lastLink(t *testing.T, to string, kind notify.Kind) string {
	t.Helper()
	m := f.lastMail(t, to, kind)
	link := linkRE.FindString(m.TextBody)
	if link == "" {
		t.Fatalf("no link in %s mail:\n%s", kind, m.TextBody)
	}
	return link
}

func (f *fixture) lastMail(t *testing.T, to string, kind notify.Kind) notify.Mail {
	t.Helper()
	mails, err := f.svc.Outbox().List(context.Background(), f.db.Reader(), 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == to && m.Kind == kind {
			return m
		}
	}
	t.Fatalf("no %s mail to %s", kind, to)
	return notify.Mail{}
}

func (f *fixture) countMails(t *testing.T, to string, kind notify.Kind) int {
	t.Helper()
	mails, err := f.svc.Outbox().List(context.Background(), f.db.Reader(), 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if m.To == to && m.Kind == kind {
			n++
		}
	}
	return n
}

func (f *fixture) login(t *testing.T, email, password string) account.LoginResult {
	t.Helper()
	res, err := f.svc.Login(context.Background(), email, password, account.Client{IP: "192.0.2.10", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return res
}

var _ = access.Staff

// self is the actor a user's own session makes.
func self(u account.User) access.Actor { return access.Actor{UserID: u.ID, Kind: u.Kind} }
