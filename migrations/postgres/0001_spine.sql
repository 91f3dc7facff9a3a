-- Partners, their users, deals, the audit log, processed Slack events and the outbox.
-- Times are UTC milliseconds since the Unix epoch; dates are ISO YYYY-MM-DD text;
-- money is integer minor units plus an ISO-4217 code. Integers are BIGINT throughout so the
-- same queries decode identically on SQLite and Postgres.

CREATE TABLE partners (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT    NOT NULL,
    partner_type    TEXT    NOT NULL,
    tier            TEXT    NOT NULL DEFAULT 'registered',
    slack_channel   TEXT    NOT NULL UNIQUE,
    slack_team      TEXT,
    manager_user    TEXT,
    paused          BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL
);
CREATE UNIQUE INDEX partners_name_unique ON partners (lower(name));

CREATE TABLE partner_users (
    partner_id      BIGINT  NOT NULL REFERENCES partners (id),
    slack_user      TEXT    NOT NULL,
    slack_team      TEXT,
    first_seen_at   BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL,
    PRIMARY KEY (partner_id, slack_user)
);
CREATE INDEX partner_users_by_user ON partner_users (slack_user);

CREATE TABLE deals (
    id              BIGSERIAL PRIMARY KEY,
    partner_id      BIGINT  NOT NULL REFERENCES partners (id),
    status          TEXT    NOT NULL,
    company         TEXT    NOT NULL,
    domain          TEXT,
    contact_name    TEXT,
    contact_email   TEXT,
    amount_minor    BIGINT  NOT NULL,
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
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX deals_by_partner ON deals (partner_id, id);
CREATE INDEX deals_by_domain ON deals (domain);

CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT  NOT NULL,
    actor           TEXT    NOT NULL,
    surface         TEXT    NOT NULL,
    entity          TEXT    NOT NULL,
    entity_id       BIGINT  NOT NULL,
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_entity ON audit_log (entity, entity_id, id);
-- Append-only: history is never rewritten.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE slack_events (
    event_id        TEXT    PRIMARY KEY,
    received_at     BIGINT  NOT NULL
);

CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    ephemeral_user   TEXT,
    payload          TEXT    NOT NULL,
    deal_id          BIGINT,
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      BIGINT,
    maybe_sent       BIGINT  NOT NULL DEFAULT 0,
    needs_check      BIGINT  NOT NULL DEFAULT 0,
    first_attempt_at BIGINT,
    delivered_at     BIGINT,
    slack_ts         TEXT,
    failed_at        BIGINT,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND failed_at IS NULL;
