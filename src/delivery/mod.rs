//! The delivery worker: claims outbox rows under a fenced lease, paces posts per channel and
//! workspace-wide, honours `Retry-After`, retries server errors with backoff, and marks a row
//! delivered only after Slack said ok. Several workers (replicas) share one database:
//!
//! - A claim takes at most one batch, and of each channel only what its pacing lets this worker
//!   send well within one lease; a channel another worker is draining is left to it.
//! - Each channel drains in its own task, so a backlog of hundreds of review cards for the
//!   managers (one post a second) does not hold up confirmations and DMs to other channels:
//!   new rows are claimed while the backlog drains.
//! - Leases of rows still waiting for their turn are renewed; immediately before a post the
//!   worker confirms its claim is still current and extends the lease past the post's timeout,
//!   and it records the outcome only under that claim. A worker that lost a lease can therefore
//!   neither post nor record the row; a dead worker's rows are taken over when the lease ends.
//! - A row whose earlier attempt may have reached Slack is looked up in the channel (by the
//!   outbox id in its metadata, paging back to the first attempt) before it is sent again.
//! - A message Slack refuses for good is reported to the managers' channel, once per failure
//!   kind and hour (`failure`).
//! - On a platform that cannot be asked (Teams), a new post whose earlier attempt may have
//!   landed is never sent again: it is given up as `unknown_outcome` and reported like a
//!   refusal, so each message is delivered at most once (see `teams`).

mod failure;
mod pacer;
pub mod platform;
pub mod slack;
pub mod teams;

pub use failure::AlertTarget;
pub use platform::{Client, Failure};

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::notice::MessageRef;
use crate::store::{ClaimLimits, ClaimedMessage, Store, Target};
use pacer::Pacer;
use platform::Outgoing;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// How the worker paces and retries.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How long a claimed row stays ours without renewal; a dead worker's rows are retaken
    /// after this.
    pub lease: Duration,
    /// Rows claimed per round at most.
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
    /// Longest one Web API call may take before it is abandoned (and treated as maybe sent).
    /// The lease is extended by this much before each post, so it cannot run out mid-post.
    pub send_timeout: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            // Renewed every third of itself while rows wait; a dead replica's rows return after it.
            lease: Duration::from_secs(30),
            batch: 20,
            poll: Duration::from_millis(500),
            channel_interval: Duration::from_secs(1),
            // 25 posts per second across all channels.
            global_interval: Duration::from_millis(40),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            // Longer than the Slack client's own 10 s call timeout, which fires first.
            send_timeout: Duration::from_secs(15),
        }
    }
}

impl DeliveryConfig {
    /// What one claim may take: the batch, and per channel what its pacing sends in half a
    /// lease (the other half is margin for 429 pauses; renewals cover longer ones).
    pub fn claim_limits(&self) -> ClaimLimits {
        let budget = self.lease / 2;
        let per_channel = match self.channel_interval.as_millis() {
            0 => self.batch,
            gap => i64::try_from(budget.as_millis() / gap).unwrap_or(i64::MAX),
        };
        ClaimLimits {
            batch: self.batch.max(1),
            per_channel: per_channel.clamp(1, self.batch.max(1)),
        }
    }

    /// Rows one worker keeps in hand at most: what the workspace-wide pace sends in half a
    /// lease, and never fewer than one batch.
    fn max_in_hand(&self) -> usize {
        let budget = (self.lease / 2).as_millis();
        let by_pace = match self.global_interval.as_millis() {
            0 => usize::MAX,
            gap => usize::try_from(budget / gap).unwrap_or(usize::MAX),
        };
        by_pace
            .min(MAX_IN_HAND)
            .max(usize::try_from(self.batch).unwrap_or(1))
    }
}

/// Shortest time between two claims: new rows wake the worker one by one, and claiming is a
/// write; 20 ms coalesces a burst while keeping confirmations prompt.
const MIN_CLAIM_GAP: Duration = Duration::from_millis(20);

/// Upper bound on rows held by one worker, whatever the pacing allows.
const MAX_IN_HAND: usize = 2_000;

/// A platform's conversation: rows of one lane are delivered in order, by one task.
type Lane = (String, String);

/// Rows claimed and waiting for their lane's task.
type Queues = HashMap<Lane, VecDeque<ClaimedMessage>>;

/// One worker. Clone it to share; every clone is the same worker (same lease owner).
#[derive(Clone, Debug)]
pub struct Worker {
    store: Store,
    clients: Arc<[Client]>,
    clock: Clock,
    metrics: Arc<Metrics>,
    config: DeliveryConfig,
    owner: Arc<str>,
    pacer: Arc<Mutex<Pacer>>,
    wake: Arc<Notify>,
    queues: Arc<Mutex<Queues>>,
    alerts: Option<AlertTarget>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl Worker {
    /// A worker with a fresh lease-owner id, delivering through one client per platform; `wake`
    /// is signalled when rows are queued, and permanent failures are reported to `alerts` when
    /// given.
    pub fn new(
        store: Store,
        clients: Vec<Client>,
        clock: Clock,
        metrics: Arc<Metrics>,
        config: DeliveryConfig,
        wake: Arc<Notify>,
        alerts: Option<AlertTarget>,
    ) -> Worker {
        let owner: Arc<str> = Arc::from(format!("worker-{}", uuid::Uuid::new_v4()));
        Worker {
            store,
            clients: clients.into(),
            clock,
            metrics,
            config,
            owner,
            pacer: Arc::default(),
            wake,
            queues: Arc::default(),
            alerts,
        }
    }

    /// This worker's lease-owner id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until `stop` turns true: claims new rows whenever there is room, while each
    /// channel drains in its own task. Database errors are logged and retried after a pause.
    /// On stop, leases not yet used are given back so another replica takes over at once.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "delivery worker started");
        let mut channels = tokio::task::JoinSet::new();
        let mut renew = tokio::time::interval(self.config.lease / 3);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_claim = Instant::now() - MIN_CLAIM_GAP;
        loop {
            if *stop.borrow() {
                break;
            }
            // A burst of registrations wakes the worker once per row: claim once per gap.
            tokio::time::sleep_until(last_claim + MIN_CLAIM_GAP).await;
            last_claim = Instant::now();
            let claimed = match self.claim_round(&mut channels).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "delivery round failed");
                    0
                }
            };
            while channels.try_join_next().is_some() {}
            if claimed == 0 {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.changed() => {}
                    _ = renew.tick() => self.renew().await,
                }
            } else if renew_due(&mut renew) {
                self.renew().await;
            }
        }
        channels.abort_all();
        while channels.join_next().await.is_some() {}
        match self.store.release_leases(&self.owner).await {
            Ok(n) => tracing::info!(owner = %self.owner, released = n, "delivery worker stopped"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "could not give back leases"),
        }
    }

    async fn renew(&self) {
        let now = self.clock.now_ms();
        if let Err(e) = self
            .store
            .renew_leases(&self.owner, now, now + millis(self.config.lease))
            .await
        {
            tracing::warn!(error = format!("{e:#}"), "could not renew leases");
        }
    }

    /// Claims what there is room for and hands each row to its channel's task (starting one
    /// when the channel has none). Returns how many rows it claimed.
    async fn claim_round(&self, channels: &mut tokio::task::JoinSet<()>) -> anyhow::Result<usize> {
        let in_hand: usize = self.lock_queues().values().map(VecDeque::len).sum();
        let room = self.config.max_in_hand().saturating_sub(in_hand);
        if room == 0 {
            return Ok(0);
        }
        let mut limits = self.config.claim_limits();
        limits.batch = limits.batch.min(i64::try_from(room).unwrap_or(i64::MAX));
        let rows = self.claim(limits).await?;
        let count = rows.len();
        for row in rows {
            let mut queues = self.lock_queues();
            match queues.get_mut(&lane(&row)) {
                Some(queue) => queue.push_back(row),
                None => {
                    let lane = lane(&row);
                    queues.insert(lane.clone(), VecDeque::from([row]));
                    let worker = self.clone();
                    channels.spawn(async move { worker.drain(lane).await });
                }
            }
        }
        Ok(count)
    }

    /// Delivers one lane's rows in order until its queue is empty.
    async fn drain(&self, lane: Lane) {
        loop {
            let next = {
                let mut queues = self.lock_queues();
                match queues.get_mut(&lane).and_then(VecDeque::pop_front) {
                    Some(row) => row,
                    None => {
                        queues.remove(&lane);
                        return;
                    }
                }
            };
            self.deliver(next).await;
        }
    }

    fn lock_queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn claim(&self, limits: ClaimLimits) -> anyhow::Result<Vec<ClaimedMessage>> {
        self.store
            .claim_outbox(
                &self.owner,
                self.clock.now_ms(),
                millis(self.config.lease),
                limits,
            )
            .await
    }

    /// Claims one round and delivers it completely (channels in parallel, each channel in
    /// order), for tests, benchmarks and the demo. Returns how many rows it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let rows = self.claim(self.config.claim_limits()).await?;
        let count = rows.len();
        let mut by_channel: HashMap<Lane, Vec<ClaimedMessage>> = HashMap::new();
        for row in rows {
            by_channel.entry(lane(&row)).or_default().push(row);
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

    /// Delivers one claimed row (tests use it to play a worker that lost its lease).
    #[tracing::instrument(skip_all, fields(outbox_id = row.id, kind = %row.kind, platform = %row.platform, conversation = %row.channel, attempt = row.attempts))]
    pub async fn deliver(&self, row: ClaimedMessage) {
        if let Err(e) = self.try_deliver(&row).await {
            // The lease will expire and another round retries; nothing is lost.
            tracing::error!(
                error = format!("{e:#}"),
                "could not record a delivery outcome"
            );
        }
    }

    /// Confirms this worker's claim is still current and extends it past one call's timeout.
    async fn hold(&self, row: &ClaimedMessage) -> anyhow::Result<bool> {
        let now = self.clock.now_ms();
        let until = now + millis(self.config.lease) + millis(self.config.send_timeout);
        let held = self
            .store
            .hold_lease(row.id, &self.owner, row.lease_version, now, until)
            .await?;
        if !held {
            self.metrics.observe_delivery("fenced");
            tracing::warn!("lease lost before sending: leaving the row to its new holder");
        }
        Ok(held)
    }

    async fn try_deliver(&self, row: &ClaimedMessage) -> anyhow::Result<()> {
        let Some(client) = self.client_for(row) else {
            let reason = format!("no client for platform {:?}", row.platform);
            return self.give_up(row, &reason).await;
        };
        let (body, (thread, replaces)) = match row.body().and_then(|b| Ok((b, row.refs()?))) {
            Ok(read) => read,
            Err(e) => return self.give_up(row, &format!("{e:#}")).await,
        };
        let (thread, replaces) = match (
            self.resolve(row, thread).await?,
            self.resolve(row, replaces).await?,
        ) {
            (Resolved::Waiting(due), _) | (_, Resolved::Waiting(due)) => {
                return self.wait_for_root(row, due).await;
            }
            (Resolved::To(thread), Resolved::To(replaces)) => (thread, replaces),
        };
        let out = Outgoing {
            row,
            body,
            thread,
            replaces,
        };
        self.wait_turn(client, &row.channel).await;
        if !self.hold(row).await? {
            return Ok(());
        }
        if row.needs_check != 0 && client.can_land_twice(&out) {
            match self.look_for_earlier(client, row).await? {
                Earlier::Landed => return Ok(()),
                Earlier::Failed(failure) => return self.handle_failure(row, failure, true).await,
                Earlier::NotFound => {}
            }
            // The lookup may have taken a while: confirm the claim again right before posting.
            if !self.hold(row).await? {
                return Ok(());
            }
        }
        let sent = tokio::time::timeout(self.config.send_timeout, client.send(&out)).await;
        match sent.unwrap_or_else(|_| {
            Err(Failure::Transient {
                reason: "post timed out".into(),
                maybe_sent: true,
            })
        }) {
            Ok(id) => {
                self.metrics.observe_delivery("delivered");
                tracing::info!(message_id = id.as_deref().unwrap_or("-"), "delivered");
                self.record_delivered(row, id.as_deref()).await
            }
            Err(failure) => self.handle_failure(row, failure, false).await,
        }
    }

    /// The client of the row's platform.
    fn client_for(&self, row: &ClaimedMessage) -> Option<&Client> {
        self.clients
            .iter()
            .find(|c| c.platform().as_str() == row.platform)
    }

    /// Looks for an earlier attempt at `row` in its conversation, recording it delivered when
    /// it landed.
    async fn look_for_earlier(
        &self,
        client: &Client,
        row: &ClaimedMessage,
    ) -> anyhow::Result<Earlier> {
        let first_attempt = row.first_attempt_at.unwrap_or_else(|| self.clock.now_ms());
        match client.find_earlier(row, first_attempt).await {
            Ok(Some(id)) => {
                tracing::info!(message_id = %id, "an earlier attempt had arrived: not posting again");
                self.metrics.observe_delivery("recovered");
                self.record_delivered(row, Some(&id)).await?;
                Ok(Earlier::Landed)
            }
            Ok(None) => Ok(Earlier::NotFound),
            // A DM addressed by user id has no history to read: send, accepting the small
            // chance of a repeat rather than losing the message.
            Err(Failure::Permanent { reason }) => {
                tracing::warn!(reason = %reason, "could not look for an earlier attempt; sending");
                Ok(Earlier::NotFound)
            }
            Err(failure) => Ok(Earlier::Failed(failure)),
        }
    }

    /// The platform id a stored reference points to, or that the row must wait for it.
    async fn resolve(
        &self,
        row: &ClaimedMessage,
        target: Option<MessageRef>,
    ) -> anyhow::Result<Resolved> {
        let kind = match target {
            None => return Ok(Resolved::To(None)),
            Some(MessageRef::Posted(id)) => return Ok(Resolved::To(Some(id))),
            Some(MessageRef::DealMessage(kind)) => kind,
        };
        let Some(deal) = row.deal_id else {
            return Ok(Resolved::To(None));
        };
        Ok(match self.store.deal_message_state(deal, &kind).await? {
            Target::Delivered(id) => Resolved::To(Some(id)),
            Target::Waiting { due_ms } => Resolved::Waiting(due_ms),
            // Never queued or given up on: a new message, outside any thread.
            Target::Absent => Resolved::To(None),
        })
    }

    /// Puts `row` back until the message it answers is delivered: due when that one is next
    /// due, so a root held up by an outage holds its replies without them being claimed in vain.
    async fn wait_for_root(&self, row: &ClaimedMessage, root_due_ms: i64) -> anyhow::Result<()> {
        self.metrics.observe_delivery("waiting");
        tracing::info!("the message it answers is not delivered yet: waiting for it");
        let next = root_due_ms.max(self.clock.now_ms());
        let recorded = self
            .store
            .retry_later(
                row.id,
                row.lease_version,
                next,
                "waiting for the message it answers",
                row.needs_check != 0,
            )
            .await?;
        if !recorded {
            tracing::warn!("claim superseded; its new holder retries");
        }
        Ok(())
    }

    async fn record_delivered(&self, row: &ClaimedMessage, id: Option<&str>) -> anyhow::Result<()> {
        let recorded = self
            .store
            .mark_delivered(row.id, row.lease_version, id, self.clock.now_ms())
            .await?;
        if !recorded {
            tracing::warn!("delivered, but the claim was superseded: its new holder finds the post in the channel");
        }
        Ok(())
    }

    async fn handle_failure(
        &self,
        row: &ClaimedMessage,
        failure: Failure,
        was_check: bool,
    ) -> anyhow::Result<()> {
        let now = self.clock.now_ms();
        let (next, reason, maybe) = match failure {
            Failure::RateLimited { retry_after } => {
                self.metrics.observe_delivery("rate_limited");
                tracing::warn!(
                    retry_after_ms = retry_after.as_millis() as u64,
                    "rate limited: pausing deliveries on the platform"
                );
                self.pause_platform(&row.platform, retry_after);
                // A 429 means Slack did nothing; a pending check must still happen next time.
                let maybe = was_check || row.needs_check != 0;
                (now + millis(retry_after), "rate limited".to_string(), maybe)
            }
            Failure::Transient { reason, maybe_sent } => {
                self.metrics.observe_delivery("retried");
                let delay = self.backoff(row.attempts);
                tracing::warn!(reason = %reason, retry_in_ms = delay.as_millis() as u64, "delivery failed; will retry");
                let maybe = maybe_sent || was_check || row.needs_check != 0;
                (now + millis(delay), reason, maybe)
            }
            Failure::Permanent { reason } => return self.give_up(row, &reason).await,
            Failure::Unknown { reason } => return self.give_up_unknown(row, &reason).await,
        };
        let recorded = self
            .store
            .retry_later(row.id, row.lease_version, next, &reason, maybe)
            .await?;
        if !recorded {
            tracing::warn!("claim superseded; its new holder retries");
        }
        Ok(())
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

    /// Waits for the conversation's next free slot on the client's platform (and any
    /// rate-limit pause there).
    async fn wait_turn(&self, client: &Client, conversation: &str) {
        let pacing = client.pacing(&self.config);
        let slot = self
            .pacer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_slot(
                client.platform().as_str(),
                conversation,
                pacing,
                Instant::now(),
            );
        tokio::time::sleep_until(slot).await;
    }

    fn pause_platform(&self, platform: &str, pause: Duration) {
        let mut pacer = self.pacer.lock().unwrap_or_else(|p| p.into_inner());
        pacer.pause(platform, Instant::now() + pause);
    }
}

/// The lane a row is delivered in: its platform's conversation.
fn lane(row: &ClaimedMessage) -> Lane {
    (row.platform.clone(), row.channel.clone())
}

/// A stored reference, resolved.
enum Resolved {
    /// Send, in this thread / replacing this message (or neither).
    To(Option<String>),
    /// The referenced message is still queued, next due at this time.
    Waiting(i64),
}

/// What the look for an earlier attempt found.
enum Earlier {
    Landed,
    NotFound,
    Failed(Failure),
}

/// True (and the timer re-armed) when the renewal interval has elapsed while busy.
fn renew_due(renew: &mut tokio::time::Interval) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    renew.poll_tick(&mut cx).is_ready()
}
