//! `POST /slack/events`: URL verification and event callbacks.

use super::{unparseable, AppState};
use crate::notice::{Address, MessageRef, Platform};
use crate::service::{ServiceError, SpokenTo};
use crate::slack::payload::{parse_event, Event};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Answers the challenge, or handles the event once. An internal failure answers 500 so that
/// Slack retries; the event id is only recorded together with the work it caused.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    let envelope = match parse_event(&body) {
        Ok(e) => e,
        Err(e) => return unparseable("/slack/events", &e, &body),
    };
    match (envelope.kind.as_str(), &envelope.event) {
        ("url_verification", _) => {
            Json(json!({ "challenge": envelope.challenge.unwrap_or_default() })).into_response()
        }
        ("event_callback", Some(event)) if event.kind == "app_home_opened" => {
            home_opened(&state, event);
            StatusCode::OK.into_response()
        }
        ("event_callback", Some(event)) => match state
            .service
            .on_event(envelope.event_id.as_deref(), spoken_to(event))
            .await
        {
            Ok(()) => StatusCode::OK.into_response(),
            Err(ServiceError::Rejected(e)) => {
                tracing::info!(reason = %e, "event not acted on");
                StatusCode::OK.into_response()
            }
            Err(ServiceError::Internal(e)) => {
                super::error::report(&e);
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        (kind, _) => {
            tracing::info!(kind, "event type not handled; acknowledged");
            StatusCode::OK.into_response()
        }
    }
}

/// A mention, or a direct message from a person (not a bot, not an edit): answered in the
/// mention's thread (or a new one under it), or in the DM.
fn spoken_to(event: &Event) -> Option<SpokenTo> {
    let from_a_person = event.bot_id.is_none() && event.subtype.is_none();
    let (Some(channel), Some(user), true) = (&event.channel, &event.user, from_a_person) else {
        return None;
    };
    let mut reply_at = Address::to(Platform::Slack, channel);
    match event.kind.as_str() {
        "app_mention" => {
            reply_at.thread = event
                .thread_ts
                .as_ref()
                .or(event.ts.as_ref())
                .map(|ts| MessageRef::Posted(ts.clone()));
        }
        "message" if event.channel_type.as_deref() == Some("im") => {}
        _ => return None,
    }
    Some(SpokenTo {
        user: user.clone(),
        reply_at,
    })
}

/// Someone opened the app's Home tab: it is rendered and published after the acknowledgement
/// (Slack waits 3 s for it). A retried event publishes again, which changes nothing.
fn home_opened(state: &AppState, event: &Event) {
    let (Some(user), Some("home")) = (event.user.clone(), event.tab.as_deref()) else {
        return;
    };
    let home = state.home.clone();
    tokio::spawn(async move {
        if let Err(e) = home.opened(&user).await {
            super::error::report(&e);
        }
    });
}
