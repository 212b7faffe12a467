// Package audit keeps the platform's tamper-evident audit trail: who did what to which object,
// when, why and with what outcome, for security events and every access to personal data.
//
// # Writing
//
// Record appends an Event with a plain INSERT inside the caller's transaction, so the entry and
// the operation it records commit or fail together: if the audit write fails, the health-data
// read fails too. Entries carry pseudonymous references only (account and organisation UUIDs,
// keyed pseudonyms of persons from crypto.Keyring.Pseudonym), never names, e-mail addresses,
// NIRs or values; Record refuses details that look personal (see Event.Details).
//
// # Sealing
//
// A Sequencer (Integrate, run every few seconds and before Verify) numbers new entries
// (seq 0, 1, 2…), adds them to a Merkle tree computed with golang.org/x/mod/sumdb/tlog (RFC 6962
// hashing, as in Certificate Transparency and the Go checksum database), stores the tree's
// hashes in audit_hashes and writes a checkpoint: a C2SP tlog-checkpoint ("origin\nsize\nroot\n")
// signed with the keyring's Ed25519 key in the signed-note format.
//
// # Checking
//
// Verify recomputes every entry's hash, every stored tree hash and every checkpoint root, checks
// the checkpoints' signatures and that seq has no gap, and reports each problem with its seq or
// hash index. Prove gives an inclusion proof of one entry against the newest checkpoint.
//
// Triggers make the tables append-only for the application (the only update is giving an entry
// its seq). They cannot stop the tables' owner, who can drop them: Verify catches any change to
// what a checkpoint covers, and publishing checkpoints outside the database (to the DPO, to
// another organisation) catches even a rewrite that deletes the tail and its checkpoints.
package audit
