// Package access decides who may do what. It is the only place where authorisation is
// decided: domain services describe the actor, the action and the resource, and ask Can.
// Anything not explicitly allowed by a rule is denied. Each domain's rules are in their own
// file (rules_account.go, rules_org.go, rules_offer.go, rules_audit.go, rules_jobseeker.go,
// rules_application.go, rules_eligibility.go, rules_approval.go, rules_support.go).
//
// # One way in to personal data
//
// A read of personal data goes through Read, which decides with the person concerned (the
// subject), the relation of the actor's organisation to that person and the purpose stated
// from the declared list of the processing (purpose.go), then writes the audit entry in the
// read's own transaction: if the entry cannot be written, nothing is returned. Domain packages
// export no function that reads personal data without taking the actor (the test
// internal/app/oneway_test.go fails otherwise); web and api hold services, never the database.
//
// The package imports no domain package, so every domain can depend on it. Domain packages
// fill Actor and Resource from their own records; the audit trail is reached through the
// Journal interface that package audit implements.
package access

import (
	"fmt"

	"github.com/google/uuid"

	"parcours/internal/fault"
)

// UserKind is the kind of account.
type UserKind string

// The three kinds of account.
const (
	JobSeeker    UserKind = "job_seeker"
	Professional UserKind = "professional"
	Staff        UserKind = "staff"
)

// Role is what a professional acts as, derived from the organisation currently chosen in the
// organisation switcher.
type Role string

// The roles.
const (
	NoRole               Role = ""
	Employer             Role = "employer"              // member of an SIAE or GEIQ
	Prescriber           Role = "prescriber"            // member of a prescriber organisation not (yet) habilitated
	AuthorizedPrescriber Role = "authorized_prescriber" // member of a habilitated prescriber organisation
	InstitutionAgent     Role = "institution"           // DDETS, DREETS, DGEFP
	Financer             Role = "financer"              // AGEFIPH, FIPHFP (recipients under D5312-52)
)

// Actor is who is asking: a user, the organisation they currently act for, and their role there.
// The zero Actor is an anonymous visitor.
type Actor struct {
	UserID uuid.UUID
	Kind   UserKind
	// MFA is true when the session passed a second factor.
	MFA bool
	// OrgID is the current organisation (uuid.Nil when none), with its kind, département and
	// the actor's role and admin flag there.
	OrgID          uuid.UUID
	OrgKind        string
	OrgDepartement string
	Role           Role
	OrgAdmin       bool
	// InstitutionScope names which State service the current organisation is (e.g. DDETS_IAE),
	// for rules that depend on it.
	InstitutionScope string
}

// Anonymous tells whether nobody is logged in.
func (a Actor) Anonymous() bool { return a.UserID == uuid.Nil }

// IsStaff tells whether the actor is platform staff who passed MFA. Staff without MFA have no
// staff power at all.
func (a Actor) IsStaff() bool { return a.Kind == Staff && a.MFA }

// Action names something an actor wants to do. Each action has one policy, declared in the
// rules file of its domain (rules_account.go, rules_org.go, …): who may, and for which purposes
// a read under it may be made.
type Action string

// Resource is what the action is about. Only the fields a rule needs are filled.
type Resource struct {
	// OrgID is the organisation the resource belongs to (or is).
	OrgID uuid.UUID
	// OrgKind and OrgDepartement describe that organisation.
	OrgKind        string
	OrgDepartement string
	// OrgCategory is siae, geiq, prescriber, institution or financer.
	OrgCategory string
	// OwnerID is the user the resource belongs to (an account, a session).
	OwnerID uuid.UUID
	// Member is true when the actor is an active member of OrgID (filled by the caller from
	// the membership table, for actions on organisations other than the current one).
	Member bool
	// Subject is the person the resource is about (an account today; a job seeker or a
	// supported person in the modules to come); uuid.Nil for a list of several people.
	Subject uuid.UUID
	// Relations say how the actor's organisation stands to Subject (see Relations).
	Relations Relations
	// Habilitated is true when the actor holds the "accompagnement adapté" habilitation in the
	// organisation they act for (filled by package support from its own table).
	Habilitated bool
}

// rule returns true to allow.
type rule func(a Actor, r Resource) bool

// policy is what an action's rules file declares.
type policy struct {
	allow rule
	// purposes are those a read under this action may state (see Read); empty for actions
	// that only change data.
	purposes []Purpose
}

// policies holds every action's policy, gathered once from the rules files; never changed after.
var policies = gather(accountPolicies, orgPolicies, offerPolicies, auditPolicies, jobSeekerPolicies, applicationPolicies, eligibilityPolicies, approvalPolicies, supportPolicies, supportAidPolicies, supportDocumentPolicies, supportPlanPolicies)

func gather(files ...map[Action]policy) map[Action]policy {
	out := map[Action]policy{}
	for _, f := range files {
		for act, p := range f {
			if _, dup := out[act]; dup {
				panic("access: action " + string(act) + " declared twice")
			}
			for _, purpose := range p.purposes {
				if _, ok := purpose.Info(); !ok {
					panic("access: action " + string(act) + " states undeclared purpose " + string(purpose))
				}
			}
			out[act] = p
		}
	}
	return out
}

// isStructure tells whether the resource is an SIAE or a GEIQ, the organisations with a public
// page and job descriptions.
func isStructure(r Resource) bool { return r.OrgCategory == "siae" || r.OrgCategory == "geiq" }

// actsForMemberOrg: a professional acting for this very organisation, of which they are an
// active member (any member, not only admins, edits the public page and job descriptions).
func actsForMemberOrg(a Actor, r Resource) bool {
	return a.Kind == Professional && r.OrgID != uuid.Nil && a.OrgID == r.OrgID && r.Member
}

func isAdminOf(a Actor, r Resource) bool {
	return a.Kind == Professional && r.OrgID != uuid.Nil && a.OrgID == r.OrgID && a.OrgAdmin && r.Member
}

func isDDETS(a Actor) bool {
	return a.Kind == Professional && a.Role == InstitutionAgent && (a.InstitutionScope == "DDETS_IAE")
}

// Can returns nil when the actor may perform the action on the resource. Otherwise it returns
// an error wrapping fault.Unauthenticated (anonymous actor) or fault.Forbidden.
func Can(a Actor, act Action, r Resource) error {
	p, ok := policies[act]
	if ok && p.allow(a, r) {
		return nil
	}
	if a.Anonymous() {
		return fmt.Errorf("%s : %w", act, fault.Unauthenticated)
	}
	return fmt.Errorf("%s : %w", act, fault.Forbidden)
}

// Allowed is Can as a boolean, for templates deciding whether to show a button. The action
// itself still calls Can.
func Allowed(a Actor, act Action, r Resource) bool { return Can(a, act, r) == nil }

// Actions lists every action that has a rule, for the generated route test.
func Actions() []Action {
	out := make([]Action, 0, len(policies))
	for k := range policies {
		out = append(out, k)
	}
	return out
}
