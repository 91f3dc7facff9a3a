//! `POST /teams/messages`, the Bot Framework messaging endpoint: authenticated before anything
//! else (`teams::auth`), body capped, activities deduplicated by id. Every authenticated
//! activity (message, invoke, conversationUpdate, installationUpdate, …) refreshes the
//! conversation references proactive messages are sent with: the conversation's service URL,
//! tenant and type, and the people it names.

use super::{AppState, MAX_BODY_BYTES};
use crate::store::{TeamsPerson, TeamsSighting};
use crate::teams::ActivityHead;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub(super) async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let Some(auth) = state.teams.clone() else {
        return (StatusCode::NOT_FOUND, "Teams is not configured").into_response();
    };
    let (parts, body) = request.into_parts();
    let authorization = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let verified = match auth.verify_token(authorization).await {
        Ok(v) => v,
        Err(e) => return refuse(&e),
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        tracing::warn!(
            limit = MAX_BODY_BYTES,
            "refused a Teams activity: body too large"
        );
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("activity larger than {MAX_BODY_BYTES} bytes"),
        )
            .into_response();
    };
    let activity = match ActivityHead::parse(&bytes) {
        Ok(a) => a,
        Err(why) => {
            tracing::warn!(reason = %why, "refused a Teams activity");
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    if let Err(e) = auth.check_activity(verified, &activity) {
        return refuse(&e);
    }
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
    let key = format!("teams:{}", crate::slack::payload::event_dedupe_key(id));
    match store.record_event(&key, &[], state.clock.now_ms()).await {
        Ok(true) => {
            tracing::info!(kind = %activity.kind, "Teams activity accepted");
            StatusCode::OK.into_response()
        }
        Ok(false) => {
            tracing::info!(kind = %activity.kind, "Teams activity already handled");
            StatusCode::OK.into_response()
        }
        Err(e) => super::AppError::from(e).into_response(),
    }
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
