//! Shortcuts (`POST /slack/interactions`, `message_action` and `shortcut` payloads): *Register
//! as deal* on a message, *Register a deal* from anywhere, and *Update this deal* in a deal's
//! thread, where Slack allows no slash command. Each opens a modal with the shortcut's trigger
//! id; what cannot be opened is explained to the person privately.

use super::interactions::{form_view, open_form, tell};
use super::{record_actor, AppState};
use crate::chat::SourceMessage;
use crate::notice::Platform;
use crate::service::Actor;
use crate::slack::payload::{plain_text, MessageAction, Shortcut};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `callback_id` of the message shortcut *Register as deal* (declared in `manifest.yaml`).
pub const REGISTER_FROM_MESSAGE: &str = "register_from_message";
/// `callback_id` of the global shortcut *Register a deal*.
pub const REGISTER_DEAL: &str = "register_deal";
/// `callback_id` of the message shortcut *Update this deal*, used in a deal's thread.
pub const UPDATE_DEAL: &str = "update_deal";

/// A message shortcut: opens the form it stands for, acknowledged once the form is open (or
/// the person was told why not).
pub async fn on_message(state: &AppState, m: &MessageAction) -> Response {
    record_actor(&m.user.id, m.user.team_id.as_deref());
    tracing::info!(callback_id = %m.callback_id, "message shortcut");
    let actor = Actor {
        user: m.user.id.clone(),
        platform: Platform::Slack,
        workspace: m.user.team_id.clone(),
        channel: Some(m.channel.id.clone()),
    };
    let form = match m.callback_id.as_str() {
        REGISTER_FROM_MESSAGE => {
            let source = SourceMessage {
                conversation: m.channel.id.clone(),
                id: m.message.ts.clone(),
                link: None,
            };
            let text = plain_text(&m.message.text);
            let form = state
                .service
                .registration_form_from(&actor, &text, source)
                .await;
            form_view(state, form)
        }
        UPDATE_DEAL => {
            let form = state
                .service
                .update_form_in_thread(&actor, m.message.root())
                .await;
            form_view(state, form)
        }
        other => {
            tracing::warn!(callback_id = %other, "unknown message shortcut");
            return StatusCode::OK.into_response();
        }
    };
    if let Some(text) = open_form(state, Some(&m.trigger_id), form).await {
        tell(state, Some(&m.channel.id), &m.user.id, text).await;
    }
    StatusCode::OK.into_response()
}

/// A global shortcut: *Register a deal* for the partner the person acts for.
pub async fn global(state: &AppState, s: &Shortcut) -> Response {
    record_actor(&s.user.id, s.user.team_id.as_deref());
    tracing::info!(callback_id = %s.callback_id, "global shortcut");
    if s.callback_id != REGISTER_DEAL {
        tracing::warn!(callback_id = %s.callback_id, "unknown global shortcut");
        return StatusCode::OK.into_response();
    }
    let actor = Actor {
        user: s.user.id.clone(),
        platform: Platform::Slack,
        workspace: s.user.team_id.clone(),
        channel: None,
    };
    let form = form_view(state, state.service.registration_form(&actor).await);
    if let Some(text) = open_form(state, Some(&s.trigger_id), form).await {
        tell(state, None, &s.user.id, text).await;
    }
    StatusCode::OK.into_response()
}

/// The source message of a registration form with its permalink, when Slack gives one in
/// time; the registration is recorded either way.
pub async fn with_link(state: &AppState, mut source: SourceMessage) -> SourceMessage {
    let asked = tokio::time::timeout(
        PERMALINK_TIMEOUT,
        state.slack.permalink(&source.conversation, &source.id),
    )
    .await;
    match asked {
        Ok(Ok(link)) => source.link = Some(link),
        Ok(Err(e)) => tracing::warn!(error = %e, "no permalink for the source message"),
        Err(_) => tracing::warn!("chat.getPermalink too slow for the source message"),
    }
    source
}

/// Time left for `chat.getPermalink` while Slack waits (3 s) for a modal submission's answer.
const PERMALINK_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);
