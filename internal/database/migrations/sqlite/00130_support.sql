-- +goose Up
-- Adapted support of disabled job seekers (Code du travail D5312-50 to -54). Health data (the
-- five categories of D5312-51) are sealed under a data key of the record (subject
-- "support:<record id>"), never the person's IAE key, so that the purge of D5312-54 shreds them
-- without touching the rest of the person's file; a person has one record at a time.

-- Members who hold the "accompagnement adapté" habilitation of their organisation (D5312-52 I:
-- designated and authorised staff), granted and withdrawn by its admin; the audit trail keeps
-- the history, the row the current state.
CREATE TABLE support_habilitations (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    granted_at   TIMESTAMP NOT NULL,
    granted_by   TEXT REFERENCES users (id),
    withdrawn_at TIMESTAMP,
    withdrawn_by TEXT REFERENCES users (id),
    PRIMARY KEY (org_id, user_id)
);

-- The support record. title (BOETH category, decision date, validity end) and health
-- (categories 1 to 4) are sealed; proof_file is the title's document (category 5), sealed by
-- the file store under the same key. purge_on is the earliest of the RQTH validity end and the
-- de-registration, plus 6 months (D5312-54), kept in clear so that the daily purge needs no key.
CREATE TABLE support_records (
    id              TEXT PRIMARY KEY,
    job_seeker_id   TEXT NOT NULL UNIQUE REFERENCES job_seekers (id) ON DELETE CASCADE,
    started_on      DATE NOT NULL,
    ended_on        DATE,
    closing_reason  TEXT NOT NULL DEFAULT '' CHECK (closing_reason IN ('', 'employment', 'training', 'orientation', 'moved', 'abandoned', 'other')),
    registered_on   DATE,
    deregistered_on DATE,
    title           BLOB NOT NULL,
    health          BLOB NOT NULL,
    proof_file      TEXT,
    purge_on        DATE,
    litigation_hold BOOLEAN NOT NULL DEFAULT FALSE,
    restricted_at   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT REFERENCES users (id),
    updated_at      TIMESTAMP NOT NULL,
    updated_by      TEXT REFERENCES users (id),
    CHECK ((ended_on IS NULL) = (closing_reason = '')),
    CHECK (deregistered_on IS NULL OR registered_on IS NULL OR deregistered_on >= registered_on)
);
CREATE INDEX support_records_purge ON support_records (purge_on) WHERE purge_on IS NOT NULL;

-- The caseload: the organisations following the person, each with its referent advisor, from
-- the start to the end of their support. France Travail and Cap emploi are joint controllers:
-- both read the record while both follow the person.
CREATE TABLE support_caseload (
    record_id     TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    referent_user TEXT REFERENCES users (id),
    started_on    DATE NOT NULL,
    ended_on      DATE,
    PRIMARY KEY (record_id, org_id)
);
CREATE INDEX support_caseload_org ON support_caseload (org_id, record_id);

-- Emergency accesses ("bris de glace"): a habilitated advisor outside the caseload, with a
-- reason (sealed: it may speak of the person), for a limited time, reviewed afterwards by the
-- admin of the advisor's organisation.
CREATE TABLE support_emergency_accesses (
    id          TEXT PRIMARY KEY,
    record_id   TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    reason      BLOB NOT NULL,
    opened_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by TEXT REFERENCES users (id),
    verdict     TEXT NOT NULL DEFAULT '' CHECK (verdict IN ('', 'justified', 'unjustified')),
    CHECK ((reviewed_at IS NULL) = (verdict = ''))
);
CREATE INDEX support_emergency_accesses_org ON support_emergency_accesses (org_id, reviewed_at);
CREATE INDEX support_emergency_accesses_record ON support_emergency_accesses (record_id, user_id);

-- The person's requests (GDPR art. 16 and 18): rectification, restriction. The message is
-- sealed under the record's key.
CREATE TABLE support_requests (
    id         TEXT PRIMARY KEY,
    record_id  TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('rectification', 'restriction')),
    message    BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    handled_at TIMESTAMP,
    handled_by TEXT REFERENCES users (id)
);
CREATE INDEX support_requests_record ON support_requests (record_id, created_at);

-- +goose Down
DROP TABLE support_requests;
DROP TABLE support_emergency_accesses;
DROP TABLE support_caseload;
DROP TABLE support_records;
DROP TABLE support_habilitations;
