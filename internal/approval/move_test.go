package approval_test

import (
	"context"
	"errors"
	"testing"

	"parcours/internal/access"
	"parcours/internal/approval"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
	"parcours/internal/offer"
)

// The start of a hire moves before the contract begins: the PASS not started moves with it and
// keeps its 730 days; a start past the PASS end of a running PASS is refused; another structure
// cannot move it; once the contract has begun its dates stay.
func TestMovedHireStartMovesThePASS(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, emp, jd := f.Structure(t, offer.KindACI, "aci@exemple.fr")
		person := f.person(t, emp, true)
		app := f.applyTo(t, emp, person.ID, st, jd)
		f.diagnose(t, emp, person.ID)
		if err := f.accept(emp, app, offer.KindACI, f.Today().AddDays(10)); err != nil {
			t.Fatal(err)
		}
		later := f.Today().AddDays(24)
		_, other, _ := f.Structure(t, offer.KindEI, "ei@exemple.fr")
		if err := f.Apps.ChangeHire(ctx, other, app, f.hire(offer.KindACI, later)); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("another structure moves the hire: %v", err)
		}
		past := f.hire(offer.KindACI, f.Today().AddDays(-1))
		if err := f.Apps.ChangeHire(ctx, emp, app, past); fault.FieldsOf(err)["hiring_start"] == "" {
			t.Fatalf("a start in the past: %v", err)
		}
		if err := f.Apps.ChangeHire(ctx, emp, app, f.hire(offer.KindACI, later)); err != nil {
			t.Fatal(err)
		}
		p := f.only(t, emp, person.ID)
		if p.Start != later || p.End != approval.DefaultEnd(later) || p.HireStart != later {
			t.Fatalf("the PASS did not follow the hire: %s – %s (hire %s)", p.Start, p.End, p.HireStart)
		}
		got, err := f.Apps.Get(ctx, emp, app, access.PurposeIAERecruitment)
		if err != nil || got.Hire.Start != later {
			t.Fatalf("application: %+v %v", got.Hire, err)
		}
		// Earlier again: still before the PASS starts.
		earlier := f.Today().AddDays(2)
		if err := f.Apps.ChangeHire(ctx, emp, app, f.hire(offer.KindACI, earlier)); err != nil {
			t.Fatal(err)
		}
		if p := f.only(t, emp, person.ID); p.Start != earlier || p.End != approval.DefaultEnd(earlier) {
			t.Fatalf("moved earlier: %s – %s", p.Start, p.End)
		}
		// The contract has begun: its dates stay.
		f.advance(3)
		if err := f.Apps.ChangeHire(ctx, emp, app, f.hire(offer.KindACI, f.Today().AddDays(5))); !errors.Is(err, fault.Conflict) {
			t.Fatalf("a started contract moves: %v", err)
		}
		var moved int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'approval.hire_moved'`).Scan(&moved); err != nil || moved != 2 {
			t.Fatalf("%d moves audited, want 2 (%v)", moved, err)
		}
	})
}
