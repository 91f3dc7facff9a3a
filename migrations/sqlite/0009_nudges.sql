-- Nudges sent to quiet partners (and alerts to their managers): the 30-day cap and the
-- re-activation rate are read from here.
CREATE TABLE nudges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    kind        TEXT    NOT NULL,
    quiet_days  INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL
);
CREATE INDEX nudges_by_partner ON nudges (partner_id, sent_at);
