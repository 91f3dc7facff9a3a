-- Nudges sent to quiet partners (and alerts to their managers): the 30-day cap and the
-- re-activation rate are read from here.
CREATE TABLE nudges (
    id          BIGSERIAL PRIMARY KEY,
    partner_id  BIGINT  NOT NULL REFERENCES partners (id),
    kind        TEXT    NOT NULL,
    quiet_days  BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL
);
CREATE INDEX nudges_by_partner ON nudges (partner_id, sent_at);
