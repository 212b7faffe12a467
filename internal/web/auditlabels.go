package web

import "strings"

// The audit trail stores codes (action, outcome, object type); staff read French labels. A
// code without a label is shown as is: the test in auditlabels_internal_test.go lists the
// codes the domain packages record and fails on one without its label here.

var auditActions = map[string]string{
	// Accounts and sessions.
	"account.signup":            "Inscription",
	"account.created":           "Création d'un compte",
	"account.email_verified":    "Confirmation de l'adresse e-mail",
	"account.profile_updated":   "Modification du profil",
	"account.disabled":          "Désactivation d'un compte",
	"account.enabled":           "Réactivation d'un compte",
	"account.inactivity_warned": "Avertissement d'inactivité",
	"account.deleted":           "Suppression d'un compte inactif",
	"account.anonymised":        "Anonymisation d'un compte inactif",
	"login.password":            "Connexion par mot de passe",
	"login.failure":             "Échec de connexion",
	"login.mfa":                 "Double authentification",
	"logout":                    "Déconnexion",
	"session.revoked":           "Fermeture d'une session",
	"password.changed":          "Changement de mot de passe",
	"password.reset_requested":  "Demande de réinitialisation du mot de passe",
	"password.reset":            "Réinitialisation du mot de passe",
	"mfa.enabled":               "Activation de la double authentification",
	"mfa.disabled":              "Désactivation de la double authentification",
	"mfa.recovery_codes":        "Nouveaux codes de secours",
	"terms.accepted":            "Acceptation des conditions d'utilisation",
	// Organisations.
	"org.created":              "Création d'une organisation",
	"org.join_requested":       "Demande d'adhésion",
	"org.join_decided":         "Décision sur une demande d'adhésion",
	"org.invitation_sent":      "Envoi d'une invitation",
	"org.invitation_revoked":   "Annulation d'une invitation",
	"org.invitation_accepted":  "Acceptation d'une invitation",
	"org.member_added":         "Ajout d'un membre",
	"org.member_deactivated":   "Désactivation d'un membre",
	"org.member_reactivated":   "Réactivation d'un membre",
	"org.admin_granted":        "Rôle d'administrateur accordé",
	"org.admin_removed":        "Rôle d'administrateur retiré",
	"org.habilitation_decided": "Décision d'habilitation",
	// Registry.
	"offer.registry_imported":                "Import du registre des structures",
	"offer.registry_created":                 "Création d'une structure par le registre",
	"offer.registry_updated":                 "Mise à jour d'une structure par le registre",
	"offer.structure_created":                "Création de la fiche d'une structure",
	"offer.structure_updated":                "Modification de la fiche d'une structure",
	"offer.searchable_changed":               "Visibilité dans les recherches changée",
	"offer.applications_blocked":             "Candidatures bloquées",
	"offer.applications_unblocked":           "Candidatures débloquées",
	"offer.spontaneous_opened":               "Candidatures spontanées ouvertes",
	"offer.spontaneous_closed":               "Candidatures spontanées fermées",
	"offer.spontaneous_auto_closed":          "Candidatures spontanées fermées au bout de 90 jours",
	"offer.job_description_created":          "Création d'une fiche de poste",
	"offer.job_description_updated":          "Modification d'une fiche de poste",
	"offer.job_description_confirmed":        "Fiche de poste confirmée",
	"offer.job_description_activated":        "Activation d'une fiche de poste",
	"offer.job_description_deactivated":      "Désactivation d'une fiche de poste",
	"offer.job_description_stale_warned":     "Avertissement : fiche de poste à mettre à jour",
	"offer.job_description_auto_deactivated": "Fiche de poste désactivée faute de mise à jour",
	"offer.job_descriptions_reordered":       "Fiches de poste réordonnées",
	// Job seekers and applications.
	"account.created_by_proxy":          "Ouverture d'un compte candidat par un professionnel",
	"jobseeker.created":                 "Création du dossier d'un candidat",
	"jobseeker.updated":                 "Modification du dossier d'un candidat",
	"jobseeker.followed":                "Suivi d'un candidat retrouvé par son numéro de sécurité sociale",
	"jobseeker.erased":                  "Effacement du dossier d'un candidat",
	"application.hire_changed":          "Modification d'une embauche avant le début du contrat",
	"application.sent":                  "Envoi d'une candidature",
	"application.process":               "Candidature mise à l'étude",
	"application.postpone":              "Candidature mise en attente",
	"application.add_to_pool":           "Candidature ajoutée au vivier",
	"application.refuse":                "Candidature déclinée",
	"application.accept":                "Embauche",
	"application.cancel":                "Embauche annulée",
	"application.transfer":              "Candidature transférée",
	"application.reset":                 "Candidature de nouveau à traiter",
	"application.auto_refused":          "Refus automatique des candidatures sans réponse depuis 60 jours",
	"application.archive":               "Candidature archivée",
	"application.unarchive":             "Candidature désarchivée",
	"application.move_to_prior_to_hire": "Action préalable à l'embauche (GEIQ)",
	"application.cancel_prior_to_hire":  "Fin des actions préalables à l'embauche",
	"application.prior_action_added":    "Action préalable à l'embauche ajoutée",
	"application.prior_action_deleted":  "Action préalable à l'embauche supprimée",
	"account.notifications":             "Préférences de notification modifiées",
	// Eligibility.
	"eligibility.diagnosis_made": "Diagnostic d'éligibilité à l'IAE",
	// PASS IAE.
	"approval.hire_moved":             "PASS IAE déplacé avec la date de début du contrat",
	"approval.issued":                 "PASS IAE délivré",
	"approval.cancelled":              "PASS IAE annulé avec l'embauche",
	"approval.registered":             "PASS IAE antérieur enregistré",
	"approval.reused":                 "PASS IAE repris par une nouvelle embauche",
	"approval.delivery_queued":        "PASS IAE à délivrer manuellement",
	"approval.suspended":              "PASS IAE suspendu",
	"approval.suspension_ended":       "Fin de suspension du PASS IAE",
	"approval.prolonged":              "PASS IAE prolongé",
	"approval.prolongation_requested": "Prolongation du PASS IAE demandée",
	"approval.prolongation_granted":   "Prolongation du PASS IAE accordée",
	"approval.prolongation_denied":    "Prolongation du PASS IAE refusée",
	"approval.interrupted":            "Parcours IAE interrompu",
	"approval.verified":               "Vérification publique d'un PASS IAE",
	// Adapted support (health data).
	"support.opened":                 "Ouverture d'un accompagnement adapté",
	"support.updated":                "Modification d'un accompagnement adapté",
	"support.closed":                 "Fin d'un accompagnement adapté",
	"support.follower_added":         "Organisation ajoutée au suivi d'un accompagnement adapté",
	"support.follower_ended":         "Fin du suivi d'un accompagnement adapté par une organisation",
	"support.referent_changed":       "Changement de conseiller référent",
	"support.hold_set":               "Conservation suspendue pour contentieux",
	"support.hold_lifted":            "Fin de la suspension pour contentieux",
	"support.proof_stored":           "Dépôt du justificatif d'obligation d'emploi",
	"support.break_glass":            "Accès d'urgence (bris de glace)",
	"support.break_glass_reviewed":   "Revue d'un accès d'urgence",
	"support.habilitation_granted":   "Habilitation « accompagnement adapté » accordée",
	"support.habilitation_withdrawn": "Habilitation « accompagnement adapté » retirée",
	"support.request_rectification":  "Demande de rectification",
	"support.request_restriction":    "Demande de limitation du traitement",
	"support.request_handled":        "Demande de la personne traitée",
	"support.restriction_lifted":     "Limitation du traitement levée",
	"support.purged":                 "Purge des données de santé (durée de conservation échue)",
	"support.erased":                 "Effacement des données de santé",
	// Aids and services of the adapted support.
	"support.aid_requested":      "Demande d'une aide",
	"support.aid_instructed":     "Instruction d'une aide",
	"support.aid_granted":        "Aide accordée",
	"support.aid_refused":        "Aide refusée",
	"support.aid_cancelled":      "Aide annulée",
	"support.aid_ordered":        "Aide mise en paiement",
	"support.aid_paid":           "Aide payée",
	"support.aid_batch_exported": "Lot de virements SEPA créé",
	"support.aid_batch_paid":     "Lot de virements marqué payé",
	"support.document_stored":    "Dépôt d'un document d'accompagnement adapté",
	"support.document_sent":      "Document transmis par la personne",
	"support.document_deleted":   "Suppression d'un document d'accompagnement adapté",
	"support.document_expired":   "Suppression d'un document (durée de conservation échue)",
	"support.plan_saved":         "Nouvelle version d'un plan d'accompagnement",
	"support.plan_acknowledged":  "Prise de connaissance d'un plan d'accompagnement",
	"support.plan_reminded":      "Rappel d'une échéance dépassée d'un plan d'accompagnement",
}

// readWhats name what a read ("read." + access.Request.What) was about.
var readWhats = map[string]string{
	"account":                    "d'un compte",
	"accounts.search":            "de la liste des comptes",
	"account.memberships":        "des organisations d'un compte",
	"account.names":              "des noms de comptes du journal",
	"audit.events":               "du journal d'audit",
	"organisation.members":       "des membres d'une organisation",
	"organisation.join_requests": "des demandes d'adhésion",
	"jobseeker.profile":          "du dossier d'un candidat",
	"jobseeker.followed":         "de la liste des candidats suivis",
	"application":                "d'une candidature",
	"application.list":           "d'une liste de candidatures",
	"application.cv":             "du CV d'une candidature",
	"application.export":         "d'un export de candidatures",
	"application.counts":         "du décompte des candidatures",
	"eligibility.status":         "de l'éligibilité d'un candidat",
	"eligibility.diagnosis":      "d'un diagnostic d'éligibilité",
	"approval":                   "d'un PASS IAE",
	"approval.person":            "des PASS IAE d'un candidat",
	"approval.structure":         "des PASS IAE d'une structure",
	"approval.attestation":       "de l'attestation d'un PASS IAE",
	"approval.requests":          "des demandes de prolongation",
	"approval.request":           "d'une demande de prolongation",
	"approval.deliveries":        "des PASS IAE à délivrer",
	"support.record":             "d'un accompagnement adapté (données de santé)",
	"support.proof":              "du justificatif d'obligation d'emploi",
	"support.caseload":           "de la file active d'accompagnement adapté",
	"support.accesses":           "de la liste des accès à son dossier",
	"support.habilitations":      "des habilitations « accompagnement adapté »",
	"support.emergencies":        "des accès d'urgence à examiner",
	// Aids and services of the adapted support.
	"support.aids":               "des aides d'une personne",
	"support.aid_letter":         "d'une lettre de décision d'aide",
	"support.aid_payments":       "des aides à payer et des lots de virements",
	"support.aid_batch":          "d'un fichier de virements SEPA",
	"support.aid_ledger":         "du bilan des aides par financeur",
	"support.aid_funder_files":   "des dossiers d'aide adressés au financeur",
	"support.documents":          "des documents d'un accompagnement adapté",
	"support.document":           "d'un document d'accompagnement adapté",
	"support.statistics":         "des indicateurs de l'accompagnement adapté",
	"support.statistics_extract": "de l'extrait statistique pseudonymisé",
	"support.plan":               "d'un plan d'accompagnement (PPAE)",
	"support.plan_pdf":           "du PDF d'un plan d'accompagnement",
}

// auditActionLabel is the French label of an action code, and whether it has one.
func auditActionLabel(code string) (string, bool) {
	if what, ok := strings.CutPrefix(code, "read."); ok {
		if l, ok := readWhats[what]; ok {
			return "Consultation " + l, true
		}
		return "Consultation (" + what + ")", false
	}
	if l, ok := auditActions[code]; ok {
		return l, true
	}
	return code, false
}

var auditOutcomes = map[string]string{"ok": "Réussie", "denied": "Refusée", "failed": "Échouée"}

// auditObjectTypes name what an entry is about.
var auditObjectTypes = map[string]string{
	"user":             "Compte",
	"organisation":     "Organisation",
	"structure":        "Structure",
	"job_description":  "Fiche de poste",
	"person":           "Personne",
	"list":             "Liste",
	"registry_file":    "Fichier du registre",
	"account":          "Compte",
	"emergency_access": "Accès d'urgence",
}

// auditRelations name how the reader's organisation stood to the person read about.
var auditRelations = map[string]string{
	"self":                 "la personne elle-même",
	"colleague":            "collègue",
	"join_request":         "demande d'adhésion",
	"application_received": "candidature reçue",
	"application_sent":     "candidature envoyée",
	"follow_up":            "suivi",
	"caseload":             "portefeuille",
	"diagnosed":            "diagnostic d'éligibilité fait",
	"emergency":            "accès d'urgence",
}

// auditFields name the fields of a structure's public page that an update changed.
var auditFields = map[string]string{
	"brand":            "enseigne",
	"address":          "adresse",
	"commune":          "commune",
	"position":         "position",
	"phone":            "téléphone",
	"email":            "e-mail",
	"website":          "site internet",
	"description":      "présentation",
	"provided_support": "accompagnement proposé",
}
