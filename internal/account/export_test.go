package account

// Store functions exposed to the package's own tests.
var (
	UserByEmail            = userByEmail
	UserByID               = userByID
	ListSessions           = listSessions
	RemainingRecoveryCodes = remainingRecoveryCodes
)
