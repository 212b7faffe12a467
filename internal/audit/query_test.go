package audit_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/audit"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

func TestListPagesNewestFirst(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		l := newTestLog(t, db)
		var all []uuid.UUID
		for i := range 30 {
			if i == 15 {
				// Half sequenced, half not: List shows both.
				l.integrate(t)
			}
			// Pairs of entries share a timestamp: the id breaks the tie.
			e := sampleEvent(i, t0.Add(time.Duration(i/2)*time.Second+time.Duration(i/2)*1500*time.Nanosecond))
			e.ID = uuid.Must(uuid.NewV7())
			if i == 7 {
				e.Action = "health_x.read" // "_" must not match as a LIKE wildcard
			}
			if err := audit.Record(ctx, db.Writer(), e); err != nil {
				t.Fatal(err)
			}
			all = append(all, e.ID)
		}

		var got []audit.Event
		cursor := ""
		for page := 0; ; page++ {
			events, next, err := audit.List(ctx, db.Reader(), audit.Filter{}, 7, cursor)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, events...)
			if next == "" {
				break
			}
			if page > 10 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if len(got) != 30 {
			t.Fatalf("%d entries over all pages, want 30", len(got))
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.OccurredAt.Before(b.OccurredAt) || (a.OccurredAt.Equal(b.OccurredAt) && a.ID.String() < b.ID.String()) {
				t.Fatalf("entries %d and %d out of order", i-1, i)
			}
		}
		seen := map[uuid.UUID]bool{}
		for _, e := range got {
			if seen[e.ID] {
				t.Fatalf("entry %s listed twice", e.ID)
			}
			seen[e.ID] = true
		}
		first := got[len(got)-1]
		if first.Details["fields_read"] != "rqth,restrictions" || first.Purpose != "accompagnement" || first.ObjectType != "person" {
			t.Fatalf("fields not read back: %+v", first)
		}

		count := func(f audit.Filter) int {
			events, _, err := audit.List(ctx, db.Reader(), f, audit.MaxLimit, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if f.ActorUser != "" && e.ActorUser != f.ActorUser || f.ObjectRef != "" && e.ObjectRef != f.ObjectRef {
					t.Fatalf("filter %+v let through %+v", f, e)
				}
			}
			return len(events)
		}
		user := sampleEvent(1, t0).ActorUser
		cases := []struct {
			f    audit.Filter
			want int
		}{
			{audit.Filter{ActorUser: user}, countWhere(30, func(i int) bool { return i%5 != 0 && i%3 == 1 })},
			{audit.Filter{ObjectRef: fmt.Sprintf("%032x", 4)}, 1},
			{audit.Filter{ActionPrefix: "health."}, countWhere(30, func(i int) bool { return i%4 <= 1 && i != 7 })},
			{audit.Filter{ActionPrefix: "health_"}, 1},
			{audit.Filter{ActionPrefix: "HEALTH."}, countWhere(30, func(i int) bool { return i%4 <= 1 && i != 7 })},
			{audit.Filter{ActionPrefix: "health%"}, 0},
			{audit.Filter{Since: t0.Add(5 * time.Second), Until: t0.Add(8 * time.Second)}, 6},
			{audit.Filter{ActionPrefix: "session.", Since: t0.Add(5 * time.Second)}, countWhere(30, func(i int) bool { return i%4 == 2 && i/2 >= 5 })},
		}
		for _, c := range cases {
			if got := count(c.f); got != c.want {
				t.Errorf("filter %+v: %d entries, want %d", c.f, got, c.want)
			}
		}

		byObject, err := audit.ForObject(ctx, db.Reader(), fmt.Sprintf("%032x", 9), 10)
		if err != nil || len(byObject) != 1 || byObject[0].ID != all[9] {
			t.Fatalf("ForObject = %v, %v", byObject, err)
		}
		if _, _, err := audit.List(ctx, db.Reader(), audit.Filter{}, 5, "pas-un-curseur"); !errors.Is(err, fault.Invalid) {
			t.Fatalf("bad cursor: %v, want fault.Invalid", err)
		}
		if _, err := audit.ForObject(ctx, db.Reader(), "", 10); !errors.Is(err, fault.Invalid) {
			t.Fatalf("empty object: %v, want fault.Invalid", err)
		}
	})
}

func countWhere(n int, keep func(int) bool) int {
	count := 0
	for i := range n {
		if keep(i) {
			count++
		}
	}
	return count
}
