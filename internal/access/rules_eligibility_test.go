package access_test

import (
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
)

// Who reads and who makes eligibility diagnoses, relation by relation.
func TestEligibilityRules(t *testing.T) {
	person := uuid.MustParse("00000000-0000-0000-0000-0000000000aa")
	js := access.Actor{UserID: me, Kind: access.JobSeeker}
	authorised := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.AuthorizedPrescriber}
	plain := authorised
	plain.Role = access.Prescriber
	employer := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, Role: access.Employer}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	on := func(rel access.Relations) access.Resource { return access.Resource{Subject: person, Relations: rel} }
	// A structure's own diagnosis (made by orgA or orgB).
	byStructure := func(o uuid.UUID, member bool, rel access.Relations) access.Resource {
		return access.Resource{Subject: person, Relations: rel, OrgID: o, OrgCategory: "siae", OrgKind: "ACI", Member: member}
	}
	write := func(category, kind string, member bool, rel access.Relations) access.Resource {
		return access.Resource{Subject: person, Relations: rel, OrgID: orgA, OrgCategory: category, OrgKind: kind, Member: member}
	}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"the person reads", js, access.ViewEligibility, on(access.RelSelf), true},
		{"the person reads a structure's diagnosis", js, access.ViewEligibility, byStructure(orgB, false, access.RelSelf), true},
		{"a job seeker does not read someone else", js, access.ViewEligibility, on(0), false},
		{"a prescriber who follows reads", plain, access.ViewEligibility, on(access.RelFollowUp), true},
		{"a prescriber who made one reads", authorised, access.ViewEligibility, on(access.RelDiagnosed), true},
		{"a prescriber without relation does not", authorised, access.ViewEligibility, on(0), false},
		{"a prescriber does not read a structure's diagnosis", authorised, access.ViewEligibility, byStructure(orgB, false, access.RelFollowUp), false},
		{"a structure that received an application reads", employer, access.ViewEligibility, on(access.RelApplicationReceived), true},
		{"a structure that only follows does not", employer, access.ViewEligibility, on(access.RelFollowUp), false},
		{"a structure reads its own diagnosis", employer, access.ViewEligibility, byStructure(orgA, true, access.RelApplicationReceived), true},
		{"a structure does not read another's", employer, access.ViewEligibility, byStructure(orgB, false, access.RelApplicationReceived), false},
		{"staff do not read diagnoses", staff, access.ViewEligibility, on(access.RelFollowUp), false},
		{"an authorised prescriber who follows diagnoses", authorised, access.MakeDiagnosis, write("prescriber", "CCAS", true, access.RelFollowUp), true},
		{"not without relation", authorised, access.MakeDiagnosis, write("prescriber", "CCAS", true, 0), false},
		{"not for another organisation", authorised, access.MakeDiagnosis, access.Resource{Subject: person, Relations: access.RelFollowUp, OrgID: orgB, OrgCategory: "prescriber", Member: true}, false},
		{"a prescriber not authorised does not diagnose", plain, access.MakeDiagnosis, write("prescriber", "CCAS", true, access.RelFollowUp), false},
		{"an SIAE diagnoses who applied to it", employer, access.MakeDiagnosis, write("siae", "AI", true, access.RelApplicationReceived), true},
		{"not who only follows", employer, access.MakeDiagnosis, write("siae", "AI", true, access.RelFollowUp), false},
		{"a GEIQ does not", employer, access.MakeDiagnosis, write("geiq", "GEIQ", true, access.RelApplicationReceived), false},
		{"not a member", employer, access.MakeDiagnosis, write("siae", "AI", false, access.RelApplicationReceived), false},
		{"the person does not diagnose", js, access.MakeDiagnosis, on(access.RelSelf), false},
		{"staff do not diagnose", staff, access.MakeDiagnosis, write("prescriber", "CCAS", true, access.RelFollowUp), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
				t.Errorf("allowed=%v, want %v", got, tc.want)
			}
		})
	}
}
