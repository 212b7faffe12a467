-- +goose Up
-- Organisations of every kind. A prescriber's habilitation is per organisation; "Autre" can
-- never be habilitated and only "Autre" may be an orienteur (NOT_REQUIRED).
CREATE TABLE organisations (
    id                      UUID PRIMARY KEY,
    kind                    TEXT NOT NULL,
    category                TEXT NOT NULL CHECK (category IN ('siae', 'geiq', 'prescriber', 'institution', 'financer')),
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    siret                   TEXT CHECK (siret IS NULL OR length(siret) = 14),
    safir                   TEXT UNIQUE,
    commune_code            TEXT NOT NULL DEFAULT '',
    departement             TEXT NOT NULL DEFAULT '',
    habilitation            TEXT NOT NULL DEFAULT '' CHECK (habilitation IN ('', 'NOT_SET', 'VALIDATED', 'REFUSED', 'NOT_REQUIRED')),
    habilitation_reason     TEXT NOT NULL DEFAULT '',
    habilitation_decided_at TIMESTAMPTZ,
    habilitation_decided_by UUID REFERENCES users (id),
    created_at              TIMESTAMPTZ NOT NULL,
    created_by              UUID REFERENCES users (id),
    updated_at              TIMESTAMPTZ NOT NULL,
    deactivated_at          TIMESTAMPTZ,
    UNIQUE (siret, kind),
    CHECK (NOT (kind = 'AUTRE' AND habilitation = 'VALIDATED')),
    CHECK (habilitation <> 'NOT_REQUIRED' OR kind = 'AUTRE'),
    CHECK ((category = 'prescriber') = (habilitation <> ''))
);
CREATE INDEX organisations_departement ON organisations (departement, category);
CREATE INDEX organisations_name ON organisations (name);

-- Memberships are deactivated, never deleted: who belonged where stays known.
CREATE TABLE memberships (
    org_id         UUID NOT NULL REFERENCES organisations (id),
    user_id        UUID NOT NULL REFERENCES users (id),
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    joined_at      TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     UUID REFERENCES users (id),
    deactivated_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, user_id),
    CHECK (is_active OR NOT is_admin)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    email       TEXT NOT NULL CHECK (email = lower(email)),
    invited_by  UUID NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    accepted_by UUID REFERENCES users (id),
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX invitations_org ON invitations (org_id);

CREATE TABLE join_requests (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    user_id     UUID NOT NULL REFERENCES users (id),
    message     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    decided_at  TIMESTAMPTZ,
    decided_by  UUID REFERENCES users (id),
    accepted    BOOLEAN,
    reason      TEXT NOT NULL DEFAULT ''
);
-- One pending request per person and organisation.
CREATE UNIQUE INDEX join_requests_pending ON join_requests (org_id, user_id) WHERE decided_at IS NULL;

-- History of habilitation decisions (the current one is on organisations).
CREATE TABLE habilitation_decisions (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations (id),
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX habilitation_decisions_org ON habilitation_decisions (org_id, decided_at);

-- +goose Down
DROP TABLE habilitation_decisions;
DROP TABLE join_requests;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE organisations;
