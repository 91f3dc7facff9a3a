//! Notices in Slack's words: each [`Notice`] rendered to Block Kit with the templates, at the
//! moment it is delivered.

use super::render::DeliveryFailure;
use super::Renderer;
use crate::notice::Notice;
use serde_json::Value;

/// How the bot introduces itself when spoken to.
const GREETING: &str = "Hi! I run the partner program here. This is what I can do:";

/// The Slack message for `notice`.
pub fn render(render: &Renderer, notice: &Notice) -> anyhow::Result<Value> {
    match notice {
        Notice::Help { manager, greeting } => render.help(*manager, greeting.then_some(GREETING)),
        Notice::DeliveryFailure {
            kind,
            deal,
            conversation,
            reason,
            outbox_id,
        } => render.delivery_failure(&DeliveryFailure {
            kind: &kind.replace('_', " "),
            deal_id: deal.map(|d| crate::domain::DealId(d).to_string()),
            channel: conversation,
            reason,
            advice: &advice(reason, conversation),
            outbox_id: *outbox_id,
        }),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_what_to_do_for_each_common_refusal() {
        assert!(advice("not_in_channel", "C1").contains("/invite"));
        assert!(advice("missing_scope", "C1").contains("manifest.yaml"));
        assert!(advice("invalid_blocks", "C1").contains("bug"));
    }
}
