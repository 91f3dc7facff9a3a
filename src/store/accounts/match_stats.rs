//! Distinctiveness statistics of the match index (`match_token_stats`): how many records hold
//! each normalised name token, and how many records there are (the sum of the counter rows
//! `#0`…`#15`). Every change of a record's index keys applies its difference here in the same
//! transaction, as relative increments in sorted token order, so concurrent writers (replicas)
//! neither lose counts nor deadlock. The record count is split over [`SHARDS`] rows because
//! every registration changes it: one row would make every writer wait for every other's
//! commit (a global lock); with sixteen, unrelated writers rarely meet.

use crate::domain::matching::{key_token, typo_variants};
use crate::store::statements::run_on;
use anyhow::Context;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows one statement changes; well under both backends' parameter limits.
const ROWS_PER_STATEMENT: usize = 200;

/// In a delta, the change of the record count (not a token; stored in a counter row).
pub(super) const RECORDS_ROW: &str = "";
/// Counter rows the record count is split over (`#0`…`#15`: no token starts with `#`).
const SHARDS: u64 = 16;
/// Reads the record count: the sum of the counter rows, as the row of token "".
const RECORDS_SQL: &str =
    "SELECT '' AS token, CAST(COALESCE(SUM(records), 0) AS BIGINT) AS records \
     FROM match_token_stats WHERE token >= '#' AND token < '$'";

/// On SQLite, makes the transaction a writer from its first statement (a reader that upgrades
/// later fails with "database is locked" when another process wrote). On Postgres nothing:
/// writers order themselves by updating rows in sorted token order.
pub(super) async fn lock(conn: &mut AnyConnection) -> anyhow::Result<()> {
    if conn.backend_name() != "SQLite" {
        return Ok(());
    }
    let statement = sqlx::query(
        "INSERT INTO match_token_stats (token, records) VALUES ('#0', 0) \
         ON CONFLICT (token) DO UPDATE SET records = match_token_stats.records",
    );
    run_on(&mut *conn, statement, "locking the word statistics").await?;
    Ok(())
}

/// The counter row a change of the record count goes to: spread by the tokens it comes with.
fn counter_row(delta: &BTreeMap<String, i64>) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for token in delta.keys() {
        hash.update(token.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    format!("#{}", u64::from(digest[0]) % SHARDS)
}

/// Adds the change of one record's index keys from `old` to `new` to `delta` (token → change
/// of its count), so that a batch of records updates the statistics in one statement.
pub(super) fn diff(old: &[String], new: &[String], delta: &mut BTreeMap<String, i64>) {
    let tokens = |keys: &[String]| -> BTreeSet<String> {
        keys.iter()
            .filter_map(|k| key_token(k))
            .map(str::to_string)
            .collect()
    };
    let (before, after) = (tokens(old), tokens(new));
    let present = i64::from(!new.is_empty()) - i64::from(!old.is_empty());
    *delta.entry(RECORDS_ROW.to_string()).or_insert(0) += present;
    for t in after.difference(&before) {
        *delta.entry(t.clone()).or_insert(0) += 1;
    }
    for t in before.difference(&after) {
        *delta.entry(t.clone()).or_insert(0) -= 1;
    }
}

/// Adds `delta[token]` to each token's count (creating rows as needed), drops rows that reach
/// zero, and keeps the typo variants of the words that entered or left the statistics.
pub(crate) async fn add(
    conn: &mut AnyConnection,
    delta: &BTreeMap<String, i64>,
) -> anyhow::Result<()> {
    // The record count goes to a counter row; rows are changed in sorted order.
    let mut sorted: BTreeMap<String, i64> = BTreeMap::new();
    for (token, d) in delta {
        let row = if token == RECORDS_ROW {
            counter_row(delta)
        } else {
            token.clone()
        };
        *sorted.entry(row).or_insert(0) += d;
    }
    let rows: Vec<(&String, &i64)> = sorted.iter().filter(|(_, d)| **d != 0).collect();
    let mut entered = Vec::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO match_token_stats (token, records) VALUES {} \
             ON CONFLICT (token) DO UPDATE SET records = match_token_stats.records + excluded.records \
             RETURNING token, records",
            crate::store::value_rows(chunk.len(), 2)
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for (token, d) in chunk {
            query = query.bind(token.as_str()).bind(**d);
        }
        let counts = query
            .fetch_all(&mut *conn)
            .await
            .context("updating word statistics")?;
        entered.extend(
            counts
                .into_iter()
                .filter(|(t, n)| delta.get(t).is_some_and(|d| *d > 0 && d == n))
                .map(|(t, _)| t),
        );
    }
    let emptied: Vec<&String> = rows
        .iter()
        // A counter row may go below zero (a record counted in one, removed from another).
        .filter(|(t, d)| **d < 0 && !t.starts_with('#'))
        .map(|(t, _)| *t)
        .collect();
    let mut left = Vec::new();
    for chunk in emptied.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM match_token_stats WHERE records <= 0 AND token IN ({}) RETURNING token",
            crate::store::placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for token in chunk {
            query = query.bind(token.as_str());
        }
        left.extend(
            query
                .fetch_all(&mut *conn)
                .await
                .context("dropping unused words from the statistics")?,
        );
    }
    write_variants(conn, &entered).await?;
    drop_variants(conn, &left).await
}

/// Stores the typo variants of words that entered the statistics.
pub(crate) async fn write_variants(
    conn: &mut AnyConnection,
    tokens: &[String],
) -> anyhow::Result<()> {
    let pairs: Vec<(String, &String)> = tokens
        .iter()
        .flat_map(|t| typo_variants(t).into_iter().map(move |v| (v, t)))
        .collect();
    for chunk in pairs.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO match_token_variants (variant, token) VALUES {} ON CONFLICT DO NOTHING",
            crate::store::value_rows(chunk.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (variant, token) in chunk {
            query = query.bind(variant.as_str()).bind(token.as_str());
        }
        run_on(&mut *conn, query, "writing typo variants").await?;
    }
    Ok(())
}

async fn drop_variants(conn: &mut AnyConnection, tokens: &[String]) -> anyhow::Result<()> {
    for chunk in tokens.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM match_token_variants WHERE token IN ({})",
            crate::store::placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for token in chunk {
            query = query.bind(token.as_str());
        }
        run_on(&mut *conn, query, "dropping typo variants").await?;
    }
    Ok(())
}

/// Words of the book that one of `probes` (see `domain::matching::typo_probes`) may be a typo
/// of, with how many records hold each.
pub(super) async fn typo_candidates(
    conn: &mut AnyConnection,
    probes: &[String],
) -> anyhow::Result<HashMap<String, u64>> {
    let mut found = HashMap::new();
    for chunk in probes.chunks(ROWS_PER_STATEMENT / 2) {
        let n = chunk.len();
        let sql = format!(
            "SELECT s.token, s.records FROM match_token_variants v JOIN match_token_stats s ON s.token = v.token WHERE v.variant IN ({}) \
             UNION SELECT token, records FROM match_token_stats WHERE token IN ({})",
            crate::store::placeholders(1, n),
            (n + 1..=2 * n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for probe in chunk.iter().chain(chunk) {
            query = query.bind(probe.as_str());
        }
        let rows = query
            .fetch_all(&mut *conn)
            .await
            .context("looking up typo variants")?;
        found.extend(
            rows.into_iter()
                .map(|(t, n)| (t, u64::try_from(n).unwrap_or(0))),
        );
    }
    Ok(found)
}

/// The number of records, and how many hold each of `tokens` (tokens no record holds are
/// left out).
pub(super) async fn read(
    conn: &mut AnyConnection,
    tokens: &[String],
) -> anyhow::Result<(u64, HashMap<String, u64>)> {
    let wanted: BTreeSet<&str> = tokens.iter().map(String::as_str).collect();
    let list: Vec<&str> = wanted.into_iter().collect();
    let mut chunks: Vec<&[&str]> = list.chunks(ROWS_PER_STATEMENT).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let (mut records, mut holding) = (0, HashMap::new());
    for chunk in chunks {
        // Each statement also reads the record count: one round trip for most checks.
        let sql = format!(
            "SELECT token, records FROM match_token_stats WHERE token IN ({}) UNION ALL {RECORDS_SQL}",
            crate::store::placeholders(1, chunk.len() + 1)
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(NO_WORD);
        for token in chunk {
            query = query.bind(*token);
        }
        let rows = query
            .fetch_all(&mut *conn)
            .await
            .context("reading word statistics")?;
        for (token, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            if token.is_empty() {
                records = n;
            } else {
                holding.insert(token, n);
            }
        }
    }
    Ok((records, holding))
}

/// [`read`] and [`typo_candidates`] in one round trip when they fit one statement (a check's
/// usual case): (records, holding, words the probes may be typos of).
pub(super) async fn read_with_typos(
    conn: &mut AnyConnection,
    tokens: &[String],
    probes: &[String],
) -> anyhow::Result<(u64, HashMap<String, u64>, HashMap<String, u64>)> {
    if tokens.len() + 2 * probes.len() >= ROWS_PER_STATEMENT {
        let (records, holding) = read(conn, tokens).await?;
        return Ok((records, holding, typo_candidates(conn, probes).await?));
    }
    // Lists padded to a few lengths (with a value no word can be) keep the number of distinct
    // statements small, so they stay prepared.
    let (tokens, probes) = (padded(tokens, 4), padded(probes, 16));
    let (tokens, probes) = (tokens.as_slice(), probes.as_slice());
    let list = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sql = format!(
        "SELECT 's' AS src, token, records FROM match_token_stats WHERE token IN ({}) \
         UNION ALL SELECT 's', token, records FROM ({RECORDS_SQL}) AS counted",
        list(1, tokens.len() + 1)
    );
    if !probes.is_empty() {
        let first = tokens.len() + 2;
        sql.push_str(&format!(
            " UNION ALL SELECT 'v', s.token, s.records FROM match_token_variants v \
             JOIN match_token_stats s ON s.token = v.token WHERE v.variant IN ({}) \
             UNION ALL SELECT 'v', token, records FROM match_token_stats WHERE token IN ({})",
            list(first, probes.len()),
            list(first + probes.len(), probes.len())
        ));
    }
    let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql).bind(NO_WORD);
    for value in tokens.iter().chain(probes).chain(probes) {
        query = query.bind(value.as_str());
    }
    let rows = query
        .fetch_all(&mut *conn)
        .await
        .context("reading word statistics")?;
    let (mut records, mut holding, mut near) = (0, HashMap::new(), HashMap::new());
    for (src, token, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match (src.as_str(), token.is_empty()) {
            ("s", true) => records = n,
            ("s", false) => {
                holding.insert(token, n);
            }
            _ => {
                near.insert(token, n);
            }
        }
    }
    Ok((records, holding, near))
}

/// Never a word: padding for lists.
pub(super) const NO_WORD: &str = "~";

/// `values` followed by [`NO_WORD`] up to a multiple of `step` (none when empty).
pub(super) fn padded(values: &[String], step: usize) -> Vec<String> {
    let mut out = values.to_vec();
    while out.len() % step != 0 {
        out.push(NO_WORD.to_string());
    }
    out
}
