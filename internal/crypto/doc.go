// Package crypto protects personal data at rest: envelope encryption with one data key (DEK)
// per subject, master keys (KEKs) in a keyring file, online KEK rotation, crypto-shredding,
// keyed pseudonyms, blind indexes, and the key that signs audit checkpoints.
//
// # Keys
//
// The keyring (see Keyring) holds versioned 256-bit KEKs, one of them primary, a pseudonymisation
// HMAC key, a blind-index HMAC key and an Ed25519 seed. It lives in a 0600 file or in an environment variable filled
// from a vault; it is never stored in the database, so that a database dump or backup alone
// decrypts nothing.
//
// Each subject (a person, or an account) has one random 256-bit DEK, stored in subject_keys only
// wrapped by a KEK (AES-256-GCM, AAD = subject and KEK version). Field values are sealed with
// AES-256-GCM under the subject's DEK, with the AAD binding table, column, row and subject, so a
// ciphertext moved to another row, column or person does not open.
//
// A subject may also be short-lived: each message of the outbox (package notify) is sealed under
// its own DEK, which Forget deletes once the message is sent or abandoned.
//
// # Blind indexes
//
// BlindIndex is HMAC-SHA256 under its own key of a kind (a domain separator such as "nir") and
// of a value the caller has normalised. A module that stores an identifier only sealed (NIR,
// France Travail identifier) stores its blind index beside it to look rows up and to refuse
// duplicates with a unique constraint, without the identifier ever being in clear in the
// database. A blind index leaks equality (rows with the same value have the same index) and is
// therefore safe only on high-entropy identifiers, never on a low-entropy field such as a date
// or a postcode, whose values frequency analysis would reveal. Its key is not the pseudonym key,
// so a pseudonym in the audit trail and a blind index in a table cannot be linked by comparison.
//
// Keyrings written before blind indexes existed lack the key. It is then derived with HKDF from
// the pseudonym key (label "parcours/blind-index-key/v1"), so that every instance, including
// those given the keyring through PARCOURS_KEYRING, computes the same indexes; the keyring file
// is rewritten with the derived key at the next start (UpgradeKeyringFile) and any Marshal
// writes it, so the key is pinned from then on. New keyrings get an independent random key.
// The blind-index key is not rotated with the KEKs: a new key changes every index, which would
// then have to be recomputed from the sealed values.
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
