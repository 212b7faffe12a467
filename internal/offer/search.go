package offer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
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
}

// StructureResult is an employer found by Search.
type StructureResult struct {
	Structure Structure
	// DistanceKm is the distance from the centre, rounded to 0.1 km.
	DistanceKm float64
	// Priority is true for the first group: active members and open positions (matching the
	// filters) at a structure that does not block applications.
	Priority bool
	// Recruiting: an active job description matching the filters has open positions and the
	// structure does not block applications.
	Recruiting bool
	// JobDescriptions are the structure's active job descriptions matching the filters, by rank.
	JobDescriptions []JobDescription
}

// JobResult is a job description found by SearchJobs.
type JobResult struct {
	JobDescription JobDescription
	Structure      Structure
	DistanceKm     float64
	// Priority: open positions at a structure with active members that does not block
	// applications.
	Priority bool
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
	centre      refdata.Commune
	radiusKm    int
	box         refdata.Box
	kinds       []string
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
	for _, rome := range s.places.Romes() {
		if strings.HasPrefix(rome.Code, r) {
			return true
		}
	}
	return false
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

// jdConditions are the job-description filters on alias j.
func (p plan) jdConditions(a *args) string {
	var b strings.Builder
	if p.rome != "" {
		// len is 1, 3 or 5: a literal, not user text.
		fmt.Fprintf(&b, " AND substr(j.rome_code, 1, %d) = %s", len(p.rome), a.add(p.rome))
	}
	if p.appellation != "" {
		fmt.Fprintf(&b, " AND j.appellation_code = %s", a.add(p.appellation))
	}
	if p.contract != "" {
		fmt.Fprintf(&b, " AND j.contract_type = %s", a.add(string(p.contract)))
	}
	return b.String()
}

// boxConditions restrict alias t's position to the bounding box: the (lat, lng) index does
// the pre-filtering, Go computes the exact distance of the few rows inside.
func (p plan) boxConditions(t string, a *args) string {
	return fmt.Sprintf(" %[1]s.lat >= %[2]s AND %[1]s.lat <= %[3]s AND %[1]s.lng >= %[4]s AND %[1]s.lng <= %[5]s",
		t, a.add(p.box.MinLat), a.add(p.box.MaxLat), a.add(p.box.MinLng), a.add(p.box.MaxLng))
}

// sortKey orders results: group (0 first), exact distance, then id so that the order is total
// and a cursor is stable.
type sortKey struct {
	group    uint8
	distance float64
	id       uuid.UUID
}

func compareKeys(a, b sortKey) int {
	if c := cmp.Compare(a.group, b.group); c != 0 {
		return c
	}
	if c := cmp.Compare(a.distance, b.distance); c != 0 {
		return c
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

// paginate sorts the keys and returns the page after the plan's cursor, the next cursor and
// the total.
func paginate(keys []sortKey, p plan) (page []sortKey, next string) {
	slices.SortFunc(keys, compareKeys)
	start := 0
	if p.after != nil {
		start, _ = slices.BinarySearchFunc(keys, *p.after, compareKeys)
		if start < len(keys) && compareKeys(keys[start], *p.after) == 0 {
			start++
		}
	}
	end := min(len(keys), start+p.limit)
	page = keys[start:end]
	if end < len(keys) && len(page) > 0 {
		next = encodeCursor(page[len(page)-1])
	}
	return page, next
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
// group nearest first.
func (s *Service) Search(ctx context.Context, q Query) (Page[StructureResult], error) {
	p, err := s.prepare(q, DefaultRadiusKm, IsKind, "type de structure inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ")
	if err != nil {
		return Page[StructureResult]{}, err
	}
	out := Page[StructureResult]{Centre: p.centre, RadiusKm: p.radiusKm}
	if err := s.searchStructures(ctx, s.db.Reader(), p, &out); err != nil {
		return Page[StructureResult]{}, err
	}
	return out, nil
}

// searchStructures ranks, then reads the page. It runs outside a transaction, which saves the
// round trips of BEGIN and COMMIT: a structure changed between the two reads is shown as it
// now is.
func (s *Service) searchStructures(ctx context.Context, q database.Querier, p plan, out *Page[StructureResult]) error {
	// Everything but the job filters is read from the structures_position index alone.
	var a args
	query := `SELECT s.org_id, s.kind, s.lat, s.lng, s.block_applications, s.convention_ends_on, s.staffed`
	if p.jdFiltered() {
		jd := p.jdConditions(&a)
		query += `, EXISTS (SELECT 1 FROM job_descriptions j WHERE j.structure_id = s.org_id AND j.active AND j.open_positions > 0` + jd + `),
			EXISTS (SELECT 1 FROM job_descriptions j WHERE j.structure_id = s.org_id AND j.active` + jd + `)`
	} else {
		query += `, s.hiring, TRUE`
	}
	query += ` FROM structures s WHERE` + p.boxConditions("s", &a) + ` AND s.searchable AND NOT s.org_deactivated`
	if len(p.kinds) > 0 {
		query += ` AND s.kind IN ` + a.in(p.kinds)
	}
	if p.departement != "" {
		query += ` AND s.departement = ` + a.add(p.departement)
	}
	rows, err := q.QueryContext(ctx, query, a...)
	if err != nil {
		return fmt.Errorf("recherche des structures : %w", err)
	}
	defer rows.Close()
	var keys []sortKey
	recruiting := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		var kind string
		var lat, lng float64
		var blocked, staffed, hiring, matching bool
		var endsOn database.Date
		if err := rows.Scan(&id, &kind, &lat, &lng, &blocked, &endsOn, &staffed, &hiring, &matching); err != nil {
			return fmt.Errorf("recherche des structures : %w", err)
		}
		if !matching || !StructureActive(kind, endsOn, p.today) {
			continue
		}
		d := refdata.Distance(p.centre.Lat, p.centre.Lng, lat, lng)
		if d > float64(p.radiusKm) {
			continue
		}
		open := hiring && !blocked
		if p.recruiting && !open {
			continue
		}
		recruiting[id] = open
		keys = append(keys, sortKey{group: group(staffed && open), distance: d, id: id})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recherche des structures : %w", err)
	}
	rows.Close()
	out.Total = len(keys)
	page, next := paginate(keys, p)
	out.Next = next
	if len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, k := range page {
		ids[i] = k.id
	}
	structures, err := s.structuresByID(ctx, q, ids)
	if err != nil {
		return err
	}
	jds, err := s.activeJDsOf(ctx, q, ids, p)
	if err != nil {
		return err
	}
	for _, k := range page {
		st, ok := structures[k.id]
		if !ok {
			continue // structures are never deleted; skip rather than show an empty card
		}
		out.Items = append(out.Items, StructureResult{Structure: st, DistanceKm: roundKm(k.distance), Priority: k.group == 0,
			Recruiting: recruiting[k.id], JobDescriptions: jds[k.id]})
	}
	return nil
}

func placeholders(a *args, ids []uuid.UUID) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = a.add(id)
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

func (s *Service) structuresByID(ctx context.Context, q database.Querier, ids []uuid.UUID) (map[uuid.UUID]Structure, error) {
	var a args
	rows, err := q.QueryContext(ctx, structureSelect+` WHERE o.id IN `+placeholders(&a, ids), a...)
	if err != nil {
		return nil, fmt.Errorf("lecture des structures : %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]Structure, len(ids))
	for rows.Next() {
		st, _, err := scanStructure(rows)
		if err != nil {
			return nil, fmt.Errorf("lecture des structures : %w", err)
		}
		out[st.ID] = st
	}
	return out, rows.Err()
}

func (s *Service) activeJDsOf(ctx context.Context, q database.Querier, structureIDs []uuid.UUID, p plan) (map[uuid.UUID][]JobDescription, error) {
	var a args
	query := `SELECT ` + jdColumns + ` FROM job_descriptions j WHERE j.structure_id IN ` + placeholders(&a, structureIDs) +
		` AND j.active` + p.jdConditions(&a) + ` ORDER BY j.rank, j.created_at, j.id`
	list, err := s.collectJDs(q.QueryContext(ctx, query, a...))
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]JobDescription{}
	for _, j := range list {
		out[j.StructureID] = append(out[j.StructureID], j)
	}
	return out, nil
}

// SearchJobs finds active job descriptions of listed structures (as Search lists them) whose
// place of work is around a commune. First the open positions at structures with active
// members that do not block applications, then the others; each group nearest first.
func (s *Service) SearchJobs(ctx context.Context, q Query) (Page[JobResult], error) {
	p, err := s.prepare(q, DefaultRadiusKm, IsKind, "type de structure inconnu : EI, AI, ACI, ETTI, EITI ou GEIQ")
	if err != nil {
		return Page[JobResult]{}, err
	}
	out := Page[JobResult]{Centre: p.centre, RadiusKm: p.radiusKm}
	if err := s.searchJobs(ctx, s.db.Reader(), p, &out); err != nil {
		return Page[JobResult]{}, err
	}
	return out, nil
}

// searchJobs ranks, then reads the page, outside a transaction (see searchStructures).
func (s *Service) searchJobs(ctx context.Context, q database.Querier, p plan, out *Page[JobResult]) error {
	// Everything is read from the job_descriptions_position index alone.
	var a args
	query := `SELECT j.id, j.lat, j.lng, j.open_positions, j.structure_kind, j.structure_ends_on, j.structure_staffed,
		j.structure_blocked FROM job_descriptions j
		WHERE` + p.boxConditions("j", &a) + ` AND j.active AND j.structure_listed` + p.jdConditions(&a)
	if len(p.kinds) > 0 {
		query += ` AND j.structure_kind IN ` + a.in(p.kinds)
	}
	if p.departement != "" {
		query += ` AND j.departement = ` + a.add(p.departement)
	}
	rows, err := q.QueryContext(ctx, query, a...)
	if err != nil {
		return fmt.Errorf("recherche des fiches de poste : %w", err)
	}
	defer rows.Close()
	var keys []sortKey
	for rows.Next() {
		var id uuid.UUID
		var lat, lng float64
		var positions int
		var kind string
		var endsOn database.Date
		var staffed, blocked bool
		if err := rows.Scan(&id, &lat, &lng, &positions, &kind, &endsOn, &staffed, &blocked); err != nil {
			return fmt.Errorf("recherche des fiches de poste : %w", err)
		}
		if !StructureActive(kind, endsOn, p.today) {
			continue
		}
		d := refdata.Distance(p.centre.Lat, p.centre.Lng, lat, lng)
		if d > float64(p.radiusKm) {
			continue
		}
		open := positions > 0 && !blocked
		if p.recruiting && !open {
			continue
		}
		keys = append(keys, sortKey{group: group(staffed && open), distance: d, id: id})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recherche des fiches de poste : %w", err)
	}
	rows.Close()
	out.Total = len(keys)
	page, next := paginate(keys, p)
	out.Next = next
	if len(page) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(page))
	for i, k := range page {
		ids[i] = k.id
	}
	var a2 args
	jds, err := s.collectJDs(q.QueryContext(ctx, `SELECT `+jdColumns+` FROM job_descriptions j WHERE j.id IN `+placeholders(&a2, ids), a2...))
	if err != nil {
		return err
	}
	byID := make(map[uuid.UUID]JobDescription, len(jds))
	var pageStructures []uuid.UUID
	for _, j := range jds {
		byID[j.ID] = j
		if !slices.Contains(pageStructures, j.StructureID) {
			pageStructures = append(pageStructures, j.StructureID)
		}
	}
	structures, err := s.structuresByID(ctx, q, pageStructures)
	if err != nil {
		return err
	}
	for _, k := range page {
		j, ok := byID[k.id]
		if !ok {
			continue
		}
		out.Items = append(out.Items, JobResult{JobDescription: j, Structure: structures[j.StructureID], DistanceKm: roundKm(k.distance), Priority: k.group == 0})
	}
	return nil
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
	for c := range s.places.Communes() {
		if !c.HasCoords || !p.box.Contains(c.Lat, c.Lng) {
			continue
		}
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
