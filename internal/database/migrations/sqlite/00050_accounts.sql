-- +goose Up
-- Accounts of the three kinds. E-mails are stored lower-cased so that uniqueness is
-- case-insensitive on both engines. last_activity_at drives the 13-month deletion rule.
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    kind                 TEXT NOT NULL CHECK (kind IN ('job_seeker', 'professional', 'staff')),
    email                TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    email_verified_at    TIMESTAMP,
    password_hash        TEXT NOT NULL DEFAULT '',
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    last_login_at        TIMESTAMP,
    last_activity_at     TIMESTAMP NOT NULL,
    password_changed_at  TIMESTAMP,
    disabled_at          TIMESTAMP,
    terms_version        TEXT NOT NULL DEFAULT '',
    terms_accepted_at    TIMESTAMP,
    totp_secret          BLOB,
    totp_confirmed_at    TIMESTAMP,
    totp_last_step       INTEGER NOT NULL DEFAULT 0,
    inactivity_warned_at TIMESTAMP,
    anonymised_at        TIMESTAMP
);
CREATE INDEX users_last_activity ON users (last_activity_at);

-- Single-use tokens sent by e-mail; only their SHA-256 is stored.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored, so a
-- database leak does not hand out live sessions. id is the public handle used to revoke.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    token_hash          TEXT NOT NULL UNIQUE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          TIMESTAMP NOT NULL,
    last_seen_at        TIMESTAMP NOT NULL,
    idle_expires_at     TIMESTAMP NOT NULL,
    absolute_expires_at TIMESTAMP NOT NULL,
    mfa_verified_at     TIMESTAMP,
    mfa_failures        INTEGER NOT NULL DEFAULT 0,
    current_org_id      TEXT,
    user_agent          TEXT NOT NULL DEFAULT '',
    revoked_at          TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (absolute_expires_at);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    PRIMARY KEY (user_id, digest)
);

-- Failed-login counters per keyed hash of an e-mail address or of a client address. Keyed by
-- e-mail rather than account so that unknown addresses behave exactly like known ones.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

-- What remains of inactive accounts once removed: counts, without identities.
CREATE TABLE account_deletions (
    month   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('deleted', 'anonymised')),
    count   INTEGER NOT NULL,
    PRIMARY KEY (month, kind, outcome)
);

-- +goose Down
DROP TABLE account_deletions;
DROP TABLE login_throttle;
DROP TABLE recovery_codes;
DROP TABLE sessions;
DROP TABLE user_tokens;
DROP TABLE users;
