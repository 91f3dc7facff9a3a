-- PSAT survey rounds: who was asked, one answer per user per round (a second click changes it),
-- and the follow-ups detractors create for their partner manager.
CREATE TABLE survey_rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    opened_at    INTEGER NOT NULL,
    opened_by    TEXT    NOT NULL,
    remind_at    INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    reminded_at  INTEGER,
    closed_at    INTEGER,
    -- 1 while the round is open, NULL once closed: at most one open round, even across replicas.
    open_flag    INTEGER UNIQUE
);
CREATE TABLE survey_invites (
    round_id    INTEGER NOT NULL REFERENCES survey_rounds (id),
    slack_user  TEXT    NOT NULL,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    PRIMARY KEY (round_id, slack_user)
);
CREATE TABLE survey_answers (
    round_id     INTEGER NOT NULL REFERENCES survey_rounds (id),
    slack_user   TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    comment      TEXT    NOT NULL DEFAULT '',
    answered_at  INTEGER NOT NULL,
    PRIMARY KEY (round_id, slack_user)
);
CREATE TABLE survey_followups (
    round_id     INTEGER NOT NULL REFERENCES survey_rounds (id),
    slack_user   TEXT    NOT NULL,
    manager      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    handled_by   TEXT,
    handled_at   INTEGER,
    PRIMARY KEY (round_id, slack_user)
);
