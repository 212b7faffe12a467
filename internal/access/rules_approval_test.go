package access_test

import (
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
)

// Who reads a PASS IAE, who manages it, who decides a prolongation, who delivers by hand.
func TestApprovalRules(t *testing.T) {
	person := uuid.MustParse("00000000-0000-0000-0000-0000000000bb")
	js := access.Actor{UserID: me, Kind: access.JobSeeker}
	authorised := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.AuthorizedPrescriber}
	plain := authorised
	plain.Role = access.Prescriber
	employer := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.Employer}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	staffNoMFA := access.Actor{UserID: me, Kind: access.Staff}
	on := func(rel access.Relations) access.Resource { return access.Resource{Subject: person, Relations: rel} }
	structure := func(o uuid.UUID, kind string, member bool) access.Resource {
		return access.Resource{Subject: person, OrgID: o, OrgCategory: "siae", OrgKind: kind, Member: member}
	}
	prescriberOrg := func(o uuid.UUID, member bool) access.Resource {
		return access.Resource{OrgID: o, OrgCategory: "prescriber", Member: member}
	}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"the holder reads", js, access.ViewApproval, on(access.RelSelf), true},
		{"a job seeker does not read another's", js, access.ViewApproval, on(0), false},
		{"a structure that received an application reads", employer, access.ViewApproval, on(access.RelApplicationReceived), true},
		{"a structure without relation does not", employer, access.ViewApproval, on(access.RelFollowUp), false},
		{"a prescriber who follows reads", plain, access.ViewApproval, on(access.RelFollowUp), true},
		{"a prescriber who diagnosed reads", authorised, access.ViewApproval, on(access.RelDiagnosed), true},
		{"a prescriber without relation does not", authorised, access.ViewApproval, on(0), false},
		{"staff read", staff, access.ViewApproval, on(0), true},
		{"staff without MFA do not", staffNoMFA, access.ViewApproval, on(0), false},
		{"the structure of the last hire manages", employer, access.ManageApproval, structure(orgA, "ACI", true), true},
		{"not another structure", employer, access.ManageApproval, structure(orgB, "ACI", false), false},
		{"not a former member", employer, access.ManageApproval, structure(orgA, "ACI", false), false},
		{"not a GEIQ", employer, access.ManageApproval, access.Resource{OrgID: orgA, OrgCategory: "geiq", OrgKind: "GEIQ", Member: true}, false},
		{"not a prescriber", authorised, access.ManageApproval, structure(orgA, "ACI", true), false},
		{"not the holder", js, access.ManageApproval, structure(orgA, "ACI", true), false},
		{"the prescriber asked decides", authorised, access.DecideProlongation, prescriberOrg(orgA, true), true},
		{"not another prescriber", authorised, access.DecideProlongation, prescriberOrg(orgB, false), false},
		{"not a prescriber not authorised", plain, access.DecideProlongation, prescriberOrg(orgA, true), false},
		{"not the structure", employer, access.DecideProlongation, prescriberOrg(orgA, true), false},
		{"staff deliver", staff, access.DeliverApproval, access.Resource{}, true},
		{"not without MFA", staffNoMFA, access.DeliverApproval, access.Resource{}, false},
		{"not an employer", employer, access.DeliverApproval, access.Resource{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
				t.Errorf("allowed=%v, want %v", got, tc.want)
			}
		})
	}
}
