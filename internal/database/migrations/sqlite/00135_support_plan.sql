-- +goose Up
-- The plan of the adapted support (PPAE, "contrat d'engagement"; Code du travail D5312-50 2°).
-- Every saved change makes a new version; the content of each version (jobs sought, area,
-- salary, hours, objectives, actions, reviews) is sealed as one document under the record's data
-- key (subject "support:<record id>"), bound to its row (record id and version), so that the
-- purge's shredding of that key makes every version unreadable.

-- The versions of a record's plan: the last is the current plan. changes lists the sections
-- that changed (codes, no personal data); who made the version and when; the person's
-- acknowledgement of it (the day and how: in person, signed paper, online on their own page).
CREATE TABLE support_plan_versions (
    record_id   TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version > 0),
    content     BLOB NOT NULL,
    changes     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT REFERENCES users (id),
    created_org TEXT REFERENCES organisations (id),
    ack_on      DATE,
    ack_how     TEXT NOT NULL DEFAULT '' CHECK (ack_how IN ('', 'in_person', 'paper', 'online')),
    ack_at      TIMESTAMP,
    ack_by      TEXT REFERENCES users (id),
    PRIMARY KEY (record_id, version),
    CHECK ((ack_on IS NULL) = (ack_how = ''))
);

-- The due dates of the current plan's actions and reviews, in clear (dates only, no text) so
-- that the daily reminder job finds what is overdue without opening the plan. settled: the
-- action is done or abandoned, the review was held. reminded_due is the due date for which the
-- referent was reminded: one reminder per overdue item, a new one only if the date moves.
CREATE TABLE support_plan_due (
    record_id    TEXT NOT NULL REFERENCES support_records (id) ON DELETE CASCADE,
    item         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('action', 'review')),
    due_on       DATE NOT NULL,
    settled      BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_due DATE,
    PRIMARY KEY (record_id, item)
);
CREATE INDEX support_plan_due_open ON support_plan_due (due_on) WHERE NOT settled;

-- +goose Down
DROP TABLE support_plan_due;
DROP TABLE support_plan_versions;
