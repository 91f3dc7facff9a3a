//! Slack's side of the delivery seam: renders a notice with the Slack templates (or takes a
//! payload an earlier release stored), threads and targets it with the resolved `ts`, and posts,
//! updates or uploads through the Web API client. An earlier attempt is found in the channel's
//! history by the outbox id in the message metadata.

use super::platform::{Failure, Outgoing};
use crate::slack::{ApiFailure, Renderer, SlackApi};
use crate::store::{ClaimedMessage, OutboxBody};
use serde_json::{json, Value};

/// The Slack Web API client and the renderer for notices.
#[derive(Debug, Clone)]
pub struct SlackClient {
    api: SlackApi,
    render: Renderer,
}

/// What one row becomes in Slack.
enum SlackMessage {
    /// `chat.postMessage`, `chat.postEphemeral` or `chat.update` with this payload.
    Message(Value),
    /// A file (the digest's chart) shared in the channel.
    File {
        name: String,
        title: String,
        bytes: Vec<u8>,
    },
}

impl From<ApiFailure> for Failure {
    fn from(failure: ApiFailure) -> Failure {
        match failure {
            ApiFailure::RateLimited { retry_after } => Failure::RateLimited { retry_after },
            ApiFailure::Transient { reason, maybe_sent } => {
                Failure::Transient { reason, maybe_sent }
            }
            ApiFailure::Permanent { reason } => Failure::Permanent { reason },
        }
    }
}

impl SlackClient {
    /// Delivers through `api`, rendering notices with `render`.
    pub fn new(api: SlackApi, render: Renderer) -> SlackClient {
        SlackClient { api, render }
    }

    /// What `out` becomes in Slack; a permanent failure when it cannot be rendered.
    fn prepare(&self, out: &Outgoing<'_>) -> Result<SlackMessage, Failure> {
        let mut payload = match &out.body {
            OutboxBody::Notice(notice) => crate::slack::notices::render(&self.render, notice)
                .map_err(|e| Failure::Permanent {
                    reason: format!("could not render the notice: {e:#}"),
                })?,
            OutboxBody::Payload(payload) => payload.clone(),
        };
        if let Some(file) = payload.get("file") {
            return file_of(file);
        }
        let Some(fields) = payload.as_object_mut() else {
            return Err(Failure::Permanent {
                reason: "stored payload is not a JSON object".into(),
            });
        };
        fields.remove("response_type");
        if let Some(ts) = &out.thread {
            fields.insert("thread_ts".into(), json!(ts));
        }
        if let Some(ts) = &out.replaces {
            fields.insert("ts".into(), json!(ts));
        }
        Ok(SlackMessage::Message(payload))
    }

    /// Only new posts can land twice: ephemeral messages have no history, updates are
    /// idempotent, and files are not looked for.
    pub fn can_land_twice(&self, out: &Outgoing<'_>) -> bool {
        let stored_update_or_file = match &out.body {
            OutboxBody::Payload(p) => p.get("ts").is_some() || p.get("file").is_some(),
            OutboxBody::Notice(notice) => crate::slack::notices::is_file(notice),
        };
        out.row.ephemeral_user.is_none() && out.replaces.is_none() && !stored_update_or_file
    }

    /// The `ts` of the message an earlier attempt at `row` posted since `since_ms`.
    pub async fn find_earlier(
        &self,
        row: &ClaimedMessage,
        since_ms: i64,
    ) -> Result<Option<String>, Failure> {
        Ok(self
            .api
            .find_outbox_message(&row.channel, row.id, since_ms)
            .await?)
    }

    /// Renders and sends `out`; Slack's `ts` of the message when it gives one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, Failure> {
        let row = out.row;
        match self.prepare(out)? {
            SlackMessage::Message(payload) => Ok(self
                .api
                .post_message(
                    &row.channel,
                    row.ephemeral_user.as_deref(),
                    &payload,
                    row.id,
                )
                .await?),
            SlackMessage::File { name, title, bytes } => {
                self.api
                    .upload_file(&row.channel, &name, &title, bytes)
                    .await?;
                Ok(None)
            }
        }
    }
}

/// A stored file: base64 PNG bytes, a file name and a title.
fn file_of(file: &Value) -> Result<SlackMessage, Failure> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file["png_base64"].as_str().unwrap_or_default())
        .map_err(|e| Failure::Permanent {
            reason: format!("stored file is not base64: {e}"),
        })?;
    Ok(SlackMessage::File {
        name: file["filename"].as_str().unwrap_or("file.png").to_string(),
        title: file["title"].as_str().unwrap_or_default().to_string(),
        bytes,
    })
}
