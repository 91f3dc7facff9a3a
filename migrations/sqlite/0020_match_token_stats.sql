-- Distinctiveness of name words (issue 13): how many records of the match index hold each
-- normalised name token (its `t:` key in match_keys) or acronym (its `a:` key, kept whole),
-- and, under the empty token, how many records the index holds. Updated in the same
-- transaction as a record's index keys, with relative increments, so replicas writing at once
-- keep it exact. Backfilled from the index.

CREATE TABLE match_token_stats (
    token   TEXT   NOT NULL PRIMARY KEY,
    records BIGINT NOT NULL DEFAULT 0
);

INSERT INTO match_token_stats (token, records)
SELECT substr(key, 3), COUNT(*) FROM match_keys WHERE key LIKE 't:%' GROUP BY key;

INSERT INTO match_token_stats (token, records)
SELECT key, COUNT(*) FROM match_keys WHERE key LIKE 'a:%' GROUP BY key;

INSERT INTO match_token_stats (token, records)
SELECT '', COUNT(*) FROM (SELECT DISTINCT kind, record_id FROM match_keys) AS indexed;

-- Every spelling one deletion away from each alphabetic word of 5+ letters the book holds
-- (domain::matching::typo_variants), so that a typo ("Vivendu") finds its word ("vivendi").
-- Written when a word enters the statistics, dropped when it leaves.
CREATE TABLE match_token_variants (
    variant TEXT NOT NULL,
    token   TEXT NOT NULL,
    PRIMARY KEY (variant, token)
);

WITH RECURSIVE positions (token, i) AS (
    SELECT token, 1 FROM match_token_stats WHERE length(token) >= 5 AND token NOT GLOB '*[^a-z]*'
    UNION ALL
    SELECT token, i + 1 FROM positions WHERE i < length(token)
)
INSERT INTO match_token_variants (variant, token)
SELECT substr(token, 1, i - 1) || substr(token, i + 1), token FROM positions WHERE true
ON CONFLICT DO NOTHING;
