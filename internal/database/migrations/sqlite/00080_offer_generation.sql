-- +goose Up
-- The generation of the public registry (package internal/offer). Searches read an in-memory
-- copy of the listed structures and their active job descriptions; each instance compares the
-- generation its copy was built from with this one and rebuilds it when they differ. Every
-- change of what a search shows bumps it, in the changing transaction, through the triggers
-- below: structures, job descriptions, conventions, and the organisation fields a structure
-- shows (the triggers of 00070 already carry memberships and the organisation's kind,
-- département and closing into structures, which bumps it too).
CREATE TABLE offer_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO offer_state (id, generation) VALUES (1, 1);

-- +goose StatementBegin
CREATE TRIGGER structures_offer_generation_insert AFTER INSERT ON structures
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER structures_offer_generation_update AFTER UPDATE ON structures
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER structures_offer_generation_delete AFTER DELETE ON structures
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER job_descriptions_offer_generation_insert AFTER INSERT ON job_descriptions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER job_descriptions_offer_generation_update AFTER UPDATE ON job_descriptions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER job_descriptions_offer_generation_delete AFTER DELETE ON job_descriptions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER conventions_offer_generation_insert AFTER INSERT ON conventions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER conventions_offer_generation_update AFTER UPDATE ON conventions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER conventions_offer_generation_delete AFTER DELETE ON conventions
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- The legal name, SIRET and commune a structure's card shows live on organisations.
-- +goose StatementBegin
CREATE TRIGGER organisations_offer_generation AFTER UPDATE OF name, siret, commune_code, departement, kind, deactivated_at
    ON organisations
    WHEN (OLD.name IS NOT NEW.name OR OLD.siret IS NOT NEW.siret OR OLD.commune_code IS NOT NEW.commune_code
        OR OLD.departement IS NOT NEW.departement OR OLD.kind IS NOT NEW.kind OR OLD.deactivated_at IS NOT NEW.deactivated_at)
        AND EXISTS (SELECT 1 FROM structures s WHERE s.org_id = NEW.id)
BEGIN
    UPDATE offer_state SET generation = generation + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER organisations_offer_generation;
DROP TRIGGER conventions_offer_generation_delete;
DROP TRIGGER conventions_offer_generation_update;
DROP TRIGGER conventions_offer_generation_insert;
DROP TRIGGER job_descriptions_offer_generation_delete;
DROP TRIGGER job_descriptions_offer_generation_update;
DROP TRIGGER job_descriptions_offer_generation_insert;
DROP TRIGGER structures_offer_generation_delete;
DROP TRIGGER structures_offer_generation_update;
DROP TRIGGER structures_offer_generation_insert;
DROP TABLE offer_state;
