package support_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/support"
)

func date(y int, m time.Month, d int) database.Date { return database.Date{Year: y, Month: m, Day: d} }

// The purge day: 6 months after the end of the title's validity or after de-registration,
// whichever comes first, month ends clamped.
func TestPurgeOn(t *testing.T) {
	rqth := func(until database.Date) support.Title {
		return support.Title{Category: "rqth", DecidedOn: date(2020, 1, 1), ValidUntil: until}
	}
	unlimited := support.Title{Category: "rqth", DecidedOn: date(2020, 1, 1), Unlimited: true}
	for _, tc := range []struct {
		name  string
		title support.Title
		dereg database.Date
		want  database.Date
	}{
		{"RQTH end", rqth(date(2026, 3, 15)), database.Date{}, date(2026, 9, 15)},
		{"end of August gives end of February", rqth(date(2026, 8, 31)), database.Date{}, date(2027, 2, 28)},
		{"de-registration first", rqth(date(2030, 1, 1)), date(2026, 1, 10), date(2026, 7, 10)},
		{"RQTH first", rqth(date(2026, 1, 1)), date(2026, 5, 1), date(2026, 7, 1)},
		{"unlimited and registered: no deadline", unlimited, database.Date{}, database.Date{}},
		{"unlimited, de-registered", unlimited, date(2026, 2, 2), date(2026, 8, 2)},
		{"no title, de-registered", support.Title{}, date(2025, 12, 31), date(2026, 6, 30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := support.PurgeOn(tc.title, tc.dereg); got != tc.want {
				t.Errorf("PurgeOn = %v, want %v", got, tc.want)
			}
		})
	}
}

// at is 9:00 UTC on day d.
func at(d database.Date) time.Time { return d.Time().Add(9 * time.Hour) }

// Property, on both engines, with a controllable clock: whatever the titles, de-registrations
// and holds, each daily run erases exactly the records due (none early, none held, none left
// behind), and a second run the same day erases nothing.
func TestPurgeProperty(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		start := f.today()
		rapid.Check(t, func(rt *rapid.T) {
			f.clock.Set(at(start))
			type live struct {
				person  uuid.UUID
				purgeOn database.Date
				hold    bool
			}
			var records []live
			for range rapid.IntRange(1, 4).Draw(rt, "records") {
				in := f.input("P")
				if rapid.Bool().Draw(rt, "unlimited") {
					in.Title.ValidUntil, in.Title.Unlimited = database.Date{}, true
				} else {
					in.Title.ValidUntil = start.AddDays(rapid.IntRange(-240, 240).Draw(rt, "rqth_end"))
					in.Title.DecidedOn = in.Title.ValidUntil.AddDays(-1000)
				}
				if rapid.Bool().Draw(rt, "deregistered") {
					in.DeregisteredOn = start.AddDays(-rapid.IntRange(0, 300).Draw(rt, "dereg_ago"))
					in.RegisteredOn = in.DeregisteredOn.AddDays(-500)
				}
				hold := rapid.Bool().Draw(rt, "hold")
				person, _ := f.newPerson(rt, f.capAdvisor, fmt.Sprintf("p%d@exemple.fr", f.seq+1))
				if _, err := f.svc.Open(ctx, f.capAdvisor, person, in, f.ftOrg.ID); err != nil {
					rt.Fatalf("open: %v", err)
				}
				if hold {
					if err := f.svc.SetHold(ctx, f.capAdvisor, person, true); err != nil {
						rt.Fatal(err)
					}
				}
				records = append(records, live{person, support.PurgeOn(in.Title, in.DeregisteredOn), hold})
			}
			for day := 0; day <= 270; day += rapid.IntRange(1, 90).Draw(rt, "step") {
				today := start.AddDays(day)
				f.clock.Set(at(today))
				if _, err := f.svc.Purge(ctx); err != nil {
					rt.Fatal(err)
				}
				if again, err := f.svc.Purge(ctx); err != nil || again.Purged != 0 {
					rt.Fatalf("second run: %+v %v", again, err)
				}
				for _, r := range records {
					var exists bool
					if err := db.Reader().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM support_records WHERE job_seeker_id = $1)`, r.person).Scan(&exists); err != nil {
						rt.Fatal(err)
					}
					if due := support.Due(r.purgeOn, today, r.hold); exists == due {
						rt.Fatalf("day %v: due=%v (purge on %v, hold %v) but exists=%v", today, due, r.purgeOn, r.hold, exists)
					}
				}
			}
			for _, r := range records {
				if err := f.svc.Erase(ctx, db.Writer(), r.person); err != nil {
					rt.Fatal(err)
				}
			}
		})
	})
}

// The daily job reports counts only.
func TestPurgeJobReportsCounts(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		in := f.input("P")
		in.Title.ValidUntil = f.today().AddDays(-150)
		if _, err := f.svc.Open(ctx, f.capAdvisor, f.person, in, uuid.Nil); err != nil {
			t.Fatal(err)
		}
		job := f.svc.PurgeJob()
		res, err := job.Run(ctx)
		if err != nil || len(res) != 2 || res["purged"] != 0 || res["held"] != 0 {
			t.Fatalf("before: %v %v", res, err)
		}
		f.clock.Advance(2 * 30 * 24 * time.Hour)
		res, err = job.Run(ctx)
		if err != nil || res["purged"] != 1 {
			t.Fatalf("after: %v %v", res, err)
		}
		if f.count(t, "support.purged") != 1 {
			t.Fatal("purge not audited")
		}
	})
}
