package access

// Applications (package application): sent by the person, by a prescriber or an employer who
// follows them, or declared by an employer for its own hire; moved only by the members of the
// structure that received them.
const (
	// SendApplication: send an application for a person to a structure. Resource: the receiving
	// structure (OrgID, OrgCategory, Member) and the actor's relations to the person.
	SendApplication Action = "application.send"
	// ViewApplication: read an application, its messages, CV and history.
	ViewApplication Action = "application.view"
	// DecideApplication: move an application through the workflow (process, postpone, refuse,
	// accept, cancel a hire, transfer).
	DecideApplication Action = "application.decide"
)

func sendsFor(a Actor) bool {
	return a.Kind == Professional && a.OrgID != [16]byte{} &&
		(a.Role == Prescriber || a.Role == AuthorizedPrescriber || a.Role == Employer)
}

var applicationPolicies = map[Action]policy{
	SendApplication: {
		allow: func(a Actor, r Resource) bool {
			if !isStructure(r) {
				return false
			}
			switch {
			case a.Kind == JobSeeker:
				return r.Relations.Has(RelSelf)
			case sendsFor(a):
				// A professional who follows the person (created their file, found it by NIR,
				// applied for them), or a structure that received an application of theirs and
				// sends it on elsewhere. An employer declaring its own hire follows the person
				// too: knowing the structure is not enough to write about anyone.
				return r.Relations.Any(RelFollowUp | RelApplicationReceived)
			}
			return false
		},
	},
	ViewApplication: {
		allow: func(a Actor, r Resource) bool {
			switch {
			case a.Kind == JobSeeker:
				return r.Relations.Has(RelSelf)
			case a.Kind == Professional:
				return r.Relations.Has(RelApplicationReceived) && isStructure(r) && actsForMemberOrg(a, r) || r.Relations.Has(RelApplicationSent)
			}
			return a.IsStaff()
		},
		purposes: []Purpose{PurposeIAERecruitment, PurposeIAEFollowUp, PurposeIAETools, PurposeAccounts},
	},
	DecideApplication: {
		allow: func(a Actor, r Resource) bool {
			return isStructure(r) && actsForMemberOrg(a, r) && r.Relations.Has(RelApplicationReceived)
		},
	},
}
