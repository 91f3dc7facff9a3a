//! The commission ledger: written with the win in one transaction, then moved pending →
//! payable (after the hold) → paid (when finance marks it). Sums are per currency.

use super::outbox::OutboxMessage;
use super::statements::finish;
use super::statements::run_on;
use super::{AuditEntry, Store};
use crate::domain::commission::LedgerStatus;
use crate::domain::{Deal, DealId, DealStatus, Money, PartnerId};
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
        let sql = format!(
            "UPDATE deals SET status = 'won', amount_minor = $1, currency = $2, close_date = $3, attribution = $4, updated_at = $5 \
             WHERE id = $6 AND status IN ({}) RETURNING partner_id",
            super::placeholders(7, from.len())
        );
        let mut query = sqlx::query_as::<_, (i64,)>(&sql)
            .bind(win.amount.minor())
            .bind(win.amount.currency().code())
            .bind(win.close_date.to_string())
            .bind(win.attribution)
            .bind(now_ms)
            .bind(id.0);
        for status in from {
            query = query.bind(status.as_str());
        }
        let Some((mut tx, (partner_id,))) = self.begin_with(query, "the win").await? else {
            return Ok(None);
        };
        for entry in win.entries {
            let statement = sqlx::query(
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
            .bind(now_ms);
            run_on(&mut tx, statement, "writing the commission ledger").await?;
        }
        finish(tx, Some((audit, id.0)), messages, now_ms, "the win").await?;
        self.deal(id).await
    }

    /// Ledger rows of one deal.
    pub async fn ledger_of_deal(&self, id: DealId) -> anyhow::Result<Vec<LedgerRow>> {
        let sql = format!(
            "SELECT {LEDGER_COLUMNS} FROM commissions WHERE deal_id = $1 ORDER BY instalment"
        );
        let query = sqlx::query_as::<_, LedgerRow>(&sql).bind(id.0);
        self.all(query, "reading a deal's commissions").await
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
        let sql = format!(
            "SELECT currency, status, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM commissions {filter} GROUP BY currency, status ORDER BY currency, status"
        );
        let query = sqlx::query_as(&sql).bind(id);
        self.all(query, "summing commissions").await
    }

    /// Moves pending rows whose hold ended by `today` to payable; returns them.
    pub async fn release_payable(&self, today: NaiveDate) -> anyhow::Result<Vec<LedgerRow>> {
        let sql = format!(
            "UPDATE commissions SET status = 'payable' WHERE status = 'pending' AND payable_from <= $1 RETURNING {LEDGER_COLUMNS}"
        );
        let query = sqlx::query_as::<_, LedgerRow>(&sql).bind(today.to_string());
        self.all(query, "releasing payable commissions").await
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
            let sql = format!(
                "UPDATE commissions SET status = 'paid', paid_at = $1, paid_by = $2 WHERE id = $3 AND status = 'payable' RETURNING {LEDGER_COLUMNS}"
            );
            let query = sqlx::query_as::<_, LedgerRow>(&sql)
                .bind(now_ms)
                .bind(by)
                .bind(id);
            let row = self.optional(query, "marking a commission paid").await?;
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
        let sql = format!("SELECT {LEDGER_COLUMNS} FROM commissions {filter} ORDER BY id");
        let query = sqlx::query_as::<_, LedgerRow>(&sql).bind(id);
        self.all(query, "reading the ledger").await
    }
}
