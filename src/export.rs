//! CSV exports for finance and RevOps: RFC 4180 quoting (the `csv` crate), UTF-8, a header row,
//! ISO dates and times in UTC, amounts as exact decimals with their currency. The commission export
//! is what a payout run uses: one row per partner per currency.

use crate::domain::{Money, PartnerId};
use crate::store::Store;
use anyhow::Context;
use chrono::DateTime;
use std::collections::BTreeMap;
use std::io::Write;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Export {
    Deals,
    Commissions,
    Audit,
}

fn iso(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn decimal(minor: i64, currency: &str) -> String {
    Money::from_minor(minor, currency)
        .map_or_else(|| minor.to_string(), |m| m.decimal().to_string())
}

/// Writes `what` as CSV to `out`: rows created at or after `since_ms`, optionally one partner's.
/// Returns how many data rows were written.
pub async fn export(
    store: &Store,
    what: Export,
    since_ms: i64,
    partner: Option<PartnerId>,
    out: impl Write,
) -> anyhow::Result<usize> {
    let mut csv = csv::Writer::from_writer(out);
    let names: BTreeMap<i64, String> = store
        .partners()
        .await?
        .into_iter()
        .map(|p| (p.id.0, p.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut rows = 0;
    match what {
        Export::Deals => {
            csv.write_record([
                "deal_id",
                "partner_id",
                "partner_name",
                "status",
                "company",
                "domain",
                "contact_name",
                "contact_email",
                "amount",
                "currency",
                "close_date",
                "stage",
                "registration_timing",
                "protected_until",
                "registered_by",
                "created_at",
            ])?;
            for d in store.deals_since(since_ms, partner).await? {
                csv.write_record([
                    d.id.to_string(),
                    d.partner_id.0.to_string(),
                    name(d.partner_id.0),
                    d.status.as_str().to_string(),
                    d.company.clone(),
                    d.domain.clone().unwrap_or_default(),
                    d.contact_name.clone().unwrap_or_default(),
                    d.contact_email.clone().unwrap_or_default(),
                    d.amount.decimal().to_string(),
                    d.amount.currency().code().to_string(),
                    d.close_date.to_string(),
                    d.stage.as_str().to_string(),
                    d.timing.map(|t| t.as_str().to_string()).unwrap_or_default(),
                    d.protected_until.map(|p| p.to_string()).unwrap_or_default(),
                    d.registered_by.clone(),
                    d.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ])?;
                rows += 1;
            }
        }
        Export::Commissions => {
            csv.write_record([
                "partner_id",
                "partner_name",
                "currency",
                "pending",
                "payable",
                "paid",
                "total",
                "entries",
            ])?;
            // One row per partner per currency; currencies are never summed together.
            let mut sums: BTreeMap<(i64, String), [i64; 4]> = BTreeMap::new();
            for row in store.ledger(partner).await? {
                let slot = row.status.index();
                let entry = sums
                    .entry((row.partner_id, row.currency.clone()))
                    .or_default();
                entry[slot] += row.amount_minor;
                entry[3] += 1;
            }
            for ((partner_id, currency), [pending, payable, paid, entries]) in sums {
                csv.write_record([
                    partner_id.to_string(),
                    name(partner_id),
                    currency.clone(),
                    decimal(pending, &currency),
                    decimal(payable, &currency),
                    decimal(paid, &currency),
                    decimal(pending + payable + paid, &currency),
                    entries.to_string(),
                ])?;
                rows += 1;
            }
        }
        Export::Audit => {
            csv.write_record([
                "id",
                "at",
                "actor",
                "surface",
                "entity",
                "entity_id",
                "action",
                "detail",
            ])?;
            for a in store.audit_since(since_ms).await? {
                csv.write_record([
                    a.id.to_string(),
                    iso(a.at),
                    a.actor,
                    a.surface,
                    a.entity,
                    a.entity_id.to_string(),
                    a.action,
                    a.detail,
                ])?;
                rows += 1;
            }
        }
    }
    csv.flush().context("writing the export")?;
    Ok(rows)
}
