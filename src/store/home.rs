//! What the Slack Home tab reads beyond `/deal list`: the managers' review queue and the
//! partner-vs-direct alerts an AE received, with the AE's answers.

use super::deals::{DealRow, DEAL_COLUMNS};
use super::Store;
use crate::domain::Deal;
use anyhow::Context;

/// Registrations waiting for the managers: in review, in conflict, or approved with an
/// extension request waiting.
const AWAITING_MANAGERS: &str = "(status IN ('pending_review', 'conflict') \
     OR (status = 'approved' AND extension_request IS NOT NULL))";

fn deals_of(rows: Vec<DealRow>) -> anyhow::Result<Vec<Deal>> {
    rows.into_iter().map(Deal::try_from).collect()
}

impl Store {
    /// One page of the deals matching `condition` (whose placeholders `$1…` take `binds`) in
    /// `order`, and how many match in all.
    pub(super) async fn deal_page(
        &self,
        condition: &str,
        binds: &[&str],
        order: &str,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<Deal>, i64)> {
        let n = binds.len();
        let sql = format!(
            "SELECT {DEAL_COLUMNS} FROM deals WHERE {condition} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut page = sqlx::query_as::<_, DealRow>(&sql);
        let count_sql = format!("SELECT COUNT(*) FROM deals WHERE {condition}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in binds {
            page = page.bind(*b);
            count = count.bind(*b);
        }
        let page = page.bind(limit).bind(offset);
        let rows = self.all(page, "reading a page of deals").await?;
        let total = self.value(count, "counting deals").await?;
        Ok((deals_of(rows)?, total))
    }

    /// One page of registrations waiting for the managers (oldest first, so the longest waits
    /// come first), and how many wait in all.
    pub async fn review_queue(&self, limit: i64, offset: i64) -> anyhow::Result<(Vec<Deal>, i64)> {
        self.deal_page(AWAITING_MANAGERS, &[], "id", limit, offset)
            .await
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
        self.deal_page(ALERTED, &[user], "id DESC", limit, offset)
            .await
    }

    /// The answers `user` gave to alerts (audit rows whose action is one of `actions`), as
    /// (deal id, action), oldest first.
    pub async fn ae_answers_of(
        &self,
        user: &str,
        actions: &[&str],
    ) -> anyhow::Result<Vec<(i64, String)>> {
        // Placeholders are numbered as they are used: Postgres refuses an unused one.
        let sql = format!(
            "SELECT entity_id, action FROM audit_log WHERE entity = 'deal' AND actor = $1 \
             AND action IN ({}) ORDER BY id",
            super::placeholders(2, actions.len())
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
