-- Scheduled job occurrences, claimed before they run so that replicas and restarts never run the
-- same occurrence twice; and what the lifecycle jobs already did to each registration.
CREATE TABLE job_runs (
    job            TEXT    NOT NULL,
    scheduled_for  INTEGER NOT NULL,
    claimed_by     TEXT    NOT NULL,
    claimed_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    outcome        TEXT,
    PRIMARY KEY (job, scheduled_for)
);
ALTER TABLE deals ADD COLUMN escalated_at INTEGER;
ALTER TABLE deals ADD COLUMN reminders_sent TEXT NOT NULL DEFAULT '';
