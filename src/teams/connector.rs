//! The Bot Framework Connector client: creates activities in a conversation (new posts, and
//! replies in a channel's reply chain through the `{conversation};messageid={root}` id), updates
//! them in place, and creates 1:1 conversations for proactive messages.
//!
//! **Token.** A client-credentials token for our own tenant (single-tenant bot) from
//! `TEAMS_TOKEN_URL`, cached until five minutes before it expires (half its life when it is
//! shorter), fetched by one caller at a time. A Connector 401 drops the token, fetches a new one
//! and repeats the call once; a second 401 is a permanent failure, never a loop. Neither the
//! token nor the app password is ever logged, and a token is only sent to a `serviceUrl`
//! [`TeamsSettings::allows_service_url`] accepts: any other is refused before a token is even
//! fetched.
//!
//! **Failures** ([`ConnectorError`]), by what the caller may safely do next:
//!
//! - 429: the service did nothing. [`ConnectorError::Throttled`], with `Retry-After` when sent.
//! - 412, a connection that could not be opened, and a token endpoint that fails: nothing was
//!   done. [`ConnectorError::Retry`].
//! - 408, 5xx, a timeout or a broken connection once the request was sent: on an *update* (PUT)
//!   or a 1:1 conversation create (Teams answers the same conversation for the same user), the
//!   call is safe to repeat: [`ConnectorError::Retry`]. On an activity *create* (POST) the
//!   Connector may have posted the message and lost only the answer; it takes no idempotency key
//!   and cannot list what was posted, so repeating could post it twice:
//!   [`ConnectorError::Unknown`], which the caller must never replay blindly.
//! - 400, 401 after the refresh, 403 (`MessageWritesBlocked`: the user blocked the bot or it
//!   was removed), 404 and 413 (`MessageSizeTooBig`): [`ConnectorError::Permanent`], with a
//!   reason code first (`conversation_blocked: …`).

use super::settings::TeamsSettings;
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The scope of Bot Framework Connector tokens.
pub const CONNECTOR_SCOPE: &str = "https://api.botframework.com/.default";

/// Longest one Connector or token call may take; shorter than the worker's send timeout, so the
/// client classifies its own timeouts (create or update) before the worker gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A token is renewed this long before it expires (Microsoft's tokens live an hour).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A Connector call that did not succeed, by what may safely be done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    /// 429: nothing was done; wait `retry_after` when the service said, else back off.
    Throttled { retry_after: Option<Duration> },
    /// Nothing was done, or the call is safe to repeat: try again after a backoff.
    Retry { reason: String },
    /// An activity create that may have been posted: never repeat it blindly.
    Unknown { reason: String },
    /// Refused for good; `reason` starts with a code (`conversation_blocked`, …).
    Permanent { reason: String },
}

/// Whether repeating a call can leave a second copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replay {
    Safe,
    Unsafe,
}

#[derive(Clone)]
struct Token {
    value: SecretString,
    renew_at: Instant,
}

/// The Connector client; clones share one token cache.
#[derive(Clone)]
pub struct Connector {
    http: reqwest::Client,
    settings: Arc<TeamsSettings>,
    token: Arc<Mutex<Option<Token>>>,
}

impl std::fmt::Debug for Connector {
    /// Never shows the token or the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A client for the bot `settings` describe.
    pub fn new(settings: TeamsSettings) -> anyhow::Result<Connector> {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| anyhow::anyhow!("building the Connector HTTP client: {e}"))?;
        Ok(Connector {
            http,
            settings: Arc::new(settings),
            token: Arc::default(),
        })
    }

    /// The bot's app id.
    pub fn app_id(&self) -> &str {
        &self.settings.app_id
    }

    /// Our own tenant.
    pub fn tenant_id(&self) -> &str {
        &self.settings.tenant_id
    }

    /// Posts `activity` in `conversation` (a reply-chain id posts in that chain); the new
    /// activity's id.
    pub async fn create_activity(
        &self,
        service_url: &str,
        conversation: &str,
        activity: &Value,
    ) -> Result<String, ConnectorError> {
        let url = endpoint(
            service_url,
            &["v3", "conversations", conversation, "activities"],
        )?;
        let answer = self
            .call(service_url, Method::POST, url, activity, Replay::Unsafe)
            .await?;
        id_of(&answer)
    }

    /// Replaces activity `activity_id` of `conversation` with `activity` (idempotent).
    pub async fn update_activity(
        &self,
        service_url: &str,
        conversation: &str,
        activity_id: &str,
        activity: &Value,
    ) -> Result<(), ConnectorError> {
        let url = endpoint(
            service_url,
            &[
                "v3",
                "conversations",
                conversation,
                "activities",
                activity_id,
            ],
        )?;
        self.call(service_url, Method::PUT, url, activity, Replay::Safe)
            .await
            .map(|_| ())
    }

    /// The 1:1 conversation between the bot and `user` of `tenant`; its id.
    pub async fn create_personal_conversation(
        &self,
        service_url: &str,
        user: &str,
        tenant: &str,
    ) -> Result<String, ConnectorError> {
        let url = endpoint(service_url, &["v3", "conversations"])?;
        let params = json!({
            "isGroup": false,
            "bot": { "id": format!("28:{}", self.settings.app_id) },
            "members": [{ "id": user }],
            "tenantId": tenant,
            "channelData": { "tenant": { "id": tenant } },
        });
        let answer = self
            .call(service_url, Method::POST, url, &params, Replay::Safe)
            .await?;
        id_of(&answer)
    }

    /// One call with the cached token, repeated once with a fresh token after a 401.
    async fn call(
        &self,
        service_url: &str,
        method: Method,
        url: Url,
        body: &Value,
        replay: Replay,
    ) -> Result<Value, ConnectorError> {
        if !self.settings.allows_service_url(service_url) {
            return Err(ConnectorError::Permanent {
                reason: format!(
                    "service_url_not_allowed: {service_url} is not in TEAMS_ALLOWED_SERVICE_URLS"
                ),
            });
        }
        let token = self.token().await?;
        let first = self.send(&method, &url, body, &token, replay).await?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return answer(first, replay).await;
        }
        tracing::info!("the Connector refused our token: fetching a new one and trying once more");
        self.forget(&token).await;
        let token = self.token().await?;
        let second = self.send(&method, &url, body, &token, replay).await?;
        if second.status() == StatusCode::UNAUTHORIZED {
            return Err(ConnectorError::Permanent {
                reason: "unauthorized: the Connector refused a freshly issued token (check MICROSOFT_APP_ID / MICROSOFT_APP_TENANT_ID)".into(),
            });
        }
        answer(second, replay).await
    }

    async fn send(
        &self,
        method: &Method,
        url: &Url,
        body: &Value,
        token: &SecretString,
        replay: Replay,
    ) -> Result<reqwest::Response, ConnectorError> {
        self.http
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| unanswered(&e, replay))
    }

    /// The cached token, or a new one when it is due for renewal.
    async fn token(&self) -> Result<SecretString, ConnectorError> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *slot = Some(fresh);
        Ok(value)
    }

    /// Drops `used` from the cache (unless another caller already replaced it).
    async fn forget(&self, used: &SecretString) {
        let mut slot = self.token.lock().await;
        if slot
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == used.expose_secret())
        {
            *slot = None;
        }
    }

    /// A client-credentials token. Its failures are retried: nothing was sent to Teams, and a
    /// wrong secret is logged loudly rather than failing every message for good.
    async fn fetch_token(&self) -> Result<Token, ConnectorError> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("client_id", self.settings.app_id.as_str()),
            ("client_secret", self.settings.app_password.expose_secret()),
            ("scope", CONNECTOR_SCOPE),
        ])
        .map_err(|e| retry(format!("encoding the token request: {e}")))?;
        let response = self
            .http
            .post(&self.settings.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| retry(format!("token endpoint unreachable: {}", e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            // The body names the problem (AADSTS codes) and holds no secret.
            let detail: String = response.text().await.unwrap_or_default();
            let detail: String = detail.chars().take(300).collect();
            tracing::error!(%status, detail = %detail, "the token endpoint refused our credentials: check MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD / MICROSOFT_APP_TENANT_ID");
            return Err(retry(format!("token endpoint answered {status}")));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| retry(format!("token answer unreadable: {}", e.without_url())))?;
        let (Some(value), Some(lifetime)) = (body["access_token"].as_str(), expires_in(&body))
        else {
            return Err(retry("token answer without access_token/expires_in".into()));
        };
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        Ok(Token {
            value: SecretString::from(value.to_string()),
            renew_at: Instant::now() + lifetime - margin,
        })
    }
}

fn retry(reason: String) -> ConnectorError {
    ConnectorError::Retry { reason }
}

/// `expires_in`, which identity platforms send as a number or as a numeric string.
fn expires_in(body: &Value) -> Option<Duration> {
    let secs = match &body["expires_in"] {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// `{service_url}/{segments…}`, each segment escaped (conversation ids hold `:`, `@`, `;`).
fn endpoint(service_url: &str, segments: &[&str]) -> Result<Url, ConnectorError> {
    let permanent = |why: &str| ConnectorError::Permanent {
        reason: format!("bad_service_url: {service_url} {why}"),
    };
    let mut url = Url::parse(service_url).map_err(|_| permanent("is not a URL"))?;
    url.path_segments_mut()
        .map_err(|_| permanent("cannot have a path"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// The `id` of a Connector answer.
fn id_of(answer: &Value) -> Result<String, ConnectorError> {
    answer["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ConnectorError::Permanent {
            reason: format!("bad_answer: the Connector answered without an id: {answer}"),
        })
}

/// A request that got no answer: never sent (connection refused) or maybe acted on.
fn unanswered(e: &reqwest::Error, replay: Replay) -> ConnectorError {
    let what = if e.is_timeout() {
        "timed out"
    } else {
        "connection failed"
    };
    let reason = format!("Connector call {what}: {}", sources(e));
    if e.is_connect() {
        return ConnectorError::Retry { reason };
    }
    ambiguous(reason, replay)
}

/// An outcome that may have been applied: repeatable only when repeating is harmless.
fn ambiguous(reason: String, replay: Replay) -> ConnectorError {
    match replay {
        Replay::Safe => ConnectorError::Retry { reason },
        Replay::Unsafe => ConnectorError::Unknown { reason },
    }
}

fn sources(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Reads an answered call: its JSON body on success, else the failure by status.
async fn answer(response: reqwest::Response, replay: Replay) -> Result<Value, ConnectorError> {
    let status = response.status();
    let operation = response
        .headers()
        .get("x-correlating-operationid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
    }
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    tracing::warn!(%status, code = %code, operation_id = %operation, "the Connector refused a call");
    Err(classify(status, &code, retry_after, replay))
}

/// What a refusal means (see the module docs).
fn classify(
    status: StatusCode,
    code: &str,
    retry_after: Option<Duration>,
    replay: Replay,
) -> ConnectorError {
    let detail = format!("HTTP {} {code}", status.as_u16());
    let permanent = |kind: &str| ConnectorError::Permanent {
        reason: format!("{kind}: {}", detail.trim_end()),
    };
    match status.as_u16() {
        429 => ConnectorError::Throttled { retry_after },
        412 => ConnectorError::Retry { reason: detail },
        408 | 500..=599 => ambiguous(detail, replay),
        403 => permanent("conversation_blocked"),
        404 => permanent("conversation_not_found"),
        413 => permanent("message_too_large"),
        401 => permanent("unauthorized"),
        _ => permanent("refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_creates_are_left_unknown_after_a_server_error() {
        let s = |code| StatusCode::from_u16(code).expect("status");
        for code in [502, 504, 500, 408] {
            assert!(matches!(
                classify(s(code), "", None, Replay::Unsafe),
                ConnectorError::Unknown { .. }
            ));
            assert!(matches!(
                classify(s(code), "", None, Replay::Safe),
                ConnectorError::Retry { .. }
            ));
        }
        assert!(matches!(
            classify(s(412), "", None, Replay::Unsafe),
            ConnectorError::Retry { .. }
        ));
        assert_eq!(
            classify(s(429), "", Some(Duration::from_secs(3)), Replay::Unsafe),
            ConnectorError::Throttled {
                retry_after: Some(Duration::from_secs(3))
            }
        );
        let blocked = classify(s(403), "MessageWritesBlocked", None, Replay::Unsafe);
        assert_eq!(
            blocked,
            ConnectorError::Permanent {
                reason: "conversation_blocked: HTTP 403 MessageWritesBlocked".into()
            }
        );
    }

    #[test]
    fn endpoints_escape_conversation_ids_and_keep_the_service_path() {
        let url = endpoint(
            "https://smba.trafficmanager.net/amer/",
            &[
                "v3",
                "conversations",
                "19:a/b@thread.tacv2;messageid=1",
                "activities",
            ],
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "https://smba.trafficmanager.net/amer/v3/conversations/19:a%2Fb@thread.tacv2;messageid=1/activities"
        );
    }
}
