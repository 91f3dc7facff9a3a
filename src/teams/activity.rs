//! The parts of an inbound Bot Framework activity that authentication and routing read before
//! anything else: its id, type, channel, service URL, conversation and tenant, and the people
//! it names (sender, members added) for the conversation references proactive messages need.

use serde::Deserialize;

/// An activity's envelope. Unknown fields are ignored; the body is parsed again by whatever
/// handles the activity's type.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityHead {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub channel_id: String,
    pub service_url: String,
    pub conversation: Option<ConversationRef>,
    pub channel_data: Option<ChannelData>,
    pub from: Option<Account>,
    /// The bot itself (`28:…`).
    pub recipient: Option<Account>,
    /// The message an activity answers: for a card action, the id of the card's message.
    pub reply_to_id: Option<String>,
    /// `conversationUpdate`: the members added (the bot among them when it was installed).
    pub members_added: Vec<Account>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationRef {
    pub id: String,
    pub tenant_id: Option<String>,
    pub conversation_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct ChannelData {
    pub tenant: Option<TenantRef>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct TenantRef {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Account {
    pub id: String,
    pub aad_object_id: Option<String>,
    pub name: Option<String>,
}

impl ActivityHead {
    /// Parses the envelope; the error names what is wrong.
    pub fn parse(body: &[u8]) -> Result<ActivityHead, String> {
        let head: ActivityHead = serde_json::from_slice(body)
            .map_err(|e| format!("the body is not a Bot Framework activity: {e}"))?;
        if head.kind.is_empty() {
            return Err("the activity has no “type”".into());
        }
        if head.service_url.is_empty() {
            return Err("the activity has no “serviceUrl”".into());
        }
        Ok(head)
    }

    /// The conversation id and type, when the activity names a conversation.
    pub fn conversation(&self) -> Option<(&str, &str)> {
        let c = self.conversation.as_ref().filter(|c| !c.id.is_empty())?;
        Some((
            c.id.as_str(),
            c.conversation_type.as_deref().unwrap_or_default(),
        ))
    }

    /// The people the activity names: its sender and the members it adds, never a bot
    /// (`28:…`, or the recipient).
    pub fn people(&self) -> Vec<&Account> {
        let bot = self.recipient.as_ref().map(|r| r.id.as_str());
        let mut people: Vec<&Account> = Vec::new();
        for account in self.from.iter().chain(&self.members_added) {
            let is_bot = account.id.starts_with("28:") || Some(account.id.as_str()) == bot;
            if !account.id.is_empty() && !is_bot && !people.iter().any(|p| p.id == account.id) {
                people.push(account);
            }
        }
        people
    }

    /// The tenant the activity comes from: `channelData.tenant.id`, else
    /// `conversation.tenantId`.
    pub fn tenant(&self) -> Option<&str> {
        self.channel_data
            .as_ref()
            .and_then(|c| c.tenant.as_ref())
            .map(|t| t.id.as_str())
            .filter(|t| !t.is_empty())
            .or_else(|| {
                self.conversation
                    .as_ref()
                    .and_then(|c| c.tenant_id.as_deref())
                    .filter(|t| !t.is_empty())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_of_real_teams_payloads_is_read() {
        for fixture in [
            include_str!("../../tests/data/teams/teams_message.json"),
            include_str!("../../tests/data/teams/teams_adaptive_card_execute_invoke.json"),
        ] {
            let head = ActivityHead::parse(fixture.as_bytes()).expect("parses");
            assert_eq!(head.channel_id, "msteams");
            assert!(head
                .service_url
                .starts_with("https://smba.trafficmanager.net/"));
            assert!(head.tenant().is_some(), "{head:?}");
        }
        assert!(ActivityHead::parse(b"{}").is_err());
    }

    #[test]
    fn the_people_named_are_the_sender_and_members_added_but_no_bot() {
        let update = serde_json::json!({
            "type": "conversationUpdate", "serviceUrl": "https://smba.trafficmanager.net/amer/",
            "conversation": { "id": "19:c@thread.tacv2", "conversationType": "channel" },
            "from": { "id": "29:adder", "aadObjectId": "aad-adder" },
            "recipient": { "id": "28:bot" },
            "membersAdded": [{ "id": "28:bot" }, { "id": "29:new", "aadObjectId": "aad-new" }, { "id": "29:adder" }],
        });
        let head = ActivityHead::parse(update.to_string().as_bytes()).expect("parses");
        let ids: Vec<&str> = head.people().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["29:adder", "29:new"]);
        assert_eq!(head.conversation(), Some(("19:c@thread.tacv2", "channel")));
        assert!(ActivityHead::parse(b"[1]").is_err());
    }
}
