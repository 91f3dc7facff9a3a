//! The Slack Web API client: slack-morphism's hyper connector (auth header, JSON, 429 with
//! `Retry-After` mapped to a typed error), base URL from `SLACK_API_URL`, with our rendered Block
//! Kit JSON posted as is. Every failure is classified so the delivery worker knows whether to wait,
//! retry, or give up, and whether the message might already be in the channel.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

type Connector = SlackClientHyperConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;

/// Slack's own guidance: one message per second per channel; when it says "ratelimited"
/// without a `Retry-After`, waiting that long is enough.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Longest we wait for any Web API call before treating it as failed (and maybe sent).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// `metadata.event_type` on every message we post; its payload carries the outbox id.
pub const OUTBOX_EVENT_TYPE: &str = "partnerbot_outbox";
/// Permalinks kept in memory (about 100 bytes each); the cache starts over when full.
const MAX_CACHED_PERMALINKS: usize = 50_000;
/// Messages per `conversations.history` page (Slack recommends no more than 200).
const HISTORY_PAGE: u32 = 200;
/// Pages read when looking for an earlier attempt: 200,000 messages since the first attempt.
const MAX_HISTORY_PAGES: usize = 1_000;

/// A Web API call that did not succeed, by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiFailure {
    /// Slack refused because of rate limits; nothing was done. Try again after the pause.
    #[error("rate limited, retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// A server error, timeout or broken connection. `maybe_sent`: Slack may have acted on it.
    #[error("transient failure: {reason}")]
    Transient { reason: String, maybe_sent: bool },
    /// Slack answered with an error that retrying will not fix (`channel_not_found`, …).
    #[error("Slack refused: {reason}")]
    Permanent { reason: String },
}

/// Slack error codes that mean "try again later" rather than "this request is wrong".
const TRANSIENT_CODES: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
];

fn classify(err: SlackClientError) -> ApiFailure {
    match err {
        SlackClientError::RateLimitError(e) => ApiFailure::RateLimited {
            retry_after: e.retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        },
        SlackClientError::ApiError(e) if e.code == "ratelimited" => ApiFailure::RateLimited {
            retry_after: DEFAULT_RETRY_AFTER,
        },
        SlackClientError::ApiError(e) if TRANSIENT_CODES.contains(&e.code.as_str()) => {
            ApiFailure::Transient {
                reason: e.code,
                maybe_sent: true,
            }
        }
        SlackClientError::ApiError(e) => ApiFailure::Permanent { reason: e.code },
        SlackClientError::HttpError(e) if e.status_code.is_server_error() => {
            ApiFailure::Transient {
                reason: format!("HTTP {}", e.status_code),
                maybe_sent: true,
            }
        }
        SlackClientError::HttpError(e) => ApiFailure::Permanent {
            reason: format!("HTTP {}", e.status_code),
        },
        other => ApiFailure::Transient {
            reason: other.to_string(),
            maybe_sent: true,
        },
    }
}

/// A Slack Web API client bound to the bot token. Cheap to clone.
#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackClient<Connector>>,
    token: Arc<SlackApiToken>,
    /// For the calls slack-morphism does not cover: the file upload itself (to the URL Slack
    /// hands out) and reading `x-oauth-scopes`.
    http: reqwest::Client,
    base_url: Arc<str>,
    /// Permalinks already asked for, by (channel, ts): a message's link never changes.
    permalinks: Arc<std::sync::Mutex<std::collections::HashMap<(String, String), String>>>,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlackApi { token: *** }")
    }
}

impl SlackApi {
    /// A client for the Web API at `base_url` (`https://slack.com/api`, or an emulator).
    pub fn new(base_url: &str, token: &SecretString) -> anyhow::Result<SlackApi> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| anyhow::anyhow!("loading the system's TLS root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let connector =
            SlackClientHyperConnector::with_connector(https).with_slack_api_url(base_url);
        Ok(SlackApi {
            http: reqwest::Client::builder()
                .timeout(CALL_TIMEOUT)
                .build()
                .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?,
            base_url: Arc::from(base_url.trim_end_matches('/')),
            client: Arc::new(SlackClient::new(connector)),
            token: Arc::new(SlackApiToken::new(SlackApiTokenValue(
                token.expose_secret().to_string(),
            ))),
            permalinks: Arc::default(),
        })
    }

    async fn post(
        &self,
        method: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, ApiFailure> {
        let session = self.client.open_session(&self.token);
        match tokio::time::timeout(
            timeout,
            session
                .http_session_api
                .http_post::<Value, Value>(method, body, None),
        )
        .await
        {
            Ok(result) => result.map_err(classify),
            Err(_) => Err(ApiFailure::Transient {
                reason: format!("{method} timed out after {timeout:?}"),
                maybe_sent: true,
            }),
        }
    }

    async fn get(
        &self,
        method: &str,
        params: &[(&str, Option<String>)],
    ) -> Result<Value, ApiFailure> {
        let session = self.client.open_session(&self.token);
        let params = params.to_vec();
        let call = session
            .http_session_api
            .http_get::<Value, _, String>(method, &params, None);
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => result.map_err(classify),
            Err(_) => Err(ApiFailure::Transient {
                reason: format!("{method} timed out"),
                maybe_sent: false,
            }),
        }
    }

    /// Posts a rendered message (`text`, `blocks`, optional `thread_ts`) to `channel`, or as an
    /// ephemeral message to `ephemeral_user` there. The outbox id rides along in message
    /// metadata so a later attempt can tell whether this one arrived. Returns Slack's `ts`.
    pub async fn post_message(
        &self,
        channel: &str,
        ephemeral_user: Option<&str>,
        payload: &Value,
        outbox_id: i64,
    ) -> Result<Option<String>, ApiFailure> {
        let mut body = payload.clone();
        let Some(fields) = body.as_object_mut() else {
            return Err(ApiFailure::Permanent {
                reason: "stored payload is not a JSON object".into(),
            });
        };
        fields.insert("channel".into(), json!(channel));
        // A payload carrying `ts` replaces that message in place (chat.update is idempotent).
        let method = match (ephemeral_user, fields.contains_key("ts")) {
            (Some(user), _) => {
                fields.insert("user".into(), json!(user));
                "chat.postEphemeral"
            }
            (None, true) => "chat.update",
            (None, false) => {
                fields.insert(
                    "metadata".into(),
                    json!({ "event_type": OUTBOX_EVENT_TYPE, "event_payload": { "outbox_id": outbox_id.to_string() } }),
                );
                "chat.postMessage"
            }
        };
        let answer = self.post(method, &body, CALL_TIMEOUT).await?;
        Ok(answer
            .get("ts")
            .or_else(|| answer.get("message_ts"))
            .and_then(Value::as_str)
            .map(str::to_string))
    }

    /// Looks for a message we posted for `outbox_id` in `channel` since `since_ms`; its `ts` if
    /// found. Pages through the channel's history back to that moment, so an earlier post is
    /// found however many messages came after it.
    pub async fn find_outbox_message(
        &self,
        channel: &str,
        outbox_id: i64,
        since_ms: i64,
    ) -> Result<Option<String>, ApiFailure> {
        // A little slack before the first attempt covers clock skew between us and Slack.
        let oldest = format!("{:.6}", (since_ms - 60_000) as f64 / 1000.0);
        let wanted = outbox_id.to_string();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_HISTORY_PAGES {
            let params = [
                ("channel", Some(channel.to_string())),
                ("oldest", Some(oldest.clone())),
                ("include_all_metadata", Some("true".to_string())),
                ("limit", Some(HISTORY_PAGE.to_string())),
                ("cursor", cursor.clone()),
            ];
            let answer = self.get("conversations.history", &params).await?;
            let found = answer["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| {
                    m["metadata"]["event_type"] == OUTBOX_EVENT_TYPE
                        && m["metadata"]["event_payload"]["outbox_id"] == wanted.as_str()
                });
            if let Some(m) = found {
                return Ok(m["ts"].as_str().map(str::to_string));
            }
            cursor = answer["response_metadata"]["next_cursor"]
                .as_str()
                .filter(|c| !c.is_empty() && answer["has_more"] == true)
                .map(str::to_string);
            if cursor.is_none() {
                return Ok(None);
            }
        }
        // Not knowing is not the same as absent: try again later rather than risk a repeat.
        Err(ApiFailure::Transient {
            reason: format!("history of {channel} longer than {MAX_HISTORY_PAGES} pages"),
            maybe_sent: true,
        })
    }

    /// Opens a modal for the `trigger_id` of a command or click. Slack voids trigger ids after
    /// 3 seconds, so the call is cut short well before that.
    pub async fn open_view(
        &self,
        trigger_id: &str,
        view: &Value,
        timeout: Duration,
    ) -> Result<(), ApiFailure> {
        let body = json!({ "trigger_id": trigger_id, "view": view });
        self.show_view("views.open", &body, timeout).await
    }

    /// `chat.getPermalink`: a link that opens message `ts` of `channel` (in its thread for a
    /// reply), remembered for the life of the process.
    pub async fn permalink(&self, channel: &str, ts: &str) -> Result<String, ApiFailure> {
        let key = (channel.to_string(), ts.to_string());
        if let Some(link) = self.cached_permalink(&key) {
            return Ok(link);
        }
        let answer = self
            .get(
                "chat.getPermalink",
                &[
                    ("channel", Some(channel.to_string())),
                    ("message_ts", Some(ts.to_string())),
                ],
            )
            .await?;
        let link = answer["permalink"]
            .as_str()
            .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
            .ok_or_else(|| ApiFailure::Permanent {
                reason: "chat.getPermalink answered without a link".into(),
            })?
            .to_string();
        let mut cache = self.permalinks.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED_PERMALINKS {
            cache.clear();
        }
        cache.insert(key, link.clone());
        Ok(link)
    }

    fn cached_permalink(&self, key: &(String, String)) -> Option<String> {
        let cache = self.permalinks.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(key).cloned()
    }

    /// `views.publish`: shows `view` (a `home` view) as `user`'s Home tab of the app.
    pub async fn publish_home(&self, user: &str, view: &Value) -> Result<(), ApiFailure> {
        let body = json!({ "user_id": user, "view": view });
        self.show_view("views.publish", &body, CALL_TIMEOUT).await
    }

    /// A `views.*` call (`body` names the view and whom it is shown to); Slack's answer
    /// carries nothing partnerbot keeps.
    async fn show_view(
        &self,
        method: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<(), ApiFailure> {
        self.post(method, body, timeout).await.map(|_| ())
    }

    /// `conversations.info`: the raw channel object (Slack Connect fields included).
    pub async fn conversation_info(&self, channel: &str) -> Result<Value, ApiFailure> {
        let answer = self
            .get(
                "conversations.info",
                &[("channel", Some(channel.to_string()))],
            )
            .await?;
        Ok(answer["channel"].clone())
    }

    /// `users.info`: the IANA time zone `user` set in Slack (`tz`), `None` when there is none.
    pub async fn user_time_zone(&self, user: &str) -> Result<Option<String>, ApiFailure> {
        let answer = self
            .get("users.info", &[("user", Some(user.to_string()))])
            .await?;
        Ok(answer["user"]["tz"]
            .as_str()
            .filter(|tz| !tz.is_empty())
            .map(str::to_string))
    }

    /// `users.lookupByEmail`: the Slack user id for an e-mail, `None` when nobody has it.
    pub async fn lookup_user_by_email(&self, email: &str) -> Result<Option<String>, ApiFailure> {
        match self
            .get("users.lookupByEmail", &[("email", Some(email.to_string()))])
            .await
        {
            Ok(answer) => Ok(answer["user"]["id"].as_str().map(str::to_string)),
            Err(ApiFailure::Permanent { reason }) if reason == "users_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uploads a file without sharing it anywhere (a private file of the bot's, which the bot's
    /// messages can show in an `image` block) with Slack's upload flow:
    /// `files.getUploadURLExternal`, the upload itself, then `files.completeUploadExternal`
    /// without a channel. Returns the file's id.
    pub async fn upload_private_file(
        &self,
        filename: &str,
        title: &str,
        alt_text: &str,
        bytes: Vec<u8>,
    ) -> Result<String, ApiFailure> {
        let params = [
            ("filename", Some(filename.to_string())),
            ("length", Some(bytes.len().to_string())),
            ("alt_txt", Some(alt_text.to_string())),
        ];
        let target = self.get("files.getUploadURLExternal", &params).await?;
        let (Some(url), Some(file_id)) =
            (target["upload_url"].as_str(), target["file_id"].as_str())
        else {
            return Err(ApiFailure::Permanent {
                reason: "files.getUploadURLExternal gave no upload_url".into(),
            });
        };
        let transient = |reason: String| ApiFailure::Transient {
            reason,
            maybe_sent: false,
        };
        let upload =
            tokio::time::timeout(CALL_TIMEOUT, self.http.post(url).body(bytes).send()).await;
        match upload {
            Ok(Ok(r)) if r.status().is_success() => {}
            Ok(Ok(r)) => return Err(transient(format!("file upload answered {}", r.status()))),
            Ok(Err(e)) => return Err(transient(format!("file upload failed: {e}"))),
            Err(_) => return Err(transient("file upload timed out".into())),
        }
        // No `channel_id`: the file stays private, shown only where a message names it.
        let complete = json!({ "files": [{ "id": file_id, "title": title }] });
        self.post("files.completeUploadExternal", &complete, CALL_TIMEOUT)
            .await?;
        Ok(file_id.to_string())
    }

    /// The scopes the installed app was granted (`x-oauth-scopes` on `auth.test`), as Slack
    /// lists them (comma-separated).
    pub async fn granted_scopes(&self) -> Result<String, ApiFailure> {
        let answer = self
            .http
            .post(format!("{}/auth.test", self.base_url))
            .bearer_auth(self.token.token_value.0.as_str())
            .send()
            .await
            .map_err(|e| ApiFailure::Transient {
                reason: format!("auth.test: {e}"),
                maybe_sent: false,
            })?;
        match answer.headers().get("x-oauth-scopes") {
            Some(v) => Ok(v.to_str().unwrap_or_default().to_string()),
            None => Err(ApiFailure::Permanent {
                reason: format!(
                    "auth.test answered {} without x-oauth-scopes",
                    answer.status()
                ),
            }),
        }
    }

    /// `apps.connections.open` with the app-level token (`xapp-`, `connections:write`): the
    /// WebSocket URL of a new Socket Mode connection.
    pub async fn open_connection(&self, app_token: &SecretString) -> Result<String, ApiFailure> {
        let transient = |reason: String| ApiFailure::Transient {
            reason,
            maybe_sent: false,
        };
        let answer = self
            .http
            .post(format!("{}/apps.connections.open", self.base_url))
            .bearer_auth(app_token.expose_secret())
            .send()
            .await
            .map_err(|e| transient(format!("apps.connections.open: {e}")))?;
        if answer.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
            || answer.status().is_server_error()
        {
            return Err(transient(format!(
                "apps.connections.open answered {}",
                answer.status()
            )));
        }
        let body: Value = answer
            .json()
            .await
            .map_err(|e| transient(format!("apps.connections.open: {e}")))?;
        match body["url"].as_str() {
            Some(url) if body["ok"] == true => Ok(url.to_string()),
            _ => Err(ApiFailure::Permanent {
                reason: body["error"].as_str().unwrap_or("no url").to_string(),
            }),
        }
    }

    /// `auth.test`: who the token belongs to (bot user and team).
    pub async fn auth_test(&self) -> Result<Value, ApiFailure> {
        self.post("auth.test", &json!({}), CALL_TIMEOUT).await
    }
}

/// Teams other than `home_team` that share a channel, from a `conversations.info` channel object.
pub fn external_teams(channel: &Value, home_team: Option<&str>) -> Vec<String> {
    let mut teams: Vec<String> = ["connected_team_ids", "shared_team_ids"]
        .iter()
        .flat_map(|key| channel[*key].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|t| {
            Some(t.as_str()) != home_team && Some(t.as_str()) != channel["context_team_id"].as_str()
        })
        .collect();
    teams.sort();
    teams.dedup();
    teams
}

impl crate::service::accounts::Directory for SlackApi {
    fn platform(&self) -> &'static str {
        "Slack"
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<String>, String> {
        self.lookup_user_by_email(email)
            .await
            .map_err(|e| e.to_string())
    }
}

impl crate::service::zones::TimeZones for SlackApi {
    fn platform(&self) -> crate::chat::Platform {
        crate::chat::Platform::Slack
    }

    fn time_zone<'a>(&'a self, user: &'a str) -> crate::service::zones::ZoneAnswer<'a> {
        Box::pin(async move { self.user_time_zone(user).await.map_err(|e| e.to_string()) })
    }
}
