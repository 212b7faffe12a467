-- +goose Up
-- The searches read an in-memory read model of the registry (package internal/offer), which
-- computes what the former SQL search read from copies: the structure's kind, département,
-- closing, active members, convention end and open positions, and the job descriptions'
-- copies of their structure's. The copies go with their indexes and the triggers that kept
-- them.
--
-- Without the trigger that carried memberships into structures.staffed (and so bumped the
-- registry's generation at every membership change), a change of membership bumps the
-- generation only when what a search shows changes: a structure gets its first active member
-- or loses its last one. Whether it does is decided when the row changes (a deferred trigger
-- would see the transaction's final state, in which two members added together hide each
-- other); the bump itself waits for the commit, like the others of migration 00080, through a
-- transaction-local setting.
DROP TRIGGER structures_offer_sync ON structures;
DROP FUNCTION offer_sync_job_descriptions();
DROP TRIGGER memberships_offer_staffed ON memberships;
DROP FUNCTION offer_sync_staffed();
DROP TRIGGER organisations_offer_sync ON organisations;
DROP FUNCTION offer_sync_organisation();
DROP INDEX structures_position;
DROP INDEX job_descriptions_position;
ALTER TABLE structures DROP COLUMN kind, DROP COLUMN departement, DROP COLUMN org_deactivated, DROP COLUMN staffed,
    DROP COLUMN convention_ends_on, DROP COLUMN hiring;
ALTER TABLE job_descriptions DROP COLUMN structure_kind, DROP COLUMN structure_listed, DROP COLUMN structure_ends_on,
    DROP COLUMN structure_staffed, DROP COLUMN structure_blocked;

-- +goose StatementBegin
CREATE FUNCTION offer_membership_visible() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flips BOOLEAN := FALSE;
BEGIN
    -- An active membership leaves OLD.org_id: visible if it was the last one.
    IF TG_OP <> 'INSERT' AND OLD.is_active
        AND (TG_OP = 'DELETE' OR NOT NEW.is_active OR NEW.org_id IS DISTINCT FROM OLD.org_id) THEN
        flips := EXISTS (SELECT 1 FROM structures s WHERE s.org_id = OLD.org_id)
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active);
    END IF;
    -- An active membership arrives in NEW.org_id: visible if it is the first one.
    IF NOT flips AND TG_OP <> 'DELETE' AND NEW.is_active
        AND (TG_OP = 'INSERT' OR NOT OLD.is_active OR NEW.org_id IS DISTINCT FROM OLD.org_id) THEN
        flips := EXISTS (SELECT 1 FROM structures s WHERE s.org_id = NEW.org_id)
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active AND m.user_id <> NEW.user_id);
    END IF;
    IF flips THEN
        PERFORM set_config('parcours.offer_bump', 'on', TRUE);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION offer_bump_generation_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('parcours.offer_bump', TRUE) = 'on' THEN
        UPDATE offer_state SET generation = generation + 1, bumped_by = txid_current()
        WHERE id = 1 AND bumped_by IS DISTINCT FROM txid_current();
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER memberships_offer_visible AFTER INSERT OR DELETE OR UPDATE OF org_id, is_active ON memberships
    FOR EACH ROW EXECUTE FUNCTION offer_membership_visible();
CREATE CONSTRAINT TRIGGER memberships_offer_generation AFTER INSERT OR DELETE OR UPDATE OF org_id, is_active ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_bump_generation_membership();

-- +goose Down
DROP TRIGGER memberships_offer_generation ON memberships;
DROP TRIGGER memberships_offer_visible ON memberships;
DROP FUNCTION offer_bump_generation_membership();
DROP FUNCTION offer_membership_visible();
ALTER TABLE structures ADD COLUMN kind TEXT, ADD COLUMN departement TEXT, ADD COLUMN org_deactivated BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN staffed BOOLEAN NOT NULL DEFAULT FALSE, ADD COLUMN convention_ends_on DATE, ADD COLUMN hiring BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE structures SET kind = o.kind, departement = o.departement, org_deactivated = o.deactivated_at IS NOT NULL,
    staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.is_active),
    convention_ends_on = (SELECT c.ends_on FROM conventions c WHERE c.id = COALESCE(structures.convention_id,
        (SELECT p.convention_id FROM structures p WHERE p.org_id = structures.parent_id))),
    hiring = EXISTS (SELECT 1 FROM job_descriptions j WHERE j.structure_id = structures.org_id AND j.active AND j.open_positions > 0)
    FROM organisations o WHERE o.id = structures.org_id;
ALTER TABLE structures ALTER COLUMN kind SET NOT NULL, ALTER COLUMN departement SET NOT NULL,
    ADD CHECK (kind IN ('EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ'));
ALTER TABLE job_descriptions ADD COLUMN structure_kind TEXT NOT NULL DEFAULT '', ADD COLUMN structure_listed BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN structure_ends_on DATE, ADD COLUMN structure_staffed BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN structure_blocked BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE job_descriptions SET structure_kind = s.kind, structure_listed = s.searchable AND NOT s.org_deactivated,
    structure_ends_on = s.convention_ends_on, structure_staffed = s.staffed, structure_blocked = s.block_applications
    FROM structures s WHERE s.org_id = job_descriptions.structure_id;
CREATE INDEX structures_position ON structures (lat, lng, searchable, org_deactivated, kind, departement, convention_ends_on,
    staffed, hiring, block_applications, org_id);
CREATE INDEX job_descriptions_position ON job_descriptions (lat, lng, structure_listed, structure_kind, departement, rome_code,
    appellation_code, contract_type, open_positions, structure_ends_on, structure_staffed, structure_blocked, structure_id, id)
    WHERE active;
-- +goose StatementBegin
CREATE FUNCTION offer_sync_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE structures SET kind = NEW.kind, departement = NEW.departement, org_deactivated = NEW.deactivated_at IS NOT NULL
    WHERE org_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER organisations_offer_sync AFTER UPDATE OF kind, departement, deactivated_at ON organisations
    FOR EACH ROW EXECUTE FUNCTION offer_sync_organisation();
-- +goose StatementBegin
CREATE FUNCTION offer_sync_staffed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = OLD.org_id AND m.is_active)
        WHERE org_id = OLD.org_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE structures SET staffed = EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = NEW.org_id AND m.is_active)
        WHERE org_id = NEW.org_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER memberships_offer_staffed AFTER INSERT OR DELETE OR UPDATE OF org_id, is_active ON memberships
    FOR EACH ROW EXECUTE FUNCTION offer_sync_staffed();
-- +goose StatementBegin
CREATE FUNCTION offer_sync_job_descriptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE job_descriptions SET structure_kind = NEW.kind, structure_listed = NEW.searchable AND NOT NEW.org_deactivated,
        structure_ends_on = NEW.convention_ends_on, structure_staffed = NEW.staffed, structure_blocked = NEW.block_applications
    WHERE structure_id = NEW.org_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER structures_offer_sync AFTER UPDATE OF kind, searchable, org_deactivated, convention_ends_on, staffed, block_applications
    ON structures FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.searchable IS DISTINCT FROM NEW.searchable
        OR OLD.org_deactivated IS DISTINCT FROM NEW.org_deactivated OR OLD.convention_ends_on IS DISTINCT FROM NEW.convention_ends_on
        OR OLD.staffed IS DISTINCT FROM NEW.staffed OR OLD.block_applications IS DISTINCT FROM NEW.block_applications)
    EXECUTE FUNCTION offer_sync_job_descriptions();
