//! Slack's inbound payloads, parsed leniently into our own serde types: slack-morphism's models
//! are strict (an empty `state` or a missing `event_id` fails) and drop Slack Connect fields.

use crate::config::is_slack_id;
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
    let cmd: SlashCommand =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("slash command form: {e}"))?;
    check_id("user_id", &cmd.user_id, USER_PREFIXES)?;
    check_id("channel_id", &cmd.channel_id, CHANNEL_PREFIXES)?;
    if let Some(team) = &cmd.team_id {
        check_id("team_id", team, TEAM_PREFIXES)?;
    }
    if cmd.command.chars().count() > MAX_COMMAND_NAME {
        return Err("command: longer than any slash command".into());
    }
    Ok(cmd)
}

/// First letters of Slack user ids (`U…`, and `W…` on Enterprise Grid).
pub const USER_PREFIXES: &[char] = &['U', 'W'];
/// First letters of Slack conversation ids: channels, private channels, DMs.
pub const CHANNEL_PREFIXES: &[char] = &['C', 'G', 'D'];
/// First letters of Slack team and enterprise ids.
pub const TEAM_PREFIXES: &[char] = &['T', 'E'];
/// Slack caps command names at 32 characters.
const MAX_COMMAND_NAME: usize = 32;

fn check_id(field: &str, id: &str, prefixes: &[char]) -> Result<(), String> {
    if is_slack_id(id, prefixes) {
        Ok(())
    } else {
        Err(format!(
            "{field}: not a Slack id (expected {} followed by upper-case letters and digits)",
            prefixes
                .iter()
                .map(char::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }
}

/// Longest event id stored as Slack sent it; Slack's look like `Ev0PV52K25` (about 11).
const MAX_PLAIN_EVENT_ID: usize = 64;

/// The key an event is deduplicated by: Slack's event id when it looks like one, otherwise a
/// SHA-256 of it (any length, any characters), so every backend can store and index it.
pub fn event_dedupe_key(event_id: &str) -> String {
    let plain = !event_id.is_empty()
        && event_id.len() <= MAX_PLAIN_EVENT_ID
        && event_id.chars().all(|c| c.is_ascii_alphanumeric());
    if plain {
        event_id.to_string()
    } else {
        use sha2::Digest;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(event_id.as_bytes()))
        )
    }
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
    /// A message shortcut chosen on a message.
    #[serde(rename = "message_action")]
    MessageAction(MessageAction),
    /// A global shortcut chosen from the composer or the shortcuts menu.
    #[serde(rename = "shortcut")]
    Shortcut(Shortcut),
    /// `view_closed`, block suggestions, …: acknowledged and ignored.
    #[serde(other)]
    Other,
}

/// A message shortcut: which one, who chose it, on which message in which channel.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageAction {
    pub callback_id: String,
    pub trigger_id: String,
    pub user: User,
    pub channel: Id,
    pub message: ShortcutMessage,
}

/// The message a message shortcut was chosen on.
#[derive(Debug, Clone, Deserialize)]
pub struct ShortcutMessage {
    pub ts: String,
    #[serde(default)]
    pub text: String,
    /// The thread's root, when the message is in a thread (equal to `ts` on the root itself).
    #[serde(default)]
    pub thread_ts: Option<String>,
}

impl ShortcutMessage {
    /// The `ts` of the thread's root: the message itself when it is not a reply.
    pub fn root(&self) -> &str {
        self.thread_ts.as_deref().unwrap_or(&self.ts)
    }
}

/// A global shortcut: which one and who chose it (there is no channel).
#[derive(Debug, Clone, Deserialize)]
pub struct Shortcut {
    pub callback_id: String,
    pub trigger_id: String,
    pub user: User,
}

/// Slack message text as people read it: links become their label (or address), user and
/// channel mentions their name or nothing, special mentions disappear, entities are decoded.
pub fn plain_text(mrkdwn: &str) -> String {
    unwrapped(mrkdwn, false)
}

/// A slash command's text sent escaped (`should_escape`) as the command parser reads it: as
/// [`plain_text`], except that user mentions (`<@U123|alice>`) stay, as they name people by id.
pub fn command_text(escaped: &str) -> String {
    unwrapped(escaped, true)
}

/// [`plain_text`], keeping user mentions as they are when `keep_users`.
fn unwrapped(mrkdwn: &str, keep_users: bool) -> String {
    let mut out = String::with_capacity(mrkdwn.len());
    let mut rest = mrkdwn;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &rest[start + 1..start + len];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if keep_users && target.starts_with('@') {
            out.push_str(&rest[start..=start + len]);
        } else if !target.starts_with(['@', '#', '!']) || !label.is_empty() {
            let shown = if label.is_empty() { target } else { label };
            out.push_str(shown.strip_prefix("mailto:").unwrap_or(shown));
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
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
    /// The view clicked in, for clicks in a modal or the Home tab.
    #[serde(default)]
    pub view: Option<ClickedView>,
}

/// The view a click came from.
#[derive(Debug, Clone, Deserialize)]
pub struct ClickedView {
    /// `home` or `modal`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl BlockActions {
    /// True for a click in the app's Home tab (which has no channel to answer in).
    pub fn in_home_tab(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.kind == "home")
    }
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
    let interaction: Interaction =
        serde_json::from_str(&form.payload).map_err(|e| format!("interaction payload: {e}"))?;
    match &interaction {
        Interaction::BlockActions(b) => {
            check_id("user.id", &b.user.id, USER_PREFIXES)?;
            let channels = b
                .channel
                .iter()
                .map(|c| c.id.as_str())
                .chain(b.container.iter().filter_map(|c| c.channel_id.as_deref()));
            // A DM the bot opened by user id can come back addressed by that id.
            for channel in channels {
                check_id("channel.id", channel, &['C', 'G', 'D', 'U', 'W'])?;
            }
            if let Some(ts) = b.container.as_ref().and_then(|c| c.message_ts.as_deref()) {
                if !looks_like_ts(ts) {
                    return Err("container.message_ts: not a Slack message timestamp".into());
                }
            }
        }
        Interaction::ViewSubmission(v) => check_id("user.id", &v.user.id, USER_PREFIXES)?,
        Interaction::MessageAction(m) => {
            check_id("user.id", &m.user.id, USER_PREFIXES)?;
            check_id("channel.id", &m.channel.id, CHANNEL_PREFIXES)?;
            let stamps = std::iter::once(&m.message.ts).chain(m.message.thread_ts.iter());
            if stamps.into_iter().any(|ts| !looks_like_ts(ts)) {
                return Err("message.ts: not a Slack message timestamp".into());
            }
        }
        Interaction::Shortcut(s) => check_id("user.id", &s.user.id, USER_PREFIXES)?,
        Interaction::Other => {}
    }
    Ok(interaction)
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
    /// Which tab of the app `app_home_opened` is about: `home` or `messages`.
    #[serde(default)]
    pub tab: Option<String>,
}

/// Parses an Events API body.
/// Event ids become their deduplication key, and user or channel fields that are not Slack ids
/// are dropped (the event is then not acted on).
pub fn parse_event(body: &[u8]) -> Result<EventEnvelope, String> {
    let mut envelope: EventEnvelope =
        serde_json::from_slice(body).map_err(|e| format!("event envelope: {e}"))?;
    envelope.event_id = envelope.event_id.as_deref().map(event_dedupe_key);
    if let Some(event) = envelope.event.as_mut() {
        event.user = event.user.take().filter(|u| is_slack_id(u, USER_PREFIXES));
        event.channel = event
            .channel
            .take()
            .filter(|c| is_slack_id(c, CHANNEL_PREFIXES));
        event.bot_id = event.bot_id.take().filter(|b| is_slack_id(b, &['B']));
        for ts in [&mut event.ts, &mut event.thread_ts] {
            *ts = ts.take().filter(|t| looks_like_ts(t));
        }
    }
    Ok(envelope)
}

/// Whether `ts` looks like a Slack message timestamp (`1700000000.000100`).
pub fn looks_like_ts(ts: &str) -> bool {
    ts.len() <= 24
        && ts.split_once('.').is_some_and(|(secs, micros)| {
            !secs.is_empty()
                && secs.chars().all(|c| c.is_ascii_digit())
                && micros.chars().all(|c| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_text_unwraps_links_but_keeps_user_mentions() {
        assert_eq!(
            command_text("admins P-3 <@U1|alice> <@W2> in <#C1|deals>"),
            "admins P-3 <@U1|alice> <@W2> in deals"
        );
        assert_eq!(
            command_text("check Smith &amp; Sons <http://smith.com|smith.com>"),
            "check Smith & Sons smith.com"
        );
    }

    #[test]
    fn plain_text_unwraps_links_mentions_and_entities() {
        assert_eq!(
            plain_text("ping <@U1> about <https://acme.com|acme.com> &amp; <mailto:j@acme.com|j@acme.com> <!here>"),
            "ping  about acme.com & j@acme.com "
        );
        assert_eq!(
            plain_text("<https://initech.com> in <#C1|deals>"),
            "https://initech.com in deals"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text("&lt;script&gt;"), "<script>");
    }

    #[test]
    fn shortcuts_parse_with_the_message_and_its_thread() {
        let body = as_form(br#"{"type":"message_action","callback_id":"update_deal","trigger_id":"1.2.3","user":{"id":"U0ALICE","team_id":"T0GLOBEX"},"channel":{"id":"C0GLOBEX"},"message":{"ts":"1700000002.000200","thread_ts":"1700000001.000100","text":"hi"}}"#);
        let Ok(Interaction::MessageAction(m)) = parse_interaction(&body) else {
            panic!("a message action");
        };
        assert_eq!(m.message.root(), "1700000001.000100");
        let body = as_form(br#"{"type":"shortcut","callback_id":"register_deal","trigger_id":"1.2.3","user":{"id":"U0ALICE"}}"#);
        assert!(matches!(
            parse_interaction(&body),
            Ok(Interaction::Shortcut(_))
        ));
    }

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
