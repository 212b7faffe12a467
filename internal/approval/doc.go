// Package approval runs the PASS IAE (agrément, Code du travail R5132-1-1 to R5132-1-13): its
// number, its dates, its suspensions, prolongations and interruption, the waiting period, the
// staff queue of manual deliveries, the attestation and the public verification.
//
// # Dates
//
// Every date rule is a plain function of rules.go, over calendar dates (database.Date), tested
// at each boundary (day before, day of, day after) and by a property test over random histories:
// a PASS lasts 730 days (end = start + 729), its end moves by the length of each suspension and
// prolongation, suspensions never overlap, and recomputing the end changes nothing. The state
// (future, valid, suspended, expired) is computed from the dates on the day asked, never stored.
//
// # Numbers
//
// A PASS issued by the platform is numbered 99999 followed by a 7-digit sequence. The sequence
// is one counter row, incremented by UPDATE … RETURNING in the transaction of the hire: the
// update locks the row on PostgreSQL until the hire commits (as SELECT … FOR UPDATE would) and
// SQLite runs one writer at a time, so concurrent hires get distinct, consecutive numbers, and a
// number once taken is never handed out again, even if its PASS is cancelled.
//
// # Issuance
//
// Package application calls Hook inside the transaction that accepts an application. For an
// SIAE, the person must be eligible (a valid diagnosis for that structure, or a running PASS).
// A PASS still valid on the hiring start is reused (one not started yet moves to that start; a
// running suspension ends the day before); otherwise a new PASS is issued when the person has a
// NIR, a France Travail identifier or declared not being registered, else the hire goes to the
// staff queue of manual deliveries. Within two years after a PASS ended (waiting period), no new
// PASS is issued unless the application or the diagnosis comes from an authorised prescriber.
//
// Every read of a PASS goes through access.Read (action access.ViewApproval) and every change
// through access.Can; the public verification answers only a number with the holder's birth date.
package approval
