//! A partner's admins: the people (as their platform names them) told privately about what
//! only they should see, such as tier changes with their commission factors.

use super::statements::{finish, run_on};
use super::{AuditEntry, Store};
use crate::domain::PartnerId;
use anyhow::Context;
use std::collections::BTreeMap;

impl Store {
    /// Replaces `partner`'s admins with `users` (each once: the service drops repeats), with an
    /// audit row, in one transaction.
    pub async fn set_partner_admins(
        &self,
        partner: PartnerId,
        users: &[String],
        audit: &AuditEntry<'_>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let clear = sqlx::query("DELETE FROM partner_admins WHERE partner_id = $1").bind(partner.0);
        run_on(&mut tx, clear, "removing a partner's admins").await?;
        if !users.is_empty() {
            // One statement: a partner has at most a few dozen admins (the service caps them).
            let sql = format!(
                "INSERT INTO partner_admins (partner_id, user_id, added_at, added_by) VALUES {}",
                super::value_rows(users.len(), 4)
            );
            let mut add = sqlx::query(&sql);
            for user in users {
                add = add
                    .bind(partner.0)
                    .bind(user)
                    .bind(now_ms)
                    .bind(audit.actor);
            }
            run_on(&mut tx, add, "recording a partner's admins").await?;
        }
        finish(
            tx,
            Some((audit, partner.0)),
            &[],
            now_ms,
            "a partner's admins",
        )
        .await
    }

    /// `partner`'s admins, by user id.
    pub async fn partner_admins(&self, partner: PartnerId) -> anyhow::Result<Vec<String>> {
        let query = sqlx::query_as::<_, (String,)>(
            "SELECT user_id FROM partner_admins WHERE partner_id = $1 ORDER BY user_id",
        )
        .bind(partner.0);
        let rows = self.all(query, "reading a partner's admins").await?;
        Ok(rows.into_iter().map(|(user,)| user).collect())
    }

    /// Every partner's admins, by partner id, each list by user id.
    pub async fn all_partner_admins(&self) -> anyhow::Result<BTreeMap<i64, Vec<String>>> {
        let query = sqlx::query_as::<_, (i64, String)>(
            "SELECT partner_id, user_id FROM partner_admins ORDER BY partner_id, user_id",
        );
        let mut admins: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (partner, user) in self.all(query, "reading partners' admins").await? {
            admins.entry(partner).or_default().push(user);
        }
        Ok(admins)
    }
}
