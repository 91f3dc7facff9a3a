//! Imports of direct accounts: many accounts per transaction, with their index keys written
//! in bulk for new accounts and the word statistics updated once per batch.

use super::{write_record_keys, NewAccount, RecordKind, Upserted};
use crate::store::placeholders;
use crate::store::statements::run_on;
use anyhow::Context;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// CRM ids looked up per statement.
const IDS_PER_SELECT: usize = 500;

/// Creates or updates each account (by CRM id, else by name among accounts without one), in the
/// caller's transaction; adds the change of their words to `delta`.
pub(super) async fn upsert_batch(
    conn: &mut AnyConnection,
    accounts: &[(NewAccount, Vec<String>)],
    now_ms: i64,
    delta: &mut BTreeMap<String, i64>,
) -> anyhow::Result<Vec<(i64, Upserted)>> {
    let crm_ids: Vec<&str> = accounts
        .iter()
        .filter_map(|(a, _)| a.crm_id.as_deref())
        .collect();
    let mut known: HashMap<String, i64> = HashMap::new();
    for chunk in crm_ids.chunks(IDS_PER_SELECT) {
        let sql = format!(
            "SELECT crm_id, id FROM direct_accounts WHERE crm_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        known.extend(
            query
                .fetch_all(&mut *conn)
                .await
                .context("looking up existing accounts")?,
        );
    }
    let mut done = Vec::with_capacity(accounts.len());
    let mut fresh: Vec<(i64, &[String])> = Vec::new();
    for (account, keys) in accounts {
        let existing = account.crm_id.as_ref().map(|crm| known.get(crm).copied());
        // An account created earlier in this batch is updated: its keys must be written first,
        // so that the update replaces them.
        if let Some(Some(id)) = existing {
            if fresh.iter().any(|(f, _)| *f == id) {
                insert_keys(conn, &fresh, delta).await?;
                fresh.clear();
            }
        }
        let outcome = upsert_one(conn, account, keys, now_ms, delta, existing).await?;
        // Accounts looked up here leave their keys to the bulk insert below.
        if let (Upserted::Created, Some(crm)) = (outcome.1, &account.crm_id) {
            known.insert(crm.clone(), outcome.0);
            fresh.push((outcome.0, keys));
        }
        done.push(outcome);
    }
    insert_keys(conn, &fresh, delta).await?;
    Ok(done)
}

/// Index keys of new accounts, many per statement.
async fn insert_keys(
    conn: &mut AnyConnection,
    fresh: &[(i64, &[String])],
    delta: &mut BTreeMap<String, i64>,
) -> anyhow::Result<()> {
    super::insert_record_keys(conn, RecordKind::DirectAccount, fresh).await?;
    for (_, keys) in fresh {
        super::match_stats::diff(&[], keys, delta);
    }
    Ok(())
}

/// One account, inside the caller's transaction: `known` is the existing account's id when
/// the caller already looked it up (`Some(None)`: there is none). The keys of an existing
/// account are replaced here; a new account's keys are left to the caller when it looked the
/// account up (bulk), written here otherwise.
pub(super) async fn upsert_one(
    conn: &mut AnyConnection,
    account: &NewAccount,
    keys: &[String],
    now_ms: i64,
    delta: &mut BTreeMap<String, i64>,
    known: Option<Option<i64>>,
) -> anyhow::Result<(i64, Upserted)> {
    let existing: Option<i64> = if let Some(known) = known {
        known
    } else {
        match &account.crm_id {
            Some(crm) => {
                sqlx::query_scalar("SELECT id FROM direct_accounts WHERE crm_id = $1")
                    .bind(crm)
                    .fetch_optional(&mut *conn)
                    .await
            }
            None => sqlx::query_scalar(
                "SELECT id FROM direct_accounts WHERE lower(name) = lower($1) AND crm_id IS NULL",
            )
            .bind(&account.name)
            .fetch_optional(&mut *conn)
            .await,
        }
        .context("looking up an existing account")?
    };
    let domains = account.domains.join(";");
    let open = i64::from(account.open_opportunity);
    let (id, outcome) = match existing {
        Some(id) => {
            let statement = sqlx::query(
                "UPDATE direct_accounts SET name = $1, domains = $2, owner = $3, territory = $4, open_opportunity = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(&account.name)
            .bind(&domains)
            .bind(&account.owner)
            .bind(&account.territory)
            .bind(open)
            .bind(now_ms)
            .bind(id);
            run_on(&mut *conn, statement, "updating an account").await?;
            (id, Upserted::Updated)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO direct_accounts (name, domains, owner, territory, open_opportunity, crm_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&account.name)
            .bind(&domains)
            .bind(&account.owner)
            .bind(&account.territory)
            .bind(open)
            .bind(account.crm_id.as_deref())
            .bind(now_ms)
            .fetch_one(&mut *conn)
            .await
            .context("inserting an account")?;
            (id, Upserted::Created)
        }
    };
    match (outcome, known) {
        (Upserted::Created, Some(_)) => {}
        (Upserted::Created, None) => {
            write_record_keys(conn, RecordKind::DirectAccount, id, keys, true, delta).await?
        }
        (Upserted::Updated, _) => {
            write_record_keys(conn, RecordKind::DirectAccount, id, keys, false, delta).await?
        }
    }
    Ok((id, outcome))
}
