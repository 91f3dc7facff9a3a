//! Teams messages to the bot: the deal and partner commands typed in a personal chat, or after
//! an @mention in a channel, parsed into the same intents as Slack's slash commands.

use super::AppState;
use crate::teams::ActivityHead;

/// Handles one message activity; an error is our own failure (the activity is then retried).
pub(super) async fn handle(
    _state: &AppState,
    _activity: &ActivityHead,
    _body: &[u8],
) -> anyhow::Result<()> {
    Ok(())
}
