//! Job occurrences and the lifecycle writes scheduled jobs make. Every write is guarded so a job
//! run twice (or on two replicas) changes and announces each thing once.

use super::outbox::{insert_outbox, OutboxMessage};
use super::{append_audit, AuditEntry, Store};
use crate::domain::{DealId, DealStatus};
use anyhow::Context;

impl Store {
    /// Claims one occurrence of a job for `owner`; false when someone already has it.
    pub async fn claim_job_run(
        &self,
        job: &str,
        scheduled_for_ms: i64,
        owner: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, claimed_by, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job, scheduled_for) DO NOTHING",
        )
        .bind(job)
        .bind(scheduled_for_ms)
        .bind(owner)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("claiming a job occurrence")?;
        Ok(done.rows_affected() == 1)
    }

    /// When the scheduler first ran on this database (recorded now if never); the same answer
    /// on every replica.
    pub async fn first_start_ms(&self, now_ms: i64) -> anyhow::Result<i64> {
        sqlx::query("INSERT INTO app_state (key, value) VALUES ('first_start', $1) ON CONFLICT (key) DO NOTHING")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .context("recording the first start")?;
        sqlx::query_scalar("SELECT value FROM app_state WHERE key = 'first_start'")
            .fetch_one(&self.pool)
            .await
            .context("reading the first start")
    }

    /// Records how a claimed occurrence ended.
    pub async fn finish_job_run(
        &self,
        job: &str,
        scheduled_for_ms: i64,
        outcome: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE job = $3 AND scheduled_for = $4")
            .bind(now_ms)
            .bind(outcome)
            .bind(job)
            .bind(scheduled_for_ms)
            .execute(&self.pool)
            .await
            .context("finishing a job occurrence")?;
        Ok(())
    }

    /// The claimed occurrences of a job (scheduled time, claimer), oldest first.
    pub async fn job_runs(&self, job: &str) -> anyhow::Result<Vec<(i64, String)>> {
        sqlx::query_as(
            "SELECT scheduled_for, claimed_by FROM job_runs WHERE job = $1 ORDER BY scheduled_for",
        )
        .bind(job)
        .fetch_all(&self.pool)
        .await
        .context("listing job occurrences")
    }

    /// Ids of registrations in `statuses` (for the lifecycle jobs).
    pub async fn deal_ids_in(&self, statuses: &[DealStatus]) -> anyhow::Result<Vec<DealId>> {
        let placeholders: Vec<String> = (1..=statuses.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id FROM deals WHERE status IN ({}) ORDER BY id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for s in statuses {
            query = query.bind(s.as_str());
        }
        Ok(query
            .fetch_all(&self.pool)
            .await
            .context("listing deals by status")?
            .into_iter()
            .map(DealId)
            .collect())
    }

    /// When a registration was escalated, and which reminders it has had ("14,3").
    pub async fn lifecycle_marks(&self, id: DealId) -> anyhow::Result<(Option<i64>, String)> {
        sqlx::query_as("SELECT escalated_at, reminders_sent FROM deals WHERE id = $1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await
            .context("reading a deal's lifecycle marks")
    }

    /// Marks a waiting registration escalated, once, with an audit row and messages.
    pub async fn escalate_once(
        &self,
        id: DealId,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL",
            id,
            |q| q.bind(now_ms).bind(id.0),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Records a reminder as sent, if the marks are still `before` (so it is sent once).
    pub async fn remind_once(
        &self,
        id: DealId,
        before: &str,
        after: &str,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET reminders_sent = $1 WHERE id = $2 AND reminders_sent = $3",
            id,
            |q| q.bind(after).bind(id.0).bind(before),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Moves a registration from `from` to `to` (e.g. approved → expired), once.
    pub async fn transition_once(
        &self,
        id: DealId,
        from: DealStatus,
        to: DealStatus,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            id,
            |q| {
                q.bind(to.as_str())
                    .bind(now_ms)
                    .bind(id.0)
                    .bind(from.as_str())
            },
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Updates an open deal's progress (pending, in conflict, returned or approved): stage,
    /// amount, expected close and products, with an audit row and messages, once.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_progress(
        &self,
        id: DealId,
        stage: &str,
        amount: &crate::domain::Money,
        close: &str,
        products: &str,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET stage = $1, amount_minor = $2, currency = $3, close_date = $4, products = $5, updated_at = $6 \
             WHERE id = $7 AND status IN ('pending_review', 'conflict', 'returned', 'approved')",
            id,
            |q| q.bind(stage).bind(amount.minor()).bind(amount.currency().code()).bind(close).bind(products).bind(now_ms).bind(id.0),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Grants one extension: a new end of protection, one more extension counted, any pending
    /// request cleared and reminders reset. Guarded on the count the caller saw.
    pub async fn extend_protection(
        &self,
        id: DealId,
        until: &str,
        seen_extensions: u32,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET protected_until = $1, extensions = extensions + 1, extension_request = NULL, reminders_sent = '', updated_at = $2 \
             WHERE id = $3 AND status = 'approved' AND extensions = $4",
            id,
            |q| q.bind(until).bind(now_ms).bind(id.0).bind(i64::from(seen_extensions)),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Records an extension request for the managers, unless one is already waiting.
    pub async fn request_extension(
        &self,
        id: DealId,
        justification: &str,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET extension_request = $1, updated_at = $2 WHERE id = $3 AND status = 'approved' AND extension_request IS NULL",
            id,
            |q| q.bind(justification).bind(now_ms).bind(id.0),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Declines the waiting extension request.
    pub async fn decline_extension(
        &self,
        id: DealId,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET extension_request = NULL, updated_at = $1 WHERE id = $2 AND extension_request IS NOT NULL",
            id,
            |q| q.bind(now_ms).bind(id.0),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    /// Closes an open deal as lost on `closed` (the day it was lost), once.
    pub async fn close_lost(
        &self,
        id: DealId,
        from: DealStatus,
        closed: &str,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE deals SET status = 'lost', close_date = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            id,
            |q| q.bind(closed).bind(now_ms).bind(id.0).bind(from.as_str()),
            audit,
            messages,
            now_ms,
        )
        .await
    }

    async fn guarded<'q>(
        &self,
        sql: &'q str,
        id: DealId,
        bind: impl FnOnce(
            sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let done = bind(sqlx::query(sql))
            .execute(&mut *tx)
            .await
            .context("applying a lifecycle change")?;
        if done.rows_affected() == 0 {
            tx.rollback()
                .await
                .context("rolling back a lifecycle change already made")?;
            return Ok(false);
        }
        append_audit(&mut tx, audit, id.0, now_ms).await?;
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing a lifecycle change")?;
        Ok(true)
    }
}
