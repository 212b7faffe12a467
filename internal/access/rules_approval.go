package access

import (
	"slices"

	"github.com/google/uuid"
)

// PASS IAE (package approval): read by the person, by the structures the person applied to,
// and by the prescriber organisations that follow, sent or diagnosed the person; managed
// (suspended, prolonged, interrupted, printed) only by the structure of the last hire;
// prolongation requests decided by the authorised prescriber organisation they were sent to;
// hires without identifiers delivered by platform staff.
const (
	// ViewApproval: read a person's PASS IAE. Resource: the person (Subject, Relations).
	ViewApproval Action = "approval.view"
	// ManageApproval: suspend, prolong, ask a prolongation, interrupt, print the attestation.
	// Resource: the structure of the PASS's last hire (OrgID, OrgCategory, OrgKind, Member).
	ManageApproval Action = "approval.manage"
	// DecideProlongation: grant or deny a prolongation request. Resource: the organisation the
	// request was sent to (OrgID, OrgCategory, Member).
	DecideProlongation Action = "approval.decide_prolongation"
	// ListApprovals: list the PASS of a structure's hires. Resource: the structure (OrgID,
	// OrgCategory, OrgKind, Member).
	ListApprovals Action = "approval.list"
	// ListProlongationRequests: list the prolongation requests sent to an authorised prescriber
	// organisation. Resource: that organisation (OrgID, OrgCategory, Member).
	ListProlongationRequests Action = "approval.requests"
	// DeliverApproval: list the hires waiting for a PASS delivered by hand, and deliver one.
	// Resource: none.
	DeliverApproval Action = "approval.deliver"
)

var approvalPolicies = map[Action]policy{
	ViewApproval: {
		allow: func(a Actor, r Resource) bool {
			switch {
			case a.Kind == JobSeeker:
				return r.Relations.Has(RelSelf)
			case a.IsStaff():
				// The manual delivery queue shows the PASS a hire already has.
				return true
			case a.Kind != Professional || a.OrgID == uuid.Nil:
				return false
			case a.Role == Prescriber || a.Role == AuthorizedPrescriber:
				return r.Relations.Any(RelFollowUp | RelApplicationSent | RelDiagnosed)
			case a.Role == Employer:
				return r.Relations.Any(RelApplicationReceived)
			}
			return false
		},
		purposes: []Purpose{PurposeIAERecruitment, PurposeIAEFollowUp, PurposeIAETools},
	},
	ManageApproval: {
		allow:    managesPASS,
		purposes: []Purpose{PurposeIAEFollowUp},
	},
	ListApprovals: {
		allow:    managesPASS,
		purposes: []Purpose{PurposeIAEFollowUp},
	},
	DecideProlongation: {
		allow:    decidesProlongation,
		purposes: []Purpose{PurposeIAEFollowUp},
	},
	ListProlongationRequests: {
		allow:    decidesProlongation,
		purposes: []Purpose{PurposeIAEFollowUp},
	},
	DeliverApproval: {
		allow:    func(a Actor, _ Resource) bool { return a.IsStaff() },
		purposes: []Purpose{PurposeIAERecruitment},
	},
}

// managesPASS: a member of the SIAE, acting for it.
func managesPASS(a Actor, r Resource) bool {
	return a.Role == Employer && actsForMemberOrg(a, r) && r.OrgCategory == "siae" && slices.Contains(siaeKinds, r.OrgKind)
}

// decidesProlongation: a member of the authorised prescriber organisation, acting for it.
func decidesProlongation(a Actor, r Resource) bool {
	return a.Role == AuthorizedPrescriber && actsForMemberOrg(a, r) && r.OrgCategory == "prescriber"
}
