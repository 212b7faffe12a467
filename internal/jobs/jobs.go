// Package jobs runs the platform's periodic jobs (purges, reminders, automatic refusals) on
// every instance, while making sure that each run happens once across all of them.
//
// Time is cut into slots (every N minutes, or one day starting at a Paris wall-clock time). An
// instance runs a job's current slot only if its INSERT of the (job, slot) row in job_runs wins
// the unique index, so several instances on one PostgreSQL never run the same slot twice.
//
// Choices worth knowing:
//   - Only the current slot is run: slots missed while every instance was down are not caught
//     up, because a job processes "everything due", so the next run does the missed work.
//   - A failed run is retried within its slot after a backoff (1 min, 2 min, 4 min… capped at
//     1 h) up to Job.MaxAttempts, as long as the retry falls before the slot's end; after that
//     the next slot's run takes over.
//   - A run holds a lease of Job.Timeout plus a grace period; its context is cancelled at
//     Job.Timeout, so a live instance never outlives its lease. If the instance dies, another
//     one takes the run over once the lease has expired.
//   - Runs of one job never overlap: a slot is not started while a run of the same job holds a
//     live lease.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/fault"
)

// Result is what a run reports: counts of what it did, e.g. {"warned": 3, "deleted": 1}. It is
// stored and shown on the operations page, so it never holds personal data.
type Result map[string]int

// Job is a periodic task. Exactly one of Every and Daily is set.
type Job struct {
	// Name identifies the job in job_runs, metrics and logs, e.g. "account.inactivity".
	Name string
	// Every runs the job once per interval (slots aligned on the Unix epoch).
	Every time.Duration
	// Daily runs the job once a day at this Paris time, "HH:MM" (02:00–02:59 refused).
	Daily string
	// Timeout bounds a run (default 10 minutes). The run's lease lasts Timeout plus a grace
	// period, after which another instance may take it over.
	Timeout time.Duration
	// MaxAttempts bounds the tries of one slot (default 3).
	MaxAttempts int
	// Run does the work. It must be idempotent: a run whose instance died is run again.
	Run func(ctx context.Context) (Result, error)
}

// Options configure a Runner. The zero value is usable.
type Options struct {
	// Clock gives "now" (default the system clock).
	Clock clock.Clock
	// Logger receives one line per run (default: discard).
	Logger *slog.Logger
	// Registerer receives the metrics; nil means no metrics.
	Registerer prometheus.Registerer
	// Instance names this process in job_runs.claimed_by (default: host name and a random suffix).
	Instance string
	// Tick is how often Start looks for due jobs (default 15 s).
	Tick time.Duration
	// StopTimeout is how long Start waits for running jobs once its context is cancelled
	// before cancelling theirs (default 30 s).
	StopTimeout time.Duration
	// KeepHistory is how long finished runs stay in job_runs (default 30 days); Start prunes
	// older ones about once an hour.
	KeepHistory time.Duration
}

// Defaults.
const (
	defaultTick        = 15 * time.Second
	defaultStopTimeout = 30 * time.Second
	defaultTimeout     = 10 * time.Minute
	defaultAttempts    = 3
	defaultKeepHistory = 30 * 24 * time.Hour
	// leaseGrace covers clock differences between instances: a run's context ends at Timeout,
	// its lease a little later, so a live run never loses its lease.
	leaseGrace = time.Minute
	// Retry backoff within a slot.
	retryBase = time.Minute
	retryMax  = time.Hour
)

// Runner runs registered jobs. It is safe for concurrent use.
type Runner struct {
	db          *database.DB
	clock       clock.Clock
	log         *slog.Logger
	instance    string
	interval    time.Duration
	stopTimeout time.Duration
	keepHistory time.Duration
	metrics     *metrics

	mu      sync.Mutex
	jobs    map[string]*registered
	order   []string
	running map[string]bool // jobs running in this process, so that a slow run is not doubled locally
	started bool
	wg      sync.WaitGroup
}

type registered struct {
	Job
	schedule schedule
}

// New returns a Runner on db. It fails only if the metrics cannot be registered.
func New(db *database.DB, opts Options) (*Runner, error) {
	r := &Runner{
		db:          db,
		clock:       opts.Clock,
		log:         opts.Logger,
		instance:    opts.Instance,
		interval:    opts.Tick,
		stopTimeout: opts.StopTimeout,
		keepHistory: opts.KeepHistory,
		jobs:        map[string]*registered{},
		running:     map[string]bool{},
	}
	if r.clock == nil {
		r.clock = clock.System{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.instance == "" {
		r.instance = InstanceName()
	}
	if r.interval <= 0 {
		r.interval = defaultTick
	}
	if r.stopTimeout <= 0 {
		r.stopTimeout = defaultStopTimeout
	}
	if r.keepHistory <= 0 {
		r.keepHistory = defaultKeepHistory
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	r.metrics = m
	return r, nil
}

// InstanceName returns a name for this process, unique across instances: the host name (not
// personal data: a server's) and a random suffix.
func InstanceName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "parcours"
	}
	return host + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:8]
}

// Instance returns the name under which this runner claims runs.
func (r *Runner) Instance() string { return r.instance }

var jobName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Register adds a job. Names are unique; a job needs a schedule and a Run function.
func (r *Runner) Register(j Job) error {
	if !jobName.MatchString(j.Name) {
		return fmt.Errorf("tâche %q : nom invalide (minuscules, chiffres, . _ -)", j.Name)
	}
	if j.Run == nil {
		return fmt.Errorf("tâche %s : fonction Run absente", j.Name)
	}
	reg := &registered{Job: j}
	switch {
	case j.Every > 0 && j.Daily != "":
		return fmt.Errorf("tâche %s : Every et Daily sont exclusifs", j.Name)
	case j.Every > 0:
		if j.Every < time.Second {
			return fmt.Errorf("tâche %s : intervalle inférieur à une seconde", j.Name)
		}
		reg.schedule = every(j.Every)
	case j.Daily != "":
		d, err := parseDaily(j.Daily)
		if err != nil {
			return fmt.Errorf("tâche %s : %w", j.Name, err)
		}
		reg.schedule = d
	default:
		return fmt.Errorf("tâche %s : ni Every ni Daily", j.Name)
	}
	if reg.Timeout <= 0 {
		reg.Timeout = defaultTimeout
	}
	if reg.MaxAttempts <= 0 {
		reg.MaxAttempts = defaultAttempts
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.jobs[j.Name]; dup {
		return fmt.Errorf("tâche %s : déjà enregistrée", j.Name)
	}
	r.jobs[j.Name] = reg
	r.order = append(r.order, j.Name)
	return nil
}

// Jobs returns the registered job names in registration order.
func (r *Runner) Jobs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

func (r *Runner) lookup(name string) (*registered, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[name]
	return j, ok
}

// Errors of RunNow; they carry the fault kinds NotFound and Conflict.
var (
	ErrUnknownJob     = fmt.Errorf("tâche inconnue : %w", fault.NotFound)
	ErrAlreadyRunning = fmt.Errorf("une exécution est déjà en cours : %w", fault.Conflict)
)

// backoff returns the delay before retry number attempt+1 of a slot.
func backoff(attempt int) time.Duration {
	d := retryBase
	for i := 1; i < attempt && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}
