// Package crypto protects personal data at rest: envelope encryption with one data key (DEK)
// per subject, master keys (KEKs) in a keyring file, online KEK rotation, crypto-shredding,
// keyed pseudonyms, and the key that signs audit checkpoints.
//
// # Keys
//
// The keyring (see Keyring) holds versioned 256-bit KEKs, one of them primary, a pseudonymisation
// HMAC key and an Ed25519 seed. It lives in a 0600 file or in an environment variable filled
// from a vault; it is never stored in the database, so that a database dump or backup alone
// decrypts nothing.
//
// Each subject (a person, or an account) has one random 256-bit DEK, stored in subject_keys only
// wrapped by a KEK (AES-256-GCM, AAD = subject and KEK version). Field values are sealed with
// AES-256-GCM under the subject's DEK, with the AAD binding table, column, row and subject, so a
// ciphertext moved to another row, column or person does not open.
//
// # Nonces
//
// Every seal uses a fresh random 96-bit nonce (cipher.NewGCMWithRandomNonce). NIST SP 800-38D
// bounds a key to 2^32 messages with random nonces, keeping the collision probability below
// 2^-32. A DEK seals the fields of one person, and a KEK wraps one DEK per subject per
// rotation, so both stay many orders of magnitude under that bound; a DEK that ever came near it
// (millions of writes per person) would call for DEK rotation, which this package does not do yet.
//
// # Ciphertext format
//
// Sealed values and wrapped DEKs start with a format byte (1 today) followed by nonce,
// ciphertext and tag. The byte is also inside the AAD. A later scheme gets a new byte and both
// are read while data migrates.
//
// # Crypto-shredding
//
// Shred wipes a subject's wrapped DEK and keeps a tombstone. Every copy of the subject's
// ciphertexts, backups included, becomes unreadable once no copy of the wrapped DEK remains: on
// PostgreSQL the old row version lives until VACUUM, on SQLite in free pages unless
// secure_delete is on, and in both in backups until they expire. Backups of subject_keys should
// therefore have a short, documented retention, and restores must replay the erasure journal.
package crypto
