//! Direct accounts and the matching index (`match_keys`, with the distinctiveness statistics of
//! its words in `match_token_stats`), shared with deal registrations.

mod import;
mod match_stats;
mod one_trip;

pub use one_trip::{OneTrip, PlannedKey, Weighing};

use super::statements::run_on;
use super::Store;
use anyhow::Context;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// A direct account as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub name: String,
    /// Registrable domains.
    pub domains: Vec<String>,
    /// Slack user id of the owning AE.
    pub owner: String,
    pub territory: String,
    pub open_opportunity: bool,
    pub crm_id: Option<String>,
}

/// What kind of record an index entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    DirectAccount,
    Registration,
}

impl RecordKind {
    fn as_str(self) -> &'static str {
        match self {
            RecordKind::DirectAccount => "account",
            RecordKind::Registration => "deal",
        }
    }
}

/// A record found through the index, with what matching and people need to see.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedRecord {
    pub kind: RecordKind,
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    pub crm_id: Option<String>,
    /// The AE who owns a direct account.
    pub owner: Option<String>,
    /// The partner holding a registration.
    pub partner_id: Option<i64>,
    /// The registration's status.
    pub status: Option<String>,
}

/// Records in the book, records holding each word asked for, and words of the book the probes
/// may be typos of (with the records holding them).
pub type WordStats = (u64, HashMap<String, u64>, HashMap<String, u64>);

/// A candidate as the lookup returns it: an account or a registration; or, with kind `w`, a
/// word of theirs (`name`) and how many records hold it (`id`).
#[derive(sqlx::FromRow)]
struct CandidateRow {
    kind: String,
    id: i64,
    name: String,
    domains: String,
    owner: Option<String>,
    crm_id: Option<String>,
    partner_id: Option<i64>,
    status: Option<String>,
}

impl From<CandidateRow> for IndexedRecord {
    fn from(row: CandidateRow) -> IndexedRecord {
        IndexedRecord {
            kind: if row.kind == "deal" {
                RecordKind::Registration
            } else {
                RecordKind::DirectAccount
            },
            id: row.id,
            name: row.name,
            domains: row
                .domains
                .split(';')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            crm_id: row.crm_id,
            owner: row.owner,
            partner_id: row.partner_id,
            status: row.status,
        }
    }
}

/// Whether an import created or updated an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

/// The records a lookup's `hits` (kind, record_id, score) point at, as [`CandidateRow`]s with
/// their score.
const RECORDS_OF_HITS: &str =
    "SELECT h.kind, a.id, a.name, a.domains, a.owner, a.crm_id, NULL AS partner_id, NULL AS status, h.score \
     FROM hits h JOIN direct_accounts a ON h.kind = 'account' AND a.id = h.record_id \
     UNION ALL \
     SELECT h.kind, d.id, d.company, COALESCE(d.domain, ''), NULL, NULL, d.partner_id, d.status, h.score \
     FROM hits h JOIN deals d ON h.kind = 'deal' AND d.id = h.record_id";

/// Most index rows one key contributes to a candidate lookup.
const PER_KEY_LIMIT: i64 = 500;

/// How many index rows one INSERT writes; keeps statements well under both backends' parameter limits.
pub(super) const KEYS_PER_INSERT: usize = 200;

/// Replaces a record's index keys and updates the word statistics, in the caller's
/// transaction.
pub(crate) async fn write_keys(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    keys: &[String],
) -> anyhow::Result<()> {
    let mut delta = BTreeMap::new();
    write_record_keys(conn, kind, id, keys, false, &mut delta).await?;
    match_stats::lock(conn).await?;
    match_stats::add(conn, &delta).await
}

/// Writes a new record's index keys; returns the change of the word statistics, for
/// [`apply_word_stats`] as the transaction's last write.
pub(crate) async fn write_new_record_keys(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    keys: &[String],
) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut delta = BTreeMap::new();
    write_record_keys(conn, kind, id, keys, true, &mut delta).await?;
    Ok(delta)
}

/// Applies a change of the word statistics, as the last write of a transaction that has
/// already written (so on SQLite it holds the write lock, and [`match_stats::lock`] would be a
/// statement for nothing). Its rows are shared with other writers (the counter rows, common
/// words): on Postgres they stay locked until commit, so this goes last.
pub(crate) async fn apply_word_stats(
    conn: &mut AnyConnection,
    delta: &BTreeMap<String, i64>,
) -> anyhow::Result<()> {
    match_stats::add(conn, delta).await
}

/// Writes the index keys of records of `kind`, many rows per statement.
pub(super) async fn insert_record_keys(
    conn: &mut AnyConnection,
    kind: RecordKind,
    records: &[(i64, &[String])],
) -> anyhow::Result<()> {
    let rows: Vec<(&String, i64)> = records
        .iter()
        .flat_map(|(id, keys)| keys.iter().map(move |k| (k, *id)))
        .collect();
    for chunk in rows.chunks(KEYS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO match_keys (key, kind, record_id) VALUES {} ON CONFLICT DO NOTHING",
            super::value_rows(chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (key, id) in chunk {
            query = query.bind(key.as_str()).bind(kind.as_str()).bind(*id);
        }
        run_on(&mut *conn, query, "writing index keys").await?;
    }
    Ok(())
}

/// Replaces a record's index keys (a `new` record has none to replace) and adds the change of
/// its words to `delta`.
pub(super) async fn write_record_keys(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    keys: &[String],
    new: bool,
    delta: &mut BTreeMap<String, i64>,
) -> anyhow::Result<()> {
    let old: Vec<String> = if new {
        Vec::new()
    } else {
        let old =
            sqlx::query_scalar("SELECT key FROM match_keys WHERE kind = $1 AND record_id = $2")
                .bind(kind.as_str())
                .bind(id)
                .fetch_all(&mut *conn)
                .await
                .context("reading index keys")?;
        let statement = sqlx::query("DELETE FROM match_keys WHERE kind = $1 AND record_id = $2")
            .bind(kind.as_str())
            .bind(id);
        run_on(&mut *conn, statement, "clearing index keys").await?;
        old
    };
    insert_record_keys(conn, kind, &[(id, keys)]).await?;
    match_stats::diff(&old, keys, delta);
    Ok(())
}

impl Store {
    /// Creates or updates a direct account (by CRM id when given, else by name among accounts
    /// without one) together with its index keys and word statistics, in one transaction.
    pub async fn upsert_account(
        &self,
        account: &NewAccount,
        keys: &[String],
        now_ms: i64,
    ) -> anyhow::Result<(i64, Upserted)> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        match_stats::lock(&mut tx).await?;
        let mut delta = BTreeMap::new();
        let done = import::upsert_one(&mut tx, account, keys, now_ms, &mut delta, None).await?;
        match_stats::add(&mut tx, &delta).await?;
        tx.commit().await.context("committing an account")?;
        Ok(done)
    }

    /// [`Store::upsert_account`] for many accounts in one transaction (imports): all or none.
    pub async fn upsert_accounts(
        &self,
        accounts: &[(NewAccount, Vec<String>)],
        now_ms: i64,
    ) -> anyhow::Result<Vec<(i64, Upserted)>> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        match_stats::lock(&mut tx).await?;
        let mut delta = BTreeMap::new();
        let done = import::upsert_batch(&mut tx, accounts, now_ms, &mut delta).await?;
        match_stats::add(&mut tx, &delta).await?;
        tx.commit().await.context("committing accounts")?;
        Ok(done)
    }

    /// Deletes a direct account with its index keys and their share of the word statistics;
    /// false when there was no such account.
    pub async fn delete_account(&self, id: i64) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        match_stats::lock(&mut tx).await?;
        write_keys(&mut tx, RecordKind::DirectAccount, id, &[]).await?;
        let statement = sqlx::query("DELETE FROM direct_accounts WHERE id = $1").bind(id);
        let deleted = run_on(&mut tx, statement, "deleting an account").await?;
        tx.commit().await.context("committing a deletion")?;
        Ok(deleted > 0)
    }

    /// Words of the book that one of `probes` (`domain::matching::typo_probes` of a word the
    /// book does not hold) may be a typo of, with how many records hold each.
    pub async fn typo_candidates(&self, probes: &[String]) -> anyhow::Result<HashMap<String, u64>> {
        if probes.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.pool.acquire().await.context("connecting")?;
        match_stats::typo_candidates(&mut conn, probes).await
    }

    /// [`Store::token_stats`] of `tokens` and [`Store::typo_candidates`] of `probes`, in one
    /// round trip when they fit one statement.
    pub async fn word_stats_and_typos(
        &self,
        tokens: &[String],
        probes: &[String],
    ) -> anyhow::Result<WordStats> {
        let mut conn = self.pool.acquire().await.context("connecting")?;
        match_stats::read_with_typos(&mut conn, tokens, probes).await
    }

    /// How many records the index holds, and how many of them hold each of `tokens` (tokens
    /// no record holds are left out): the book's side of `domain::matching::Distinctiveness`.
    pub async fn token_stats(
        &self,
        tokens: &[String],
    ) -> anyhow::Result<(u64, HashMap<String, u64>)> {
        let mut conn = self.pool.acquire().await.context("connecting")?;
        match_stats::read(&mut conn, tokens).await
    }

    /// Records that share at least one key, those sharing the most keys first, at most `limit`.
    pub async fn candidates(
        &self,
        keys: &[String],
        limit: i64,
    ) -> anyhow::Result<Vec<IndexedRecord>> {
        let weighted: Vec<(String, u32)> = keys.iter().map(|k| (k.clone(), 1)).collect();
        self.weighted_candidates(&weighted, limit).await
    }

    /// Records that share at least one key, those whose shared keys weigh most first (a rare
    /// word outweighs a common one), at most `limit`.
    pub async fn weighted_candidates(
        &self,
        keys: &[(String, u32)],
        limit: i64,
    ) -> anyhow::Result<Vec<IndexedRecord>> {
        Ok(self.weighted_candidates_with_words(keys, limit).await?.0)
    }

    /// [`Store::weighted_candidates`], with how many records hold each word of the records
    /// found (from their index keys), in the same round trip. (`CROSS JOIN` makes SQLite start from
    /// the hits; it would otherwise walk the whole index.)
    pub async fn weighted_candidates_with_words(
        &self,
        keys: &[(String, u32)],
        limit: i64,
    ) -> anyhow::Result<(Vec<IndexedRecord>, HashMap<String, u64>)> {
        if keys.is_empty() {
            return Ok((Vec::new(), HashMap::new()));
        }
        // Padded to a multiple of 4 keys (a key no record has), so that few statement texts
        // exist and they stay prepared.
        let mut keys = keys.to_vec();
        while keys.len() % 4 != 0 {
            keys.push((match_stats::NO_WORD.to_string(), 0));
        }
        let keys = keys.as_slice();
        // Each key contributes at most PER_KEY_LIMIT rows, so a common word ("global") cannot
        // make a lookup read a large part of the index; domain and compact-name keys are
        // near-unique, so exact evidence is never cut off. Weights are bound like the keys, so
        // the statement's text depends only on how many keys there are and stays prepared.
        let per_key: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, _)| format!("SELECT * FROM (SELECT kind, record_id, CAST(${} AS BIGINT) AS w FROM match_keys WHERE key = ${} LIMIT {PER_KEY_LIMIT}) AS k{}", 2 * i + 1, 2 * i + 2, i + 1))
            .collect();
        // One round trip: the best hits joined with the records they point at.
        let sql = format!(
            "WITH hits AS MATERIALIZED (SELECT kind, record_id, CAST(SUM(w) AS BIGINT) AS score FROM ({}) AS k GROUP BY kind, record_id \
             ORDER BY score DESC, record_id LIMIT ${}) \
             {RECORDS_OF_HITS} \
             UNION ALL \
             SELECT DISTINCT 'w', s.records, s.token, '', NULL, NULL, NULL, NULL, 0 \
             FROM hits h CROSS JOIN match_keys k CROSS JOIN match_token_stats s \
             WHERE k.kind = h.kind AND k.record_id = h.record_id AND substr(k.key, 1, 2) = 't:' \
             AND s.token = substr(k.key, 3) \
             ORDER BY 9 DESC, 2",
            per_key.join(" UNION ALL "),
            2 * keys.len() + 1
        );
        let mut query = sqlx::query_as::<_, CandidateRow>(&sql);
        for (key, weight) in keys {
            query = query.bind(i64::from(*weight)).bind(key);
        }
        let rows = query
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("looking up index keys")?;
        let (words, records): (Vec<CandidateRow>, Vec<CandidateRow>) =
            rows.into_iter().partition(|r| r.kind == "w");
        let holding = words
            .into_iter()
            .map(|w| (w.name, u64::try_from(w.id).unwrap_or(0)))
            .collect();
        Ok((
            records.into_iter().map(IndexedRecord::from).collect(),
            holding,
        ))
    }

    /// Direct accounts in all, with an open opportunity, and the ten largest owners' counts.
    pub async fn account_summary(&self) -> anyhow::Result<(i64, i64, Vec<(String, i64)>)> {
        let query = sqlx::query_scalar("SELECT COUNT(*) FROM direct_accounts");
        let total: i64 = self.value(query, "counting accounts").await?;
        let query =
            sqlx::query_scalar("SELECT COUNT(*) FROM direct_accounts WHERE open_opportunity = 1");
        let open: i64 = self.value(query, "counting open accounts").await?;
        let query = sqlx::query_as("SELECT owner, COUNT(*) AS n FROM direct_accounts GROUP BY owner ORDER BY n DESC, owner LIMIT 10");
        let owners: Vec<(String, i64)> = self.all(query, "counting accounts per owner").await?;
        Ok((total, open, owners))
    }
}
