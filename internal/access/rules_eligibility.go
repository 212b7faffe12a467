package access

import (
	"slices"

	"github.com/google/uuid"
)

// Eligibility diagnoses (package eligibility): made by an authorised prescriber for any
// structure, or by an SIAE for itself; read by the person, by the prescriber organisations
// that made one or follow the person, and by the structures that received an application of
// theirs. A structure's own diagnosis is read only by the person and by that structure.
const (
	// ViewEligibility: read a person's eligibility and the diagnoses behind it. Resource: the
	// person (Subject, Relations); for one diagnosis made by a structure, also that structure
	// (OrgID, OrgCategory "siae", Member).
	ViewEligibility Action = "eligibility.view"
	// MakeDiagnosis: make a diagnosis about a person. Resource: the actor's organisation
	// (OrgID, OrgCategory, OrgKind, Member) and the person (Subject, Relations).
	MakeDiagnosis Action = "eligibility.diagnose"
)

// siaeKinds are the structures whose members make diagnoses for themselves (GEIQ have their
// own variant).
var siaeKinds = []string{"EI", "AI", "ACI", "ETTI", "EITI"}

// readsEligibility: who may read a person's eligibility as a whole.
func readsEligibility(a Actor, r Resource) bool {
	switch {
	case a.Kind == JobSeeker:
		return r.Relations.Has(RelSelf)
	case a.Kind != Professional || a.OrgID == uuid.Nil:
		return false
	case a.Role == Prescriber || a.Role == AuthorizedPrescriber:
		return r.Relations.Any(RelFollowUp | RelDiagnosed)
	case a.Role == Employer:
		return r.Relations.Any(RelApplicationReceived | RelDiagnosed)
	}
	return false
}

var eligibilityPolicies = map[Action]policy{
	ViewEligibility: {
		allow: func(a Actor, r Resource) bool {
			if !readsEligibility(a, r) {
				return false
			}
			if r.OrgCategory == "siae" {
				// A structure's own diagnosis: valid only there, so shown only to the person
				// and to that structure's members.
				return a.Kind == JobSeeker || actsForMemberOrg(a, r)
			}
			return true
		},
		purposes: []Purpose{PurposeIAERecruitment, PurposeIAEFollowUp, PurposeIAETools},
	},
	MakeDiagnosis: {
		allow: func(a Actor, r Resource) bool {
			if a.Kind != Professional || a.OrgID == uuid.Nil || r.OrgID != a.OrgID || !r.Member {
				return false
			}
			switch a.Role {
			case AuthorizedPrescriber:
				// A habilitated prescriber, for a person their organisation follows.
				return r.OrgCategory == "prescriber" && r.Relations.Any(RelFollowUp|RelApplicationSent|RelDiagnosed)
			case Employer:
				// An SIAE, for a person who applied to it (its own hire declared included).
				return r.OrgCategory == "siae" && slices.Contains(siaeKinds, r.OrgKind) && r.Relations.Has(RelApplicationReceived)
			}
			return false
		},
	},
}
