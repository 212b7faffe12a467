package access_test

import (
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
)

// Who reads and writes a person's adapted-support record: habilitation, second factor, kind of
// organisation, caseload or emergency access; nobody else, staff included.
func TestSupportRules(t *testing.T) {
	person := uuid.MustParse("00000000-0000-0000-0000-0000000000bb")
	capEmploi := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "CAP_EMPLOI", Role: access.AuthorizedPrescriber}
	ft := capEmploi
	ft.OrgKind = "FT"
	noMFA := capEmploi
	noMFA.MFA = false
	ccas := capEmploi
	ccas.OrgKind = "CCAS"
	agefiph := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "AGEFIPH", Role: access.Financer}
	employer := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "ACI", Role: access.Employer}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	js := access.Actor{UserID: me, Kind: access.JobSeeker}
	admin := ft
	admin.OrgAdmin = true
	on := func(rel access.Relations, habilitated bool) access.Resource {
		return access.Resource{Subject: person, Relations: rel, Habilitated: habilitated}
	}
	ownOrg := access.Resource{OrgID: orgA, Member: true}
	otherOrg := access.Resource{OrgID: orgB, Member: false}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"a habilitated Cap emploi advisor of the caseload reads", capEmploi, access.ViewSupport, on(access.RelCaseload, true), true},
		{"a habilitated FT advisor of the caseload reads (joint controllers)", ft, access.ViewSupport, on(access.RelCaseload, true), true},
		{"not without the habilitation", ft, access.ViewSupport, on(access.RelCaseload, false), false},
		{"not without a second factor", noMFA, access.ViewSupport, on(access.RelCaseload, true), false},
		{"not outside the caseload", ft, access.ViewSupport, on(access.RelFollowUp, true), false},
		{"with a live emergency access", ft, access.ViewSupport, on(access.RelEmergency, true), true},
		{"not another kind of prescriber", ccas, access.ViewSupport, on(access.RelCaseload, true), false},
		{"not a financer", agefiph, access.ViewSupport, on(access.RelCaseload, true), false},
		{"not an employer", employer, access.ViewSupport, on(access.RelCaseload|access.RelApplicationReceived, true), false},
		{"not staff", staff, access.ViewSupport, on(access.RelCaseload, true), false},
		{"the person reads their own", js, access.ViewSupport, on(access.RelSelf, false), true},
		{"a job seeker does not read someone else", js, access.ViewSupport, on(0, false), false},
		{"a habilitated advisor lists the caseload", ft, access.ListSupport, on(0, true), true},
		{"not without the habilitation", ft, access.ListSupport, on(0, false), false},
		{"the caseload edits", capEmploi, access.EditSupport, on(access.RelCaseload, true), true},
		{"an emergency access does not edit", capEmploi, access.EditSupport, on(access.RelEmergency, true), false},
		{"the person does not edit", js, access.EditSupport, on(access.RelSelf, false), false},
		{"a follower opens", capEmploi, access.OpenSupport, on(access.RelFollowUp, true), true},
		{"not without relation", capEmploi, access.OpenSupport, on(0, true), false},
		{"not without the habilitation", capEmploi, access.OpenSupport, on(access.RelFollowUp, false), false},
		{"break glass outside the caseload", ft, access.BreakGlass, on(0, true), true},
		{"no break glass without habilitation", ft, access.BreakGlass, on(0, false), false},
		{"no break glass for staff", staff, access.BreakGlass, on(0, true), false},
		{"no break glass inside the caseload", ft, access.BreakGlass, on(access.RelCaseload, true), false},
		{"the person asks rectification", js, access.RequestSupportRights, on(access.RelSelf, false), true},
		{"an advisor does not ask for the person", ft, access.RequestSupportRights, on(access.RelCaseload, true), false},
		{"the admin administers their organisation", admin, access.AdministerSupport, ownOrg, true},
		{"not another organisation", admin, access.AdministerSupport, otherOrg, false},
		{"a member who is not admin does not", ft, access.AdministerSupport, ownOrg, false},
		{"staff do not", staff, access.AdministerSupport, ownOrg, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
				t.Errorf("allowed=%v, want %v", got, tc.want)
			}
		})
	}
}
