//! Deal registrations: stored with their audit row and outbox messages in one transaction.

use super::outbox::OutboxMessage;
use super::statements::{finish, run_on, Rows};
use super::{append_audit, AuditEntry, Store};
pub use crate::domain::deal::DealFilter;
use crate::domain::{Deal, DealId, DealStatus, Money, NewDeal, PartnerId, Stage};
use anyhow::Context;
use chrono::{DateTime, NaiveDate};
use sqlx::AnyConnection;

/// A validated deal plus who registered it, from where.
#[derive(Debug, Clone)]
pub struct Registration {
    pub partner_id: PartnerId,
    pub deal: NewDeal,
    pub status: DealStatus,
    pub user: String,
    pub user_team: Option<String>,
    pub channel: String,
    /// `slack_modal` or `slack_command`.
    pub surface: String,
    /// Identifies the submission (modal view id, command trigger id) so a retried or
    /// double-submitted request finds the deal it already created instead of making a second.
    pub idempotency_key: Option<String>,
    /// Matching index keys of the customer (see `domain::matching::index_keys`).
    pub match_keys: Vec<String>,
    /// How early the registration comes (`Timing::as_str`).
    pub timing: String,
    /// Set when the registration is approved on arrival (auto-approval by tier).
    pub protected_until: Option<NaiveDate>,
    pub decided_by: Option<String>,
    /// The chat message the registration was made from, recorded in its audit row.
    pub source: Option<crate::chat::SourceMessage>,
}

#[derive(sqlx::FromRow)]
pub(super) struct DealRow {
    id: i64,
    partner_id: i64,
    status: String,
    company: String,
    domain: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    amount_minor: i64,
    currency: String,
    close_date: String,
    stage: String,
    products: String,
    notes: String,
    registered_by: String,
    source_channel: String,
    created_at: i64,
    protected_until: Option<String>,
    decided_by: Option<String>,
    decision_note: String,
    extensions: i64,
    extension_request: Option<String>,
    registered_stage: String,
    timing: String,
}

pub(super) const DEAL_COLUMNS: &str = "id, partner_id, status, company, domain, contact_name, contact_email, amount_minor, currency, \
     close_date, stage, products, notes, registered_by, source_channel, created_at, protected_until, decided_by, decision_note, \
     extensions, extension_request, registered_stage, timing";

impl TryFrom<DealRow> for Deal {
    type Error = anyhow::Error;

    fn try_from(row: DealRow) -> anyhow::Result<Deal> {
        Ok(Deal {
            id: DealId(row.id),
            partner_id: PartnerId(row.partner_id),
            status: DealStatus::parse(&row.status)
                .with_context(|| format!("stored deal status {}", row.status))?,
            amount: Money::from_minor(row.amount_minor, &row.currency)
                .with_context(|| format!("stored currency {}", row.currency))?,
            close_date: NaiveDate::parse_from_str(&row.close_date, "%Y-%m-%d")
                .context("stored close date")?,
            stage: Stage::parse(&row.stage)
                .with_context(|| format!("stored stage {}", row.stage))?,
            created_at: DateTime::from_timestamp_millis(row.created_at)
                .context("stored deal time")?,
            company: row.company,
            domain: row.domain,
            contact_name: row.contact_name,
            contact_email: row.contact_email,
            products: row.products,
            notes: row.notes,
            registered_by: row.registered_by,
            source_channel: row.source_channel,
            protected_until: row
                .protected_until
                .as_deref()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
                .transpose()
                .context("stored protection date")?,
            decided_by: row.decided_by,
            decision_note: row.decision_note,
            extensions: u32::try_from(row.extensions).unwrap_or(0),
            extension_request: row.extension_request,
            registered_stage: Stage::parse(&row.registered_stage),
            timing: crate::domain::commission::Timing::parse(&row.timing),
        })
    }
}

/// What "expiring" means for `/deal list expiring`: protection ends within two weeks (the first
/// reminder's distance).
pub const EXPIRING_DAYS: i64 = 14;

/// Whether [`Store::register_deal`] made a new deal or found the one this submission already made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    AlreadyRegistered,
}

impl Store {
    /// Stores a registration, its audit row and the outbox messages `messages` renders for it,
    /// all in one transaction: either everything is saved or nothing is. A submission whose
    /// idempotency key was seen before returns the existing deal and writes nothing.
    pub async fn register_deal(
        &self,
        reg: &Registration,
        now_ms: i64,
        messages: impl FnOnce(&Deal) -> anyhow::Result<Vec<OutboxMessage>>,
    ) -> anyhow::Result<(Deal, Created)> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        // On SQLite, write first: a transaction that starts with a write takes the lock up
        // front. On Postgres, last: the upsert locks the person's row until commit, and a
        // person's registrations in flight at once would otherwise queue behind each other for
        // the whole transaction.
        let sqlite = self.backend == super::Backend::Sqlite;
        if sqlite {
            remember_partner_user(&mut tx, reg, now_ms).await?;
        }
        let inserted = insert_deal(&mut tx, reg, now_ms).await?;
        let Some(row) = inserted else {
            let existing = deal_by_key(&mut tx, reg.idempotency_key.as_deref().unwrap_or_default())
                .await?
                .context("a repeated submission whose deal is gone")?;
            tx.rollback()
                .await
                .context("rolling back a duplicate submission")?;
            return Ok((existing, Created::AlreadyRegistered));
        };
        let deal = Deal::try_from(row)?;
        let audit = AuditEntry {
            actor: &reg.user,
            surface: &reg.surface,
            entity: "deal",
            action: "registered",
            detail: registered_detail(reg),
        };
        append_audit(&mut tx, &audit, deal.id.0, now_ms).await?;
        let word_stats = super::accounts::write_new_record_keys(
            &mut tx,
            super::RecordKind::Registration,
            deal.id.0,
            &reg.match_keys,
        )
        .await?;
        super::outbox::insert_outbox_all(&mut tx, &messages(&deal)?, now_ms).await?;
        if !sqlite {
            remember_partner_user(&mut tx, reg, now_ms).await?;
        }
        // Last: these rows are shared with every other registration of a common word.
        super::accounts::apply_word_stats(&mut tx, &word_stats).await?;
        tx.commit().await.context("committing the registration")?;
        Ok((deal, Created::New))
    }

    /// The deal a submission with idempotency `key` already created, if any.
    pub async fn deal_by_idempotency_key(&self, key: &str) -> anyhow::Result<Option<Deal>> {
        let mut conn = self.pool.acquire().await.context("getting a connection")?;
        deal_by_key(&mut conn, key).await
    }

    /// One deal by id.
    pub async fn deal(&self, id: DealId) -> anyhow::Result<Option<Deal>> {
        let sql = format!("SELECT {DEAL_COLUMNS} FROM deals WHERE id = $1");
        let query = sqlx::query_as::<_, DealRow>(&sql).bind(id.0);
        let row = self.optional(query, "loading a deal").await?;
        row.map(Deal::try_from).transpose()
    }

    /// One page of deals, newest first, of one partner (or of every partner), narrowed by
    /// `filter` as of `today`, and how many match in all.
    pub async fn list_deals(
        &self,
        partner: Option<PartnerId>,
        filter: DealFilter,
        today: NaiveDate,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<Deal>, i64)> {
        // Placeholders are numbered as they are used: Postgres refuses an unused one.
        let soon = (today + chrono::Duration::days(EXPIRING_DAYS)).to_string();
        let mut conditions = vec!["1 = 1".to_string()];
        let mut binds: Vec<String> = Vec::new();
        if let Some(p) = partner {
            binds.push(p.0.to_string());
            conditions.push(format!("partner_id = CAST(${} AS BIGINT)", binds.len()));
        }
        match filter {
            DealFilter::All => {}
            DealFilter::Open => conditions.push(
                "status IN ('submitted', 'pending_review', 'conflict', 'returned', 'approved')"
                    .into(),
            ),
            DealFilter::Expiring => {
                binds.push(soon);
                conditions.push(format!(
                    "status = 'approved' AND protected_until <= ${}",
                    binds.len()
                ));
            }
            DealFilter::Won => conditions.push("status = 'won'".into()),
        }
        let binds: Vec<&str> = binds.iter().map(String::as_str).collect();
        self.deal_page(&conditions.join(" AND "), &binds, "id DESC", limit, offset)
            .await
    }
}

/// The deal a submission with idempotency `key` created, if any.
async fn deal_by_key(conn: &mut AnyConnection, key: &str) -> anyhow::Result<Option<Deal>> {
    let row = sqlx::query_as::<_, DealRow>(&format!(
        "SELECT {DEAL_COLUMNS} FROM deals WHERE idempotency_key = $1"
    ))
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .context("loading the deal of a repeated submission")?;
    row.map(Deal::try_from).transpose()
}

async fn remember_partner_user(
    conn: &mut AnyConnection,
    reg: &Registration,
    now_ms: i64,
) -> anyhow::Result<()> {
    let statement = sqlx::query(
        "INSERT INTO partner_users (partner_id, user_id, workspace, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (partner_id, user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, workspace = excluded.workspace",
    )
    .bind(reg.partner_id.0)
    .bind(&reg.user)
    .bind(reg.user_team.as_deref())
    .bind(now_ms);
    run_on(&mut *conn, statement, "recording the partner user").await?;
    Ok(())
}

/// Binds a registration's details in their column order: company, domain, contact name and
/// email, amount and currency, close date, stage, products and notes.
fn bind_details<'q>(query: Rows<'q, DealRow>, d: &'q NewDeal) -> Rows<'q, DealRow> {
    query
        .bind(&d.company)
        .bind(d.domain.as_deref())
        .bind(d.contact_name.as_deref())
        .bind(d.contact_email.as_deref())
        .bind(d.amount.minor())
        .bind(d.amount.currency().code())
        .bind(d.close_date.format("%Y-%m-%d").to_string())
        .bind(d.stage.as_str())
        .bind(&d.products)
        .bind(&d.notes)
}

async fn insert_deal(
    conn: &mut AnyConnection,
    reg: &Registration,
    now_ms: i64,
) -> anyhow::Result<Option<DealRow>> {
    let sql = format!(
        "INSERT INTO deals (partner_id, status, company, domain, contact_name, contact_email, amount_minor, currency, close_date, \
         stage, products, notes, registered_by, registered_team, source_channel, surface, idempotency_key, created_at, updated_at, \
         registered_stage, protected_until, decided_by, timing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $10, $19, $20, $21) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING {DEAL_COLUMNS}"
    );
    let query = sqlx::query_as::<_, DealRow>(&sql)
        .bind(reg.partner_id.0)
        .bind(reg.status.as_str());
    bind_details(query, &reg.deal)
        .bind(&reg.user)
        .bind(reg.user_team.as_deref())
        .bind(&reg.channel)
        .bind(&reg.surface)
        .bind(reg.idempotency_key.as_deref())
        .bind(now_ms)
        .bind(
            reg.protected_until
                .map(|d| d.format("%Y-%m-%d").to_string()),
        )
        .bind(reg.decided_by.as_deref())
        .bind(&reg.timing)
        .fetch_optional(&mut *conn)
        .await
        .context("inserting the deal")
}

impl Store {
    /// Appends an audit row about a deal and queues `messages`, in one transaction.
    pub async fn record_deal_event(
        &self,
        deal: DealId,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let tx = self.pool.begin().await.context("starting a transaction")?;
        finish(tx, Some((audit, deal.0)), messages, now_ms, "a deal event").await
    }

    /// The platform's id of the delivered message of `kind` about a deal (its thread root).
    pub async fn message_ts(&self, deal: DealId, kind: &str) -> anyhow::Result<Option<String>> {
        let query = sqlx::query_as(
            "SELECT platform_message_id FROM outbox WHERE deal_id = $1 AND kind = $2 AND delivered_at IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(deal.0)
        .bind(kind);
        let ts = self
            .maybe_value(query, "looking up a message timestamp")
            .await?;
        Ok(ts.flatten())
    }

    /// True when a message of `kind` about the deal was queued for `channel` (e.g. an AE alert).
    pub async fn message_sent_to(
        &self,
        deal: DealId,
        kind: &str,
        channel: &str,
    ) -> anyhow::Result<bool> {
        let query = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE deal_id = $1 AND kind = $2 AND channel = $3",
        )
        .bind(deal.0)
        .bind(kind)
        .bind(channel);
        let n: i64 = self.value(query, "looking up a deal's messages").await?;
        Ok(n > 0)
    }

    /// Moves a deal to `to` if it is still in one of `from` (so two managers cannot both
    /// decide), with the decision fields, an audit row and the messages `messages` renders for
    /// the updated deal, in one transaction. `None` when the deal was not in `from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_deal(
        &self,
        id: DealId,
        from: &[DealStatus],
        to: DealStatus,
        decided_by: &str,
        note: &str,
        protected_until: Option<NaiveDate>,
        audit: &AuditEntry<'_>,
        now_ms: i64,
        messages: impl FnOnce(&Deal) -> anyhow::Result<Vec<OutboxMessage>>,
    ) -> anyhow::Result<Option<Deal>> {
        let sql = format!(
            "UPDATE deals SET status = $1, decided_by = $2, decision_note = $3, protected_until = $4, updated_at = $5 \
             WHERE id = $6 AND status IN ({}) RETURNING {DEAL_COLUMNS}",
            super::placeholders(7, from.len())
        );
        let mut query = sqlx::query_as::<_, DealRow>(&sql)
            .bind(to.as_str())
            .bind(decided_by)
            .bind(note)
            .bind(protected_until.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(now_ms)
            .bind(id.0);
        for status in from {
            query = query.bind(status.as_str());
        }
        let Some((tx, row)) = self.begin_with(query, "a decision").await? else {
            return Ok(None);
        };
        let deal = Deal::try_from(row)?;
        let messages = messages(&deal)?;
        finish(tx, Some((audit, id.0)), &messages, now_ms, "a decision").await?;
        Ok(Some(deal))
    }

    #[allow(clippy::too_many_arguments)]
    /// Replaces a returned registration's details with the partner's corrected ones and puts it
    /// back for review (`status`), clearing the earlier decision, with new index keys, an audit
    /// row and messages, in one transaction. `None` when it is no longer returned.
    pub async fn resubmit_deal(
        &self,
        id: DealId,
        deal: &NewDeal,
        status: DealStatus,
        keys: &[String],
        audit: &AuditEntry<'_>,
        now_ms: i64,
        messages: impl FnOnce(&Deal) -> anyhow::Result<Vec<OutboxMessage>>,
    ) -> anyhow::Result<Option<Deal>> {
        let sql = format!(
            "UPDATE deals SET company = $1, domain = $2, contact_name = $3, contact_email = $4, amount_minor = $5, currency = $6, \
             close_date = $7, stage = $8, products = $9, notes = $10, status = $11, decided_by = NULL, decision_note = '', updated_at = $12 \
             WHERE id = $13 AND status = 'returned' RETURNING {DEAL_COLUMNS}"
        );
        let query = bind_details(sqlx::query_as(&sql), deal)
            .bind(status.as_str())
            .bind(now_ms)
            .bind(id.0);
        let Some((mut tx, row)) = self.begin_with(query, "a resubmission").await? else {
            return Ok(None);
        };
        let updated = Deal::try_from(row)?;
        super::accounts::write_keys(&mut tx, super::RecordKind::Registration, id.0, keys).await?;
        let messages = messages(&updated)?;
        finish(tx, Some((audit, id.0)), &messages, now_ms, "a resubmission").await?;
        Ok(Some(updated))
    }

    /// Deals created at or after `since_ms` (optionally one partner's), oldest first.
    pub async fn deals_since(
        &self,
        since_ms: i64,
        partner: Option<PartnerId>,
    ) -> anyhow::Result<Vec<Deal>> {
        let sql = format!(
            "SELECT {DEAL_COLUMNS} FROM deals WHERE created_at >= $1 AND ($2 = 0 OR partner_id = $3) ORDER BY id"
        );
        let query = sqlx::query_as::<_, DealRow>(&sql)
            .bind(since_ms)
            .bind(partner.map_or(0, |p| p.0))
            .bind(partner.map_or(0, |p| p.0));
        let rows = self.all(query, "reading deals for export").await?;
        rows.into_iter().map(Deal::try_from).collect()
    }
}

/// The audit detail of a registration: its status, where and by whose team it came, and the
/// message it was made from, if any.
fn registered_detail(reg: &Registration) -> serde_json::Value {
    let mut detail = serde_json::json!({ "status": reg.status.as_str(), "channel": reg.channel, "team": reg.user_team });
    if let Some(source) = &reg.source {
        detail["message"] = serde_json::json!(source);
    }
    detail
}
