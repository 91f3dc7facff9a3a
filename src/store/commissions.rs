//! The commission ledger: written with the win in one transaction, then moved pending →
//! payable (after the hold) → paid (when finance marks it). Sums are per currency.

use super::outbox::{insert_outbox, OutboxMessage};
use super::{append_audit, AuditEntry, Store};
use crate::domain::commission::LedgerStatus;
use crate::domain::{Deal, DealId, DealStatus, Money, PartnerId};
use anyhow::Context;
use chrono::NaiveDate;

/// One ledger row to write: instalment number, amount, and when it becomes payable.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub instalment: u32,
    pub amount: Money,
    pub payable_from: NaiveDate,
}

/// A ledger row as read back.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: i64,
    pub deal_id: i64,
    pub partner_id: i64,
    pub instalment: i64,
    pub amount_minor: i64,
    pub currency: String,
    #[sqlx(try_from = "String")]
    pub status: LedgerStatus,
    pub payable_from: String,
    pub calculation: String,
}

const LEDGER_COLUMNS: &str = "id, deal_id, partner_id, instalment, amount_minor, currency, status, payable_from, calculation";

/// The sum of one currency's ledger entries in one status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommissionTotal {
    pub currency: String,
    #[sqlx(try_from = "String")]
    pub status: LedgerStatus,
    pub amount_minor: i64,
}

/// What a win records.
#[derive(Debug, Clone)]
pub struct Win<'a> {
    pub amount: Money,
    pub close_date: NaiveDate,
    pub attribution: &'a str,
    pub calculation: &'a str,
    pub entries: &'a [LedgerEntry],
}

impl Store {
    /// Marks a deal won (if still in one of `from`) with its final amount and close date, and
    /// writes its ledger rows, an audit row and `messages`, all in one transaction. `None` when
    /// the deal was no longer in `from`.
    pub async fn win_deal(
        &self,
        id: DealId,
        from: &[DealStatus],
        win: &Win<'_>,
        audit: &AuditEntry<'_>,
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> anyhow::Result<Option<Deal>> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let allowed: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 7)).collect();
        let sql = format!(
            "UPDATE deals SET status = 'won', amount_minor = $1, currency = $2, close_date = $3, attribution = $4, updated_at = $5 \
             WHERE id = $6 AND status IN ({}) RETURNING partner_id",
            allowed.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql)
            .bind(win.amount.minor())
            .bind(win.amount.currency().code())
            .bind(win.close_date.to_string())
            .bind(win.attribution)
            .bind(now_ms)
            .bind(id.0);
        for status in from {
            query = query.bind(status.as_str());
        }
        let Some(partner_id) = query
            .fetch_optional(&mut *tx)
            .await
            .context("recording the win")?
        else {
            tx.rollback().await.context("rolling back a refused win")?;
            return Ok(None);
        };
        for entry in win.entries {
            sqlx::query(
                "INSERT INTO commissions (deal_id, partner_id, instalment, amount_minor, currency, status, payable_from, calculation, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)",
            )
            .bind(id.0)
            .bind(partner_id)
            .bind(i64::from(entry.instalment))
            .bind(entry.amount.minor())
            .bind(entry.amount.currency().code())
            .bind(entry.payable_from.to_string())
            .bind(win.calculation)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .context("writing the commission ledger")?;
        }
        append_audit(&mut tx, audit, id.0, now_ms).await?;
        for message in messages {
            insert_outbox(&mut tx, message, now_ms).await?;
        }
        tx.commit().await.context("committing the win")?;
        self.deal(id).await
    }

    /// Ledger rows of one deal.
    pub async fn ledger_of_deal(&self, id: DealId) -> anyhow::Result<Vec<LedgerRow>> {
        sqlx::query_as::<_, LedgerRow>(&format!(
            "SELECT {LEDGER_COLUMNS} FROM commissions WHERE deal_id = $1 ORDER BY instalment"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .context("reading a deal's commissions")
    }

    /// Sums per (currency, status), for one partner or for everyone.
    pub async fn commission_totals(
        &self,
        partner: Option<PartnerId>,
    ) -> anyhow::Result<Vec<CommissionTotal>> {
        let (filter, id) = match partner {
            Some(p) => ("WHERE partner_id = $1", p.0),
            None => ("WHERE partner_id > $1", 0),
        };
        sqlx::query_as(&format!(
            "SELECT currency, status, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM commissions {filter} GROUP BY currency, status ORDER BY currency, status"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("summing commissions")
    }

    /// Moves pending rows whose hold ended by `today` to payable; returns them.
    pub async fn release_payable(&self, today: NaiveDate) -> anyhow::Result<Vec<LedgerRow>> {
        sqlx::query_as::<_, LedgerRow>(&format!(
            "UPDATE commissions SET status = 'payable' WHERE status = 'pending' AND payable_from <= $1 RETURNING {LEDGER_COLUMNS}"
        ))
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await
        .context("releasing payable commissions")
    }

    /// Marks payable rows paid; returns the rows it changed (others were not payable).
    pub async fn mark_paid(
        &self,
        ids: &[i64],
        by: &str,
        now_ms: i64,
    ) -> anyhow::Result<Vec<LedgerRow>> {
        let mut paid = Vec::new();
        for id in ids {
            let row = sqlx::query_as::<_, LedgerRow>(&format!(
                "UPDATE commissions SET status = 'paid', paid_at = $1, paid_by = $2 WHERE id = $3 AND status = 'payable' RETURNING {LEDGER_COLUMNS}"
            ))
            .bind(now_ms)
            .bind(by)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("marking a commission paid")?;
            paid.extend(row);
        }
        Ok(paid)
    }

    /// Every ledger row (optionally one partner's), oldest first.
    pub async fn ledger(&self, partner: Option<PartnerId>) -> anyhow::Result<Vec<LedgerRow>> {
        let (filter, id) = match partner {
            Some(p) => ("WHERE partner_id = $1", p.0),
            None => ("WHERE partner_id > $1", 0),
        };
        sqlx::query_as::<_, LedgerRow>(&format!(
            "SELECT {LEDGER_COLUMNS} FROM commissions {filter} ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("reading the ledger")
    }
}
