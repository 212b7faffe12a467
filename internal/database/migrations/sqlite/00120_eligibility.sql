-- +goose Up
-- IAE eligibility (package eligibility). The criteria are a versioned reference set: each
-- arrêté is one set with the date it applies from, loaded from the JSON files embedded in the
-- package (eligibility.EnsureCriteria, at start); a new arrêté is a new file, never a change
-- of a published set, so that every diagnosis keeps the criteria it was made with.
CREATE TABLE eligibility_criteria_sets (
    id             TEXT PRIMARY KEY,
    label          TEXT NOT NULL,
    source         TEXT NOT NULL,
    effective_from DATE NOT NULL UNIQUE,
    loaded_at      TIMESTAMP NOT NULL
);

CREATE TABLE eligibility_criteria (
    set_id         TEXT NOT NULL REFERENCES eligibility_criteria_sets (id),
    code           TEXT NOT NULL CHECK (code <> ''),
    level          INTEGER NOT NULL CHECK (level IN (1, 2)),
    position       INTEGER NOT NULL,
    label          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    proof          TEXT NOT NULL,
    proof_validity TEXT NOT NULL,
    PRIMARY KEY (set_id, code)
);

-- Criteria that cannot be checked together (a person is not both under 26 and over 50).
CREATE TABLE eligibility_incompatibilities (
    set_id  TEXT NOT NULL,
    code_a  TEXT NOT NULL,
    code_b  TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (set_id, code_a, code_b),
    FOREIGN KEY (set_id, code_a) REFERENCES eligibility_criteria (set_id, code),
    FOREIGN KEY (set_id, code_b) REFERENCES eligibility_criteria (set_id, code),
    CHECK (code_a <> code_b)
);

-- Diagnoses. The criteria checked say much about a person (RSA, disability, detention): they
-- are sealed under the person's data key (subject "jobseeker:<id>"); only their counts per
-- level stay readable, so that the rule of an employer's diagnosis is also checked here.
-- valid_until is the last day of validity; ended_on is the day a newer diagnosis of the same
-- scope (any authorised prescriber, or the same structure) replaced it. A running PASS IAE
-- keeps its diagnosis valid: the approvals module references the diagnosis from the PASS.
CREATE TABLE eligibility_diagnoses (
    id             TEXT PRIMARY KEY,
    job_seeker_id  TEXT NOT NULL REFERENCES job_seekers (id) ON DELETE CASCADE,
    author_kind    TEXT NOT NULL CHECK (author_kind IN ('prescriber', 'employer')),
    author_org     TEXT NOT NULL REFERENCES organisations (id),
    author_user    TEXT REFERENCES users (id),
    structure_kind TEXT NOT NULL DEFAULT '',
    criteria_set   TEXT NOT NULL REFERENCES eligibility_criteria_sets (id),
    criteria       BLOB NOT NULL,
    level1_count   INTEGER NOT NULL CHECK (level1_count >= 0),
    level2_count   INTEGER NOT NULL CHECK (level2_count >= 0),
    made_on        DATE NOT NULL,
    valid_until    DATE NOT NULL,
    ended_on       DATE,
    created_at     TIMESTAMP NOT NULL,
    CHECK (valid_until >= made_on),
    CHECK (ended_on IS NULL OR ended_on >= made_on),
    CHECK ((author_kind = 'prescriber') = (structure_kind = '')),
    CHECK (structure_kind IN ('', 'EI', 'AI', 'ACI', 'ETTI', 'EITI')),
    CHECK (author_kind = 'prescriber' OR level1_count >= 1
        OR (structure_kind IN ('AI', 'ETTI') AND level2_count >= 2) OR level2_count >= 3)
);
CREATE INDEX eligibility_diagnoses_person ON eligibility_diagnoses (job_seeker_id, made_on);
CREATE INDEX eligibility_diagnoses_author ON eligibility_diagnoses (author_org, made_on);
-- One running diagnosis per scope: a new one ends the previous one in the same transaction.
CREATE UNIQUE INDEX eligibility_diagnoses_running_prescriber ON eligibility_diagnoses (job_seeker_id)
    WHERE author_kind = 'prescriber' AND ended_on IS NULL;
CREATE UNIQUE INDEX eligibility_diagnoses_running_employer ON eligibility_diagnoses (job_seeker_id, author_org)
    WHERE author_kind = 'employer' AND ended_on IS NULL;

-- +goose Down
DROP TABLE eligibility_diagnoses;
DROP TABLE eligibility_incompatibilities;
DROP TABLE eligibility_criteria;
DROP TABLE eligibility_criteria_sets;
