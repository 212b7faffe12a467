-- +goose Up
-- Documents of adapted support (Code du travail D5312-50 4°). The files themselves live in the
-- file store (table files), sealed under the record's data key (subject "support:<record id>"),
-- their kind being the document's type (titre_boeth, devis, facture, rib, plan_signe,
-- courrier), their versions chained by the store. This table keeps what the store does not:
-- the deletions of documents by advisors, with their reason sealed under the same key, so
-- that the record tells what was removed, by whom, when and why. It goes with the record
-- (ON DELETE CASCADE) when the record is purged or erased.
CREATE TABLE support_document_deletions (
    id          TEXT PRIMARY KEY,
    record_id   TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    versions    INTEGER NOT NULL CHECK (versions >= 1),
    reason      BLOB NOT NULL,
    deleted_at  TIMESTAMP NOT NULL,
    deleted_by  TEXT REFERENCES users (id)
);
CREATE INDEX support_document_deletions_record ON support_document_deletions (record_id, deleted_at);

-- +goose Down
DROP TABLE support_document_deletions;
