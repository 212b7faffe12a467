package access

import "slices"

// Processing is one of the legal processings of personal data the platform runs. Every read of
// personal data states a purpose of the processing it belongs to; a purpose that is not
// declared below cannot be stated, so a new use of the data is a change here first.
type Processing string

// The processings.
const (
	// IAE is the plateforme de l'inclusion (arrêté of 7 April 2020).
	IAE Processing = "iae"
	// AdaptedSupport is the health-data processing for the adapted support of disabled job
	// seekers (Code du travail D5312-50 to -54).
	AdaptedSupport Processing = "support"
	// Platform is what both processings share: the accounts of their users and organisations,
	// and the security of the whole (GDPR art. 5.1.f and 32). DESIGN.md: both processings share
	// accounts, organisations and the audit trail.
	Platform Processing = "platform"
)

// Purpose is why personal data is read, as a code stored in the audit trail.
type Purpose string

// The purposes of the IAE processing: article 1 of the arrêté of 7 April 2020.
const (
	PurposeIAERegistry    Purpose = "iae.registry"    // 1° recenser l'offre d'insertion
	PurposeIAERecruitment Purpose = "iae.recruitment" // 2° faciliter le recrutement des personnes éligibles (agrément)
	PurposeIAEFollowUp    Purpose = "iae.follow_up"   // 3° alléger les démarches et suivre les parcours
	PurposeIAESteering    Purpose = "iae.steering"    // 4° suivre la performance et piloter
	PurposeIAETools       Purpose = "iae.tools"       // 5° outils numériques au service des parcours
	PurposeIAEAnalysis    Purpose = "iae.analysis"    // 6° analyser les publics bénéficiaires
)

// The purposes of the adapted-support processing: article D5312-50 of the Code du travail.
const (
	PurposeSupport           Purpose = "support.support"    // 1° information, accueil, orientation, accompagnement adapté
	PurposeSupportPlan       Purpose = "support.plan"       // 2° élaboration et suivi du PPAE
	PurposeSupportAids       Purpose = "support.aids"       // 3° attribution et paiement des aides, mobilisation des services
	PurposeSupportDocuments  Purpose = "support.documents"  // 4° gestion électronique des documents
	PurposeSupportStatistics Purpose = "support.statistics" // 5° statistiques et indicateurs de pilotage
)

// The purposes of what the processings share.
const (
	PurposeAccounts Purpose = "platform.accounts" // comptes des utilisateurs et organisations
	PurposeSecurity Purpose = "platform.security" // sécurité et contrôle des accès
)

// PurposeInfo describes a declared purpose.
type PurposeInfo struct {
	Code       Purpose
	Processing Processing
	// Label is the French wording shown to people (the access list of their record).
	Label string
	// Source is the text that declares it.
	Source string
}

var purposes = []PurposeInfo{
	{PurposeIAERegistry, IAE, "Recensement de l'offre d'insertion", "arrêté du 7 avril 2020, art. 1, 1°"},
	{PurposeIAERecruitment, IAE, "Recrutement des personnes éligibles à l'IAE", "arrêté du 7 avril 2020, art. 1, 2°"},
	{PurposeIAEFollowUp, IAE, "Démarches administratives et suivi des parcours", "arrêté du 7 avril 2020, art. 1, 3°"},
	{PurposeIAESteering, IAE, "Suivi de la performance et pilotage", "arrêté du 7 avril 2020, art. 1, 4°"},
	{PurposeIAETools, IAE, "Outils numériques au service des parcours", "arrêté du 7 avril 2020, art. 1, 5°"},
	{PurposeIAEAnalysis, IAE, "Analyse des publics bénéficiaires", "arrêté du 7 avril 2020, art. 1, 6°"},
	{PurposeSupport, AdaptedSupport, "Information, accueil, orientation et accompagnement adapté", "Code du travail, D5312-50, 1°"},
	{PurposeSupportPlan, AdaptedSupport, "Élaboration et suivi du projet personnalisé d'accès à l'emploi", "Code du travail, D5312-50, 2°"},
	{PurposeSupportAids, AdaptedSupport, "Attribution et paiement des aides, mobilisation des services", "Code du travail, D5312-50, 3°"},
	{PurposeSupportDocuments, AdaptedSupport, "Gestion électronique des documents", "Code du travail, D5312-50, 4°"},
	{PurposeSupportStatistics, AdaptedSupport, "Statistiques et indicateurs de pilotage", "Code du travail, D5312-50, 5°"},
	{PurposeAccounts, Platform, "Gestion des comptes et des organisations", "RGPD, art. 6.1.e (mission d'intérêt public)"},
	{PurposeSecurity, Platform, "Sécurité et contrôle des accès", "RGPD, art. 5.1.f et 32"},
}

// Purposes lists the declared purposes of a processing, in the order of their text.
func Purposes(p Processing) []PurposeInfo {
	var out []PurposeInfo
	for _, info := range purposes {
		if info.Processing == p {
			out = append(out, info)
		}
	}
	return out
}

// Info describes a purpose; ok is false for an undeclared one.
func (p Purpose) Info() (PurposeInfo, bool) {
	i := slices.IndexFunc(purposes, func(info PurposeInfo) bool { return info.Code == p })
	if i < 0 {
		return PurposeInfo{}, false
	}
	return purposes[i], true
}

// Label is the purpose's French wording, or its code when undeclared.
func (p Purpose) Label() string {
	if info, ok := p.Info(); ok {
		return info.Label
	}
	return string(p)
}
