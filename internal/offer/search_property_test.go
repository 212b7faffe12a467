package offer_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/offer"
	"parcours/internal/offer/offertest"
	"parcours/internal/refdata"
)

// offset moves a point by km along a bearing (degrees), near enough to a great circle for
// drawing test positions: the expectations use the exact distance of wherever it lands.
func offset(lat, lng, bearing, km float64) (float64, float64) {
	b := bearing * math.Pi / 180
	dLat := km * math.Cos(b) / 111.2
	dLng := km * math.Sin(b) / (111.2 * math.Cos(lat*math.Pi/180))
	return lat + dLat, lng + dLng
}

// clearRegistry empties what a property iteration inserted.
func clearRegistry(t *rapid.T, db *database.DB) {
	ctx := context.Background()
	for _, stmt := range []string{
		`DELETE FROM job_descriptions`,
		`DELETE FROM structures WHERE parent_id IS NOT NULL`,
		`DELETE FROM structures`,
		`DELETE FROM conventions`,
		`DELETE FROM memberships`,
		`DELETE FROM users WHERE email LIKE '%@employeurs.example'`,
		`DELETE FROM organisations`,
	} {
		if _, err := db.Writer().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

type world struct {
	ds        offertest.Dataset
	staffed   map[uuid.UUID]bool
	structure map[uuid.UUID]offer.Structure
}

// drawWorld draws structures clustered around a few real communes, with every state that
// matters to search: kinds, conventions valid, in grace or expired, antennas, hidden, closed,
// blocked, staffed or not, job descriptions of several trades, open or not, active or not.
func drawWorld(t *rapid.T, p *refdata.Data, centres []refdata.Commune, today database.Date, now time.Time) world {
	w := world{ds: offertest.Dataset{Now: now}, staffed: map[uuid.UUID]bool{}, structure: map[uuid.UUID]offer.Structure{}}
	n := rapid.IntRange(0, 250).Draw(t, "structures")
	romes := []string{"A1203", "K2204", "N1103", "F1703"}
	for i := range n {
		c := centres[rapid.IntRange(0, len(centres)-1).Draw(t, "centre")]
		st := offer.Structure{ID: uuid.Must(uuid.NewV7()), Kind: rapid.SampledFrom(offer.Kinds()).Draw(t, "kind"),
			Name: fmt.Sprintf("Structure %d", i), SIRET: siret(fmt.Sprintf("7%012d", i)), CommuneCode: c.Code, Departement: c.Departement,
			HasPosition: true, Searchable: rapid.IntRange(0, 9).Draw(t, "searchable") > 0, BlockApplications: rapid.IntRange(0, 5).Draw(t, "blocked") == 0,
			CreatedAt: now, UpdatedAt: now}
		switch rapid.IntRange(0, 3).Draw(t, "where") {
		case 0: // exactly at the commune's centre, as most structures are
			st.Lat, st.Lng = c.Lat, c.Lng
		default:
			st.Lat, st.Lng = offset(c.Lat, c.Lng, rapid.Float64Range(0, 360).Draw(t, "bearing"), rapid.Float64Range(0, 120).Draw(t, "km"))
			st.PositionPrecise = true
		}
		if rapid.IntRange(0, 30).Draw(t, "closed") == 0 {
			st.OrgDeactivatedAt = now
		}
		if offer.IsSIAE(st.Kind) {
			parents := []offer.Structure{}
			for _, o := range w.ds.Structures {
				if o.Kind == st.Kind && !o.IsAntenna() {
					parents = append(parents, o)
				}
			}
			if len(parents) > 0 && rapid.IntRange(0, 5).Draw(t, "antenna") == 0 {
				parent := rapid.SampledFrom(parents).Draw(t, "parent")
				st.ParentID, st.Convention = parent.ID, parent.Convention
			} else if age := rapid.IntRange(-400, 400).Draw(t, "convention"); age > -380 {
				// Ends between 380 days ago and 400 days ahead: around the 30-day boundary too.
				ends := today.AddDays(age)
				st.Convention = offer.Convention{ID: uuid.Must(uuid.NewV7()), Number: fmt.Sprintf("C%d", i), StartsOn: ends.AddDays(-365), EndsOn: ends}
				w.ds.Conventions = append(w.ds.Conventions, st.Convention)
			}
		}
		w.ds.Structures = append(w.ds.Structures, st)
		w.structure[st.ID] = st
		switch rapid.IntRange(0, 3).Draw(t, "members") {
		case 1, 2:
			u := offertest.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("m%d@employeurs.example", i), FirstName: "A", LastName: "B"}
			w.ds.Users = append(w.ds.Users, u)
			w.ds.Memberships = append(w.ds.Memberships, offertest.Membership{OrgID: st.ID, UserID: u.ID, Admin: true, Active: true})
			w.staffed[st.ID] = true
		case 3: // a former member only
			u := offertest.User{ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("m%d@employeurs.example", i), FirstName: "A", LastName: "B"}
			w.ds.Users = append(w.ds.Users, u)
			w.ds.Memberships = append(w.ds.Memberships, offertest.Membership{OrgID: st.ID, UserID: u.ID})
		}
		for k := range rapid.IntRange(0, 3).Draw(t, "jobs") {
			apps := p.AppellationsOfRome(rapid.SampledFrom(romes).Draw(t, "rome"))
			a := apps[rapid.IntRange(0, min(3, len(apps)-1)).Draw(t, "appellation")]
			jd := offer.JobDescription{ID: uuid.Must(uuid.NewV7()), StructureID: st.ID, AppellationCode: a.Code, RomeCode: a.Rome,
				ContractType: rapid.SampledFrom(offer.ContractTypesFor(st.Kind)).Draw(t, "contract"), CommuneCode: c.Code,
				Departement: c.Departement, HasPosition: true, HoursPerWeek: 30, OpenPositions: rapid.IntRange(0, 2).Draw(t, "open"),
				Active: rapid.IntRange(0, 4).Draw(t, "active") > 0, Rank: k + 1, CreatedAt: now, UpdatedAt: now}
			jd.Lat, jd.Lng = offset(c.Lat, c.Lng, rapid.Float64Range(0, 360).Draw(t, "jbearing"), rapid.Float64Range(0, 40).Draw(t, "jkm"))
			if !jd.Active {
				jd.DeactivatedAt, jd.DeactivationReason = now, "employer"
			}
			w.ds.JobDescriptions = append(w.ds.JobDescriptions, jd)
		}
	}
	return w
}

// listedAndActive is the brute-force rule, written again independently of the package.
func (w world) listedAndActive(st offer.Structure, today database.Date) bool {
	if !st.Searchable || !st.OrgDeactivatedAt.IsZero() {
		return false
	}
	if st.Kind == offer.KindGEIQ {
		return true
	}
	ends := st.Convention.EndsOn
	return !ends.IsZero() && !today.After(ends.AddDays(30))
}

func matches(jd offer.JobDescription, q offer.Query) bool {
	return jd.Active && (q.Rome == "" || strings.HasPrefix(jd.RomeCode, q.Rome)) &&
		(q.AppellationCode == "" || jd.AppellationCode == q.AppellationCode) && (q.ContractType == "" || jd.ContractType == q.ContractType)
}

// cardMatches is matches for the card of an active job description.
func cardMatches(jd offer.JobCard, q offer.Query) bool {
	return matches(offer.JobDescription{Active: true, RomeCode: jd.RomeCode, AppellationCode: jd.AppellationCode, ContractType: jd.ContractType}, q)
}

type expected struct {
	id       uuid.UUID
	group    int
	distance float64
}

func sortExpected(list []expected) {
	slices.SortFunc(list, func(a, b expected) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		if c := cmp.Compare(a.distance, b.distance); c != 0 {
			return c
		}
		return strings.Compare(string(a.id[:]), string(b.id[:]))
	})
}

func (w world) expectStructures(q offer.Query, centre refdata.Commune, today database.Date) []expected {
	var out []expected
	jobFilter := q.Rome != "" || q.AppellationCode != "" || q.ContractType != ""
	for _, st := range w.ds.Structures {
		d := refdata.Distance(centre.Lat, centre.Lng, st.Lat, st.Lng)
		if d > float64(q.RadiusKm) || !w.listedAndActive(st, today) || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, st.Kind)) ||
			(q.Departement != "" && st.Departement != q.Departement) {
			continue
		}
		matching, open := false, false
		for _, jd := range w.ds.JobDescriptions {
			if jd.StructureID == st.ID && matches(jd, q) {
				matching = true
				open = open || (jd.OpenPositions > 0 && !st.BlockApplications)
			}
		}
		if (jobFilter && !matching) || (q.RecruitingNow && !open) {
			continue
		}
		g := 1
		if open && w.staffed[st.ID] {
			g = 0
		}
		out = append(out, expected{st.ID, g, d})
	}
	sortExpected(out)
	return out
}

func (w world) expectJobs(q offer.Query, centre refdata.Commune, today database.Date) []expected {
	var out []expected
	for _, jd := range w.ds.JobDescriptions {
		st := w.structure[jd.StructureID]
		d := refdata.Distance(centre.Lat, centre.Lng, jd.Lat, jd.Lng)
		if d > float64(q.RadiusKm) || !matches(jd, q) || !w.listedAndActive(st, today) || (len(q.Kinds) > 0 && !slices.Contains(q.Kinds, st.Kind)) ||
			(q.Departement != "" && jd.Departement != q.Departement) {
			continue
		}
		open := jd.OpenPositions > 0 && !st.BlockApplications
		if q.RecruitingNow && !open {
			continue
		}
		g := 1
		if open && w.staffed[st.ID] {
			g = 0
		}
		out = append(out, expected{jd.ID, g, d})
	}
	sortExpected(out)
	return out
}

func drawQuery(t *rapid.T, p *refdata.Data, centres []refdata.Commune) (offer.Query, refdata.Commune) {
	c := centres[rapid.IntRange(0, len(centres)-1).Draw(t, "qcentre")]
	q := offer.Query{CommuneCode: c.Code, RadiusKm: rapid.SampledFrom(offer.Radii()).Draw(t, "radius"), Limit: rapid.IntRange(1, 40).Draw(t, "limit")}
	if rapid.Bool().Draw(t, "filter kinds") {
		q.Kinds = rapid.SliceOfNDistinct(rapid.SampledFrom(offer.Kinds()), 1, 3, rapid.ID[string]).Draw(t, "kinds")
	}
	if rapid.IntRange(0, 4).Draw(t, "filter dep") == 0 {
		q.Departement = c.Departement
	}
	switch rapid.IntRange(0, 5).Draw(t, "job filter") {
	case 1:
		q.Rome = rapid.SampledFrom([]string{"A", "K", "K22", "N1103"}).Draw(t, "rome")
	case 2:
		q.AppellationCode = p.AppellationsOfRome("K2204")[0].Code
	case 3:
		q.ContractType = rapid.SampledFrom([]offer.ContractType{offer.ContractCDDI, offer.ContractPro, offer.ContractOther}).Draw(t, "contract")
	}
	q.RecruitingNow = rapid.IntRange(0, 3).Draw(t, "recruiting") == 0
	return q, c
}

// All pages of a search, following the cursors.
func allPages[T any](t *rapid.T, search func(offer.Query) (offer.Page[T], error), q offer.Query) []T {
	var out []T
	for pages := 0; ; pages++ {
		p, err := search(q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if len(p.Items) > q.Limit || pages > 1000 {
			t.Fatalf("page of %d items, limit %d", len(p.Items), q.Limit)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			if len(out) != p.Total {
				t.Fatalf("%d items over the pages, Total %d", len(out), p.Total)
			}
			return out
		}
		q.Cursor = p.Next
	}
}

// The property of the issue: no structure (or job description) outside the radius is returned,
// every active one inside is, in the order of the groups then distance, checked against a
// brute-force scan of everything that was inserted.
func TestSearchAgreesWithBruteForce(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		p := places(t)
		var all []refdata.Commune
		for c := range p.Communes() {
			if c.HasCoords {
				all = append(all, c)
			}
		}
		rapid.Check(t, func(rt *rapid.T) {
			clearRegistry(rt, db)
			now := start
			today := database.ParisDate(now)
			centres := rapid.SliceOfN(rapid.SampledFrom(all), 1, 4).Draw(rt, "centres")
			w := drawWorld(rt, p, centres, today, now)
			if err := offertest.Insert(ctx, db, w.ds); err != nil {
				rt.Fatal(err)
			}
			svc := offer.NewService(db, fixedClock(now), p, "https://parcours.test")
			for range 4 {
				q, c := drawQuery(rt, p, centres)
				want := w.expectStructures(q, c, today)
				got := allPages(rt, func(q offer.Query) (offer.Page[offer.StructureResult], error) { return svc.Search(ctx, q) }, q)
				if len(got) != len(want) {
					rt.Fatalf("%+v: %d structures, brute force %d", q, len(got), len(want))
				}
				for i, r := range got {
					e := want[i]
					if r.Structure.ID != e.id || r.Priority != (e.group == 0) || r.DistanceKm != math.Round(e.distance*10)/10 {
						rt.Fatalf("%+v: result %d is %s (priority %v, %.1f km), want %s (group %d, %.3f km)", q, i, r.Structure.ID,
							r.Priority, r.DistanceKm, e.id, e.group, e.distance)
					}
					for _, jd := range r.JobDescriptions {
						if jd.StructureID != r.Structure.ID || !cardMatches(jd, q) {
							rt.Fatalf("job description %+v shown for %+v", jd, q)
						}
					}
				}
				wantJobs := w.expectJobs(q, c, today)
				gotJobs := allPages(rt, func(q offer.Query) (offer.Page[offer.JobResult], error) { return svc.SearchJobs(ctx, q) }, q)
				if len(gotJobs) != len(wantJobs) {
					rt.Fatalf("%+v: %d jobs, brute force %d", q, len(gotJobs), len(wantJobs))
				}
				for i, r := range gotJobs {
					if e := wantJobs[i]; r.JobDescription.ID != e.id || r.Priority != (e.group == 0) || r.Structure.ID != r.JobDescription.StructureID {
						rt.Fatalf("%+v: job %d is %s, want %s", q, i, r.JobDescription.ID, e.id)
					}
				}
			}
		})
	})
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
