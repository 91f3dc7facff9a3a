//! Partner activity and the nudges sent about it.

use super::outbox::OutboxMessage;
use super::Store;

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
        let query = sqlx::query_as(
            "SELECT p.id AS partner_id, p.created_at AS onboarded_at, MAX(d.updated_at) AS last_deal_at FROM partners p LEFT JOIN deals d ON d.partner_id = p.id GROUP BY p.id, p.created_at ORDER BY p.id",
        );
        self.all(query, "reading partner activity").await
    }

    /// When a partner was last nudged (or its manager alerted).
    pub async fn last_nudge(&self, partner: i64) -> anyhow::Result<Option<i64>> {
        let query = sqlx::query_scalar("SELECT MAX(sent_at) FROM nudges WHERE partner_id = $1")
            .bind(partner);
        // MAX over no rows is one row holding NULL.
        self.value(query, "reading the last nudge").await
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
        let record = sqlx::query(
            "INSERT INTO nudges (partner_id, kind, quiet_days, sent_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(partner)
        .bind(kind)
        .bind(quiet_days)
        .bind(sent_at_ms);
        self.write_once(record, "a nudge", None, messages, now_ms)
            .await?;
        Ok(())
    }

    /// Nudges sent since `since_ms`, and how many of those partners registered within 14 days.
    pub async fn reactivation(&self, since_ms: i64) -> anyhow::Result<Reactivation> {
        let query = sqlx::query_scalar(
            "SELECT COUNT(*) FROM nudges WHERE kind = 'nudge' AND sent_at >= $1",
        )
        .bind(since_ms);
        let nudged: i64 = self.value(query, "counting nudges").await?;
        let query = sqlx::query_scalar(
            "SELECT COUNT(*) FROM nudges n WHERE n.kind = 'nudge' AND n.sent_at >= $1 AND EXISTS \
             (SELECT 1 FROM deals d WHERE d.partner_id = n.partner_id AND d.created_at >= n.sent_at AND d.created_at <= n.sent_at + $2)",
        )
        .bind(since_ms)
        .bind(REACTIVATION_WINDOW_MS);
        let back: i64 = self.value(query, "counting re-activated partners").await?;
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
        let pause = sqlx::query("UPDATE partners SET paused = $1 WHERE id = $2")
            .bind(i64::from(paused))
            .bind(partner);
        let entry = super::AuditEntry {
            actor,
            surface,
            entity: "partner",
            action: if paused { "paused" } else { "resumed" },
            detail: serde_json::json!({ "paused": paused }),
        };
        self.write_once(pause, "a pause", Some((&entry, partner)), &[], now_ms)
            .await
    }

    /// Claims a manager's digest for a week and queues its messages; false when already sent.
    pub async fn claim_digest(
        &self,
        manager: &str,
        week: &str,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let claim = sqlx::query("INSERT INTO digests (manager, week, sent_at) VALUES ($1, $2, $3) ON CONFLICT (manager, week) DO NOTHING")
            .bind(manager)
            .bind(week)
            .bind(now_ms);
        self.write_once(claim, "a digest claim", None, messages, now_ms)
            .await
    }
}
