-- +goose Up
-- One data key (DEK) per subject (a person or an account), stored only wrapped by a master key
-- (KEK) of the keyring file. Destroying a subject's DEK (crypto-shredding) wipes wrapped_dek
-- and keeps the row as a tombstone, so that the subject's old ciphertexts stay unreadable and no
-- new key is ever created for it.
CREATE TABLE subject_keys (
    subject      TEXT PRIMARY KEY CHECK (subject <> ''),
    kek_version  INTEGER CHECK (kek_version > 0),
    wrapped_dek  BLOB,
    created_at   TIMESTAMP NOT NULL,
    rotated_at   TIMESTAMP,
    destroyed_at TIMESTAMP,
    CHECK ((destroyed_at IS NULL AND wrapped_dek IS NOT NULL AND kek_version IS NOT NULL)
        OR (destroyed_at IS NOT NULL AND wrapped_dek IS NULL AND kek_version IS NULL))
);

-- Rotation and retirement count and walk the live keys of one KEK version.
CREATE INDEX subject_keys_kek_version ON subject_keys (kek_version, subject) WHERE destroyed_at IS NULL;

-- +goose Down
DROP TABLE subject_keys;
