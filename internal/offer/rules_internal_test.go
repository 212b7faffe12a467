package offer

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/database"
)

// The SQL bounds of the daily jobs select exactly what the Go rules say is due.
func TestSQLBoundsAgreeWithRules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		updated := base.Add(time.Duration(rapid.Int64Range(0, 2*365*24*3600).Draw(t, "updated")) * time.Second)
		today := database.ParisDate(updated).AddDays(rapid.IntRange(-2, 200).Draw(t, "age"))
		days := rapid.SampledFrom([]int{StaleWarningDays, StaleDeactivationDays, SpontaneousOpenDays}).Draw(t, "days")
		inSQL := updated.Before(updatedNoLaterThan(today, days))
		if inGo := StaleDays(updated, today) >= days; inSQL != inGo {
			t.Fatalf("updated %s, today %s, %d days: SQL %v, Go %v", updated, today, days, inSQL, inGo)
		}
		if !SpontaneousOpen(updated, today) != updated.Before(updatedNoLaterThan(today, SpontaneousOpenDays)) {
			t.Fatalf("spontaneous bound disagrees on %s / %s", updated, today)
		}
		warned := rapid.Bool().Draw(t, "warned")
		if dueForWarning(updated, warned, today) && dueForDeactivation(updated, today) {
			t.Fatal("due for both warning and deactivation")
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var id uuid.UUID
		copy(id[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "id"))
		k := sortKey{group: uint8(rapid.IntRange(0, 1).Draw(t, "group")), distance: rapid.Float64Range(0, 100).Draw(t, "d"), id: id}
		got, err := decodeCursor(encodeCursor(k))
		if err != nil || got != k {
			t.Fatalf("round trip %+v -> %+v, %v", k, got, err)
		}
	})
	for _, bad := range []string{"", "x", "AAAA", encodeCursor(sortKey{distance: math.NaN()}), encodeCursor(sortKey{group: 2})} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

// Following the cursors visits every key once, in order, whatever the page size.
func TestPaginationVisitsEverythingOnce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 60).Draw(t, "n")
		keys := make([]sortKey, n)
		for i := range keys {
			var id uuid.UUID
			id[15], id[14] = byte(i), byte(i>>8)
			// Few distinct distances: ties are broken by id.
			keys[i] = sortKey{group: uint8(rapid.IntRange(0, 1).Draw(t, "g")), distance: float64(rapid.IntRange(0, 5).Draw(t, "d")), id: id}
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, compareKeys)
		p := plan{limit: rapid.IntRange(1, 25).Draw(t, "limit")}
		var got []sortKey
		for pages := 0; ; pages++ {
			page, next := paginate(slices.Clone(keys), p)
			got = append(got, page...)
			if next == "" {
				break
			}
			k, err := decodeCursor(next)
			if err != nil || pages > n {
				t.Fatalf("cursor %q: %v", next, err)
			}
			p.after = &k
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages %v, want %v", got, want)
		}
	})
}
