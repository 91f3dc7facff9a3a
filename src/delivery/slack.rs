//! Slack's side of the delivery seam: renders a notice with the Slack templates (or takes a
//! payload an earlier release stored), threads and targets it with the resolved `ts`, and posts,
//! updates or uploads through the Web API client. An earlier attempt is found in the channel's
//! history by the outbox id in the message metadata.

use super::platform::{Failure, Outgoing};
use crate::notice::Platform;
use crate::slack::{limits, links, ApiFailure, Renderer, SlackApi};
use crate::store::{ClaimedMessage, OutboxBody, Store};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The Slack Web API client and the renderer for notices.
#[derive(Debug, Clone)]
pub struct SlackClient {
    api: SlackApi,
    render: Renderer,
    /// Where deals' thread roots are looked up to link deal ids; `None`: ids stay text.
    store: Option<Store>,
}

/// Outbox kinds whose message starts a deal's thread: the partner's confirmation in their
/// channel, the managers' review card.
const PARTNER_ROOTS: &[&str] = &["deal_confirmation"];
const INTERNAL_ROOTS: &[&str] = &["review_card", "deal_confirmation"];
/// Most deal ids linked in one message (each new one costs a `chat.getPermalink`).
const MAX_LINKED_DEALS: usize = 60;

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
        SlackClient {
            api,
            render,
            store: None,
        }
    }

    /// The same client, linking every deal id in a message to the deal's thread.
    pub fn linking_deals(mut self, store: Store) -> SlackClient {
        self.store = Some(store);
        self
    }

    /// `payload` with its deal ids linked to their threads, for the people `row` goes to:
    /// partners only ever get links into their own channel's threads, internal readers to the
    /// managers' card (or the partner's thread). A message a link would push past Slack's
    /// limits, or whose links cannot be looked up, goes out as it was.
    async fn with_deal_links(&self, row: &ClaimedMessage, payload: Value) -> Value {
        let Some(store) = &self.store else {
            return payload;
        };
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
        match self.deal_links(store, &row.channel, &ids).await {
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
    async fn deal_links(
        &self,
        store: &Store,
        channel: &str,
        ids: &[i64],
    ) -> anyhow::Result<HashMap<i64, String>> {
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
            SlackMessage::Message(payload) => {
                let payload = self.with_deal_links(row, payload).await;
                Ok(self
                    .api
                    .post_message(
                        &row.channel,
                        row.ephemeral_user.as_deref(),
                        &payload,
                        row.id,
                    )
                    .await?)
            }
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
