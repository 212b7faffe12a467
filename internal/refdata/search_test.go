package refdata

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func resultCodes[T any](xs []T, code func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = code(x)
	}
	return out
}

func communeCodes(cs []Commune) []string {
	return resultCodes(cs, func(c Commune) string { return c.Code })
}
func appellationCodes(as []Appellation) []string {
	return resultCodes(as, func(a Appellation) string { return a.Code })
}

func TestSearchExamples(t *testing.T) {
	d := testData(t)
	first := func(cs []Commune) string {
		if len(cs) == 0 {
			return ""
		}
		return cs[0].Code
	}
	for _, q := range []string{"saint-étienne", "Saint Etienne", "st etienne", "ST-ÉTIENNE", "saint-eti", "etienne", "42000"} {
		if got := first(d.SearchCommunes(q, 10)); got != "42218" {
			t.Errorf("SearchCommunes(%q) starts with %s, want Saint-Étienne 42218", q, got)
		}
	}
	// Exact name first, then the arrondissements whose name starts with it, biggest first.
	paris := d.SearchCommunes("paris", 5)
	if got := communeCodes(paris); !slices.Equal(got, []string{"75056", "75115", "75120", "75118", "75119"}) {
		t.Errorf("SearchCommunes(paris) = %v", got)
	}
	for _, c := range d.SearchCommunes("750", 30) {
		if !slices.ContainsFunc(c.Postcodes, func(p string) bool { return strings.HasPrefix(p, "750") }) {
			t.Errorf("SearchCommunes(750) returned %s %v", c.Code, c.Postcodes)
		}
	}
	if got := communeCodes(d.SearchCommunes("75011", 5)); !slices.Equal(got, []string{"75056", "75111"}) {
		t.Errorf("SearchCommunes(75011) = %v", got)
	}
	if got := communeCodes(d.SearchCommunes("paris 11", 5)); !slices.Equal(got, []string{"75111"}) {
		t.Errorf("SearchCommunes(paris 11) = %v", got)
	}
	if got := communeCodes(d.SearchCommunes("l'oie", 5)); len(got) == 0 || got[0] != "85165" {
		t.Errorf("SearchCommunes(l'oie) = %v, want L'Oie first", got)
	}
	if got := communeCodes(d.SearchCommunes("paris paris", 5)); slices.Contains(got, "75056") {
		t.Errorf("SearchCommunes(paris paris) = %v: one name word used twice", got)
	}
	for _, q := range []string{"boulanger patissier", "patissier boulanger", "Boulanger-Pâtissier", "boul pat"} {
		if got := appellationCodes(d.SearchAppellations(q, 10)); len(got) == 0 || got[0] != "11574" {
			t.Errorf("SearchAppellations(%q) = %v, want Boulanger-pâtissier 11574 first", q, got)
		}
	}
	if got := appellationCodes(d.SearchAppellations("11574", 10)); !slices.Equal(got, []string{"11574"}) {
		t.Errorf("SearchAppellations(11574) = %v", got)
	}
	byRome := d.SearchAppellations("D1102", 1000)
	if len(byRome) != len(d.AppellationsOfRome("D1102")) {
		t.Errorf("SearchAppellations(D1102) found %d, the ROME code has %d", len(byRome), len(d.AppellationsOfRome("D1102")))
	}
	if got := d.SearchRome("d1102", 5); len(got) != 1 || got[0].Code != "D1102" {
		t.Errorf("SearchRome(d1102) = %v", got)
	}
	if got := d.SearchRome("boulangerie", 5); len(got) == 0 || got[0].Code != "D1102" {
		t.Errorf("SearchRome(boulangerie) = %v", got)
	}
	for _, q := range []string{"", "  ", "-'/", "zzzzqqq"} {
		if n := len(d.SearchCommunes(q, 10)) + len(d.SearchAppellations(q, 10)) + len(d.SearchRome(q, 10)); n != 0 {
			t.Errorf("query %q found %d results", q, n)
		}
	}
	if n := len(d.SearchCommunes("paris", 0)) + len(d.SearchCommunes("paris", -1)); n != 0 {
		t.Errorf("limit ≤ 0 found %d results", n)
	}
}

// ---- An independent reference: a full scan with the match rule written out plainly. ----

type refEntry struct {
	code  string
	words []string
	full  string
	codes []string // prefix-matchable, lower case
	exact string
}

type refIndex struct {
	entries []refEntry // in rank order
	postal  bool       // codes are postcodes (else ROME codes)
	saints  bool
}

var refSaints = map[string]string{"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

func newRefEntry(code, text string, codes []string, exact string) refEntry {
	full := Normalize(text)
	return refEntry{code: code, words: strings.Fields(full), full: full, codes: codes, exact: exact}
}

func refCommunes(d *Data) *refIndex {
	var cs []Commune
	for c := range d.Communes() {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b Commune) int {
		return cmp.Or(b.Population-a.Population, strings.Compare(Normalize(a.Name), Normalize(b.Name)), strings.Compare(a.Code, b.Code))
	})
	ix := &refIndex{postal: true, saints: true}
	for _, c := range cs {
		ix.entries = append(ix.entries, newRefEntry(c.Code, c.Name, c.Postcodes, ""))
	}
	return ix
}

func labelRank(la, lb, ca, cb string) int {
	wa, wb := strings.Fields(Normalize(la)), strings.Fields(Normalize(lb))
	return cmp.Or(len(wa)-len(wb), strings.Compare(Normalize(la), Normalize(lb)), len(ca)-len(cb), strings.Compare(ca, cb))
}

func refAppellations(d *Data) *refIndex {
	as := slices.Collect(d.Appellations())
	slices.SortFunc(as, func(a, b Appellation) int { return labelRank(a.Label, b.Label, a.Code, b.Code) })
	ix := &refIndex{}
	for _, a := range as {
		ix.entries = append(ix.entries, newRefEntry(a.Code, a.Label, []string{strings.ToLower(a.Rome)}, a.Code))
	}
	return ix
}

func refRomes(d *Data) *refIndex {
	rs := d.Romes()
	slices.SortFunc(rs, func(a, b Rome) int { return labelRank(a.Label, b.Label, a.Code, b.Code) })
	ix := &refIndex{}
	for _, r := range rs {
		ix.entries = append(ix.entries, newRefEntry(r.Code, r.Label, []string{strings.ToLower(r.Code)}, ""))
	}
	return ix
}

func isDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// codeLike says whether a query word may be read as a code.
func (ix *refIndex) codeLike(w string) bool {
	if ix.postal {
		return len(w) >= 1 && len(w) <= 5 && isDigits(w)
	}
	return len(w) >= 2 && len(w) <= 5 && w[0] >= 'a' && w[0] <= 'z' && isDigits(w[1:])
}

func (ix *refIndex) byCode(e *refEntry, w string) bool {
	if e.exact != "" && e.exact == w {
		return true
	}
	if !ix.codeLike(w) {
		return false
	}
	for _, c := range e.codes {
		if strings.HasPrefix(c, w) {
			return true
		}
	}
	return false
}

func (ix *refIndex) byWord(q, w string) bool {
	if strings.HasPrefix(w, q) {
		return true
	}
	long, ok := refSaints[q]
	return ix.saints && ok && strings.HasPrefix(w, long)
}

// matches decides the rule by dynamic programming over (query word, set of used name words).
func (ix *refIndex) matches(e *refEntry, q []string) bool {
	if len(q) == 0 || len(q) > 16 {
		return false
	}
	var need []string
	for _, w := range q {
		if !ix.byCode(e, w) {
			need = append(need, w)
		}
	}
	for _, q := range need {
		if !slices.ContainsFunc(e.words, func(w string) bool { return ix.byWord(q, w) }) {
			return false
		}
	}
	failed := map[[2]uint64]bool{}
	var can func(i int, used uint64) bool
	can = func(i int, used uint64) bool {
		if i == len(need) {
			return true
		}
		key := [2]uint64{uint64(i), used}
		if failed[key] {
			return false
		}
		for j, w := range e.words {
			if used&(1<<j) == 0 && ix.byWord(need[i], w) && can(i+1, used|1<<j) {
				return true
			}
		}
		failed[key] = true
		return false
	}
	return can(0, 0)
}

func (ix *refIndex) search(query string, limit int) []string {
	if len(query) > 512 || limit <= 0 {
		return nil
	}
	q := strings.Fields(Normalize(query))
	if len(q) == 0 || len(q) > 16 {
		return nil
	}
	expanded := slices.Clone(q)
	for i, w := range q {
		if long, ok := refSaints[w]; ok && ix.saints {
			expanded[i] = long
		}
	}
	nq, nqx := strings.Join(q, " "), strings.Join(expanded, " ")
	type hit struct{ tier, rank int }
	var hits []hit
	for rank := range ix.entries {
		e := &ix.entries[rank]
		if !ix.matches(e, q) {
			continue
		}
		tier := 2
		switch {
		case e.full == nq || e.full == nqx || len(q) == 1 && (e.exact == q[0] || ix.codeLike(q[0]) && slices.Contains(e.codes, q[0])):
			tier = 0
		case strings.HasPrefix(e.full, nq) || strings.HasPrefix(e.full, nqx):
			tier = 1
		}
		hits = append(hits, hit{tier, rank})
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(a.tier-b.tier, a.rank-b.rank) })
	var out []string
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, ix.entries[h.rank].code)
	}
	return out
}

type refs struct{ communes, appellations, romes *refIndex }

func newRefs(d *Data) refs { return refs{refCommunes(d), refAppellations(d), refRomes(d)} }

// check compares the three searches with the reference for one query.
func (r refs) check(t testing.TB, d *Data, query string, limit int) {
	t.Helper()
	if got, want := communeCodes(d.SearchCommunes(query, limit)), r.communes.search(query, limit); !slices.Equal(got, want) {
		t.Fatalf("SearchCommunes(%q, %d) = %v, reference %v", query, limit, got, want)
	}
	if got, want := appellationCodes(d.SearchAppellations(query, limit)), r.appellations.search(query, limit); !slices.Equal(got, want) {
		t.Fatalf("SearchAppellations(%q, %d) = %v, reference %v", query, limit, got, want)
	}
	if got, want := resultCodes(d.SearchRome(query, limit), func(x Rome) string { return x.Code }), r.romes.search(query, limit); !slices.Equal(got, want) {
		t.Fatalf("SearchRome(%q, %d) = %v, reference %v", query, limit, got, want)
	}
}

// exampleQueries are checked against the reference and seed FuzzSearch.
var exampleQueries = []string{
	"paris", "st etienne", "ste foy", "saint-eti", "etienne", "750", "75011", "paris 11", "s", "sa", "e", "a b",
	"l'oie", "marseille 13", "lyon 3", "69", "2a", "château", "chateau thierry", "saint saint", "s saint",
	"boulanger patissier", "patissier boulanger", "D1102", "d11", "d", "11574", "1", "boulanger", "infirmier",
	"aide soignant", "chauffeur poids lourd", "agent", "de", "de la", "a a a a", "k2", "soins infirm",
	"Agent(e) piste d'aéronautique ou de pont d'envol de l'armée", "42000 saint", "saint 42",
}

func TestSearchAgreesWithReference(t *testing.T) {
	d := testData(t)
	r := newRefs(d)
	for _, q := range exampleQueries {
		for _, limit := range []int{1, 10, 200} {
			r.check(t, d, q, limit)
		}
	}
	// Queries made from the data: prefixes of some words of a random entry, shuffled.
	rng := rand.New(rand.NewPCG(1, 2))
	sources := [][]refEntry{r.communes.entries, r.appellations.entries, r.romes.entries}
	for i := range 300 {
		src := sources[i%3]
		e := src[rng.IntN(len(src))]
		var words []string
		for _, w := range e.words {
			if rng.IntN(2) == 0 {
				words = append(words, w[:1+rng.IntN(len(w))])
			}
		}
		if rng.IntN(4) == 0 && len(e.codes) > 0 {
			c := e.codes[rng.IntN(len(e.codes))]
			words = append(words, c[:1+rng.IntN(len(c))])
		}
		rng.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
		r.check(t, d, strings.Join(words, " "), 1+rng.IntN(30))
	}
}

// FuzzSearch feeds arbitrary queries to the three searches: no panic, and exactly the results
// of the reference full scan, in the same order (so every result satisfies the match rule and
// none that should be there is missing).
func FuzzSearch(f *testing.F) {
	d := testData(f)
	r := newRefs(d)
	for i, q := range exampleQueries {
		f.Add(q, uint8(1+i%20))
	}
	f.Fuzz(func(t *testing.T, query string, limit uint8) {
		r.check(t, d, query, int(limit))
	})
}

func ExampleData_SearchAppellations() {
	d, err := Load()
	if err != nil {
		panic(err)
	}
	for _, a := range d.SearchAppellations("patissier boulanger", 2) {
		fmt.Println(a.Code, a.Label, a.Rome)
	}
	// Output:
	// 11574 Boulanger-pâtissier / Boulangère-pâtissière D1102
	// 11575 Boulanger-pâtissier-traiteur/Boulangère-pâtissière-traiteuse D1102
}

// Data is shared by every request without a lock: concurrent searches must neither race (run
// with -race) nor disturb each other's results.
func TestConcurrentSearches(t *testing.T) {
	d := testData(t)
	want := make(map[string][]string)
	for _, q := range communeQueries {
		want[q] = communeCodes(d.SearchCommunes(q, 10))
	}
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			for _, q := range communeQueries {
				if got := communeCodes(d.SearchCommunes(q, 10)); !slices.Equal(got, want[q]) {
					errs <- fmt.Sprintf("%q: %v, then %v", q, want[q], got)
					return
				}
				d.SearchAppellations(q, 10)
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
