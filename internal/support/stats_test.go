package support_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/export"
	"parcours/internal/fault"
	"parcours/internal/org"
	"parcours/internal/refdata"
	"parcours/internal/support"
)

// stateActor is a member of a new State service of this kind in commune.
func (f *fixture) stateActor(t *testing.T, kind, commune string) access.Actor {
	t.Helper()
	ctx := context.Background()
	o, err := f.orgs.Create(ctx, f.staff, org.NewOrganisation{Kind: kind, Name: kind + " " + commune, SIRET: f.siret(), CommuneCode: commune})
	if err != nil {
		t.Fatalf("org %s: %v", kind, err)
	}
	return f.member(t, strings.ToLower(kind)+commune+"@exemple.fr", o.ID, false)
}

// openMany opens n records as the Cap emploi advisor, each for a new person.
func (f *fixture) openMany(t *testing.T, n int) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	for range n {
		p, _ := f.newPerson(t, f.capAdvisor, fmt.Sprintf("s%d@exemple.fr", f.seq+1))
		f.open(t, p, "STAT")
		out = append(out, p)
	}
	return out
}

// The extract: one row per record, a keyed hash stable from one extract to the next, no name,
// no NIR, no birth date; for the referent organisation's habilitated advisors and the State
// services of its territory, each read in the trail with the purpose "statistics".
func TestStatisticsExtract(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		f.openMany(t, 2)
		if err := f.svc.Close(ctx, f.capAdvisor, f.person, "employment", f.today()); err != nil {
			t.Fatal(err)
		}
		rows, err := f.svc.Extract(ctx, f.capAdvisor)
		if err != nil || len(rows) != 3 {
			t.Fatalf("extract: %d rows, %v", len(rows), err)
		}
		again, _ := f.svc.Extract(ctx, f.capAdvisor)
		want := f.env.Pseudonym("support.statistics", f.person.String())
		found := false
		for i, r := range rows {
			if r.Person != again[i].Person || len(r.Person) != 32 {
				t.Fatalf("hash not stable: %q %q", r.Person, again[i].Person)
			}
			if r.Person == want {
				found = true
				if r.ClosingReason != "employment" || r.Ended == "" || r.Category != "rqth" || r.AgeBand != "26_49" || r.Departement != "69" {
					t.Fatalf("row %+v", r)
				}
			}
			if r.Person == f.journal.SubjectRef(f.person) {
				t.Fatal("the extract's hash is the audit trail's pseudonym")
			}
		}
		if !found {
			t.Fatal("the person's row is not under their keyed hash")
		}
		var csv bytes.Buffer
		if err := export.CSV(&csv, support.ExtractTable(rows)); err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"Alice", "Personne1", "2800169", "1980-01", f.person.String(), "CANARI"} {
			if strings.Contains(csv.String(), leak) {
				t.Fatalf("the extract holds %q:\n%s", leak, csv.String())
			}
		}
		var purpose string
		if err := db.Reader().QueryRowContext(ctx, `SELECT purpose FROM audit_events WHERE action = 'read.support.statistics_extract' LIMIT 1`).Scan(&purpose); err != nil || purpose != string(access.PurposeSupportStatistics) {
			t.Fatalf("extract not audited with its purpose: %q %v", purpose, err)
		}
		// Scopes: the referent organisation, the DDETS of 69, the DREETS of its region, the DGEFP.
		// The regions of the départements come from the reference data, imported at start.
		places, err := loadPlaces()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := refdata.EnsureImported(ctx, db, places, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			actor access.Actor
			rows  int
		}{
			"the joint FT agency (not referent)": {f.ftAdvisor, 0},
			"DDETS 69":                           {f.stateActor(t, "DDETS_IAE", "69123"), 3},
			"DDETS 13":                           {f.stateActor(t, "DDETS_IAE", "13055"), 0},
			"DREETS Auvergne-Rhône-Alpes":        {f.stateActor(t, "DREETS_IAE", "38185"), 3},
			"DREETS PACA":                        {f.stateActor(t, "DREETS_IAE", "13055"), 0},
			"DGEFP":                              {f.stateActor(t, "DGEFP_IAE", "75056"), 3},
		} {
			rows, err := f.svc.Extract(ctx, c.actor)
			if err != nil || len(rows) != c.rows {
				t.Errorf("%s: %d rows, %v", name, len(rows), err)
			}
		}
		// Nobody in the scope: every table is empty, its totals hidden.
		empty, err := f.svc.Indicators(ctx, f.ftAdvisor)
		if err != nil || len(empty.Tables) != len(support.Indicators) {
			t.Fatalf("empty indicators: %+v %v", empty, err)
		}
		for _, tb := range empty.Tables {
			lines := tb.Lines()
			if len(lines) != 1 || len(lines[0].Cells) != len(tb.ColNames) || !lines[0].Total.Hidden {
				t.Fatalf("empty table %+v", lines)
			}
		}
		noMFA := f.stateActor(t, "DDETS_IAE", "69381")
		noMFA.MFA = false
		if _, err := f.svc.Extract(ctx, noMFA); !errors.Is(err, fault.Forbidden) {
			t.Errorf("an extract without second factor: %v", err)
		}
		if _, err := f.svc.Indicators(ctx, noMFA); err != nil {
			t.Errorf("indicators of a State service without second factor: %v", err)
		}
		for name, a := range map[string]access.Actor{"without habilitation": f.ftPlain, "staff": f.staff, "the person": f.personActor} {
			if _, err := f.svc.Extract(ctx, a); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s extracts: %v", name, err)
			}
			if _, err := f.svc.Indicators(ctx, a); !errors.Is(err, fault.Forbidden) {
				t.Errorf("%s reads the indicators: %v", name, err)
			}
		}
		// A record whose processing the person restricted is left out.
		if err := f.svc.Ask(ctx, f.personActor, "restriction", "Je conteste ces données."); err != nil {
			t.Fatal(err)
		}
		if rows, _ := f.svc.Extract(ctx, f.capAdvisor); len(rows) != 2 {
			t.Fatalf("restricted record extracted: %d rows", len(rows))
		}
	})
}

// The indicators show a cell of 11 people or more and hide smaller ones.
func TestStatisticsIndicatorsSuppressSmallCells(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.openMany(t, 3)
		cell := func(st support.Statistics) (shown bool, n int) {
			for _, tb := range st.Tables {
				if tb.Code != "organisation_categorie" {
					continue
				}
				for i, name := range tb.RowNames {
					if name == f.capOrg.Name {
						return tb.Grid.Shown(i, 0), tb.Grid.Cells[i][0]
					}
				}
			}
			t.Fatalf("no row for %s in %+v", f.capOrg.Name, st)
			return false, 0
		}
		st, err := f.svc.Indicators(ctx, f.capAdvisor)
		if err != nil {
			t.Fatal(err)
		}
		if shown, n := cell(st); shown || n != 3 {
			t.Fatalf("3 people shown: %v %d", shown, n)
		}
		f.openMany(t, 9)
		st, err = f.svc.Indicators(ctx, f.capAdvisor)
		if err != nil {
			t.Fatal(err)
		}
		if shown, n := cell(st); !shown || n != 12 {
			t.Fatalf("12 people hidden: %v %d", shown, n)
		}
		if f.count(t, "read.support.statistics") != 2 {
			t.Fatal("indicators not audited")
		}
	})
}
