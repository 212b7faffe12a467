package access

import "github.com/google/uuid"

// Job seekers (package jobseeker): the person's file, read and changed by the person, by the
// professionals who follow them, and by the structures they applied to.
const (
	// CreateJobSeeker: a job seeker creates their own file; a prescriber or an employer creates
	// the file of someone they support ("by proxy").
	CreateJobSeeker Action = "jobseeker.create"
	// ViewJobSeeker: read a person's file (identity, identifiers, situation, support needs).
	ViewJobSeeker Action = "jobseeker.view"
	// EditJobSeeker: change it. The person always may; the professionals who follow them only
	// while nobody has taken the account over (the file is "handled by proxy").
	EditJobSeeker Action = "jobseeker.edit"
	// FindJobSeeker: look for an existing file (duplicates) before creating one.
	FindJobSeeker Action = "jobseeker.find"
	// EraseJobSeeker: erase a person's file and everything attached to it (a duplicate, a file
	// opened without the person's knowledge, an erasure the DPO granted): the platform's staff
	// only, with a reason.
	EraseJobSeeker Action = "jobseeker.erase"
)

// follows: a professional acting for an organisation that follows the person or exchanged an
// application about them.
func follows(a Actor, r Resource) bool {
	return a.Kind == Professional && a.OrgID != uuid.Nil && r.Relations.Any(RelFollowUp|RelApplicationSent|RelApplicationReceived)
}

var jobSeekerPolicies = map[Action]policy{
	CreateJobSeeker: {
		allow: func(a Actor, r Resource) bool {
			switch a.Kind {
			case JobSeeker:
				return r.OwnerID == a.UserID
			case Professional:
				return a.OrgID != uuid.Nil && (a.Role == Prescriber || a.Role == AuthorizedPrescriber || a.Role == Employer)
			}
			return false
		},
	},
	FindJobSeeker: {
		allow: func(a Actor, r Resource) bool {
			return a.Kind == Professional && a.OrgID != uuid.Nil && (a.Role == Prescriber || a.Role == AuthorizedPrescriber || a.Role == Employer)
		},
	},
	ViewJobSeeker: {
		allow: func(a Actor, r Resource) bool {
			return r.Relations.Has(RelSelf) && a.Kind == JobSeeker || follows(a, r) || a.IsStaff()
		},
		purposes: []Purpose{PurposeIAERecruitment, PurposeIAEFollowUp, PurposeIAETools, PurposeAccounts},
	},
	EraseJobSeeker: {
		allow: func(a Actor, r Resource) bool { return a.IsStaff() },
	},
	EditJobSeeker: {
		allow: func(a Actor, r Resource) bool {
			if r.Relations.Has(RelSelf) && a.Kind == JobSeeker {
				return true
			}
			return r.OwnerID == uuid.Nil && a.Kind == Professional && a.OrgID != uuid.Nil && r.Relations.Has(RelFollowUp)
		},
		purposes: []Purpose{PurposeIAEFollowUp, PurposeIAETools},
	},
}
