-- +goose Up
-- Indexes of the applications' lists and daily jobs at national scale (issue 8, measured on a
-- million applications: bench/README.md). Numbered after 00120: goose refuses a migration
-- older than the database's version, so 00111 would stop every database already at 00120.
--
-- An employer's and a prescriber's lists show the live (unarchived) applications of one
-- organisation, newest first, a page at a time, filtered by state or sender kind: these
-- partial indexes give the page in order and hold what the filters read, so the page's 20 ids
-- are found without reading the table (the rows are joined after). The archived ones have
-- their own index for the "archived" view of the received list. applications_received is
-- replaced by the two (every query on to_org says whether it wants archived rows).
CREATE INDEX applications_received_live ON applications (to_org, created_at, id, state, sender_kind) WHERE archived_at IS NULL;
CREATE INDEX applications_received_archived ON applications (to_org, created_at, id) WHERE archived_at IS NOT NULL;
CREATE INDEX applications_sent_live ON applications (sender_org, created_at, id, state, sender_kind) WHERE archived_at IS NULL;
DROP INDEX applications_received;
-- The filter on a job description starts from the job description's applications.
CREATE INDEX application_jobs_job ON application_jobs (job_description_id, application_id);
-- The automatic refusal and the archiving walk their candidates in (updated_at, id) order,
-- a batch at a time; each index holds only the rows its job may still move, so a daily run
-- reads what it changes and not the table. They replace applications_untouched.
CREATE INDEX applications_pending_since ON applications (updated_at, id) WHERE state IN ('new', 'processing');
CREATE INDEX applications_archivable ON applications (updated_at, id)
    WHERE archived_at IS NULL AND state IN ('new', 'processing', 'postponed', 'refused', 'cancelled', 'obsolete');
DROP INDEX applications_untouched;

-- +goose Down
CREATE INDEX applications_untouched ON applications (state, updated_at);
DROP INDEX applications_archivable;
DROP INDEX applications_pending_since;
DROP INDEX application_jobs_job;
CREATE INDEX applications_received ON applications (to_org, created_at);
DROP INDEX applications_sent_live;
DROP INDEX applications_received_archived;
DROP INDEX applications_received_live;
