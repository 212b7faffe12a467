-- +goose Up
-- The generation of the public registry (package internal/offer). Searches read an in-memory
-- copy of the listed structures and their active job descriptions; each instance compares the
-- generation its copy was built from with this one and rebuilds it when they differ. Every
-- change of what a search shows bumps it, in the changing transaction, through the triggers
-- below: structures, job descriptions, conventions, and the organisation fields a structure
-- shows (the triggers of 00070 already carry memberships and the organisation's kind,
-- département and closing into structures, which bumps it too).
--
-- The triggers are deferred to the commit and bump at most once per transaction (bumped_by):
-- a registry import of thousands of rows writes one new version of the row, not one per row,
-- and the row is locked only while committing, after every other lock the transaction takes,
-- so that it adds no deadlock.
CREATE TABLE offer_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL,
    bumped_by  BIGINT
);
INSERT INTO offer_state (id, generation) VALUES (1, 1);

-- +goose StatementBegin
CREATE FUNCTION offer_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE offer_state SET generation = generation + 1, bumped_by = txid_current()
    WHERE id = 1 AND bumped_by IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- The legal name, SIRET and commune a structure's card shows live on organisations.
-- +goose StatementBegin
CREATE FUNCTION offer_bump_generation_organisation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM structures s WHERE s.org_id = NEW.id) THEN
        UPDATE offer_state SET generation = generation + 1, bumped_by = txid_current()
        WHERE id = 1 AND bumped_by IS DISTINCT FROM txid_current();
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER structures_offer_generation AFTER INSERT OR UPDATE OR DELETE ON structures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_bump_generation();
CREATE CONSTRAINT TRIGGER job_descriptions_offer_generation AFTER INSERT OR UPDATE OR DELETE ON job_descriptions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_bump_generation();
CREATE CONSTRAINT TRIGGER conventions_offer_generation AFTER INSERT OR UPDATE OR DELETE ON conventions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_bump_generation();
CREATE CONSTRAINT TRIGGER organisations_offer_generation AFTER UPDATE OF name, siret, commune_code, departement, kind, deactivated_at
    ON organisations DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.siret IS DISTINCT FROM NEW.siret
        OR OLD.commune_code IS DISTINCT FROM NEW.commune_code OR OLD.departement IS DISTINCT FROM NEW.departement
        OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.deactivated_at IS DISTINCT FROM NEW.deactivated_at)
    EXECUTE FUNCTION offer_bump_generation_organisation();
-- TRUNCATE fires no row trigger.
CREATE TRIGGER structures_offer_generation_truncate AFTER TRUNCATE ON structures
    FOR EACH STATEMENT EXECUTE FUNCTION offer_bump_generation();
CREATE TRIGGER job_descriptions_offer_generation_truncate AFTER TRUNCATE ON job_descriptions
    FOR EACH STATEMENT EXECUTE FUNCTION offer_bump_generation();
CREATE TRIGGER conventions_offer_generation_truncate AFTER TRUNCATE ON conventions
    FOR EACH STATEMENT EXECUTE FUNCTION offer_bump_generation();

-- +goose Down
DROP TRIGGER conventions_offer_generation_truncate ON conventions;
DROP TRIGGER job_descriptions_offer_generation_truncate ON job_descriptions;
DROP TRIGGER structures_offer_generation_truncate ON structures;
DROP TRIGGER organisations_offer_generation ON organisations;
DROP TRIGGER conventions_offer_generation ON conventions;
DROP TRIGGER job_descriptions_offer_generation ON job_descriptions;
DROP TRIGGER structures_offer_generation ON structures;
DROP FUNCTION offer_bump_generation_organisation();
DROP FUNCTION offer_bump_generation();
DROP TABLE offer_state;
