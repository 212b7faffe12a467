// Package support keeps the adapted support of disabled job seekers (Code du travail D5312-50
// to -54): the support record, the caseload of the organisations following the person, and
// the health data, limited to the five categories of D5312-51.
//
// # Who
//
// Members of France Travail agencies and Cap emploi organisations who hold the "accompagnement
// adapté" habilitation of their organisation (granted and withdrawn by its admin), passed a
// second factor, and act for an organisation that has the person in its caseload. France
// Travail and Cap emploi are joint controllers: both see the record while both follow the
// person. An emergency access ("bris de glace") is the only exception: a reason, four hours,
// a review by the admin of the advisor's organisation. The rules are in access/rules_support.go.
//
// # Every read is audited
//
// Every read goes through access.Read with one of the purposes of D5312-50 and writes its
// audit entry in the read's transaction: no purpose, no read; an audit failure fails the read.
// Every change asks access.Can and commits with its audit entry. The person sees who accessed
// their record, when and for which purpose (Accesses), from the same trail.
//
// # Encryption
//
// The title and the health data, the person's requests, the reasons of emergency accesses and
// the title's document are sealed under one data key per record (subject "support:<record>"),
// wrapped by the keyring's master key, and bound to their table, column and row. A record's
// key is not the person's IAE key: the purge shreds the health data of one support without
// touching the rest of the person's file, and a later support gets a fresh key.
//
// # The plan
//
// The plan (PPAE, "contrat d'engagement", D5312-50 2°; plan*.go) is saved as versions: each
// saved change makes one, with who, when and which sections changed, and the person's
// acknowledgement of it (in person, on signed paper, or online from their own page). Each
// version's content is sealed whole under the same record key, bound to its row (record and
// version); the due dates of its actions and reviews are kept in clear (dates only) so that the
// daily reminder job (PlanReminderJob) tells the referent advisor, once per overdue item and
// due date, with a link and no name. Its rules are in access/rules_support_plan.go; every read
// states the plan's purpose. A restriction or the end of the support freezes it. The erasure
// and the purge delete its versions with the record, and shredding the key leaves any copy
// unreadable.
//
// # Retention
//
// PurgeOn is 6 months after the end of the title's validity or after the de-registration,
// whichever comes first (D5312-54); a litigation hold suspends it. The daily job (PurgeJob)
// erases the due records, their documents and their key, and reports counts only.
package support
