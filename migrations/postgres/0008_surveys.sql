-- PSAT survey rounds: who was asked, one answer per user per round (a second click changes it),
-- and the follow-ups detractors create for their partner manager.
CREATE TABLE survey_rounds (
    id           BIGSERIAL PRIMARY KEY,
    opened_at    BIGINT  NOT NULL,
    opened_by    TEXT    NOT NULL,
    remind_at    BIGINT  NOT NULL,
    closes_at    BIGINT  NOT NULL,
    reminded_at  BIGINT,
    closed_at    BIGINT,
    -- 1 while the round is open, NULL once closed: at most one open round, even across replicas.
    open_flag    BIGINT UNIQUE
);
CREATE TABLE survey_invites (
    round_id    BIGINT  NOT NULL REFERENCES survey_rounds (id),
    slack_user  TEXT    NOT NULL,
    partner_id  BIGINT  NOT NULL REFERENCES partners (id),
    PRIMARY KEY (round_id, slack_user)
);
CREATE TABLE survey_answers (
    round_id     BIGINT  NOT NULL REFERENCES survey_rounds (id),
    slack_user   TEXT    NOT NULL,
    score        BIGINT  NOT NULL,
    comment      TEXT    NOT NULL DEFAULT '',
    answered_at  BIGINT  NOT NULL,
    PRIMARY KEY (round_id, slack_user)
);
CREATE TABLE survey_followups (
    round_id     BIGINT  NOT NULL REFERENCES survey_rounds (id),
    slack_user   TEXT    NOT NULL,
    manager      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    handled_by   TEXT,
    handled_at   BIGINT,
    PRIMARY KEY (round_id, slack_user)
);
