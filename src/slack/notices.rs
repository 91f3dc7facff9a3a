//! Notices in Slack's words: each [`Notice`] rendered to Block Kit with the templates, at the
//! moment it is delivered.

use super::Renderer;
use crate::notice::Notice;
use serde_json::Value;

/// The Slack message for `notice`.
pub fn render(render: &Renderer, notice: &Notice) -> anyhow::Result<Value> {
    match notice {
        Notice::Help { manager } => render.help(*manager, None),
    }
}
