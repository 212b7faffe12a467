-- +goose Up
-- Imports of the registry file uploaded by staff (package internal/offer), run in the
-- background by whichever instance claims them. The file waits in registry_import_files
-- (gzip-compressed) only while the import is queued or running: it is deleted in the
-- transaction that ends the import, whatever its outcome. The row keeps the report: counts
-- and the lines refused (registry_import_lines), for the history of imports.
--
-- An import runs in batches, each committed together with the import's progress (next_batch,
-- done and the counts): the row always says exactly what is written. An instance holds the
-- import by its claim number while lease_until is ahead; when an instance dies, another one
-- claims it once the lease has expired (claim + 1) and goes on from next_batch; a batch whose
-- claim is no longer the row's is rolled back.
CREATE TABLE registry_imports (
    id           UUID PRIMARY KEY,
    file_name    TEXT NOT NULL CHECK (length(file_name) <= 255),
    file_sha256  TEXT NOT NULL CHECK (length(file_sha256) = 64),
    file_size    BIGINT NOT NULL CHECK (file_size >= 0),
    created_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    lines        INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
    warnings     TEXT NOT NULL DEFAULT '',
    prepared     BOOLEAN NOT NULL DEFAULT FALSE,
    next_batch   INTEGER NOT NULL DEFAULT 0 CHECK (next_batch >= 0),
    done         INTEGER NOT NULL DEFAULT 0 CHECK (done >= 0),
    created      INTEGER NOT NULL DEFAULT 0 CHECK (created >= 0),
    updated      INTEGER NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged    INTEGER NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected     INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    claim        INTEGER NOT NULL DEFAULT 0 CHECK (claim >= 0),
    claimed_by   TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    error_text   TEXT NOT NULL DEFAULT '',
    CHECK ((state IN ('succeeded', 'failed')) = (finished_at IS NOT NULL))
);
-- The runner's claim: the oldest queued import, or one whose lease expired.
CREATE INDEX registry_imports_state ON registry_imports (state, created_at);
CREATE INDEX registry_imports_created ON registry_imports (created_at);

CREATE TABLE registry_import_files (
    import_id UUID PRIMARY KEY REFERENCES registry_imports (id) ON DELETE CASCADE,
    content   BYTEA NOT NULL
);

CREATE TABLE registry_import_lines (
    import_id UUID NOT NULL REFERENCES registry_imports (id) ON DELETE CASCADE,
    line      INTEGER NOT NULL CHECK (line >= 1),
    reason    TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- +goose Down
DROP TABLE registry_import_lines;
DROP TABLE registry_import_files;
DROP TABLE registry_imports;
