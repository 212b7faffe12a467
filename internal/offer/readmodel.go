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

// The searches of employers and job descriptions read a read model: every structure row with
// what its card shows and what the ranking decides on, and every active job description, in
// memory, with a spatial index of the listed ones. It is built from one snapshot of the
// database, never changed afterwards, and replaced whole (readState.model) when the database's
// generation — offer_state.generation, bumped by triggers in every transaction that changes
// structures, job descriptions, conventions or a structure's organisation (migration 00080) —
// is no longer the one it was built from.
//
// What depends on the day (a convention's end plus its 30 days of grace) is kept as the date
// and decided at query time with the service's today, as the SQL did: a convention ending
// changes the results without any write and without a rebuild.
//
// The ranking reads the same columns the SQL ranking read: the search copies of structures
// (kind, département, listed, convention end, open positions) and of job descriptions (their
// structure's kind, listing, convention end, active members and blocking); the results show
// the structure as structureSelect reads it.

// readModel is one immutable snapshot of the listed registry. Only checked changes.
type readModel struct {
	// generation is offer_state.generation in the snapshot the model was read from.
	generation int64
	structures []modelStructure
	// jds holds every active job description, by structure then rank (created_at, id): each
	// modelStructure.jds is a window of it.
	jds []JobDescription
	// jobs are the active job descriptions whose structure is listed (copy), for SearchJobs.
	jobs []modelJob
	// structureGrid indexes the listed structures with a position (refs into structures),
	// jobGrid the jobs with a place of work (refs into jobs).
	structureGrid grid
	jobGrid       grid
	// checked is when the generation was last found equal to the database's, and the local
	// write epoch at that moment.
	checked atomic.Pointer[readCheck]
}

// modelStructure is a structures row.
type modelStructure struct {
	// Structure is what a result shows, as structureSelect reads it.
	Structure Structure
	// The search copies the ranking reads (structures_position's columns).
	kind        string
	departement string
	listed      bool // searchable AND NOT org_deactivated
	hiring      bool
	// active is StructureActive(kind, convention_ends_on, ·), decided once.
	active activity
	// jds are the structure's active job descriptions by rank (nil when none). Shared by every
	// result that shows them: callers must not modify them.
	jds []JobDescription
}

// modelJob is an active job description of a listed structure, with its copies of the
// structure's fields that job search ranks on.
type modelJob struct {
	jd        *JobDescription
	structure int32 // index in readModel.structures
	kind      string
	active    activity // StructureActive of the copies structure_kind, structure_ends_on
	staffed   bool
	blocked   bool
}

// activity is the activity rule (StructureActive) of a kind and a convention end, with the
// day left open: the date arithmetic is done once, when the model is built, and a search
// compares day numbers. TestActivityAgreesWithTheRule checks it against StructureActive.
type activity struct {
	always bool
	// through is the last active day (dayNumber), when not always; -1 for never.
	through int
}

func activityOf(kind string, endsOn database.Date) activity {
	switch {
	case kind == KindGEIQ:
		return activity{always: true}
	case IsSIAE(kind) && !endsOn.IsZero():
		return activity{through: dayNumber(endsOn.AddDays(ConventionGraceDays))}
	}
	return activity{through: -1}
}

// on tells whether the structure is active on the day today (dayNumber).
func (a activity) on(today int) bool { return a.always || today <= a.through }

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
		if err := s.readStructures(ctx, tx, m); err != nil {
			return err
		}
		return s.readJobs(ctx, tx, m)
	})
	if err != nil {
		return nil, err
	}
	m.index()
	return m, nil
}

func (s *Service) readStructures(ctx context.Context, tx *sql.Tx, m *readModel) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+structureColumns+`, s.kind, s.departement, s.searchable AND NOT s.org_deactivated,
		s.convention_ends_on, s.hiring`+structureFrom+` WHERE s.org_id IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("lecture du registre : %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e modelStructure
		var endsOn database.Date
		st, _, err := scanStructure(rows, &e.kind, &e.departement, &e.listed, &endsOn, &e.hiring)
		if err != nil {
			return fmt.Errorf("lecture du registre : %w", err)
		}
		e.Structure = st
		e.active = activityOf(e.kind, endsOn)
		m.structures = append(m.structures, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lecture du registre : %w", err)
	}
	return nil
}

func (s *Service) readJobs(ctx context.Context, tx *sql.Tx, m *readModel) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+jdColumns+`, j.structure_kind, j.structure_listed, j.structure_ends_on,
		j.structure_staffed, j.structure_blocked FROM job_descriptions j WHERE j.active
		ORDER BY j.structure_id, j.rank, j.created_at, j.id`)
	if err != nil {
		return fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	defer rows.Close()
	type copies struct {
		kind             string
		listed           bool
		endsOn           database.Date
		staffed, blocked bool
	}
	var all []copies
	for rows.Next() {
		var c copies
		j, err := s.scanJD(rows, &c.kind, &c.listed, &c.endsOn, &c.staffed, &c.blocked)
		if err != nil {
			return fmt.Errorf("lecture des fiches de poste : %w", err)
		}
		m.jds = append(m.jds, j)
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lecture des fiches de poste : %w", err)
	}
	m.jds = slices.Clip(m.jds)
	byID := make(map[uuid.UUID]int32, len(m.structures))
	for i := range m.structures {
		byID[m.structures[i].Structure.ID] = int32(i)
	}
	for from := 0; from < len(m.jds); {
		id := m.jds[from].StructureID
		to := from + 1
		for to < len(m.jds) && m.jds[to].StructureID == id {
			to++
		}
		i, ok := byID[id]
		if !ok { // job_descriptions.structure_id references structures: never
			from = to
			continue
		}
		m.structures[i].jds = m.jds[from:to:to]
		for k := from; k < to; k++ {
			c := all[k]
			if !c.listed {
				continue
			}
			m.jobs = append(m.jobs, modelJob{jd: &m.jds[k], structure: i, kind: c.kind, active: activityOf(c.kind, c.endsOn),
				staffed: c.staffed, blocked: c.blocked})
		}
		from = to
	}
	return nil
}

// index builds the spatial indexes.
func (m *readModel) index() {
	m.structureGrid = newGrid(len(m.structures), func(i int) (float64, float64, bool) {
		e := &m.structures[i]
		return e.Structure.Lat, e.Structure.Lng, e.listed && e.Structure.HasPosition
	})
	m.jobGrid = newGrid(len(m.jobs), func(i int) (float64, float64, bool) {
		j := m.jobs[i].jd
		return j.Lat, j.Lng, j.HasPosition
	})
}

// grid finds the points inside a bounding box: the points sorted by band of latitude
// (gridBandsPerDegree a degree) then by longitude, so that a box is a few binary searches in
// the bands it spans. A 25 km box spans 5 or 6 bands.
type grid struct {
	minBand int
	// starts[b] is the first point of band minBand+b; starts has one more entry than bands.
	starts []int32
	lat    []float64
	lng    []float64
	ref    []int32
}

const gridBandsPerDegree = 10

func band(lat float64) int { return int(math.Floor(lat * gridBandsPerDegree)) }

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
	g := grid{minBand: pts[0].band, lat: make([]float64, len(pts)), lng: make([]float64, len(pts)), ref: make([]int32, len(pts))}
	bands := pts[len(pts)-1].band - g.minBand + 1
	g.starts = make([]int32, bands+1)
	for i, p := range pts {
		g.lat[i], g.lng[i], g.ref[i] = p.lat, p.lng, p.ref
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
