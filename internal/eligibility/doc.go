// Package eligibility holds the IAE eligibility criteria and diagnoses (Code du travail
// L5132-3, R5132-1-7; arrêté of 1 September 2021 amended by the arrêté of 4 September 2025).
//
// # Criteria
//
// The criteria are a versioned reference set: each arrêté is one JSON file in criteria/,
// with the date it applies from, its 18 criteria (level 1 and level 2) with their proof and
// how recent the proof must be, and the pairs that cannot be checked together. EnsureCriteria
// loads the files into the database at start; a published set never changes (its wordings
// may be corrected), so a new arrêté is a new file and every diagnosis keeps the set it was
// made with.
//
// # Diagnoses
//
// An authorised prescriber makes a diagnosis with any number of criteria; it is valid six
// months in every structure. A member of an SIAE makes one for its own structure with at
// least one criterion of level 1, or two of level 2 for AI and ETTI, three for EI, ACI and
// EITI; it is valid 92 days in that structure only. A prescriber's valid diagnosis takes
// precedence: the structure then makes none. A new diagnosis ends the running one of the same
// scope. A diagnosis on which a running PASS IAE was issued stays valid as long as the PASS
// runs: the approvals module says which through SetPASSCheck.
//
// The rules are plain functions (ThresholdFor, Check, ValidUntil, Diagnosis.ValidOn, the
// status computed by Status); Why and Status.Summary say in French why a person is eligible
// or not: the rule applied, the criteria counted, the end of validity.
//
// Every read goes through access.Read (action access.ViewEligibility, with its purpose) and
// every diagnosis through access.Can (access.MakeDiagnosis). The criteria checked are sealed
// under the person's data key; only their counts per level stay readable.
package eligibility
