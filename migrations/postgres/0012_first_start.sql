-- When the bot first ran its scheduler: occurrences scheduled before it are never caught up (a
-- new install does not announce quarterly tiers or open a survey one second after it starts).
CREATE TABLE app_state (
    key   TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
-- An existing installation keeps catching up what it missed while it was down.
INSERT INTO app_state (key, value) SELECT 'first_start', 0 WHERE EXISTS (SELECT 1 FROM job_runs);
