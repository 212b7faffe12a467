-- +goose Up
-- The audit trail: who did what to which object, when and why, with pseudonymous references
-- only. Entries are appended by plain INSERTs inside the transaction of the operation they
-- record; a sequencer later numbers them (seq) and folds them into a Merkle tree whose stored
-- hashes and signed checkpoints live in the two tables below. The triggers make all three tables
-- append-only for the application: the only change allowed is giving an entry its seq once.
-- They do not stop the tables' owner, who can drop them: that is what Verify and the
-- checkpoints published outside the database are for. In production the application role
-- should not own these tables and hold only SELECT, INSERT and UPDATE (seq) on them.
CREATE TABLE audit_events (
    id          UUID PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
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
    hash BYTEA NOT NULL CHECK (length(hash) = 32)
);

-- Signed tree heads (C2SP tlog-checkpoint in the signed-note format).
CREATE TABLE audit_checkpoints (
    tree_size   BIGINT PRIMARY KEY CHECK (tree_size > 0),
    root_hash   BYTEA NOT NULL CHECK (length(root_hash) = 32),
    signed_note TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The sequencer's lock row: sequencers UPDATE it first, which queues them one behind the other
-- (row lock) when several instances integrate at once.
CREATE TABLE audit_sequencer (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    integrated_at TIMESTAMPTZ
);
INSERT INTO audit_sequencer (id, integrated_at) VALUES (1, NULL);

-- The one allowed update of an entry: seq goes from NULL to a number, nothing else changes.
-- Comparing the rows as JSON without seq keeps this true when columns are added.
-- +goose StatementBegin
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.seq IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (to_jsonb(NEW) - 'seq') = (to_jsonb(OLD) - 'seq') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'journal d''audit : % interdit sur %', TG_OP, TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal d''audit : % interdit sur %', TG_OP, TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_hashes_guard BEFORE UPDATE OR DELETE ON audit_hashes
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_hashes_no_truncate BEFORE TRUNCATE ON audit_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_guard BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- +goose Down
DROP TABLE audit_sequencer;
DROP TABLE audit_checkpoints;
DROP TABLE audit_hashes;
DROP TABLE audit_events;
DROP FUNCTION audit_refuse();
DROP FUNCTION audit_events_guard();
