-- +goose Up
-- The audit trail: who did what to which object, when and why, with pseudonymous references
-- only. Entries are appended by plain INSERTs inside the transaction of the operation they
-- record; a sequencer later numbers them (seq) and folds them into a Merkle tree whose stored
-- hashes and signed checkpoints live in the two tables below. The triggers make all three tables
-- append-only for the application: the only change allowed is giving an entry its seq once.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_user  TEXT,
    actor_org   TEXT,
    action      TEXT NOT NULL CHECK (action <> ''),
    object_type TEXT NOT NULL DEFAULT '',
    object_ref  TEXT NOT NULL DEFAULT '',
    purpose     TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    request_id  TEXT NOT NULL DEFAULT '',
    ip_hash     TEXT NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}' CHECK (length(details) <= 4000),
    seq         BIGINT UNIQUE CHECK (seq >= 0)
);

CREATE INDEX audit_events_unsequenced ON audit_events (occurred_at, id) WHERE seq IS NULL;
CREATE INDEX audit_events_time ON audit_events (occurred_at, id);
CREATE INDEX audit_events_object ON audit_events (object_ref, occurred_at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_user, occurred_at, id);

-- tlog stored hashes, indexed as golang.org/x/mod/sumdb/tlog.StoredHashIndex numbers them.
CREATE TABLE audit_hashes (
    idx  BIGINT PRIMARY KEY CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);

-- Signed tree heads (C2SP tlog-checkpoint in the signed-note format).
CREATE TABLE audit_checkpoints (
    tree_size   BIGINT PRIMARY KEY CHECK (tree_size > 0),
    root_hash   BLOB NOT NULL CHECK (length(root_hash) = 32),
    signed_note TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- The sequencer's lock row: sequencers UPDATE it first, which queues them one behind the other
-- on PostgreSQL (row lock) as SQLite's single writer already does.
CREATE TABLE audit_sequencer (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    integrated_at TIMESTAMP
);
INSERT INTO audit_sequencer (id, integrated_at) VALUES (1, NULL);

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : suppression interdite');
END;
-- +goose StatementEnd

-- The one allowed update: seq goes from NULL to a number, nothing else changes.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.actor_user IS OLD.actor_user AND NEW.actor_org IS OLD.actor_org
    AND NEW.action IS OLD.action AND NEW.object_type IS OLD.object_type
    AND NEW.object_ref IS OLD.object_ref AND NEW.purpose IS OLD.purpose
    AND NEW.outcome IS OLD.outcome AND NEW.request_id IS OLD.request_id
    AND NEW.ip_hash IS OLD.ip_hash AND NEW.details IS OLD.details)
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : modification interdite');
END;
-- +goose StatementEnd

-- INSERT OR REPLACE deletes the conflicting row without firing delete triggers, so inserts
-- that would collide are refused before they can replace anything. An entry is born without seq.
-- +goose StatementBegin
CREATE TRIGGER audit_events_insert_only BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT NULL OR EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : une entrée naît sans numéro et ne remplace rien');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_delete BEFORE DELETE ON audit_hashes
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : suppression interdite');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_hashes_no_update BEFORE UPDATE ON audit_hashes
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : modification interdite');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_hashes_insert_only BEFORE INSERT ON audit_hashes
WHEN EXISTS (SELECT 1 FROM audit_hashes WHERE idx = NEW.idx)
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : remplacement interdit');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : suppression interdite');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : modification interdite');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_checkpoints_insert_only BEFORE INSERT ON audit_checkpoints
WHEN EXISTS (SELECT 1 FROM audit_checkpoints WHERE tree_size = NEW.tree_size)
BEGIN
    SELECT RAISE(ABORT, 'journal d''audit : remplacement interdit');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_sequencer;
DROP TABLE audit_checkpoints;
DROP TABLE audit_hashes;
DROP TABLE audit_events;
