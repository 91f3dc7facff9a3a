//! The outbox: messages written in the same transaction as the change they announce, then
//! claimed by one delivery worker at a time under an expiring lease.

use super::{Backend, Store};
use anyhow::Context;
use sqlx::AnyConnection;

/// A message to deliver: a rendered Slack payload (`text`, `blocks`, optional `thread_ts`)
/// for a channel, or for one user in a channel when `ephemeral_user` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// What the message is (`deal_confirmation`, `review_card`, …), for logs and tests.
    pub kind: String,
    pub channel: String,
    pub ephemeral_user: Option<String>,
    pub payload: serde_json::Value,
    pub deal_id: Option<i64>,
}

/// A message claimed for delivery by one worker until its lease ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMessage {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub ephemeral_user: Option<String>,
    pub payload: String,
    pub attempts: i64,
    /// 1 when an earlier attempt may have reached Slack (a crash, a timeout, a 5xx): look
    /// for the message in the channel before sending it again.
    pub needs_check: i64,
    pub first_attempt_at: Option<i64>,
}

pub(crate) async fn insert_outbox(
    conn: &mut AnyConnection,
    msg: &OutboxMessage,
    now_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (kind, channel, ephemeral_user, payload, deal_id, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&msg.kind)
    .bind(&msg.channel)
    .bind(msg.ephemeral_user.as_deref())
    .bind(msg.payload.to_string())
    .bind(msg.deal_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .with_context(|| format!("queueing a {} message", msg.kind))?;
    Ok(())
}

impl Store {
    /// Queues messages that announce no state change of their own (help, replies), atomically.
    pub async fn enqueue(&self, messages: &[OutboxMessage], now_ms: i64) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing queued messages")
    }

    /// Claims up to `limit` due messages for `owner` until `now + lease_ms`, oldest first.
    /// Rows leased by a live worker are skipped; rows whose lease ran out (the worker died)
    /// are taken over. On Postgres `SKIP LOCKED` lets replicas claim side by side.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ClaimedMessage>> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // The right-hand sides see the old row: needs_check takes the previous maybe_sent.
        let sql = format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
                 needs_check = maybe_sent, maybe_sent = 1, first_attempt_at = COALESCE(first_attempt_at, $3) \
             WHERE id IN (SELECT id FROM outbox \
                     WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3 \
                       AND (lease_until IS NULL OR lease_until < $3) \
                     ORDER BY next_attempt_at, id LIMIT $4 {lock}) \
               AND delivered_at IS NULL AND failed_at IS NULL AND (lease_until IS NULL OR lease_until < $3) \
             RETURNING id, kind, channel, ephemeral_user, payload, attempts, needs_check, first_attempt_at"
        );
        let mut rows = sqlx::query_as::<_, ClaimedMessage>(&sql)
            .bind(owner)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("claiming outbox messages")?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Records that Slack accepted the message (`ts` is Slack's message timestamp).
    pub async fn mark_delivered(
        &self,
        id: i64,
        ts: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET delivered_at = $1, slack_ts = $2, lease_owner = NULL, lease_until = NULL, last_error = NULL \
             WHERE id = $3 AND delivered_at IS NULL",
        )
        .bind(now_ms)
        .bind(ts)
        .bind(id)
        .execute(&self.pool)
        .await
        .context("marking a message delivered")?;
        Ok(())
    }

    /// Releases the message for another attempt at `next_attempt_ms`. `maybe_sent` says whether
    /// this attempt could have reached Slack (then the next one checks the channel first).
    pub async fn retry_later(
        &self,
        id: i64,
        next_attempt_ms: i64,
        error: &str,
        maybe_sent: bool,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2, maybe_sent = $3, lease_owner = NULL, lease_until = NULL \
             WHERE id = $4 AND delivered_at IS NULL",
        )
        .bind(next_attempt_ms)
        .bind(error)
        .bind(i64::from(maybe_sent))
        .bind(id)
        .execute(&self.pool)
        .await
        .context("rescheduling a message")?;
        Ok(())
    }

    /// Gives up on a message Slack refused for good (channel gone, bot removed, bad payload).
    pub async fn mark_failed(&self, id: i64, error: &str, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET failed_at = $1, last_error = $2, lease_owner = NULL, lease_until = NULL WHERE id = $3")
            .bind(now_ms)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await
            .context("marking a message failed")?;
        Ok(())
    }

    /// Messages not yet delivered nor given up on.
    pub async fn outbox_depth(&self) -> anyhow::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await
        .context("measuring the outbox")
    }
}
