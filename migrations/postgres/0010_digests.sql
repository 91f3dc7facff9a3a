-- Weekly digests sent, one per manager per ISO week: a second run, or a second replica, sends nothing.
CREATE TABLE digests (
    manager  TEXT    NOT NULL,
    week     TEXT    NOT NULL,
    sent_at  BIGINT  NOT NULL,
    PRIMARY KEY (manager, week)
);
