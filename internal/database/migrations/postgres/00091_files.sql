-- +goose Up
-- The file store (package files): documents people upload (a CV, later adapted-support
-- documents and attestations). files holds each version's metadata; the name is sealed under
-- the subject's data key like the content, since names carry people's names. The subject
-- names the data key ("jobseeker:<id>"): shredding it makes every file of the person
-- unreadable. sha256 is the digest of the sealed bytes, checked before opening them.
-- Versions of one document share document_id (the first version's id) and are numbered from 1;
-- previous_id links a version to the one it replaced.
CREATE TABLE files (
    id          UUID PRIMARY KEY,
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    format      TEXT NOT NULL CHECK (format IN ('pdf', 'jpeg', 'png')),
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL CHECK (size > 0),
    name        BYTEA NOT NULL,
    sha256      BYTEA NOT NULL CHECK (length(sha256) = 32),
    document_id UUID NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    previous_id UUID UNIQUE REFERENCES files (id) ON DELETE SET NULL,
    scan        TEXT NOT NULL CHECK (scan IN ('not_scanned', 'clean')),
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (document_id, version),
    CHECK ((version = 1) = (document_id = id)),
    CHECK (previous_id IS NULL OR version > 1),
    CHECK (format = 'pdf' AND media_type = 'application/pdf'
        OR format = 'jpeg' AND media_type = 'image/jpeg'
        OR format = 'png' AND media_type = 'image/png')
);
CREATE INDEX files_subject ON files (subject, kind);

-- The sealed bytes, for the database store (files.DatabaseStore). Ciphertext does not
-- compress: EXTERNAL keeps it out of line without PostgreSQL trying.
CREATE TABLE file_contents (
    id      UUID PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    content BYTEA NOT NULL
);
ALTER TABLE file_contents ALTER COLUMN content SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE file_contents;
DROP TABLE files;
