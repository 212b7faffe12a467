package support_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/database/databasetest"
	"parcours/internal/fault"
)

// The caseload changes after the opening: another agency joins and reads the record; an
// organisation that leaves no longer reads it from the next day; the last one cannot leave;
// the referent is a habilitated advisor of the organisation; nothing changes once the support
// has ended; each change is in the audit trail.
func TestCaseloadChanges(t *testing.T) {
	databasetest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.open(t, f.person, "CANARI")
		reads := func(a access.Actor) bool {
			_, err := f.svc.Get(ctx, a, f.person, access.PurposeSupport)
			if err != nil && !errors.Is(err, fault.Forbidden) {
				t.Fatal(err)
			}
			return err == nil
		}
		if reads(f.otherAdvisor) {
			t.Fatal("Marseille reads before joining")
		}
		if err := f.svc.AddFollower(ctx, f.ftPlain, f.person, f.ftOther.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("an advisor without habilitation adds a follower: %v", err)
		}
		if err := f.svc.AddFollower(ctx, f.otherAdvisor, f.person, f.ftOther.ID); !errors.Is(err, fault.Forbidden) {
			t.Fatalf("an organisation outside the caseload adds itself: %v", err)
		}
		if err := f.svc.AddFollower(ctx, f.capAdvisor, f.person, f.ftOther.ID); err != nil {
			t.Fatal(err)
		}
		if !reads(f.otherAdvisor) {
			t.Fatal("Marseille does not read once it follows the person")
		}
		ml := f.org(t, "ML", "Mission locale de Lyon", "")
		for name, org := range map[string]struct {
			id   uuid.UUID
			want string
		}{"twice": {f.ftOther.ID, "suit déjà"}, "a mission locale": {ml.ID, "France Travail ou un Cap emploi"}} {
			err := f.svc.AddFollower(ctx, f.capAdvisor, f.person, org.id)
			if !strings.Contains(fault.FieldsOf(err)["follower_org"], org.want) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if f.count(t, "support.follower_added") != 1 {
			t.Fatal("the addition is not audited")
		}

		// Marseille leaves the day it joined: its row goes, it no longer reads.
		if err := f.svc.EndFollower(ctx, f.otherAdvisor, f.person, f.ftOther.ID); err != nil {
			t.Fatal(err)
		}
		if reads(f.otherAdvisor) {
			t.Fatal("Marseille still reads after leaving")
		}
		// Lyon, following for 30 days, leaves: it reads until the end of the day before.
		if err := f.svc.EndFollower(ctx, f.capAdvisor, f.person, f.ftOrg.ID); err != nil {
			t.Fatal(err)
		}
		if reads(f.ftAdvisor) {
			t.Fatal("Lyon still reads after leaving")
		}
		r, err := f.svc.Get(ctx, f.capAdvisor, f.person, access.PurposeSupport)
		if err != nil || len(r.Caseload) != 2 || r.Caseload[1].OrgID != f.ftOrg.ID || r.Caseload[1].EndedOn != f.today().AddDays(-1) {
			t.Fatalf("caseload after the departures: %+v %v", r.Caseload, err)
		}
		if err := f.svc.EndFollower(ctx, f.capAdvisor, f.person, f.capOrg.ID); !errors.Is(err, fault.Conflict) {
			t.Fatalf("the last organisation leaves: %v", err)
		}
		if err := f.svc.EndFollower(ctx, f.capAdvisor, f.person, f.ftOrg.ID); !errors.Is(err, fault.Conflict) {
			t.Fatalf("an organisation leaves twice: %v", err)
		}
		if f.count(t, "support.follower_ended") != 2 {
			t.Fatal("the departures are not audited")
		}
		// Lyon comes back.
		f.clock.Advance(48 * time.Hour)
		if err := f.svc.AddFollower(ctx, f.capAdvisor, f.person, f.ftOrg.ID); err != nil || !reads(f.ftAdvisor) {
			t.Fatalf("Lyon comes back: %v", err)
		}

		// The referent.
		colleague := f.member(t, "cap-collegue@exemple.fr", f.capOrg.ID, true)
		plain := f.member(t, "cap-sans@exemple.fr", f.capOrg.ID, false)
		if err := f.svc.SetReferent(ctx, f.capAdvisor, f.person, plain.UserID); fault.FieldsOf(err)["referent"] == "" {
			t.Fatalf("a member without habilitation as referent: %v", err)
		}
		if err := f.svc.SetReferent(ctx, f.capAdvisor, f.person, f.ftAdvisor.UserID); fault.FieldsOf(err)["referent"] == "" {
			t.Fatalf("an advisor of another organisation as referent: %v", err)
		}
		if err := f.svc.SetReferent(ctx, f.capAdvisor, f.person, colleague.UserID); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.Caseload(ctx, f.capAdvisor, access.PurposeSupport)
		if err != nil || len(list) != 1 || list[0].Referent != "Prénom cap-collegue@exemple.fr" {
			t.Fatalf("referent: %+v %v", list, err)
		}
		advisors, err := f.svc.Advisors(ctx, f.capAdvisor)
		if err != nil || len(advisors) != 2 {
			t.Fatalf("advisors: %+v %v", advisors, err)
		}

		// Nothing changes once the support has ended.
		if err := f.svc.Close(ctx, f.capAdvisor, f.person, "employment", f.today()); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AddFollower(ctx, f.capAdvisor, f.person, f.ftOther.ID); !errors.Is(err, fault.Conflict) {
			t.Fatalf("a follower added after the end: %v", err)
		}
	})
}
