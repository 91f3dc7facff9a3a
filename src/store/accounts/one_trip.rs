//! A conflict check's lookup in one round trip on Postgres: the word statistics of the incoming
//! name, the words its probes may be typos of, and the weighted lookup with the weights computed
//! in SQL from the statistics the same statement reads (see `Service::check_customer`, which
//! keeps the result only when those weights are the ones it computes itself).

use super::{CandidateRow, IndexedRecord, WordStats, PER_KEY_LIMIT, RECORDS_OF_HITS};
use crate::store::{Backend, Store};
use std::collections::HashMap;

/// Separates the values of a list bound as one text parameter (no key or word holds it).
const SEPARATOR: char = '\u{1f}';

/// A lookup key as the database weighs it: a word key (`t:`) by the distinctiveness of its
/// word, any other key by its fixed weight.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedKey {
    pub key: String,
    /// The word whose count weighs the key, when the check counts it; `None` for a word the
    /// check weighs as if no record held it.
    pub counted: Option<String>,
    /// The weight of a key that is not a word.
    pub fixed: u32,
    /// The word's cap when no record holds it, and when some do (`Distinctiveness::weight`).
    pub cap_unheld: f64,
    pub cap_held: f64,
}

/// What the statement weighs keys with: the service's constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighing {
    /// Lookup weight per unit of distinctiveness.
    pub per_word: f64,
    /// Words below this are left out when the name has one at or above it.
    pub min_word: f64,
    /// Below this many records the book's counts are not used.
    pub min_book: u64,
}

/// Everything one round trip brings: the word statistics and typo candidates (as
/// [`Store::word_stats_and_typos`]), the weights the lookup used, and the lookup's result with
/// the word counts of the records found (as [`Store::weighted_candidates_with_words`]).
#[derive(Debug, Clone)]
pub struct OneTrip {
    pub stats: WordStats,
    pub weights: Vec<(String, u32)>,
    pub records: Vec<IndexedRecord>,
    pub words: HashMap<String, u64>,
}

/// `values` as one text parameter, `None` when one holds the separator.
fn joined<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let values: Vec<&str> = values.collect();
    if values.iter().any(|v| v.contains(SEPARATOR)) {
        return None;
    }
    Some(values.join(&SEPARATOR.to_string()))
}

/// The list bound as parameter `n`, as a column.
fn list(n: usize) -> String {
    format!("unnest(string_to_array(${n}, chr(31)))")
}

impl Store {
    /// The statistics, typo candidates and weighted lookup of a check in one statement, on
    /// Postgres; `None` on SQLite (where round trips cost little) or when a value cannot be
    /// bound as a list.
    pub async fn check_lookup(
        &self,
        wanted: &[String],
        probes: &[String],
        keys: &[PlannedKey],
        weighing: Weighing,
        limit: i64,
    ) -> anyhow::Result<Option<OneTrip>> {
        if self.backend != Backend::Postgres || keys.is_empty() {
            return Ok(None);
        }
        let text = |f: fn(&PlannedKey) -> String| {
            joined(
                keys.iter()
                    .map(f)
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str),
            )
        };
        let (Some(wanted), Some(probes), Some(key), Some(counted)) = (
            joined(wanted.iter().map(String::as_str)),
            joined(probes.iter().map(String::as_str)),
            text(|k| k.key.clone()),
            text(|k| {
                k.counted
                    .clone()
                    .unwrap_or_else(|| super::match_stats::NO_WORD.to_string())
            }),
        ) else {
            return Ok(None);
        };
        let (Some(fixed), Some(cap_unheld), Some(cap_held)) = (
            text(|k| k.fixed.to_string()),
            text(|k| k.cap_unheld.to_string()),
            text(|k| k.cap_held.to_string()),
        ) else {
            return Ok(None);
        };
        let min_book = i64::try_from(weighing.min_book).unwrap_or(i64::MAX);
        let sql = one_trip_sql();
        let query = sqlx::query_as::<_, CandidateRow>(&sql)
            .bind(wanted)
            .bind(probes)
            .bind(key)
            .bind(counted)
            .bind(fixed)
            .bind(cap_unheld)
            .bind(cap_held)
            .bind(limit)
            .bind(min_book)
            .bind(weighing.min_word)
            .bind(weighing.per_word);
        let rows = self.all(query, "looking up a customer").await?;
        Ok(Some(split(rows)))
    }
}

/// The rows of the statement, by what they are.
fn split(rows: Vec<CandidateRow>) -> OneTrip {
    let count = |id: i64| u64::try_from(id).unwrap_or(0);
    let (mut records_total, mut holding, mut near) = (0, HashMap::new(), HashMap::new());
    let (mut weights, mut records, mut words) = (Vec::new(), Vec::new(), HashMap::new());
    for row in rows {
        match row.kind.as_str() {
            "n" => records_total = count(row.id),
            "s" => {
                holding.insert(row.name, count(row.id));
            }
            "v" => {
                near.insert(row.name, count(row.id));
            }
            "k" => weights.push((row.name, u32::try_from(row.id).unwrap_or(u32::MAX))),
            "w" => {
                words.insert(row.name, count(row.id));
            }
            _ => records.push(IndexedRecord::from(row)),
        }
    }
    OneTrip {
        stats: (records_total, holding, near),
        weights,
        records,
        words,
    }
}

/// The statement: $1 words counted, $2 typo probes, $3–$7 the planned keys (key, counted word,
/// fixed weight, caps), $8 the limit, $9–$11 the weighing. The weights mirror
/// `Distinctiveness::weight` and `weighted_keys` of the service.
fn one_trip_sql() -> String {
    format!(
        "WITH input AS (SELECT * FROM unnest(string_to_array($3, chr(31)), string_to_array($4, chr(31)), \
         CAST(string_to_array($5, chr(31)) AS BIGINT[]), CAST(string_to_array($6, chr(31)) AS FLOAT8[]), \
         CAST(string_to_array($7, chr(31)) AS FLOAT8[])) AS i(key, tok, fixed, cap0, cap1)), \
         counted AS (SELECT CAST(COALESCE(SUM(records), 0) AS BIGINT) AS records FROM match_token_stats \
         WHERE token >= '#' AND token < '$'), \
         weighed AS (SELECT i.key, i.fixed, CASE WHEN substr(i.key, 1, 2) <> 't:' THEN NULL \
         WHEN c.records < $9 OR COALESCE(s.records, 0) <= 1 THEN CASE WHEN s.records IS NULL OR s.records = 0 THEN i.cap0 ELSE i.cap1 END \
         ELSE LEAST(i.cap1, GREATEST(0, 1 - ln(CAST(s.records AS FLOAT8)) / ln(CAST(c.records + 1 AS FLOAT8)))) END AS w \
         FROM input i CROSS JOIN counted c LEFT JOIN match_token_stats s ON s.token = i.tok), \
         rarest AS (SELECT COALESCE(MAX(w), 0) AS r FROM weighed), \
         keyed AS (SELECT key, CAST(CASE WHEN w IS NULL THEN fixed ELSE 1 + floor(w * $11 + 0.5) END AS BIGINT) AS weight \
         FROM weighed CROSS JOIN rarest WHERE w IS NULL OR w >= $10 OR rarest.r < $10), \
         hits AS MATERIALIZED (SELECT m.kind, m.record_id, CAST(SUM(k.weight) AS BIGINT) AS score FROM keyed k \
         CROSS JOIN LATERAL (SELECT kind, record_id FROM match_keys WHERE key = k.key LIMIT {PER_KEY_LIMIT}) AS m \
         GROUP BY m.kind, m.record_id ORDER BY score DESC, m.record_id LIMIT $8) \
         {RECORDS_OF_HITS} \
         UNION ALL \
         SELECT DISTINCT 'w', s.records, s.token, '', NULL, NULL, CAST(NULL AS BIGINT), NULL, 0 \
         FROM hits h JOIN match_keys k ON k.kind = h.kind AND k.record_id = h.record_id \
         JOIN match_token_stats s ON substr(k.key, 1, 2) = 't:' AND s.token = substr(k.key, 3) \
         UNION ALL \
         SELECT 'n', records, '', '', NULL, NULL, NULL, NULL, 0 FROM counted \
         UNION ALL \
         SELECT 's', records, token, '', NULL, NULL, NULL, NULL, 0 FROM match_token_stats WHERE token IN (SELECT {}) \
         UNION ALL \
         SELECT 'v', s.records, s.token, '', NULL, NULL, NULL, NULL, 0 FROM match_token_variants v \
         JOIN match_token_stats s ON s.token = v.token WHERE v.variant IN (SELECT {}) \
         UNION ALL \
         SELECT 'v', records, token, '', NULL, NULL, NULL, NULL, 0 FROM match_token_stats WHERE token IN (SELECT {}) \
         UNION ALL \
         SELECT 'k', weight, key, '', NULL, NULL, NULL, NULL, 0 FROM keyed \
         ORDER BY 9 DESC, 2",
        list(1),
        list(2),
        list(2)
    )
}
