-- +goose Up
-- Applications ("candidatures") of job seekers to SIAE and GEIQ (package application): who sent
-- them, where they stand in the workflow, and the hire. Messages and answers are sealed under
-- the person's data key; the state machine is in Go (application.Next), the coherence of the
-- row is also checked here.
CREATE TABLE applications (
    id                  TEXT PRIMARY KEY,
    job_seeker_id       TEXT NOT NULL REFERENCES job_seekers (id) ON DELETE CASCADE,
    to_org              TEXT NOT NULL REFERENCES organisations (id),
    sender_kind         TEXT NOT NULL CHECK (sender_kind IN ('job_seeker', 'prescriber', 'employer')),
    sender_user         TEXT REFERENCES users (id),
    sender_org          TEXT REFERENCES organisations (id),
    sender_authorized   BOOLEAN NOT NULL DEFAULT FALSE,
    self_hire           BOOLEAN NOT NULL DEFAULT FALSE,
    state               TEXT NOT NULL CHECK (state IN ('new', 'processing', 'postponed', 'prior_to_hire', 'accepted', 'refused',
                            'cancelled', 'obsolete', 'pool')),
    message             BLOB,
    cv_file             TEXT,
    refusal_reason      TEXT NOT NULL DEFAULT '',
    answer              BLOB,
    answer_to_sender    BLOB,
    reason_shared       BOOLEAN NOT NULL DEFAULT FALSE,
    hiring_start        DATE,
    hiring_end          DATE,
    contract_type       TEXT NOT NULL DEFAULT '',
    hours_per_week      INTEGER CHECK (hours_per_week IS NULL OR hours_per_week BETWEEN 1 AND 48),
    salary_cents        INTEGER CHECK (salary_cents IS NULL OR salary_cents >= 0),
    first_mission       DATE,
    hired_job           TEXT REFERENCES job_descriptions (id),
    transferred_from    TEXT REFERENCES applications (id),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    processed_at        TIMESTAMP,
    archived_at         TIMESTAMP,
    CHECK ((state IN ('accepted', 'refused', 'cancelled', 'obsolete')) = (processed_at IS NOT NULL)),
    CHECK (state NOT IN ('accepted', 'prior_to_hire') OR archived_at IS NULL),
    CHECK (state <> 'accepted' OR hiring_start IS NOT NULL),
    CHECK (hiring_end IS NULL OR hiring_start IS NULL OR hiring_end >= hiring_start),
    CHECK ((sender_kind = 'job_seeker') = (sender_org IS NULL)),
    CHECK (NOT self_hire OR (sender_kind = 'employer' AND sender_org = to_org))
);
CREATE INDEX applications_received ON applications (to_org, created_at);
CREATE INDEX applications_sent ON applications (sender_org, created_at);
CREATE INDEX applications_person ON applications (job_seeker_id, created_at);
CREATE INDEX applications_untouched ON applications (state, updated_at);

-- The job descriptions an application was sent for (none: a spontaneous application).
CREATE TABLE application_jobs (
    application_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    job_description_id TEXT NOT NULL REFERENCES job_descriptions (id),
    PRIMARY KEY (application_id, job_description_id)
);

-- Every move of the workflow: who, when, from, to. user_id is NULL for the platform itself
-- (automatic refusal).
CREATE TABLE application_transitions (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    transition     TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    at             TIMESTAMP NOT NULL,
    user_id        TEXT REFERENCES users (id),
    org_id         TEXT REFERENCES organisations (id),
    target_org     TEXT REFERENCES organisations (id)
);
CREATE INDEX application_transitions_application ON application_transitions (application_id, at);

-- +goose Down
DROP TABLE application_transitions;
DROP TABLE application_jobs;
DROP TABLE applications;
