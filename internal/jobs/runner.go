package jobs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Start looks for due jobs at once and then every Tick until ctx is cancelled; each due job runs
// in its own goroutine so that a long one does not delay the others. Once ctx is cancelled,
// Start waits up to StopTimeout for running jobs, then cancels their contexts and waits a few
// more seconds. It blocks: run it in its own goroutine. A Runner starts once.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("exécuteur de tâches déjà démarré")
	}
	r.started = true
	r.mu.Unlock()

	// Runs outlive ctx on purpose: a purge stopped half-way is safe but wasteful, so they get
	// StopTimeout to finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	var wg sync.WaitGroup
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	var lastPrune time.Time
	for {
		if err := r.tickJobs(ctx, jobCtx, &wg); err != nil && ctx.Err() == nil {
			r.log.Error("jobs: tick failed", "err", err)
		}
		if now := r.clock.Now(); now.Sub(lastPrune) >= time.Hour && ctx.Err() == nil {
			lastPrune = now
			if n, err := Prune(ctx, r.db.Writer(), now.Add(-r.keepHistory)); err != nil {
				r.log.Error("jobs: history prune failed", "err", err)
			} else if n > 0 {
				r.log.Info("jobs: history pruned", "deleted", n)
			}
		}
		select {
		case <-ctx.Done():
			return r.stop(&wg, cancelJobs)
		case <-ticker.C:
		}
	}
}

func (r *Runner) stop(wg *sync.WaitGroup, cancelJobs context.CancelFunc) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(r.stopTimeout):
	}
	r.log.Warn("jobs: stop timeout reached, cancelling running jobs")
	cancelJobs()
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("des tâches tournaient encore à l'arrêt")
	}
}

// Tick claims and runs every job that is due now, and waits for them. Start calls the same
// logic on a timer; tests and one-shot commands call Tick directly. The error reports claims
// that failed (database trouble); a job's own failure is recorded in job_runs, not returned.
func (r *Runner) Tick(ctx context.Context) error {
	var wg sync.WaitGroup
	err := r.tickJobs(ctx, ctx, &wg)
	wg.Wait()
	return err
}

func (r *Runner) tickJobs(ctx, jobCtx context.Context, wg *sync.WaitGroup) error {
	now := r.clock.Now().UTC()
	var errs []error
	for _, name := range r.Jobs() {
		if ctx.Err() != nil {
			break
		}
		j, _ := r.lookup(name)
		if !r.markRunning(name) {
			continue
		}
		c, ok, err := r.claim(ctx, j, now)
		if err != nil || !ok {
			r.unmarkRunning(name)
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		wg.Go(func() {
			defer r.unmarkRunning(name)
			_, _ = r.execute(jobCtx, j, c)
		})
	}
	return errors.Join(errs...)
}

// RunNow runs the named job once, now, and waits for it: the purge command and the operations
// page use it. The run is recorded as manual and does not count as the slot's run. It refuses to
// start while a run of the same job is live on any instance (ErrAlreadyRunning).
func (r *Runner) RunNow(ctx context.Context, name string) (Result, error) {
	j, ok := r.lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w : %s", ErrUnknownJob, name)
	}
	if !r.markRunning(name) {
		return nil, fmt.Errorf("tâche %s : %w", name, ErrAlreadyRunning)
	}
	defer r.unmarkRunning(name)
	c, err := r.claimManual(ctx, j, r.clock.Now().UTC())
	if err != nil {
		return nil, err
	}
	return r.execute(ctx, j, c)
}

func (r *Runner) markRunning(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[name] {
		return false
	}
	r.running[name] = true
	return true
}

func (r *Runner) unmarkRunning(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, name)
}

// execute runs a claimed job and records how it ended.
func (r *Runner) execute(ctx context.Context, j *registered, c claim) (Result, error) {
	runCtx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	began := time.Now()
	res, err := protect(runCtx, j.Run)
	elapsed := time.Since(began)
	now := r.clock.Now().UTC()

	outcome := Succeeded
	var errText *string
	var retryAt *time.Time
	if err != nil {
		outcome = Failed
		s := redact(err.Error())
		errText = &s
		if !c.manual && c.attempt < j.MaxAttempts {
			if at := now.Add(backoff(c.attempt)); at.Before(c.slotEnd) {
				retryAt = &at
			}
		}
	}
	// Record the end even when the stop deadline cancelled ctx, or the run would look stuck
	// until its lease expired.
	finishCtx, cancelFinish := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelFinish()
	kept, ferr := r.finish(finishCtx, c, outcome, now, res, errText, retryAt)

	r.metrics.observe(j.Name, outcome, elapsed, now)
	attrs := []any{"job", j.Name, "slot", c.slot, "attempt", c.attempt, "manual", c.manual,
		"outcome", string(outcome), "duration", elapsed.Round(time.Millisecond)}
	for k, v := range res {
		attrs = append(attrs, "count."+k, v)
	}
	switch {
	case ferr != nil:
		r.log.Error("jobs: run end not recorded", append(attrs, "err", ferr)...)
	case !kept:
		r.log.Warn("jobs: run overran its lease and was taken over", attrs...)
	case err != nil:
		r.log.Error("jobs: run failed", append(attrs, "err", *errText, "retry_at", retryAt)...)
	default:
		r.log.Info("jobs: run succeeded", attrs...)
	}
	if err != nil {
		return res, fmt.Errorf("tâche %s : %w", j.Name, err)
	}
	return res, ferr
}

// protect turns a panicking job into a failed run instead of a crashed process.
func protect(ctx context.Context, run func(context.Context) (Result, error)) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			// The panic value may hold data; only its type and the stack's first frames go out.
			err = fmt.Errorf("panique (%T) : %s", p, firstFrames(debug.Stack()))
		}
	}()
	return run(ctx)
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	var funcs []string
	for i, l := range lines {
		// Function lines are followed by an indented file:line; keep the functions only.
		if i > 0 && !strings.HasPrefix(l, "\t") && l != "" && !strings.HasPrefix(l, "goroutine ") &&
			!strings.HasPrefix(l, "panic(") && !strings.HasPrefix(l, "runtime/debug.") {
			funcs = append(funcs, l)
		}
		if len(funcs) == 3 {
			break
		}
	}
	return strings.Join(funcs, " < ")
}

var (
	emailLike  = regexp.MustCompile(`[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+`)
	longNumber = regexp.MustCompile(`\d[\d ]{7,}\d`)
)

// maxErrorText bounds what job_runs keeps of an error.
const maxErrorText = 1000

// redact keeps job errors free of the personal data most likely to slip into them (addresses,
// NIR and phone numbers) before they are stored and logged. Job errors should not carry personal
// data in the first place; this is the safety net.
func redact(s string) string {
	s = emailLike.ReplaceAllString(s, "[adresse]")
	s = longNumber.ReplaceAllString(s, "[numéro]")
	if len(s) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
