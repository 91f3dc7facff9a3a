//! A local Slack Web API emulator on 127.0.0.1 for tests and the demo. It implements the
//! methods partnerbot calls, keeps channel history (with message metadata) and uploaded files
//! (an image block may only name a completed one, like Slack), records every call
//! for assertions, and injects faults: 429 with `Retry-After`, 500 (before or after acting),
//! Slack error codes and slow answers. Socket Mode is served by [`socket`].

pub mod socket;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One recorded Web API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, `views.open`, …
    pub method: String,
    /// JSON body, form fields or query string, as one JSON object.
    pub params: Value,
    /// The HTTP status the emulator answered with.
    pub status: u16,
    /// When the call arrived.
    pub at: std::time::Instant,
}

/// A file uploaded to the emulated workspace.
#[derive(Debug, Clone, Default)]
struct StoredFile {
    bytes: Vec<u8>,
    /// Set by `files.completeUploadExternal`; until then the file does not exist for messages.
    completed: bool,
    title: String,
    alt_text: String,
    /// The channel it was shared to, if any (without one the file is private to the bot).
    channel: Option<String>,
    /// Posts naming it still to be refused because Slack is processing it.
    refusals_left: usize,
}

/// A file the bot uploaded and completed.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedFile {
    pub id: String,
    pub title: String,
    /// The screen-reader description given at upload (`alt_txt`).
    pub alt_text: String,
    /// Where it was shared; `None` for a private file (shown only where a message names it).
    pub channel: Option<String>,
    pub bytes: Vec<u8>,
}

/// A fault to inject on the next matching calls.
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: secs`; nothing is done.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 500; nothing is done.
    ServerError,
    /// The call takes effect but the answer is a 500 (the ambiguous case).
    ServerErrorAfterActing,
    /// `{"ok": false, "error": code}` with HTTP 200.
    SlackError(String),
    /// Waits, then answers normally.
    Slow(Duration),
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    faults: VecDeque<(Option<String>, Fault)>,
    history: HashMap<String, Vec<Value>>,
    channels: HashMap<String, Value>,
    users: HashMap<String, Value>,
    /// Who is in a channel, for the channels a test named members of: Slack refuses an
    /// ephemeral message to anyone else (`user_not_in_channel`).
    members: HashMap<String, Vec<String>>,
    seq: u64,
    /// Files by id (ids grow with each upload, so this is upload order).
    files: std::collections::BTreeMap<String, StoredFile>,
    /// How many posts naming a newly completed file are refused before Slack has processed it.
    processing_refusals: usize,
    base: String,
    /// Added to every answer (a slow Slack), on top of any `Fault::Slow`.
    latency: Duration,
    /// Faults that hit every matching call until a moment passes (an outage).
    windows: Vec<(Option<String>, Fault, std::time::Instant)>,
    /// Slack's per-channel posting limit, when enforced: at most `.0` posts per `.1`.
    channel_rate: Option<(usize, Duration)>,
    /// Recent accepted posts per channel, for `channel_rate`.
    recent_posts: HashMap<String, VecDeque<std::time::Instant>>,
    /// Scopes the installed app holds; `None` until set, meaning the manifest's.
    scopes: Option<Vec<String>>,
    /// The Home tab each user sees (the last view published for them).
    homes: HashMap<String, Value>,
    /// True once the app's Home tab is switched off (`manifest.yaml` enables it).
    home_tab_disabled: bool,
    /// Where Socket Mode connections go (`ws://127.0.0.1:…/link/`).
    socket_url: String,
    /// Trigger ids this emulator handed out, with when, and whether a view used them.
    triggers: HashMap<String, (std::time::Instant, bool)>,
}

impl Inner {
    fn granted(&self) -> Vec<String> {
        self.scopes.clone().unwrap_or_else(|| {
            crate::slack::scopes::NEEDED
                .iter()
                .map(|(s, _)| s.to_string())
                .collect()
        })
    }
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    // A panic in another test thread must not hide this one's calls.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    /// Base URL to use as `SLACK_API_URL` (`http://127.0.0.1:PORT/api`).
    pub base_url: String,
    /// The Socket Mode endpoint `apps.connections.open` points at.
    pub socket: socket::SocketHub,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `app` on `listener` (a loopback port of an emulator) until the task is aborted; a
/// server error is logged as `name` stopping.
pub(crate) fn serve_local(
    listener: tokio::net::TcpListener,
    app: Router,
    name: &'static str,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "{name} stopped");
        }
    })
}

impl Emulator {
    /// Starts on a random free port of 127.0.0.1.
    pub async fn start() -> anyhow::Result<Emulator> {
        let state: Shared = Arc::default();
        let app = Router::new()
            .route("/api/{method}", any(handle))
            .route("/upload/{file}", any(upload))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let socket = socket::SocketHub::start().await?;
        {
            let mut inner = lock(&state);
            inner.base = format!("http://{addr}");
            inner.socket_url = format!("ws://{}/link/", socket.addr);
        }
        let server = serve_local(listener, app, "Slack emulator");
        Ok(Emulator {
            base_url: format!("http://{addr}/api"),
            socket,
            state,
            server,
        })
    }

    /// Queues `fault` for the next `times` calls of `method` (any method when `None`).
    pub fn inject(&self, method: Option<&str>, fault: Fault, times: usize) {
        let mut inner = lock(&self.state);
        for _ in 0..times {
            inner
                .faults
                .push_back((method.map(str::to_string), fault.clone()));
        }
    }

    /// Names the members of `channel`: from now on an ephemeral message there to anyone else is
    /// refused with `user_not_in_channel`, as Slack does. (Channels without named members take
    /// ephemeral messages for anyone.)
    pub fn set_members(&self, channel: &str, users: &[&str]) {
        lock(&self.state).members.insert(
            channel.to_string(),
            users.iter().map(|u| u.to_string()).collect(),
        );
    }

    /// Makes every answer take `latency` longer (Slack on a bad day).
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.state).latency = latency;
    }

    /// `fault` for every call of `method` (any method when `None`) until `until`.
    pub fn inject_until(&self, method: Option<&str>, fault: Fault, until: std::time::Instant) {
        lock(&self.state)
            .windows
            .push((method.map(str::to_string), fault, until));
    }

    /// Enforces Slack's per-channel limit on `chat.postMessage`: more than `posts` within `per`
    /// in one channel is answered 429 with `Retry-After: 1` (Slack allows about one message a
    /// second per channel, with short bursts).
    pub fn enforce_channel_rate(&self, posts: usize, per: Duration) {
        lock(&self.state).channel_rate = Some((posts, per));
    }

    /// Grants the app exactly `scopes` (by default it holds those `manifest.yaml` asks for). A
    /// method whose scope is missing is refused with `missing_scope`, like Slack.
    pub fn grant_scopes(&self, scopes: &[&str]) {
        lock(&self.state).scopes = Some(scopes.iter().map(|s| s.to_string()).collect());
    }

    /// A trigger id as Slack hands one out with a click or shortcut, issued `age` ago. Like
    /// Slack, `views.open` refuses it once it is older than 3 s (`expired_trigger_id`) or
    /// after a view used it (`exchanged_trigger_id`). Ids the emulator did not issue are only
    /// checked for their shape.
    pub fn issue_trigger(&self, age: Duration) -> String {
        let mut inner = lock(&self.state);
        inner.seq += 1;
        let id = format!("{}.{}.e0ac", inner.seq, 98_765);
        let issued = std::time::Instant::now()
            .checked_sub(age)
            .unwrap_or_else(std::time::Instant::now);
        inner.triggers.insert(id.clone(), (issued, false));
        id
    }

    /// A message a person posts in `channel` (in `thread`'s thread, if given); its `ts`.
    pub fn add_message(&self, channel: &str, text: &str, thread: Option<&str>) -> String {
        let mut inner = lock(&self.state);
        let ts = next_ts(&mut inner);
        let mut message = json!({ "type": "message", "ts": ts, "text": text, "user": "U0SOMEONE" });
        if let Some(thread) = thread {
            message["thread_ts"] = json!(thread);
        }
        inner
            .history
            .entry(channel.to_string())
            .or_default()
            .push(message);
        ts
    }

    /// Switches the app's Home tab off (or on again): `views.publish` then answers
    /// `not_enabled`, like Slack for an app whose manifest does not enable the tab.
    pub fn set_home_tab(&self, enabled: bool) {
        lock(&self.state).home_tab_disabled = !enabled;
    }

    /// The Home tab `user` sees now: the last view published for them.
    pub fn home_of(&self, user: &str) -> Option<Value> {
        lock(&self.state).homes.get(user).cloned()
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        lock(&self.state).faults.len()
    }

    /// Sets what `conversations.info` answers for `channel`.
    pub fn set_channel(&self, channel: &str, info: Value) {
        lock(&self.state).channels.insert(channel.to_string(), info);
    }

    /// Sets what `users.info` answers for `user`.
    pub fn set_user(&self, user: &str, info: Value) {
        lock(&self.state).users.insert(user.to_string(), info);
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state).calls.clone()
    }

    /// Calls of one method.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Messages that really landed (posted and kept), in order: `chat.postMessage` and
    /// `chat.postEphemeral` calls Slack would have acted on.
    pub fn delivered(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| {
                matches!(
                    c.method.as_str(),
                    "chat.postMessage" | "chat.postEphemeral" | "chat.update"
                ) && (c.status == 200 || c.params["_acted"] == true)
            })
            .filter(|c| c.params["_ok"] == true)
            .collect()
    }

    /// Files the bot uploaded and completed, in upload order.
    pub fn files(&self) -> Vec<UploadedFile> {
        lock(&self.state)
            .files
            .iter()
            .filter(|(_, f)| f.completed)
            .map(|(id, f)| UploadedFile {
                id: id.clone(),
                title: f.title.clone(),
                alt_text: f.alt_text.clone(),
                channel: f.channel.clone(),
                bytes: f.bytes.clone(),
            })
            .collect()
    }

    /// Makes Slack slow to process uploads: each file completed from now on is refused in the
    /// first `posts` messages naming it (`invalid_blocks`, "invalid slack file"), as Slack
    /// refuses a fresh file it has not finished processing.
    pub fn process_files_after(&self, posts: usize) {
        lock(&self.state).processing_refusals = posts;
    }

    /// Waits (polling) until `check` holds or `within` passes; returns whether it held.
    pub async fn wait_until(&self, within: Duration, check: impl Fn(&Emulator) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if check(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn take_fault(inner: &mut Inner, method: &str, params: &Value) -> Option<Fault> {
    let now = std::time::Instant::now();
    inner.windows.retain(|(_, _, until)| *until > now);
    let windowed = inner
        .windows
        .iter()
        .find(|(m, _, _)| m.as_deref().is_none_or(|m| m == method))
        .map(|(_, f, _)| f.clone());
    if windowed.is_some() {
        return windowed;
    }
    if method == "chat.postMessage" {
        if let Some((posts, per)) = inner.channel_rate {
            let channel = params["channel"].as_str().unwrap_or_default().to_string();
            let recent = inner.recent_posts.entry(channel).or_default();
            while recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= per)
            {
                recent.pop_front();
            }
            if recent.len() >= posts {
                return Some(Fault::RateLimited {
                    retry_after_secs: 1,
                });
            }
            recent.push_back(now);
        }
    }
    let at = inner
        .faults
        .iter()
        .position(|(m, _)| m.as_deref().is_none_or(|m| m == method))?;
    inner.faults.remove(at).map(|(_, f)| f)
}

fn parse_params(query: HashMap<String, String>, headers: &HeaderMap, body: &[u8]) -> Value {
    let mut params = serde_json::Map::new();
    for (k, v) in query {
        params.insert(k, json!(v));
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            params.extend(map);
        }
    } else if let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        for (k, v) in form {
            // Slack accepts JSON-encoded structures in form fields (blocks, view).
            let value = serde_json::from_str::<Value>(&v)
                .ok()
                .filter(|j| j.is_object() || j.is_array())
                .unwrap_or(json!(v));
            params.insert(k, value);
        }
    }
    Value::Object(params)
}

async fn handle(
    State(state): State<Shared>,
    Path(method): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let arrived = std::time::Instant::now();
    let auth_test = method == "auth.test";
    let mut params = parse_params(query, &headers, &body);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Socket Mode connections are opened with the app-level token, everything else with the
    // bot token.
    let authed = match method.as_str() {
        "apps.connections.open" => bearer.starts_with("Bearer xapp-"),
        _ => bearer.starts_with("Bearer xoxb-"),
    };
    let (fault, latency) = {
        let mut inner = lock(&state);
        (take_fault(&mut inner, &method, &params), inner.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(Fault::Slow(pause)) = &fault {
        tokio::time::sleep(*pause).await;
    }
    let (status, answer, retry_after) = match &fault {
        Some(Fault::RateLimited { retry_after_secs }) => (
            429,
            json!({ "ok": false, "error": "ratelimited" }),
            Some(*retry_after_secs),
        ),
        Some(Fault::ServerError) => (500, json!({ "ok": false, "error": "internal_error" }), None),
        Some(Fault::SlackError(code)) => (200, json!({ "ok": false, "error": code }), None),
        _ if !authed => (200, json!({ "ok": false, "error": "not_authed" }), None),
        Some(Fault::ServerErrorAfterActing) => {
            let answer = act(&mut lock(&state), &method, &params);
            params["_acted"] = json!(true);
            params["_ok"] = answer["ok"].clone();
            (500, json!({ "ok": false, "error": "internal_error" }), None)
        }
        _ => (200, act(&mut lock(&state), &method, &params), None),
    };
    if params.get("_ok").is_none() {
        params["_ok"] = json!(status == 200 && answer["ok"] == true);
    }
    if let Some(ts) = answer["ts"].as_str() {
        params["_ts"] = json!(ts);
    }
    lock(&state).calls.push(Call {
        method,
        params,
        status,
        at: arrived,
    });
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(answer),
    )
        .into_response();
    if auth_test {
        let scopes = lock(&state).granted().join(",");
        if let Ok(v) = scopes.parse() {
            response.headers_mut().insert("x-oauth-scopes", v);
        }
    }
    if let Some(secs) = retry_after {
        if let Ok(v) = secs.to_string().parse() {
            response.headers_mut().insert("retry-after", v);
        }
    }
    response
}

async fn upload(
    State(state): State<Shared>,
    Path(file): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let mut inner = lock(&state);
    match inner.files.get_mut(&file) {
        Some(stored) if !stored.completed => {
            stored.bytes = body.to_vec();
            (StatusCode::OK, "OK").into_response()
        }
        _ => (StatusCode::NOT_FOUND, "unknown upload").into_response(),
    }
}

fn next_ts(inner: &mut Inner) -> String {
    inner.seq += 1;
    let now = chrono::Utc::now();
    format!("{}.{:06}", now.timestamp(), inner.seq % 1_000_000)
}

/// Does what Slack would do for `method` and returns its answer.
fn act(inner: &mut Inner, method: &str, params: &Value) -> Value {
    let channel = params["channel"].as_str().unwrap_or_default().to_string();
    let target = match method {
        "files.completeUploadExternal" => params["channel_id"].as_str().unwrap_or_default(),
        _ => &channel,
    };
    if let Some(needed) = crate::slack::scopes::needed_for(method, target) {
        let granted = inner.granted();
        if !granted.iter().any(|g| g == needed) {
            return json!({ "ok": false, "error": "missing_scope", "needed": needed, "provided": granted.join(",") });
        }
    }
    // Slack refuses a message or view that breaks a Block Kit limit, and acts on none of it.
    let limits = match method {
        "chat.postMessage" | "chat.postEphemeral" | "chat.update" => {
            crate::slack::limits::check(crate::slack::limits::Surface::Message, params)
                .map_err(|e| ("invalid_blocks", e))
        }
        "views.open" | "views.update" | "views.push" | "views.publish" => {
            crate::slack::limits::check(crate::slack::limits::Surface::View, &params["view"])
                .map_err(|e| ("invalid_arguments", e))
        }
        _ => Ok(()),
    };
    if let Err((code, detail)) = limits {
        return json!({ "ok": false, "error": code, "response_metadata": { "messages": [format!("[ERROR] {detail}")] } });
    }
    if matches!(
        method,
        "chat.postMessage" | "chat.postEphemeral" | "chat.update"
    ) {
        if let Some(refusal) = refuse_files(inner, params) {
            return refusal;
        }
    }
    match method {
        "auth.test" => {
            json!({ "ok": true, "url": "https://emulated.slack.com/", "team": "Emulated", "user": "partnerbot",
                               "team_id": "T0HOME", "user_id": "U0BOT", "bot_id": "B0BOT" })
        }
        "chat.postMessage" | "chat.update" if channel.is_empty() => {
            json!({ "ok": false, "error": "channel_not_found" })
        }
        "chat.postMessage" => {
            if params["text"].as_str().unwrap_or_default().is_empty()
                && !params["blocks"].is_array()
            {
                return json!({ "ok": false, "error": "no_text" });
            }
            let ts = next_ts(inner);
            let mut message = json!({ "type": "message", "ts": ts, "text": params["text"], "blocks": params["blocks"], "bot_id": "B0BOT" });
            if !params["metadata"].is_null() {
                message["metadata"] = params["metadata"].clone();
            }
            if let Some(thread) = params["thread_ts"].as_str() {
                message["thread_ts"] = json!(thread);
            }
            inner
                .history
                .entry(channel.clone())
                .or_default()
                .push(message.clone());
            json!({ "ok": true, "channel": channel, "ts": ts, "message": message })
        }
        "chat.postEphemeral" => {
            let user = params["user"].as_str().unwrap_or_default();
            match inner.members.get(&channel) {
                Some(members) if !members.iter().any(|m| m == user) => {
                    json!({ "ok": false, "error": "user_not_in_channel" })
                }
                _ => json!({ "ok": true, "message_ts": next_ts(inner) }),
            }
        }
        "chat.update" => {
            json!({ "ok": true, "channel": channel, "ts": params["ts"], "text": params["text"] })
        }
        // Slack's trigger ids are short (`12345.98765.abcd2358fdea`); anything else is unknown.
        "views.open" | "views.push"
            if params["trigger_id"]
                .as_str()
                .is_none_or(|t| t.is_empty() || t.len() > MAX_TRIGGER_ID) =>
        {
            json!({ "ok": false, "error": "invalid_trigger_id" })
        }
        "views.open" | "views.push" if trigger_refusal(inner, params).is_some() => {
            json!({ "ok": false, "error": trigger_refusal(inner, params) })
        }
        "views.open" | "views.update" | "views.push" => {
            if let Some(used) = params["trigger_id"]
                .as_str()
                .and_then(|t| inner.triggers.get_mut(t))
            {
                used.1 = true;
            }
            let mut view = params["view"].clone();
            view["id"] = json!(format!("V{:08}", inner.seq));
            inner.seq += 1;
            json!({ "ok": true, "view": view })
        }
        "views.publish" => publish_home(inner, params),
        "users.info" => {
            let user = params["user"].as_str().unwrap_or_default();
            let info = inner.users.get(user).cloned().unwrap_or_else(
                || json!({ "id": user, "name": user.to_lowercase(), "tz": "UTC", "tz_offset": 0 }),
            );
            json!({ "ok": true, "user": info })
        }
        "users.lookupByEmail" => {
            let email = params["email"].as_str().unwrap_or_default().to_lowercase();
            match inner.users.values().find(|u| {
                u["profile"]["email"]
                    .as_str()
                    .is_some_and(|e| e.to_lowercase() == email)
            }) {
                Some(user) => json!({ "ok": true, "user": user }),
                None => json!({ "ok": false, "error": "users_not_found" }),
            }
        }
        "conversations.open" => {
            let user = params["users"].as_str().unwrap_or_default();
            json!({ "ok": true, "channel": { "id": format!("D{}", user.trim_start_matches(['U', 'W'])) } })
        }
        "files.getUploadURLExternal" => upload_url(inner, params),
        "files.completeUploadExternal" => complete_upload(inner, params),
        "conversations.info" => match inner.channels.get(&channel) {
            Some(info) => json!({ "ok": true, "channel": info }),
            None => {
                json!({ "ok": true, "channel": { "id": channel, "name": channel.to_lowercase(), "is_channel": true, "is_member": true, "created": 0 } })
            }
        },
        "conversations.history" => history_page(inner, &channel, params),
        "chat.getPermalink" => permalink(inner, &channel, params),
        "apps.connections.open" => {
            inner.seq += 1;
            json!({ "ok": true, "url": format!("{}?ticket={}", inner.socket_url, inner.seq) })
        }
        _ => json!({ "ok": false, "error": "unknown_method" }),
    }
}

/// Slack's limit on an upload's `alt_txt`.
const MAX_ALT_TXT: usize = 1_000;

/// `files.getUploadURLExternal`: a file id and where to send the bytes; refuses a missing
/// name or length (`missing_argument`, Slack's answer to a length of 0) and an `alt_txt` over
/// Slack's limit.
fn upload_url(inner: &mut Inner, params: &Value) -> Value {
    let length = params["length"]
        .as_str()
        .and_then(|l| l.parse::<u64>().ok())
        .or_else(|| params["length"].as_u64())
        .unwrap_or(0);
    if length == 0 || params["filename"].as_str().is_none_or(str::is_empty) {
        return json!({ "ok": false, "error": "missing_argument" });
    }
    let alt_text = params["alt_txt"].as_str().unwrap_or_default().to_string();
    if alt_text.chars().count() > MAX_ALT_TXT {
        return json!({ "ok": false, "error": "alt_txt_too_large" });
    }
    inner.seq += 1;
    let id = format!("F{:08}", inner.seq);
    inner.files.insert(
        id.clone(),
        StoredFile {
            alt_text,
            ..StoredFile::default()
        },
    );
    json!({ "ok": true, "upload_url": format!("{}/upload/{id}", inner.base), "file_id": id })
}

/// `files.completeUploadExternal`: completes uploaded files, sharing them to `channel_id` when
/// given and otherwise leaving them private. Refuses files never uploaded, already completed or
/// still empty.
fn complete_upload(inner: &mut Inner, params: &Value) -> Value {
    let files = params["files"].as_array().cloned().unwrap_or_default();
    let ready = files.iter().all(|f| {
        f["id"]
            .as_str()
            .and_then(|id| inner.files.get(id))
            .is_some_and(|stored| !stored.completed && !stored.bytes.is_empty())
    });
    if files.is_empty() || !ready {
        return json!({ "ok": false, "error": "invalid_arguments" });
    }
    let channel = params["channel_id"]
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let refusals = inner.processing_refusals;
    let mut completed = Vec::new();
    for f in files {
        let id = f["id"].as_str().unwrap_or_default();
        if let Some(stored) = inner.files.get_mut(id) {
            stored.completed = true;
            stored.title = f["title"].as_str().unwrap_or_default().to_string();
            stored.channel = channel.clone();
            stored.refusals_left = refusals;
            completed.push(json!({ "id": id, "title": stored.title }));
        }
    }
    json!({ "ok": true, "files": completed })
}

/// Slack's refusal of a message whose image block names a file that does not exist (never
/// uploaded or not completed in this workspace) or that Slack is still processing; `None` when
/// every file it names can be shown.
fn refuse_files(inner: &mut Inner, params: &Value) -> Option<Value> {
    let blocks = params["blocks"].as_array()?;
    for (i, block) in blocks.iter().enumerate() {
        let Some(id) = block["slack_file"]["id"].as_str() else {
            continue;
        };
        let usable = match inner.files.get_mut(id) {
            Some(stored) if stored.completed && stored.refusals_left == 0 => true,
            Some(stored) if stored.completed => {
                stored.refusals_left -= 1;
                false
            }
            _ => false,
        };
        if !usable {
            let error = format!("invalid slack file [json-pointer:/blocks/{i}/slack_file]");
            return Some(
                json!({ "ok": false, "error": "invalid_blocks", "errors": [error.clone()],
                                "response_metadata": { "messages": [format!("[ERROR] {error}")] } }),
            );
        }
    }
    None
}

/// `views.publish`: refuses what Slack refuses (a missing or malformed `user_id`, a view that
/// is not a `home` view, an app without a Home tab), otherwise keeps the view as the user's tab.
/// Slack documents no scope for this method, so none is checked.
fn publish_home(inner: &mut Inner, params: &Value) -> Value {
    let invalid = |what: &str| json!({ "ok": false, "error": "invalid_arguments", "response_metadata": { "messages": [format!("[ERROR] {what}")] } });
    let user = params["user_id"].as_str().unwrap_or_default();
    if !crate::config::is_slack_id(user, crate::slack::payload::USER_PREFIXES) {
        return invalid("invalid `user_id`");
    }
    if params["view"]["type"] != "home" {
        return invalid("must provide a view of type `home` [json-pointer:/view/type]");
    }
    if inner.home_tab_disabled {
        return json!({ "ok": false, "error": "not_enabled" });
    }
    let mut view = params["view"].clone();
    view["id"] = json!(format!("V{:08}", inner.seq));
    inner.seq += 1;
    inner.homes.insert(user.to_string(), view.clone());
    json!({ "ok": true, "view": view })
}

/// `chat.getPermalink`: a link to a message that is in the channel's history (a root or a
/// reply), refusing unknown channels (`channel_not_found`) and messages (`message_not_found`).
fn permalink(inner: &Inner, channel: &str, params: &Value) -> Value {
    let Some(history) = inner.history.get(channel) else {
        return json!({ "ok": false, "error": "channel_not_found" });
    };
    let ts = params["message_ts"].as_str().unwrap_or_default();
    let Some(message) = history.iter().find(|m| m["ts"] == ts) else {
        return json!({ "ok": false, "error": "message_not_found" });
    };
    let mut link = format!(
        "https://emulated.slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    );
    if let Some(thread) = message["thread_ts"].as_str().filter(|t| *t != ts) {
        link.push_str(&format!("?thread_ts={thread}&cid={channel}"));
    }
    json!({ "ok": true, "channel": channel, "permalink": link })
}

/// Slack voids a trigger id this long after the click.
const TRIGGER_LIFETIME: Duration = Duration::from_secs(3);

/// Why Slack would refuse the trigger id of a `views.open`, for ids this emulator issued.
fn trigger_refusal(inner: &Inner, params: &Value) -> Option<&'static str> {
    let (issued, used) = inner.triggers.get(params["trigger_id"].as_str()?)?;
    if *used {
        Some("exchanged_trigger_id")
    } else if issued.elapsed() > TRIGGER_LIFETIME {
        Some("expired_trigger_id")
    } else {
        None
    }
}

/// Longer trigger ids than this were never issued by Slack.
const MAX_TRIGGER_ID: usize = 100;

/// Slack's default and largest page sizes for `conversations.history`.
const HISTORY_DEFAULT_LIMIT: usize = 100;
const HISTORY_MAX_LIMIT: usize = 999;

/// One page of a channel's history, newest first, as Slack pages it: `limit` (default 100, at
/// most 999), `oldest`/`latest` bounds, and an opaque cursor with `has_more`.
fn history_page(inner: &Inner, channel: &str, params: &Value) -> Value {
    let bound = |key: &str, default: f64| {
        params[key]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let (oldest, latest) = (bound("oldest", 0.0), bound("latest", f64::MAX));
    let limit = params["limit"]
        .as_str()
        .and_then(|s| s.parse::<usize>().ok())
        .or_else(|| params["limit"].as_u64().map(|n| n as usize))
        .filter(|n| *n > 0)
        .unwrap_or(HISTORY_DEFAULT_LIMIT)
        .min(HISTORY_MAX_LIMIT);
    let skip = match params["cursor"].as_str().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => match c
            .strip_prefix("page_")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => return json!({ "ok": false, "error": "invalid_cursor" }),
        },
    };
    let ts_of = |m: &Value| {
        m["ts"]
            .as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let matching: Vec<&Value> = inner
        .history
        .get(channel)
        .into_iter()
        .flatten()
        .filter(|m| ts_of(m) >= oldest && ts_of(m) <= latest)
        .rev()
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|m| (*m).clone())
        .collect();
    let has_more = matching.len() > skip + limit;
    let next = if has_more {
        format!("page_{}", skip + limit)
    } else {
        String::new()
    };
    json!({ "ok": true, "messages": page, "has_more": has_more, "response_metadata": { "next_cursor": next } })
}

/// The text of each element's `key` text object (`{"type": "plain_text", "text": …}`): the
/// buttons of an actions block, the labels of a modal's inputs.
pub fn texts_of<'a>(elements: &'a Value, key: &str) -> Vec<&'a str> {
    let all = elements.as_array().into_iter().flatten();
    all.filter_map(|e| e[key]["text"].as_str()).collect()
}

/// A posted message as a person would read it: the fallback text, then each block's text,
/// with Slack's entities turned back into characters.
pub fn readable(params: &Value) -> String {
    let mut lines = Vec::new();
    for block in params["blocks"].as_array().into_iter().flatten() {
        if let Some(t) = block["text"]["text"].as_str() {
            lines.push(t.to_string());
        }
        if block["type"] == "image" {
            let title = block["title"]["text"].as_str();
            lines.push(format!(
                "[image: {}]",
                title.or(block["alt_text"].as_str()).unwrap_or_default()
            ));
            continue;
        }
        if block["type"] == "actions" {
            let buttons = texts_of(&block["elements"], "text");
            lines.push(format!("[buttons: {}]", buttons.join(" · ")));
            continue;
        }
        for item in block["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(block["elements"].as_array().into_iter().flatten())
        {
            if let Some(t) = item["text"].as_str() {
                lines.push(t.replace('\n', ": "));
            }
        }
    }
    if lines.is_empty() {
        lines.push(params["text"].as_str().unwrap_or_default().to_string());
    }
    lines
        .join("\n")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
