package access

// Organisations: membership, invitations, join requests, prescriber habilitation.
const (
	ViewOrganisation   Action = "org.view"           // see an organisation's page and members
	ManageMembers      Action = "org.manage_members" // deactivate members, grant or remove admin
	InviteMember       Action = "org.invite"         // send and revoke invitations
	DecideJoinRequest  Action = "org.decide_join"    // accept or refuse a join request
	RequestToJoin      Action = "org.request_join"   // ask to join an organisation
	CreateOrganisation Action = "org.create"         // create an organisation at sign-up
	DecideHabilitation Action = "org.decide_habilitation"
	ListHabilitations  Action = "org.list_habilitations" // the queue of prescriber organisations to habilitate
	SwitchOrganisation Action = "org.switch"
	// FindOrganisation: look an organisation up by SIRET before joining or creating one.
	FindOrganisation Action = "org.find"
	// StaffManageOrganisations: the staff back office of organisations (search, creation,
	// members added directly, join requests left without an admin).
	StaffManageOrganisations Action = "staff.organisations"
)

var orgPolicies = map[Action]policy{
	ViewOrganisation: {
		allow: func(a Actor, r Resource) bool {
			return a.IsStaff() || (a.Kind == Professional && r.Member)
		},
		purposes: []Purpose{PurposeAccounts},
	},
	ManageMembers: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() || isAdminOf(a, r) },
		purposes: []Purpose{PurposeAccounts},
	},
	InviteMember: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() || isAdminOf(a, r) },
		purposes: []Purpose{PurposeAccounts},
	},
	DecideJoinRequest: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() || isAdminOf(a, r) },
		purposes: []Purpose{PurposeAccounts},
	},
	RequestToJoin: {
		allow: func(a Actor, r Resource) bool {
			return a.Kind == Professional && !r.Member && r.OrgCategory != "institution"
		},
	},
	CreateOrganisation: {
		allow: func(a Actor, r Resource) bool {
			// Professionals create prescriber and employer organisations at sign-up; State
			// services and financers are created by staff only. An empty category asks whether
			// the actor may create an organisation at all (checked before reading the form).
			switch r.OrgCategory {
			case "", "prescriber", "siae", "geiq":
				return a.Kind == Professional || a.IsStaff()
			case "institution", "financer":
				return a.IsStaff()
			}
			return false
		},
	},
	FindOrganisation: {
		allow: func(a Actor, r Resource) bool { return a.Kind == Professional || a.IsStaff() },
	},
	DecideHabilitation: {
		allow: func(a Actor, r Resource) bool {
			if r.OrgCategory != "prescriber" {
				return false
			}
			if a.IsStaff() {
				return true
			}
			// The DDETS of the prescriber's département decides too (never for its own organisation).
			return isDDETS(a) && r.OrgDepartement != "" && r.OrgDepartement == a.OrgDepartement && r.OrgID != a.OrgID
		},
	},
	ListHabilitations: {
		allow: func(a Actor, r Resource) bool { return a.IsStaff() || isDDETS(a) },
	},
	SwitchOrganisation: {
		allow: func(a Actor, r Resource) bool { return a.Kind == Professional && r.Member },
	},
	StaffManageOrganisations: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() },
		purposes: []Purpose{PurposeAccounts},
	},
}
