//! How the facade's statements run. A guarded write, the audit row about it and the messages
//! it announces are stored in one transaction, or nothing is; reads and single statements run
//! on the pool through a few helpers that name what they were doing when they fail.

use super::outbox::{insert_outbox_all, OutboxMessage};
use super::{append_audit, AuditEntry, Store};
use anyhow::Context;
use sqlx::{Any, AnyConnection, Transaction};

/// One statement with its parameters bound.
pub(crate) type Statement<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// The audit row a write appends: the entry and the id of the entity it is about.
pub(crate) type Audit<'a> = Option<(&'a AuditEntry<'a>, i64)>;

impl Store {
    /// Runs `change`; when it changed a row, appends `audit` and queues `messages` at `now_ms`
    /// in the same transaction. False, with nothing stored, when it changed none (its guard no
    /// longer held: another run or replica got there first). `what` names the change in errors.
    pub(crate) async fn write_once(
        &self,
        change: Statement<'_>,
        what: &str,
        audit: Audit<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let changed = change
            .execute(&mut *tx)
            .await
            .with_context(|| format!("writing {what}"))?;
        if changed.rows_affected() == 0 {
            tx.rollback()
                .await
                .with_context(|| format!("rolling back {what} that changed nothing"))?;
            return Ok(false);
        }
        finish(tx, audit, messages, now_ms, what).await?;
        Ok(true)
    }

    /// Begins a transaction with `write`, a guarded write that returns the row it changed: the
    /// transaction and that row, or `None` (rolled back, nothing stored) when the guard refused.
    /// `what` names the write in errors.
    pub(crate) async fn begin_with<T: Row>(
        &self,
        write: Rows<'_, T>,
        what: &str,
    ) -> anyhow::Result<Option<(Transaction<'static, Any>, T)>> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let row = write
            .fetch_optional(&mut *tx)
            .await
            .with_context(|| format!("writing {what}"))?;
        let Some(row) = row else {
            tx.rollback()
                .await
                .with_context(|| format!("rolling back {what} that was refused"))?;
            return Ok(None);
        };
        Ok(Some((tx, row)))
    }
}

/// Appends `audit` (when there is one), queues `messages` at `now_ms` and commits `tx`.
pub(crate) async fn finish(
    mut tx: Transaction<'_, Any>,
    audit: Audit<'_>,
    messages: &[OutboxMessage],
    now_ms: i64,
    what: &str,
) -> anyhow::Result<()> {
    if let Some((entry, entity_id)) = audit {
        append_audit(&mut tx, entry, entity_id, now_ms).await?;
    }
    insert_outbox_all(&mut tx, messages, now_ms).await?;
    tx.commit()
        .await
        .with_context(|| format!("committing {what}"))
}

/// A query whose rows are read as `T`.
pub(crate) type Rows<'q, T> = sqlx::query::QueryAs<'q, Any, T, sqlx::any::AnyArguments<'q>>;

/// A query whose rows are single values `T`.
pub(crate) type Values<'q, T> = sqlx::query::QueryScalar<'q, Any, T, sqlx::any::AnyArguments<'q>>;

/// What the pool helpers below need of a row type.
pub(crate) trait Row: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> {}
impl<T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>> Row for T {}

/// The statements of the facade run on the pool through these, each naming what it was
/// doing when it fails.
impl Store {
    /// Runs `statement` and returns how many rows it changed.
    pub(crate) async fn run(
        &self,
        statement: Statement<'_>,
        doing: &'static str,
    ) -> anyhow::Result<u64> {
        Ok(statement
            .execute(&self.pool)
            .await
            .context(doing)?
            .rows_affected())
    }

    /// Every row `query` returns.
    pub(crate) async fn all<T: Row>(
        &self,
        query: Rows<'_, T>,
        doing: &'static str,
    ) -> anyhow::Result<Vec<T>> {
        query.fetch_all(&self.pool).await.context(doing)
    }

    /// The row `query` returns, if any: for a query of one row at most (by key, or `LIMIT 1`).
    pub(crate) async fn optional<T: Row>(
        &self,
        query: Rows<'_, T>,
        doing: &'static str,
    ) -> anyhow::Result<Option<T>> {
        Ok(self.all(query, doing).await?.into_iter().next())
    }

    /// The single value of the row `query` returns, if any (one row at most).
    pub(crate) async fn maybe_value<T>(
        &self,
        query: Rows<'_, (T,)>,
        doing: &'static str,
    ) -> anyhow::Result<Option<T>>
    where
        (T,): Row,
    {
        Ok(self.optional(query, doing).await?.map(|(value,)| value))
    }

    /// The one value `query` returns.
    pub(crate) async fn value<T: Send + Unpin>(
        &self,
        query: Values<'_, T>,
        doing: &'static str,
    ) -> anyhow::Result<T>
    where
        (T,): Row,
    {
        query.fetch_one(&self.pool).await.context(doing)
    }
}

/// Runs `statement` on `conn` (a transaction's connection) and returns how many rows it
/// changed; `doing` says what it was, in errors.
pub(crate) async fn run_on(
    conn: &mut AnyConnection,
    statement: Statement<'_>,
    doing: &'static str,
) -> anyhow::Result<u64> {
    Ok(statement
        .execute(conn)
        .await
        .context(doing)?
        .rows_affected())
}
