//! What the Slack Home tab reads beyond `/deal list`: the managers' review queue and the
//! partner-vs-direct alerts an AE received, with the AE's answers.

use super::deals::{DealRow, DEAL_COLUMNS};
use super::Store;
use crate::domain::Deal;
use anyhow::Context;

/// Registrations waiting for the managers: in review, in conflict, or approved with an
/// extension request waiting.
const AWAITING_MANAGERS: &str = "status IN ('pending_review', 'conflict') \
     OR (status = 'approved' AND extension_request IS NOT NULL)";

fn deals_of(rows: Vec<DealRow>) -> anyhow::Result<Vec<Deal>> {
    rows.into_iter().map(Deal::try_from).collect()
}

impl Store {
    /// One page of registrations waiting for the managers (oldest first, so the longest waits
    /// come first), and how many wait in all.
    pub async fn review_queue(&self, limit: i64, offset: i64) -> anyhow::Result<(Vec<Deal>, i64)> {
        let rows = sqlx::query_as::<_, DealRow>(&format!(
            "SELECT {DEAL_COLUMNS} FROM deals WHERE {AWAITING_MANAGERS} ORDER BY id LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .context("reading the review queue")?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM deals WHERE {AWAITING_MANAGERS}"))
                .fetch_one(&self.pool)
                .await
                .context("counting the review queue")?;
        Ok((deals_of(rows)?, total))
    }

    /// One page of the deals `user` was alerted about as the owning AE (newest first), and how
    /// many there are in all. The alert's outbox row is the record that they were told.
    pub async fn deals_alerted_to(
        &self,
        user: &str,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<Deal>, i64)> {
        const ALERTED: &str =
            "id IN (SELECT deal_id FROM outbox WHERE kind = 'ae_alert' AND channel = $1)";
        let rows = sqlx::query_as::<_, DealRow>(&format!(
            "SELECT {DEAL_COLUMNS} FROM deals WHERE {ALERTED} ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(user)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .context("reading an AE's alerts")?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM deals WHERE {ALERTED}"))
            .bind(user)
            .fetch_one(&self.pool)
            .await
            .context("counting an AE's alerts")?;
        Ok((deals_of(rows)?, total))
    }

    /// The answers `user` gave to alerts (audit rows whose action is one of `actions`), as
    /// (deal id, action), oldest first.
    pub async fn ae_answers_of(
        &self,
        user: &str,
        actions: &[&str],
    ) -> anyhow::Result<Vec<(i64, String)>> {
        // Placeholders are numbered as they are used: Postgres refuses an unused one.
        let placeholders: Vec<String> = (2..actions.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT entity_id, action FROM audit_log WHERE entity = 'deal' AND actor = $1 \
             AND action IN ({}) ORDER BY id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql).bind(user);
        for action in actions {
            query = query.bind(*action);
        }
        query
            .fetch_all(&self.pool)
            .await
            .context("reading an AE's answers")
    }
}
