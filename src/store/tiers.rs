//! Tier recomputation records and the revenue they are computed from.

use super::outbox::OutboxMessage;
use super::statements::finish;
use super::statements::run_on;
use super::{AuditEntry, Store};
use crate::domain::tier::Tier;
use crate::domain::PartnerId;
use anyhow::Context;
use chrono::NaiveDate;

/// One partner's tier review for a period.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TierRun {
    pub period: String,
    pub partner_id: i64,
    pub revenue: String,
    pub currency: String,
    #[sqlx(try_from = "String")]
    pub previous_tier: Tier,
    #[sqlx(try_from = "String")]
    pub computed_tier: Tier,
    #[sqlx(try_from = "String")]
    pub new_tier: Tier,
    /// The conversion rates used, as JSON.
    pub rates: String,
}

/// A partner's sourced won revenue in one currency.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SourcedRevenue {
    pub partner_id: i64,
    pub currency: String,
    pub amount_minor: i64,
}

impl Store {
    /// Partner-sourced won revenue per (partner, currency) for deals closed in `from..=to`.
    pub async fn sourced_revenue(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> anyhow::Result<Vec<SourcedRevenue>> {
        let query = sqlx::query_as(
            "SELECT partner_id, currency, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM deals \
             WHERE status = 'won' AND attribution = 'sourced' AND close_date >= $1 AND close_date <= $2 GROUP BY partner_id, currency",
        )
        .bind(from.to_string())
        .bind(to.to_string());
        self.all(query, "summing partner-sourced revenue").await
    }

    /// A partner's demotion waiting out its grace period.
    pub async fn pending_tier(&self, partner: PartnerId) -> anyhow::Result<Option<Tier>> {
        let query =
            sqlx::query_as("SELECT pending_tier FROM partners WHERE id = $1").bind(partner.0);
        let pending: Option<Option<String>> = self
            .maybe_value(query, "reading a pending demotion")
            .await?;
        pending
            .flatten()
            .map(|t| Tier::try_from(t).map_err(anyhow::Error::msg))
            .transpose()
            .context("stored pending tier")
    }

    /// Records one partner's review for a period and applies it (tier, pending demotion), with an
    /// audit row and messages, once: false when this period was already reviewed.
    pub async fn apply_tier_run(
        &self,
        run: &TierRun,
        pending: Option<Tier>,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let statement = sqlx::query(
            "INSERT INTO tier_runs (period, partner_id, revenue, currency, previous_tier, computed_tier, new_tier, rates, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (period, partner_id) DO NOTHING",
        )
        .bind(&run.period)
        .bind(run.partner_id)
        .bind(&run.revenue)
        .bind(&run.currency)
        .bind(run.previous_tier.as_str())
        .bind(run.computed_tier.as_str())
        .bind(run.new_tier.as_str())
        .bind(&run.rates)
        .bind(now_ms);
        let inserted = run_on(&mut tx, statement, "recording a tier review").await?;
        if inserted == 0 {
            tx.rollback()
                .await
                .context("rolling back a repeated tier review")?;
            return Ok(false);
        }
        let statement =
            sqlx::query("UPDATE partners SET tier = $1, pending_tier = $2 WHERE id = $3")
                .bind(run.new_tier.as_str())
                .bind(pending.map(Tier::as_str))
                .bind(run.partner_id);
        run_on(&mut tx, statement, "applying a tier").await?;
        let audit = Some((audit, run.partner_id));
        finish(tx, audit, messages, now_ms, "a tier review").await?;
        Ok(true)
    }

    /// The tier reviews of a period.
    pub async fn tier_runs(&self, period: &str) -> anyhow::Result<Vec<TierRun>> {
        let query = sqlx::query_as::<_, TierRun>(
            "SELECT period, partner_id, revenue, currency, previous_tier, computed_tier, new_tier, rates FROM tier_runs WHERE period = $1 ORDER BY partner_id",
        )
        .bind(period);
        self.all(query, "reading tier reviews").await
    }
}

/// One deal as the metrics need it: partner, created, status, close date, amount, currency, attribution.
pub type DealFactRow = (i64, i64, String, String, i64, String, String);

impl Store {
    /// Every partner (id, onboarded at) and every deal's metric facts, in two queries.
    pub async fn metrics_facts(&self) -> anyhow::Result<(Vec<(i64, i64)>, Vec<DealFactRow>)> {
        let query = sqlx::query_as("SELECT id, created_at FROM partners ORDER BY id");
        let partners = self.all(query, "loading partners for metrics").await?;
        let query = sqlx::query_as("SELECT partner_id, created_at, status, close_date, amount_minor, currency, attribution FROM deals ORDER BY id");
        let deals = self.all(query, "loading deals for metrics").await?;
        Ok((partners, deals))
    }
}

impl Store {
    /// Tier changes recorded at or after `since_ms`: (partner id, previous, new).
    pub async fn tier_changes_since(
        &self,
        since_ms: i64,
    ) -> anyhow::Result<Vec<(i64, String, String)>> {
        let query = sqlx::query_as("SELECT partner_id, previous_tier, new_tier FROM tier_runs WHERE created_at >= $1 AND previous_tier <> new_tier ORDER BY partner_id")
            .bind(since_ms);
        self.all(query, "reading tier changes").await
    }
}
