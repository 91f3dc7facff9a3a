-- Partners, their users, deals, the audit log, processed Slack events and the outbox.
-- Times are UTC milliseconds since the Unix epoch; dates are ISO YYYY-MM-DD text;
-- money is integer minor units plus an ISO-4217 code.

CREATE TABLE partners (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    partner_type    TEXT    NOT NULL,
    tier            TEXT    NOT NULL DEFAULT 'registered',
    slack_channel   TEXT    NOT NULL UNIQUE,
    slack_team      TEXT,
    manager_user    TEXT,
    paused          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    created_by      TEXT    NOT NULL
);
CREATE UNIQUE INDEX partners_name_unique ON partners (lower(name));

CREATE TABLE partner_users (
    partner_id      INTEGER NOT NULL REFERENCES partners (id),
    slack_user      TEXT    NOT NULL,
    slack_team      TEXT,
    first_seen_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    PRIMARY KEY (partner_id, slack_user)
);
CREATE INDEX partner_users_by_user ON partner_users (slack_user);

CREATE TABLE deals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id      INTEGER NOT NULL REFERENCES partners (id),
    status          TEXT    NOT NULL,
    company         TEXT    NOT NULL,
    domain          TEXT,
    contact_name    TEXT,
    contact_email   TEXT,
    amount_minor    INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    close_date      TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    products        TEXT    NOT NULL DEFAULT '',
    notes           TEXT    NOT NULL DEFAULT '',
    registered_by   TEXT    NOT NULL,
    registered_team TEXT,
    source_channel  TEXT    NOT NULL,
    surface         TEXT    NOT NULL,
    idempotency_key TEXT    UNIQUE,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX deals_by_partner ON deals (partner_id, id);
CREATE INDEX deals_by_domain ON deals (domain);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    surface         TEXT    NOT NULL,
    entity          TEXT    NOT NULL,
    entity_id       INTEGER NOT NULL,
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_entity ON audit_log (entity, entity_id, id);
-- Append-only: history is never rewritten.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE slack_events (
    event_id        TEXT    PRIMARY KEY,
    received_at     INTEGER NOT NULL
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    ephemeral_user   TEXT,
    payload          TEXT    NOT NULL,
    deal_id          INTEGER,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      INTEGER,
    maybe_sent       INTEGER NOT NULL DEFAULT 0,
    needs_check      INTEGER NOT NULL DEFAULT 0,
    first_attempt_at INTEGER,
    delivered_at     INTEGER,
    slack_ts         TEXT,
    failed_at        INTEGER,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND failed_at IS NULL;
