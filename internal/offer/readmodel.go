package offer

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"parcours/internal/database"
	"parcours/internal/refdata"
)

// The searches of employers and job descriptions read a read model: every listed structure
// (searchable, of an open organisation) with what its card shows and what the ranking decides
// on, and its active job descriptions, in memory, with a spatial index. It is built from one
// snapshot of the database, never changed afterwards, and replaced whole (readState.model)
// when the database's generation — offer_state.generation, bumped by triggers in every
// transaction that changes what a search shows (migrations 00080 and 00090) — is no longer
// the one it was built from.
//
// The model computes what the former SQL search read from copies kept in the tables: the
// structure's kind and département (its organisation's), whether it has an active member,
// its convention's end (its own or its parent's), whether an active job description has open
// positions, and for each job description its structure's. What depends on the day (a
// convention's end plus its 30 days of grace) is kept as the last active day and decided at
// query time with the service's today: a convention ending changes the results without any
// write and without a rebuild.
//
// It is compact: cards hold what results show (StructureCard, JobCard), never descriptions
// or the other texts of a structure's page; codes and labels point into the reference data
// instead of copies read from each row.

// readModel is one immutable snapshot of the listed registry. Only checked changes.
type readModel struct {
	// generation is offer_state.generation in the snapshot the model was read from.
	generation int64
	structures []modelStructure
	// jobs holds the active job descriptions of the listed structures, by structure then rank
	// (rank, created_at, id): each modelStructure.jobs is a window of it. ranks and jobIDs
	// (the ids, packed for the ranking) are parallel to it.
	jobs   []JobCard
	ranks  []jobRank
	jobIDs []uuid.UUID
	// structureGrid indexes the structures with a position (refs into structures), jobGrid
	// the jobs with a place of work (refs into jobs).
	structureGrid grid
	jobGrid       grid
	// checked is when the generation was last found equal to the database's, and the local
	// write epoch at that moment.
	checked atomic.Pointer[readCheck]
}

// modelStructure is a listed structure.
type modelStructure struct {
	card        StructureCard
	departement string // its organisation's
	kind        uint8  // kindBit(card.Kind)
	active      activity
	// hiring: an active job description has open positions.
	hiring bool
	// jobs are the structure's active job descriptions by rank (nil when none). Shared by
	// every result that shows them: callers must not modify them.
	jobs []JobCard
}

// jobRank is what job search ranks a job description on besides its card: its structure's
// fields, next to each other so that ranking thousands of candidates stays in cache.
type jobRank struct {
	structure int32 // index in readModel.structures
	active    activity
	kind      uint8 // kindBit of the structure's kind
	staffed   bool
	blocked   bool
	// open: the job description has open positions.
	open bool
}

// kindBit is a structure kind's bit in a plan's kind mask (0 for an unknown kind).
func kindBit(kind string) uint8 {
	if i := slices.Index(Kinds(), kind); i >= 0 {
		return 1 << i
	}
	return 0
}

// activity is the activity rule (StructureActive) of a kind and a convention end, with the
// day left open: the last active day as a dayNumber, activeAlways, or -1 for never. The date
// arithmetic is done once, when the model is built, and a search compares day numbers.
// TestActivityAgreesWithTheRule checks it against StructureActive.
type activity int32

const activeAlways activity = math.MaxInt32

func activityOf(kind string, endsOn database.Date) activity {
	switch {
	case kind == KindGEIQ:
		return activeAlways
	case IsSIAE(kind) && !endsOn.IsZero():
		return activity(dayNumber(endsOn.AddDays(ConventionGraceDays)))
	}
	return -1
}

// on tells whether the structure is active on the day today (dayNumber).
func (a activity) on(today int) bool { return int(a) >= today }

// dayNumber orders dates as integers (YYYYMMDD) for dates with a month and day in range, as
// Today and AddDays make them.
func dayNumber(d database.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }

type readCheck struct {
	at    time.Time
	epoch uint64
}

// readState is a service's read model and what keeps it fresh.
type readState struct {
	model atomic.Pointer[readModel]
	// maxAge (a time.Duration) is how long a model found current may be used without asking
	// the database again; 0 asks at every search.
	maxAge atomic.Int64
	// epoch counts this service's writes: a write makes the next search check the generation.
	epoch atomic.Uint64
	// lock lets one rebuild run at a time (a channel, so that a waiting search can give up
	// when its request ends).
	lock chan struct{}
	// builds counts the models built (tests read it).
	builds atomic.Int64
}

// SetSearchMaxAge lets searches use their read model for up to d after they last found it
// current, without asking the database: a change committed by another instance then shows up
// in this instance's searches within d. Changes made through this service show up at once
// whatever d. The default, 0, asks at every search (one single-row read) and so shows every
// committed change at once.
func (s *Service) SetSearchMaxAge(d time.Duration) { s.read.maxAge.Store(int64(max(0, d))) }

// PrepareSearch builds the searches' read model if none is built yet, so that the first
// search does not wait for it. Serving instances call it at start and report themselves ready
// once it returns (SearchReady).
func (s *Service) PrepareSearch(ctx context.Context) error {
	_, err := s.searchModel(ctx)
	return err
}

// SearchReady tells whether the searches' read model is built.
func (s *Service) SearchReady() bool { return s.read.model.Load() != nil }

// invalidateSearch makes the next search check the generation (after this service's writes).
func (s *Service) invalidateSearch() { s.read.epoch.Add(1) }

// buildTimeout bounds a rebuild, which runs to its end even if the search that started it
// is cancelled: other searches are waiting for it.
const buildTimeout = time.Minute

// searchModel returns a read model that is current: built from the database's generation,
// or found so less than maxAge ago and no write of this service since.
func (s *Service) searchModel(ctx context.Context) (*readModel, error) {
	epoch := s.read.epoch.Load()
	now := s.clock.Now()
	m := s.read.model.Load()
	if m != nil && m.fresh(now, epoch, time.Duration(s.read.maxAge.Load())) {
		return m, nil
	}
	if m != nil {
		switch ok, err := s.current(ctx, m, now, epoch); {
		case err != nil:
			return nil, err
		case ok:
			return m, nil
		}
	}
	return s.rebuild(ctx, now, epoch)
}

// current asks the database whether the model is built from its generation, and if so
// records that it was found current at now.
func (s *Service) current(ctx context.Context, m *readModel, now time.Time, epoch uint64) (bool, error) {
	gen, err := s.generation(ctx, s.db.Reader())
	if err != nil || gen != m.generation {
		return false, err
	}
	m.checked.Store(&readCheck{at: now, epoch: epoch})
	return true, nil
}

// fresh tells whether the model was found current less than maxAge before now, with no write
// of this service since.
func (m *readModel) fresh(now time.Time, epoch uint64, maxAge time.Duration) bool {
	if maxAge <= 0 {
		return false
	}
	c := m.checked.Load()
	if c == nil || c.epoch != epoch {
		return false
	}
	age := now.Sub(c.at)
	return age >= 0 && age < maxAge
}

// rebuild builds a new model, one at a time: searches that find the model stale wait for the
// rebuild under way, then use its model if it is current.
func (s *Service) rebuild(ctx context.Context, now time.Time, epoch uint64) (*readModel, error) {
	select {
	case s.read.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("recherche : %w", ctx.Err())
	}
	defer func() { <-s.read.lock }()
	if m := s.read.model.Load(); m != nil {
		switch ok, err := s.current(ctx, m, now, epoch); {
		case err != nil:
			return nil, err
		case ok:
			return m, nil
		}
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
	defer cancel()
	m, err := s.buildModel(bctx)
	if err != nil {
		return nil, err
	}
	m.checked.Store(&readCheck{at: now, epoch: epoch})
	s.read.model.Store(m)
	s.read.builds.Add(1)
	return m, nil
}

// generation reads the registry's generation.
func (s *Service) generation(ctx context.Context, q database.Querier) (int64, error) {
	var gen int64
	if err := q.QueryRowContext(ctx, `SELECT generation FROM offer_state WHERE id = 1`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("génération du registre : %w", err)
	}
	return gen, nil
}

// buildModel reads the registry in one snapshot.
func (s *Service) buildModel(ctx context.Context) (*readModel, error) {
	var m *readModel
	// One snapshot for the generation and both reads.
	err := s.db.SnapshotTx(ctx, func(tx *sql.Tx) error {
		m = &readModel{}
		var err error
		if m.generation, err = s.generation(ctx, tx); err != nil {
			return err
		}
		in := newInterner(s.places)
		if err := s.readStructures(ctx, tx, m, in); err != nil {
			return err
		}
		return s.readJobs(ctx, tx, m, in)
	})
	if err != nil {
		return nil, err
	}
	m.index()
	return m, nil
}

// interner shares the strings of the reference data among the model's cards: the codes and
// labels of communes, départements, appellations and ROME codes, kinds and contract types.
type interner struct {
	places   *refdata.Data
	communes map[string]communeStrings
}

type communeStrings struct{ code, departement string }

func newInterner(places *refdata.Data) *interner {
	return &interner{places: places, communes: map[string]communeStrings{}}
}

// commune returns the commune's code and département as the reference data holds them (b
// itself when unknown).
func (in *interner) commune(b []byte) communeStrings {
	if c, ok := in.communes[string(b)]; ok {
		return c
	}
	c := communeStrings{code: string(b)}
	if rc, ok := in.places.Commune(c.code); ok {
		c = communeStrings{code: rc.Code, departement: rc.Departement}
	}
	in.communes[c.code] = c
	return c
}

// text returns s, one of values when it is one (no new string), else a copy of b.
func text[T ~string](b []byte, values []T) T {
	for _, v := range values {
		if string(v) == string(b) {
			return v
		}
	}
	return T(b)
}

// departement returns the département code as the reference data holds it (b itself when
// unknown).
func (in *interner) departement(b []byte) string {
	if d, ok := in.places.Departement(string(b)); ok {
		return d.Code
	}
	return string(b)
}

func (s *Service) readStructures(ctx context.Context, tx *sql.Tx, m *readModel, in *interner) error {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.kind, o.name, o.siret, o.commune_code, o.departement,
		s.brand, s.address_line1, s.address_line2, s.postcode, s.lat, s.lng, s.block_applications, c.ends_on,
		EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.is_active)
		FROM structures s
		JOIN organisations o ON o.id = s.org_id
		LEFT JOIN structures p ON p.org_id = s.parent_id
		LEFT JOIN conventions c ON c.id = COALESCE(s.convention_id, p.convention_id)
		WHERE s.searchable AND o.deactivated_at IS NULL`)
	if err != nil {
		return fmt.Errorf("lecture du registre : %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e modelStructure
		var kind, commune, departement sql.RawBytes
		var siret sql.NullString
		var lat, lng sql.NullFloat64
		var endsOn database.Date
		c := &e.card
		if err := rows.Scan(&c.ID, &kind, &c.Name, &siret, &commune, &departement, &c.Brand, &c.AddressLine1, &c.AddressLine2,
			&c.Postcode, &lat, &lng, &c.BlockApplications, &endsOn, &c.HasActiveMembers); err != nil {
			return fmt.Errorf("lecture du registre : %w", err)
		}
		c.Kind = text(kind, Kinds())
		c.SIRET = siret.String
		c.CommuneCode = in.commune(commune).code
		c.Lat, c.Lng, c.HasPosition = lat.Float64, lng.Float64, lat.Valid && lng.Valid
		e.departement = in.departement(departement)
		e.kind = kindBit(c.Kind)
		e.active = activityOf(c.Kind, endsOn)
		m.structures = append(m.structures, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lecture du registre : %w", err)
	}
	m.structures = slices.Clip(m.structures)
	return nil
}

func (s *Service) readJobs(ctx context.Context, tx *sql.Tx, m *readModel, in *interner) error {
	byID := make(map[uuid.UUID]int32, len(m.structures))
	for i := range m.structures {
		byID[m.structures[i].card.ID] = int32(i)
	}
	rows, err := tx.QueryContext(ctx, `SELECT j.id, j.structure_id, j.appellation_code, j.rome_code, j.custom_title,
		j.contract_type, j.commune_code, j.lat, j.lng, j.hours_per_week, j.open_positions
		FROM job_descriptions j WHERE j.active ORDER BY j.structure_id, j.rank, j.created_at, j.id`)
	if err != nil {
		return fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	defer rows.Close()
	contracts := ContractTypes()
	for rows.Next() {
		var j JobCard
		var appellation, rome, contract, commune sql.RawBytes
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&j.ID, &j.StructureID, &appellation, &rome, &j.CustomTitle, &contract, &commune, &lat, &lng,
			&j.HoursPerWeek, &j.OpenPositions); err != nil {
			return fmt.Errorf("lecture des fiches de poste : %w", err)
		}
		owner, listed := byID[j.StructureID]
		if !listed {
			continue
		}
		if a, ok := s.places.Appellation(string(appellation)); ok {
			j.AppellationCode, j.AppellationLabel = a.Code, a.Label
			if a.Rome == string(rome) {
				j.RomeCode = a.Rome
			}
		}
		if j.AppellationCode == "" {
			j.AppellationCode = string(appellation)
		}
		if j.RomeCode == "" {
			j.RomeCode = string(rome)
		}
		j.ContractType = text(contract, contracts)
		place := in.commune(commune)
		j.CommuneCode, j.Departement = place.code, place.departement
		j.Lat, j.Lng, j.HasPosition = lat.Float64, lng.Float64, lat.Valid && lng.Valid
		st := &m.structures[owner]
		m.jobs = append(m.jobs, j)
		m.ranks = append(m.ranks, jobRank{structure: owner, active: st.active, kind: st.kind, staffed: st.card.HasActiveMembers,
			blocked: st.card.BlockApplications, open: j.OpenPositions > 0})
		m.jobIDs = append(m.jobIDs, j.ID)
		if j.OpenPositions > 0 {
			st.hiring = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	m.jobs, m.ranks, m.jobIDs = slices.Clip(m.jobs), slices.Clip(m.ranks), slices.Clip(m.jobIDs)
	for from := 0; from < len(m.jobs); {
		owner := m.ranks[from].structure
		to := from + 1
		for to < len(m.jobs) && m.ranks[to].structure == owner {
			to++
		}
		m.structures[owner].jobs = m.jobs[from:to:to]
		from = to
	}
	return nil
}

// index builds the spatial indexes.
func (m *readModel) index() {
	m.structureGrid = newGrid(len(m.structures), func(i int) (float64, float64, bool) {
		c := &m.structures[i].card
		return c.Lat, c.Lng, c.HasPosition
	})
	m.jobGrid = newGrid(len(m.jobs), func(i int) (float64, float64, bool) {
		j := &m.jobs[i]
		return j.Lat, j.Lng, j.HasPosition
	})
}

// grid finds the points inside a bounding box: the points sorted by band of latitude
// (gridBandsPerDegree a degree) then by longitude, so that a box is a few binary searches in
// the bands it spans. A 25 km box spans 5 or 6 bands. Each point also has its position as a
// unit vector (x, y, z), so that a search compares straight-line distances through the Earth
// (chords) instead of computing a great-circle distance per candidate: the chord grows with
// the distance, so it ranks the same (visit).
type grid struct {
	minBand int
	// starts[b] is the first point of band minBand+b; starts has one more entry than bands.
	starts  []int32
	lat     []float64
	lng     []float64
	x, y, z []float64
	ref     []int32
}

const gridBandsPerDegree = 10

func band(lat float64) int { return int(math.Floor(lat * gridBandsPerDegree)) }

// unitVector is the position on the unit sphere.
func unitVector(lat, lng float64) (x, y, z float64) {
	φ, λ := lat*math.Pi/180, lng*math.Pi/180
	return math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)
}

func newGrid(n int, at func(i int) (lat, lng float64, ok bool)) grid {
	type point struct {
		band     int
		lat, lng float64
		ref      int32
	}
	var pts []point
	for i := range n {
		if lat, lng, ok := at(i); ok {
			pts = append(pts, point{band: band(lat), lat: lat, lng: lng, ref: int32(i)})
		}
	}
	if len(pts) == 0 {
		return grid{}
	}
	slices.SortFunc(pts, func(a, b point) int {
		if c := cmp.Compare(a.band, b.band); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lng, b.lng); c != 0 {
			return c
		}
		return cmp.Compare(a.ref, b.ref)
	})
	g := grid{minBand: pts[0].band, lat: make([]float64, len(pts)), lng: make([]float64, len(pts)), ref: make([]int32, len(pts)),
		x: make([]float64, len(pts)), y: make([]float64, len(pts)), z: make([]float64, len(pts))}
	bands := pts[len(pts)-1].band - g.minBand + 1
	g.starts = make([]int32, bands+1)
	for i, p := range pts {
		g.lat[i], g.lng[i], g.ref[i] = p.lat, p.lng, p.ref
		g.x[i], g.y[i], g.z[i] = unitVector(p.lat, p.lng)
	}
	next := 0
	for b := range bands + 1 {
		for next < len(pts) && pts[next].band < g.minBand+b {
			next++
		}
		g.starts[b] = int32(next)
	}
	return g
}

// circle is a search's disc as the grid tests it: its bounding box, its centre as a unit
// vector, and the chord of its radius.
type circle struct {
	box      refdata.Box
	x, y, z  float64
	maxChord float64
}

// chordSlack bounds how far a chord computed from unit vectors (and a great-circle distance
// computed by refdata.Distance) may be from the exact value: 1e-11 of the unit sphere is
// 64 micrometres. Chords closer than that to a boundary (the radius, a cursor, the last
// result of a page) are decided on refdata.Distance, so that results are exactly those, in
// exactly the order, that refdata.Distance gives.
const chordSlack = 1e-11

func newCircle(lat, lng float64, radiusKm float64) circle {
	c := circle{box: refdata.BoundingBox(lat, lng, radiusKm), maxChord: chordOf(radiusKm)}
	c.x, c.y, c.z = unitVector(lat, lng)
	return c
}

// chordOf is the chord of the unit sphere under a great-circle distance in kilometres.
func chordOf(km float64) float64 {
	return 2 * math.Sin(min(math.Pi, max(0, km)/refdata.EarthRadiusKm)/2)
}

// visit calls fn with the ref of every point of the disc, and of those a chordSlack beyond,
// with its chord from the centre, which orders the points as their distance does.
func (g *grid) visit(c circle, fn func(ref int32, chord float64)) {
	b := c.box
	if len(g.ref) == 0 || math.IsNaN(b.MinLat) || math.IsNaN(b.MaxLat) {
		return
	}
	limit := (c.maxChord + chordSlack) * (c.maxChord + chordSlack)
	first := max(band(b.MinLat), g.minBand) - g.minBand
	last := min(band(b.MaxLat), g.minBand+len(g.starts)-2) - g.minBand
	for k := first; k <= last; k++ {
		lo, hi := int(g.starts[k]), int(g.starts[k+1])
		i, _ := slices.BinarySearch(g.lng[lo:hi], b.MinLng)
		for i += lo; i < hi && g.lng[i] <= b.MaxLng; i++ {
			dx, dy, dz := g.x[i]-c.x, g.y[i]-c.y, g.z[i]-c.z
			if d2 := dx*dx + dy*dy + dz*dz; d2 <= limit {
				fn(g.ref[i], math.Sqrt(d2))
			}
		}
	}
}

// appendIn appends to dst the refs of the points inside b, edges included (refdata.Box's
// Contains, the SQL's BETWEEN).
func (g *grid) appendIn(dst []int32, b refdata.Box) []int32 {
	if len(g.ref) == 0 || math.IsNaN(b.MinLat) || math.IsNaN(b.MaxLat) {
		return dst
	}
	first := max(band(b.MinLat), g.minBand) - g.minBand
	last := min(band(b.MaxLat), g.minBand+len(g.starts)-2) - g.minBand
	for k := first; k <= last; k++ {
		lo, hi := int(g.starts[k]), int(g.starts[k+1])
		i, _ := slices.BinarySearch(g.lng[lo:hi], b.MinLng)
		for i += lo; i < hi && g.lng[i] <= b.MaxLng; i++ {
			if lat := g.lat[i]; lat >= b.MinLat && lat <= b.MaxLat {
				dst = append(dst, g.ref[i])
			}
		}
	}
	return dst
}
