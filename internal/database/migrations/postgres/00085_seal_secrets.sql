-- +goose Up
-- The outbox keeps a message's recipient, subject and bodies only sealed (package notify), under
-- a data key of the message's own, and deletes them once the message is sent or abandoned: its
-- links (password reset, invitation, address confirmation) are live secrets.
--
-- Messages still waiting were written in clear by the previous version and cannot be sealed in
-- SQL (the keys are not in the database): they are abandoned, so that no live link stays
-- readable. Whoever waited for one asks again (forgotten password, new confirmation link, new
-- invitation).
UPDATE outbox SET state = 'failed', last_error = 'abandonné : écrit en clair par une version précédente',
    locked_by = NULL, locked_until = NULL
WHERE state IN ('pending', 'sending');
ALTER TABLE outbox ADD COLUMN sealed BYTEA;
-- A waiting message has its sealed content; a sent or failed one has none.
ALTER TABLE outbox ADD CONSTRAINT outbox_sealed_while_waiting
    CHECK ((sealed IS NOT NULL) = (state IN ('pending', 'sending')));
-- PostgreSQL drops columns logically: the clear values stay in the old row versions until the
-- rows are rewritten. Emptying them first leaves only dead versions, which VACUUM reclaims.
ALTER TABLE outbox ALTER COLUMN to_address DROP NOT NULL, ALTER COLUMN subject DROP NOT NULL,
    ALTER COLUMN text_body DROP NOT NULL, ALTER COLUMN html_body DROP NOT NULL;
UPDATE outbox SET to_address = NULL, subject = NULL, text_body = NULL, html_body = NULL;
ALTER TABLE outbox DROP COLUMN to_address, DROP COLUMN subject, DROP COLUMN text_body, DROP COLUMN html_body;

-- The demo administrator's TOTP secret was kept in clear; the next demo load enrols the
-- administrator again and keeps the new secret sealed (package demo).
DELETE FROM settings WHERE key = 'demo_totp_secret';

-- +goose Down
UPDATE outbox SET state = 'failed', last_error = 'abandonné : retour à une version sans chiffrement',
    locked_by = NULL, locked_until = NULL, sealed = NULL
WHERE state IN ('pending', 'sending');
ALTER TABLE outbox DROP CONSTRAINT outbox_sealed_while_waiting;
ALTER TABLE outbox DROP COLUMN sealed;
ALTER TABLE outbox ADD COLUMN to_address TEXT NOT NULL DEFAULT '', ADD COLUMN subject TEXT NOT NULL DEFAULT '',
    ADD COLUMN text_body TEXT NOT NULL DEFAULT '', ADD COLUMN html_body TEXT NOT NULL DEFAULT '';
