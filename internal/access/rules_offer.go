package access

// IAE registry and job offers (package offer). Reading public pages and searching need no
// permission: they show no personal data.
const (
	EditStructure           Action = "offer.edit_structure"          // public page, block flag, spontaneous applications
	ManageJobDescriptions   Action = "offer.manage_job_descriptions" // create, edit, order, (de)activate job descriptions
	ManageStructureRegistry Action = "offer.manage_registry"         // registry import, conventions, antennas, search visibility
)

var offerPolicies = map[Action]policy{
	EditStructure: {
		allow: func(a Actor, r Resource) bool {
			return isStructure(r) && (a.IsStaff() || actsForMemberOrg(a, r))
		},
	},
	ManageJobDescriptions: {
		allow: func(a Actor, r Resource) bool {
			return isStructure(r) && (a.IsStaff() || actsForMemberOrg(a, r))
		},
	},
	ManageStructureRegistry: {
		allow: func(a Actor, r Resource) bool {
			// An empty category asks about the registry as a whole (an import).
			return a.IsStaff() && (r.OrgCategory == "" || isStructure(r))
		},
	},
}
