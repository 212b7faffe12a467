package access

import "github.com/google/uuid"

// Adapted support of disabled job seekers (package support; Code du travail D5312-50 to -54).
// Health data are recorded and consulted only by designated, authorised staff of France Travail
// and Cap emploi (D5312-52 I): here, members of an FT agency or a Cap emploi organisation who
// hold the "accompagnement adapté" habilitation of their organisation, passed a second factor,
// and act for an organisation that has the person in its caseload. The only exception is an
// emergency access ("bris de glace"): justified, time-limited and reviewed by the organisation's
// admin. Nobody else reads them, platform staff included; AGEFIPH and FIPHFP (D5312-52 II)
// receive only the aid files addressed to them (part 2), never the record.
const (
	// OpenSupport: open a person's support record. Resource: the person (Subject, Relations)
	// and Habilitated.
	OpenSupport Action = "support.open"
	// ViewSupport: read a person's support record and health data. Resource: the person
	// (Subject, Relations) and Habilitated.
	ViewSupport Action = "support.view"
	// EditSupport: record or change the health data and the record, close it, set a
	// litigation hold, handle the person's requests. Resource: as ViewSupport.
	EditSupport Action = "support.edit"
	// ListSupport: list the caseload of the actor's organisation. Resource: Habilitated.
	ListSupport Action = "support.list"
	// BreakGlass: open an emergency access to the record of a person outside the caseload.
	// Resource: as ViewSupport.
	BreakGlass Action = "support.break_glass"
	// RequestSupportRights: the person asks for rectification or restriction of their record.
	RequestSupportRights Action = "support.request"
	// AdministerSupport: grant and withdraw the habilitation of the organisation's members,
	// review their emergency accesses. Resource: the actor's organisation (OrgID, OrgKind,
	// Member).
	AdministerSupport Action = "support.administer"
)

// supportOrgKinds are the organisations whose staff may hold the habilitation (D5312-52 I).
var supportOrgKinds = map[string]bool{"FT": true, "CAP_EMPLOI": true}

// supportPurposes are the purposes of D5312-50 a read of a record may state; statistics (5°)
// are produced from pseudonymised extracts, never by reading a record.
var supportPurposes = []Purpose{PurposeSupport, PurposeSupportPlan, PurposeSupportAids, PurposeSupportDocuments}

// supportAdvisor: a member of an FT agency or a Cap emploi organisation, acting for it, past a
// second factor, holding the habilitation there.
func supportAdvisor(a Actor, r Resource) bool {
	return a.Kind == Professional && a.MFA && a.OrgID != uuid.Nil && supportOrgKinds[a.OrgKind] && r.Habilitated
}

var supportPolicies = map[Action]policy{
	OpenSupport: {
		allow: func(a Actor, r Resource) bool {
			return supportAdvisor(a, r) && r.Relations.Any(RelFollowUp|RelCaseload)
		},
	},
	ViewSupport: {
		allow: func(a Actor, r Resource) bool {
			if a.Kind == JobSeeker {
				return r.Relations.Has(RelSelf)
			}
			return supportAdvisor(a, r) && r.Relations.Any(RelCaseload|RelEmergency)
		},
		purposes: supportPurposes,
	},
	ListSupport: {
		allow:    supportAdvisor,
		purposes: supportPurposes,
	},
	EditSupport: {
		allow: func(a Actor, r Resource) bool {
			return supportAdvisor(a, r) && r.Relations.Has(RelCaseload)
		},
		purposes: supportPurposes,
	},
	BreakGlass: {
		allow: func(a Actor, r Resource) bool {
			return supportAdvisor(a, r) && !r.Relations.Has(RelCaseload)
		},
	},
	RequestSupportRights: {
		allow: func(a Actor, r Resource) bool { return a.Kind == JobSeeker && r.Relations.Has(RelSelf) },
	},
	AdministerSupport: {
		allow: func(a Actor, r Resource) bool {
			return a.Kind == Professional && a.MFA && supportOrgKinds[a.OrgKind] && isAdminOf(a, r)
		},
		purposes: []Purpose{PurposeSecurity},
	},
}
