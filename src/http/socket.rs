//! Socket Mode: with `SLACK_APP_TOKEN` set, `serve` opens a WebSocket to Slack
//! (`apps.connections.open`) and takes slash commands, interactions and events from it, for
//! companies that cannot expose a public HTTPS endpoint. Each envelope goes through the same
//! handlers as HTTP (the same router, without the signature check: the connection itself was
//! opened with the app token) and is acknowledged on the socket with the handler's answer as
//! its payload, within the handlers' budget of Slack's 3 s.
//!
//! Slack retires connections with a `disconnect` envelope: the client opens a new one at once.
//! A connection that closes, or goes silent (the client pings every 30 s and gives up after
//! 90 s without a frame or pong), or fails to open is retried with exponential backoff (1 s doubling to
//! 30 s, back to 1 s after a `hello`). An envelope Slack sends again (`retry_attempt` > 0, after
//! a lost acknowledgement) is recognised by its `envelope_id`: it is acknowledged again with the
//! first answer and never handled twice.

use super::AppState;
use crate::slack::SlackApi;
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

/// First pause before reconnecting after a failure; doubled on each failure in a row.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Envelope ids remembered for recognising retries: Slack retries within minutes, and this
/// many covers several minutes of a busy workspace.
const REMEMBERED_ENVELOPES: usize = 10_000;
/// How often the client pings Slack, so a connection that died without a word is noticed.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Nothing heard (no frame, no pong) for this long: the connection is dead, reconnect.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);
/// Largest handler answer read back for an acknowledgement (Block Kit stays far below).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The Socket Mode client of one `serve` process.
#[derive(Clone)]
pub struct SocketMode {
    router: Router,
    slack: SlackApi,
    token: SecretString,
    seen: Arc<Mutex<Seen>>,
}

/// Why a connection ended.
enum Ended {
    /// `serve` is stopping.
    Stop,
    /// Slack asked for a new connection.
    Reconnect,
    /// The connection failed or dropped.
    Failed(String),
}

impl SocketMode {
    /// A client handling envelopes with `state`'s handlers, connecting with the app token.
    pub fn new(state: AppState, token: SecretString) -> SocketMode {
        SocketMode {
            slack: state.slack.clone(),
            router: super::socket_router(state),
            token,
            seen: Arc::default(),
        }
    }

    /// Connects and reconnects until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = INITIAL_BACKOFF;
        loop {
            if *stop.borrow() {
                return;
            }
            match self.connection(&mut stop, &mut backoff).await {
                Ended::Stop => return,
                Ended::Reconnect => tracing::info!("Slack asked for a new Socket Mode connection"),
                Ended::Failed(reason) => {
                    tracing::warn!(%reason, retry_in_ms = backoff.as_millis() as u64, "Socket Mode connection lost");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One connection, from `apps.connections.open` until it ends.
    async fn connection(&self, stop: &mut watch::Receiver<bool>, backoff: &mut Duration) -> Ended {
        let url = match self.slack.open_connection(&self.token).await {
            Ok(url) => url,
            Err(e) => return Ended::Failed(format!("apps.connections.open: {e}")),
        };
        let ws = match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((ws, _)) => ws,
            Err(e) => return Ended::Failed(format!("connecting: {e}")),
        };
        let (mut sink, mut source) = ws.split();
        let (acks, mut to_send) = mpsc::unbounded_channel::<String>();
        let mut ping = tokio::time::interval(PING_EVERY);
        let mut heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = ping.tick() => {
                    if heard.elapsed() > SILENCE_LIMIT {
                        return Ended::Failed(format!("nothing heard for {SILENCE_LIMIT:?}"));
                    }
                    if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                        return Ended::Failed(format!("pinging: {e}"));
                    }
                }
                _ = stop.changed() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ended::Stop;
                }
                Some(ack) = to_send.recv() => {
                    if let Err(e) = sink.send(Message::text(ack)).await {
                        return Ended::Failed(format!("acknowledging: {e}"));
                    }
                }
                frame = source.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        heard = tokio::time::Instant::now();
                        if let Some(ended) = self.on_frame(&text, &acks, backoff) {
                            let _ = sink.send(Message::Close(None)).await;
                            return ended;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ended::Failed("closed".into()),
                    // Pings are answered by tungstenite itself; pongs answer ours.
                    Some(Ok(_)) => heard = tokio::time::Instant::now(),
                    Some(Err(e)) => return Ended::Failed(e.to_string()),
                },
            }
        }
    }

    /// Acts on one frame; how the connection ends, when this frame ends it.
    fn on_frame(
        &self,
        text: &str,
        acks: &mpsc::UnboundedSender<String>,
        backoff: &mut Duration,
    ) -> Option<Ended> {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            tracing::warn!("Socket Mode frame is not JSON; ignored");
            return None;
        };
        match frame["type"].as_str().unwrap_or_default() {
            "hello" => {
                *backoff = INITIAL_BACKOFF;
                tracing::info!("Socket Mode connected");
                None
            }
            "disconnect" => {
                tracing::info!(
                    reason = frame["reason"].as_str().unwrap_or("-"),
                    "Slack retires this connection"
                );
                Some(Ended::Reconnect)
            }
            kind @ ("slash_commands" | "interactive" | "events_api") => {
                if let Some(id) = frame["envelope_id"].as_str() {
                    self.on_envelope(id, kind, frame["payload"].clone(), acks.clone());
                }
                None
            }
            other => {
                tracing::debug!(kind = other, "Socket Mode frame ignored");
                None
            }
        }
    }

    /// Handles an envelope in its own task and acknowledges it; a retried one is acknowledged
    /// with the first answer (or left to its first handling, still under way).
    fn on_envelope(
        &self,
        id: &str,
        kind: &str,
        payload: Value,
        acks: mpsc::UnboundedSender<String>,
    ) {
        let earlier = self.lock_seen().start(id);
        match earlier {
            Some(Some(ack)) => {
                tracing::info!(
                    envelope_id = id,
                    "retried envelope acknowledged again, not handled twice"
                );
                let _ = acks.send(ack);
                return;
            }
            Some(None) => return,
            None => {}
        }
        let (router, seen, id, kind) = (
            self.router.clone(),
            self.seen.clone(),
            id.to_string(),
            kind.to_string(),
        );
        tokio::spawn(async move {
            let answer = handle(router, &kind, &payload).await;
            let ack = match answer {
                Some(payload) => json!({ "envelope_id": id, "payload": payload }),
                None => json!({ "envelope_id": id }),
            }
            .to_string();
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .finish(&id, ack.clone());
            let _ = acks.send(ack);
        });
    }

    fn lock_seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Runs an envelope's payload through the handler for its kind, as the body Slack would have
/// posted over HTTP; the handler's JSON answer, if it gave one.
async fn handle(router: Router, kind: &str, payload: &Value) -> Option<Value> {
    let form = "application/x-www-form-urlencoded";
    let (path, content_type, body) = match kind {
        "slash_commands" => ("/slack/commands", form, command_form(payload)),
        "interactive" => (
            "/slack/interactions",
            form,
            serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap_or_default(),
        ),
        _ => ("/slack/events", "application/json", payload.to_string()),
    };
    let request = Request::post(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .ok()?;
    let response = router.oneshot(request).await.ok()?;
    let bytes = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
        .await
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A slash command's fields (a JSON object over Socket Mode) as the form Slack posts.
fn command_form(payload: &Value) -> String {
    let fields: Vec<(String, String)> = payload
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    serde_urlencoded::to_string(fields).unwrap_or_default()
}

/// Envelope ids handled lately, with their acknowledgement once sent.
#[derive(Default)]
struct Seen {
    acks: HashMap<String, Option<String>>,
    order: VecDeque<String>,
}

impl Seen {
    /// Records `id` as under way; what was recorded before, if it was seen already.
    fn start(&mut self, id: &str) -> Option<Option<String>> {
        if let Some(earlier) = self.acks.get(id) {
            return Some(earlier.clone());
        }
        if self.order.len() >= REMEMBERED_ENVELOPES {
            if let Some(oldest) = self.order.pop_front() {
                self.acks.remove(&oldest);
            }
        }
        self.order.push_back(id.to_string());
        self.acks.insert(id.to_string(), None);
        None
    }

    /// Records the acknowledgement of `id`.
    fn finish(&mut self, id: &str, ack: String) {
        if let Some(slot) = self.acks.get_mut(id) {
            *slot = Some(ack);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_is_new_once_then_answered_with_its_first_acknowledgement() {
        let mut seen = Seen::default();
        assert_eq!(seen.start("e1"), None);
        assert_eq!(seen.start("e1"), Some(None), "still under way");
        seen.finish("e1", "ack".into());
        assert_eq!(seen.start("e1"), Some(Some("ack".into())));
    }

    #[test]
    fn the_oldest_envelopes_are_forgotten_first() {
        let mut seen = Seen::default();
        for i in 0..=REMEMBERED_ENVELOPES {
            seen.start(&format!("e{i}"));
        }
        assert_eq!(seen.start("e0"), None, "forgotten, so new again");
        assert!(seen.start(&format!("e{REMEMBERED_ENVELOPES}")).is_some());
    }

    #[test]
    fn command_fields_become_the_form_slack_posts() {
        let form = command_form(
            &json!({ "command": "/deal", "text": "register Acme & co", "user_id": "U1" }),
        );
        let parsed: HashMap<String, String> = serde_urlencoded::from_str(&form).expect("form");
        assert_eq!(parsed["text"], "register Acme & co");
        assert_eq!(parsed["command"], "/deal");
    }
}
