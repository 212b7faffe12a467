package offer

import (
	"math"
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

// The searches rank on chords and decide near a boundary on refdata.Distance: page after
// page, they give exactly the points within the radius, in the order of refdata.Distance, even
// for points micrometres apart or on the radius itself.
func TestChordRankingAgreesWithDistances(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 300 {
		lat0, lng0 := 43+r.Float64()*6, -1+r.Float64()*7
		radius := []float64{2, 5, 10, 25}[r.IntN(4)]
		type pt struct{ lat, lng float64 }
		var pts []pt
		for range r.IntN(300) {
			switch r.IntN(6) {
			case 0: // on the radius, due north
				pts = append(pts, pt{lat0 + radius/refdata.EarthRadiusKm*180/math.Pi, lng0})
			case 1: // a few micrometres from another point
				if len(pts) > 0 {
					q := pts[r.IntN(len(pts))]
					pts = append(pts, pt{q.lat + float64(r.IntN(5))*1e-12, q.lng - float64(r.IntN(5))*1e-12})
					continue
				}
				fallthrough
			case 2: // the same place as another
				if len(pts) > 0 {
					pts = append(pts, pts[r.IntN(len(pts))])
					continue
				}
				fallthrough
			default:
				pts = append(pts, pt{lat0 + (r.Float64()-0.5)*radius/40, lng0 + (r.Float64()-0.5)*radius/30})
			}
		}
		g := newGrid(len(pts), func(i int) (float64, float64, bool) { return pts[i].lat, pts[i].lng, true })
		ids := make([][16]byte, len(pts))
		groups := make([]uint8, len(pts))
		for i := range ids {
			ids[i][0], ids[i][1], ids[i][15] = byte(r.IntN(256)), byte(i), byte(i>>8)
			groups[i] = uint8(r.IntN(2))
		}
		exact := func(ref int32) float64 { return refdata.Distance(lat0, lng0, pts[ref].lat, pts[ref].lng) }
		var want []sortKey
		for i := range pts {
			if d := exact(int32(i)); d <= radius {
				want = append(want, sortKey{group: groups[i], distance: d, id: ids[i], ref: int32(i)})
			}
		}
		slices.SortFunc(want, compareKeys)
		c := newCircle(lat0, lng0, radius)
		p := plan{limit: 1 + r.IntN(30), circle: c}
		var got []sortKey
		for pages := 0; ; pages++ {
			var keys []sortKey
			g.visit(c, func(ref int32, chord float64) {
				if chord > c.maxChord-chordSlack && exact(ref) > radius {
					return
				}
				keys = append(keys, sortKey{group: groups[ref], distance: chord, id: ids[ref], ref: ref})
			})
			page, next := paginateChords(keys, p, exact)
			got = append(got, page...)
			if next == "" || pages > len(pts) {
				break
			}
			k, err := decodeCursor(next)
			if err != nil {
				t.Fatal(err)
			}
			p.after = &k
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d results, want %d", round, len(got), len(want))
		}
		for i := range got {
			if got[i].ref != want[i].ref || got[i].distance != want[i].distance {
				t.Fatalf("round %d: result %d is point %d at %v km, want point %d at %v km", round, i, got[i].ref, got[i].distance,
					want[i].ref, want[i].distance)
			}
		}
	}
}
