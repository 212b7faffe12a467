-- +goose Up
-- One row per run of a periodic job. A scheduled run is claimed by inserting the row for its
-- (job, slot): the unique index makes exactly one instance win. Retries and takeovers of a dead
-- instance's run re-claim the same row with a conditional UPDATE. Manual runs (RunNow) have their
-- own rows and never take a scheduled slot.
CREATE TABLE job_runs (
    id          TEXT PRIMARY KEY,
    job         TEXT NOT NULL,
    slot        TIMESTAMP NOT NULL,
    manual      BOOLEAN NOT NULL DEFAULT FALSE,
    claimed_by  TEXT NOT NULL,
    attempt     INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    started_at  TIMESTAMP NOT NULL,
    lease_until TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome     TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed')),
    counts      TEXT,
    error_text  TEXT,
    retry_at    TIMESTAMP
);
CREATE UNIQUE INDEX job_runs_slot ON job_runs (job, slot) WHERE NOT manual;
CREATE INDEX job_runs_running ON job_runs (job, lease_until) WHERE outcome = 'running';
CREATE INDEX job_runs_history ON job_runs (job, started_at);
CREATE INDEX job_runs_started ON job_runs (started_at);

-- E-mails waiting to be sent, written in the transaction of the change they announce.
-- Bodies hold personal data: sent and failed messages are purged after a few days.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    to_address      TEXT NOT NULL,
    template        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    locked_by       TEXT,
    sent_at         TIMESTAMP,
    last_error      TEXT
);
-- The delivery query: due messages not leased by a live instance.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_purge ON outbox (state, sent_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE job_runs;
