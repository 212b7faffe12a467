-- +goose Up
-- The notices a professional switched off, per organisation (notify.Choices): a row means
-- "do not send"; no row, the default, means the notice is sent.
CREATE TABLE notification_settings (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id  TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id, kind)
);

-- The actions before hiring of a GEIQ (state prior_to_hire): a period in a company (PMSMP,
-- MRS, stage, other) or a pre-qualification (regional or sector scheme, AFPR, POE, other),
-- over an inclusive date range.
CREATE TABLE application_prior_actions (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('pmsmp', 'mrs', 'stage', 'msp_other', 'regional', 'afpr', 'poe', 'prequalification_other')),
    starts_on      DATE NOT NULL,
    ends_on        DATE NOT NULL CHECK (ends_on >= starts_on),
    created_at     TIMESTAMP NOT NULL,
    created_by     TEXT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX application_prior_actions_application ON application_prior_actions (application_id, starts_on);

-- +goose Down
DROP TABLE application_prior_actions;
DROP TABLE notification_settings;
