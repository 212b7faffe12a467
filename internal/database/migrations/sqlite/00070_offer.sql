-- +goose Up
-- The IAE registry and job offers (package internal/offer). An SIAE or GEIQ is an organisation:
-- its identity (SIRET, kind, legal name, commune) stays on organisations, and structures holds
-- the registry and public-page fields that other organisations lack.

-- Conventions signed with the State (DDETS). A structure is active while its convention is,
-- plus 30 days of grace; the rule lives in Go (offer.StructureActive).
CREATE TABLE conventions (
    id         TEXT PRIMARY KEY,
    number     TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 50),
    starts_on  DATE NOT NULL,
    ends_on    DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_on >= starts_on)
);

-- An antenna (parent_id set) shares its parent's convention and has none of its own; a
-- convention belongs to one structure, its antennas reach it through the parent.
--
-- The last columns are copies that let a distance search read one index and nothing else
-- (offer.Reindex rebuilds them all): kind, departement and org_deactivated follow the
-- organisation (trigger below), staffed tells whether it has an active member (trigger on
-- memberships), convention_ends_on is the end of its convention or its parent's, and hiring
-- whether an active job description has open positions (both kept by the offer service).
CREATE TABLE structures (
    org_id                 TEXT PRIMARY KEY REFERENCES organisations (id),
    brand                  TEXT NOT NULL DEFAULT '' CHECK (length(brand) <= 200),
    address_line1          TEXT NOT NULL DEFAULT '' CHECK (length(address_line1) <= 200),
    address_line2          TEXT NOT NULL DEFAULT '' CHECK (length(address_line2) <= 200),
    postcode               TEXT NOT NULL DEFAULT '' CHECK (postcode = '' OR length(postcode) = 5),
    lat                    REAL CHECK (lat BETWEEN -90 AND 90),
    lng                    REAL CHECK (lng BETWEEN -180 AND 180),
    position_precise       BOOLEAN NOT NULL DEFAULT FALSE,
    phone                  TEXT NOT NULL DEFAULT '' CHECK (length(phone) <= 20),
    email                  TEXT NOT NULL DEFAULT '' CHECK (email = lower(email) AND length(email) <= 254),
    website                TEXT NOT NULL DEFAULT '' CHECK (length(website) <= 200),
    description            TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    provided_support       TEXT NOT NULL DEFAULT '' CHECK (length(provided_support) <= 5000),
    parent_id              TEXT REFERENCES structures (org_id),
    convention_id          TEXT UNIQUE REFERENCES conventions (id),
    searchable             BOOLEAN NOT NULL DEFAULT TRUE,
    block_applications     BOOLEAN NOT NULL DEFAULT FALSE,
    spontaneous_open_since TIMESTAMP,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL,
    kind                   TEXT NOT NULL CHECK (kind IN ('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ')),
    departement            TEXT NOT NULL,
    org_deactivated        BOOLEAN NOT NULL DEFAULT FALSE,
    staffed                BOOLEAN NOT NULL DEFAULT FALSE,
    convention_ends_on     DATE,
    hiring                 BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((lat IS NULL) = (lng IS NULL)),
    CHECK (NOT position_precise OR lat IS NOT NULL),
    CHECK (parent_id IS NULL OR convention_id IS NULL),
    CHECK (parent_id IS NULL OR parent_id <> org_id)
);
-- Distance search reads the bounding box (refdata.BoundingBox) from this index alone.
CREATE INDEX structures_position ON structures (lat, lng, searchable, org_deactivated, kind, departement, convention_ends_on,
    staffed, hiring, block_applications, org_id);
CREATE INDEX structures_parent ON structures (parent_id);
CREATE INDEX structures_spontaneous ON structures (spontaneous_open_since);

-- Job descriptions ("fiches de poste"). rome_code and departement copy the appellation's ROME
-- code and the place of work's département, lat and lng its commune's centre, so that search
-- filters without joining reference data. updated_at is the last update by an employer: it
-- drives the automatic deactivation after 90 days. The structure_* columns copy what job search
-- needs of the structure (trigger below), so that it too reads one index and nothing else.
CREATE TABLE job_descriptions (
    id                   TEXT PRIMARY KEY,
    structure_id         TEXT NOT NULL REFERENCES structures (org_id),
    appellation_code     TEXT NOT NULL,
    rome_code            TEXT NOT NULL CHECK (length(rome_code) = 5),
    custom_title         TEXT NOT NULL DEFAULT '' CHECK (length(custom_title) <= 200),
    description          TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    contract_type        TEXT NOT NULL CHECK (contract_type IN ('cddi', 'cddi_phc', 'cddi_cvg', 'cdd_usage', 'interim', 'pro',
                                                                'apprenticeship', 'business_creation', 'other')),
    commune_code         TEXT NOT NULL,
    departement          TEXT NOT NULL,
    lat                  REAL CHECK (lat BETWEEN -90 AND 90),
    lng                  REAL CHECK (lng BETWEEN -180 AND 180),
    hours_per_week       INTEGER NOT NULL CHECK (hours_per_week BETWEEN 1 AND 48),
    open_positions       INTEGER NOT NULL CHECK (open_positions BETWEEN 0 AND 999),
    expected_profile     TEXT NOT NULL DEFAULT '' CHECK (length(expected_profile) <= 5000),
    cv_required          BOOLEAN NOT NULL DEFAULT FALSE,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    rank                 INTEGER NOT NULL CHECK (rank >= 1),
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    inactivity_warned_at TIMESTAMP,
    deactivated_at       TIMESTAMP,
    deactivation_reason  TEXT NOT NULL DEFAULT '' CHECK (deactivation_reason IN ('', 'employer', 'inactivity')),
    structure_kind       TEXT NOT NULL DEFAULT '',
    structure_listed     BOOLEAN NOT NULL DEFAULT FALSE,
    structure_ends_on    DATE,
    structure_staffed    BOOLEAN NOT NULL DEFAULT FALSE,
    structure_blocked    BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((lat IS NULL) = (lng IS NULL)),
    CHECK (active = (deactivated_at IS NULL)),
    CHECK (active = (deactivation_reason = ''))
);
-- A structure's list, and its active descriptions matching a search's job filters.
CREATE INDEX job_descriptions_structure ON job_descriptions (structure_id, active, rome_code, appellation_code, contract_type,
    open_positions, rank);
-- Job search reads the bounding box of active descriptions from this index alone.
CREATE INDEX job_descriptions_position ON job_descriptions (lat, lng, structure_listed, structure_kind, departement, rome_code,
    appellation_code, contract_type, open_positions, structure_ends_on, structure_staffed, structure_blocked, structure_id, id)
    WHERE active;
-- The daily inactivity job reads the active descriptions by age.
CREATE INDEX job_descriptions_stale ON job_descriptions (updated_at) WHERE active;

-- Keep the structures' copies of their organisation's fields.
-- +goose StatementBegin
CREATE TRIGGER organisations_offer_sync AFTER UPDATE OF kind, departement, deactivated_at ON organisations
BEGIN
    UPDATE structures SET kind = NEW.kind, departement = NEW.departement, org_deactivated = (NEW.deactivated_at IS NOT NULL)
    WHERE org_id = NEW.id;
END;
-- +goose StatementEnd

-- Keep structures.staffed: does the structure have an active member?
-- +goose StatementBegin
CREATE TRIGGER memberships_offer_staffed_insert AFTER INSERT ON memberships
BEGIN
    UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active)
    WHERE org_id = NEW.org_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_offer_staffed_update AFTER UPDATE OF org_id, is_active ON memberships
BEGIN
    UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active)
    WHERE org_id = OLD.org_id;
    UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active)
    WHERE org_id = NEW.org_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_offer_staffed_delete AFTER DELETE ON memberships
BEGIN
    UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active)
    WHERE org_id = OLD.org_id;
END;
-- +goose StatementEnd

-- Keep the job descriptions' copies of their structure's fields.
-- +goose StatementBegin
CREATE TRIGGER structures_offer_sync AFTER UPDATE OF kind, searchable, org_deactivated, convention_ends_on, staffed, block_applications
    ON structures
    WHEN OLD.kind IS NOT NEW.kind OR OLD.searchable IS NOT NEW.searchable OR OLD.org_deactivated IS NOT NEW.org_deactivated
        OR OLD.convention_ends_on IS NOT NEW.convention_ends_on OR OLD.staffed IS NOT NEW.staffed
        OR OLD.block_applications IS NOT NEW.block_applications
BEGIN
    UPDATE job_descriptions SET structure_kind = NEW.kind, structure_listed = (NEW.searchable AND NOT NEW.org_deactivated),
        structure_ends_on = NEW.convention_ends_on, structure_staffed = NEW.staffed, structure_blocked = NEW.block_applications
    WHERE structure_id = NEW.org_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER structures_offer_sync;
DROP TRIGGER memberships_offer_staffed_delete;
DROP TRIGGER memberships_offer_staffed_update;
DROP TRIGGER memberships_offer_staffed_insert;
DROP TRIGGER organisations_offer_sync;
DROP TABLE job_descriptions;
DROP TABLE structures;
DROP TABLE conventions;
