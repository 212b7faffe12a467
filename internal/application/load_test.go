package application_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/application"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/jobseeker"
	"parcours/internal/offer"
)

func insertRow(ctx context.Context, tx *sql.Tx, table string, cols []string, row []any) error {
	marks := make([]string, len(row))
	for i := range marks {
		marks[i] = fmt.Sprint("$", i+1)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, row...)
	return err
}

// An application loaded in bulk (LoadRow, bench/seed) with its person reads like one sent and
// refused through the service: the structure opens its message and answer, and lists it.
func TestLoadRowReadsLikeSend(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		st, employer, jd := f.Structure(t, offer.KindACI, "employeur@aci.fr")
		now := f.Clock.Now()
		person := jobseeker.JobSeeker{ID: uuid.Must(uuid.NewV7()), CreatedAt: now, UpdatedAt: now, Profile: jobseeker.Profile{
			Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: "Diallo", FirstNames: "Fatou",
				BirthDate: database.Date{Year: 1990, Month: 5, Day: 1}, BornInFrance: true, BirthCommune: "69123"},
			NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266"}}
		a := application.Application{ID: uuid.Must(uuid.NewV7()), JobSeekerID: person.ID, ToOrg: st.ID, SenderKind: application.SentByEmployer,
			SenderOrg: st.ID, SenderUser: employer.UserID, State: application.Refused, Message: "Motivée", RefusalReason: application.ReasonNoPosition,
			Answer: "Pas de poste pour le moment", CreatedAt: now, UpdatedAt: now, ProcessedAt: now}
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := f.Env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			row, err := jobseeker.LoadRow(b, person, employer.UserID)
			if err != nil {
				return err
			}
			if err := insertRow(ctx, tx, "job_seekers", jobseeker.LoadColumns, row); err != nil {
				return err
			}
			if row, err = application.LoadRow(b, a); err != nil {
				return err
			}
			if len(row) != len(application.LoadColumns) {
				t.Fatalf("%d values for %d columns", len(row), len(application.LoadColumns))
			}
			if err := insertRow(ctx, tx, "applications", application.LoadColumns, row); err != nil {
				return err
			}
			if err := insertRow(ctx, tx, "application_jobs", []string{"application_id", "job_description_id", "created_at"}, []any{a.ID, jd.ID, a.CreatedAt}); err != nil {
				return err
			}
			if n := len(b.Keys()); n != 1 {
				t.Fatalf("%d keys for one person", n)
			}
			return b.Insert(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Get(ctx, employer, a.ID, access.PurposeIAERecruitment)
		if err != nil {
			t.Fatal(err)
		}
		if got.Message != a.Message || got.Answer != a.Answer || got.State != application.Refused || len(got.JobDescriptions) != 1 {
			t.Fatalf("loaded application reads %+v", got.Application)
		}
		rows, _, err := f.svc.Received(ctx, employer, application.Filter{States: []application.State{application.Refused}})
		if err != nil || len(rows) != 1 || rows[0].ID != a.ID || rows[0].PersonName != "Fatou Diallo" {
			t.Fatalf("received list: %+v, %v", rows, err)
		}
		// The job description filter.
		for _, c := range []struct {
			job  uuid.UUID
			want int
		}{{jd.ID, 1}, {uuid.Must(uuid.NewV7()), 0}} {
			rows, _, err := f.svc.Received(ctx, employer, application.Filter{JobDescription: c.job, States: []application.State{application.Refused}})
			if err != nil || len(rows) != c.want {
				t.Fatalf("filtered on job %v: %d rows, %v; want %d", c.job, len(rows), err, c.want)
			}
		}
	})
}

// The jobs walk a table of more than one batch (1,000 per transaction, 100 on SQLite) to the end: every due
// application is refused or archived once, each refusal recorded, each person told once per
// batch that refused their applications; others are left alone.
func TestJobsGoThroughSeveralBatches(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		st, employer, _ := f.Structure(t, offer.KindACI, "employeur@aci.fr")
		now := f.Clock.Now()
		old := now.AddDate(0, 0, -200)
		const people, each = 700, 3 // 2,100 applications, all due, but a recent one each
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			b, err := f.Env.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			for i := range people {
				p := jobseeker.JobSeeker{ID: uuid.Must(uuid.NewV7()), CreatedAt: old, UpdatedAt: old, Profile: jobseeker.Profile{
					Identity: jobseeker.Identity{Civility: jobseeker.Madame, BirthName: "Diallo", FirstNames: "Fatou",
						BirthDate: database.Date{Year: 1990, Month: 5, Day: 1}, BornInFrance: true, BirthCommune: "69123"},
					NoNIRReason: jobseeker.NoNIR, NoFTIDReason: jobseeker.FTNotRegistered, CommuneCode: "69266", Email: fmt.Sprintf("p%d@exemple.fr", i)}}
				row, err := jobseeker.LoadRow(b, p, employer.UserID)
				if err != nil {
					return err
				}
				if err := insertRow(ctx, tx, "job_seekers", jobseeker.LoadColumns, row); err != nil {
					return err
				}
				for k := range each + 1 {
					at, state := old.Add(time.Duration(i*10+k)*time.Second), application.New
					if k == 1 {
						state = application.Processing
					}
					if k == each {
						at = now.AddDate(0, 0, -10) // recent: neither refused nor archived
					}
					a := application.Application{ID: uuid.Must(uuid.NewV7()), JobSeekerID: p.ID, ToOrg: st.ID, SenderKind: application.SentByEmployer,
						SenderOrg: st.ID, SenderUser: employer.UserID, State: state, CreatedAt: at, UpdatedAt: at}
					if row, err = application.LoadRow(b, a); err != nil {
						return err
					}
					if err := insertRow(ctx, tx, "applications", application.LoadColumns, row); err != nil {
						return err
					}
				}
			}
			return b.Insert(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.RefuseUntouched(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res["refused"] != people*each || res["mails"] < people {
			t.Fatalf("refusal: %v, want %d refused and at least %d mails", res, people*each, people)
		}
		count := func(query string) int {
			var n int
			if err := db.Reader().QueryRowContext(ctx, query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM applications WHERE state = 'refused' AND refusal_reason = 'auto'`); n != people*each {
			t.Fatalf("%d refused rows", n)
		}
		if n := count(`SELECT COUNT(*) FROM application_transitions WHERE transition = 'refuse' AND user_id IS NULL`); n != people*each {
			t.Fatalf("%d refusals recorded", n)
		}
		if n := count(`SELECT COUNT(*) FROM outbox`); n != res["mails"] {
			t.Fatalf("%d mails in the outbox, %d reported", n, res["mails"])
		}
		again, err := f.svc.RefuseUntouched(ctx)
		if err != nil || again["refused"] != 0 {
			t.Fatalf("second run: %v, %v", again, err)
		}
		// The refusals just happened: 180 days later they are archived, the recent ones too.
		f.Clock.Set(now.AddDate(0, 0, 200))
		arch, err := f.svc.ArchiveUntouched(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if arch["archived"] != people*(each+1) {
			t.Fatalf("archived %v, want %d", arch, people*(each+1))
		}
		if n := count(`SELECT COUNT(*) FROM applications WHERE archived_at IS NULL`); n != 0 {
			t.Fatalf("%d left unarchived", n)
		}
		if again, err := f.svc.ArchiveUntouched(ctx); err != nil || again["archived"] != 0 {
			t.Fatalf("second archiving: %v, %v", again, err)
		}
	})
}
