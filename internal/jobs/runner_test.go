package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/jobs"
)

func newRunner(t *testing.T, db *database.DB, clk clock.Clock, instance string) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(db, jobs.Options{Clock: clk, Instance: instance})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func counting(n *atomic.Int64) func(context.Context) (jobs.Result, error) {
	return func(context.Context) (jobs.Result, error) {
		n.Add(1)
		return jobs.Result{"done": 1}, nil
	}
}

func mustRegister(t *testing.T, r *jobs.Runner, j jobs.Job) {
	t.Helper()
	if err := r.Register(j); err != nil {
		t.Fatal(err)
	}
}

func tick(t *testing.T, r *jobs.Runner) {
	t.Helper()
	if err := r.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func history(t *testing.T, db *database.DB, name string) []jobs.Run {
	t.Helper()
	runs, err := jobs.History(t.Context(), db.Reader(), name, 100)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestJobRunsOncePerSlot(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 7, 0, time.UTC))
		r := newRunner(t, db, clk, "a")
		var n atomic.Int64
		mustRegister(t, r, jobs.Job{Name: "count", Every: time.Minute, Run: counting(&n)})
		for range 5 {
			tick(t, r)
		}
		if n.Load() != 1 {
			t.Fatalf("%d runs after 5 ticks in one slot, want 1", n.Load())
		}
		clk.Advance(30 * time.Second) // 10:00:37, same slot
		tick(t, r)
		clk.Advance(30 * time.Second) // 10:01:07, next slot
		for range 3 {
			tick(t, r)
		}
		if n.Load() != 2 {
			t.Fatalf("%d runs over two slots, want 2", n.Load())
		}
		runs := history(t, db, "count")
		if len(runs) != 2 {
			t.Fatalf("history has %d runs, want 2", len(runs))
		}
		latest := runs[0]
		if latest.Outcome != jobs.Succeeded || latest.Attempt != 1 || latest.ClaimedBy != "a" || latest.Counts["done"] != 1 ||
			!latest.Slot.Equal(time.Date(2026, 3, 10, 10, 1, 0, 0, time.UTC)) || latest.FinishedAt.IsZero() {
			t.Fatalf("latest run = %+v", latest)
		}
		if all := history(t, db, ""); len(all) != 2 {
			t.Fatalf("history of all jobs has %d runs", len(all))
		}
	})
}

// Two instances share one database: whatever the interleaving, each slot runs once.
func TestTwoInstancesRunEachSlotExactlyOnce(t *testing.T) {
	for _, engine := range []database.Engine{database.SQLite, database.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			db1, url := databasetest.Open(t, engine)
			db2, err := database.Open(t.Context(), url, "", database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
			var minute, fiveMinutes atomic.Int64
			var runners []*jobs.Runner
			for i, db := range []*database.DB{db1, db2} {
				r := newRunner(t, db, clk, []string{"a", "b"}[i])
				mustRegister(t, r, jobs.Job{Name: "minute", Every: time.Minute, Run: counting(&minute)})
				mustRegister(t, r, jobs.Job{Name: "five", Every: 5 * time.Minute, Run: counting(&fiveMinutes)})
				runners = append(runners, r)
			}
			const slots = 20
			for i := range slots {
				var wg sync.WaitGroup
				for g := range 6 {
					wg.Go(func() {
						for range 3 {
							if err := runners[g%2].Tick(t.Context()); err != nil {
								t.Error(err)
							}
						}
					})
				}
				wg.Wait()
				if got := minute.Load(); got != int64(i+1) {
					t.Fatalf("after slot %d: %d runs of the minute job, want %d", i, got, i+1)
				}
				clk.Advance(time.Minute)
			}
			if got := fiveMinutes.Load(); got != slots/5 {
				t.Fatalf("%d runs of the five-minute job, want %d", got, slots/5)
			}
			if runs := history(t, db1, "minute"); len(runs) != slots {
				t.Fatalf("%d rows for the minute job, want %d", len(runs), slots)
			}
		})
	}
}

func TestFailedRunIsRetriedWithBackoffAndItsErrorRecorded(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		clk := clock.NewFake(t0)
		r := newRunner(t, db, clk, "a")
		var calls atomic.Int64
		mustRegister(t, r, jobs.Job{Name: "flaky", Every: time.Hour, MaxAttempts: 3, Run: func(context.Context) (jobs.Result, error) {
			if calls.Add(1) < 3 {
				return jobs.Result{"partial": 1}, errors.New("smtp refused jean.dupont@example.org")
			}
			return jobs.Result{"sent": 4}, nil
		}})
		tick(t, r)
		run := history(t, db, "flaky")[0]
		if run.Outcome != jobs.Failed || run.Attempt != 1 || !run.RetryAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after the first failure: %+v", run)
		}
		if !strings.Contains(run.Error, "smtp refused") || strings.Contains(run.Error, "dupont") {
			t.Fatalf("recorded error %q: want the message without the address", run.Error)
		}
		tick(t, r)
		clk.Advance(59 * time.Second)
		tick(t, r)
		if calls.Load() != 1 {
			t.Fatalf("retried before the backoff: %d calls", calls.Load())
		}
		clk.Advance(time.Second)
		tick(t, r)
		run = history(t, db, "flaky")[0]
		if calls.Load() != 2 || run.Attempt != 2 || run.Outcome != jobs.Failed || !run.RetryAt.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("second attempt: %d calls, %+v", calls.Load(), run)
		}
		clk.Advance(2 * time.Minute)
		tick(t, r)
		runs := history(t, db, "flaky")
		if len(runs) != 1 {
			t.Fatalf("%d rows for one slot", len(runs))
		}
		run = runs[0]
		if calls.Load() != 3 || run.Attempt != 3 || run.Outcome != jobs.Succeeded || run.Counts["sent"] != 4 ||
			!run.RetryAt.IsZero() || !strings.Contains(run.Error, "smtp refused") {
			t.Fatalf("third attempt: %d calls, %+v", calls.Load(), run)
		}
		clk.Advance(10 * time.Minute)
		tick(t, r)
		if calls.Load() != 3 {
			t.Fatalf("a succeeded slot ran again: %d calls", calls.Load())
		}
	})
}

func TestRetriesStopAtMaxAttemptsAndTheNextSlotRuns(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		r := newRunner(t, db, clk, "a")
		var calls atomic.Int64
		mustRegister(t, r, jobs.Job{Name: "broken", Every: time.Hour, MaxAttempts: 2, Run: func(context.Context) (jobs.Result, error) {
			calls.Add(1)
			return nil, errors.New("broken")
		}})
		for range 30 { // 30 minutes of ticks
			tick(t, r)
			clk.Advance(time.Minute)
		}
		if calls.Load() != 2 {
			t.Fatalf("%d attempts in the slot, want 2", calls.Load())
		}
		if run := history(t, db, "broken")[0]; run.Attempt != 2 || !run.RetryAt.IsZero() || run.Outcome != jobs.Failed {
			t.Fatalf("exhausted run: %+v", run)
		}
		clk.Advance(30 * time.Minute)
		tick(t, r)
		if calls.Load() != 3 {
			t.Fatalf("the next slot did not run: %d calls", calls.Load())
		}
	})
}

func TestPanickingJobIsAFailedRun(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		r := newRunner(t, db, clk, "a")
		mustRegister(t, r, jobs.Job{Name: "panics", Every: time.Hour, Run: func(context.Context) (jobs.Result, error) {
			panic("secret jean.dupont@example.org")
		}})
		tick(t, r)
		run := history(t, db, "panics")[0]
		if run.Outcome != jobs.Failed || !strings.Contains(run.Error, "panique") || strings.Contains(run.Error, "secret") {
			t.Fatalf("panicking run: %+v", run)
		}
	})
}

// A daily job runs at its Paris time on both sides of each daylight saving change.
func TestDailyJobRunsAtParisTimeAcrossDST(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		for _, period := range []struct{ from, to time.Time }{
			{time.Date(2026, 3, 27, 12, 0, 0, 0, clock.Paris), time.Date(2026, 4, 1, 0, 0, 0, 0, clock.Paris)},
			{time.Date(2026, 10, 23, 12, 0, 0, 0, clock.Paris), time.Date(2026, 10, 28, 0, 0, 0, 0, clock.Paris)},
		} {
			clk := clock.NewFake(period.from)
			r := newRunner(t, db, clk, "a")
			var mu sync.Mutex
			var at []time.Time
			mustRegister(t, r, jobs.Job{Name: "nightly-" + period.from.Format("01"), Daily: "03:30", Run: func(context.Context) (jobs.Result, error) {
				mu.Lock()
				defer mu.Unlock()
				at = append(at, clk.Now())
				return nil, nil
			}})
			for clk.Now().Before(period.to) {
				tick(t, r)
				clk.Advance(10 * time.Minute)
			}
			// The first run catches up the slot that was current at start; then one per day.
			if len(at) != 5 || !at[0].Equal(period.from.UTC()) {
				t.Fatalf("runs at %v", at)
			}
			day := period.from
			for _, got := range at[1:] {
				day = day.AddDate(0, 0, 1)
				want := time.Date(day.Year(), day.Month(), day.Day(), 3, 30, 0, 0, clock.Paris)
				if !got.Equal(want) {
					t.Errorf("run at %v (Paris %s), want %v", got, got.In(clock.Paris).Format("2006-01-02 15:04 MST"), want)
				}
			}
		}
	})
}

// An instance that stops responding mid-run loses its run to another one once the lease
// expires; when it comes back, its late result does not overwrite the new one.
func TestStuckRunIsTakenOverAfterLeaseExpiry(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		clk := clock.NewFake(t0)
		a := newRunner(t, db, clk, "a")
		b := newRunner(t, db, clk, "b")
		started, release := make(chan struct{}), make(chan struct{})
		mustRegister(t, a, jobs.Job{Name: "slow", Every: time.Hour, Timeout: time.Minute, Run: func(context.Context) (jobs.Result, error) {
			close(started)
			<-release
			return jobs.Result{"by_a": 1}, nil
		}})
		var bRuns atomic.Int64
		mustRegister(t, b, jobs.Job{Name: "slow", Every: time.Hour, Timeout: time.Minute, Run: counting(&bRuns)})
		aDone := make(chan error)
		go func() { aDone <- a.Tick(context.Background()) }()
		<-started
		tick(t, b)
		if bRuns.Load() != 0 {
			t.Fatal("b ran a slot whose lease is live")
		}
		clk.Advance(2 * time.Minute) // lease = timeout + 1 min grace: exactly expired
		tick(t, b)
		if bRuns.Load() != 1 {
			t.Fatalf("b did not take the run over: %d runs", bRuns.Load())
		}
		close(release)
		if err := <-aDone; err != nil {
			t.Fatal(err)
		}
		runs := history(t, db, "slow")
		if len(runs) != 1 {
			t.Fatalf("%d rows", len(runs))
		}
		if run := runs[0]; run.ClaimedBy != "b" || run.Attempt != 2 || run.Outcome != jobs.Succeeded || run.Counts["done"] != 1 {
			t.Fatalf("after takeover: %+v", run)
		}
	})
}

// A run left "running" by a dead instance in a past slot is closed as failed, and does not
// block the job.
func TestDeadInstanceRunOfAPastSlotIsClosed(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
		_, err := db.Writer().ExecContext(t.Context(), `INSERT INTO job_runs
			(id, job, slot, manual, claimed_by, attempt, started_at, lease_until, outcome)
			VALUES ('0190a0a0-0000-7000-8000-000000000001', 'hourly', $1, FALSE, 'dead', 1, $1, $2, 'running')`,
			t0.Add(-time.Hour), t0.Add(-time.Hour+11*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewFake(t0)
		r := newRunner(t, db, clk, "a")
		var n atomic.Int64
		mustRegister(t, r, jobs.Job{Name: "hourly", Every: time.Hour, Run: counting(&n)})
		tick(t, r)
		if n.Load() != 1 {
			t.Fatalf("%d runs", n.Load())
		}
		runs := history(t, db, "hourly")
		if len(runs) != 2 || runs[1].ClaimedBy != "dead" || runs[1].Outcome != jobs.Failed || runs[1].Error == "" {
			t.Fatalf("history: %+v", runs)
		}
	})
}

func TestRunNow(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 3, 30, 0, 0, clock.Paris))
		r := newRunner(t, db, clk, "cli")
		var n atomic.Int64
		mustRegister(t, r, jobs.Job{Name: "purge", Daily: "03:30", Run: counting(&n)})
		mustRegister(t, r, jobs.Job{Name: "fails", Daily: "04:00", Run: func(context.Context) (jobs.Result, error) {
			return nil, errors.New("boom")
		}})
		res, err := r.RunNow(t.Context(), "purge")
		if err != nil || res["done"] != 1 || n.Load() != 1 {
			t.Fatalf("RunNow = %v, %v (%d runs)", res, err, n.Load())
		}
		// A manual run does not use up the scheduled slot.
		tick(t, r)
		if n.Load() != 2 {
			t.Fatalf("the scheduled run did not happen after a manual one: %d runs", n.Load())
		}
		runs := history(t, db, "purge")
		if len(runs) != 2 || !runs[1].Manual || runs[0].Manual {
			t.Fatalf("history: %+v", runs)
		}
		if _, err := r.RunNow(t.Context(), "nope"); !errors.Is(err, fault.NotFound) {
			t.Fatalf("unknown job: %v", err)
		}
		if _, err := r.RunNow(t.Context(), "fails"); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("failing job: %v", err)
		}
		if run := history(t, db, "fails")[0]; run.Outcome != jobs.Failed || !run.RetryAt.IsZero() {
			t.Fatalf("failed manual run: %+v", run)
		}
	})
}

func TestRunNowRefusesToOverlapALiveRun(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		server := newRunner(t, db, clk, "server")
		cli := newRunner(t, db, clk, "cli")
		started, release := make(chan struct{}), make(chan struct{})
		mustRegister(t, server, jobs.Job{Name: "purge", Every: time.Hour, Run: func(context.Context) (jobs.Result, error) {
			close(started)
			<-release
			return nil, nil
		}})
		mustRegister(t, cli, jobs.Job{Name: "purge", Every: time.Hour, Run: func(context.Context) (jobs.Result, error) { return nil, nil }})
		done := make(chan error)
		go func() { done <- server.Tick(context.Background()) }()
		<-started
		_, err := cli.RunNow(t.Context(), "purge")
		close(release)
		if !errors.Is(err, fault.Conflict) {
			t.Fatalf("RunNow during a live run: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestStartRunsDueJobsAndStopsGracefully(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		clk := clock.NewFake(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
		reg := prometheus.NewRegistry()
		r, err := jobs.New(db, jobs.Options{Clock: clk, Instance: "a", Tick: 5 * time.Millisecond, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		var finished atomic.Bool
		mustRegister(t, r, jobs.Job{Name: "slow", Every: time.Hour, Run: func(ctx context.Context) (jobs.Result, error) {
			close(started)
			time.Sleep(100 * time.Millisecond)
			finished.Store(true)
			return jobs.Result{"n": 1}, ctx.Err()
		}})
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan error)
		go func() { stopped <- r.Start(ctx) }()
		<-started
		cancel()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		if !finished.Load() {
			t.Fatal("Start returned before the running job finished")
		}
		if run := history(t, db, "slow")[0]; run.Outcome != jobs.Succeeded {
			t.Fatalf("run: %+v", run)
		}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, f := range families {
			seen[f.GetName()] = true
		}
		for _, name := range []string{"parcours_job_runs_total", "parcours_job_run_duration_seconds", "parcours_job_last_success_timestamp_seconds"} {
			if !seen[name] {
				t.Errorf("metric %s missing", name)
			}
		}
	})
}

func TestRegisterValidates(t *testing.T) {
	db, _ := databasetest.Open(t, database.SQLite)
	r := newRunner(t, db, clock.NewFake(time.Now()), "a")
	run := func(context.Context) (jobs.Result, error) { return nil, nil }
	for _, j := range []jobs.Job{
		{Name: "", Every: time.Minute, Run: run},
		{Name: "Bad Name", Every: time.Minute, Run: run},
		{Name: "x", Run: run},
		{Name: "x", Every: time.Minute, Daily: "03:00", Run: run},
		{Name: "x", Daily: "02:30", Run: run},
		{Name: "x", Every: time.Minute},
	} {
		if err := r.Register(j); err == nil {
			t.Errorf("Register(%+v) accepted", j)
		}
	}
	mustRegister(t, r, jobs.Job{Name: "x", Every: time.Minute, Run: run})
	if err := r.Register(jobs.Job{Name: "x", Every: time.Minute, Run: run}); err == nil {
		t.Error("duplicate name accepted")
	}
}
