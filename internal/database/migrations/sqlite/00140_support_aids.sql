-- +goose Up
-- Aids and services of the adapted support (Code du travail D5312-50 3°): requests of the aids
-- of the catalogue (internal/support/aids_catalogue.json), their instruction, the decision of a
-- second person, and their payment in SEPA credit transfer batches (pain.001.001.03).
--
-- What speaks of the person is sealed under the record's data key (subject "support:<record>"),
-- bound to table, column and row: the justification, the beneficiary's bank details, the notes
-- of the instruction and the decision. The aid's code, its funder and the amounts stay in clear:
-- the ledgers and the batches add them up in the database, and the funders see them. The rows
-- go with the record (ON DELETE CASCADE): the purge of D5312-54 erases them, and the record's key
-- is shredded with it.

-- Payment batches: the granted aids of one funder requested by one organisation, claimed at the
-- export (an aid is in one batch at most), paid once. They hold no identity: the count and the
-- total stay for the accounts after the purge of the aids.
CREATE TABLE support_aid_batches (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    funder       TEXT NOT NULL CHECK (funder IN ('AGEFIPH', 'FIPHFP', 'FT')),
    msg_id       TEXT NOT NULL UNIQUE,
    execution_on DATE NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id),
    transfers    INTEGER NOT NULL DEFAULT 0,
    total_cents  BIGINT NOT NULL DEFAULT 0,
    paid_at      TIMESTAMP,
    paid_by      TEXT REFERENCES users (id),
    CHECK ((paid_at IS NULL) = (paid_by IS NULL))
);
CREATE INDEX support_aid_batches_org ON support_aid_batches (org_id, created_at);

-- An aid requested for a person with a support record: requested, instructed (complete or not,
-- with a proposed amount), granted or refused by someone else than its instructor and its
-- requester, ordered in a batch, paid; or cancelled before payment. Amounts are in euro cents.
CREATE TABLE support_aids (
    id               TEXT PRIMARY KEY,
    record_id        TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    aid_code         TEXT NOT NULL,
    funder           TEXT NOT NULL CHECK (funder IN ('AGEFIPH', 'FIPHFP', 'FT')),
    state            TEXT NOT NULL CHECK (state IN ('requested', 'instructed', 'granted', 'refused', 'ordered', 'paid', 'cancelled')),
    requested_cents  BIGINT NOT NULL CHECK (requested_cents > 0),
    justification    BLOB NOT NULL,
    bank             BLOB NOT NULL,
    requested_at     TIMESTAMP NOT NULL,
    requested_by     TEXT NOT NULL REFERENCES users (id),
    complete         BOOLEAN,
    proposed_cents   BIGINT CHECK (proposed_cents >= 0),
    instruction_note BLOB,
    instructed_at    TIMESTAMP,
    instructed_by    TEXT REFERENCES users (id),
    granted_cents    BIGINT CHECK (granted_cents > 0),
    decision_note    BLOB,
    decided_at       TIMESTAMP,
    decided_by       TEXT REFERENCES users (id),
    batch_id         TEXT REFERENCES support_aid_batches (id),
    ordered_at       TIMESTAMP,
    paid_at          TIMESTAMP,
    cancelled_at     TIMESTAMP,
    cancelled_by     TEXT REFERENCES users (id),
    CHECK (decided_by IS NULL OR (decided_by <> instructed_by AND decided_by <> requested_by)),
    CHECK ((state IN ('ordered', 'paid')) = (batch_id IS NOT NULL)),
    CHECK (state NOT IN ('granted', 'ordered', 'paid') OR granted_cents IS NOT NULL)
);
CREATE INDEX support_aids_record ON support_aids (record_id, requested_at);
CREATE INDEX support_aids_pay ON support_aids (org_id, funder, state);
CREATE INDEX support_aids_batch ON support_aids (batch_id) WHERE batch_id IS NOT NULL;

-- +goose Down
DROP TABLE support_aids;
DROP TABLE support_aid_batches;
