package support_test

import (
	"context"
	"testing"
	"time"

	"parcours/internal/database"
	"parcours/internal/database/databasetest"
)

// The extract tells, per record, whether the plan is up to date, late or absent, which funders'
// aids were granted or paid and which types were granted; the indicators count them, and with
// twelve people in one cell the count is shown.
func TestStatisticsPlansAndAids(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		people := f.openMany(t, 13)
		colleague := f.member(t, "cap2@exemple.fr", f.capOrg.ID, true)
		// Twelve with a plan whose action is due in 10 days; the thirteenth without plan.
		for _, p := range people[:12] {
			if _, _, err := f.svc.SavePlan(ctx, f.capAdvisor, p, f.plan("STAT")); err != nil {
				t.Fatal(err)
			}
		}
		f.grant(t, f.capAdvisor, colleague, people[0], "AGEFIPH_PERMIS", 900)
		f.grant(t, f.capAdvisor, colleague, people[0], "FT_MOBILITE", 300)
		f.grant(t, f.capAdvisor, colleague, people[1], "AGEFIPH_PERMIS", 1000)
		// Eleven days later the first action of every plan is overdue.
		f.clock.Advance(11 * 24 * time.Hour)
		rows, err := f.svc.Extract(ctx, f.capAdvisor)
		if err != nil || len(rows) != 13 {
			t.Fatalf("extract: %d rows %v", len(rows), err)
		}
		count := map[string]int{}
		for _, r := range rows {
			count["plan:"+r.Facts["plan"]]++
			count["financeur:"+r.Facts["aides_financeur"]]++
			count["type:"+r.Facts["aides_type"]]++
		}
		for k, want := range map[string]int{"plan:en_retard": 12, "plan:sans_plan": 1, "financeur:aucune": 11,
			"financeur:AGEFIPH:accordee": 1, "type:aucune": 11, "type:AGEFIPH_PERMIS": 1} {
			if count[k] != want {
				t.Errorf("%s: %d, want %d (%v)", k, count[k], want, count)
			}
		}
		if count["financeur:AGEFIPH:accordee|FT:accordee"]+count["financeur:FT:accordee|AGEFIPH:accordee"] != 1 {
			t.Errorf("the person with two aids: %v", count)
		}
		stats, err := f.svc.Indicators(ctx, f.capAdvisor)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range stats.Tables {
			if tb.Code != "organisation_plan" {
				continue
			}
			g := tb.Grid
			if len(g.Cells) != 1 || g.Cells[0][1] != 12 || g.Hidden[0][1] || !g.Hidden[0][2] {
				t.Fatalf("plans by organisation: %+v hidden %+v", g.Cells, g.Hidden)
			}
			return
		}
		t.Fatal("no table of plans")
	})
}
