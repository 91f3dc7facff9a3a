//! An offline Microsoft identity token endpoint and Bot Framework Connector on 127.0.0.1, for
//! tests and the demo. It refuses what the real services refuse:
//!
//! - `POST /{tenant}/oauth2/v2.0/token` checks the tenant, `grant_type=client_credentials`,
//!   the client id and secret and the Connector scope, and mints opaque tokens that expire
//!   ([`ConnectorEmulator::set_token_lifetime`]) or can be revoked
//!   ([`ConnectorEmulator::revoke_tokens`]) to force a 401.
//! - `POST /v3/conversations/{id}/activities`, `PUT /v3/conversations/{id}/activities/{activity}`
//!   and `POST /v3/conversations` need a live bearer token (401), a message activity or a
//!   well-formed 1:1 request (400), a message within Teams' 100 KB budget counted as UTF-16
//!   without data-URI images, and every Adaptive Card within partnerbot's 28 KB card budget
//!   (`cards::CARD_BUDGET_BYTES`, the low end of the limits reported for Teams; 413
//!   `MessageSizeTooBig`, teams.md §2.9), a conversation that has
//!   not blocked the bot (403 `MessageWritesBlocked`), and stay within the per-conversation
//!   limits of rate-limit.md (7/1 s, 8/2 s, 60/30 s, 1800/h; 429 without `Retry-After`).
//!
//! Every committed create, update and conversation is recorded; every call is logged with its
//! time and status. Faults are queued per operation ([`ConnectorEmulator::fail_next`]): 429
//! with or without `Retry-After`, 412, a 5xx before committing (nothing recorded) or after it
//! (recorded, but the answer is an error: the lost response), and 401.

use crate::teams::emulator::Served;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod rules;

use rules::decide;
pub use rules::{largest_card, message_size};

/// Teams' bot message budget: 100 KB of UTF-16, base64 images not counted (teams.md §2.9).
pub const MESSAGE_BUDGET_BYTES: usize = 100 * 1024;

/// A Connector operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `POST …/activities`.
    Create,
    /// `PUT …/activities/{id}`.
    Update,
    /// `POST /v3/conversations`.
    CreateConversation,
}

/// A fault injected into the next call of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429, with `Retry-After: secs` when given.
    TooManyRequests { retry_after: Option<u64> },
    /// 412 Precondition Failed (nothing done).
    PreconditionFailed,
    /// This 5xx before committing: nothing recorded.
    BeforeCommit(u16),
    /// Committed and recorded, then this 5xx: the lost response.
    AfterCommit(u16),
    /// Committed and recorded, then the answer held for this long (a worker killed mid-call).
    CommitThenStall(Duration),
    /// 401 whatever the token.
    Unauthorized,
}

/// A committed create, update or conversation.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub op: Op,
    pub conversation: String,
    pub activity_id: String,
    pub body: Value,
}

/// One call as the emulator answered it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub op: Op,
    pub conversation: String,
    pub status: u16,
    pub at: Instant,
}

#[derive(Debug, Default)]
pub(super) struct World {
    pub(super) tokens: HashMap<String, Instant>,
    pub(super) token_requests: usize,
    pub(super) token_lifetime: Option<Duration>,
    pub(super) faults: HashMap<Op, VecDeque<Fault>>,
    pub(super) blocked: HashSet<String>,
    pub(super) sends: HashMap<String, VecDeque<Instant>>,
    pub(super) recorded: Vec<Recorded>,
    pub(super) log: Vec<Logged>,
    pub(super) next_id: u64,
}

#[derive(Debug)]
struct Inner {
    tenant: String,
    client_id: String,
    secret: String,
    world: Mutex<World>,
}

impl Inner {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running token endpoint and Connector.
#[derive(Debug)]
pub struct ConnectorEmulator {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    inner: Arc<Inner>,
    /// Held so that the server stops when this is dropped.
    _server: Served,
}

impl ConnectorEmulator {
    /// Starts on a free port of 127.0.0.1, issuing tokens to `client_id`/`secret` of `tenant`.
    pub async fn start(
        tenant: &str,
        client_id: &str,
        secret: &str,
    ) -> anyhow::Result<ConnectorEmulator> {
        let (base, server, inner) = Served::start("Teams Connector emulator", |_| {
            let inner = Arc::new(Inner {
                tenant: tenant.into(),
                client_id: client_id.into(),
                secret: secret.into(),
                world: Mutex::new(World {
                    next_id: 1_700_000_000_000,
                    ..World::default()
                }),
            });
            let app = Router::new()
                .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
                .route("/v3/conversations", post(create_conversation))
                .route("/v3/conversations/{conversation}/activities", post(create))
                .route(
                    "/v3/conversations/{conversation}/activities/{activity}",
                    put(update),
                )
                .with_state(inner.clone());
            (app, inner)
        })
        .await?;
        Ok(ConnectorEmulator {
            base_url: base,
            inner,
            _server: server,
        })
    }

    /// What `TEAMS_TOKEN_URL` should be.
    pub fn token_url(&self) -> String {
        format!("{}/{{tenant}}/oauth2/v2.0/token", self.base_url)
    }

    /// The `serviceUrl` of conversations hosted here (also what `TEAMS_ALLOWED_SERVICE_URLS`
    /// should allow).
    pub fn service_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// Answers the next call of `op` with `fault` (faults queue up in order).
    pub fn fail_next(&self, op: Op, fault: Fault) {
        let mut world = self.inner.world();
        world.faults.entry(op).or_default().push_back(fault);
    }

    /// The bot is blocked in `conversation` (403 `MessageWritesBlocked`).
    pub fn block(&self, conversation: &str) {
        self.inner.world().blocked.insert(conversation.into());
    }

    /// Tokens minted from now on expire after `lifetime`.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.inner.world().token_lifetime = Some(lifetime);
    }

    /// Invalidates every token issued so far: the Connector answers 401 to them.
    pub fn revoke_tokens(&self) {
        self.inner.world().tokens.clear();
    }

    /// How many tokens were requested (granted or not).
    pub fn token_requests(&self) -> usize {
        self.inner.world().token_requests
    }

    /// Every committed create, update and conversation, in order.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.inner.world().recorded.clone()
    }

    /// Every Connector call, in order, with its answer's status.
    pub fn log(&self) -> Vec<Logged> {
        self.inner.world().log.clone()
    }

    /// How many committed calls of `op` have a body containing `marker`.
    pub fn copies(&self, op: Op, marker: &str) -> usize {
        self.recorded()
            .iter()
            .filter(|r| r.op == op && r.body.to_string().contains(marker))
            .count()
    }
}

async fn issue_token(
    State(inner): State<Arc<Inner>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers.get("content-type").is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(form) if form_type => form,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "AADSTS900144: form body expected",
            )
        }
    };
    let mut world = inner.world();
    world.token_requests += 1;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    // What Entra ID checks, in its order, and how it refuses each.
    let refusals = [
        (
            tenant == inner.tenant,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS90002: tenant not found",
        ),
        (
            field("grant_type") == "client_credentials",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003",
        ),
        (
            field("scope") == super::connector::CONNECTOR_SCOPE,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS70011",
        ),
        (
            field("client_id") == inner.client_id,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "AADSTS700016",
        ),
        (
            field("client_secret") == inner.secret,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: invalid client secret",
        ),
    ];
    if let Some((_, status, error, description)) = refusals.iter().find(|r| !r.0) {
        return oauth_error(*status, error, description);
    }
    let lifetime = world.token_lifetime.unwrap_or(Duration::from_secs(3600));
    let token = format!("emu-{}", uuid::Uuid::new_v4().simple());
    world
        .tokens
        .insert(token.clone(), Instant::now() + lifetime);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": token,
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn create(
    State(inner): State<Arc<Inner>>,
    Path(conversation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&inner, Op::Create, conversation, None, &headers, &body).await
}

async fn update(
    State(inner): State<Arc<Inner>>,
    Path((conversation, activity)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &inner,
        Op::Update,
        conversation,
        Some(activity),
        &headers,
        &body,
    )
    .await
}

async fn create_conversation(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &inner,
        Op::CreateConversation,
        String::new(),
        None,
        &headers,
        &body,
    )
    .await
}

/// Checks, faults, limits, commit, in the order the real service would refuse.
async fn handle(
    inner: &Inner,
    op: Op,
    conversation: String,
    activity_id: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let (response, stall) = {
        let mut world = inner.world();
        let (response, stall) = decide(&mut world, headers, op, &conversation, activity_id, body);
        world.log.push(Logged {
            op,
            conversation,
            status: response.status().as_u16(),
            at: Instant::now(),
        });
        (response, stall)
    };
    if let Some(stall) = stall {
        tokio::time::sleep(stall).await;
    }
    response
}
