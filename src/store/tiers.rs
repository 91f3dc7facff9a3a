//! Tier recomputation records and the revenue they are computed from.

use super::outbox::{insert_outbox, OutboxMessage};
use super::{append_audit, AuditEntry, Store};
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
        sqlx::query_as(
            "SELECT partner_id, currency, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM deals \
             WHERE status = 'won' AND attribution = 'sourced' AND close_date >= $1 AND close_date <= $2 GROUP BY partner_id, currency",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await
        .context("summing partner-sourced revenue")
    }

    /// A partner's demotion waiting out its grace period.
    pub async fn pending_tier(&self, partner: PartnerId) -> anyhow::Result<Option<Tier>> {
        let pending: Option<Option<String>> =
            sqlx::query_scalar("SELECT pending_tier FROM partners WHERE id = $1")
                .bind(partner.0)
                .fetch_optional(&self.pool)
                .await
                .context("reading a pending demotion")?;
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
        let inserted = sqlx::query(
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
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("recording a tier review")?;
        if inserted.rows_affected() == 0 {
            tx.rollback()
                .await
                .context("rolling back a repeated tier review")?;
            return Ok(false);
        }
        sqlx::query("UPDATE partners SET tier = $1, pending_tier = $2 WHERE id = $3")
            .bind(run.new_tier.as_str())
            .bind(pending.map(Tier::as_str))
            .bind(run.partner_id)
            .execute(&mut *tx)
            .await
            .context("applying a tier")?;
        append_audit(&mut tx, audit, run.partner_id, now_ms).await?;
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing a tier review")?;
        Ok(true)
    }

    /// The tier reviews of a period.
    pub async fn tier_runs(&self, period: &str) -> anyhow::Result<Vec<TierRun>> {
        sqlx::query_as::<_, TierRun>(
            "SELECT period, partner_id, revenue, currency, previous_tier, computed_tier, new_tier, rates FROM tier_runs WHERE period = $1 ORDER BY partner_id",
        )
        .bind(period)
        .fetch_all(&self.pool)
        .await
        .context("reading tier reviews")
    }
}

/// One deal as the metrics need it: partner, created, status, close date, amount, currency, attribution.
pub type DealFactRow = (i64, i64, String, String, i64, String, String);

impl Store {
    /// Every partner (id, onboarded at) and every deal's metric facts, in two queries.
    pub async fn metrics_facts(&self) -> anyhow::Result<(Vec<(i64, i64)>, Vec<DealFactRow>)> {
        let partners = sqlx::query_as("SELECT id, created_at FROM partners ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .context("loading partners for metrics")?;
        let deals = sqlx::query_as("SELECT partner_id, created_at, status, close_date, amount_minor, currency, attribution FROM deals ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .context("loading deals for metrics")?;
        Ok((partners, deals))
    }
}

impl Store {
    /// Tier changes recorded at or after `since_ms`: (partner id, previous, new).
    pub async fn tier_changes_since(
        &self,
        since_ms: i64,
    ) -> anyhow::Result<Vec<(i64, String, String)>> {
        sqlx::query_as("SELECT partner_id, previous_tier, new_tier FROM tier_runs WHERE created_at >= $1 AND previous_tier <> new_tier ORDER BY partner_id")
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await
            .context("reading tier changes")
    }
}
