//! The notices the core sends, one variant per kind of message, each with the domain data its
//! wording needs (never markup, emoji or command syntax).

use serde::{Deserialize, Serialize};

/// One thing to tell people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Usage help, with the managers' commands for a manager; `greeting` when the bot was
    /// spoken to (it introduces itself first).
    Help { manager: bool, greeting: bool },
    /// The platform refused a message for good: which (its outbox kind and id, the deal it was
    /// about), where it was going, and the platform's reason; the adapter says what to do.
    DeliveryFailure {
        kind: String,
        deal: Option<i64>,
        conversation: String,
        reason: String,
        outbox_id: i64,
    },
}
