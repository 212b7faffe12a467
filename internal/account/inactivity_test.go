package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/access"
	"parcours/internal/account"
	"parcours/internal/clock"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

func paris(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, clock.Paris).UTC()
}

func TestInactivityDeadlines(t *testing.T) {
	for _, tc := range []struct {
		last, warn, del time.Time
	}{
		{paris(2025, 3, 15, 10), paris(2026, 3, 15, 10), paris(2026, 4, 15, 10)},
		// 31 January + 13 months: there is no 31 February, so the last day of the month.
		{paris(2025, 1, 31, 10), paris(2026, 1, 31, 10), paris(2026, 2, 28, 10)},
		{paris(2024, 2, 29, 8), paris(2025, 2, 28, 8), paris(2025, 3, 29, 8)},
	} {
		if got := account.WarnAt(tc.last); !got.Equal(tc.warn) {
			t.Errorf("WarnAt(%v) = %v, want %v", tc.last, got, tc.warn)
		}
		if got := account.DeleteAt(tc.last, tc.warn); !got.Equal(tc.del) && tc.del.Sub(tc.warn) >= 30*24*time.Hour {
			t.Errorf("DeleteAt(%v) = %v, want %v", tc.last, got, tc.del)
		}
	}
	// The warning always comes 30 days ahead, even when the job ran late.
	last := paris(2025, 1, 10, 9)
	lateWarning := paris(2026, 2, 1, 3)
	if got := account.DeleteAt(last, lateWarning); !got.Equal(lateWarning.Add(30 * 24 * time.Hour)) {
		t.Errorf("late warning: deletion at %v", got)
	}
	if !account.DeleteAt(last, time.Time{}).IsZero() {
		t.Error("an account never warned got a deletion date")
	}
}

// The daily job warns on its first run at or after WarnAt and deletes on its first run at or
// after DeleteAt; a login in between cancels both and the count starts again. Runs are
// simulated daily at 03:00, but only inside windows around the deadlines (and every 60 days),
// which is where a mistake would show.
func TestInactivityJobDayBoundaries(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		rapid.Check(t, func(rt *rapid.T) {
			ctx := context.Background()
			if _, err := db.Writer().ExecContext(ctx, `DELETE FROM users`); err != nil {
				rt.Fatal(err)
			}
			f := newFixture(t, db)
			created := start.Add(time.Duration(rapid.IntRange(0, 365*24).Draw(rt, "hoursAfterStart")) * time.Hour)
			f.clock.Set(created)
			email := "p" + rapid.StringMatching(`[a-z]{8}`).Draw(rt, "local") + "@exemple.fr"
			u, err := f.svc.CreateVerified(ctx, account.SignUp{Kind: access.JobSeeker, Email: email, Password: goodPassword, FirstName: "A", LastName: "B"})
			if err != nil {
				rt.Fatal(err)
			}
			loginDay := rapid.IntRange(0, 700).Draw(rt, "loginDay") // beyond ~420: never logs in before deletion
			last := u.LastActivityAt
			y, m, d := created.In(clock.Paris).Date()
			firstRun := time.Date(y, m, d+1, 3, 0, 0, 0, clock.Paris).UTC()
			var warnedOn time.Time
			near := func(a, b time.Time) bool { return a.Sub(b).Abs() <= 50*time.Hour }
			for day := 0; day < 1200; day++ {
				now := firstRun.AddDate(0, 0, day)
				f.clock.Set(now)
				if day == loginDay {
					if !warnedOn.IsZero() && !now.Before(account.DeleteAt(last, warnedOn)) {
						return // already deleted by then
					}
					f.login(t, email, goodPassword)
					last, warnedOn = now, time.Time{}
					continue
				}
				warnAt := account.WarnAt(last)
				interesting := day%60 == 0 || near(now, warnAt) || (!warnedOn.IsZero() && near(now, account.DeleteAt(last, warnedOn)))
				if !interesting {
					continue
				}
				res, err := f.svc.RunInactivity(ctx, nil)
				if err != nil {
					rt.Fatal(err)
				}
				shouldWarn := warnedOn.IsZero() && !now.Before(warnAt)
				if (res.Warned == 1) != shouldWarn {
					rt.Fatalf("day %d (%v): warned=%d, want %v (last activity %v, warn at %v)", day, now, res.Warned, shouldWarn, last, warnAt)
				}
				if res.Warned == 1 {
					warnedOn = now
					continue
				}
				shouldDelete := !warnedOn.IsZero() && !now.Before(account.DeleteAt(last, warnedOn))
				if (res.Deleted == 1) != shouldDelete {
					rt.Fatalf("day %d (%v): deleted=%d, want %v (delete at %v)", day, now, res.Deleted, shouldDelete, account.DeleteAt(last, warnedOn))
				}
				if res.Deleted == 1 {
					if _, err := account.UserByID(ctx, db.Reader(), u.ID); err == nil {
						rt.Fatal("deleted account still readable")
					}
					if now.Before(warnedOn.Add(30 * 24 * time.Hour)) {
						rt.Fatal("deleted less than 30 days after the warning")
					}
					if now.Before(account.WarnAt(last).AddDate(0, 1, -3)) {
						rt.Fatal("deleted before 13 months of inactivity")
					}
					return
				}
			}
			rt.Fatal("never deleted")
		})
	})
}

func TestInactivityAnonymisesReferencedAccountsAndKeepsOnlyCounts(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		kept := f.signUpVerified(t, access.Professional, "garde@exemple.fr")
		gone := f.signUpVerified(t, access.JobSeeker, "parti@exemple.fr")
		referenced := func(_ context.Context, _ database.Querier, id uuid.UUID) (bool, error) { return id == kept.ID, nil }

		f.clock.Set(account.WarnAt(gone.LastActivityAt).Add(time.Hour))
		res, err := f.svc.RunInactivity(ctx, referenced)
		if err != nil || res.Warned != 2 {
			t.Fatalf("first run: %+v %v", res, err)
		}
		if f.countMails(t, "garde@exemple.fr", "inactivity_warning") != 1 {
			t.Fatal("no warning mail")
		}
		again, err := f.svc.RunInactivity(ctx, referenced)
		if err != nil || again != (account.InactivityResult{}) {
			t.Fatalf("a second run the same day did something: %+v %v", again, err)
		}
		f.clock.Set(account.DeleteAt(gone.LastActivityAt, f.clock.Now()).Add(time.Hour))
		res, err = f.svc.RunInactivity(ctx, referenced)
		if err != nil || res.Deleted != 1 || res.Anonymised != 1 {
			t.Fatalf("removal run: %+v %v", res, err)
		}
		if _, err := account.UserByID(ctx, db.Reader(), gone.ID); err == nil {
			t.Fatal("unreferenced account not deleted")
		}
		a, err := account.UserByID(ctx, db.Reader(), kept.ID)
		if err != nil {
			t.Fatal("referenced account deleted instead of anonymised")
		}
		if a.AnonymisedAt.IsZero() || a.Email == "garde@exemple.fr" || a.FirstName == "Camille" || a.Active() {
			t.Fatalf("account not anonymised: %+v", a)
		}
		stats, err := account.DeletionStats(ctx, db.Reader())
		if err != nil {
			t.Fatal(err)
		}
		month := f.clock.Now().In(clock.Paris).Format("2006-01")
		if stats[month]["job_seeker/deleted"] != 1 || stats[month]["professional/anonymised"] != 1 {
			t.Fatalf("statistics %v", stats)
		}
	})
}
