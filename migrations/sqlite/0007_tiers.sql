-- Tier recomputation: a demotion waiting out its grace period, and one record per partner per
-- period (revenue, tiers, and the conversion rates used), which also makes each run announce once.
ALTER TABLE partners ADD COLUMN pending_tier TEXT;
CREATE TABLE tier_runs (
    period        TEXT    NOT NULL,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    revenue       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    previous_tier TEXT    NOT NULL,
    computed_tier TEXT    NOT NULL,
    new_tier      TEXT    NOT NULL,
    rates         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (period, partner_id)
);
