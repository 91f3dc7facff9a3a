-- The record count of the word statistics was one row (token '') that every registration
-- updated: on Postgres every writer waited for every other's commit. It is now the sum of the
-- counter rows '#0'…'#15' (no normalised token starts with '#'); the old count becomes '#0'.
UPDATE match_token_stats SET token = '#0' WHERE token = '';
