//! Who and where on a chat platform, in words the core can use without knowing the platform:
//! a [`Platform`], a [`Conversation`] (a channel, group chat or direct chat on it) and a
//! [`ChatUser`]. Pure data: what an id looks like on each platform is that platform's adapter's
//! business (`slack::ids`, `teams::ids`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The chat platform a person, a conversation or a message lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Slack,
    Teams,
}

impl Platform {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Slack => "slack",
            Platform::Teams => "teams",
        }
    }

    /// The platform stored as `s`, if it is one we serve.
    pub fn parse(s: &str) -> Option<Platform> {
        match s {
            "slack" => Some(Platform::Slack),
            "teams" => Some(Platform::Teams),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A conversation on a platform: a channel (Slack `C…`, Teams `19:…@thread.tacv2`), a group
/// chat, or a person's direct chat (named by the person's id; the adapter opens it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Conversation {
    pub platform: Platform,
    pub id: String,
}

impl Conversation {
    /// The conversation `id` on `platform`.
    pub fn new(platform: Platform, id: impl Into<String>) -> Conversation {
        Conversation {
            platform,
            id: id.into(),
        }
    }
}

impl fmt::Display for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A person on a platform, as the platform names them (a Slack user id, a Teams user's Entra
/// object id), with the workspace (Slack team) or tenant they belong to when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatUser {
    pub platform: Platform,
    pub id: String,
    pub workspace: Option<String>,
}

impl ChatUser {
    /// Their direct chat with the bot.
    pub fn direct(&self) -> Conversation {
        Conversation::new(self.platform, self.id.clone())
    }
}

/// How a person reached the bot, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A form: Slack's modal, Teams' dialog.
    Form,
    /// A typed command: a slash command, a message to the bot.
    Command,
    /// A button on a message or card.
    Button,
    /// Something the platform told us happened (a message in a thread, a reaction).
    Event,
}

impl Platform {
    /// The audit trail's name for a change made on this platform `via` a surface (the Slack
    /// names are the ones stored before Teams existed).
    pub fn surface(self, via: Via) -> &'static str {
        match (self, via) {
            (Platform::Slack, Via::Form) => "slack_modal",
            (Platform::Slack, Via::Command) => "slack_command",
            (Platform::Slack, Via::Button) => "slack_button",
            (Platform::Slack, Via::Event) => "slack",
            (Platform::Teams, Via::Form) => "teams_dialog",
            (Platform::Teams, Via::Command) => "teams_command",
            (Platform::Teams, Via::Button) => "teams_button",
            (Platform::Teams, Via::Event) => "teams",
        }
    }
}

impl ChatUser {
    /// The person with id `id` as stored without a platform (an account owner imported from
    /// the CRM): Teams names people by Entra object ids (GUIDs), Slack by `U…`/`W…` ids.
    pub fn from_stored_id(id: &str) -> ChatUser {
        ChatUser::parse_id(id).unwrap_or_else(|| ChatUser {
            platform: Platform::Slack,
            id: id.to_string(),
            workspace: None,
        })
    }

    /// Whether `id` is a user id on `platform` (each adapter says what its ids look like:
    /// Slack `U…`/`W…`; Teams Entra object ids and `29:` ids).
    pub fn is_user_id(platform: Platform, id: &str) -> bool {
        match platform {
            Platform::Slack => crate::slack::is_slack_id(id, &['U', 'W']),
            Platform::Teams => crate::teams::ids::is_user_id(id),
        }
    }

    /// The person `id` names, when it is a user id of a platform we serve (each adapter says
    /// what its ids look like).
    pub fn parse_id(id: &str) -> Option<ChatUser> {
        let platform = if crate::slack::is_slack_id(id, &['U', 'W']) {
            Platform::Slack
        } else if crate::teams::is_guid(id) {
            Platform::Teams
        } else {
            return None;
        };
        Some(ChatUser {
            platform,
            id: id.to_string(),
            workspace: None,
        })
    }
}

/// A message on a chat platform that something was made from (a registration from a message
/// describing the opportunity): where it is, its platform id, and a link to it when the
/// platform gave one. Recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMessage {
    /// The conversation the message is in.
    pub conversation: String,
    /// The message's platform id (a Slack `ts`).
    pub id: String,
    /// A link that opens the message, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_checked_against_their_platform() {
        let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        for (platform, id, ok) in [
            (Platform::Slack, "U1ABC", true),
            (Platform::Slack, "W2DEF", true),
            (Platform::Slack, "@alice", false),
            (Platform::Slack, "C0123ABCD", false),
            (Platform::Slack, guid, false),
            (Platform::Teams, guid, true),
            (Platform::Teams, "29:1lee", true),
            (Platform::Teams, "U1ABC", false),
        ] {
            assert_eq!(ChatUser::is_user_id(platform, id), ok, "{platform} {id}");
        }
    }
}
