//! `POST /teams/messages`, the Bot Framework messaging endpoint: authenticated before anything
//! else (`teams::auth`), body capped, activities deduplicated by id. Every authenticated
//! activity (message, invoke, conversationUpdate, installationUpdate, …) refreshes the
//! conversation references proactive messages are sent with: the conversation's service URL,
//! tenant and type, and the people it names. Then each kind of activity goes to its handler:
//! messages (commands typed to the bot) to `teams_messages`, invokes (dialogs, card actions)
//! to `teams_invokes`, which answers in the HTTP response.

use super::{AppState, MAX_BODY_BYTES};
use crate::notice::{Address, Platform};
use crate::service::Actor;
use crate::store::{base_conversation, TeamsPerson, TeamsSighting};
use crate::teams::ActivityHead;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(super) async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (activity, bytes) = match authenticated(&state, request).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let Some(id) = activity.id.as_deref().filter(|id| !id.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "the activity has no “id”").into_response();
    };
    let store = state.service.store();
    if let Some(seen) = sighting(&activity) {
        if let Err(e) = store
            .record_teams_sighting(&seen, state.clock.now_ms())
            .await
        {
            return super::AppError::from(e).into_response();
        }
    }
    if activity.kind == "invoke" {
        // Answered every time: Teams waits for the invoke's answer, and every card action is
        // idempotent in the service (a second decision is refused, a second score replaces).
        return match super::teams_invokes::handle(&state, &activity, &bytes).await {
            Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
            Err(e) => e.into_response(),
        };
    }
    let key = format!("teams:{}", crate::slack::payload::event_dedupe_key(id));
    match store.record_event(&key, &[], state.clock.now_ms()).await {
        Ok(true) => tracing::info!(kind = %activity.kind, "Teams activity accepted"),
        Ok(false) => {
            tracing::info!(kind = %activity.kind, "Teams activity already handled");
            return StatusCode::OK.into_response();
        }
        Err(e) => return super::AppError::from(e).into_response(),
    }
    let handled = match activity.kind.as_str() {
        "message" => super::teams_messages::handle(&state, &activity, &bytes).await,
        _ => Ok(()),
    };
    match handled {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            // Our own failure: forget the activity so that the Bot Framework's retry is
            // handled again, and answer 500 so that it retries.
            let reference = super::error::report(&e);
            if let Err(e) = store.forget_event(&key).await {
                super::error::report(&e);
            }
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reference {reference}"),
            )
                .into_response()
        }
    }
}

/// Who sent `activity`, as the core knows people: their Entra object id (the id the program
/// file names managers by; the Teams id when Teams sent none), their tenant, and the channel or
/// group chat they wrote in (none in a personal chat with the bot).
pub(super) fn actor(activity: &ActivityHead) -> Option<Actor> {
    let from = activity.from.as_ref().filter(|f| !f.id.is_empty())?;
    let (conversation, kind) = activity.conversation()?;
    Some(Actor {
        platform: Platform::Teams,
        user: from
            .aad_object_id
            .clone()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| from.id.clone()),
        workspace: activity.tenant().map(str::to_ascii_lowercase),
        channel: (kind != "personal").then(|| base_conversation(conversation).to_string()),
    })
}

/// Where an answer for the sender of `activity` goes: the personal chat they wrote in, else a
/// 1:1 with them (never the shared channel: Teams has no message only one person sees).
pub(super) fn answer_address(activity: &ActivityHead) -> Option<Address> {
    let from = activity.from.as_ref().filter(|f| !f.id.is_empty())?;
    match activity.conversation()? {
        (conversation, "personal") => Some(Address::to(Platform::Teams, conversation)),
        _ => Some(Address::to(Platform::Teams, &from.id)),
    }
}

/// The activity and its body once the request proved to come from the Bot Framework for our
/// app, or the refusal to answer.
async fn authenticated(
    state: &AppState,
    request: Request,
) -> Result<(ActivityHead, axum::body::Bytes), Response> {
    let Some(auth) = state.teams.clone() else {
        return Err((StatusCode::NOT_FOUND, "Teams is not configured").into_response());
    };
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let verified = auth
        .verify_token(authorization)
        .await
        .map_err(|e| refuse(&e))?;
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        tracing::warn!(
            limit = MAX_BODY_BYTES,
            "refused a Teams activity: body too large"
        );
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("activity larger than {MAX_BODY_BYTES} bytes"),
        )
            .into_response());
    };
    let activity = ActivityHead::parse(&bytes).map_err(|why| {
        tracing::warn!(reason = %why, "refused a Teams activity");
        (StatusCode::BAD_REQUEST, why).into_response()
    })?;
    auth.check_activity(verified, &activity)
        .map_err(|e| refuse(&e))?;
    Ok((activity, bytes))
}

/// The references an authenticated activity gives: its conversation and the people in it.
fn sighting(activity: &ActivityHead) -> Option<TeamsSighting> {
    let (conversation, kind) = activity.conversation()?;
    Some(TeamsSighting {
        conversation_id: conversation.to_string(),
        conversation_type: kind.to_string(),
        tenant_id: activity.tenant().unwrap_or_default().to_string(),
        service_url: activity.service_url.clone(),
        users: activity
            .people()
            .into_iter()
            .map(|p| TeamsPerson {
                id: p.id.clone(),
                aad_object_id: p.aad_object_id.clone().filter(|a| !a.is_empty()),
            })
            .collect(),
    })
}

fn refuse(e: &crate::teams::AuthError) -> Response {
    tracing::warn!(reason = %e, "refused a Teams activity");
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    status.into_response()
}
