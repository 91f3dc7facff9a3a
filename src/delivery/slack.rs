//! Slack's side of the delivery seam: renders a notice with the Slack templates (or takes a
//! payload an earlier release stored), threads and targets it with the resolved `ts`, and posts
//! or updates it through the Web API client. An earlier attempt is found in the channel's
//! history by the outbox id in the message metadata.
//!
//! A message that shows an image (the digest's chart) is one post: the image is uploaded first
//! as a private file, its id recorded on the outbox row before the post, and the message's
//! `image` block names it, so a retried post reuses the file instead of uploading it again.

use super::platform::{Failure, Outgoing};
use crate::clock::Clock;
use crate::notice::Platform;
use crate::slack::notices::{self, Upload, PENDING_FILE};
use crate::slack::render::ChartImage;
use crate::slack::{limits, links, ApiFailure, Renderer, SlackApi};
use crate::store::{ClaimedMessage, OutboxBody, Store};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The Slack Web API client and the renderer for notices.
#[derive(Debug, Clone)]
pub struct SlackClient {
    api: SlackApi,
    render: Renderer,
    /// Where uploaded images are recorded per outbox row, and deals' thread roots looked up.
    store: Store,
    clock: Clock,
    /// Whether deal ids in messages link to the deals' threads (else they stay text).
    link_deals: bool,
}

/// Outbox kinds whose message starts a deal's thread: the partner's confirmation in their
/// channel, the managers' review card.
const PARTNER_ROOTS: &[&str] = &["deal_confirmation"];
const INTERNAL_ROOTS: &[&str] = &["review_card", "deal_confirmation"];
/// Most deal ids linked in one message (each new one costs a `chat.getPermalink`).
const MAX_LINKED_DEALS: usize = 60;
/// Attempts during which a message whose image Slack does not accept yet (`invalid_blocks`:
/// Slack processes a fresh upload asynchronously) is retried with it. After them it goes out
/// without the image, saying so. With the worker's backoff (1 s, doubling) that gives Slack
/// about half a minute.
const IMAGE_ATTEMPTS: i64 = 6;
/// What a message says in place of an image Slack would not show.
const IMAGE_LEFT_OUT: &str =
    "_Slack would not show the chart this time; `partnerbot digest` writes it to a file._";

/// What one row becomes in Slack.
enum SlackMessage {
    /// `chat.postMessage`, `chat.postEphemeral` or `chat.update` with this payload.
    Message(Value),
    /// A new message whose `image` block names [`PENDING_FILE`]: `image` is uploaded first.
    WithImage { payload: Value, image: Image },
}

/// An image to upload, decoded.
struct Image {
    filename: String,
    title: String,
    alt_text: String,
    bytes: Vec<u8>,
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
    /// Delivers through `api`, rendering notices with `render` and recording uploads in `store`.
    pub fn new(api: SlackApi, render: Renderer, store: Store, clock: Clock) -> SlackClient {
        SlackClient {
            api,
            render,
            store,
            clock,
            link_deals: false,
        }
    }

    /// The same client, linking every deal id in a message to the deal's thread.
    pub fn linking_deals(mut self) -> SlackClient {
        self.link_deals = true;
        self
    }

    /// `payload` with its deal ids linked to their threads, for the people `row` goes to:
    /// partners only ever get links into their own channel's threads, internal readers to the
    /// managers' card (or the partner's thread). A message a link would push past Slack's
    /// limits, or whose links cannot be looked up, goes out as it was.
    async fn with_deal_links(&self, row: &ClaimedMessage, payload: Value) -> Value {
        if !self.link_deals {
            return payload;
        }
        // A thread root does not link its own deal: its thread is the one it starts, whether or
        // not the deal's other root (in another conversation) was delivered first.
        let starts_thread = INTERNAL_ROOTS.contains(&row.kind.as_str());
        let ids: Vec<i64> = links::deal_ids(&payload)
            .into_iter()
            .filter(|id| !(starts_thread && row.deal_id == Some(*id)))
            .take(MAX_LINKED_DEALS)
            .collect();
        if ids.is_empty() {
            return payload;
        }
        match self.deal_links(&row.channel, &ids).await {
            Ok(found) if !found.is_empty() => {
                let linked = links::link_deal_ids(&payload, &found);
                match limits::check(limits::Surface::Message, &linked) {
                    Ok(()) => linked,
                    Err(_) => payload,
                }
            }
            Ok(_) => payload,
            Err(e) => {
                tracing::warn!(outbox_id = row.id, error = %format!("{e:#}"), "deal ids left unlinked");
                payload
            }
        }
    }

    /// Permalinks of the thread roots of `ids` that readers of `channel` may open.
    async fn deal_links(&self, channel: &str, ids: &[i64]) -> anyhow::Result<HashMap<i64, String>> {
        let store = &self.store;
        let partner_facing = store.partner_by_channel(channel).await?.is_some()
            || store.partner_of_user(channel).await?.is_some();
        let kinds = if partner_facing {
            PARTNER_ROOTS
        } else {
            INTERNAL_ROOTS
        };
        let roots = store.deal_thread_roots(ids, kinds).await?;
        let mut found = HashMap::new();
        for id in ids {
            // A thread in this very conversation first, then by the kinds' order.
            let root = roots
                .iter()
                .filter(|r| r.deal_id == *id && r.platform == Platform::Slack.as_str())
                .min_by_key(|r| {
                    let rank = kinds.iter().position(|k| *k == r.kind);
                    (r.channel != channel, rank)
                });
            let Some(root) = root else { continue };
            match self
                .api
                .permalink(&root.channel, &root.platform_message_id)
                .await
            {
                Ok(link) => {
                    found.insert(*id, link);
                }
                Err(e) => {
                    tracing::warn!(deal_id = id, error = %e, "no permalink for a deal's thread")
                }
            }
        }
        Ok(found)
    }

    /// What `out` becomes in Slack; a permanent failure when it cannot be rendered.
    fn prepare(&self, out: &Outgoing<'_>) -> Result<SlackMessage, Failure> {
        let unrenderable = |e: anyhow::Error| Failure::Permanent {
            reason: format!("could not render the notice: {e:#}"),
        };
        let (mut payload, upload) = match &out.body {
            OutboxBody::Notice(notice) => (
                notices::render(&self.render, notice).map_err(unrenderable)?,
                notices::upload_of(notice),
            ),
            OutboxBody::Payload(payload) => match payload.get("file") {
                Some(file) => {
                    let upload = stored_file(file);
                    let chart = ChartImage {
                        file: PENDING_FILE.into(),
                        alt_text: upload.alt_text.clone(),
                        title: upload.title.clone(),
                    };
                    let payload = self.render.digest_chart(&chart).map_err(unrenderable)?;
                    (payload, Some(upload))
                }
                None => (payload.clone(), None),
            },
        };
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
        Ok(match upload {
            None => SlackMessage::Message(payload),
            Some(upload) => SlackMessage::WithImage {
                payload,
                image: decode(upload)?,
            },
        })
    }

    /// Only new posts can land twice: ephemeral messages have no history and updates are
    /// idempotent.
    pub fn can_land_twice(&self, out: &Outgoing<'_>) -> bool {
        let stored_update = matches!(&out.body, OutboxBody::Payload(p) if p.get("ts").is_some());
        out.row.ephemeral_user.is_none() && out.replaces.is_none() && !stored_update
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
            SlackMessage::Message(payload) => {
                let payload = self.with_deal_links(row, payload).await;
                self.post(row, &payload).await
            }
            SlackMessage::WithImage { payload, image } => {
                let file = match self.image_file(row, image).await {
                    Ok(file) => file,
                    // Slack will not take the file (a missing scope, uploads disabled): the
                    // message is worth sending without it.
                    Err(Failure::Permanent { reason }) => {
                        tracing::warn!(reason = %reason, "could not upload the message's image: posting it without");
                        let payload = self.with_deal_links(row, payload).await;
                        return self.post(row, &without_image(&payload)).await;
                    }
                    Err(failure) => return Err(failure),
                };
                let payload = self.with_deal_links(row, payload).await;
                match self.post(row, &with_file(&payload, &file)).await {
                    Err(Failure::Permanent { reason }) if reason == "invalid_blocks" => {
                        if row.attempts < IMAGE_ATTEMPTS {
                            return Err(Failure::Transient {
                                reason: format!("Slack does not accept file {file} in the message yet (invalid_blocks)"),
                                maybe_sent: false,
                            });
                        }
                        tracing::warn!(file_id = %file, "Slack kept refusing the message's image: posting it without");
                        self.post(row, &without_image(&payload)).await
                    }
                    sent => sent,
                }
            }
        }
    }

    async fn post(&self, row: &ClaimedMessage, payload: &Value) -> Result<Option<String>, Failure> {
        Ok(self
            .api
            .post_message(&row.channel, row.ephemeral_user.as_deref(), payload, row.id)
            .await?)
    }

    /// The Slack file of `row`'s image: the one an earlier attempt uploaded, else `image`
    /// uploaded now (privately) and recorded before anything is posted.
    async fn image_file(&self, row: &ClaimedMessage, image: Image) -> Result<String, Failure> {
        let unrecorded = |e: anyhow::Error| Failure::Transient {
            reason: format!("{e:#}"),
            maybe_sent: false,
        };
        if let Some(file) = self.store.uploaded_file(row.id).await.map_err(unrecorded)? {
            return Ok(file);
        }
        let file = self
            .api
            .upload_private_file(&image.filename, &image.title, &image.alt_text, image.bytes)
            .await?;
        tracing::info!(file_id = %file, "uploaded the message's image");
        self.store
            .record_uploaded_file(row.id, &file, self.clock.now_ms())
            .await
            .map_err(unrecorded)
    }
}

/// `payload` with its pending `image` blocks naming `file`.
fn with_file(payload: &Value, file: &str) -> Value {
    let mut shown = payload.clone();
    for block in shown["blocks"].as_array_mut().into_iter().flatten() {
        if block["type"] == "image" && block["slack_file"]["id"] == PENDING_FILE {
            block["slack_file"]["id"] = json!(file);
        }
    }
    shown
}

/// `payload` without its `image` blocks, saying the image was left out; a message that was
/// only an image keeps its fallback text.
fn without_image(payload: &Value) -> Value {
    let mut shown = payload.clone();
    if let Some(blocks) = shown["blocks"].as_array_mut() {
        blocks.retain(|b| b["type"] != "image");
        blocks.push(json!({ "type": "context", "elements": [ { "type": "mrkdwn", "text": IMAGE_LEFT_OUT } ] }));
    }
    shown
}

/// The upload of a stored file (base64 PNG bytes, a file name and a title).
fn stored_file(file: &Value) -> Upload {
    let title = file["title"]
        .as_str()
        .filter(|t| !t.is_empty())
        .unwrap_or("Partner pipeline and wins");
    Upload {
        filename: file["filename"].as_str().unwrap_or("file.png").to_string(),
        title: title.to_string(),
        alt_text: format!("Chart: {title}"),
        png_base64: file["png_base64"].as_str().unwrap_or_default().to_string(),
    }
}

/// An upload's bytes; a permanent failure when they are not base64.
fn decode(upload: Upload) -> Result<Image, Failure> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&upload.png_base64)
        .map_err(|e| Failure::Permanent {
            reason: format!("stored image is not base64: {e}"),
        })?;
    Ok(Image {
        filename: upload.filename,
        title: upload.title,
        alt_text: upload.alt_text,
        bytes,
    })
}
