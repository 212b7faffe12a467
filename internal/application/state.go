// Package application holds the applications ("candidatures") of job seekers to SIAE and GEIQ:
// who sends them, the workflow that moves them from sending to hiring, the refusal reasons,
// transfers, the automatic refusal and archiving, lists and exports.
//
// # Workflow
//
// An application is in one of nine states (State); the only way from one to another is a
// Transition of the table below (transitions.mermaid draws it), each recorded with who made
// it and when. Only members of the receiving structure move an application; the platform
// itself refuses the applications left untouched (reason "auto").
package application

import "slices"

// State is where an application stands.
type State string

// The nine states (les emplois de l'inclusion, §2.1).
const (
	New         State = "new"
	Processing  State = "processing"
	Postponed   State = "postponed"
	PriorToHire State = "prior_to_hire" // GEIQ: an action before hiring (PMSMP, pre-qualification)
	Accepted    State = "accepted"
	Refused     State = "refused"
	Cancelled   State = "cancelled" // hire cancelled
	Obsolete    State = "obsolete"  // the person was hired elsewhere
	Pool        State = "pool"      // kept for later ("vivier")
)

// States lists them in the order of the lists' filters.
func States() []State {
	return []State{New, Processing, Postponed, PriorToHire, Pool, Accepted, Refused, Cancelled, Obsolete}
}

// Label is the French name of the state.
func (s State) Label() string {
	switch s {
	case New:
		return "Nouvelle"
	case Processing:
		return "À l'étude"
	case Postponed:
		return "En attente"
	case PriorToHire:
		return "Action préalable à l'embauche"
	case Accepted:
		return "Acceptée"
	case Refused:
		return "Déclinée"
	case Cancelled:
		return "Embauche annulée"
	case Obsolete:
		return "Embauché ailleurs"
	case Pool:
		return "Vivier"
	}
	return string(s)
}

// Pending tells whether the application waits for the employer's answer.
func (s State) Pending() bool { return s == New || s == Processing || s == Postponed }

// Transition names a move of the workflow.
type Transition string

// The transitions (les emplois de l'inclusion, §2.2).
const (
	Process          Transition = "process"
	Postpone         Transition = "postpone"
	AddToPool        Transition = "add_to_pool"
	MovePriorToHire  Transition = "move_to_prior_to_hire"
	CancelPriorHire  Transition = "cancel_prior_to_hire"
	Accept           Transition = "accept"
	Refuse           Transition = "refuse"
	CancelHire       Transition = "cancel"
	RenderObsolete   Transition = "render_obsolete"
	Transfer         Transition = "transfer"
	Reset            Transition = "reset"
	ExternalTransfer Transition = "external_transfer"
	// Send is the first line of every history: the application's sending (no state before).
	Send Transition = "send"
)

// acceptable are the states an application can be accepted from (and transferred from).
var acceptable = []State{New, Pool, Processing, Postponed, PriorToHire, Obsolete, Refused, Cancelled}

// workflow maps each transition to the states it starts from and the state it leads to.
var workflow = map[Transition]struct {
	from []State
	to   State
}{
	Process:          {[]State{New, Pool}, Processing},
	Postpone:         {[]State{New, Pool, Processing, PriorToHire}, Postponed},
	AddToPool:        {[]State{New, Processing, Postponed, Cancelled, Obsolete}, Pool},
	MovePriorToHire:  {[]State{New, Pool, Processing, Postponed, Obsolete, Refused, Cancelled}, PriorToHire},
	CancelPriorHire:  {[]State{PriorToHire}, Processing},
	Accept:           {acceptable, Accepted},
	Refuse:           {[]State{New, Pool, Processing, PriorToHire, Postponed}, Refused},
	CancelHire:       {[]State{Accepted}, Cancelled},
	RenderObsolete:   {[]State{New, Processing, Postponed}, Obsolete},
	Transfer:         {acceptable, New},
	Reset:            {[]State{Obsolete}, New},
	ExternalTransfer: {[]State{Refused}, Refused},
}

// Transitions lists every transition.
func Transitions() []Transition {
	out := make([]Transition, 0, len(workflow))
	for t := range workflow {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Next returns the state t leads to from s, and whether t may start from s.
func Next(s State, t Transition) (State, bool) {
	w, ok := workflow[t]
	if !ok || !slices.Contains(w.from, s) {
		return s, false
	}
	return w.to, true
}

// Label is the French name of the transition, as the history shows it.
func (t Transition) Label() string {
	switch t {
	case Process:
		return "Mise à l'étude"
	case Postpone:
		return "Mise en attente"
	case AddToPool:
		return "Ajout au vivier"
	case MovePriorToHire:
		return "Action préalable à l'embauche"
	case CancelPriorHire:
		return "Fin de l'action préalable"
	case Accept:
		return "Embauche"
	case Refuse:
		return "Refus"
	case CancelHire:
		return "Annulation de l'embauche"
	case RenderObsolete:
		return "Embauché ailleurs"
	case Transfer:
		return "Transfert"
	case Reset:
		return "Remise à l'état nouveau"
	case ExternalTransfer:
		return "Envoi à une autre structure"
	case Send:
		return "Candidature envoyée"
	}
	return string(t)
}

// RefusalReason is why an employer declined an application.
type RefusalReason string

// The current reasons (§2.3), and those kept for the history.
const (
	ReasonDidNotCome          RefusalReason = "did_not_come"
	ReasonDidNotComeInterview RefusalReason = "did_not_come_to_interview"
	ReasonHiredElsewhere      RefusalReason = "hired_elsewhere"
	ReasonTraining            RefusalReason = "training"
	ReasonNonEligible         RefusalReason = "non_eligible"
	ReasonNotMobile           RefusalReason = "not_mobile"
	ReasonNotInterested       RefusalReason = "not_interested"
	ReasonLackingSkills       RefusalReason = "lacking_skills"
	ReasonIncompatible        RefusalReason = "incompatible"
	ReasonPreventObjectives   RefusalReason = "prevent_objectives"
	ReasonNoPosition          RefusalReason = "no_position"
	ReasonDuplicate           RefusalReason = "duplicate"
	ReasonOther               RefusalReason = "other"
	// ReasonAuto is the platform's: the application was left untouched 60 days.
	ReasonAuto RefusalReason = "auto"
	// Historical reasons, shown on old applications, never offered.
	ReasonApprovalExpirationTooClose RefusalReason = "approval_expiration_too_close"
	ReasonUnavailable                RefusalReason = "unavailable"
	ReasonEligibilityDoubt           RefusalReason = "eligibility_doubt"
	ReasonDeactivation               RefusalReason = "deactivation"
	ReasonPoorlyInformed             RefusalReason = "poorly_informed"
)

var reasonLabels = map[RefusalReason]string{
	ReasonDidNotCome:                 "Candidat non joignable",
	ReasonDidNotComeInterview:        "Candidat ne s'étant pas présenté à l'entretien",
	ReasonHiredElsewhere:             "Candidat indisponible (en emploi)",
	ReasonTraining:                   "Candidat indisponible (en formation)",
	ReasonNonEligible:                "Candidat non éligible",
	ReasonNotMobile:                  "Candidat non mobile",
	ReasonNotInterested:              "Candidat non intéressé",
	ReasonLackingSkills:              "Le candidat n'a pas les compétences requises pour le poste",
	ReasonIncompatible:               "Un des freins à l'emploi du candidat est incompatible avec le poste proposé",
	ReasonPreventObjectives:          "L'embauche du candidat empêche la réalisation des objectifs du dialogue de gestion",
	ReasonNoPosition:                 "Pas de recrutement en cours",
	ReasonDuplicate:                  "Candidature en doublon",
	ReasonOther:                      "Autre",
	ReasonAuto:                       "Candidature sans réponse depuis 60 jours",
	ReasonApprovalExpirationTooClose: "La date de fin du PASS IAE est trop proche",
	ReasonUnavailable:                "Candidat indisponible ou non intéressé par le poste",
	ReasonEligibilityDoubt:           "Doute sur l'éligibilité du candidat",
	ReasonDeactivation:               "La structure n'est plus conventionnée",
	ReasonPoorlyInformed:             "Candidature pas assez renseignée",
}

// Label is the reason's French wording.
func (r RefusalReason) Label() string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return string(r)
}

// RefusalReasons lists the reasons an employer may choose, for a structure of that kind:
// a GEIQ neither refers to the dialogue de gestion nor checks IAE eligibility.
func RefusalReasons(kind string) []RefusalReason {
	out := []RefusalReason{ReasonDidNotCome, ReasonDidNotComeInterview, ReasonHiredElsewhere, ReasonTraining, ReasonNonEligible,
		ReasonNotMobile, ReasonNotInterested, ReasonLackingSkills, ReasonIncompatible, ReasonPreventObjectives, ReasonNoPosition,
		ReasonDuplicate, ReasonOther}
	if kind == "GEIQ" {
		out = slices.DeleteFunc(out, func(r RefusalReason) bool { return r == ReasonPreventObjectives || r == ReasonNonEligible })
	}
	return out
}
