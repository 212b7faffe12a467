package access_test

import (
	"testing"

	"github.com/google/uuid"

	"parcours/internal/access"
)

// Who reads and writes a record's documents, who reads the indicators and the extract.
func TestSupportDocumentAndStatisticsRules(t *testing.T) {
	person := uuid.MustParse("00000000-0000-0000-0000-0000000000bb")
	advisor := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "CAP_EMPLOI", Role: access.AuthorizedPrescriber}
	noMFA := advisor
	noMFA.MFA = false
	ddets := access.Actor{UserID: me, Kind: access.Professional, OrgID: orgA, OrgKind: "DDETS_IAE", Role: access.InstitutionAgent, InstitutionScope: "DDETS_IAE"}
	ddetsMFA := ddets
	ddetsMFA.MFA = true
	dgefp := ddetsMFA
	dgefp.InstitutionScope, dgefp.OrgKind = "DGEFP_GEIQ", "DGEFP_GEIQ"
	agefiph := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "AGEFIPH", Role: access.Financer}
	employer := access.Actor{UserID: me, Kind: access.Professional, MFA: true, OrgID: orgA, OrgKind: "ACI", Role: access.Employer}
	staff := access.Actor{UserID: me, Kind: access.Staff, MFA: true}
	js := access.Actor{UserID: me, Kind: access.JobSeeker}
	on := func(rel access.Relations, habilitated bool) access.Resource {
		return access.Resource{Subject: person, Relations: rel, Habilitated: habilitated}
	}
	own := access.Resource{OrgID: orgA, Habilitated: true}
	for _, tc := range []struct {
		name  string
		actor access.Actor
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"the caseload lists documents", advisor, access.ViewSupportDocuments, on(access.RelCaseload, true), true},
		{"an emergency access lists documents", advisor, access.ViewSupportDocuments, on(access.RelEmergency, true), true},
		{"an emergency access does not upload", advisor, access.ManageSupportDocuments, on(access.RelEmergency, true), false},
		{"the caseload uploads", advisor, access.ManageSupportDocuments, on(access.RelCaseload, true), true},
		{"without habilitation, no documents", advisor, access.ViewSupportDocuments, on(access.RelCaseload, false), false},
		{"without second factor, no documents", noMFA, access.ViewSupportDocuments, on(access.RelCaseload, true), false},
		{"the person lists their documents", js, access.ViewSupportDocuments, on(access.RelSelf, false), true},
		{"the person sends a document", js, access.SendOwnSupportDocument, on(access.RelSelf, false), true},
		{"the person does not manage documents", js, access.ManageSupportDocuments, on(access.RelSelf, false), false},
		{"an advisor does not send as the person", advisor, access.SendOwnSupportDocument, on(access.RelCaseload, true), false},
		{"staff read no document", staff, access.ViewSupportDocuments, on(access.RelCaseload, true), false},
		{"Agefiph reads no document", agefiph, access.ViewSupportDocuments, on(access.RelCaseload, true), false},
		{"an employer reads no document", employer, access.ViewSupportDocuments, on(access.RelFollowUp, false), false},
		{"a habilitated advisor reads their organisation's indicators", advisor, access.ViewSupportIndicators, own, true},
		{"a habilitated advisor extracts their organisation's", advisor, access.ExtractSupportStatistics, own, true},
		{"not another organisation's", advisor, access.ViewSupportIndicators, access.Resource{OrgID: orgB, Habilitated: true}, false},
		{"an advisor without habilitation reads no indicator", advisor, access.ViewSupportIndicators, access.Resource{OrgID: orgA}, false},
		{"a DDETS reads the indicators", ddets, access.ViewSupportIndicators, access.Resource{OrgID: orgA}, true},
		{"a DDETS without second factor does not extract", ddets, access.ExtractSupportStatistics, access.Resource{OrgID: orgA}, false},
		{"a DDETS with second factor extracts", ddetsMFA, access.ExtractSupportStatistics, access.Resource{OrgID: orgA}, true},
		{"the DGEFP extracts", dgefp, access.ExtractSupportStatistics, access.Resource{OrgID: orgA}, true},
		{"Agefiph reads no indicator", agefiph, access.ViewSupportIndicators, access.Resource{OrgID: orgA}, false},
		{"staff read no indicator", staff, access.ViewSupportIndicators, access.Resource{}, false},
		{"the person reads no indicator", js, access.ViewSupportIndicators, access.Resource{}, false},
	} {
		if got := access.Allowed(tc.actor, tc.act, tc.res); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
