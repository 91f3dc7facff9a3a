//! What the bot tells people, and where, without saying how: a typed notice (kind + domain data)
//! and a neutral address. The service queues notices in the outbox; the delivery worker hands
//! each to its platform's adapter, which words and renders it at the moment it is sent. Thread
//! roots and "update that message" targets name a message of the deal (or one the platform
//! already gave an id), and are resolved to the platform's message id at delivery.

mod kinds;

pub use kinds::{
    ExtensionDetails, ExtensionStep, MatchedRecord, NoteAbout, Notice, PartnerName, TierDirection,
};

pub use crate::chat::{Conversation, Platform};
use serde::{Deserialize, Serialize};

/// A message a notice answers or replaces, resolved to the platform's id at delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRef {
    /// A message whose platform id we already know (the one a person clicked in).
    Posted(String),
    /// The deal's first delivered message of this outbox kind (its confirmation, its card).
    /// While that message is still queued, the notice waits for it.
    DealMessage(String),
}

impl MessageRef {
    /// The deal's message of `kind` (see [`MessageRef::DealMessage`]).
    pub fn deal(kind: &str) -> MessageRef {
        MessageRef::DealMessage(kind.to_string())
    }
}

/// Where a notice goes: a conversation on a platform, optionally only for one person in it, in
/// a thread, or in place of an earlier message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub platform: Platform,
    /// The channel, group chat or DM (a user id opens the DM).
    pub conversation: String,
    /// Shown to this person only (never kept in the conversation's history).
    pub private_to: Option<String>,
    /// Post as a reply in this message's thread.
    pub thread: Option<MessageRef>,
    /// Update this message in place; a new message when it cannot be found.
    pub replaces: Option<MessageRef>,
}

impl Address {
    /// A new message in `conversation` on `platform`.
    pub fn to(platform: Platform, conversation: &str) -> Address {
        Address {
            platform,
            conversation: conversation.to_string(),
            private_to: None,
            thread: None,
            replaces: None,
        }
    }

    /// A new message in `conversation`.
    pub fn at(conversation: &Conversation) -> Address {
        Address::to(conversation.platform, &conversation.id)
    }

    /// The same address, as a reply in `root`'s thread.
    pub fn in_thread(mut self, root: MessageRef) -> Address {
        self.thread = Some(root);
        self
    }

    /// The same address, replacing `target` in place.
    pub fn replacing(mut self, target: MessageRef) -> Address {
        self.replaces = Some(target);
        self
    }

    /// The same address, shown only to `person`.
    pub fn private_to(mut self, person: &str) -> Address {
        self.private_to = Some(person.to_string());
        self
    }
}
