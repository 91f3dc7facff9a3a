//! The delivery worker: claims outbox rows under a lease, paces posts per channel, honours
//! `Retry-After`, retries server errors with backoff, and marks a row delivered only after Slack
//! said ok. A row whose earlier attempt may have reached Slack is looked up in the channel
//! (by the outbox id in its metadata) before it is sent again, so a crash or timeout never
//! posts twice. Several workers (replicas) can share one database.

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::slack::{ApiFailure, SlackApi};
use crate::store::{ClaimedMessage, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// How the worker paces and retries.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How long a claimed row stays ours; a dead worker's rows are retaken after this.
    pub lease: Duration,
    /// Rows claimed per round.
    pub batch: i64,
    /// Longest sleep between rounds when nobody signals new rows.
    pub poll: Duration,
    /// Gap between two posts to one channel (Slack allows about one message per second).
    pub channel_interval: Duration,
    /// Gap between any two posts of this worker: Slack also limits a workspace as a whole, so a
    /// fan-out to thousands of DMs (each its own channel) is spread out instead of answered
    /// with a wall of 429s.
    pub global_interval: Duration,
    /// First retry delay after a server error; doubles per attempt.
    pub backoff_base: Duration,
    /// Cap on the retry delay, so a long Slack outage is retried every few minutes.
    pub backoff_max: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            // Longer than the worst pacing wait of one batch (batch × channel_interval).
            lease: Duration::from_secs(60),
            batch: 20,
            poll: Duration::from_millis(500),
            channel_interval: Duration::from_secs(1),
            // 25 posts per second across all channels.
            global_interval: Duration::from_millis(40),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// Per-channel pacing plus a global pause after a 429.
#[derive(Debug, Default)]
struct Pacer {
    next_slot: HashMap<String, Instant>,
    next_global: Option<Instant>,
    paused_until: Option<Instant>,
}

/// Slots older than this are forgotten so the map stays small.
const PACER_PRUNE_AT: usize = 10_000;

/// One worker. Clone it to share; every clone is the same worker (same lease owner).
#[derive(Clone, Debug)]
pub struct Worker {
    store: Store,
    api: SlackApi,
    clock: Clock,
    metrics: Arc<Metrics>,
    config: DeliveryConfig,
    owner: Arc<str>,
    pacer: Arc<Mutex<Pacer>>,
    wake: Arc<Notify>,
}

impl Worker {
    /// A worker with a fresh lease-owner id; `wake` is signalled when rows are queued.
    pub fn new(
        store: Store,
        api: SlackApi,
        clock: Clock,
        metrics: Arc<Metrics>,
        config: DeliveryConfig,
        wake: Arc<Notify>,
    ) -> Worker {
        let owner: Arc<str> = Arc::from(format!("worker-{}", uuid::Uuid::new_v4()));
        Worker {
            store,
            api,
            clock,
            metrics,
            config,
            owner,
            pacer: Arc::default(),
            wake,
        }
    }

    /// Runs until `stop` turns true. Database errors are logged and retried after a pause.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "delivery worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "delivery round failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!(owner = %self.owner, "delivery worker stopped");
    }

    /// Claims one batch and delivers it (channels in parallel, each channel in order).
    /// Returns how many rows it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let rows = self
            .store
            .claim_outbox(
                &self.owner,
                self.clock.now_ms(),
                lease_ms,
                self.config.batch,
            )
            .await?;
        let count = rows.len();
        let mut by_channel: HashMap<String, Vec<ClaimedMessage>> = HashMap::new();
        for row in rows {
            by_channel.entry(row.channel.clone()).or_default().push(row);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (_, rows) in by_channel {
            let worker = self.clone();
            tasks.spawn(async move {
                for row in rows {
                    worker.deliver(row).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        Ok(count)
    }

    #[tracing::instrument(skip_all, fields(outbox_id = row.id, kind = %row.kind, slack_channel = %row.channel, attempt = row.attempts))]
    async fn deliver(&self, row: ClaimedMessage) {
        if let Err(e) = self.try_deliver(&row).await {
            // The lease will expire and another round retries; nothing is lost.
            tracing::error!(
                error = format!("{e:#}"),
                "could not record a delivery outcome"
            );
        }
    }

    async fn try_deliver(&self, row: &ClaimedMessage) -> anyhow::Result<()> {
        let first_attempt = row.first_attempt_at.unwrap_or_else(|| self.clock.now_ms());
        let mut payload: serde_json::Value = serde_json::from_str(&row.payload)?;
        if let Some(fields) = payload.as_object_mut() {
            fields.remove("response_type");
        }
        if let Some(file) = payload.get("file") {
            return self.deliver_file(row, file).await;
        }
        // Only new posts can land twice; ephemeral messages have no history and updates are idempotent.
        let is_new_post = row.ephemeral_user.is_none() && payload.get("ts").is_none();
        if row.needs_check != 0 && is_new_post {
            match self
                .api
                .find_outbox_message(&row.channel, row.id, first_attempt)
                .await
            {
                Ok(Some(ts)) => {
                    tracing::info!(ts = %ts, "an earlier attempt had arrived: not posting again");
                    self.metrics.observe_delivery("recovered");
                    return self
                        .store
                        .mark_delivered(row.id, Some(&ts), self.clock.now_ms())
                        .await;
                }
                Ok(None) => {}
                // A DM addressed by user id has no history to read: send, accepting the small
                // chance of a repeat rather than losing the message.
                Err(ApiFailure::Permanent { reason }) => {
                    tracing::warn!(reason = %reason, "could not look for an earlier attempt; sending")
                }
                Err(failure) => return self.handle_failure(row, failure, true).await,
            }
        }
        self.wait_turn(&row.channel).await;
        match self
            .api
            .post_message(
                &row.channel,
                row.ephemeral_user.as_deref(),
                &payload,
                row.id,
            )
            .await
        {
            Ok(ts) => {
                self.metrics.observe_delivery("delivered");
                tracing::info!(ts = ts.as_deref().unwrap_or("-"), "delivered");
                self.store
                    .mark_delivered(row.id, ts.as_deref(), self.clock.now_ms())
                    .await
            }
            Err(failure) => self.handle_failure(row, failure, false).await,
        }
    }

    /// A file (the digest's chart) shared in the row's channel.
    async fn deliver_file(
        &self,
        row: &ClaimedMessage,
        file: &serde_json::Value,
    ) -> anyhow::Result<()> {
        use base64::Engine;
        let bytes = match base64::engine::general_purpose::STANDARD
            .decode(file["png_base64"].as_str().unwrap_or_default())
        {
            Ok(b) => b,
            Err(e) => {
                return self
                    .handle_failure(
                        row,
                        ApiFailure::Permanent {
                            reason: format!("stored file is not base64: {e}"),
                        },
                        false,
                    )
                    .await
            }
        };
        self.wait_turn(&row.channel).await;
        let (name, title) = (
            file["filename"].as_str().unwrap_or("file.png"),
            file["title"].as_str().unwrap_or_default(),
        );
        match self.api.upload_file(&row.channel, name, title, bytes).await {
            Ok(()) => {
                self.metrics.observe_delivery("delivered");
                self.store
                    .mark_delivered(row.id, None, self.clock.now_ms())
                    .await
            }
            Err(failure) => self.handle_failure(row, failure, false).await,
        }
    }

    async fn handle_failure(
        &self,
        row: &ClaimedMessage,
        failure: ApiFailure,
        was_check: bool,
    ) -> anyhow::Result<()> {
        let now = self.clock.now_ms();
        match failure {
            ApiFailure::RateLimited { retry_after } => {
                self.metrics.observe_delivery("rate_limited");
                tracing::warn!(
                    retry_after_ms = retry_after.as_millis() as u64,
                    "Slack rate limit: pausing deliveries"
                );
                self.pause_all(retry_after);
                let next = now + i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX / 2);
                // A 429 means Slack did nothing; a pending check must still happen next time.
                self.store
                    .retry_later(
                        row.id,
                        next,
                        "rate limited",
                        was_check || row.needs_check != 0,
                    )
                    .await
            }
            ApiFailure::Transient { reason, maybe_sent } => {
                self.metrics.observe_delivery("retried");
                let delay = self.backoff(row.attempts);
                tracing::warn!(reason = %reason, retry_in_ms = delay.as_millis() as u64, "delivery failed; will retry");
                let maybe = maybe_sent || was_check || row.needs_check != 0;
                self.store
                    .retry_later(
                        row.id,
                        now + i64::try_from(delay.as_millis()).unwrap_or(0),
                        &reason,
                        maybe,
                    )
                    .await
            }
            ApiFailure::Permanent { reason } => {
                self.metrics.observe_delivery("failed");
                tracing::error!(reason = %reason, "Slack refused the message for good; giving up on it");
                self.store.mark_failed(row.id, &reason, now).await
            }
        }
    }

    /// Exponential backoff from the attempt number, with ±20 % jitter so replicas spread out.
    fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
        let base = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.config.backoff_max);
        let jitter = f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 255.0 * 0.4 + 0.8;
        base.mul_f64(jitter)
    }

    /// Waits for this channel's next free slot (and any global rate-limit pause).
    async fn wait_turn(&self, channel: &str) {
        let slot = {
            let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if pacer.next_slot.len() > PACER_PRUNE_AT {
                pacer.next_slot.retain(|_, at| *at > now);
            }
            let mut start = pacer
                .next_slot
                .get(channel)
                .copied()
                .filter(|at| *at > now)
                .unwrap_or(now);
            if let Some(pause) = pacer.paused_until.filter(|p| *p > start) {
                start = pause;
            }
            if let Some(global) = pacer.next_global.filter(|g| *g > start) {
                start = global;
            }
            pacer.next_global = Some(start + self.config.global_interval);
            pacer
                .next_slot
                .insert(channel.to_string(), start + self.config.channel_interval);
            start
        };
        tokio::time::sleep_until(slot).await;
    }

    fn pause_all(&self, pause: Duration) {
        let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        let until = Instant::now() + pause;
        pacer.paused_until = Some(pacer.paused_until.map_or(until, |p| p.max(until)));
    }
}
