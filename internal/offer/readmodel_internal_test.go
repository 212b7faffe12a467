package offer

import (
	"math/rand/v2"
	"slices"
	"testing"

	"parcours/internal/database"
	"parcours/internal/refdata"
)

// The read model decides activity on day numbers computed once; it must agree with the rule
// on every kind, around month, year and leap-day boundaries.
func TestActivityAgreesWithTheRule(t *testing.T) {
	kinds := append(Kinds(), "", "EA", "ML")
	first := database.Date{Year: 2023, Month: 11, Day: 1}
	for e := -1; e < 900; e += 7 {
		var ends database.Date
		if e >= 0 {
			ends = first.AddDays(e)
		}
		for _, kind := range kinds {
			a := activityOf(kind, ends)
			for d := e - 40; d < e+80; d++ {
				today := first.AddDays(d)
				if got, want := a.on(dayNumber(today)), StructureActive(kind, ends, today); got != want {
					t.Fatalf("%s ending %s, on %s: %v, rule says %v", kind, ends, today, got, want)
				}
			}
		}
	}
}

// The grid finds exactly what a scan of every point finds, whatever the box.
func TestGridAgreesWithAScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := r.IntN(400)
		type pt struct {
			lat, lng float64
			ok       bool
		}
		pts := make([]pt, n)
		for i := range pts {
			// Clustered, on band edges and sometimes missing, as positions are.
			lat, lng := 43+r.Float64()*2, 2+r.Float64()*3
			switch r.IntN(5) {
			case 0:
				lat = float64(int(lat*10)) / 10
			case 1:
				lat, lng = 44.5, 3.25
			}
			pts[i] = pt{lat, lng, r.IntN(10) > 0}
		}
		g := newGrid(n, func(i int) (float64, float64, bool) { return pts[i].lat, pts[i].lng, pts[i].ok })
		for range 20 {
			b := refdata.BoundingBox(42.8+r.Float64()*2.4, 1.8+r.Float64()*3.4, float64(r.IntN(120)))
			if round%10 == 0 {
				b = refdata.Box{MinLat: 44.5, MaxLat: 44.5, MinLng: 3.25, MaxLng: 3.25}
			}
			got := g.appendIn(nil, b)
			var want []int32
			for i, p := range pts {
				if p.ok && b.Contains(p.lat, p.lng) {
					want = append(want, int32(i))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("box %+v: grid %v, scan %v", b, got, want)
			}
		}
	}
}

// paginate orders only the page; its pages are those of sorting every key.
func TestPaginateAgreesWithSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 3000 {
		n := r.IntN(700)
		keys := make([]sortKey, n)
		for i := range keys {
			var id [16]byte
			id[0], id[1], id[15] = byte(r.IntN(256)), byte(i), byte(i>>8)
			d := float64(r.IntN(50))
			if round%2 == 0 {
				d = r.Float64() * 25
			}
			keys[i] = sortKey{group: uint8(r.IntN(2)), distance: d, id: id}
		}
		sorted := slices.Clone(keys)
		slices.SortFunc(sorted, compareKeys)
		p := plan{limit: 1 + r.IntN(40)}
		if n > 0 && r.IntN(2) == 0 {
			k := sorted[r.IntN(n)]
			p.after = &k
		}
		page, next := paginate(slices.Clone(keys), p)
		start := 0
		if p.after != nil {
			start = slices.IndexFunc(sorted, func(k sortKey) bool { return compareKeys(k, *p.after) > 0 })
			if start < 0 {
				start = n
			}
		}
		end := min(n, start+p.limit)
		if !slices.Equal(page, sorted[start:end]) {
			t.Fatalf("round %d: page differs from the sorted keys [%d:%d]", round, start, end)
		}
		if (next != "") != (end < n) {
			t.Fatalf("round %d: next %q with %d keys after the page", round, next, n-end)
		}
	}
}
