package access

// Accounts: a person's own account, and the staff back office of accounts.
const (
	// ManageOwnAccount: read and change one's own account (profile, password, sessions, second
	// factor, terms).
	ManageOwnAccount Action = "account.manage_own"
	// StaffManageUsers: find, read, disable and re-enable any account (staff with MFA).
	StaffManageUsers Action = "staff.users"
)

var accountPolicies = map[Action]policy{
	ManageOwnAccount: {
		allow: func(a Actor, r Resource) bool {
			return !a.Anonymous() && r.OwnerID == a.UserID
		},
		purposes: []Purpose{PurposeAccounts},
	},
	StaffManageUsers: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() },
		purposes: []Purpose{PurposeAccounts, PurposeSecurity},
	},
}
