package offer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/org"
	"parcours/internal/refdata"
)

// Radii returns the search radii offered, in kilometres.
func Radii() []int { return []int{2, 5, 10, 15, 25, 50, 100} }

// Defaults of searches.
const (
	DefaultRadiusKm           = 25
	MaxRadiusKm               = 100
	DefaultPrescriberRadiusKm = 5 // as les-emplois: help is sought close to home
	DefaultPageSize           = 20
	MaxPageSize               = 100
)

// Query is a search around a commune. The zero value of each filter means "any".
type Query struct {
	// CommuneCode is the INSEE code of the centre; required.
	CommuneCode string
	// RadiusKm is one of Radii(); 0 means the default (25 km, 5 km for prescribers).
	RadiusKm int
	// AnyRadius accepts any whole number of kilometres from 1 to MaxRadiusKm (the API);
	// otherwise only the radii of Radii() are accepted (the search form's choices).
	AnyRadius bool
	// Kinds restricts to these structure kinds (EI, AI, ACI, ETTI, EITI, GEIQ) or, for
	// prescribers, to these prescriber kinds (FT, ML, CAP_EMPLOI…).
	Kinds []string
	// Departement restricts to a département: the structure's, or the job's place of work.
	Departement string
	// Rome is a ROME domain letter ("K"), a professional domain ("K22") or a ROME code
	// ("K2204"); AppellationCode an appellation. Both look at active job descriptions.
	Rome            string
	AppellationCode string
	ContractType    ContractType
	// RecruitingNow keeps what has an active job description with open positions, at a
	// structure that does not block applications.
	RecruitingNow bool
	// Cursor is Page.Next of the previous page; empty for the first.
	Cursor string
	// Limit is the page size (default 20, at most 100).
	Limit int
}

// Page is one page of results, nearest first within each group.
type Page[T any] struct {
	Items []T
	// Next is the cursor of the following page, empty on the last one.
	Next string
	// Total counts every result of the search, all pages together.
	Total    int
	Centre   refdata.Commune
	RadiusKm int
	// Generation identifies the snapshot of the registry the page was read from (the read
	// model's; 0 for prescribers, read from the database): two pages of the same generation
	// show a structure the same way, which lets a caller keep what it makes of it.
	Generation int64
}

// StructureResult is an employer found by Search.
type StructureResult struct {
	Structure StructureCard
	// DistanceKm is the distance from the centre, rounded to 0.1 km.
	DistanceKm float64
	// Priority is true for the first group: active members and open positions (matching the
	// filters) at a structure that does not block applications.
	Priority bool
	// Recruiting: an active job description matching the filters has open positions and the
	// structure does not block applications.
	Recruiting bool
	// JobDescriptions are the structure's active job descriptions matching the filters, by rank.
	JobDescriptions []JobCard
}

// JobResult is a job description found by SearchJobs.
type JobResult struct {
	JobDescription JobCard
	Structure      StructureCard
	DistanceKm     float64
	// Priority: open positions at a structure with active members that does not block
	// applications.
	Priority bool
}

// StructureCard is what a search result shows of a structure: who it is, where, and whether
// it takes applications. The searches' read model holds nothing more of a structure (not its
// presentation texts nor its convention): Structure loads the whole page.
type StructureCard struct {
	ID                uuid.UUID
	Kind              string
	Name              string // legal name
	Brand             string
	SIRET             string
	AddressLine1      string
	AddressLine2      string
	Postcode          string
	CommuneCode       string
	Lat, Lng          float64
	HasPosition       bool
	BlockApplications bool
	// HasActiveMembers tells whether someone can answer applications.
	HasActiveMembers bool
}

// DisplayName is the brand when there is one, else the legal name.
func (c StructureCard) DisplayName() string {
	if c.Brand != "" {
		return c.Brand
	}
	return c.Name
}

// Card is what a search result would show of the structure.
func (st Structure) Card() StructureCard {
	return StructureCard{ID: st.ID, Kind: st.Kind, Name: st.Name, Brand: st.Brand, SIRET: st.SIRET, AddressLine1: st.AddressLine1,
		AddressLine2: st.AddressLine2, Postcode: st.Postcode, CommuneCode: st.CommuneCode, Lat: st.Lat, Lng: st.Lng,
		HasPosition: st.HasPosition, BlockApplications: st.BlockApplications, HasActiveMembers: st.HasActiveMembers}
}

// JobCard is what a search result shows of an active job description (not its description
// nor the expected profile: JobDescription loads them).
type JobCard struct {
	ID          uuid.UUID
	StructureID uuid.UUID
	// AppellationCode is the ROME appellation, RomeCode its ROME code, AppellationLabel its
	// label.
	AppellationCode  string
	RomeCode         string
	AppellationLabel string
	CustomTitle      string
	ContractType     ContractType
	// CommuneCode is the place of work; Departement, Lat and Lng (when HasPosition) are its.
	CommuneCode   string
	Departement   string
	Lat, Lng      float64
	HasPosition   bool
	HoursPerWeek  int
	OpenPositions int
}

// Title is the custom title when there is one, else the appellation's label.
func (j JobCard) Title() string {
	if j.CustomTitle != "" {
		return j.CustomTitle
	}
	if j.AppellationLabel != "" {
		return j.AppellationLabel
	}
	return j.AppellationCode
}

// Card is what a search result would show of the job description.
func (j JobDescription) Card() JobCard {
	return JobCard{ID: j.ID, StructureID: j.StructureID, AppellationCode: j.AppellationCode, RomeCode: j.RomeCode,
		AppellationLabel: j.AppellationLabel, CustomTitle: j.CustomTitle, ContractType: j.ContractType, CommuneCode: j.CommuneCode,
		Departement: j.Departement, Lat: j.Lat, Lng: j.Lng, HasPosition: j.HasPosition, HoursPerWeek: j.HoursPerWeek,
		OpenPositions: j.OpenPositions}
}

// PrescriberResult is a prescriber organisation found by SearchPrescribers. Its position is its
// commune's centre.
type PrescriberResult struct {
	ID               uuid.UUID
	Kind             string
	KindLabel        string
	Name             string
	CommuneCode      string
	CommuneName      string
	Departement      string
	Habilitated      bool
	HasActiveMembers bool
	DistanceKm       float64
}

// plan is a validated query.
type plan struct {
	centre   refdata.Commune
	radiusKm int
	box      refdata.Box
	circle   circle
	kinds    []string
	// kindMask has the kindBit of each of kinds (structure kinds only).
	kindMask    uint8
	departement string
	rome        string
	appellation string
	contract    ContractType
	recruiting  bool
	after       *sortKey
	limit       int
	today       database.Date
}

func (p plan) jdFiltered() bool { return p.rome != "" || p.appellation != "" || p.contract != "" }

func (s *Service) prepare(q Query, defaultRadius int, kindOK func(string) bool, kindsMessage string) (plan, error) {
	f := fault.Fields{}
	p := plan{today: s.today(), radiusKm: q.RadiusKm, limit: q.Limit}
	code := strings.TrimSpace(q.CommuneCode)
	c, ok := s.places.Commune(code)
	switch {
	case code == "":
		f.Add("commune", "choisissez une commune")
	case !ok:
		f.Add("commune", "commune inconnue : choisissez-la dans la liste proposée")
	case !c.HasCoords:
		f.Add("commune", "la position de cette commune n'est pas connue : choisissez une commune voisine")
	default:
		p.centre = c
	}
	if p.radiusKm == 0 {
		p.radiusKm = defaultRadius
	}
	switch {
	case q.AnyRadius && (p.radiusKm < 1 || p.radiusKm > MaxRadiusKm):
		f.Add("radius", "la distance doit être comprise entre 1 et 100 km")
	case !q.AnyRadius && !slices.Contains(Radii(), p.radiusKm):
		f.Add("radius", "distance non proposée : choisissez 2, 5, 10, 15, 25, 50 ou 100 km")
	}
	for _, k := range q.Kinds {
		k = strings.ToUpper(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if !kindOK(k) {
			f.Add("kinds", kindsMessage)
			continue
		}
		if !slices.Contains(p.kinds, k) {
			p.kinds = append(p.kinds, k)
			p.kindMask |= kindBit(k)
		}
	}
	if d := strings.ToUpper(strings.TrimSpace(q.Departement)); d != "" {
		if _, ok := s.places.Departement(d); !ok {
			f.Add("departement", "département inconnu")
		}
		p.departement = d
	}
	if r := strings.ToUpper(strings.TrimSpace(q.Rome)); r != "" {
		if !s.romePrefixExists(r) {
			f.Add("rome", "domaine ou code ROME inconnu (exemples : K, K22, K2204)")
		}
		p.rome = r
	}
	if a := strings.TrimSpace(q.AppellationCode); a != "" {
		if _, ok := s.places.Appellation(a); !ok {
			f.Add("appellation", "métier inconnu : choisissez-le dans la liste proposée")
		}
		p.appellation = a
	}
	if q.ContractType != "" {
		if q.ContractType.Label() == "" {
			f.Add("contract_type", "type de contrat inconnu")
		}
		p.contract = q.ContractType
	}
	p.recruiting = q.RecruitingNow
	if p.limit <= 0 {
		p.limit = DefaultPageSize
	}
	p.limit = min(p.limit, MaxPageSize)
	if q.Cursor != "" {
		k, err := decodeCursor(q.Cursor)
		if err != nil {
			f.Add("cursor", "lien de page invalide : relancez la recherche")
		}
		p.after = &k
	}
	if err := f.Err(); err != nil {
		return plan{}, err
	}
	p.box = refdata.BoundingBox(p.centre.Lat, p.centre.Lng, float64(p.radiusKm))
	p.circle = newCircle(p.centre.Lat, p.centre.Lng, float64(p.radiusKm))
	return p, nil
}

// romePrefixExists accepts a domain letter, a three-character professional domain or a whole
// ROME code that the reference data knows.
func (s *Service) romePrefixExists(r string) bool {
	if len(r) != 1 && len(r) != 3 && len(r) != 5 {
		return false
	}
	if len(r) == 5 {
		_, ok := s.places.Rome(r)
		return ok
	}
	return s.reference().romePrefixes[r]
}

// referenceIndex is what searches look up in the reference data, built once per service:
// the ROME domains and professional domains (prefixes of 1 and 3 characters), and the
// communes with a centre with their grid, so that a search does not scan all 35,000 communes.
type referenceIndex struct {
	romePrefixes map[string]bool
	communes     []refdata.Commune
	communeGrid  grid
}

func newReferenceIndex(places *refdata.Data) referenceIndex {
	x := referenceIndex{romePrefixes: map[string]bool{}}
	for _, rome := range places.Romes() {
		x.romePrefixes[rome.Code[:1]], x.romePrefixes[rome.Code[:3]] = true, true
	}
	for c := range places.Communes() {
		if c.HasCoords {
			x.communes = append(x.communes, c)
		}
	}
	x.communeGrid = newGrid(len(x.communes), func(i int) (float64, float64, bool) {
		return x.communes[i].Lat, x.communes[i].Lng, true
	})
	return x
}

// args numbers the parameters of a query built piece by piece.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

func (a *args) in(values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = a.add(v)
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// jdMatches applies the job filters (ROME prefix, appellation, contract type) to an active
// job description.
func (p plan) jdMatches(j *JobCard) bool {
	return (p.rome == "" || strings.HasPrefix(j.RomeCode, p.rome)) && (p.appellation == "" || j.AppellationCode == p.appellation) &&
		(p.contract == "" || j.ContractType == p.contract)
}

// sortKey orders results: group (0 first), exact distance, then id so that the order is total
// and a cursor is stable. The read model's searches first rank on the chord from the centre
// (grid.visit), then on the distance in kilometres the page's keys (paginateChords).
type sortKey struct {
	distance float64
	id       uuid.UUID
	// ref is where the result is in the read model, open whether it recruits now; neither
	// takes part in the order.
	ref   int32
	group uint8
	open  bool
}

func compareKeys(a, b sortKey) int { return compareKeyRefs(&a, &b) }

// compareKeyRefs is compareKeys on pointers, for the selection's inner loop. Distances are
// never NaN (decodeCursor refuses them).
func compareKeyRefs(a, b *sortKey) int {
	switch {
	case a.group != b.group:
		if a.group < b.group {
			return -1
		}
		return 1
	case a.distance < b.distance:
		return -1
	case a.distance > b.distance:
		return 1
	}
	return bytes.Compare(a.id[:], b.id[:])
}

const cursorVersion = 1

// encodeCursor makes the opaque cursor of a key: version, group, distance bits and id.
func encodeCursor(k sortKey) string {
	b := make([]byte, 0, 26)
	b = append(b, cursorVersion, k.group)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(k.distance))
	b = append(b, k.id[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (sortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 26 || b[0] != cursorVersion || b[1] > 1 {
		return sortKey{}, fmt.Errorf("curseur illisible : %w", fault.Invalid)
	}
	k := sortKey{group: b[1], distance: math.Float64frombits(binary.BigEndian.Uint64(b[2:10]))}
	copy(k.id[:], b[10:])
	if math.IsNaN(k.distance) || k.distance < 0 {
		return sortKey{}, fmt.Errorf("curseur illisible : %w", fault.Invalid)
	}
	return k, nil
}

// paginate returns the page after the plan's cursor, in order, and the next cursor. It only
// orders what the page shows: the keys after the cursor are partitioned around the page's
// last one (selectSmallest), then the page is sorted; the result is the one of sorting every
// key (TestPaginateAgreesWithSorting).
func paginate(keys []sortKey, p plan) (page []sortKey, next string) {
	if p.after != nil {
		after := *p.after
		kept := keys[:0]
		for _, k := range keys {
			if compareKeys(k, after) > 0 {
				kept = append(kept, k)
			}
		}
		keys = kept
	}
	end := min(len(keys), p.limit)
	if end < len(keys) {
		selectSmallest(keys, end)
	}
	page = keys[:end]
	slices.SortFunc(page, compareKeys)
	if end < len(keys) && len(page) > 0 {
		next = encodeCursor(page[len(page)-1])
	}
	return page, next
}

// paginateChords is paginate for keys whose distance is their chord from the centre: the
// page and its order are those of paginate on the distances in kilometres that exact gives
// (refdata.Distance). It feeds a topKeys.
func paginateChords(keys []sortKey, p plan, exact func(ref int32) float64) (page []sortKey, next string) {
	t := newTopKeys(p, exact)
	for _, k := range keys {
		t.add(k)
	}
	return t.page()
}

// topKeys keeps, of the keys a search's ranking finds one after another, those its page may
// show: at most limit keys ranked on their chord from the centre (a max-heap), and the keys a
// chordSlack from the last of them, whose order only refdata.Distance decides. page then ranks
// these on the distance in kilometres that exact gives: the page and its order are those of
// paginate on those distances, without keeping or ordering every key (around Paris at ten times
// national scale, 25,000 of them).
type topKeys struct {
	limit int
	heap  []sortKey // max-heap by compareKeyRefs
	near  []sortKey
	// total counts the keys of every page, remaining those after the cursor.
	total, remaining int
	exact            func(ref int32) float64
	// after is the cursor, and its distance as a chord.
	after      *sortKey
	afterChord float64
}

// newTopKeys returns an empty topKeys for the plan's page.
func newTopKeys(p plan, exact func(ref int32) float64) *topKeys {
	t := &topKeys{limit: p.limit, heap: make([]sortKey, 0, p.limit), exact: exact, after: p.after}
	if t.after != nil {
		t.afterChord = chordOf(t.after.distance)
	}
	return t
}

// nearLast tells whether k is within a chordSlack after last.
func nearLast(k, last *sortKey) bool {
	return k.group == last.group && k.distance <= last.distance+chordSlack
}

// add considers a key whose distance is its chord.
func (t *topKeys) add(k sortKey) {
	t.total++
	if a := t.after; a != nil {
		later := k.group > a.group || (k.group == a.group && k.distance > t.afterChord+chordSlack)
		if !later && k.group == a.group && k.distance >= t.afterChord-chordSlack {
			exactKey := k
			exactKey.distance = t.exact(k.ref)
			later = compareKeys(exactKey, *a) > 0
		}
		if !later {
			return
		}
	}
	t.remaining++
	h := t.heap
	if len(h) < t.limit {
		h = append(h, k)
		for i := len(h) - 1; i > 0; { // sift up
			parent := (i - 1) / 2
			if compareKeyRefs(&h[i], &h[parent]) <= 0 {
				break
			}
			h[i], h[parent] = h[parent], h[i]
			i = parent
		}
		t.heap = h
		return
	}
	if compareKeyRefs(&k, &h[0]) >= 0 {
		if nearLast(&k, &h[0]) {
			t.near = append(t.near, k)
		}
		return
	}
	evicted := h[0]
	h[0] = k
	for i := 0; ; { // sift down
		largest, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && compareKeyRefs(&h[l], &h[largest]) > 0 {
			largest = l
		}
		if r < len(h) && compareKeyRefs(&h[r], &h[largest]) > 0 {
			largest = r
		}
		if largest == i {
			break
		}
		h[i], h[largest] = h[largest], h[i]
		i = largest
	}
	if nearLast(&evicted, &h[0]) {
		t.near = append(t.near, evicted)
	}
}

// page returns the page's keys, by the distance in kilometres (now their distance), and the
// cursor of the next page.
func (t *topKeys) page() (page []sortKey, next string) {
	candidates := t.heap
	if len(candidates) > 0 {
		last := candidates[0]
		for _, k := range t.near {
			if nearLast(&k, &last) {
				candidates = append(candidates, k)
			}
		}
	}
	for i := range candidates {
		candidates[i].distance = t.exact(candidates[i].ref)
	}
	slices.SortFunc(candidates, compareKeys)
	page = candidates[:min(len(candidates), t.limit)]
	if t.remaining > len(page) && len(page) > 0 {
		next = encodeCursor(page[len(page)-1])
	}
	return page, next
}

// selectSmallest reorders keys so that its first n are the n smallest (in any order), by
// quickselect; ranges that partition badly are sorted instead.
func selectSmallest(keys []sortKey, n int) {
	lo, hi := 0, len(keys) // the n-th smallest is in keys[lo:hi]
	for budget := 2 * bits.Len(uint(len(keys))); hi-lo > 12; budget-- {
		if budget == 0 {
			slices.SortFunc(keys[lo:hi], compareKeys)
			return
		}
		// Median of three as the pivot, moved to hi-1.
		mid := lo + (hi-lo)/2
		a, b, c := lo, mid, hi-1
		if compareKeyRefs(&keys[a], &keys[b]) > 0 {
			a, b = b, a
		}
		if compareKeyRefs(&keys[b], &keys[c]) > 0 {
			b = c
			if compareKeyRefs(&keys[a], &keys[b]) > 0 {
				b = a
			}
		}
		keys[b], keys[hi-1] = keys[hi-1], keys[b]
		pivot := keys[hi-1]
		store := lo
		for i := lo; i < hi-1; i++ {
			if compareKeyRefs(&keys[i], &pivot) < 0 {
				keys[i], keys[store] = keys[store], keys[i]
				store++
			}
		}
		keys[store], keys[hi-1] = keys[hi-1], keys[store]
		// keys[lo:store] < pivot = keys[store] < keys[store+1:hi] (keys are distinct: ids).
		switch {
		case n == store || n == store+1:
			return
		case n < store:
			hi = store
		default:
			lo = store + 1
		}
	}
	slices.SortFunc(keys[lo:hi], compareKeys)
}

func roundKm(d float64) float64 { return math.Round(d*10) / 10 }

func group(first bool) uint8 {
	if first {
		return 0
	}
	return 1
}

// Search finds employers around a commune. Only active, searchable structures of open
// organisations are listed, blocked ones included (they refuse applications but stay
// visible, as in les-emplois). With a job filter (ROME, appellation, contract type), only the
// structures with a matching active job description are. First come the structures with
// active members and open positions that do not block applications, then the others; each
// group nearest first. The results' job descriptions are shared with other searches: callers
// must not modify them.
func (s *Service) Search(ctx context.Context, q Query) (Page[StructureResult], error) {
	p, err := s.prepare(q, DefaultRadiusKm, IsKind, "type de structure inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ")
	if err != nil {
		return Page[StructureResult]{}, err
	}
	m, err := s.searchModel(ctx)
	if err != nil {
		return Page[StructureResult]{}, fmt.Errorf("recherche des structures : %w", err)
	}
	out := Page[StructureResult]{Centre: p.centre, RadiusKm: p.radiusKm, Generation: m.generation}
	m.searchStructures(p, &out)
	return out, nil
}

// searchStructures ranks the listed structures in the box, then makes the page: by kind and
// département, activity on the day, and with a job filter its matching job descriptions.
func (m *readModel) searchStructures(p plan, out *Page[StructureResult]) {
	top := newTopKeys(p, func(i int32) float64 {
		c := &m.structures[i].card
		return refdata.Distance(p.centre.Lat, p.centre.Lng, c.Lat, c.Lng)
	})
	filtered := p.jdFiltered()
	today := dayNumber(p.today)
	m.structureGrid.visit(p.circle, func(i int32, chord float64) {
		e := &m.structures[i]
		if (p.kindMask != 0 && p.kindMask&e.kind == 0) || (p.departement != "" && e.departement != p.departement) || !e.active.on(today) {
			return
		}
		hiring, matching := e.hiring, true
		if filtered {
			hiring, matching = false, false
			for k := range e.jobs {
				if j := &e.jobs[k]; p.jdMatches(j) {
					matching = true
					if j.OpenPositions > 0 {
						hiring = true
						break
					}
				}
			}
		}
		if !matching {
			return
		}
		c := &e.card
		open := hiring && !c.BlockApplications
		if p.recruiting && !open {
			return
		}
		if chord > p.circle.maxChord-chordSlack && refdata.Distance(p.centre.Lat, p.centre.Lng, c.Lat, c.Lng) > float64(p.radiusKm) {
			return
		}
		top.add(sortKey{group: group(c.HasActiveMembers && open), distance: chord, id: c.ID, ref: i, open: open})
	})
	out.Total = top.total
	page, next := top.page()
	out.Next = next
	if len(page) == 0 {
		return
	}
	out.Items = make([]StructureResult, 0, len(page))
	for _, k := range page {
		e := &m.structures[k.ref]
		jobs := e.jobs
		if filtered {
			jobs = nil
			for i := range e.jobs {
				if p.jdMatches(&e.jobs[i]) {
					jobs = append(jobs, e.jobs[i])
				}
			}
		}
		out.Items = append(out.Items, StructureResult{Structure: e.card, DistanceKm: roundKm(k.distance), Priority: k.group == 0,
			Recruiting: k.open, JobDescriptions: jobs})
	}
}

// SearchJobs finds active job descriptions of listed structures (as Search lists them) whose
// place of work is around a commune. First the open positions at structures with active
// members that do not block applications, then the others; each group nearest first.
func (s *Service) SearchJobs(ctx context.Context, q Query) (Page[JobResult], error) {
	p, err := s.prepare(q, DefaultRadiusKm, IsKind, "type de structure inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ")
	if err != nil {
		return Page[JobResult]{}, err
	}
	m, err := s.searchModel(ctx)
	if err != nil {
		return Page[JobResult]{}, fmt.Errorf("recherche des fiches de poste : %w", err)
	}
	out := Page[JobResult]{Centre: p.centre, RadiusKm: p.radiusKm, Generation: m.generation}
	m.searchJobs(p, &out)
	return out, nil
}

// searchJobs ranks the job descriptions in the box on their structure's fields, then makes
// the page.
func (m *readModel) searchJobs(p plan, out *Page[JobResult]) {
	top := newTopKeys(p, func(i int32) float64 { return m.jobDistance(p, i) })
	today := dayNumber(p.today)
	filtered := p.jdFiltered()
	m.jobGrid.visit(p.circle, func(i int32, chord float64) {
		r := &m.ranks[i]
		if !r.active.on(today) || (p.kindMask != 0 && p.kindMask&r.kind == 0) {
			return
		}
		open := r.open && !r.blocked
		if p.recruiting && !open {
			return
		}
		if filtered || p.departement != "" {
			j := &m.jobs[i]
			if (filtered && !p.jdMatches(j)) || (p.departement != "" && j.Departement != p.departement) {
				return
			}
		}
		if chord > p.circle.maxChord-chordSlack && m.jobDistance(p, i) > float64(p.radiusKm) {
			return
		}
		top.add(sortKey{group: group(r.staffed && open), distance: chord, id: m.jobIDs[i], ref: i})
	})
	out.Total = top.total
	page, next := top.page()
	out.Next = next
	if len(page) == 0 {
		return
	}
	out.Items = make([]JobResult, 0, len(page))
	for _, k := range page {
		j := &m.jobs[k.ref]
		out.Items = append(out.Items, JobResult{JobDescription: *j, Structure: m.structures[m.ranks[k.ref].structure].card,
			DistanceKm: roundKm(k.distance), Priority: k.group == 0})
	}
}

// jobDistance is the distance in kilometres from the plan's centre to a job's place of work.
func (m *readModel) jobDistance(p plan, i int32) float64 {
	j := &m.jobs[i]
	return refdata.Distance(p.centre.Lat, p.centre.Lng, j.Lat, j.Lng)
}

func isPrescriberKind(k string) bool {
	info, ok := org.Kind(k)
	return ok && info.Category == org.Prescriber
}

// SearchPrescribers finds prescriber organisations around a commune (default 5 km), for a job
// seeker looking for help. An organisation's position is its commune's centre. Query's job
// filters do not apply; Kinds are prescriber kinds (FT, ML, CAP_EMPLOI…). Organisations with
// active members come first, each group nearest first.
func (s *Service) SearchPrescribers(ctx context.Context, q Query) (Page[PrescriberResult], error) {
	p, err := s.prepare(Query{CommuneCode: q.CommuneCode, RadiusKm: q.RadiusKm, Kinds: q.Kinds, Departement: q.Departement,
		Cursor: q.Cursor, Limit: q.Limit}, DefaultPrescriberRadiusKm, isPrescriberKind, "type d'organisation prescriptrice inconnu")
	if err != nil {
		return Page[PrescriberResult]{}, err
	}
	out := Page[PrescriberResult]{Centre: p.centre, RadiusKm: p.radiusKm}
	// The communes in range, and their départements, which the organisations table indexes.
	near := map[string]float64{}
	var deps []string
	ref := s.reference()
	for _, i := range ref.communeGrid.appendIn(nil, p.box) {
		c := &ref.communes[i]
		if d := refdata.Distance(p.centre.Lat, p.centre.Lng, c.Lat, c.Lng); d <= float64(p.radiusKm) {
			near[c.Code] = d
			if !slices.Contains(deps, c.Departement) {
				deps = append(deps, c.Departement)
			}
		}
	}
	if p.departement != "" {
		if !slices.Contains(deps, p.departement) {
			return out, nil
		}
		deps = []string{p.departement}
	}
	var a args
	query := `SELECT o.id, o.kind, o.name, o.commune_code, o.departement, o.habilitation,
		EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.is_active)
		FROM organisations o WHERE o.category = 'prescriber' AND o.deactivated_at IS NULL AND o.departement IN ` + a.in(deps)
	if len(p.kinds) > 0 {
		query += ` AND o.kind IN ` + a.in(p.kinds)
	}
	rows, err := s.db.Reader().QueryContext(ctx, query, a...)
	if err != nil {
		return Page[PrescriberResult]{}, fmt.Errorf("recherche des prescripteurs : %w", err)
	}
	defer rows.Close()
	found := map[uuid.UUID]PrescriberResult{}
	var keys []sortKey
	for rows.Next() {
		var r PrescriberResult
		var habilitation string
		if err := rows.Scan(&r.ID, &r.Kind, &r.Name, &r.CommuneCode, &r.Departement, &habilitation, &r.HasActiveMembers); err != nil {
			return Page[PrescriberResult]{}, fmt.Errorf("recherche des prescripteurs : %w", err)
		}
		d, ok := near[r.CommuneCode]
		if !ok {
			continue
		}
		r.Habilitated = org.Habilitation(habilitation) == org.Validated
		if info, ok := org.Kind(r.Kind); ok {
			r.KindLabel = info.Label
		}
		if c, ok := s.places.Commune(r.CommuneCode); ok {
			r.CommuneName = c.Name
		}
		r.DistanceKm = roundKm(d)
		found[r.ID] = r
		keys = append(keys, sortKey{group: group(r.HasActiveMembers), distance: d, id: r.ID})
	}
	if err := rows.Err(); err != nil {
		return Page[PrescriberResult]{}, fmt.Errorf("recherche des prescripteurs : %w", err)
	}
	out.Total = len(keys)
	page, next := paginate(keys, p)
	out.Next = next
	for _, k := range page {
		out.Items = append(out.Items, found[k.id])
	}
	return out, nil
}
