-- How early each registration came (it sets the commission rate), and the commission ledger:
-- one row per instalment, pending until the hold period ends, then payable, then paid.
ALTER TABLE deals ADD COLUMN timing TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN attribution TEXT NOT NULL DEFAULT '';

CREATE TABLE commissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id       INTEGER NOT NULL REFERENCES deals (id),
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    instalment    INTEGER NOT NULL DEFAULT 1,
    amount_minor  INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    payable_from  TEXT    NOT NULL,
    calculation   TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    paid_at       INTEGER,
    paid_by       TEXT,
    UNIQUE (deal_id, instalment)
);
CREATE INDEX commissions_by_partner ON commissions (partner_id, status);
CREATE INDEX commissions_due ON commissions (status, payable_from);
