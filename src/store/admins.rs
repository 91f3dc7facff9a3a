//! A partner's admins: the people (as their platform names them) told privately about what
//! only they should see, such as tier changes with their commission factors.

use super::{append_audit, AuditEntry, Store};
use crate::domain::PartnerId;
use anyhow::Context;
use std::collections::BTreeMap;

impl Store {
    /// Replaces `partner`'s admins with `users` (duplicates kept once), with an audit row, in
    /// one transaction.
    pub async fn set_partner_admins(
        &self,
        partner: PartnerId,
        users: &[String],
        audit: &AuditEntry<'_>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        sqlx::query("DELETE FROM partner_admins WHERE partner_id = $1")
            .bind(partner.0)
            .execute(&mut *tx)
            .await
            .context("removing a partner's admins")?;
        let mut seen = std::collections::BTreeSet::new();
        for user in users.iter().filter(|u| seen.insert(u.as_str())) {
            sqlx::query(
                "INSERT INTO partner_admins (partner_id, user_id, added_at, added_by) VALUES ($1, $2, $3, $4)",
            )
            .bind(partner.0)
            .bind(user)
            .bind(now_ms)
            .bind(audit.actor)
            .execute(&mut *tx)
            .await
            .context("recording a partner's admin")?;
        }
        append_audit(&mut tx, audit, partner.0, now_ms).await?;
        tx.commit().await.context("committing a partner's admins")?;
        Ok(())
    }

    /// `partner`'s admins, by user id.
    pub async fn partner_admins(&self, partner: PartnerId) -> anyhow::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT user_id FROM partner_admins WHERE partner_id = $1 ORDER BY user_id",
        )
        .bind(partner.0)
        .fetch_all(&self.pool)
        .await
        .context("reading a partner's admins")
    }

    /// Every partner's admins, by partner id, each list by user id.
    pub async fn all_partner_admins(&self) -> anyhow::Result<BTreeMap<i64, Vec<String>>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT partner_id, user_id FROM partner_admins ORDER BY partner_id, user_id",
        )
        .fetch_all(&self.pool)
        .await
        .context("reading partners' admins")?;
        let mut admins: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (partner, user) in rows {
            admins.entry(partner).or_default().push(user);
        }
        Ok(admins)
    }
}
