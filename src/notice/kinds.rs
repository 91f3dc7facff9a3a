//! The notices the core sends, one variant per kind of message, each with the domain data its
//! wording needs (never markup, emoji or command syntax).

use serde::{Deserialize, Serialize};

/// One thing to tell people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Usage help, with the managers' commands for a manager.
    Help { manager: bool },
}
