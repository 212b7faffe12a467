-- +goose Up
-- The searches read an in-memory read model of the registry (package internal/offer), which
-- computes what the former SQL search read from copies: the structure's kind, département,
-- closing, active members, convention end and open positions, and the job descriptions'
-- copies of their structure's. The copies go with their indexes and the triggers that kept
-- them.
--
-- Without the triggers that carried memberships into structures.staffed (and so bumped the
-- registry's generation at every membership change), a change of membership bumps the
-- generation only when what a search shows changes: a structure gets its first active member
-- or loses its last one.
DROP TRIGGER structures_offer_sync;
DROP TRIGGER memberships_offer_staffed_delete;
DROP TRIGGER memberships_offer_staffed_update;
DROP TRIGGER memberships_offer_staffed_insert;
DROP TRIGGER organisations_offer_sync;
DROP INDEX structures_position;
DROP INDEX job_descriptions_position;
ALTER TABLE structures DROP COLUMN kind;
ALTER TABLE structures DROP COLUMN departement;
ALTER TABLE structures DROP COLUMN org_deactivated;
ALTER TABLE structures DROP COLUMN staffed;
ALTER TABLE structures DROP COLUMN convention_ends_on;
ALTER TABLE structures DROP COLUMN hiring;
ALTER TABLE job_descriptions DROP COLUMN structure_kind;
ALTER TABLE job_descriptions DROP COLUMN structure_listed;
ALTER TABLE job_descriptions DROP COLUMN structure_ends_on;
ALTER TABLE job_descriptions DROP COLUMN structure_staffed;
ALTER TABLE job_descriptions DROP COLUMN structure_blocked;

-- +goose StatementBegin
CREATE TRIGGER memberships_offer_generation_insert AFTER INSERT ON memberships
    WHEN NEW.is_active AND EXISTS (SELECT 1 FROM structures s WHERE s.org_id = NEW.org_id)
        AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active AND m.user_id <> NEW.user_id)
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_offer_generation_delete AFTER DELETE ON memberships
    WHEN OLD.is_active AND EXISTS (SELECT 1 FROM structures s WHERE s.org_id = OLD.org_id)
        AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active)
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_offer_generation_update AFTER UPDATE OF org_id, is_active ON memberships
    WHEN (OLD.is_active AND (NOT NEW.is_active OR NEW.org_id IS NOT OLD.org_id)
            AND EXISTS (SELECT 1 FROM structures s WHERE s.org_id = OLD.org_id)
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active))
        OR (NEW.is_active AND (NOT OLD.is_active OR NEW.org_id IS NOT OLD.org_id)
            AND EXISTS (SELECT 1 FROM structures s WHERE s.org_id = NEW.org_id)
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active AND m.user_id <> NEW.user_id))
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER memberships_offer_generation_update;
DROP TRIGGER memberships_offer_generation_delete;
DROP TRIGGER memberships_offer_generation_insert;
ALTER TABLE structures ADD COLUMN kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ'));
ALTER TABLE structures ADD COLUMN departement TEXT NOT NULL DEFAULT '';
ALTER TABLE structures ADD COLUMN org_deactivated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE structures ADD COLUMN staffed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE structures ADD COLUMN convention_ends_on DATE;
ALTER TABLE structures ADD COLUMN hiring BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE structures SET kind = (SELECT o.kind FROM organisations o WHERE o.id = structures.org_id),
    departement = (SELECT o.departement FROM organisations o WHERE o.id = structures.org_id),
    org_deactivated = (SELECT o.deactivated_at IS NOT NULL FROM organisations o WHERE o.id = structures.org_id),
    staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = structures.org_id AND m.is_active),
    convention_ends_on = (SELECT c.ends_on FROM conventions c WHERE c.id = COALESCE(structures.convention_id,
        (SELECT p.convention_id FROM structures p WHERE p.org_id = structures.parent_id))),
    hiring = EXISTS (SELECT 1 FROM job_descriptions j WHERE j.structure_id = structures.org_id AND j.active AND j.open_positions > 0);
ALTER TABLE job_descriptions ADD COLUMN structure_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE job_descriptions ADD COLUMN structure_listed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE job_descriptions ADD COLUMN structure_ends_on DATE;
ALTER TABLE job_descriptions ADD COLUMN structure_staffed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE job_descriptions ADD COLUMN structure_blocked BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE job_descriptions SET structure_kind = s.kind, structure_listed = (s.searchable AND NOT s.org_deactivated),
    structure_ends_on = s.convention_ends_on, structure_staffed = s.staffed, structure_blocked = s.block_applications
    FROM structures s WHERE s.org_id = job_descriptions.structure_id;
CREATE INDEX structures_position ON structures (lat, lng, searchable, org_deactivated, kind, departement, convention_ends_on,
    staffed, hiring, block_applications, org_id);
CREATE INDEX job_descriptions_position ON job_descriptions (lat, lng, structure_listed, structure_kind, departement, rome_code,
    appellation_code, contract_type, open_positions, structure_ends_on, structure_staffed, structure_blocked, structure_id, id)
    WHERE active;
-- +goose StatementBegin
CREATE TRIGGER organisations_offer_sync AFTER UPDATE OF kind, departement, deactivated_at ON organisations
BEGIN
    UPDATE structures SET kind = NEW.kind, departement = NEW.departement, org_deactivated = (NEW.deactivated_at IS NOT NULL)
    WHERE org_id = NEW.id;
END;
-- +goose StatementEnd
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
