//! Job occurrences and the lifecycle writes scheduled jobs make. Every write is guarded so a job
//! run twice (or on two replicas) changes and announces each thing once.

use super::outbox::OutboxMessage;
use super::statements::Statement;
use super::{AuditEntry, Store};
use crate::domain::{DealId, DealStatus, Money};
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
        let statement = sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, claimed_by, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job, scheduled_for) DO NOTHING",
        )
        .bind(job)
        .bind(scheduled_for_ms)
        .bind(owner)
        .bind(now_ms);
        Ok(self.run(statement, "claiming a job occurrence").await? == 1)
    }

    /// When the scheduler first ran on this database (recorded now if never); the same answer
    /// on every replica.
    pub async fn first_start_ms(&self, now_ms: i64) -> anyhow::Result<i64> {
        let statement = sqlx::query("INSERT INTO app_state (key, value) VALUES ('first_start', $1) ON CONFLICT (key) DO NOTHING")
            .bind(now_ms);
        self.run(statement, "recording the first start").await?;
        let query = sqlx::query_scalar("SELECT value FROM app_state WHERE key = 'first_start'");
        self.value(query, "reading the first start").await
    }

    /// Records how a claimed occurrence ended.
    pub async fn finish_job_run(
        &self,
        job: &str,
        scheduled_for_ms: i64,
        outcome: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let statement = sqlx::query("UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE job = $3 AND scheduled_for = $4")
            .bind(now_ms)
            .bind(outcome)
            .bind(job)
            .bind(scheduled_for_ms);
        self.run(statement, "finishing a job occurrence").await?;
        Ok(())
    }

    /// The claimed occurrences of a job (scheduled time, claimer), oldest first.
    pub async fn job_runs(&self, job: &str) -> anyhow::Result<Vec<(i64, String)>> {
        let query = sqlx::query_as(
            "SELECT scheduled_for, claimed_by FROM job_runs WHERE job = $1 ORDER BY scheduled_for",
        )
        .bind(job);
        self.all(query, "listing job occurrences").await
    }

    /// Ids of registrations in `statuses` (for the lifecycle jobs).
    pub async fn deal_ids_in(&self, statuses: &[DealStatus]) -> anyhow::Result<Vec<DealId>> {
        let sql = format!(
            "SELECT id FROM deals WHERE status IN ({}) ORDER BY id",
            super::placeholders(1, statuses.len())
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

    /// Applies `change` to deal `id` once, with its audit row and messages, in one
    /// transaction; false (nothing stored) when the deal no longer allows it.
    pub async fn change_deal_once(
        &self,
        id: DealId,
        change: DealChange<'_>,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let statement = change.statement(id, now_ms);
        self.write_once(
            statement,
            change.what(),
            Some((audit, id.0)),
            messages,
            now_ms,
        )
        .await
    }
}

/// A change of one deal that is made once: each is guarded on the state the caller saw, so a
/// job run twice (or on two replicas), or two people at once, make it a single time.
#[derive(Debug, Clone, Copy)]
pub enum DealChange<'a> {
    /// Marks a waiting registration escalated.
    Escalate,
    /// Records a reminder as sent ("14,3" after "14"), if the marks are still `before`.
    Remind { before: &'a str, after: &'a str },
    /// Moves a registration from `from` to `to` (e.g. approved → expired).
    Transition { from: DealStatus, to: DealStatus },
    /// An open deal's progress (pending, in conflict, returned or approved): stage, amount,
    /// expected close and products.
    Progress {
        stage: &'a str,
        amount: &'a Money,
        close: &'a str,
        products: &'a str,
    },
    /// Grants one extension: a new end of protection, one more extension counted, any pending
    /// request cleared and reminders reset; guarded on the count the caller saw.
    Extend {
        until: &'a str,
        seen_extensions: u32,
    },
    /// Records an extension request for the managers, unless one is already waiting.
    RequestExtension { justification: &'a str },
    /// Declines the waiting extension request.
    DeclineExtension,
    /// Closes an open deal in `from` as lost on `closed` (the day it was lost).
    CloseLost { from: DealStatus, closed: &'a str },
}

impl<'a> DealChange<'a> {
    /// The guarded statement that makes the change.
    fn statement(self, id: DealId, now_ms: i64) -> Statement<'a> {
        match self {
            DealChange::Escalate => {
                sqlx::query("UPDATE deals SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL")
                    .bind(now_ms)
                    .bind(id.0)
            }
            DealChange::Remind { before, after } => {
                sqlx::query("UPDATE deals SET reminders_sent = $1 WHERE id = $2 AND reminders_sent = $3")
                    .bind(after)
                    .bind(id.0)
                    .bind(before)
            }
            DealChange::Transition { from, to } => sqlx::query(
                "UPDATE deals SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(to.as_str())
            .bind(now_ms)
            .bind(id.0)
            .bind(from.as_str()),
            DealChange::Progress { stage, amount, close, products } => sqlx::query(
                "UPDATE deals SET stage = $1, amount_minor = $2, currency = $3, close_date = $4, products = $5, updated_at = $6 \
                 WHERE id = $7 AND status IN ('pending_review', 'conflict', 'returned', 'approved')",
            )
            .bind(stage)
            .bind(amount.minor())
            .bind(amount.currency().code())
            .bind(close)
            .bind(products)
            .bind(now_ms)
            .bind(id.0),
            DealChange::Extend { until, seen_extensions } => sqlx::query(
                "UPDATE deals SET protected_until = $1, extensions = extensions + 1, extension_request = NULL, reminders_sent = '', updated_at = $2 \
                 WHERE id = $3 AND status = 'approved' AND extensions = $4",
            )
            .bind(until)
            .bind(now_ms)
            .bind(id.0)
            .bind(i64::from(seen_extensions)),
            DealChange::RequestExtension { justification } => sqlx::query(
                "UPDATE deals SET extension_request = $1, updated_at = $2 WHERE id = $3 AND status = 'approved' AND extension_request IS NULL",
            )
            .bind(justification)
            .bind(now_ms)
            .bind(id.0),
            DealChange::DeclineExtension => sqlx::query(
                "UPDATE deals SET extension_request = NULL, updated_at = $1 WHERE id = $2 AND extension_request IS NOT NULL",
            )
            .bind(now_ms)
            .bind(id.0),
            DealChange::CloseLost { from, closed } => sqlx::query(
                "UPDATE deals SET status = 'lost', close_date = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(closed)
            .bind(now_ms)
            .bind(id.0)
            .bind(from.as_str()),
        }
    }

    /// The change, as errors name it.
    fn what(self) -> &'static str {
        match self {
            DealChange::Escalate => "an escalation",
            DealChange::Remind { .. } => "a reminder",
            DealChange::Transition { .. } => "a status change",
            DealChange::Progress { .. } => "a progress update",
            DealChange::Extend { .. } => "an extension",
            DealChange::RequestExtension { .. } => "an extension request",
            DealChange::DeclineExtension => "a declined extension",
            DealChange::CloseLost { .. } => "a lost deal",
        }
    }
}
