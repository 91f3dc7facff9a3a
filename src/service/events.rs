//! People speaking to the bot (a mention, a direct message): a helpful answer, once per event;
//! and the answers an adapter words itself, queued for the person who asked.

use super::{Service, ServiceResult};
use crate::notice::{Address, Notice};
use crate::store::OutboxMessage;

/// Someone spoke to the bot: who, and where the answer goes.
#[derive(Debug, Clone)]
pub struct SpokenTo {
    pub user: String,
    pub reply_at: Address,
}

impl Service {
    /// Handles one inbound event, `spoken` when it was a person speaking to the bot. Platforms
    /// retry deliveries; the event id is recorded in the same transaction as the reply it causes,
    /// so a retry is recognised and does nothing.
    #[tracing::instrument(skip_all, fields(event_id = event_id.unwrap_or("-")))]
    pub async fn on_event(
        &self,
        event_id: Option<&str>,
        spoken: Option<SpokenTo>,
    ) -> ServiceResult<()> {
        let Some(spoken) = spoken else {
            if let Some(id) = event_id {
                self.store
                    .record_event(id, &[], self.clock.now_ms())
                    .await?;
            }
            return Ok(());
        };
        let notice = Notice::Help {
            manager: self.is_manager(&spoken.user),
            greeting: true,
        };
        let reply = OutboxMessage::notice("help", spoken.reply_at, notice, None);
        let fresh = match event_id {
            Some(id) => {
                self.store
                    .record_event(id, std::slice::from_ref(&reply), self.clock.now_ms())
                    .await?
            }
            None => {
                tracing::warn!("event without an id: cannot deduplicate");
                self.store
                    .enqueue(std::slice::from_ref(&reply), self.clock.now_ms())
                    .await?;
                true
            }
        };
        if fresh {
            self.wake_delivery();
        } else {
            tracing::info!("duplicate event delivery ignored");
        }
        Ok(())
    }

    /// Queues `answer` (already worded by the adapter, for the person who asked) and wakes the
    /// delivery worker: for platforms that cannot answer inside the request itself.
    pub async fn send_answer(&self, answer: OutboxMessage) -> ServiceResult<()> {
        self.store
            .enqueue(std::slice::from_ref(&answer), self.clock.now_ms())
            .await?;
        self.wake_delivery();
        Ok(())
    }
}
