// Package access decides who may do what. It is the only place where authorisation is
// decided: handlers and domain services describe the actor, the action and the resource, and
// ask Can. Anything not explicitly allowed by a rule below is denied.
//
// The package imports no domain package, so every domain can depend on it. Domain packages
// fill Actor and Resource from their own records.
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

// Action names something an actor wants to do.
type Action string

// The actions known so far. Later modules add theirs with their rules.
const (
	// Own account.
	ManageOwnAccount Action = "account.manage_own"

	// Organisations.
	ViewOrganisation   Action = "org.view"           // see an organisation's page and members
	ManageMembers      Action = "org.manage_members" // deactivate members, grant or remove admin
	InviteMember       Action = "org.invite"         // send and revoke invitations
	DecideJoinRequest  Action = "org.decide_join"    // accept or refuse a join request
	RequestToJoin      Action = "org.request_join"   // ask to join an organisation
	CreateOrganisation Action = "org.create"         // create an organisation at sign-up
	DecideHabilitation Action = "org.decide_habilitation"
	ListHabilitations  Action = "org.list_habilitations" // the queue of prescriber organisations to habilitate
	SwitchOrganisation Action = "org.switch"

	// Staff back office.
	StaffManageUsers         Action = "staff.users"
	StaffManageOrganisations Action = "staff.organisations"
	ViewAuditTrail           Action = "audit.view"

	// IAE registry and job offers (package offer). Reading public pages and searching need no
	// permission: they show no personal data.
	EditStructure           Action = "offer.edit_structure"          // public page, block flag, spontaneous applications
	ManageJobDescriptions   Action = "offer.manage_job_descriptions" // create, edit, order, (de)activate job descriptions
	ManageStructureRegistry Action = "offer.manage_registry"         // registry import, conventions, antennas, search visibility
)

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
}

// rule returns true to allow.
type rule func(a Actor, r Resource) bool

var rules = map[Action]rule{
	ManageOwnAccount: func(a Actor, r Resource) bool {
		return !a.Anonymous() && r.OwnerID == a.UserID
	},
	ViewOrganisation: func(a Actor, r Resource) bool {
		return a.IsStaff() || (a.Kind == Professional && r.Member)
	},
	ManageMembers: func(a Actor, r Resource) bool {
		return a.IsStaff() || isAdminOf(a, r)
	},
	InviteMember: func(a Actor, r Resource) bool {
		return a.IsStaff() || isAdminOf(a, r)
	},
	DecideJoinRequest: func(a Actor, r Resource) bool {
		return a.IsStaff() || isAdminOf(a, r)
	},
	RequestToJoin: func(a Actor, r Resource) bool {
		return a.Kind == Professional && !r.Member && r.OrgCategory != "institution"
	},
	CreateOrganisation: func(a Actor, r Resource) bool {
		// Professionals create prescriber and employer organisations at sign-up; State
		// services and financers are created by staff only. An empty category asks whether
		// the actor may create an organisation at all (checked before reading the form).
		switch r.OrgCategory {
		case "":
			return a.Kind == Professional || a.IsStaff()
		case "prescriber", "siae", "geiq":
			return a.Kind == Professional || a.IsStaff()
		case "institution", "financer":
			return a.IsStaff()
		}
		return false
	},
	DecideHabilitation: func(a Actor, r Resource) bool {
		if r.OrgCategory != "prescriber" {
			return false
		}
		if a.IsStaff() {
			return true
		}
		// The DDETS of the prescriber's département decides too (never for its own organisation).
		return isDDETS(a) && r.OrgDepartement != "" && r.OrgDepartement == a.OrgDepartement && r.OrgID != a.OrgID
	},
	ListHabilitations: func(a Actor, r Resource) bool {
		return a.IsStaff() || isDDETS(a)
	},
	SwitchOrganisation: func(a Actor, r Resource) bool {
		return a.Kind == Professional && r.Member
	},
	StaffManageUsers:         func(a Actor, r Resource) bool { return a.IsStaff() },
	StaffManageOrganisations: func(a Actor, r Resource) bool { return a.IsStaff() },
	ViewAuditTrail:           func(a Actor, r Resource) bool { return a.IsStaff() },
	EditStructure: func(a Actor, r Resource) bool {
		return isStructure(r) && (a.IsStaff() || actsForMemberOrg(a, r))
	},
	ManageJobDescriptions: func(a Actor, r Resource) bool {
		return isStructure(r) && (a.IsStaff() || actsForMemberOrg(a, r))
	},
	ManageStructureRegistry: func(a Actor, r Resource) bool {
		// An empty category asks about the registry as a whole (an import).
		return a.IsStaff() && (r.OrgCategory == "" || isStructure(r))
	},
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
	rule, ok := rules[act]
	if ok && rule(a, r) {
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
	out := make([]Action, 0, len(rules))
	for k := range rules {
		out = append(out, k)
	}
	return out
}
