package access

import "github.com/google/uuid"

// Aids and services of the adapted support (package support, aid*.go; Code du travail
// D5312-50 3°). Habilitated advisors of an organisation that has the person in its caseload
// request, instruct and decide aids (the service refuses a decision by the aid's instructor or
// requester: four eyes), and pay the granted ones in SEPA batches of their organisation. The
// person reads their own aids. AGEFIPH and FIPHFP (D5312-52 II) read the aid files addressed to
// them with the minimum fields, never the record.
const (
	// RequestAid: request, instruct, decide or cancel an aid for a person. Resource: the person
	// (Subject, Relations) and Habilitated.
	RequestAid Action = "support.aid.request"
	// ViewAids: read a person's aids, their ledger and decision letters. Resource: as RequestAid.
	ViewAids Action = "support.aid.view"
	// PayAids: list the granted aids to pay, export a batch, mark it paid, read the funders'
	// ledger of the actor's organisation. Resource: Habilitated (the actor's organisation).
	PayAids Action = "support.aid.pay"
	// ViewFunderAids: an AGEFIPH or FIPHFP agent reads the aid files addressed to their funder.
	// Resource: the actor's organisation (OrgID, Member).
	ViewFunderAids Action = "support.aid.funder"
)

// funderKinds are the organisations that receive the aid files addressed to them.
var funderKinds = map[string]bool{"AGEFIPH": true, "FIPHFP": true}

var aidPurposes = []Purpose{PurposeSupportAids}

var supportAidPolicies = map[Action]policy{
	RequestAid: {
		allow: func(a Actor, r Resource) bool { return supportAdvisor(a, r) && r.Relations.Has(RelCaseload) },
	},
	ViewAids: {
		allow: func(a Actor, r Resource) bool {
			if a.Kind == JobSeeker {
				return r.Relations.Has(RelSelf)
			}
			return supportAdvisor(a, r) && r.Relations.Has(RelCaseload)
		},
		purposes: aidPurposes,
	},
	PayAids: {
		allow:    supportAdvisor,
		purposes: aidPurposes,
	},
	ViewFunderAids: {
		allow: func(a Actor, r Resource) bool {
			return a.Kind == Professional && a.MFA && funderKinds[a.OrgKind] && a.OrgID != uuid.Nil && a.OrgID == r.OrgID && r.Member
		},
		purposes: aidPurposes,
	},
}
