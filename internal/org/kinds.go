// Package org holds organisations (SIAE, GEIQ, prescribers, State services, financers),
// memberships, invitations, join requests and the habilitation of prescribers.
package org

import (
	"slices"

	"parcours/internal/access"
)

// Category groups kinds of organisation by what their members do on the platform.
type Category string

// The categories.
const (
	SIAE        Category = "siae"
	GEIQ        Category = "geiq"
	Prescriber  Category = "prescriber"
	Institution Category = "institution"
	Financer    Category = "financer"
)

// KindInfo describes a kind of organisation.
type KindInfo struct {
	Code     string
	Label    string
	Category Category
	// SelfSignup tells whether a professional may create one at sign-up. State services,
	// financers and France Travail agencies are created by staff (or synchronised).
	SelfSignup bool
}

// Kinds is the catalogue. Prescriber kinds follow les-emplois (reference/les-emplois.md §1.2).
var kinds = []KindInfo{
	{"EI", "Entreprise d'insertion (EI)", SIAE, true},
	{"AI", "Association intermédiaire (AI)", SIAE, true},
	{"ACI", "Atelier et chantier d'insertion (ACI)", SIAE, true},
	{"ETTI", "Entreprise de travail temporaire d'insertion (ETTI)", SIAE, true},
	{"EITI", "Entreprise d'insertion par le travail indépendant (EITI)", SIAE, true},
	{"GEIQ", "Groupement d'employeurs pour l'insertion et la qualification (GEIQ)", GEIQ, true},

	{"FT", "France Travail", Prescriber, false},
	{"CAP_EMPLOI", "Cap emploi", Prescriber, true},
	{"ML", "Mission locale", Prescriber, true},
	{"DEPT", "Service social du conseil départemental", Prescriber, true},
	{"SPIP", "Service pénitentiaire d'insertion et de probation (SPIP)", Prescriber, true},
	{"CCAS", "Centre communal ou intercommunal d'action sociale (CCAS, CIAS)", Prescriber, true},
	{"CHRS", "Centre d'hébergement et de réinsertion sociale (CHRS)", Prescriber, true},
	{"CHU", "Centre d'hébergement d'urgence (CHU)", Prescriber, true},
	{"AFPA", "Agence nationale pour la formation professionnelle des adultes (AFPA)", Prescriber, true},
	{"ASE", "Aide sociale à l'enfance (ASE)", Prescriber, true},
	{"CAARUD", "Centre d'accueil et d'accompagnement à la réduction des risques pour usagers de drogues (CAARUD)", Prescriber, true},
	{"CADA", "Centre d'accueil de demandeurs d'asile (CADA)", Prescriber, true},
	{"CAF", "Caisse d'allocations familiales (CAF)", Prescriber, true},
	{"CAVA", "Centre d'adaptation à la vie active (CAVA)", Prescriber, true},
	{"CIDFF", "Centre d'information sur les droits des femmes et des familles (CIDFF)", Prescriber, true},
	{"CPH", "Centre provisoire d'hébergement (CPH)", Prescriber, true},
	{"CSAPA", "Centre de soins, d'accompagnement et de prévention en addictologie (CSAPA)", Prescriber, true},
	{"E2C", "École de la deuxième chance (E2C)", Prescriber, true},
	{"EPIDE", "Établissement pour l'insertion dans l'emploi (EPIDE)", Prescriber, true},
	{"HUDA", "Hébergement d'urgence pour demandeurs d'asile (HUDA)", Prescriber, true},
	{"MSA", "Mutualité sociale agricole (MSA)", Prescriber, true},
	{"OACAS", "Organisme d'accueil communautaire et d'activités solidaires (OACAS)", Prescriber, true},
	{"OIL", "Opérateur d'intermédiation locative (OIL)", Prescriber, true},
	{"ODC", "Organisation délégataire d'un conseil départemental (ODC)", Prescriber, true},
	{"OHPD", "Organisation habilitée par le préfet de département (OHPD)", Prescriber, false},
	{"OCASF", "Structure relevant de l'article L312-1 8° du CASF", Prescriber, false},
	{"PENSION", "Pension de famille, résidence accueil", Prescriber, true},
	{"PIJ_BIJ", "Point ou bureau information jeunesse (PIJ, BIJ)", Prescriber, true},
	{"PJJ", "Protection judiciaire de la jeunesse (PJJ)", Prescriber, true},
	{"PLIE", "Plan local pour l'insertion et l'emploi (PLIE)", Prescriber, true},
	{"RS_FJT", "Résidence sociale, foyer de jeunes travailleurs (RS, FJT)", Prescriber, true},
	{"PREVENTION", "Service ou club de prévention spécialisée", Prescriber, true},
	{"ORIENTEUR", "Organisation orienteuse", Prescriber, false},
	{"AUTRE", "Autre organisation", Prescriber, true},

	{"DDETS_IAE", "DDETS — insertion par l'activité économique", Institution, false},
	{"DDETS_GEIQ", "DDETS — GEIQ", Institution, false},
	{"DREETS_IAE", "DREETS — insertion par l'activité économique", Institution, false},
	{"DREETS_GEIQ", "DREETS — GEIQ", Institution, false},
	{"DGEFP_IAE", "DGEFP — insertion par l'activité économique", Institution, false},
	{"DGEFP_GEIQ", "DGEFP — GEIQ", Institution, false},

	{"AGEFIPH", "Agefiph", Financer, false},
	{"FIPHFP", "FIPHFP", Financer, false},
}

// Kinds returns the whole catalogue.
func Kinds() []KindInfo { return slices.Clone(kinds) }

// Kind returns the description of a kind code.
func Kind(code string) (KindInfo, bool) {
	for _, k := range kinds {
		if k.Code == code {
			return k, true
		}
	}
	return KindInfo{}, false
}

// SignupKinds returns the kinds a professional may create, employers first, then prescribers
// in alphabetical order of label with "Autre" last.
func SignupKinds() []KindInfo {
	var out []KindInfo
	for _, k := range kinds {
		if k.SelfSignup {
			out = append(out, k)
		}
	}
	return out
}

// Role returns what a member acts as in an organisation of this category and habilitation.
func Role(c Category, h Habilitation) access.Role {
	switch c {
	case SIAE, GEIQ:
		return access.Employer
	case Prescriber:
		if h == Validated {
			return access.AuthorizedPrescriber
		}
		return access.Prescriber
	case Institution:
		return access.InstitutionAgent
	case Financer:
		return access.Financer
	}
	return access.NoRole
}

// RoleLabel is the French name of a role.
func RoleLabel(r access.Role) string {
	switch r {
	case access.Employer:
		return "employeur"
	case access.Prescriber:
		return "prescripteur"
	case access.AuthorizedPrescriber:
		return "prescripteur habilité"
	case access.InstitutionAgent:
		return "agent de l'État"
	case access.Financer:
		return "financeur"
	}
	return "sans rôle"
}

// Habilitation is the status of a prescriber organisation's authorisation to prescribe IAE
// parcours and make eligibility diagnoses.
type Habilitation string

// The statuses. Non-prescriber organisations have none ("").
const (
	NotSet      Habilitation = "NOT_SET"
	Validated   Habilitation = "VALIDATED"
	Refused     Habilitation = "REFUSED"
	NotRequired Habilitation = "NOT_REQUIRED"
)

// Label is the French name of a status.
func (h Habilitation) Label() string {
	switch h {
	case NotSet:
		return "en attente de vérification"
	case Validated:
		return "habilitée"
	case Refused:
		return "habilitation refusée"
	case NotRequired:
		return "non habilitée (orienteur)"
	}
	return ""
}
