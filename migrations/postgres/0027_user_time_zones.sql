-- Each chat user's time zone as their platform reports it (Slack's users.info `tz`), cached so
-- digests and nudges arrive in people's own hours without asking the platform every hour
-- (issue 14, point 5). The program file's time zones take precedence.
CREATE TABLE user_time_zones (
    platform   TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    tz         TEXT   NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (platform, user_id)
);
