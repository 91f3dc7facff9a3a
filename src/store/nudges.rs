//! Partner activity and the nudges sent about it.

use super::outbox::{insert_outbox, OutboxMessage};
use super::Store;
use anyhow::Context;

/// Days a nudged partner has to register again to count as re-activated.
pub const REACTIVATION_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;

/// When a partner joined and when it last did anything.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PartnerActivity {
    pub partner_id: i64,
    /// When it was onboarded (ms).
    pub onboarded_at: i64,
    /// Its latest registration or deal update (ms), if any.
    pub last_deal_at: Option<i64>,
}

impl PartnerActivity {
    /// Whole days since its last activity (or since it joined) as of `now_ms`.
    pub fn quiet_days(&self, now_ms: i64) -> i64 {
        let last = self
            .last_deal_at
            .unwrap_or(self.onboarded_at)
            .max(self.onboarded_at);
        (now_ms - last) / (24 * 3600 * 1000)
    }
}

/// How many partners were nudged, and how many of those registered within 14 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reactivation {
    pub nudged: i64,
    pub came_back: i64,
}

impl Store {
    /// Every partner's activity, by partner id.
    pub async fn partner_activity(&self) -> anyhow::Result<Vec<PartnerActivity>> {
        sqlx::query_as(
            "SELECT p.id AS partner_id, p.created_at AS onboarded_at, MAX(d.updated_at) AS last_deal_at FROM partners p LEFT JOIN deals d ON d.partner_id = p.id GROUP BY p.id, p.created_at ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await
        .context("reading partner activity")
    }

    /// When a partner was last nudged (or its manager alerted).
    pub async fn last_nudge(&self, partner: i64) -> anyhow::Result<Option<i64>> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT MAX(sent_at) FROM nudges WHERE partner_id = $1")
                .bind(partner)
                .fetch_optional(&self.pool)
                .await
                .context("reading the last nudge")?;
        Ok(at.flatten())
    }

    /// Records a nudge or alert sent as of `sent_at_ms` (the business time the job ran for) with
    /// its messages, queued at `now_ms` (the real clock), in one transaction.
    pub async fn record_nudge(
        &self,
        partner: i64,
        kind: &str,
        quiet_days: i64,
        messages: &[OutboxMessage],
        sent_at_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        sqlx::query(
            "INSERT INTO nudges (partner_id, kind, quiet_days, sent_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(partner)
        .bind(kind)
        .bind(quiet_days)
        .bind(sent_at_ms)
        .execute(&mut *tx)
        .await
        .context("recording a nudge")?;
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing a nudge")
    }

    /// Nudges sent since `since_ms`, and how many of those partners registered within 14 days.
    pub async fn reactivation(&self, since_ms: i64) -> anyhow::Result<Reactivation> {
        let nudged: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM nudges WHERE kind = 'nudge' AND sent_at >= $1",
        )
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await
        .context("counting nudges")?;
        let back: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM nudges n WHERE n.kind = 'nudge' AND n.sent_at >= $1 AND EXISTS \
             (SELECT 1 FROM deals d WHERE d.partner_id = n.partner_id AND d.created_at >= n.sent_at AND d.created_at <= n.sent_at + $2)",
        )
        .bind(since_ms)
        .bind(REACTIVATION_WINDOW_MS)
        .fetch_one(&self.pool)
        .await
        .context("counting re-activated partners")?;
        Ok(Reactivation {
            nudged,
            came_back: back,
        })
    }

    /// Pauses or resumes a partner (paused partners are never nudged or surveyed), with its
    /// audit row by `actor` on `surface`, in one transaction; false when there is no such
    /// partner.
    pub async fn set_paused(
        &self,
        partner: i64,
        paused: bool,
        actor: &str,
        surface: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let done = sqlx::query("UPDATE partners SET paused = $1 WHERE id = $2")
            .bind(i64::from(paused))
            .bind(partner)
            .execute(&mut *tx)
            .await
            .context("pausing a partner")?;
        if done.rows_affected() != 1 {
            tx.rollback().await.context("rolling back a pause")?;
            return Ok(false);
        }
        let entry = super::AuditEntry {
            actor,
            surface,
            entity: "partner",
            action: if paused { "paused" } else { "resumed" },
            detail: serde_json::json!({ "paused": paused }),
        };
        super::append_audit(&mut tx, &entry, partner, now_ms).await?;
        tx.commit().await.context("committing a pause")?;
        Ok(true)
    }

    /// Claims a manager's digest for a week and queues its messages; false when already sent.
    pub async fn claim_digest(
        &self,
        manager: &str,
        week: &str,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let done = sqlx::query("INSERT INTO digests (manager, week, sent_at) VALUES ($1, $2, $3) ON CONFLICT (manager, week) DO NOTHING")
            .bind(manager)
            .bind(week)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .context("claiming a digest")?;
        if done.rows_affected() == 0 {
            tx.rollback()
                .await
                .context("rolling back a repeated digest")?;
            return Ok(false);
        }
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing a digest")?;
        Ok(true)
    }
}
