//! Slack's inbound payloads, parsed leniently into our own serde types: slack-morphism's models
//! are strict (an empty `state` or a missing `event_id` fails) and drop Slack Connect fields.

use serde::Deserialize;
use std::collections::HashMap;

/// A slash command (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Deserialize)]
pub struct SlashCommand {
    pub command: String,
    #[serde(default)]
    pub text: String,
    pub user_id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    pub channel_id: String,
    #[serde(default)]
    pub trigger_id: Option<String>,
}

/// Parses a slash command form body.
pub fn parse_command(body: &[u8]) -> Result<SlashCommand, String> {
    serde_urlencoded::from_bytes(body).map_err(|e| format!("slash command form: {e}"))
}

/// The user who acted, with the team they belong to (the other organisation in Slack Connect).
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
}

/// Something with an id (team, channel).
#[derive(Debug, Clone, Deserialize)]
pub struct Id {
    pub id: String,
}

/// An interaction payload (`payload=<json>` form field).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum Interaction {
    #[serde(rename = "block_actions")]
    BlockActions(BlockActions),
    #[serde(rename = "view_submission")]
    ViewSubmission(ViewSubmission),
    /// Shortcuts, `view_closed`, message actions, …: acknowledged and ignored.
    #[serde(other)]
    Other,
}

/// A button or select clicked in a message or modal.
#[derive(Debug, Clone, Deserialize)]
pub struct BlockActions {
    pub user: User,
    #[serde(default)]
    pub channel: Option<Id>,
    /// Where the clicked message is (for updating it in place).
    #[serde(default)]
    pub container: Option<Container>,
    #[serde(default)]
    pub trigger_id: Option<String>,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// The message (or view) a click came from.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Container {
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub message_ts: Option<String>,
}

/// One action of a `block_actions` payload.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub action_id: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// A modal submitted.
#[derive(Debug, Clone, Deserialize)]
pub struct ViewSubmission {
    pub user: User,
    pub view: View,
}

/// The submitted modal and its input state.
#[derive(Debug, Clone, Deserialize)]
pub struct View {
    pub id: String,
    #[serde(default)]
    pub callback_id: String,
    #[serde(default)]
    pub private_metadata: String,
    #[serde(default)]
    pub state: ViewState,
}

/// `view.state.values[block_id][action_id]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ViewState {
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, InputValue>>,
}

/// The value of one input element, whatever its kind.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InputValue {
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub selected_date: Option<String>,
    #[serde(default)]
    pub selected_option: Option<SelectedOption>,
}

/// A chosen option of a select.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SelectedOption {
    pub value: String,
}

impl ViewState {
    /// The text of input `block_id` (its action id is the same), or "" when empty.
    pub fn text(&self, block_id: &str) -> String {
        self.values
            .get(block_id)
            .and_then(|actions| actions.get(block_id).or_else(|| actions.values().next()))
            .and_then(|v| {
                v.value
                    .clone()
                    .or_else(|| v.selected_date.clone())
                    .or_else(|| v.selected_option.as_ref().map(|o| o.value.clone()))
            })
            .unwrap_or_default()
    }
}

/// Parses an interaction form body (`payload=…`).
pub fn parse_interaction(body: &[u8]) -> Result<Interaction, String> {
    #[derive(Deserialize)]
    struct Form {
        payload: String,
    }
    let form: Form =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("interaction form: {e}"))?;
    serde_json::from_str(&form.payload).map_err(|e| format!("interaction payload: {e}"))
}

/// The Events API envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct EventEnvelope {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub challenge: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event: Option<Event>,
}

/// The inner event (only the fields partnerbot reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub channel_type: Option<String>,
    #[serde(default)]
    pub ts: Option<String>,
    #[serde(default)]
    pub thread_ts: Option<String>,
    #[serde(default)]
    pub bot_id: Option<String>,
    #[serde(default)]
    pub subtype: Option<String>,
}

/// Parses an Events API body.
pub fn parse_event(body: &[u8]) -> Result<EventEnvelope, String> {
    serde_json::from_slice(body).map_err(|e| format!("event envelope: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/data/slack/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    fn as_form(json: &[u8]) -> Vec<u8> {
        serde_urlencoded::to_string([("payload", String::from_utf8_lossy(json))])
            .expect("form")
            .into_bytes()
    }

    #[test]
    fn the_slash_command_fixture_parses() {
        let cmd = parse_command(&fixture("slash_command.txt")).expect("parses");
        assert_eq!(
            (
                cmd.command.as_str(),
                cmd.text.as_str(),
                cmd.channel_id.as_str()
            ),
            ("/webhook-collect", "", "G8PSS9T3V")
        );
    }

    #[test]
    fn interaction_fixtures_parse_including_slack_connect() {
        let Interaction::ViewSubmission(v) =
            parse_interaction(&as_form(&fixture("view_submission_slack_connect.json")))
                .expect("parses")
        else {
            panic!("not a view submission")
        };
        assert_eq!(v.user.team_id.as_deref(), Some("T-other-side"));
        assert_eq!(v.view.state.text("zniAM"), "Hi there!");
        let Interaction::BlockActions(b) =
            parse_interaction(&as_form(&fixture("block_actions.json"))).expect("parses")
        else {
            panic!("not block actions")
        };
        assert_eq!(b.actions[0].action_id, "a");
    }

    #[test]
    fn events_without_an_event_id_still_parse() {
        let env =
            parse_event(&fixture("event_callback_slack_connect_ext_shared.json")).expect("parses");
        assert_eq!(env.event_id, None);
        assert_eq!(env.event.map(|e| e.kind).as_deref(), Some("message"));
    }
}
