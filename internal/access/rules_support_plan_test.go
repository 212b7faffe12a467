package access_test

import (
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
)

// Who reads, changes and acknowledges a person's plan: the caseload reads and edits, an
// emergency access reads, the person reads and acknowledges; nobody else, staff included.
func TestSupportPlanRules(t *testing.T) {
	person := uuid.MustParse("00000000-0000-0000-0000-0000000000cc")
	capEmploi := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "CAP_EMPLOI", Role: access.AuthorizedPrescriber}
	ft := capEmploi
	ft.OrgKind = "FT"
	noMFA := capEmploi
	noMFA.MFA = false
	agefiph := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "AGEFIPH", Role: access.Financer}
	employer := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "ACI", Role: access.Employer}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	js := access.Actor{UserID: me, Kind: access.JobSeeker}
	on := func(rel access.Relations, habilitated bool) access.Resource {
		return access.Resource{Subject: person, Relations: rel, Habilitated: habilitated}
	}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"the caseload reads", capEmploi, access.ViewSupportPlan, on(access.RelCaseload, true), true},
		{"the joint controller reads", ft, access.ViewSupportPlan, on(access.RelCaseload, true), true},
		{"an emergency access reads", ft, access.ViewSupportPlan, on(access.RelEmergency, true), true},
		{"not without the habilitation", ft, access.ViewSupportPlan, on(access.RelCaseload, false), false},
		{"not without a second factor", noMFA, access.ViewSupportPlan, on(access.RelCaseload, true), false},
		{"not outside the caseload", ft, access.ViewSupportPlan, on(access.RelFollowUp, true), false},
		{"not a financer", agefiph, access.ViewSupportPlan, on(access.RelCaseload, true), false},
		{"not an employer", employer, access.ViewSupportPlan, on(access.RelCaseload|access.RelApplicationReceived, true), false},
		{"not staff", staff, access.ViewSupportPlan, on(access.RelCaseload, true), false},
		{"the person reads their own", js, access.ViewSupportPlan, on(access.RelSelf, false), true},
		{"a job seeker does not read someone else's", js, access.ViewSupportPlan, on(0, false), false},
		{"the caseload edits", capEmploi, access.EditSupportPlan, on(access.RelCaseload, true), true},
		{"an emergency access does not edit", ft, access.EditSupportPlan, on(access.RelEmergency, true), false},
		{"the person does not edit", js, access.EditSupportPlan, on(access.RelSelf, false), false},
		{"staff do not edit", staff, access.EditSupportPlan, on(access.RelCaseload, true), false},
		{"the person acknowledges", js, access.AcknowledgeSupportPlan, on(access.RelSelf, false), true},
		{"an advisor does not acknowledge online", capEmploi, access.AcknowledgeSupportPlan, on(access.RelCaseload, true), false},
		{"a job seeker does not acknowledge someone else's", js, access.AcknowledgeSupportPlan, on(0, false), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
				t.Errorf("allowed=%v, want %v", got, tc.want)
			}
		})
	}
}
