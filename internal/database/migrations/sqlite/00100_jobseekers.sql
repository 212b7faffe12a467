-- +goose Up
-- Job seekers (arrêté of 7 April 2020, annexe: identification of candidates). The person is
-- not the account: a prescriber or an employer may create the file of someone who has no
-- account yet ("by proxy"); user_id links the account once the person takes it over.
-- Identifiers and everything sensitive are sealed under the person's data key (subject
-- "jobseeker:<id>"); the NIR and the France Travail identifier are found through keyed blind
-- indexes, never in clear. Names, birth date and commune stay readable for lists and the
-- search of duplicates.
CREATE TABLE job_seekers (
    id              TEXT PRIMARY KEY,
    user_id         TEXT UNIQUE REFERENCES users (id),
    civility        TEXT NOT NULL CHECK (civility IN ('M', 'MME')),
    birth_name      TEXT NOT NULL CHECK (length(birth_name) BETWEEN 1 AND 100),
    usage_name      TEXT NOT NULL DEFAULT '' CHECK (length(usage_name) <= 100),
    first_names     TEXT NOT NULL CHECK (length(first_names) BETWEEN 1 AND 100),
    birth_date      DATE NOT NULL,
    birth_commune   TEXT NOT NULL DEFAULT '',
    birth_country   TEXT NOT NULL DEFAULT '',
    nir             BLOB,
    nir_index       BLOB UNIQUE,
    no_nir_reason   TEXT NOT NULL DEFAULT '' CHECK (no_nir_reason IN ('', 'no_nir', 'nir_of_someone_else')),
    ft_id           BLOB,
    ft_id_index     BLOB,
    no_ft_id_reason TEXT NOT NULL DEFAULT '' CHECK (no_ft_id_reason IN ('', 'forgotten', 'not_registered')),
    email           TEXT CHECK (email IS NULL OR email = lower(email)),
    commune_code    TEXT NOT NULL,
    details         BLOB NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    created_by_user TEXT REFERENCES users (id),
    created_by_org  TEXT REFERENCES organisations (id),
    updated_at      TIMESTAMP NOT NULL,
    updated_by      TEXT REFERENCES users (id),
    CHECK ((nir IS NULL) = (nir_index IS NULL)),
    CHECK ((nir IS NULL) <> (no_nir_reason = '')),
    CHECK ((ft_id IS NULL) = (ft_id_index IS NULL)),
    CHECK ((ft_id IS NULL) <> (no_ft_id_reason = '')),
    CHECK ((birth_commune = '') <> (birth_country = ''))
);
CREATE INDEX job_seekers_identity ON job_seekers (birth_date, birth_name);
CREATE INDEX job_seekers_ft_id ON job_seekers (ft_id_index);
CREATE INDEX job_seekers_email ON job_seekers (email);

-- Which organisations follow whom: the organisation of a professional who created the
-- person's file or acted for them, with the last professional who did and what; a
-- prescriber's "Mes candidats" lists the people of their organisation.
CREATE TABLE job_seeker_followers (
    job_seeker_id  TEXT NOT NULL REFERENCES job_seekers (id) ON DELETE CASCADE,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    since          TIMESTAMP NOT NULL,
    last_action    TEXT NOT NULL CHECK (last_action IN ('create', 'apply', 'hire', 'follow')),
    last_action_at TIMESTAMP NOT NULL,
    PRIMARY KEY (job_seeker_id, org_id)
);
CREATE INDEX job_seeker_followers_org ON job_seeker_followers (org_id, last_action_at);

-- +goose Down
DROP TABLE job_seeker_followers;
DROP TABLE job_seekers;
