package application_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
)

// An employer walking the received list page by page, with or without a job description, a
// state or a date filter, sees exactly the applications that match, newest first, each once,
// including applications created at the same instant (the id breaks the tie) and those naming
// two job descriptions.
func TestReceivedListPagesWithFilters(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		st, employer, first := f.Structure(t, offer.KindACI, "employeur@aci.fr")
		second, err := f.Offer.CreateJobDescription(ctx, employer, st.ID, offer.JobDescriptionInput{
			AppellationCode: f.Places.AppellationsOfRome("A1203")[1].Code, ContractType: offer.ContractTypesFor(offer.KindACI)[0],
			HoursPerWeek: 30, OpenPositions: 1, Description: "Maraîchage"})
		if err != nil {
			t.Fatal(err)
		}
		type app struct {
			id    uuid.UUID
			at    time.Time
			state application.State
			jobs  []uuid.UUID
		}
		r := rand.New(rand.NewPCG(8, 12))
		now := f.Clock.Now().Truncate(time.Second)
		var apps []app
		err = db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := f.Env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			for i := range 60 {
				p := jobseeker.JobSeeker{ID: uuid.Must(uuid.NewV7()), CreatedAt: now, UpdatedAt: now, Profile: jobseeker.Profile{
					Identity: jobseeker.Identity{Civility: jobseeker.Monsieur, BirthName: "Martin", FirstNames: fmt.Sprint("Paul", i),
						BirthDate: database.Date{Year: 1985, Month: 3, Day: 1}, BornInFrance: true, BirthCommune: "69123"},
					NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}}
				row, err := jobseeker.LoadRow(b, p, employer.UserID)
				if err != nil {
					return err
				}
				if err := insertRow(ctx, tx, "job_seekers", jobseeker.LoadColumns, row); err != nil {
					return err
				}
				// Three applications in four share their instant with another one.
				a := app{id: uuid.Must(uuid.NewV7()), at: now.Add(-time.Duration(i/4*3+r.IntN(2)) * time.Hour),
					state: []application.State{application.New, application.Processing, application.Refused}[r.IntN(3)]}
				switch r.IntN(4) {
				case 0:
					a.jobs = []uuid.UUID{first.ID}
				case 1:
					a.jobs = []uuid.UUID{second.ID}
				case 2:
					a.jobs = []uuid.UUID{first.ID, second.ID}
				}
				apps = append(apps, a)
				loaded := application.Application{ID: a.id, JobSeekerID: p.ID, ToOrg: st.ID,
					SenderKind: application.SentByEmployer, SenderOrg: st.ID, SenderUser: employer.UserID, State: a.state,
					CreatedAt: a.at, UpdatedAt: a.at}
				if a.state == application.Refused {
					loaded.ProcessedAt, loaded.RefusalReason = a.at, application.ReasonNoPosition
				}
				row, err = application.LoadRow(b, loaded)
				if err != nil {
					return err
				}
				if err := insertRow(ctx, tx, "applications", application.LoadColumns, row); err != nil {
					return err
				}
				for _, j := range a.jobs {
					if err := insertRow(ctx, tx, "application_jobs", []string{"application_id", "job_description_id", "created_at"},
						[]any{a.id, j, a.at}); err != nil {
						return err
					}
				}
			}
			return b.Insert(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(apps, func(x, y app) int {
			if c := y.at.Compare(x.at); c != 0 {
				return c
			}
			return -slices.Compare(x.id[:], y.id[:])
		})
		since := database.DateOf(now.Add(-48 * time.Hour))
		for name, c := range map[string]struct {
			filter application.Filter
			keep   func(app) bool
		}{
			"all":       {application.Filter{}, func(app) bool { return true }},
			"first job": {application.Filter{JobDescription: first.ID}, func(a app) bool { return slices.Contains(a.jobs, first.ID) }},
			"second job, refused": {application.Filter{JobDescription: second.ID, States: []application.State{application.Refused}},
				func(a app) bool { return slices.Contains(a.jobs, second.ID) && a.state == application.Refused }},
			"first job, since": {application.Filter{JobDescription: first.ID, Since: since},
				func(a app) bool { return slices.Contains(a.jobs, first.ID) && !a.at.Before(since.Time()) }},
		} {
			var want, got []uuid.UUID
			for _, a := range apps {
				if c.keep(a) {
					want = append(want, a.id)
				}
			}
			filter := c.filter
			filter.Limit = 7
			for pages := 1; ; pages++ {
				rows, next, err := f.svc.Received(ctx, employer, filter)
				if err != nil {
					t.Fatalf("%s, page %d: %v", name, pages, err)
				}
				for _, row := range rows {
					got = append(got, row.ID)
				}
				if next == "" || pages > 20 {
					break
				}
				filter.Cursor = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d applications listed, want %d", name, len(got), len(want))
			}
		}
	})
}
