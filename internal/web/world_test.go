package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"parcours/internal/app"
	"parcours/internal/audit"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/api"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/clock"
	"parcours/internal/config"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/eligibility"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
	"parcours/internal/web"
)

// loadPlaces parses the embedded reference data once per test binary.
var places = func() *refdata.Data {
	d, err := refdata.Load()
	if err != nil {
		panic(err)
	}
	return d
}()

const pw = "Correct-Cheval-Pile-42"

// stack is the web server over real services on a real database.
type stack struct {
	db       *database.DB
	clock    *clock.Fake
	accounts *account.Service
	orgs     *org.Service
	offer    *offer.Service
	people   *jobseeker.Service
	apps     *application.Service
	elig     *eligibility.Service
	passes   *approval.Service
	support  *support.Service
	files    *files.Service
	imports  *registrycsv.Importer
	server   *web.Server
	ts       *httptest.Server
	cfg      config.Config
}

func newStack(t *testing.T, db *database.DB, demo bool) *stack {
	t.Helper()
	return newStackWith(t, db, demo, "http://localhost:8080", io.Discard)
}

// newStackWith lets a test choose the public address and capture the logs.
func newStackWith(t *testing.T, db *database.DB, demo bool, baseURL string, logs io.Writer) *stack {
	t.Helper()
	return newStackConfig(t, db, demo, baseURL, logs, nil)
}

// newStackConfig lets a test change the configuration too (rate limits).
func newStackConfig(t *testing.T, db *database.DB, demo bool, baseURL string, logs io.Writer, change func(*config.Config)) *stack {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	kr, err := crypto.NewKeyring(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := crypto.NewEnvelope(kr, clk)
	base, _ := url.Parse(baseURL)
	cfg := config.Config{BaseURL: base, Demo: demo, DataDir: t.TempDir()}
	if change != nil {
		change(&cfg)
	}
	journal := audit.NewJournal(env.Pseudonym)
	guard := access.NewGuard(db, journal, clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.HashParams{Memory: 1024, Time: 1, Threads: 1}),
		Envelope: env, BaseURL: base.String(), Guard: guard})
	orgs := org.NewService(db, guard, clk, places, accounts, base.String())
	offers := offer.NewService(db, clk, places, base.String())
	offers.SetOutbox(accounts.Outbox())
	people := jobseeker.NewService(db, guard, env, clk, places, accounts)
	fileStore := files.NewService(db, env, clk, files.Options{})
	apps := application.NewService(db, guard, env, clk, offers, people, fileStore, base.String())
	elig := eligibility.NewService(db, guard, env, clk, people)
	if err := elig.EnsureCriteria(context.Background()); err != nil {
		t.Fatal(err)
	}
	passes := approval.NewService(db, guard, env, clk, people, fileStore, base.String())
	apps.SetHireHook(passes.Hook)
	elig.SetPASSCheck(approval.KeepsDiagnosis)
	supp := support.NewService(db, guard, env, clk, journal, people, fileStore)
	people.AddEraser(supp.Erase)
	people.EraseFilesWith(fileStore.PurgeSubject)
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	var demoPages web.Demo
	if demo {
		demoPages = app.DemoPages(db, env, clk)
	}
	imports := registrycsv.NewImporter(offers, places, logger, "test")
	srv, err := web.New(web.Deps{Config: cfg, Logger: logger, Health: db, Demo: demoPages, Clock: clk,
		Accounts: accounts, Orgs: orgs, Trail: audit.NewTrail(guard, journal), Offer: offers, Imports: imports, SearchReady: offers.SearchReady,
		JobSeekers: people, Applications: apps, Eligibility: elig, Approvals: passes, Support: supp, Files: fileStore, Places: places, Registry: reg, Gatherer: reg,
		API: api.New(api.Options{Logger: logger, Offer: offers, Places: places, Now: clk.Now, PASS: passes})})
	if err != nil {
		t.Fatal(err)
	}
	// As app.Serve does at start (readiness waits for it).
	if err := offers.PrepareSearch(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &stack{db: db, clock: clk, accounts: accounts, orgs: orgs, offer: offers, people: people, apps: apps, elig: elig, passes: passes, support: supp, files: fileStore, imports: imports, server: srv, ts: ts, cfg: cfg}
}

func (s *stack) cookieName() string { return "__Host-parcours_session" }

// user creates a verified account.
func (s *stack) user(t *testing.T, kind access.UserKind, email string) account.User {
	t.Helper()
	u, err := s.accounts.CreateVerified(context.Background(), account.SignUp{Kind: kind, Email: email, Password: pw, FirstName: "Prénom", LastName: strings.Split(email, "@")[0]})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// login opens a session through the service (the HTTP login has its own tests) and completes
// the second factor when the account has one.
func (s *stack) login(t *testing.T, email, totpSecret string) string {
	t.Helper()
	ctx := context.Background()
	res, err := s.accounts.Login(ctx, email, pw, account.Client{IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	if res.Next == account.StepMFA {
		// A code works once: wait for the next one, as a person would.
		s.clock.Advance(30 * time.Second)
		code, err := account.CodeAt(totpSecret, s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.accounts.CompleteMFA(ctx, res.Token, code)
		if err != nil {
			t.Fatalf("MFA %s: %v", email, err)
		}
		return tok
	}
	return res.Token
}

// enrol gives a user a TOTP second factor and returns its key.
func (s *stack) enrol(t *testing.T, u account.User) string {
	t.Helper()
	ctx := context.Background()
	e, err := s.accounts.BeginTOTP(ctx, access.Actor{UserID: u.ID, Kind: u.Kind})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := account.CodeAt(e.Secret, s.clock.Now())
	if _, err := s.accounts.ConfirmTOTP(ctx, access.Actor{UserID: u.ID, Kind: u.Kind}, uuid.Nil, code); err != nil {
		t.Fatal(err)
	}
	// Move past the step used, so the login code is a new one (codes are single-use).
	s.clock.Advance(31 * time.Second)
	return e.Secret
}

// createOrg creates an organisation as staff and sets its members (first admin).
func (s *stack) createOrg(t *testing.T, staff access.Actor, kind, name, siret, commune string, members ...account.User) org.Organisation {
	t.Helper()
	ctx := context.Background()
	o, err := s.orgs.Create(ctx, staff, org.NewOrganisation{Kind: kind, Name: name, SIRET: siret, CommuneCode: commune, Habilitated: true})
	if err != nil {
		t.Fatalf("org %s: %v", name, err)
	}
	for i, m := range members {
		if err := s.orgs.StaffAddMember(ctx, staff, o.ID, m.Email, i == 0); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

type response struct {
	status   int
	location string
	body     string
	header   http.Header
	cookies  []*http.Cookie
}

// do sends a request with a session cookie (empty: anonymous), without following redirects.
func (s *stack) do(t *testing.T, method, path, token string, form url.Values) response {
	t.Helper()
	return s.doWith(t, method, path, token, form, nil)
}

// doWith is do with extra request headers.
func (s *stack) doWith(t *testing.T, method, path, token string, form url.Values, headers map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: s.cookieName(), Value: token})
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header, cookies: resp.Cookies()}
}

// luhn completes a 13-digit base into a valid SIRET.
func siret(base string) string {
	for d := '0'; d <= '9'; d++ {
		if org.CheckSIRET(base+string(d)) == nil {
			return base + string(d)
		}
	}
	panic(base)
}
