//! Slack event ids already processed: Slack retries deliveries, we act once.

use super::Store;
use anyhow::Context;

impl Store {
    /// Records `event_id`; true the first time, false for every retry of the same event.
    pub async fn first_sighting_of_event(&self, event_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let done = sqlx::query("INSERT INTO slack_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING")
            .bind(event_id)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .context("recording a Slack event id")?;
        Ok(done.rows_affected() == 1)
    }
}
