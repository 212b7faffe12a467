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
// The title and the health data, the person's requests, the reasons of emergency accesses, the
// title's document, the documents and the reasons of their deletions are sealed under one data key per record (subject "support:<record>"),
// wrapped by the keyring's master key, and bound to their table, column and row. A record's
// key is not the person's IAE key: the purge shreds the health data of one support without
// touching the rest of the person's file, and a later support gets a fresh key.
//
// # Aids and services
//
// aid*.go keep the aids of D5312-50 3°: a catalogue in configuration (aids_catalogue.json,
// checked at start), requests, instruction, a decision by a second person (neither the
// requester nor the instructor), decision letters, payment batches exported as SEPA files
// (package sepa) whose aids are claimed once by a conditional UPDATE, and the ledgers. The
// justification, the bank details and the notes are sealed under the record's key, bound to
// support_aids and their row; the code, funder and amounts stay in clear for the sums. AGEFIPH
// and FIPHFP agents read the files addressed to their funder with the minimum fields. The aids
// go with the record at the purge.
//
// # Documents
//
// A record's documents (D5312-50 4°, document.go) are files of the file store, sealed under the
// record's key and bound to their row, typed (DocumentTypes: the title's document of SetProof,
// quotes, invoices, bank details, the signed plan, letters), versioned by the store (older
// versions stay downloadable by the advisors; the person sees the newest). Every listing and
// download goes through access.Read with the purpose "documents". The habilitated advisors of
// the caseload upload and delete (with a reason, sealed in support_document_deletions); the
// person sends a signed plan or bank details to their own record. Each type has its retention
// period (DocumentDueOn), never beyond the record's own purge; PurgeDocumentsJob deletes what is
// due every day.
//
// # Statistics
//
// Statistics (D5312-50 5°, stats.go) never read a record: a pseudonymised extract (a keyed hash
// of the person, the referent organisation, its département, months, closing reason, BOETH
// category, age band) is counted into indicators whose cells under 11 people are hidden, with
// secondary suppression (stats_suppress.go). Plans and aids add their columns as Facts and
// their tables to Indicators.
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
