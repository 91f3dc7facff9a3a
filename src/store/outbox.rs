//! The outbox: messages written in the same transaction as the change they announce, then
//! claimed by delivery workers under an expiring, fenced lease.
//!
//! Every claim bumps the row's `lease_version` (a fencing token). A worker confirms that its
//! version is still current, and extends the lease, immediately before it sends, and records the
//! outcome only under that version: once a lease has moved to another worker, the old holder can
//! neither send nor record the row.

use super::statements::{run_on, Statement};
use super::{Backend, Store};
use crate::notice::{Address, MessageRef, Notice, Platform};
use anyhow::Context;
use sqlx::{AnyConnection, Row};

/// A message to deliver: a typed notice (or, for rows of earlier releases and the delivery
/// worker's own tests, a finished platform payload) and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// What the message is (`deal_confirmation`, `review_card`, …), for logs, tests and thread
    /// roots ([`MessageRef::DealMessage`]).
    pub kind: String,
    pub address: Address,
    pub body: OutboxBody,
    pub deal_id: Option<i64>,
}

/// What an outbox row holds.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxBody {
    /// A notice the platform's adapter renders at delivery.
    Notice(Box<Notice>),
    /// A payload already in the platform's format, sent as stored.
    Payload(serde_json::Value),
}

impl OutboxBody {
    /// The stored `body_format` and `payload` columns.
    fn stored(&self) -> anyhow::Result<(&'static str, String)> {
        Ok(match self {
            OutboxBody::Notice(notice) => (
                NOTICE_FORMAT,
                serde_json::to_string(notice).context("serialising a notice")?,
            ),
            OutboxBody::Payload(payload) => (PAYLOAD_FORMAT, payload.to_string()),
        })
    }
}

/// `body_format` of rows holding a serialised [`Notice`].
const NOTICE_FORMAT: &str = "notice";
/// `body_format` of rows holding a finished Slack payload (all rows of earlier releases).
const PAYLOAD_FORMAT: &str = "slack_payload";

impl OutboxMessage {
    /// A notice for `address`, about `deal_id` when given.
    pub fn notice(kind: &str, address: Address, notice: Notice, deal_id: Option<i64>) -> Self {
        OutboxMessage {
            kind: kind.to_string(),
            address,
            body: OutboxBody::Notice(Box::new(notice)),
            deal_id,
        }
    }

    /// A finished Slack payload for `channel`, sent as is.
    pub fn slack_payload(kind: &str, channel: &str, payload: serde_json::Value) -> Self {
        OutboxMessage {
            kind: kind.to_string(),
            address: Address::to(Platform::Slack, channel),
            body: OutboxBody::Payload(payload),
            deal_id: None,
        }
    }

    /// The same message, as a reply in `root`'s thread.
    pub fn in_thread(mut self, root: MessageRef) -> Self {
        self.address = self.address.in_thread(root);
        self
    }

    /// The same message, updating `target` in place.
    pub fn replacing(mut self, target: MessageRef) -> Self {
        self.address = self.address.replacing(target);
        self
    }

    /// The same message, shown only to `person`.
    pub fn private_to(mut self, person: &str) -> Self {
        self.address = self.address.private_to(person);
        self
    }
}

/// A message claimed for delivery by one worker until its lease ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMessage {
    pub id: i64,
    pub kind: String,
    /// The platform that delivers it (`slack`).
    pub platform: String,
    pub channel: String,
    pub ephemeral_user: Option<String>,
    /// `slack_payload` (sent as stored) or `notice` (rendered at delivery).
    pub body_format: String,
    pub payload: String,
    /// Serialised [`MessageRef`]s: the thread to reply in, the message to replace.
    pub thread_of: Option<String>,
    pub replaces: Option<String>,
    pub deal_id: Option<i64>,
    pub attempts: i64,
    /// 1 when an earlier attempt may have reached Slack (a crash, a timeout, a 5xx): look
    /// for the message in the channel before sending it again.
    pub needs_check: i64,
    pub first_attempt_at: Option<i64>,
    /// The fencing token of this claim: only this version may send or record the row.
    pub lease_version: i64,
}

/// A deal's delivered message that starts its thread.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ThreadRoot {
    pub deal_id: i64,
    pub kind: String,
    pub platform: String,
    pub channel: String,
    pub platform_message_id: String,
}

/// Where the message an outbox row answers or replaces stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Delivered, with the platform's message id.
    Delivered(String),
    /// Still queued; next due at `due_ms`.
    Waiting { due_ms: i64 },
    /// Not queued, given up on, or without a platform id.
    Absent,
}

impl ClaimedMessage {
    /// The row's body: a notice to render, or a payload to send as stored.
    pub fn body(&self) -> anyhow::Result<OutboxBody> {
        match self.body_format.as_str() {
            NOTICE_FORMAT => serde_json::from_str(&self.payload)
                .map(|n| OutboxBody::Notice(Box::new(n)))
                .context("reading a stored notice"),
            PAYLOAD_FORMAT => serde_json::from_str(&self.payload)
                .map(OutboxBody::Payload)
                .context("reading a stored payload"),
            other => anyhow::bail!("unknown body format {other:?}"),
        }
    }

    /// The stored thread root and replaced message.
    pub fn refs(&self) -> anyhow::Result<(Option<MessageRef>, Option<MessageRef>)> {
        let read = |s: &Option<String>| {
            s.as_deref()
                .map(serde_json::from_str::<MessageRef>)
                .transpose()
                .context("reading a stored message reference")
        };
        Ok((read(&self.thread_of)?, read(&self.replaces)?))
    }
}

/// How much one claim may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Rows in all, whatever the query planner does.
    pub batch: i64,
    /// Rows of one channel leased at once (ours included): what the channel's pacing lets a
    /// worker send well within one lease.
    pub per_channel: i64,
}

/// One outbox row as `partnerbot outbox list` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub deal_id: Option<i64>,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Which rows `outbox list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxFilter {
    Failed,
    Pending,
    FailedOrPending,
}

/// Queues one message (see [`insert_outbox_all`]).
pub(crate) async fn insert_outbox(
    conn: &mut AnyConnection,
    msg: &OutboxMessage,
    now_ms: i64,
) -> anyhow::Result<()> {
    insert_outbox_all(conn, std::slice::from_ref(msg), now_ms)
        .await
        .with_context(|| format!("queueing a {} message", msg.kind))
}

/// Queues several messages in one statement (one round trip), in order.
pub(crate) async fn insert_outbox_all(
    conn: &mut AnyConnection,
    messages: &[OutboxMessage],
    now_ms: i64,
) -> anyhow::Result<()> {
    for chunk in messages.chunks(OUTBOX_ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let params: Vec<String> = (0..COLUMNS_PER_ROW)
                    .map(|c| format!("${}", COLUMNS_PER_ROW * i + c + 2))
                    .collect();
                format!("({}, $1, $1)", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO outbox (kind, platform, channel, ephemeral_user, body_format, payload, thread_of, replaces, deal_id, created_at, next_attempt_at) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(now_ms);
        for msg in chunk {
            let (format, payload) = msg.body.stored()?;
            let address = &msg.address;
            query = query
                .bind(&msg.kind)
                .bind(address.platform.as_str())
                .bind(&address.conversation)
                .bind(address.private_to.as_deref())
                .bind(format)
                .bind(payload)
                .bind(stored_ref(address.thread.as_ref())?)
                .bind(stored_ref(address.replaces.as_ref())?)
                .bind(msg.deal_id);
        }
        run_on(&mut *conn, query, "queueing messages").await?;
    }
    Ok(())
}

/// Bound values per row of the multi-row insert (besides the shared `now`).
const COLUMNS_PER_ROW: usize = 9;

fn stored_ref(target: Option<&MessageRef>) -> anyhow::Result<Option<String>> {
    target
        .map(|t| serde_json::to_string(t).context("serialising a message reference"))
        .transpose()
}

/// Rows per multi-row insert: well under SQLite's 32,766 bound parameters.
const OUTBOX_ROWS_PER_INSERT: usize = 100;

/// The `UPDATE` that settles a claimed row: sets `set` (whose placeholders start at `$3`) and
/// releases the lease, on row `$1` under claim version `$2` only while it is pending; it
/// changes nothing once another worker's claim superseded this one.
fn settling(set: &str) -> String {
    format!(
        "UPDATE outbox SET {set}, lease_owner = NULL, lease_until = NULL \
         WHERE id = $1 AND lease_version = $2 AND {PENDING}"
    )
}

/// [`settling`]'s statement for row `id` under claim `version`, ready for `set`'s values.
fn settle(sql: &str, id: i64, version: i64) -> Statement<'_> {
    sqlx::query(sql).bind(id).bind(version)
}

/// The claim statement of [`Store::claim_outbox`]: $1 owner, $2 lease end, $3 now, $4 batch,
/// $5 rows per channel.
fn claim_sql(backend: Backend) -> String {
    let lock = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Each channel's heads: `channel = ? AND id <= last` on the pending index. Postgres is told
    // so with a LATERAL subquery ordered by id: as a join it hash-joined a sequential scan of
    // the whole table (delivered rows included: 20 ms per claim at the bench's 30,000 rows, a
    // core of the database's CPU under load). SQLite has no LATERAL and takes the range itself.
    let heads = match backend {
        Backend::Postgres => format!(
            "SELECT o.id, o.channel, o.lease_owner, o.lease_until, o.next_attempt_at \
             FROM bounds b CROSS JOIN LATERAL (SELECT id, channel, lease_owner, lease_until, next_attempt_at \
             FROM outbox WHERE channel = b.c AND {PENDING} AND id <= b.last ORDER BY id LIMIT $5) AS o"
        ),
        Backend::Sqlite => "SELECT o.id, o.channel, o.lease_owner, o.lease_until, o.next_attempt_at \
             FROM bounds b JOIN outbox o ON o.channel = b.c \
             WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.id <= b.last"
            .to_string(),
    };
    // Channels are enumerated with a skip scan of the (channel, id) index and each channel's
    // first `per_channel` pending rows read by range, so a claim costs the number of busy
    // channels, not the size of a backlog. Each channel's last head id is computed once in
    // `bounds`, so the range is `channel = ? AND id <= ?` on the index; a bound that depends
    // on the row itself made SQLite read a channel's whole backlog and run the bound's
    // subquery per row (4.6 ms per claim at a backlog of 8,000, in the only connection).
    // The right-hand sides of SET see the old row: needs_check takes the previous maybe_sent.
    format!(
        "WITH RECURSIVE channels(c) AS ( \
             SELECT MIN(channel) FROM outbox WHERE {PENDING} \
             UNION ALL \
             SELECT (SELECT MIN(channel) FROM outbox WHERE {PENDING} AND channel > channels.c) \
             FROM channels WHERE channels.c IS NOT NULL), \
         bounds AS MATERIALIZED ( \
             SELECT c, COALESCE((SELECT i.id FROM outbox i \
                     WHERE i.channel = channels.c AND i.delivered_at IS NULL AND i.failed_at IS NULL \
                     ORDER BY i.id LIMIT 1 OFFSET $5 - 1), {LAST_ID}) AS last \
             FROM channels WHERE c IS NOT NULL), \
         heads AS ({heads}), \
         busy AS ( \
             SELECT DISTINCT channel FROM heads WHERE lease_until >= $3 AND lease_owner <> $1), \
         picked AS MATERIALIZED ( \
             SELECT id FROM outbox \
             WHERE id IN (SELECT id FROM heads WHERE next_attempt_at <= $3 \
                            AND (lease_until IS NULL OR lease_until < $3) \
                            AND channel NOT IN (SELECT channel FROM busy)) \
               AND {PENDING} AND (lease_until IS NULL OR lease_until < $3) \
             ORDER BY id LIMIT $4 {lock}) \
         UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
             lease_version = lease_version + 1, \
             needs_check = maybe_sent, maybe_sent = 1, first_attempt_at = COALESCE(first_attempt_at, $3) \
         WHERE id IN (SELECT id FROM picked) \
         RETURNING {CLAIMED_COLUMNS}"
    )
}

const PENDING: &str = "delivered_at IS NULL AND failed_at IS NULL";
/// Above every id: the bound of a channel with fewer than `per_channel` pending rows.
const LAST_ID: i64 = i64::MAX;
const CLAIMED_COLUMNS: &str = "id, kind, platform, channel, ephemeral_user, body_format, payload, thread_of, replaces, deal_id, attempts, needs_check, first_attempt_at, lease_version";

impl Store {
    /// Queues messages that announce no state change of their own (help, replies), atomically.
    pub async fn enqueue(&self, messages: &[OutboxMessage], now_ms: i64) -> anyhow::Result<()> {
        let tx = self.pool.begin().await.context("starting a transaction")?;
        super::statements::finish(tx, None, messages, now_ms, "queued messages").await
    }

    /// Claims due messages for `owner` until `now + lease_ms`, each channel's oldest first.
    ///
    /// At most `limits.batch` rows, and only each channel's first `limits.per_channel` pending
    /// rows, counting rows already leased; a channel another worker holds a live lease in is left
    /// to that worker, so one channel is paced by one worker and a busy channel cannot fill a
    /// claim. Rows whose lease ran out (the worker died) are taken over. The ids are picked in a
    /// materialised CTE, so the `LIMIT` runs once whatever plan Postgres chooses (a semi join
    /// re-running it per row once claimed every row of a table without statistics); on Postgres
    /// `SKIP LOCKED` lets replicas claim side by side.
    pub async fn claim_outbox(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limits: ClaimLimits,
    ) -> anyhow::Result<Vec<ClaimedMessage>> {
        let sql = claim_sql(self.backend);
        let query = sqlx::query_as::<_, ClaimedMessage>(&sql)
            .bind(owner)
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(limits.batch)
            .bind(limits.per_channel);
        let mut rows = self.all(query, "claiming outbox messages").await?;
        if rows.len() as i64 > limits.batch {
            // Cannot happen with the CTE above; say so loudly if a planner ever proves otherwise.
            tracing::error!(
                claimed = rows.len(),
                batch = limits.batch,
                "a claim took more rows than its batch"
            );
        }
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// The database's plan for a claim, one line per step (`EXPLAIN QUERY PLAN` on SQLite,
    /// `EXPLAIN` on Postgres, generic as the pool's connections plan it): shows that a claim
    /// reads each channel's heads by range, whatever the backlog.
    pub async fn claim_plan(&self, limits: ClaimLimits) -> anyhow::Result<Vec<String>> {
        let explain = match self.backend {
            Backend::Sqlite => "EXPLAIN QUERY PLAN",
            Backend::Postgres => "EXPLAIN",
        };
        let sql = format!("{explain} {}", claim_sql(self.backend));
        let query = sqlx::query(&sql)
            .bind("plan")
            .bind(0_i64)
            .bind(0_i64)
            .bind(limits.batch)
            .bind(limits.per_channel);
        let rows = query
            .fetch_all(&self.pool)
            .await
            .context("explaining a claim")?;
        // SQLite's detail is its fourth column; Postgres has one.
        let last = match self.backend {
            Backend::Sqlite => 3,
            Backend::Postgres => 0,
        };
        rows.iter()
            .map(|row| {
                row.try_get::<String, _>(last)
                    .context("reading a plan line")
            })
            .collect()
    }

    /// Confirms that `owner` still holds row `id` under `version` and extends the lease to
    /// `until`. False when the lease ran out or moved on: the caller must not send the row.
    pub async fn hold_lease(
        &self,
        id: i64,
        owner: &str,
        version: i64,
        now_ms: i64,
        until_ms: i64,
    ) -> anyhow::Result<bool> {
        let sql = format!(
            "UPDATE outbox SET lease_until = $1 \
             WHERE id = $2 AND lease_owner = $3 AND lease_version = $4 AND lease_until >= $5 AND {PENDING}"
        );
        let statement = sqlx::query(&sql)
            .bind(until_ms)
            .bind(id)
            .bind(owner)
            .bind(version)
            .bind(now_ms);
        Ok(self.run(statement, "confirming a lease").await? == 1)
    }

    /// Extends every live lease `owner` holds to `until` (rows waiting for their turn).
    pub async fn renew_leases(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> anyhow::Result<u64> {
        let sql = format!(
            "UPDATE outbox SET lease_until = CASE WHEN lease_until > $1 THEN lease_until ELSE $1 END \
             WHERE lease_owner = $2 AND lease_until >= $3 AND {PENDING}"
        );
        let statement = sqlx::query(&sql).bind(until_ms).bind(owner).bind(now_ms);
        self.run(statement, "renewing leases").await
    }

    /// Gives back every lease `owner` holds (a worker stopping), so another worker can take the
    /// rows at once; the next claim checks the channel before sending again.
    pub async fn release_leases(&self, owner: &str) -> anyhow::Result<u64> {
        let sql = format!(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND {PENDING}"
        );
        let statement = sqlx::query(&sql).bind(owner);
        self.run(statement, "releasing leases").await
    }

    /// Records that Slack accepted the message (`ts` is Slack's message timestamp), if the
    /// claim `version` is still current. False when another worker's claim superseded it.
    pub async fn mark_delivered(
        &self,
        id: i64,
        version: i64,
        ts: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let sql = settling("delivered_at = $3, platform_message_id = $4, last_error = NULL");
        let statement = settle(&sql, id, version).bind(now_ms).bind(ts);
        Ok(self.run(statement, "marking a message delivered").await? == 1)
    }

    /// Releases the message for another attempt at `next_attempt_ms`. `maybe_sent` says whether
    /// this attempt could have reached Slack (then the next one checks the channel first).
    /// False when the claim `version` was superseded.
    pub async fn retry_later(
        &self,
        id: i64,
        version: i64,
        next_attempt_ms: i64,
        error: &str,
        maybe_sent: bool,
    ) -> anyhow::Result<bool> {
        let sql = settling("next_attempt_at = $3, last_error = $4, maybe_sent = $5");
        let statement = settle(&sql, id, version)
            .bind(next_attempt_ms)
            .bind(error)
            .bind(i64::from(maybe_sent));
        Ok(self.run(statement, "rescheduling a message").await? == 1)
    }

    /// Gives up on a message Slack refused for good (channel gone, bot removed, bad payload),
    /// under claim `version`, and queues `alert` for the managers unless one for `failure_kind`
    /// was already queued this hour, all in one transaction. Returns (recorded, alert queued).
    pub async fn mark_failed(
        &self,
        id: i64,
        version: i64,
        error: &str,
        now_ms: i64,
        alert: Option<(&str, &OutboxMessage)>,
    ) -> anyhow::Result<(bool, bool)> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let sql = settling("failed_at = $3, last_error = $4");
        let statement = settle(&sql, id, version).bind(now_ms).bind(error);
        let done = run_on(&mut tx, statement, "marking a message failed").await?;
        if done == 0 {
            return Ok((false, false));
        }
        let mut queued = false;
        if let Some((failure_kind, message)) = alert {
            let statement = sqlx::query(
                "INSERT INTO delivery_alerts (failure_kind, hour, outbox_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(failure_kind)
            .bind(now_ms.div_euclid(3_600_000))
            .bind(id);
            let first = run_on(&mut tx, statement, "recording a delivery alert").await?;
            if first == 1 {
                insert_outbox(&mut tx, message, now_ms).await?;
                queued = true;
            }
        }
        tx.commit().await.context("committing a failed delivery")?;
        Ok((true, queued))
    }

    /// Where the deal's message of `kind` stands, for a row that answers or replaces it: its
    /// platform id once delivered, when it is next due while it waits, or absent (never queued,
    /// given up on, or delivered without an id, like a private message).
    pub async fn deal_message_state(&self, deal_id: i64, kind: &str) -> anyhow::Result<Target> {
        let query = sqlx::query_as(
            "SELECT platform_message_id, delivered_at, next_attempt_at FROM outbox \
             WHERE deal_id = $1 AND kind = $2 AND (delivered_at IS NOT NULL OR failed_at IS NULL) \
             ORDER BY CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END, id LIMIT 1",
        )
        .bind(deal_id)
        .bind(kind);
        let row: Option<(Option<String>, Option<i64>, i64)> = self
            .optional(query, "looking up the message a row answers")
            .await?;
        Ok(match row {
            Some((Some(id), Some(_), _)) => Target::Delivered(id),
            Some((_, None, due_ms)) => Target::Waiting { due_ms },
            _ => Target::Absent,
        })
    }

    /// The deal whose delivered message `message_id` (a thread root) is in `conversation`.
    pub async fn deal_of_message(
        &self,
        platform: Platform,
        conversation: &str,
        message_id: &str,
    ) -> anyhow::Result<Option<i64>> {
        let query = sqlx::query_as(
            "SELECT deal_id FROM outbox WHERE platform_message_id = $1 AND channel = $2 \
             AND platform = $3 AND deal_id IS NOT NULL AND delivered_at IS NOT NULL \
             ORDER BY id LIMIT 1",
        )
        .bind(message_id)
        .bind(conversation)
        .bind(platform.as_str());
        self.maybe_value(query, "looking up the deal of a message")
            .await
    }

    /// The delivered thread roots of `deals` (their messages of the `kinds` given, such as the
    /// partner's confirmation and the managers' card): one per deal and kind, the first sent.
    pub async fn deal_thread_roots(
        &self,
        deals: &[i64],
        kinds: &[&str],
    ) -> anyhow::Result<Vec<ThreadRoot>> {
        if deals.is_empty() || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT deal_id, kind, platform, channel, platform_message_id FROM outbox \
             WHERE deal_id IN ({}) AND kind IN ({}) AND delivered_at IS NOT NULL \
             AND platform_message_id IS NOT NULL AND ephemeral_user IS NULL ORDER BY id",
            super::placeholders(1, deals.len()),
            super::placeholders(deals.len() + 1, kinds.len())
        );
        let mut query = sqlx::query_as::<_, ThreadRoot>(&sql);
        for deal in deals {
            query = query.bind(*deal);
        }
        for kind in kinds {
            query = query.bind(*kind);
        }
        let mut roots = query
            .fetch_all(&self.pool)
            .await
            .context("looking up deals' thread roots")?;
        let mut seen = std::collections::HashSet::new();
        roots.retain(|r| seen.insert((r.deal_id, r.kind.clone())));
        Ok(roots)
    }

    /// Messages not yet delivered nor given up on.
    pub async fn outbox_depth(&self) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM outbox WHERE {PENDING}");
        let query = sqlx::query_scalar(&sql);
        self.value(query, "measuring the outbox").await
    }

    /// When the oldest message still waiting was queued (ms), if any waits.
    pub async fn oldest_pending_ms(&self) -> anyhow::Result<Option<i64>> {
        let sql = format!("SELECT MIN(created_at) FROM outbox WHERE {PENDING}");
        let query = sqlx::query_scalar(&sql);
        self.value(query, "finding the oldest pending message")
            .await
    }

    /// Outbox rows for operators, newest first, at most `limit`.
    pub async fn list_outbox(
        &self,
        filter: OutboxFilter,
        limit: i64,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let condition = match filter {
            OutboxFilter::Failed => "failed_at IS NOT NULL AND delivered_at IS NULL",
            OutboxFilter::Pending => PENDING,
            OutboxFilter::FailedOrPending => "delivered_at IS NULL",
        };
        let sql = format!(
            "SELECT id, kind, channel, deal_id, created_at, attempts, next_attempt_at, delivered_at, failed_at, last_error \
             FROM outbox WHERE {condition} ORDER BY id DESC LIMIT $1"
        );
        let query = sqlx::query_as::<_, OutboxRow>(&sql).bind(limit);
        self.all(query, "listing the outbox").await
    }

    /// Puts failed rows back in the queue (due at once, checked against the channel first in
    /// case the failure was ambiguous). Returns the ids that were failed and are now queued.
    pub async fn retry_failed(&self, ids: &[i64], now_ms: i64) -> anyhow::Result<Vec<i64>> {
        let mut requeued = Vec::new();
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        for id in ids {
            let statement = sqlx::query(
                "UPDATE outbox SET failed_at = NULL, next_attempt_at = $1, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $2 AND failed_at IS NOT NULL AND delivered_at IS NULL",
            )
            .bind(now_ms)
            .bind(id);
            let done = run_on(&mut tx, statement, "re-queueing a failed message").await?;
            if done == 1 {
                requeued.push(*id);
            }
        }
        tx.commit().await.context("committing re-queued messages")?;
        Ok(requeued)
    }
}
