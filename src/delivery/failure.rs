//! Messages a platform refuses for good (`channel_not_found`, `not_in_channel`, `invalid_blocks`,
//! `missing_scope`, …) are reported where people act: the managers' channel gets one notice per
//! failure kind and hour saying what failed, for which deal, and what to do. When the managers'
//! channel itself is what fails, the log and the `failed_unreported` delivery metric say so.
//!
//! A Teams post whose outcome is unknown (see `teams`) is given up the same way, as
//! `unknown_outcome: …` and counted as the `unknown` delivery outcome: the managers are told
//! that it may or may not have arrived, so someone can look in the conversation.

use super::Worker;
use crate::notice::{Address, Conversation, Notice};
use crate::store::{ClaimedMessage, OutboxMessage};

/// Where permanent failures are reported: the managers' channel.
#[derive(Debug, Clone)]
pub struct AlertTarget {
    pub managers: Conversation,
}

/// The outbox kind of the managers' notice (never itself reported, to avoid a loop).
pub const ALERT_KIND: &str = "delivery_failure";

/// The reason code of a Teams post that may or may not have arrived.
pub const UNKNOWN_OUTCOME: &str = "unknown_outcome";

/// A failure kind fit for grouping: the platform's error code (what precedes `: ` in a reason
/// like `conversation_blocked: HTTP 403 …`), or `other` when it is free text.
fn failure_kind(reason: &str) -> String {
    let head = reason.split(": ").next().unwrap_or_default();
    let code: String = head.chars().take(60).collect();
    if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        code
    } else {
        "other".into()
    }
}

impl Worker {
    /// Gives up on `row`, reporting it to the managers once per failure kind and hour.
    pub(super) async fn give_up(&self, row: &ClaimedMessage, reason: &str) -> anyhow::Result<()> {
        self.metrics.observe_delivery("failed");
        self.record_given_up(row, reason).await
    }

    /// Gives up on a post that may or may not have landed: never sent again, reported like a
    /// refusal, counted as `unknown`.
    pub(super) async fn give_up_unknown(
        &self,
        row: &ClaimedMessage,
        reason: &str,
    ) -> anyhow::Result<()> {
        self.metrics.observe_delivery("unknown");
        tracing::warn!(reason = %reason, "the post may or may not have arrived and cannot be checked: not sending it again");
        self.record_given_up(row, &format!("{UNKNOWN_OUTCOME}: {reason}"))
            .await
    }

    async fn record_given_up(&self, row: &ClaimedMessage, reason: &str) -> anyhow::Result<()> {
        let kind = failure_kind(reason);
        let alert = self.alert_for(row, reason);
        let (recorded, queued) = self
            .store
            .mark_failed(
                row.id,
                row.lease_version,
                reason,
                self.clock.now_ms(),
                alert.as_ref().map(|m| (kind.as_str(), m)),
            )
            .await?;
        if !recorded {
            tracing::warn!("claim superseded; its new holder decides");
        } else if queued {
            tracing::error!(reason = %reason, "the platform refused the message for good; the managers are told");
            self.wake.notify_one();
        } else if alert.is_some() {
            tracing::error!(reason = %reason, "the platform refused the message for good; already reported this hour");
        }
        Ok(())
    }

    /// The managers' notice for `row`, or `None` (logged loudly) when it cannot be sent there.
    fn alert_for(&self, row: &ClaimedMessage, reason: &str) -> Option<OutboxMessage> {
        let Some(target) = &self.alerts else {
            tracing::error!(reason = %reason, "the platform refused the message for good; no managers' channel to tell");
            return None;
        };
        let managers = &target.managers;
        if row.channel == managers.id || row.kind == ALERT_KIND {
            self.metrics.observe_delivery("failed_unreported");
            tracing::error!(reason = %reason, managers_channel = %managers.id, platform = %managers.platform,
                "the platform refuses messages to the managers' channel itself: nobody hears of delivery failures until this is fixed");
            return None;
        }
        let notice = Notice::DeliveryFailure {
            kind: row.kind.clone(),
            deal: row.deal_id,
            conversation: row.channel.clone(),
            reason: reason.to_string(),
            outbox_id: row.id,
        };
        let address = Address::at(managers);
        Some(OutboxMessage::notice(
            ALERT_KIND,
            address,
            notice,
            row.deal_id,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_kinds_group_slack_codes_and_fold_free_text() {
        assert_eq!(failure_kind("not_in_channel"), "not_in_channel");
        assert_eq!(failure_kind("HTTP 404"), "other");
        assert_eq!(failure_kind("stored file is not base64: x"), "other");
        assert_eq!(
            failure_kind("unknown_outcome: HTTP 502 ServiceError"),
            UNKNOWN_OUTCOME
        );
        assert_eq!(
            failure_kind("conversation_blocked: HTTP 403 MessageWritesBlocked"),
            "conversation_blocked"
        );
    }
}
