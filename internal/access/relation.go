package access

import "strings"

// Relations say how the actor, or the organisation they act for, stands to the person a
// resource is about (its subject). The domain package that loads the resource finds them in
// the same transaction as the read and hands them to the decision; a rule that needs a
// relation is false without it, so a forgotten lookup denies.
type Relations uint16

// The relations. Those of the modules still to come are declared now so that every module
// names them the same way; each gets its rules with its module.
const (
	// RelSelf: the subject is the actor.
	RelSelf Relations = 1 << iota
	// RelColleague: the subject is an active member of the organisation the actor acts for.
	RelColleague
	// RelJoinRequest: the subject asked to join the organisation the actor acts for.
	RelJoinRequest
	// RelApplicationReceived: the actor's organisation received an application of the subject.
	RelApplicationReceived
	// RelApplicationSent: the actor's organisation sent an application for the subject.
	RelApplicationSent
	// RelFollowUp: the actor's organisation follows the subject (a prescriber's job seekers).
	RelFollowUp
	// RelCaseload: the subject is in the adapted-support caseload of the actor's organisation.
	RelCaseload
	// RelDiagnosed: the actor's organisation made an eligibility diagnosis about the subject.
	RelDiagnosed
	// RelEmergency: the actor holds a live emergency access ("bris de glace") to the subject's
	// adapted-support record.
	RelEmergency
)

var relationNames = []string{"self", "colleague", "join_request", "application_received", "application_sent", "follow_up", "caseload", "diagnosed", "emergency"}

// Has tells whether every relation of q is in r.
func (r Relations) Has(q Relations) bool { return q != 0 && r&q == q }

// Any tells whether r holds at least one relation of q.
func (r Relations) Any(q Relations) bool { return r&q != 0 }

// String lists the relations as codes joined by "+" ("" when none), as stored in the audit trail.
func (r Relations) String() string {
	var names []string
	for i, n := range relationNames {
		if r&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}
