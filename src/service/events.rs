//! Events API: mentions and direct messages get a helpful answer, once per event.

use super::{Service, ServiceResult};
use crate::notice::{Address, MessageRef, Notice, Platform};
use crate::slack::payload::Event;
use crate::store::OutboxMessage;

impl Service {
    /// Handles one event callback. Slack retries deliveries; the event id is recorded in the
    /// same transaction as the reply it causes, so a retry is recognised and does nothing.
    #[tracing::instrument(skip_all, fields(event_id = event_id.unwrap_or("-"), event_type = %event.kind))]
    pub async fn on_event(&self, event_id: Option<&str>, event: &Event) -> ServiceResult<()> {
        let Some(reply) = self.reply_to(event)? else {
            if let Some(id) = event_id {
                self.store
                    .record_event(id, &[], self.clock.now_ms())
                    .await?;
            }
            return Ok(());
        };
        let fresh = match event_id {
            Some(id) => {
                self.store
                    .record_event(id, std::slice::from_ref(&reply), self.clock.now_ms())
                    .await?
            }
            None => {
                tracing::warn!("event without event_id: cannot deduplicate");
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

    fn reply_to(&self, event: &Event) -> ServiceResult<Option<OutboxMessage>> {
        let from_a_person =
            event.bot_id.is_none() && event.subtype.is_none() && event.user.is_some();
        let (Some(channel), Some(user), true) = (&event.channel, &event.user, from_a_person) else {
            return Ok(None);
        };
        let wanted = match event.kind.as_str() {
            "app_mention" => true,
            "message" => event.channel_type.as_deref() == Some("im"),
            _ => false,
        };
        if !wanted {
            return Ok(None);
        }
        let notice = Notice::Help {
            manager: self.is_manager(user),
            greeting: true,
        };
        let mut address = Address::to(Platform::Slack, channel);
        // A mention is answered in its thread (or starts one under the mention).
        if event.kind == "app_mention" {
            address.thread = event
                .thread_ts
                .as_ref()
                .or(event.ts.as_ref())
                .map(|ts| MessageRef::Posted(ts.clone()));
        }
        Ok(Some(OutboxMessage::notice("help", address, notice, None)))
    }
}
