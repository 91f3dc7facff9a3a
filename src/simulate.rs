//! What Slack sends us, built and signed the way Slack does: slash commands, modal submissions
//! and event callbacks. The demo sends these over HTTP and the tests in-process.

use crate::slack::verify::sign;
use serde_json::{json, Value};

/// A Slack user in a channel: who types the command.
#[derive(Debug, Clone)]
pub struct SlackUser {
    pub user: String,
    pub team: String,
    pub channel: String,
}

impl SlackUser {
    /// A user of `team` in `channel`.
    pub fn new(user: &str, team: &str, channel: &str) -> SlackUser {
        SlackUser {
            user: user.into(),
            team: team.into(),
            channel: channel.into(),
        }
    }

    /// The form body of `command text` typed by this user; `trigger` identifies the invocation.
    pub fn command(&self, command: &str, text: &str, trigger: &str) -> Vec<u8> {
        serde_urlencoded::to_string([
            ("token", "legacy-unused"),
            ("team_id", self.team.as_str()),
            ("channel_id", self.channel.as_str()),
            ("user_id", self.user.as_str()),
            ("user_name", self.user.to_lowercase().as_str()),
            ("command", command),
            ("text", text),
            ("response_url", "https://hooks.slack.com/commands/T0/1/x"),
            ("trigger_id", trigger),
        ])
        .unwrap_or_default()
        .into_bytes()
    }

    /// The interaction body of submitting `view` (as opened) with `values` typed into it
    /// (`block_id → text`; the close date goes in as a datepicker, the stage as a select).
    pub fn submit_view(&self, view_id: &str, view: &Value, values: &[(&str, &str)]) -> Vec<u8> {
        let mut state = serde_json::Map::new();
        for (block, value) in values {
            let input = match *block {
                "close_date" => json!({ "type": "datepicker", "selected_date": value }),
                "stage" => {
                    json!({ "type": "static_select", "selected_option": { "value": value } })
                }
                _ => json!({ "type": "plain_text_input", "value": value }),
            };
            state.insert(block.to_string(), json!({ *block: input }));
        }
        let payload = json!({
            "type": "view_submission",
            "team": { "id": self.team },
            "user": { "id": self.user, "team_id": self.team },
            "api_app_id": "A0PARTNERBOT",
            "trigger_id": "1.2.submit",
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "blocks": view["blocks"],
                "state": { "values": state },
                "app_installed_team_id": "T0HOME"
            }
        });
        form_payload(&payload)
    }
}

impl SlackUser {
    /// The interaction body of this user clicking button `action_id` (carrying `value`) on the
    /// message at `message_ts` in their channel.
    pub fn click(&self, action_id: &str, value: &str, message_ts: &str) -> Vec<u8> {
        form_payload(&json!({
            "type": "block_actions",
            "user": { "id": self.user, "team_id": self.team },
            "team": { "id": self.team },
            "channel": { "id": self.channel },
            "container": { "type": "message", "channel_id": self.channel, "message_ts": message_ts },
            "trigger_id": format!("{}.{action_id}.trigger", self.user),
            "actions": [{ "action_id": action_id, "value": value, "type": "button" }]
        }))
    }
}

impl SlackUser {
    /// The interaction body of this user choosing message shortcut `callback_id` on the
    /// message `ts` (in the thread of `thread_ts`, if given) of their channel.
    pub fn message_shortcut(
        &self,
        callback_id: &str,
        trigger: &str,
        message: (&str, Option<&str>),
        text: &str,
    ) -> Vec<u8> {
        let (ts, thread_ts) = message;
        let mut shown = json!({ "type": "message", "user": "U0SOMEONE", "ts": ts, "text": text });
        if let Some(thread) = thread_ts {
            shown["thread_ts"] = json!(thread);
        }
        form_payload(&json!({
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": trigger,
            "user": { "id": self.user, "team_id": self.team, "name": self.user.to_lowercase() },
            "team": { "id": self.team },
            "channel": { "id": self.channel, "name": self.channel.to_lowercase() },
            "message_ts": ts,
            "message": shown,
            "response_url": "https://hooks.slack.com/app/T0/1/x"
        }))
    }

    /// The interaction body of this user choosing global shortcut `callback_id`.
    pub fn global_shortcut(&self, callback_id: &str, trigger: &str) -> Vec<u8> {
        form_payload(&json!({
            "type": "shortcut",
            "callback_id": callback_id,
            "trigger_id": trigger,
            "user": { "id": self.user, "team_id": self.team, "username": self.user.to_lowercase() },
            "team": { "id": self.team }
        }))
    }
}

/// The Socket Mode envelope `envelope_id` carrying what Slack would have posted over HTTP to
/// `path` (`/slack/commands`, `/slack/interactions` or `/slack/events`) as `body`.
pub fn envelope(envelope_id: &str, path: &str, body: &[u8]) -> Value {
    let form =
        || -> Vec<(String, String)> { serde_urlencoded::from_bytes(body).unwrap_or_default() };
    let (kind, payload) = match path {
        "/slack/commands" => (
            "slash_commands",
            Value::Object(form().into_iter().map(|(k, v)| (k, json!(v))).collect()),
        ),
        "/slack/interactions" => {
            let payload = form()
                .into_iter()
                .find(|(k, _)| k == "payload")
                .and_then(|(_, v)| serde_json::from_str(&v).ok())
                .unwrap_or(Value::Null);
            ("interactive", payload)
        }
        _ => (
            "events_api",
            serde_json::from_slice(body).unwrap_or(Value::Null),
        ),
    };
    json!({ "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": "" })
}

/// `payload=<json>` as Slack posts interactions.
pub fn form_payload(payload: &Value) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .unwrap_or_default()
        .into_bytes()
}

/// An Events API callback wrapping `event`.
pub fn event_callback(event_id: &str, event: Value) -> Vec<u8> {
    json!({
        "token": "legacy-unused", "team_id": "T0HOME", "api_app_id": "A0PARTNERBOT", "type": "event_callback",
        "event_id": event_id, "event_time": 1_700_000_000, "event": event,
        "authorizations": [{ "team_id": "T0HOME", "user_id": "U0BOT", "is_bot": true }]
    })
    .to_string()
    .into_bytes()
}

/// The two signing headers Slack adds, for `body` sent at Unix time `now_secs`.
pub fn signing_headers(secret: &str, now_secs: i64, body: &[u8]) -> [(&'static str, String); 2] {
    let ts = now_secs.to_string();
    let signature = sign(secret.as_bytes(), &ts, body);
    [
        ("x-slack-request-timestamp", ts),
        ("x-slack-signature", signature),
    ]
}
