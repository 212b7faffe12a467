// Package applications measures the applications at national scale (issue 8) on a database
// that bench/seed filled: the three lists (an employer's received applications, a prescriber's
// sent ones, a job seeker's own), and the automatic refusal and archiving jobs over the whole
// table while lists are read beside them. These are benchmarks only: they read the database
// named by PARCOURS_BENCH_DATABASE_URL (postgres://… or sqlite:PATH) and skip without it.
//
//	go run ./bench/seed --data-dir /tmp/bench                 # 1,000,000 applications
//	PARCOURS_BENCH_DATABASE_URL=sqlite:/tmp/bench/parcours.db \
//	PARCOURS_BENCH_KEY_FILE=/tmp/bench/keys/keyring.json \
//	  go test ./bench/applications -run '^$' -bench List -benchtime 2000x -count 3
//
// Each list iteration is what the page asks of the service: the access decision, the query and
// the audit entry of the read, committed. p50 and p99 are over every iteration of a run.
package applications

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/application"
	"parcours/internal/audit"
	"parcours/internal/clock"
	"parcours/internal/crypto"
	"parcours/internal/database"
	"parcours/internal/files"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
	"parcours/internal/refdata"
)

// bench is the services over the seeded database, and who acts in the lists.
type bench struct {
	db  *database.DB
	svc *application.Service
	// employers act for the structures that received the most applications, prescribers for
	// the organisations that sent the most, people are job seekers with an account.
	employers, prescribers, people []access.Actor
	// jobs are job descriptions named by applications of the employers' structures.
	jobs map[uuid.UUID][]uuid.UUID
}

var (
	openOnce sync.Once
	opened   *bench
	openErr  error
)

func benchURL(tb testing.TB) string {
	u := os.Getenv("PARCOURS_BENCH_DATABASE_URL")
	if u == "" {
		tb.Skip("PARCOURS_BENCH_DATABASE_URL not set: seed a database with go run ./bench/seed and name it (postgres://… or sqlite:PATH)")
	}
	return u
}

func open(tb testing.TB) *bench {
	u := benchURL(tb)
	openOnce.Do(func() { opened, openErr = openBench(context.Background(), u) })
	if openErr != nil {
		tb.Fatal(openErr)
	}
	return opened
}

// services builds the application service over db as parcours serve does.
func services(db *database.DB) (*application.Service, error) {
	clk := clock.System{}
	var kr *crypto.Keyring
	var err error
	if path := os.Getenv("PARCOURS_BENCH_KEY_FILE"); path != "" {
		kr, err = crypto.LoadKeyring(path)
	} else {
		// Lists open nothing sealed and the jobs seal under new keys: any keyring will do,
		// only the audit pseudonyms differ from the server's.
		kr, err = crypto.NewKeyring(clk.Now())
	}
	if err != nil {
		return nil, err
	}
	places, err := refdata.Load()
	if err != nil {
		return nil, err
	}
	env := crypto.NewEnvelope(kr, clk)
	guard := access.NewGuard(db, audit.NewJournal(env.Pseudonym), clk)
	accounts := account.NewService(account.Options{DB: db, Clock: clk, Hasher: account.NewHasher(account.DefaultHashParams), Envelope: env,
		BaseURL: "https://parcours.test", Guard: guard})
	o := offer.NewService(db, clk, places, "https://parcours.test")
	people := jobseeker.NewService(db, guard, env, clk, places, accounts)
	return application.NewService(db, guard, env, clk, o, people, files.NewService(db, env, clk, files.Options{}), "https://parcours.test"), nil
}

func openBench(ctx context.Context, u string) (*bench, error) {
	db, err := database.Open(ctx, u, "", database.Options{})
	if err != nil {
		return nil, err
	}
	// The seeded database may predate this commit's migrations (the list indexes).
	if _, err := db.Migrate(ctx, nil); err != nil {
		return nil, err
	}
	svc, err := services(db)
	if err != nil {
		return nil, err
	}
	b := &bench{db: db, svc: svc, jobs: map[uuid.UUID][]uuid.UUID{}}
	q := db.Reader()
	rows, err := q.QueryContext(ctx, `SELECT a.to_org, o.kind, (SELECT m.user_id FROM memberships m WHERE m.org_id = a.to_org AND m.is_active LIMIT 1)
		FROM applications a JOIN organisations o ON o.id = a.to_org
		GROUP BY a.to_org, o.kind ORDER BY COUNT(*) DESC LIMIT 60`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var org, user uuid.NullUUID
		var kind string
		if err := rows.Scan(&org, &kind, &user); err != nil {
			return nil, err
		}
		if user.Valid && len(b.employers) < 50 {
			b.employers = append(b.employers, access.Actor{UserID: user.UUID, Kind: access.Professional, OrgID: org.UUID, OrgKind: kind, Role: access.Employer})
		}
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT a.sender_org, o.kind, o.habilitation, (SELECT m.user_id FROM memberships m WHERE m.org_id = a.sender_org AND m.is_active LIMIT 1)
		FROM applications a JOIN organisations o ON o.id = a.sender_org WHERE a.sender_kind = 'prescriber'
		GROUP BY a.sender_org, o.kind, o.habilitation ORDER BY COUNT(*) DESC LIMIT 50`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var org, user uuid.NullUUID
		var kind, habilitation string
		if err := rows.Scan(&org, &kind, &habilitation, &user); err != nil {
			return nil, err
		}
		role := access.Prescriber
		if habilitation == "VALIDATED" {
			role = access.AuthorizedPrescriber
		}
		if user.Valid {
			b.prescribers = append(b.prescribers, access.Actor{UserID: user.UUID, Kind: access.Professional, OrgID: org.UUID, OrgKind: kind, Role: role})
		}
	}
	rows.Close()
	// People with an account, spread over the table (their applications are a handful each).
	rows, err = q.QueryContext(ctx, `SELECT user_id FROM job_seekers WHERE user_id IS NOT NULL ORDER BY id LIMIT 200000`)
	if err != nil {
		return nil, err
	}
	var all []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		all = append(all, id)
	}
	rows.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for range min(1000, len(all)) {
		b.people = append(b.people, access.Actor{UserID: all[r.IntN(len(all))], Kind: access.JobSeeker})
	}
	for _, e := range b.employers {
		rows, err := q.QueryContext(ctx, `SELECT id FROM job_descriptions WHERE structure_id = $1 ORDER BY id`, e.OrgID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			b.jobs[e.OrgID] = append(b.jobs[e.OrgID], id)
		}
		rows.Close()
	}
	if len(b.employers) == 0 || len(b.prescribers) == 0 || len(b.people) == 0 {
		return nil, fmt.Errorf("%s: no applications to list (seed it with go run ./bench/seed)", db.Where())
	}
	return b, nil
}

// latencies collects the time of each iteration and reports p50, p99 and max in ms.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func (l latencies) report(b *testing.B, prefix string) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(l.quantile(0.50)), prefix+"p50-ms")
	b.ReportMetric(ms(l.quantile(0.99)), prefix+"p99-ms")
	b.ReportMetric(ms(l.quantile(1)), prefix+"max-ms")
}

// run times fn b.N times and reports the quantiles; rows counts the rows of each page, to check
// the lists are not empty by mistake.
func run(b *testing.B, fn func(i int) (int, error)) {
	b.Helper()
	l := make(latencies, 0, b.N)
	total := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		n, err := fn(i)
		l = append(l, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.StopTimer()
	l.report(b, "")
	b.ReportMetric(float64(total)/float64(len(l)), "rows/page")
}

// receivedFilters are what an employer filters the received applications by.
func (bb *bench) receivedFilter(kind string, actor access.Actor, i int) application.Filter {
	today := database.ParisDate(time.Now())
	switch kind {
	case "pending":
		return application.Filter{States: []application.State{application.New, application.Processing, application.Postponed}}
	case "refused-last-90-days":
		return application.Filter{States: []application.State{application.Refused}, Since: today.AddDays(-90)}
	case "prescribers-last-year":
		return application.Filter{SenderKind: application.SentByPrescriber, Since: today.AddDays(-365)}
	case "job-description":
		if jobs := bb.jobs[actor.OrgID]; len(jobs) > 0 {
			return application.Filter{JobDescription: jobs[i%len(jobs)]}
		}
	case "archived":
		return application.Filter{Archived: true}
	}
	return application.Filter{}
}

// BenchmarkReceivedList is an employer's received applications, first page of 20, for the 50
// structures that received the most, with each filter of the page.
func BenchmarkReceivedList(b *testing.B) {
	bb := open(b)
	ctx := context.Background()
	for _, kind := range []string{"all", "pending", "refused-last-90-days", "prescribers-last-year", "job-description", "archived", "second-page"} {
		b.Run(kind, func(b *testing.B) {
			run(b, func(i int) (int, error) {
				actor := bb.employers[i%len(bb.employers)]
				f := bb.receivedFilter(kind, actor, i/len(bb.employers))
				if kind == "second-page" {
					_, next, err := bb.svc.Received(ctx, actor, f)
					if err != nil || next == "" {
						return 0, err
					}
					f.Cursor = next
				}
				rows, _, err := bb.svc.Received(ctx, actor, f)
				return len(rows), err
			})
		})
	}
}

// BenchmarkSentList is a prescriber's sent applications, first page of 20, for the 50
// organisations that sent the most.
func BenchmarkSentList(b *testing.B) {
	bb := open(b)
	ctx := context.Background()
	for _, kind := range []string{"all", "pending", "prescribers-last-year"} {
		b.Run(kind, func(b *testing.B) {
			run(b, func(i int) (int, error) {
				actor := bb.prescribers[i%len(bb.prescribers)]
				f := bb.receivedFilter(kind, actor, 0)
				f.SenderKind = ""
				rows, _, err := bb.svc.Sent(ctx, actor, f)
				return len(rows), err
			})
		})
	}
}

// BenchmarkPersonList is a job seeker's own applications, for 1,000 people with an account.
func BenchmarkPersonList(b *testing.B) {
	bb := open(b)
	ctx := context.Background()
	run(b, func(i int) (int, error) {
		rows, _, err := bb.svc.Mine(ctx, bb.people[i%len(bb.people)], application.Filter{})
		return len(rows), err
	})
}
