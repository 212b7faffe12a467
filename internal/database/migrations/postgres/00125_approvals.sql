-- +goose Up
-- The PASS IAE (package approval). Dates are calendar dates; the state (future, valid,
-- suspended, expired) is computed from them, never stored. end_on is kept equal to start_on +
-- 729 days + the days of every suspension and prolongation by the package, in the transaction
-- of each change, which locks the PASS row first.

-- The number sequence: one row, incremented by UPDATE … RETURNING in the transaction of the
-- hire, so that concurrent hires get distinct, consecutive numbers and a number taken is never
-- handed out again (cancelled PASS included).
CREATE TABLE approval_numbers (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL CHECK (last BETWEEN 0 AND 9999999)
);
INSERT INTO approval_numbers (id, last) VALUES (1, 0);

CREATE TABLE approvals (
    id                  UUID PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE CHECK (length(number) = 12 AND substr(number, 1, 5) = '99999'),
    job_seeker_id       UUID NOT NULL REFERENCES job_seekers (id) ON DELETE CASCADE,
    start_on            DATE NOT NULL,
    end_on              DATE NOT NULL,
    -- The diagnosis the PASS was issued on: it stays valid while the PASS runs.
    diagnosis_id        UUID REFERENCES eligibility_diagnoses (id) ON DELETE SET NULL,
    -- The structure and start of the last hire: the structure that manages the PASS.
    org_id              UUID NOT NULL REFERENCES organisations (id),
    hire_start          DATE NOT NULL,
    interrupted_on      DATE,
    interruption_reason TEXT NOT NULL DEFAULT '' CHECK (interruption_reason IN ('', 'sustained_job', 'training', 'long_suspension', 'other')),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    CHECK (end_on > start_on),
    CHECK (interrupted_on IS NULL OR interrupted_on >= start_on),
    CHECK ((interrupted_on IS NULL) = (interruption_reason = ''))
);
CREATE INDEX approvals_person ON approvals (job_seeker_id, end_on);
CREATE INDEX approvals_org ON approvals (org_id, end_on);
CREATE INDEX approvals_diagnosis ON approvals (diagnosis_id);

-- Every hire a PASS carried.
CREATE TABLE approval_hires (
    approval_id    UUID NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    application_id UUID NOT NULL UNIQUE REFERENCES applications (id) ON DELETE CASCADE,
    org_id         UUID NOT NULL REFERENCES organisations (id),
    hire_start     DATE NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (approval_id, application_id)
);

CREATE TABLE approval_suspensions (
    id            UUID PRIMARY KEY,
    approval_id   UUID NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    start_on      DATE NOT NULL,
    end_on        DATE NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('contract_suspended', 'contract_broken', 'finished_contract',
        'approval_between_cta_members', 'contrat_passerelle', 'sickness', 'maternity', 'incarceration',
        'trial_outside_iae', 'detoxification', 'force_majeure')),
    org_id        UUID NOT NULL REFERENCES organisations (id),
    created_by    UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    ended_by_hire BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK (end_on >= start_on),
    UNIQUE (approval_id, start_on)
);

-- Prolongation requests to an authorised prescriber (pending, then granted or denied).
CREATE TABLE approval_prolongation_requests (
    id               UUID PRIMARY KEY,
    approval_id      UUID NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    reason           TEXT NOT NULL CHECK (reason IN ('rqth', 'senior', 'particular_difficulties')),
    start_on         DATE NOT NULL,
    end_on           DATE NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'granted', 'denied')),
    from_org         UUID NOT NULL REFERENCES organisations (id),
    from_user        UUID REFERENCES users (id) ON DELETE SET NULL,
    to_org           UUID NOT NULL REFERENCES organisations (id),
    report_file      UUID REFERENCES files (id) ON DELETE SET NULL,
    deny_reason      TEXT NOT NULL DEFAULT '' CHECK (deny_reason IN ('', 'iae', 'siae', 'duration', 'reason')),
    decided_by       UUID REFERENCES users (id) ON DELETE SET NULL,
    decided_at       TIMESTAMPTZ,
    reminders        INTEGER NOT NULL DEFAULT 0 CHECK (reminders BETWEEN 0 AND 3),
    last_reminder_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    CHECK (end_on > start_on),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK ((state = 'denied') = (deny_reason <> ''))
);
CREATE UNIQUE INDEX approval_prolongation_requests_pending ON approval_prolongation_requests (approval_id) WHERE state = 'pending';
CREATE INDEX approval_prolongation_requests_to ON approval_prolongation_requests (to_org, state);

CREATE TABLE approval_prolongations (
    id               UUID PRIMARY KEY,
    approval_id      UUID NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    start_on         DATE NOT NULL,
    end_on           DATE NOT NULL,
    reason           TEXT NOT NULL CHECK (reason IN ('senior_cdi', 'complete_training', 'rqth', 'senior', 'particular_difficulties', 'health_context')),
    declared_by      UUID NOT NULL REFERENCES organisations (id),
    validated_by     UUID REFERENCES organisations (id),
    request_id       UUID UNIQUE REFERENCES approval_prolongation_requests (id),
    report_file      UUID REFERENCES files (id) ON DELETE SET NULL,
    created_by       UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    CHECK (end_on >= start_on),
    CHECK ((reason IN ('rqth', 'senior', 'particular_difficulties')) = (validated_by IS NOT NULL)),
    UNIQUE (approval_id, start_on)
);

-- Hires whose person has no NIR, no France Travail identifier and did not declare not being
-- registered: staff deliver the PASS by hand once the identity is checked.
CREATE TABLE approval_deliveries (
    id             UUID PRIMARY KEY,
    application_id UUID NOT NULL UNIQUE REFERENCES applications (id) ON DELETE CASCADE,
    job_seeker_id  UUID NOT NULL REFERENCES job_seekers (id) ON DELETE CASCADE,
    org_id         UUID NOT NULL REFERENCES organisations (id),
    hire_start     DATE NOT NULL,
    diagnosis_id   UUID REFERENCES eligibility_diagnoses (id) ON DELETE SET NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
    approval_id    UUID REFERENCES approvals (id) ON DELETE SET NULL,
    decided_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    decided_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE INDEX approval_deliveries_state ON approval_deliveries (state, created_at);

-- +goose Down
DROP TABLE approval_deliveries;
DROP TABLE approval_prolongations;
DROP TABLE approval_prolongation_requests;
DROP TABLE approval_suspensions;
DROP TABLE approval_hires;
DROP TABLE approvals;
DROP TABLE approval_numbers;
