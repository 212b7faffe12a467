// Package app is the composition root: configuration → database → services → HTTP handler and
// background work. Commands in package cli build an App and call one of its methods.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/api"
	"parcours/internal/application"
	"parcours/internal/approval"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/config"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/eligibility"
	"parcours/internal/files"
	"parcours/internal/jobs"
	"parcours/internal/jobseeker"
	"parcours/internal/notify"
	"parcours/internal/offer"
	"parcours/internal/offer/registrycsv"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
	"parcours/internal/web"
)

// App holds the platform's parts.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *database.DB
	Clock    clock.Clock
	Keyring  *crypto.Keyring
	Envelope *crypto.Envelope
	Places   *refdata.Data
	// Guard performs every read of personal data (access.Read), recording it in Journal.
	Guard    *access.Guard
	Journal  audit.Journal
	Trail    *audit.Trail
	Accounts *account.Service
	Orgs     *org.Service
	Offer    *offer.Service
	// JobSeekers keeps the job seekers' files; Applications their applications.
	JobSeekers   *jobseeker.Service
	Applications *application.Service
	// Eligibility keeps the IAE criteria and the eligibility diagnoses.
	Eligibility *eligibility.Service
	// Approvals runs the PASS IAE, issued in the transaction of each hire.
	Approvals *approval.Service
	// Support keeps the adapted support of disabled job seekers (health data).
	Support *support.Service
	// Files is the file store the modules keep people's documents in (scanned by clamd when
	// PARCOURS_CLAMD_ADDR is set).
	Files *files.Service
	// Imports runs the registry imports sent from the web page, in the background.
	Imports   *registrycsv.Importer
	Sequencer *audit.Sequencer // set by OpenSequencer, in serve only
	Registry  *prometheus.Registry
	// searchReady is set once the searches' read model is built at start (and the start-up's
	// memory given back): /readyz waits for it.
	searchReady atomic.Bool
}

// Options adjust what Open does.
type Options struct {
	// Migrate applies pending migrations (serve, migrate); other commands require a current schema.
	Migrate bool
	// Clock replaces the system clock (tests).
	Clock clock.Clock
	// HashParams replaces the password hashing cost (tests).
	HashParams *account.HashParams
}

// Open builds the App: database (migrated if asked), keyring, reference data and services.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.System{}
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DataDir, database.Options{MaxConns: cfg.MaxDBConns})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Clock: clk, Registry: prometheus.NewRegistry()}
	if err := a.open(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) open(ctx context.Context, opts Options) error {
	if opts.Migrate {
		applied, err := a.DB.Migrate(ctx, nil)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			a.Log.Info("migrations applied", "count", len(applied), "engine", string(a.DB.Engine()))
		}
	} else if err := a.DB.CheckSchema(ctx); err != nil {
		return err
	}
	if err := a.loadKeyring(); err != nil {
		return err
	}
	places, err := refdata.Load()
	if err != nil {
		return fmt.Errorf("données de référence : %w", err)
	}
	a.Places = places
	a.Envelope = crypto.NewEnvelope(a.Keyring, a.Clock)
	params := account.DefaultHashParams
	if opts.HashParams != nil {
		params = *opts.HashParams
	}
	a.Journal = audit.NewJournal(a.Envelope.Pseudonym)
	a.Guard = access.NewGuard(a.DB, a.Journal, a.Clock)
	a.Trail = audit.NewTrail(a.Guard, a.Journal)
	a.Accounts = account.NewService(account.Options{DB: a.DB, Clock: a.Clock, Hasher: account.NewHasher(params), Envelope: a.Envelope,
		BaseURL: a.Config.BaseURL.String(), Logger: a.Log, Guard: a.Guard})
	a.Orgs = org.NewService(a.DB, a.Guard, a.Clock, places, a.Accounts, a.Config.BaseURL.String())
	a.Offer = offer.NewService(a.DB, a.Clock, places, a.Config.BaseURL.String())
	a.Offer.SetOutbox(a.Accounts.Outbox())
	a.Offer.SetSearchMaxAge(time.Second) // another instance's registry change shows in this one's searches within 1 s
	a.Imports = registrycsv.NewImporter(a.Offer, places, a.Log, jobs.InstanceName())
	a.JobSeekers = jobseeker.NewService(a.DB, a.Guard, a.Envelope, a.Clock, places, a.Accounts)

	var scanner files.Scanner
	if a.Config.ClamdAddr != "" {
		clamd, err := files.NewClamd(a.Config.ClamdAddr)
		if err != nil {
			return fmt.Errorf("PARCOURS_CLAMD_ADDR : %w", err)
		}
		scanner = clamd
	}
	a.Files = files.NewService(a.DB, a.Envelope, a.Clock, files.Options{Scanner: scanner})
	a.Applications = application.NewService(a.DB, a.Guard, a.Envelope, a.Clock, a.Offer, a.JobSeekers, a.Files, a.Config.BaseURL.String())
	a.Eligibility = eligibility.NewService(a.DB, a.Guard, a.Envelope, a.Clock, a.JobSeekers)
	a.Approvals = approval.NewService(a.DB, a.Guard, a.Envelope, a.Clock, a.JobSeekers, a.Files, a.Config.BaseURL.String())
	a.Applications.SetHireHook(a.Approvals.Hook)
	a.Eligibility.SetPASSCheck(approval.KeepsDiagnosis)
	a.Support = support.NewService(a.DB, a.Guard, a.Envelope, a.Clock, a.Journal, a.JobSeekers, a.Files)
	// Erasing a person's file erases their adapted support (record, documents, key) and the
	// files sealed under their key (CVs, prolongation reports) in the same transaction.
	a.JobSeekers.AddEraser(a.Support.Erase)
	a.JobSeekers.EraseFilesWith(a.Files.PurgeSubject)
	if opts.Migrate {
		// The criteria sets embedded in the binary, loaded with the schema: a new arrêté is a new file.
		if err := a.Eligibility.EnsureCriteria(ctx); err != nil {
			return err
		}
	}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newDBCollector(a.DB))
	return nil
}

// loadKeyring reads the keyring from PARCOURS_KEYRING or the key file, creating the file at
// first start so that one command starts the platform.
func (a *App) loadKeyring() error {
	if a.Config.KeyringEnv != "" {
		kr, err := crypto.ParseKeyring([]byte(a.Config.KeyringEnv))
		if err != nil {
			return fmt.Errorf("PARCOURS_KEYRING : %w", err)
		}
		a.Keyring = kr
		return nil
	}
	kr, created, err := crypto.LoadOrCreateKeyring(a.Config.KeyFile)
	if err != nil {
		return err
	}
	if created {
		a.Log.Warn("new keyring created: back it up apart from the database; losing it makes encrypted data unreadable", "path", a.Config.KeyFile)
	}
	// An older keyring file gets its derived blind-index key written in. Failing to (a read-only
	// file) changes nothing: every instance derives the same key.
	if upgraded, err := crypto.UpgradeKeyringFile(a.Config.KeyFile); err != nil {
		a.Log.Warn("keyring file not upgraded: the blind-index key stays derived from the pseudonym key", "path", a.Config.KeyFile, "err", err)
	} else if upgraded {
		a.Log.Info("blind-index key written into the keyring file: back the file up again", "path", a.Config.KeyFile)
	}
	a.Keyring = kr
	return nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// ImportRefdata loads the embedded reference data into the database if it changed.
func (a *App) ImportRefdata(ctx context.Context) (refdata.Report, bool, error) {
	return refdata.EnsureImported(ctx, a.DB, a.Places, a.Clock.Now())
}

// Jobs returns the periodic jobs. Every instance registers them all; the runner makes sure
// each slot runs once across instances.
func (a *App) Jobs() []jobs.Job {
	return []jobs.Job{
		{Name: "account.inactivity", Daily: "03:30", Timeout: time.Hour, Run: func(ctx context.Context) (jobs.Result, error) {
			res, err := a.Accounts.RunInactivity(ctx, a.referenced)
			return jobs.Result{"warned": res.Warned, "deleted": res.Deleted, "anonymised": res.Anonymised}, err
		}},
		{Name: "account.sessions_purge", Every: time.Hour, Run: func(ctx context.Context) (jobs.Result, error) {
			n, err := account.PurgeSessions(ctx, a.DB.Writer(), a.Clock.Now())
			if err != nil {
				return nil, err
			}
			m, err := account.PurgeThrottle(ctx, a.DB.Writer(), account.DefaultThrottle, a.Clock.Now())
			return jobs.Result{"sessions": int(n), "throttle": int(m)}, err
		}},
		notify.PurgeJob(a.DB, a.Clock, 30*24*time.Hour),
		a.Offer.SpontaneousClosingJob(),
		a.Offer.StaleJobDescriptionsJob(),
		a.Applications.AutoRefuseJob(),
		a.Applications.ArchiveJob(),
		a.Offer.RegistryImportsPurgeJob(400 * 24 * time.Hour),
		{Name: "approval.prolongation_reminders", Daily: "08:00", Run: func(ctx context.Context) (jobs.Result, error) {
			n, err := a.Approvals.Remind(ctx)
			return jobs.Result{"reminded": n}, err
		}},
		a.Support.PurgeJob(),
		a.Support.PurgeDocumentsJob(),
		a.Support.PlanReminderJob(a.Config.BaseURL.String()),
	}
}

// sealEvery is how often a serving instance sequences new audit entries and publishes the
// checkpoints: an entry is sealed, and published outside the database, about a second after
// its commit. A round with nothing new costs two one-row reads.
const sealEvery = time.Second

// OpenSequencer sets up a.Sequencer with its Publisher: the checkpoint log in the configured
// directory (the default one, under the data directory, is created 0700 if absent; a
// configured one must exist) and the optional witness. A directory that is missing or where
// the log cannot be written is an error: the trail is never sealed without being published.
func (a *App) OpenSequencer() error {
	signer, err := a.Keyring.AuditSigner(audit.Origin)
	if err != nil {
		return err
	}
	verifier, err := a.Keyring.AuditVerifier(audit.Origin)
	if err != nil {
		return err
	}
	dir := a.Config.Audit.CheckpointDir
	if a.Config.Audit.CheckpointDirDefault {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("création du dossier des points de contrôle d'audit %s : %w", dir, err)
		}
	}
	log, err := audit.OpenCheckpointLog(dir, verifier)
	if err != nil {
		return err
	}
	pub, err := audit.NewPublisher(a.DB, log, verifier, a.Clock, audit.PublisherOptions{WitnessURL: a.Config.Audit.WitnessURL})
	if err != nil {
		return err
	}
	a.Sequencer = audit.NewSequencer(a.DB, signer, a.Clock)
	a.Sequencer.PublishTo(pub)
	return nil
}

// seal runs the sequencer every sealEvery until ctx ends, then once more, since ctx ends after
// the HTTP server has finished its requests: what they recorded is sealed before the instance
// stops. Several instances may run it: they queue on the sequencer's lock and on the checkpoint
// log's file lock.
func (a *App) seal(ctx context.Context) {
	ticker := time.NewTicker(sealEvery)
	defer ticker.Stop()
	var last string
	var lastAt time.Time
	round := func(ctx context.Context) {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := a.Sequencer.Integrate(rctx)
		if err == nil {
			last = ""
			return
		}
		// A failure repeats every round until fixed: logged when it changes, and each minute.
		if now := a.Clock.Now(); err.Error() != last || now.Sub(lastAt) >= time.Minute {
			a.Log.Error("audit trail not sealed or not published", "err", err, "tampered", errors.Is(err, audit.ErrTampered))
			last, lastAt = err.Error(), now
		}
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			round(fctx)
			cancel()
			return
		case <-ticker.C:
			round(ctx)
		}
	}
}

// referenced tells whether records of any module must keep pointing at a user.
func (a *App) referenced(ctx context.Context, q database.Querier, userID uuid.UUID) (bool, error) {
	if ref, err := org.Referenced(ctx, q, userID); err != nil || ref {
		return ref, err
	}
	if ref, err := jobseeker.Referenced(ctx, q, userID); err != nil || ref {
		return ref, err
	}
	if ref, err := eligibility.Referenced(ctx, q, userID); err != nil || ref {
		return ref, err
	}
	return support.Referenced(ctx, q, userID)
}

// NewRunner returns the job runner with every job registered.
func (a *App) NewRunner() (*jobs.Runner, error) {
	r, err := jobs.New(a.DB, jobs.Options{Clock: a.Clock, Logger: a.Log, Registerer: a.Registry})
	if err != nil {
		return nil, err
	}
	for _, j := range a.Jobs() {
		if err := r.Register(j); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Handler returns the HTTP handler.
func (a *App) Handler() (http.Handler, error) {
	var demoPages web.Demo
	if a.Config.Demo {
		demoPages = DemoPages(a.DB, a.Envelope, a.Clock)
	}
	return web.New(web.Deps{Config: a.Config, Logger: a.Log, Health: a.DB, Demo: demoPages, Clock: a.Clock, Accounts: a.Accounts,
		Orgs: a.Orgs, Trail: a.Trail, Offer: a.Offer, JobSeekers: a.JobSeekers, Applications: a.Applications, Eligibility: a.Eligibility, Approvals: a.Approvals, Support: a.Support, Files: a.Files,
		Imports: a.Imports, SearchReady: a.searchReady.Load, Places: a.Places, Registry: a.Registry, Gatherer: a.Registry,
		MetricsToken: os.Getenv("PARCOURS_METRICS_TOKEN"),
		API: api.New(api.Options{Logger: a.Log, Offer: a.Offer, Places: a.Places, PASS: a.Approvals, ClientIP: web.ClientIP(a.Config.TrustProxy),
			PerMinute: a.Config.APIRateLimit})})
}

// Serve runs the HTTP server, the job runner and the mail deliverer until ctx ends, then
// shuts down gracefully: new connections stop, running requests and jobs finish.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	handler, err := a.Handler()
	if err != nil {
		return err
	}
	if a.Config.Jobs && a.Sequencer == nil {
		if err := a.OpenSequencer(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("écoute sur %s impossible : %w", a.Config.Addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	// The searches' read model is built at start; /readyz answers 503 until it is.
	wg.Go(func() { a.PrepareSearch(bg) })
	// Registry imports sent from the web page run on any instance, whether it runs the
	// periodic jobs or not: an import is asked for by a person who waits for it.
	wg.Go(func() { a.Imports.Run(bg) })
	if a.Config.Jobs {
		runner, err := a.NewRunner()
		if err != nil {
			ln.Close()
			stopBG()
			return err
		}
		wg.Go(func() {
			if err := runner.Start(bg); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("job runner stopped", "err", err)
			}
		})
		wg.Go(func() { a.seal(bg) })
	}
	smtpCfg := a.Config.SMTP
	if a.Config.Demo {
		smtpCfg.Host = "" // demo mails stay in the outbox and are shown on /demo/courriels
	}
	deliverer, err := notify.NewDeliverer(a.DB, notify.Options{SMTP: notify.SMTP{Host: smtpCfg.Host, Port: smtpCfg.Port,
		Username: smtpCfg.Username, Password: smtpCfg.Password, From: smtpCfg.From, TLS: smtpCfg.TLS},
		Envelope: a.Envelope, Clock: a.Clock, Logger: a.Log, Registerer: a.Registry})
	if err != nil {
		ln.Close()
		stopBG()
		return err
	}
	if deliverer.Disabled() {
		if !a.Config.Demo {
			a.Log.Warn("no SMTP server configured (PARCOURS_SMTP_HOST): e-mails wait in the outbox")
		}
	} else {
		wg.Go(func() {
			if err := deliverer.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("mail delivery stopped", "err", err)
			}
		})
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("listening", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL.String(), "engine", string(a.DB.Engine()), "demo", a.Config.Demo)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		a.Log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// PrepareSearch builds the searches' read model, trying again while the database does not
// answer, until it is built or ctx ends.
func (a *App) PrepareSearch(ctx context.Context) {
	began := time.Now()
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := a.Offer.PrepareSearch(ctx)
		if err == nil {
			a.Log.Info("search read model built", "duration", time.Since(began).Round(time.Millisecond))
			// Start-up (migrations, reference data, the read model) allocated about three times
			// what stays live; give that memory back to the system now rather than over the
			// next minutes, so that the instance's footprint is its working set.
			debug.FreeOSMemory()
			a.searchReady.Store(true)
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.Log.Warn("search read model not built, retrying", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// dbCollector exports the connection pools' state.
type dbCollector struct {
	db                           *database.DB
	open, inUse, idle, waitCount *prometheus.Desc
	waitSeconds                  *prometheus.Desc
}

func newDBCollector(db *database.DB) *dbCollector {
	labels := []string{"pool"}
	return &dbCollector{db: db,
		open:        prometheus.NewDesc("parcours_db_connections_open", "Open database connections.", labels, nil),
		inUse:       prometheus.NewDesc("parcours_db_connections_in_use", "Database connections in use.", labels, nil),
		idle:        prometheus.NewDesc("parcours_db_connections_idle", "Idle database connections.", labels, nil),
		waitCount:   prometheus.NewDesc("parcours_db_wait_total", "Waits for a database connection.", labels, nil),
		waitSeconds: prometheus.NewDesc("parcours_db_wait_seconds_total", "Time spent waiting for a database connection.", labels, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.inUse
	ch <- c.idle
	ch <- c.waitCount
	ch <- c.waitSeconds
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	w, r := c.db.PoolStats()
	emit := func(pool string, s sql.DBStats) {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(s.OpenConnections), pool)
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(s.InUse), pool)
		ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.Idle), pool)
		ch <- prometheus.MustNewConstMetric(c.waitCount, prometheus.CounterValue, float64(s.WaitCount), pool)
		ch <- prometheus.MustNewConstMetric(c.waitSeconds, prometheus.CounterValue, s.WaitDuration.Seconds(), pool)
	}
	emit("writer", w)
	if r != nil {
		emit("readers", *r)
	}
}
