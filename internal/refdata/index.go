package refdata

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// The match rule, shared by the three searches. A query is normalised (see Normalize) and cut
// into words. An entry matches when every query word is satisfied, either
//   - by a word of the entry's name or label that it prefixes, no two query words using the
//     same name word ("paris paris" does not find "Paris"); for communes, "st", "ste", "sts"
//     and "stes" also prefix-match what "saint", "sainte", "saints" and "saintes" prefix,
//     because that is how French addresses abbreviate;
//   - or by a code, which does not use up a name word: for communes a query word of 1 to 5
//     digits that prefixes one of the postcodes; for appellations and ROME codes a letter
//     followed by 1 to 4 digits that prefixes the ROME code ("d11", "D1102"); for appellations
//     also a word equal to the appellation code.
//
// Results are ranked in three tiers: exact matches (the whole normalised name equals the
// normalised query, or the query is exactly one of the entry's codes), then names that start
// with the query, then the other matches; inside a tier, by the entry's rank order, fixed at
// load (communes: larger population first; ROME codes and appellations: fewer words first, then
// alphabetical), so that a search can stop scanning once it has enough results.
//
// Queries longer than maxQueryBytes or with more than maxQueryWords words match nothing: no
// name is that long, and the bound keeps the cost of a hostile query small.
const (
	maxQueryBytes = 512
	maxQueryWords = 16
	// maxWords bounds the words of a name that can be matched (the longest has 13); the matcher
	// tracks them in a 64-bit set.
	maxWords = 64
)

// saintAbbrev returns the word that an abbreviation of "saint" stands for, or "".
func saintAbbrev(w string) string {
	switch w {
	case "st":
		return "saint"
	case "ste":
		return "sainte"
	case "sts":
		return "saints"
	case "stes":
		return "saintes"
	}
	return ""
}

// codeRule says which query words can match an entry's prefix-matchable codes.
type codeRule uint8

const (
	noCodes       codeRule = iota
	postcodeCodes          // 1 to 5 digits
	romeCodes              // a letter then 1 to 4 digits
)

func (r codeRule) codeLike(t string) bool {
	switch r {
	case postcodeCodes:
		return len(t) >= 1 && len(t) <= 5 && allDigits(t)
	case romeCodes:
		return len(t) >= 2 && len(t) <= 5 && t[0] >= 'a' && t[0] <= 'z' && allDigits(t[1:])
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// vocab is an inverted index: sorted distinct terms, and for each term the sorted entry ids
// that contain it. Postings are stored back to back, so the entries of every term sharing a
// prefix (a contiguous range of terms) are one contiguous slice, and its length, which tells
// how selective a query word is, costs a subtraction.
type vocab struct {
	terms []string
	off   []int32 // len(terms)+1 offsets into ids
	ids   []int32
}

// vocabBuilder gathers postings; ids must be added in increasing order.
type vocabBuilder map[string][]int32

func (b vocabBuilder) add(term string, id int32) {
	ids := b[term]
	if len(ids) > 0 && ids[len(ids)-1] == id {
		return // the same word twice in one name
	}
	b[term] = append(ids, id)
}

func (b vocabBuilder) build() vocab {
	var v vocab
	v.terms = make([]string, 0, len(b))
	n := 0
	for t, ids := range b {
		v.terms = append(v.terms, t)
		n += len(ids)
	}
	slices.Sort(v.terms)
	v.off = make([]int32, 0, len(v.terms)+1)
	v.ids = make([]int32, 0, n)
	for _, t := range v.terms {
		v.off = append(v.off, int32(len(v.ids)))
		v.ids = append(v.ids, b[t]...)
	}
	v.off = append(v.off, int32(len(v.ids)))
	return v
}

// prefix returns the range of terms that start with p.
func (v *vocab) prefix(p string) (lo, hi int) {
	lo = sort.SearchStrings(v.terms, p)
	hi = lo + sort.Search(len(v.terms)-lo, func(i int) bool { return !strings.HasPrefix(v.terms[lo+i], p) })
	return lo, hi
}

// postings returns the ids of the terms in [lo, hi), not sorted across terms.
func (v *vocab) postings(lo, hi int) []int32 { return v.ids[v.off[lo]:v.off[hi]] }

// exact returns the ids of term t.
func (v *vocab) exact(t string) []int32 {
	i := sort.SearchStrings(v.terms, t)
	if i == len(v.terms) || v.terms[i] != t {
		return nil
	}
	return v.postings(i, i+1)
}

// entry is what the index needs to know about one row, given in rank order.
type entry struct {
	folded string   // name or label, normalised
	codes  []string // prefix-matchable codes, lower case
	exact  string   // a code matched only whole, or ""
}

// index answers searches over one kind of row. Entry ids are positions in rank order.
type index struct {
	words     [][]string // per id, normalised words of the name
	full      []string   // per id, the normalised name (words joined by spaces)
	codes     [][]string
	exactCode []string
	byFull    []int32 // ids sorted by full, for the exact and starts-with tiers
	wordVocab vocab
	codeVocab vocab
	exactVoc  vocab
	rule      codeRule
	saints    bool
}

func newIndex(entries []entry, rule codeRule, saints bool) *index {
	ix := &index{
		words:     make([][]string, len(entries)),
		full:      make([]string, len(entries)),
		codes:     make([][]string, len(entries)),
		exactCode: make([]string, len(entries)),
		byFull:    make([]int32, len(entries)),
		rule:      rule,
		saints:    saints,
	}
	words, codes, exact := vocabBuilder{}, vocabBuilder{}, vocabBuilder{}
	for i, e := range entries {
		id := int32(i)
		ws := strings.Fields(e.folded)
		if len(ws) > maxWords {
			ws = ws[:maxWords]
		}
		ix.full[i], ix.words[i], ix.codes[i], ix.exactCode[i] = e.folded, ws, e.codes, e.exact
		ix.byFull[i] = id
		for _, w := range ws {
			words.add(w, id)
		}
		for _, c := range e.codes {
			codes.add(c, id)
		}
		if e.exact != "" {
			exact.add(e.exact, id)
		}
	}
	slices.SortFunc(ix.byFull, func(a, b int32) int {
		if c := strings.Compare(ix.full[a], ix.full[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	ix.wordVocab = words.build()
	ix.codeVocab = codes.build()
	ix.exactVoc = exact.build()
	return ix
}

// qword is a prepared query word.
type qword struct {
	t     string
	alias string // what t abbreviates, or ""
	code  bool   // t may prefix a code
	exact bool   // t is some entry's whole-only code
}

func (q *qword) matchesWord(w string) bool {
	return strings.HasPrefix(w, q.t) || (q.alias != "" && strings.HasPrefix(w, q.alias))
}

// prepare normalises q; ok is false when it cannot match anything by the length bounds.
func (ix *index) prepare(q string) (qs []qword, ok bool) {
	if len(q) > maxQueryBytes {
		return nil, false
	}
	words := tokens(q)
	if len(words) == 0 || len(words) > maxQueryWords {
		return nil, false
	}
	qs = make([]qword, len(words))
	for i, w := range words {
		qs[i] = qword{t: w, code: ix.rule.codeLike(w), exact: len(ix.exactVoc.exact(w)) > 0}
		if ix.saints {
			qs[i].alias = saintAbbrev(w)
		}
	}
	return qs, true
}

// matches applies the match rule to entry id.
func (ix *index) matches(qs []qword, id int32) bool {
	var m matcher
	m.words = ix.words[id]
	var buf [maxQueryWords]*qword
	m.pending = buf[:0]
	for i := range qs {
		q := &qs[i]
		if q.exact && ix.exactCode[id] == q.t {
			continue
		}
		if q.code && hasCodePrefix(ix.codes[id], q.t) {
			continue
		}
		m.pending = append(m.pending, q)
	}
	if len(m.pending) == 0 {
		return true
	}
	if len(m.pending) > len(m.words) {
		return false
	}
	if len(m.pending) == 1 {
		for _, w := range m.words {
			if m.pending[0].matchesWord(w) {
				return true
			}
		}
		return false
	}
	for j := range m.owner {
		m.owner[j] = -1
	}
	for p := range m.pending {
		var seen uint64
		if !m.augment(p, &seen) {
			return false
		}
	}
	return true
}

func hasCodePrefix(codes []string, t string) bool {
	for _, c := range codes {
		if strings.HasPrefix(c, t) {
			return true
		}
	}
	return false
}

// matcher gives each pending query word its own name word by augmenting paths (Kuhn's
// algorithm): a greedy choice fails on "s saint" against "Saint-Sernin", where "s" must leave
// "saint" to the second word. Sizes are tiny (at most 16 × 64), so this costs little.
type matcher struct {
	words   []string
	pending []*qword
	owner   [maxWords]int8 // for each name word, the pending query word using it, or -1
}

func (m *matcher) augment(p int, seen *uint64) bool {
	q := m.pending[p]
	for j, w := range m.words {
		bit := uint64(1) << j
		if *seen&bit != 0 || !q.matchesWord(w) {
			continue
		}
		*seen |= bit
		if m.owner[j] < 0 || m.augment(int(m.owner[j]), seen) {
			m.owner[j] = int8(p)
			return true
		}
	}
	return false
}

// search returns the ids of the best matches of q, at most limit, best first.
func (ix *index) search(q string, limit int) []int32 {
	if limit <= 0 {
		return nil
	}
	qs, ok := ix.prepare(q)
	if !ok {
		return nil
	}
	// Candidates come from the query word whose possible matches are fewest: every result
	// must match it anyway, and the other words are checked on each candidate.
	best, bestCount := -1, 0
	for i := range qs {
		n := ix.candidateCount(&qs[i])
		if best < 0 || n < bestCount {
			best, bestCount = i, n
		}
	}
	if bestCount == 0 {
		return nil
	}
	words := (len(ix.words) + 63) / 64
	// seen holds the exact and starts-with matches, so that the last tier skips them; tier1
	// holds the starts-with ones, read in id (rank) order: a bitmap scan costs less than
	// sorting the thousands of names that start with "s".
	seen, tier1 := make([]uint64, words), make([]uint64, words)
	out := ix.topTiers(qs, seen, tier1)
	if len(out) >= limit {
		return out[:limit]
	}
	if out = appendBits(out, tier1, nil, limit, nil); len(out) == limit {
		return out
	}
	cand := make([]uint64, words)
	ix.markCandidates(&qs[best], cand)
	return appendBits(out, cand, seen, limit, func(id int32) bool { return ix.matches(qs, id) })
}

// appendBits appends to out, in increasing order, the ids set in set but not in skip that keep
// accepts (all when keep is nil), until out holds limit ids.
func appendBits(out []int32, set, skip []uint64, limit int, keep func(int32) bool) []int32 {
	for w, word := range set {
		if skip != nil {
			word &^= skip[w]
		}
		for word != 0 {
			id := int32(w*64 + bits.TrailingZeros64(word))
			word &= word - 1
			if keep == nil || keep(id) {
				out = append(out, id)
				if len(out) == limit {
					return out
				}
			}
		}
	}
	return out
}

// candidateCount is how many (entry, term) pairs could satisfy q: an upper bound on the
// entries it matches.
func (ix *index) candidateCount(q *qword) int {
	lo, hi := ix.wordVocab.prefix(q.t)
	n := int(ix.wordVocab.off[hi] - ix.wordVocab.off[lo])
	if q.alias != "" {
		lo, hi = ix.wordVocab.prefix(q.alias)
		n += int(ix.wordVocab.off[hi] - ix.wordVocab.off[lo])
	}
	if q.code {
		lo, hi = ix.codeVocab.prefix(q.t)
		n += int(ix.codeVocab.off[hi] - ix.codeVocab.off[lo])
	}
	if q.exact {
		n += len(ix.exactVoc.exact(q.t))
	}
	return n
}

func (ix *index) markCandidates(q *qword, set []uint64) {
	mark := func(ids []int32) {
		for _, id := range ids {
			set[id>>6] |= 1 << (id & 63)
		}
	}
	mark(ix.wordVocab.postings(ix.wordVocab.prefix(q.t)))
	if q.alias != "" {
		mark(ix.wordVocab.postings(ix.wordVocab.prefix(q.alias)))
	}
	if q.code {
		mark(ix.codeVocab.postings(ix.codeVocab.prefix(q.t)))
	}
	if q.exact {
		mark(ix.exactVoc.exact(q.t))
	}
}

// topTiers returns the exact matches in rank order, marks them in seen, and marks the
// starts-with matches in seen and tier1. Both are matches by the rule: a name that starts with
// the normalised query has every query word but the last as a whole word, in order, and the
// last as a prefix of the next word.
func (ix *index) topTiers(qs []qword, seen, tier1 []uint64) (tier0 []int32) {
	if len(qs) == 1 {
		if qs[0].code {
			tier0 = append(tier0, ix.codeVocab.exact(qs[0].t)...)
		}
		if qs[0].exact {
			tier0 = append(tier0, ix.exactVoc.exact(qs[0].t)...)
		}
	}
	variants := make([]string, 1, 2)
	plain := make([]string, len(qs))
	expanded := make([]string, len(qs))
	aliased := false
	for i, q := range qs {
		plain[i], expanded[i] = q.t, q.t
		if q.alias != "" {
			expanded[i], aliased = q.alias, true
		}
	}
	variants[0] = strings.Join(plain, " ")
	if aliased {
		variants = append(variants, strings.Join(expanded, " "))
	}
	ranges := make([][2]int, len(variants))
	for i, v := range variants {
		lo := sort.Search(len(ix.byFull), func(i int) bool { return ix.full[ix.byFull[i]] >= v })
		hi := lo + sort.Search(len(ix.byFull)-lo, func(i int) bool { return !strings.HasPrefix(ix.full[ix.byFull[lo+i]], v) })
		ranges[i] = [2]int{lo, hi}
		// Equal names sort first in the range.
		for j := lo; j < hi && ix.full[ix.byFull[j]] == v; j++ {
			tier0 = append(tier0, ix.byFull[j])
		}
	}
	slices.Sort(tier0)
	tier0 = slices.Compact(tier0)
	for _, id := range tier0 {
		seen[id>>6] |= 1 << (id & 63)
	}
	for _, r := range ranges {
		for _, id := range ix.byFull[r[0]:r[1]] {
			if seen[id>>6]&(1<<(id&63)) == 0 {
				tier1[id>>6] |= 1 << (id & 63)
			}
		}
	}
	for w := range seen {
		seen[w] |= tier1[w]
	}
	return tier0
}
