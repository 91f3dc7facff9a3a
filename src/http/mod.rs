//! The axum router. Slack routes pass through signature verification before any handler sees
//! them; every route is counted and timed, and every request gets an id in its log span.

mod commands;
mod error;
mod events;
mod interactions;
pub mod shortcuts;
pub mod socket;
mod teams;
mod teams_dialogs;
mod teams_invokes;
mod teams_messages;

pub use error::AppError;

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::service::Service;
use crate::slack::verify::verify;
use crate::slack::{Renderer, SlackApi};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use tracing::Instrument;

/// Largest Slack request body accepted. Slack's biggest payloads (a modal with its full view
/// state) stay well under this; anything larger is not from Slack.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How long `/healthz` and `/metrics` wait for the database: a health check must answer fast,
/// whatever the database does.
const HEALTH_BUDGET: std::time::Duration = std::time::Duration::from_millis(800);

/// What handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub service: Service,
    /// Renders the service's answers for Slack.
    pub render: Renderer,
    pub slack: SlackApi,
    pub signing_secret: SecretString,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Our own Slack team (from `auth.test`), to tell partner teams apart in shared channels.
    pub home_team: Option<String>,
    /// Teams authentication, when Teams is configured (`MICROSOFT_APP_ID` …).
    pub teams: Option<Arc<crate::teams::Authenticator>>,
    /// The Slack Home tabs people opened.
    pub home: crate::home::HomeTabs,
}

/// Builds the router over `state`.
pub fn router(state: AppState) -> Router {
    let slack = slack_routes().layer(middleware::from_fn_with_state(state.clone(), verify_slack));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/teams/messages", post(teams::handle))
        .merge(slack)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Slack's three request kinds and their handlers, shared by HTTP and Socket Mode.
fn slack_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/slack/commands",
            post(commands::handle).layer(middleware::from_fn(within_slacks_budget)),
        )
        .route("/slack/interactions", post(interactions::handle))
        .route("/slack/events", post(events::handle))
}

/// The same Slack handlers for requests that arrive over Socket Mode: no signature (the
/// connection was opened with the app token), the same budget and observation.
pub fn socket_router(state: AppState) -> Router {
    slack_routes()
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Rejects with 401 anything not signed by Slack, before a handler runs. The reason is logged;
/// the body never is.
async fn verify_slack(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let declared_too_big = header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > MAX_BODY_BYTES);
    let bytes = match declared_too_big {
        true => None,
        false => axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok(),
    };
    let Some(bytes) = bytes else {
        tracing::warn!(
            reason = "body too large",
            limit = MAX_BODY_BYTES,
            "refused a Slack request"
        );
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let checked = verify(
        state.signing_secret.expose_secret().as_bytes(),
        header("x-slack-request-timestamp").as_deref(),
        header("x-slack-signature").as_deref(),
        &bytes,
        state.clock.now().timestamp(),
    );
    if let Err(reason) = checked {
        tracing::warn!(reason = %reason, "refused a Slack request");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(retry) = header("x-slack-retry-num") {
        tracing::info!(retry_num = %retry, retry_reason = header("x-slack-retry-reason").as_deref().unwrap_or("-"), "Slack retry");
    }
    let is_json = header("content-type").is_some_and(|t| t.contains("json"));
    let bytes = match crate::slack::sanitize::without_nul(&bytes, is_json) {
        Some(cleaned) => {
            tracing::info!("removed NUL characters from a signed request");
            Bytes::from(cleaned)
        }
        None => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Slack shows "operation_timeout" for a command not answered within 3 seconds. When the
/// database hangs, the person gets a clear answer instead.
const COMMAND_BUDGET: std::time::Duration = std::time::Duration::from_millis(2_700);

/// Answers a slash command within Slack's budget whatever the database does.
async fn within_slacks_budget(request: Request, next: Next) -> Response {
    match tokio::time::timeout(COMMAND_BUDGET, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(
                budget_ms = COMMAND_BUDGET.as_millis() as u64,
                "a slash command ran out of time (is the database reachable?)"
            );
            axum::Json(serde_json::json!({
                "response_type": "ephemeral",
                "text": ":hourglass: Sorry, the bot's database is not answering right now. Please try again in a minute; if you were registering a deal, check `/deal list` first.",
            }))
            .into_response()
        }
    }
}

/// Gives each request an id and a span, and records its outcome and latency.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, route = %route, slack_user = tracing::field::Empty, slack_team = tracing::field::Empty);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let outcome = match status.as_u16() {
        200..=299 => "ok",
        401 => "unauthorized",
        400..=499 => "client_error",
        _ => "server_error",
    };
    state
        .metrics
        .observe_request(&route, outcome, started.elapsed().as_secs_f64());
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    if let Ok(value) = request_id.parse() {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(HEALTH_BUDGET, state.service.store().ping()).await;
    match ping.unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "the database did not answer within {HEALTH_BUDGET:?}"
        ))
    }) {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format. The outbox figures are -1 when the database does not
/// answer within the health budget.
async fn metrics(State(state): State<AppState>) -> Response {
    let store = state.service.store();
    let measured = tokio::time::timeout(HEALTH_BUDGET, async {
        tokio::join!(store.outbox_depth(), store.oldest_pending_ms())
    })
    .await
    .unwrap_or_else(|_| {
        let late = || anyhow::anyhow!("the database did not answer within {HEALTH_BUDGET:?}");
        (Err(late()), Err(late()))
    });
    let (depth, oldest) = match measured {
        (Ok(depth), Ok(oldest)) => {
            let age_ms = oldest.map_or(0, |o| (state.clock.now_ms() - o).max(0));
            (depth, age_ms as f64 / 1000.0)
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = format!("{e:#}"), "could not measure the outbox");
            (-1, -1.0)
        }
    };
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(depth, oldest),
    )
        .into_response()
}

/// Records the Slack user and team on the request span.
fn record_actor(user: &str, team: Option<&str>) {
    let span = tracing::Span::current();
    span.record("slack_user", user);
    if let Some(team) = team {
        span.record("slack_team", team);
    }
}

/// A signed body that is not what it should be: logged (not its content) and acknowledged.
/// A slash command's author sees why (Slack shows a command's answer to its author only).
fn unparseable(route: &str, error: &str, bytes: &Bytes) -> Response {
    tracing::warn!(
        route,
        error,
        body_len = bytes.len(),
        "signed Slack payload could not be parsed; acknowledged"
    );
    if route == "/slack/commands" {
        let text = format!(
            ":warning: Sorry, that command arrived in a form I can't read ({}). Please try it again; if this keeps happening, tell your partner manager.",
            error.chars().take(200).collect::<String>()
        );
        return axum::Json(serde_json::json!({
            "response_type": "ephemeral",
            "text": crate::templates::escape_mrkdwn(&text),
        }))
        .into_response();
    }
    StatusCode::OK.into_response()
}
