//! Messages Slack refuses for good (`channel_not_found`, `not_in_channel`, `invalid_blocks`,
//! `missing_scope`, …) are reported where people act: the managers' channel gets one notice per
//! failure kind and hour saying what failed, for which deal, and what to do. When the managers'
//! channel itself is what fails, the log and the `failed_unreported` delivery metric say so.

use super::Worker;
use crate::slack::render::DeliveryFailure;
use crate::slack::Renderer;
use crate::store::{ClaimedMessage, OutboxMessage};

/// Where permanent failures are reported: the managers' channel, rendered by `renderer`.
#[derive(Debug, Clone)]
pub struct AlertTarget {
    pub renderer: Renderer,
    pub managers_channel: String,
}

/// The outbox kind of the managers' notice (never itself reported, to avoid a loop).
pub const ALERT_KIND: &str = "delivery_failure";

/// What a person can do about a Slack error code.
fn advice(reason: &str, channel: &str) -> String {
    match reason {
        "not_in_channel" | "channel_not_found" | "is_archived" => format!(
            "make sure <#{channel}> still exists and invite the bot to it (`/invite @partnerbot` in the channel); if the partner moved channels, link the new one with `/partners add` there."
        ),
        "missing_scope" | "not_allowed_token_type" | "no_permission" | "restricted_action" => {
            "reinstall the app from the current `manifest.yaml` (it lists every scope the bot needs) and restart `partnerbot serve`.".into()
        }
        "invalid_auth" | "account_inactive" | "token_revoked" | "not_authed" => {
            "the bot token no longer works: reinstall the app and put the new `xoxb-` token in `SLACK_BOT_TOKEN`.".into()
        }
        "invalid_blocks" | "msg_too_long" | "invalid_arguments" | "too_many_attachments" => {
            "Slack found the message too large or malformed. This is a partnerbot bug: please report it with the outbox id below.".into()
        }
        "user_not_found" | "cannot_dm_bot" | "user_disabled" => {
            "the person is no longer reachable in Slack: update the program file or the partner's users.".into()
        }
        _ => "see the bot's log for this outbox id.".into(),
    }
}

/// A failure kind fit for grouping: Slack's error code, or `other` when it is free text.
fn failure_kind(reason: &str) -> String {
    let code: String = reason.chars().take(60).collect();
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
            tracing::error!(reason = %reason, "Slack refused the message for good; the managers are told");
            self.wake.notify_one();
        } else if alert.is_some() {
            tracing::error!(reason = %reason, "Slack refused the message for good; already reported this hour");
        }
        Ok(())
    }

    /// The managers' notice for `row`, or `None` (logged loudly) when it cannot be sent there.
    fn alert_for(&self, row: &ClaimedMessage, reason: &str) -> Option<OutboxMessage> {
        let Some(target) = &self.alerts else {
            tracing::error!(reason = %reason, "Slack refused the message for good; no managers' channel to tell");
            return None;
        };
        if row.channel == target.managers_channel || row.kind == ALERT_KIND {
            self.metrics.observe_delivery("failed_unreported");
            tracing::error!(reason = %reason, managers_channel = %target.managers_channel,
                "Slack refuses messages to the managers' channel itself: nobody in Slack hears of delivery failures until this is fixed");
            return None;
        }
        let advice = advice(reason, &row.channel);
        let failure = DeliveryFailure {
            kind: &row.kind.replace('_', " "),
            deal_id: row.deal_id.map(|d| crate::domain::DealId(d).to_string()),
            channel: &row.channel,
            reason,
            advice: &advice,
            outbox_id: row.id,
        };
        match target.renderer.delivery_failure(&failure) {
            Ok(payload) => Some(OutboxMessage {
                deal_id: row.deal_id,
                ..OutboxMessage::slack_payload(ALERT_KIND, &target.managers_channel, payload)
            }),
            Err(e) => {
                tracing::error!(
                    error = format!("{e:#}"),
                    "could not render the failure notice"
                );
                None
            }
        }
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
    }

    #[test]
    fn advice_names_what_to_do_for_each_common_refusal() {
        assert!(advice("not_in_channel", "C1").contains("/invite"));
        assert!(advice("missing_scope", "C1").contains("manifest.yaml"));
        assert!(advice("invalid_blocks", "C1").contains("bug"));
    }
}
