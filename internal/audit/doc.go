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
// A Sequencer (Integrate, run every second by each serving instance that runs jobs) numbers new
// entries (seq 0, 1, 2…) in time order, adds them to a Merkle tree computed with
// golang.org/x/mod/sumdb/tlog (RFC 6962 hashing, as in Certificate Transparency and the Go
// checksum database), stores the tree's hashes in audit_hashes and writes a checkpoint: a C2SP
// tlog-checkpoint ("origin\nsize\nroot\n") signed with the keyring's Ed25519 key in the
// signed-note format.
//
// # Publishing
//
// Once the sequencing transaction has committed, a Publisher appends the new checkpoints, read
// back from the database, to a CheckpointLog: the file checkpoints.log in a directory outside
// the database (another disk, a write-once store), and posts the newest to an optional witness.
// It appends a checkpoint only when a consistency proof shows that it extends the last one
// published, and the Sequencer refuses to sign a tree that does not extend the published head,
// so a rewritten history never gets published checkpoints. Failures are returned, and caught
// up at the next call.
//
// # Checking
//
// Verify only reads, in one snapshot. It recomputes every entry's hash, every stored tree hash
// and every checkpoint root, checks the checkpoints' signatures and that seq has no gap, and
// checks every published checkpoint against the tree (a cut tail, a fork or a rewritten
// history shows there). It reports entries dated more than SealDelay before the entry sealed
// before them (inserted after the fact) and entries left unsealed, each problem with its seq,
// hash index or checkpoint. The public key alone is enough, so it runs on a copy of the
// database. Prove gives an inclusion proof of one entry against the newest checkpoint.
//
// Triggers make the tables append-only for the application (the only update is giving an entry
// its seq). They cannot stop the tables' owner, who can drop them. Verify catches any change to
// what a checkpoint covers, and the published log catches a rewrite that also deletes the tail
// and its checkpoints. What the owner can still do unseen is what the application itself
// could do: add an entry dated now, or drop the entries of the last second, before their
// checkpoint is published.
package audit
