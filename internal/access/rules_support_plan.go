package access

// The plan of the adapted support (PPAE, "contrat d'engagement"; Code du travail D5312-50 2°),
// kept in package support with the record it belongs to. The habilitated advisors of an
// organisation that has the person in its caseload read and change it; an emergency access
// reads it; the person reads their own plan and its history and acknowledges it online. Nobody
// else reads anything: not staff, employers, prescribers, AGEFIPH or FIPHFP, nor an advisor
// without the habilitation. Every read states the purpose of the plan (D5312-50 2°).
const (
	// ViewSupportPlan: read a person's plan, its versions and its PDF. Resource: as ViewSupport.
	ViewSupportPlan Action = "support.plan.view"
	// EditSupportPlan: save a new version of the plan, record the person's acknowledgement made
	// in person or on paper. Resource: as ViewSupport.
	EditSupportPlan Action = "support.plan.edit"
	// AcknowledgeSupportPlan: the person acknowledges the current version online, on their own
	// page. Resource: the person (Relations).
	AcknowledgeSupportPlan Action = "support.plan.acknowledge"
)

// supportPlanPurposes: the plan is read for the plan only.
var supportPlanPurposes = []Purpose{PurposeSupportPlan}

var supportPlanPolicies = map[Action]policy{
	ViewSupportPlan: {
		allow: func(a Actor, r Resource) bool {
			if a.Kind == JobSeeker {
				return r.Relations.Has(RelSelf)
			}
			return supportAdvisor(a, r) && r.Relations.Any(RelCaseload|RelEmergency)
		},
		purposes: supportPlanPurposes,
	},
	EditSupportPlan: {
		allow: func(a Actor, r Resource) bool {
			return supportAdvisor(a, r) && r.Relations.Has(RelCaseload)
		},
		purposes: supportPlanPurposes,
	},
	AcknowledgeSupportPlan: {
		allow: func(a Actor, r Resource) bool { return a.Kind == JobSeeker && r.Relations.Has(RelSelf) },
	},
}
