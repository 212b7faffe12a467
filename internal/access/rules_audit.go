package access

// The audit trail.
const (
	// ViewAuditTrail: read the audit trail (staff with MFA). Reading it is itself recorded.
	ViewAuditTrail Action = "audit.view"
)

var auditPolicies = map[Action]policy{
	ViewAuditTrail: {
		allow:    func(a Actor, r Resource) bool { return a.IsStaff() },
		purposes: []Purpose{PurposeSecurity},
	},
}
