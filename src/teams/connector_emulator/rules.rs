//! The Connector emulator's rules: what the real service refuses, in the order it refuses it
//! (token, injected fault, shape and size, blocked conversation, rate limits), and the commit.

use super::{Fault, Op, Recorded, World, MESSAGE_BUDGET_BYTES};
use crate::teams::cards::{card_size, CARD_BUDGET_BYTES, CARD_CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Per bot per conversation send limits (rate-limit.md): at most `.1` sends in any `.0`.
const SEND_LIMITS: [(Duration, usize); 4] = [
    (Duration::from_secs(1), 7),
    (Duration::from_secs(2), 8),
    (Duration::from_secs(30), 60),
    (Duration::from_secs(3600), 1800),
];

pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (status, Json(body)).into_response()
}

pub(super) fn decide(
    world: &mut World,
    headers: &HeaderMap,
    op: Op,
    conversation: &str,
    activity_id: Option<String>,
    body: &[u8],
) -> (Response, Option<Duration>) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let now = Instant::now();
    let live = bearer.is_some_and(|t| world.tokens.get(t).is_some_and(|until| *until > now));
    let fault = world.faults.get_mut(&op).and_then(VecDeque::pop_front);
    if !live || fault == Some(Fault::Unauthorized) {
        return (
            error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Authorization has been denied for this request.",
            ),
            None,
        );
    }
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => return (too_many(retry_after), None),
        Some(Fault::PreconditionFailed) => {
            return (
                error(
                    StatusCode::PRECONDITION_FAILED,
                    "PreconditionFailed",
                    "precondition failed",
                ),
                None,
            )
        }
        Some(Fault::BeforeCommit(status)) => return (server_error(status), None),
        _ => {}
    }
    let parsed = match refuse_shape(op, conversation, body) {
        Ok(parsed) => parsed,
        Err((status, code, message)) => return (error(status, code, message), None),
    };
    let target = if op == Op::CreateConversation {
        parsed["members"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    } else {
        conversation.to_string()
    };
    let base = target.split(';').next().unwrap_or_default().to_string();
    if world.blocked.contains(&base) {
        return (
            error(
                StatusCode::FORBIDDEN,
                "MessageWritesBlocked",
                "Bot is blocked in this conversation",
            ),
            None,
        );
    }
    if !within_limits(world.sends.entry(base).or_default(), now) {
        return (too_many(None), None);
    }
    let answer = commit(world, op, target, activity_id, parsed);
    match fault {
        Some(Fault::AfterCommit(status)) => (server_error(status), None),
        Some(Fault::CommitThenStall(stall)) => (answer, Some(stall)),
        _ => (answer, None),
    }
}

fn too_many(retry_after: Option<u64>) -> Response {
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottledRequest",
        "Too many requests",
    );
    if let Some(secs) = retry_after {
        if let Ok(value) = secs.to_string().parse() {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}

fn server_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    error(status, "ServiceError", "upstream failure")
}

/// A refusal of the real service: status, error code, message.
type Refusal = (StatusCode, &'static str, &'static str);

/// The body as JSON, or the refusal the real service gives to it.
fn refuse_shape(op: Op, conversation: &str, body: &[u8]) -> Result<Value, Refusal> {
    let bad = |m| (StatusCode::BAD_REQUEST, "BadArgument", m);
    let parsed: Value = serde_json::from_slice(body).map_err(|_| bad("body is not JSON"))?;
    if op == Op::CreateConversation {
        let member = parsed["members"][0]["id"].as_str().unwrap_or_default();
        let tenant = parsed["tenantId"]
            .as_str()
            .or(parsed["channelData"]["tenant"]["id"].as_str());
        if parsed["bot"]["id"].as_str().is_none() || member.is_empty() || tenant.is_none() {
            return Err(bad("a conversation needs bot, members and tenantId"));
        }
        return Ok(parsed);
    }
    if !(conversation.starts_with("19:") || conversation.starts_with("a:")) {
        let unknown = "unknown conversation";
        return Err((StatusCode::NOT_FOUND, "ConversationNotFound", unknown));
    }
    if parsed["type"] != "message" {
        return Err(bad("activity type must be message"));
    }
    let big = (
        StatusCode::PAYLOAD_TOO_LARGE,
        "MessageSizeTooBig",
        "Message size too big",
    );
    if message_size(&parsed) > MESSAGE_BUDGET_BYTES || largest_card(&parsed) > CARD_BUDGET_BYTES {
        return Err(big);
    }
    Ok(parsed)
}

/// UTF-8 bytes of the largest Adaptive Card attached to the activity (0 when none).
pub fn largest_card(activity: &Value) -> usize {
    activity["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["contentType"] == CARD_CONTENT_TYPE)
        .map(|a| card_size(&a["content"]))
        .max()
        .unwrap_or(0)
}

/// Bytes of the activity as UTF-16, data-URI images not counted.
pub fn message_size(activity: &Value) -> usize {
    fn strip(v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with("data:image/") => Value::String(String::new()),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), strip(v))).collect())
            }
            other => other.clone(),
        }
    }
    strip(activity).to_string().encode_utf16().count() * 2
}

/// Counts a send against every window; false (and nothing counted) when one is full.
fn within_limits(sends: &mut VecDeque<Instant>, now: Instant) -> bool {
    while sends
        .front()
        .is_some_and(|t| now.duration_since(*t) >= SEND_LIMITS[3].0)
    {
        sends.pop_front();
    }
    let full = SEND_LIMITS.iter().any(|(window, limit)| {
        sends
            .iter()
            .filter(|t| now.duration_since(**t) < *window)
            .count()
            >= *limit
    });
    if !full {
        sends.push_back(now);
    }
    !full
}

fn commit(
    world: &mut World,
    op: Op,
    target: String,
    activity_id: Option<String>,
    body: Value,
) -> Response {
    let (status, id) = match (op, activity_id) {
        (Op::Update, Some(id)) => {
            let exists = world.recorded.iter().any(|r| {
                r.op == Op::Create
                    && r.activity_id == id
                    && same_conversation(&r.conversation, &target)
            });
            if !exists {
                return error(
                    StatusCode::NOT_FOUND,
                    "ActivityNotFound",
                    "unknown activity",
                );
            }
            (StatusCode::OK, id)
        }
        (Op::CreateConversation, _) => (StatusCode::CREATED, format!("a:1:1-{target}")),
        _ => {
            world.next_id += 1;
            (StatusCode::CREATED, world.next_id.to_string())
        }
    };
    world.recorded.push(Recorded {
        op,
        conversation: target,
        activity_id: id.clone(),
        body,
    });
    (status, Json(json!({ "id": id }))).into_response()
}

/// Two ids of one conversation (a reply chain belongs to its channel).
fn same_conversation(a: &str, b: &str) -> bool {
    a.split(';').next() == b.split(';').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_windows_are_teams_published_limits() {
        let mut sends = VecDeque::new();
        let start = Instant::now();
        let accepted = (0..10).filter(|_| within_limits(&mut sends, start)).count();
        assert_eq!(accepted, 7, "7 per second");
        let later = start + Duration::from_millis(1500);
        let accepted = (0..10).filter(|_| within_limits(&mut sends, later)).count();
        assert_eq!(accepted, 1, "8 per 2 seconds");
    }

    #[test]
    fn images_in_data_uris_do_not_count_against_the_budget() {
        let image = format!("data:image/png;base64,{}", "A".repeat(200_000));
        let card = json!({ "type": "message", "attachments": [{ "content": { "url": image } }] });
        assert!(message_size(&card) < 1_000);
        let text = json!({ "type": "message", "text": "é".repeat(60_000) });
        assert!(
            message_size(&text) > MESSAGE_BUDGET_BYTES,
            "UTF-16: two bytes a character"
        );
    }

    #[test]
    fn a_card_over_the_card_budget_is_refused_with_413() {
        let card = |text: String| {
            let content = json!({ "type": "AdaptiveCard", "version": "1.5", "body": [{ "type": "TextBlock", "text": text }] });
            json!({ "type": "message", "attachments": [{ "contentType": CARD_CONTENT_TYPE, "content": content }] })
        };
        let fits = card("a".repeat(CARD_BUDGET_BYTES - 200)).to_string();
        assert!(refuse_shape(Op::Create, "19:c@thread.tacv2", fits.as_bytes()).is_ok());
        let over = card("a".repeat(CARD_BUDGET_BYTES)).to_string();
        let refused = refuse_shape(Op::Create, "19:c@thread.tacv2", over.as_bytes());
        assert_eq!(
            refused.err().map(|r| (r.0, r.1)),
            Some((StatusCode::PAYLOAD_TOO_LARGE, "MessageSizeTooBig"))
        );
    }
}
