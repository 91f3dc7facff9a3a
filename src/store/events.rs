//! Inbound event ids already processed (Slack events, Teams activities): platforms retry
//! deliveries, we act once.

use super::outbox::{insert_outbox, OutboxMessage};
use super::Store;
use anyhow::Context;

impl Store {
    /// Records `event_id` together with the messages it causes, in one transaction; false (and
    /// nothing queued) when the event was seen before.
    pub async fn record_event(
        &self,
        event_id: &str,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let done = sqlx::query("INSERT INTO inbound_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING")
            .bind(event_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .context("recording an inbound event id")?;
        if done.rows_affected() == 0 {
            tx.rollback()
                .await
                .context("rolling back a duplicate event")?;
            return Ok(false);
        }
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing an event")?;
        Ok(true)
    }

    /// Forgets `event_id`, so that the platform's retry of an event whose handling failed is
    /// handled again (what it did commit is idempotent by its own keys).
    pub async fn forget_event(&self, event_id: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM inbound_events WHERE event_id = $1")
            .bind(event_id)
            .execute(&self.pool)
            .await
            .context("forgetting an inbound event id")?;
        Ok(())
    }
}
