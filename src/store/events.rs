//! Inbound event ids already processed (Slack events, Teams activities): platforms retry
//! deliveries, we act once.

use super::outbox::OutboxMessage;
use super::Store;

impl Store {
    /// Records `event_id` together with the messages it causes, in one transaction; false (and
    /// nothing queued) when the event was seen before.
    pub async fn record_event(
        &self,
        event_id: &str,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let record = sqlx::query("INSERT INTO inbound_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING")
            .bind(event_id)
            .bind(now_ms);
        self.write_once(record, "an inbound event id", None, messages, now_ms)
            .await
    }

    /// Forgets `event_id`, so that the platform's retry of an event whose handling failed is
    /// handled again (what it did commit is idempotent by its own keys).
    pub async fn forget_event(&self, event_id: &str) -> anyhow::Result<()> {
        let statement =
            sqlx::query("DELETE FROM inbound_events WHERE event_id = $1").bind(event_id);
        self.run(statement, "forgetting an inbound event id")
            .await?;
        Ok(())
    }
}
