// Package web serves the platform's HTML pages. Handlers parse input, call the domain
// services (which ask the access package) and render templates; they never write SQL.
package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/config"
	"parcours/internal/eligibility"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/org"
	"parcours/internal/ratelimit"
	"parcours/internal/refdata"
	"parcours/internal/support"
)

// Deps are what the web layer needs: services, never the database itself, so that every read
// of personal data goes through a service that asks the access package.
type Deps struct {
	Config config.Config
	Logger *slog.Logger
	// Health answers the readiness probe (the database handle satisfies it).
	Health   Health
	Clock    clock.Clock
	Accounts *account.Service
	Orgs     *org.Service
	Trail    *audit.Trail
	// JobSeekers and Applications are the IAE processing's files of people and applications.
	JobSeekers   *jobseeker.Service
	Applications *application.Service
	// Eligibility keeps the IAE criteria and eligibility diagnoses (nil: pages show none).
	Eligibility *eligibility.Service
	// Support keeps the adapted support of disabled job seekers (nil: no such pages).
	Support *support.Service
	// Approvals runs the PASS IAE (nil: no PASS pages).
	Approvals *approval.Service
	// Files checks uploads (CVs) before a service stores them.
	Files  *files.Service
	Places *refdata.Data
	// Demo serves the demo pages (demo mode only; nil otherwise).
	Demo Demo
	// Registry receives the HTTP metrics; Gatherer serves /metrics (usually the same registry).
	Registry prometheus.Registerer
	Gatherer prometheus.Gatherer
	// MetricsToken lets a remote scraper read /metrics (PARCOURS_METRICS_TOKEN).
	MetricsToken string
	// API serves /api/ (JSON); nil leaves it out.
	API http.Handler
	// Offer is the registry of structures and job descriptions.
	Offer *offer.Service
	// Imports runs the registry imports staff send from the import page.
	Imports *registrycsv.Importer
	// SearchReady tells whether the searches can answer without first building their read
	// model; /readyz waits for it. Nil means always.
	SearchReady func() bool
}

// Server is the HTTP front end.
type Server struct {
	cfg          config.Config
	log          *slog.Logger
	health       Health
	demo         Demo
	searchReady  func() bool
	clock        clock.Clock
	accounts     *account.Service
	orgs         *org.Service
	trail        *audit.Trail
	jobseekers   *jobseeker.Service
	applications *application.Service
	eligibility  *eligibility.Service
	approvals    *approval.Service
	// verifyLimiter bounds the public PASS IAE verifications per client address.
	verifyLimiter *ratelimit.Limiter
	support       *support.Service
	files         *files.Service
	offer         *offer.Service
	imports       *registrycsv.Importer
	places        *refdata.Data
	templates     templates
	pageBuffers   sync.Pool
	search        *searchRenderer
	static        *staticFiles
	metrics       *httpMetrics
	gatherer      prometheus.Gatherer
	metricsToken  string
	mux           *http.ServeMux
	routes        []Route
	handler       http.Handler
	limits        limits
}

// gate says who may reach a route before the handler's own access checks.
type gate int

const (
	// gatePublic: anyone, logged in or not.
	gatePublic gate = iota
	// gateSession: any session, even one still waiting for its second factor (the code page,
	// logout).
	gateSession
	// gateEnrol: a session past its second factor, or one that must first enrol one (the
	// enrolment pages). A session waiting for its code cannot replace the second factor.
	gateEnrol
	// gateTerms: a session past every security step, whose terms may still be unaccepted.
	gateTerms
	// gateUser: a fully logged-in user.
	gateUser
)

// Route describes a registered route, for the generated access test.
type Route struct {
	Pattern string
	Gate    string
}

// New builds the server.
func New(d Deps) (*Server, error) {
	sf, err := newStaticFiles()
	if err != nil {
		return nil, err
	}
	if !sf.hasVendorAssets() {
		d.Logger.Warn("front-end assets missing from the build: run `make assets` (pages will have no DSFR styles)")
	}
	t, err := parseTemplates(template.FuncMap{
		"asset":         sf.url,
		"communeLabel":  communeLabel,
		"linkify":       linkifier(d.Config.BaseURL.String()),
		"kindLabel":     kindLabel,
		"staleWarning":  offer.NeedsUpdateWarning,
		"daysLeft":      offer.DaysBeforeDeactivation,
		"inc":           func(i int) int { return i + 1 },
		"countryName":   jobseeker.CountryName,
		"needsOf":       needsOf,
		"actionLabel":   actionLabel,
		"personOptions": personOptions,
		"jobTitle":      jobTitle,
		"euros":         euros,
		"lower":         strings.ToLower,
		"hasPrefix":     strings.HasPrefix,
		"formatPhone":   offer.FormatPhone,
		"joinLabels":    joinLabels,
		"communeName": func(code string) string {
			if c, ok := d.Places.Commune(code); ok {
				return communeLabel(c)
			}
			return code
		},
	})
	if err != nil {
		return nil, err
	}
	search, err := newSearchRenderer(t, "search")
	if err != nil {
		return nil, err
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	s := &Server{
		cfg: d.Config, log: d.Logger, health: d.Health, demo: d.Demo, searchReady: d.SearchReady, clock: d.Clock, accounts: d.Accounts,
		orgs: d.Orgs, trail: d.Trail, jobseekers: d.JobSeekers, applications: d.Applications, eligibility: d.Eligibility, support: d.Support, files: d.Files,
		offer: d.Offer, imports: d.Imports, places: d.Places, approvals: d.Approvals, verifyLimiter: ratelimit.PerMinute(10, d.Clock.Now),
		templates: t, search: search, static: sf, metrics: newHTTPMetrics(d.Registry), gatherer: d.Gatherer, metricsToken: d.MetricsToken,
		mux: http.NewServeMux(), limits: newLimits(d.Config.FormRateLimit, d.Config.SignupRateLimit, d.Clock.Now),
	}
	s.registerRoutes()
	if d.API != nil {
		s.handle("/api/", gatePublic, d.API.ServeHTTP)
	}
	csrf := http.NewCrossOriginProtection()
	// The API authenticates with tokens, never with the session cookie (withSession skips it),
	// so a cross-site request carries no ambient authority there.
	csrf.AddInsecureBypassPattern("/api/")
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "request_id", RequestID(r.Context()), "method", r.Method)
		s.renderError(w, r, http.StatusForbidden)
	}))
	s.handler = s.observe(s.secure(csrf.Handler(s.withSession(s.limitForms(http.HandlerFunc(s.dispatch))))))
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every registered route with its gate.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

func (s *Server) handle(pattern string, g gate, h http.HandlerFunc) {
	names := map[gate]string{gatePublic: "public", gateSession: "session", gateEnrol: "enrol", gateTerms: "terms", gateUser: "user"}
	s.routes = append(s.routes, Route{Pattern: pattern, Gate: names[g]})
	s.mux.Handle(pattern, s.gated(g, h))
}

// notFound answers every unknown path with the French 404 page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound)
}

func (s *Server) registerRoutes() {
	// Operations and assets.
	s.handle("GET /healthz", gatePublic, s.healthz)
	s.handle("GET /readyz", gatePublic, s.readyz)
	s.handle("GET /metrics", gatePublic, s.metricsHandler().ServeHTTP)
	s.handle("GET /static/{path...}", gatePublic, s.static.ServeHTTP)
	s.handle("GET /{$}", gatePublic, s.home)

	// Public pages.
	s.handle("GET /accessibilite", gatePublic, s.legalPage("accessibility", "Déclaration d'accessibilité"))
	s.handle("GET /mentions-legales", gatePublic, s.legalPage("legal", "Mentions légales"))
	s.handle("GET /donnees-personnelles", gatePublic, s.legalPage("privacy", "Données personnelles"))
	s.handle("GET /cgu", gatePublic, s.termsPage)
	s.handle("GET /communes", gatePublic, s.communeOptions)

	s.registerAuthRoutes()
	s.registerAccountRoutes()
	s.registerOrgRoutes()
	s.registerStaffRoutes()
	s.registerOfferRoutes()
	s.registerJobSeekerRoutes()
	s.registerApplicationRoutes()
	if s.eligibility != nil {
		s.registerEligibilityRoutes()
	}
	if s.approvals != nil {
		s.registerApprovalRoutes()
	}
	if s.support != nil {
		s.registerSupportRoutes()
		s.registerSupportAidRoutes()
		s.registerSupportDocumentRoutes()
		s.registerSupportPlanRoutes()
	}
	if s.demo != nil {
		s.handle("GET /demo/courriels", gatePublic, s.demoMails)
		s.handle("GET /demo/courriels/{id}", gatePublic, s.demoMail)
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", "Accueil", nil, nil)
}

// dispatch serves through the mux, answering its "no such page" (404) and "not this method"
// (405) with the French error pages instead of its plain-text ones.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch {
	case rec.status >= 300 && rec.status < 400:
		// The mux's redirect to a canonical path (duplicate slashes, "..").
		http.Redirect(w, r, rec.header.Get("Location"), rec.status)
	case rec.status == http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.renderError(w, r, http.StatusMethodNotAllowed)
	default:
		s.renderError(w, r, http.StatusNotFound)
	}
}

// headerRecorder keeps what the mux's internal handlers write, to translate it.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }

func (s *Server) legalPage(page, title string) http.HandlerFunc {
	if _, ok := s.templates[page]; !ok {
		panic(fmt.Sprintf("web: missing template %s", page))
	}
	return func(w http.ResponseWriter, r *http.Request) { s.render(w, r, http.StatusOK, page, title, nil, nil) }
}
