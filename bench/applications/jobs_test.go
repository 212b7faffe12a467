package applications

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/jobs"
)

// copyDatabase copies the seeded database so that a job's run starts from the same table each
// time, and returns the copy's URL and a function that drops it. PostgreSQL copies it with
// CREATE DATABASE … TEMPLATE (nothing else may be connected to the seeded database), SQLite
// copies the file after a checkpoint.
func copyDatabase(tb testing.TB, source string) (string, func()) {
	tb.Helper()
	ctx := context.Background()
	engine, target, err := database.Parse(source, "")
	if err != nil {
		tb.Fatal(err)
	}
	// The lists' benchmarks of the same run keep connections to the seeded database open.
	if opened != nil {
		opened.db.Close()
		opened, openOnce = nil, sync.Once{}
	}
	if engine == database.Postgres {
		u, err := url.Parse(target)
		if err != nil {
			tb.Fatal(err)
		}
		name := strings.TrimPrefix(u.Path, "/")
		copyName := name + "_job"
		admin := *u
		admin.Path = "/postgres"
		pool, err := sql.Open("pgx", admin.String())
		if err != nil {
			tb.Fatal(err)
		}
		defer pool.Close()
		if _, err := pool.ExecContext(ctx, `DROP DATABASE IF EXISTS `+copyName); err != nil {
			tb.Fatal(err)
		}
		if _, err := pool.ExecContext(ctx, `CREATE DATABASE `+copyName+` TEMPLATE `+name); err != nil {
			tb.Fatalf("copy of %s (close every other connection to it): %v", name, err)
		}
		c := *u
		c.Path = "/" + copyName
		return c.String(), func() {
			pool, err := sql.Open("pgx", admin.String())
			if err == nil {
				_, err = pool.ExecContext(ctx, `DROP DATABASE IF EXISTS `+copyName+` WITH (FORCE)`)
				pool.Close()
			}
			if err != nil {
				tb.Error(err)
			}
		}
	}
	db, err := database.Open(ctx, source, "", database.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Migrate(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	db.Close()
	copyPath := target + ".job.db"
	if err := copyFile(target, copyPath); err != nil {
		tb.Fatal(err)
	}
	return "sqlite:" + copyPath, func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(copyPath + suffix)
		}
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// readers lists received applications of the biggest structures, one after the other, until
// stop is closed, and returns the time of each list.
func readers(bb *bench, stop <-chan struct{}) latencies {
	ctx := context.Background()
	var l latencies
	filters := []string{"all", "pending", "refused-last-90-days", "job-description"}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return l
		default:
		}
		actor := bb.employers[i%len(bb.employers)]
		start := time.Now()
		if _, _, err := bb.svc.Received(ctx, actor, bb.receivedFilter(filters[i%len(filters)], actor, i)); err != nil {
			panic(err)
		}
		l = append(l, time.Since(start))
	}
}

// benchmarkJob runs one job over a fresh copy of the seeded table, with the received list read
// in a loop beside it: the job's duration, what it did, and the lists' times while it ran and,
// for comparison, during the same time just before.
func benchmarkJob(b *testing.B, name string, run func(*application.Service) func(context.Context) (jobs.Result, error)) {
	source := benchURL(b)
	for b.Loop() {
		b.StopTimer()
		copied, drop := copyDatabase(b, source)
		bb, err := openBench(context.Background(), copied)
		if err != nil {
			drop()
			b.Fatal(err)
		}
		quiet := measureReads(bb, 5*time.Second)
		stop := make(chan struct{})
		var during latencies
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); during = readers(bb, stop) }()
		b.StartTimer()
		start := time.Now()
		res, err := run(bb.svc)(context.Background())
		took := time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		bb.db.Close()
		drop()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(took.Seconds(), "job-s")
		for k, v := range res {
			b.ReportMetric(float64(v), k)
		}
		quiet.report(b, "quiet-list-")
		during.report(b, "during-list-")
		b.ReportMetric(float64(len(during)), "lists-during")
		fmt.Fprintf(os.Stderr, "%s: %s in %s; lists while it ran: %d, p50 %s p99 %s max %s (before: p50 %s p99 %s)\n", name, fmt.Sprint(map[string]int(res)),
			took.Round(time.Millisecond), len(during), during.quantile(0.5).Round(10*time.Microsecond), during.quantile(0.99).Round(10*time.Microsecond),
			during.quantile(1).Round(10*time.Microsecond), quiet.quantile(0.5).Round(10*time.Microsecond), quiet.quantile(0.99).Round(10*time.Microsecond))
		b.StartTimer()
	}
}

func measureReads(bb *bench, d time.Duration) latencies {
	stop := make(chan struct{})
	time.AfterFunc(d, func() { close(stop) })
	return readers(bb, stop)
}

// BenchmarkAutoRefuseJob refuses every application untouched for 60 days in new or processing
// (the seed leaves 5 % of the older ones so: the backlog of a first run), and mails the people.
// Run it alone, with -benchtime 1x: each iteration copies the seeded database.
func BenchmarkAutoRefuseJob(b *testing.B) {
	benchmarkJob(b, "refus automatique", func(s *application.Service) func(context.Context) (jobs.Result, error) { return s.RefuseUntouched })
}

// BenchmarkArchiveJob archives every application untouched for 180 days: on the seeded table,
// never archived, that is most of it (a first run).
func BenchmarkArchiveJob(b *testing.B) {
	benchmarkJob(b, "archivage", func(s *application.Service) func(context.Context) (jobs.Result, error) { return s.ArchiveUntouched })
}
