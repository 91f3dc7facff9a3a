-- Direct accounts owned by AEs, and the candidate index used by matching: one row per
-- (key, record), where keys are a record's registrable domains, domain labels, name tokens and
-- compact name (see domain::matching::index_keys). A lookup reads the rows of a few keys
-- instead of scanning every record.

CREATE TABLE direct_accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL,
    domains          TEXT    NOT NULL DEFAULT '',
    owner            TEXT    NOT NULL,
    territory        TEXT    NOT NULL DEFAULT '',
    open_opportunity INTEGER NOT NULL DEFAULT 0,
    crm_id           TEXT    UNIQUE,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX direct_accounts_by_name ON direct_accounts (lower(name));

CREATE TABLE match_keys (
    key        TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    record_id  INTEGER NOT NULL,
    PRIMARY KEY (key, kind, record_id)
);
CREATE INDEX match_keys_by_record ON match_keys (kind, record_id);
