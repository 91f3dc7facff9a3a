-- How early each registration came (it sets the commission rate), and the commission ledger:
-- one row per instalment, pending until the hold period ends, then payable, then paid.
ALTER TABLE deals ADD COLUMN timing TEXT NOT NULL DEFAULT '';
ALTER TABLE deals ADD COLUMN attribution TEXT NOT NULL DEFAULT '';

CREATE TABLE commissions (
    id            BIGSERIAL PRIMARY KEY,
    deal_id       BIGINT  NOT NULL REFERENCES deals (id),
    partner_id    BIGINT  NOT NULL REFERENCES partners (id),
    instalment    BIGINT  NOT NULL DEFAULT 1,
    amount_minor  BIGINT  NOT NULL,
    currency      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    payable_from  TEXT    NOT NULL,
    calculation   TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    paid_at       BIGINT,
    paid_by       TEXT,
    UNIQUE (deal_id, instalment)
);
CREATE INDEX commissions_by_partner ON commissions (partner_id, status);
CREATE INDEX commissions_due ON commissions (status, payable_from);
