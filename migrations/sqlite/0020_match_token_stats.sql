-- Distinctiveness of name words (issue 13): how many records of the match index hold each
-- normalised name token (its `t:` key in match_keys), and, under the empty token, how many
-- records the index holds. Updated in the same transaction as a record's index keys, with
-- relative increments, so replicas writing at once keep it exact. Backfilled from the index.

CREATE TABLE match_token_stats (
    token   TEXT   NOT NULL PRIMARY KEY,
    records BIGINT NOT NULL DEFAULT 0
);

INSERT INTO match_token_stats (token, records)
SELECT substr(key, 3), COUNT(*) FROM match_keys WHERE key LIKE 't:%' GROUP BY key;

INSERT INTO match_token_stats (token, records)
SELECT '', COUNT(*) FROM (SELECT DISTINCT kind, record_id FROM match_keys) AS indexed;
