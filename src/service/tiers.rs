//! Tier recomputation: trailing-12-month partner-sourced revenue in the reporting currency (fixed
//! conversion rates from the program, recorded with each run), promotions at once, demotions after
//! one period of grace, each partner told of a change and the managers of all of them at once.

use super::Service;
use crate::domain::money::parse_currency;
use crate::domain::tier::{decide, period_of, rank, tier_for, TierChange};
use crate::domain::Money;
use crate::notice::{NoteAbout, Notice, TierDirection};
use crate::store::{AuditEntry, TierRun};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;

fn dec(v: f64) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap_or_default()
}

/// Whether a partner who joined on `joined` has been in the program for one full review period
/// (a quarter) by `today`.
fn in_program_for_a_period(joined: chrono::NaiveDate, today: chrono::NaiveDate) -> bool {
    joined
        .checked_add_months(chrono::Months::new(3))
        .is_some_and(|full| full <= today)
}

impl Service {
    /// The program's fixed conversion rates into the reporting currency, by upper-case ISO code
    /// (the reporting currency itself at 1).
    pub(super) fn reporting_rates(&self) -> BTreeMap<String, Decimal> {
        let cfg = &self.program.tiers;
        let mut rates: BTreeMap<String, Decimal> = cfg
            .rates
            .iter()
            .map(|(c, r)| (c.to_ascii_uppercase(), dec(*r)))
            .collect();
        rates.insert(cfg.reporting_currency.to_ascii_uppercase(), Decimal::ONE);
        rates
    }

    /// An amount in the reporting currency; `None` when its currency has no rate.
    pub(super) fn to_reporting(&self, amount: &Money) -> Option<Decimal> {
        self.reporting_rates()
            .get(amount.currency().code())
            .map(|rate| amount.decimal() * rate)
    }

    /// Reviews every partner's tier for the period containing `now`. Running it again in the
    /// same period changes and announces nothing. Returns a one-line summary.
    pub async fn recompute_tiers(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let cfg = &self.program.tiers;
        let today = now.date_naive();
        let period = period_of(today);
        let reporting = cfg.reporting_currency.to_ascii_uppercase();
        let rates = self.reporting_rates();
        let thresholds = [
            ("platinum", dec(cfg.platinum)),
            ("gold", dec(cfg.gold)),
            ("silver", dec(cfg.silver)),
        ];
        let mut revenue: BTreeMap<i64, Decimal> = BTreeMap::new();
        let mut missing: Vec<String> = Vec::new();
        for (partner, currency, minor) in self
            .store
            .sourced_revenue(today - Duration::days(365), today)
            .await?
        {
            let Some(rate) = rates.get(&currency) else {
                missing.push(currency);
                continue;
            };
            let amount = Money::from_minor(minor, &currency)
                .map(|m| m.decimal())
                .unwrap_or_default();
            *revenue.entry(partner).or_default() += amount * rate;
        }
        missing.sort();
        missing.dedup();
        let rates_json = json!({ "reporting_currency": reporting, "rates": rates.iter().map(|(c, r)| (c.clone(), r.to_string())).collect::<BTreeMap<_, _>>(), "missing": missing }).to_string();
        let currency = parse_currency(&reporting).ok_or_else(|| {
            anyhow::anyhow!("tiers.reporting_currency “{reporting}” is not a currency")
        })?;
        let show = |d: Decimal| {
            Money::from_decimal(
                d.round_dp(crate::domain::money::minor_digits(currency)),
                currency,
            )
            .map_or_else(|| d.to_string(), |m| m.to_string())
        };
        let (mut summary, mut changed) = (Vec::new(), 0);
        for partner in self.store.partners().await? {
            let earned = revenue.get(&partner.id.0).copied().unwrap_or_default();
            let computed = tier_for(earned, &thresholds);
            let pending = self.store.pending_tier(partner.id).await?;
            let change = decide(&partner.tier, computed, pending.as_deref());
            let promoted = matches!(change, TierChange::Promoted { to } if to != "inactive");
            if !promoted && !in_program_for_a_period(partner.created_at.date_naive(), today) {
                // A new partner earns a higher tier at once, but is not reviewed downwards (nor
                // told "inactive") before a full period in the program.
                continue;
            }
            let (new_tier, new_pending, line) = match &change {
                TierChange::Unchanged => (partner.tier.clone(), None, None),
                TierChange::Promoted { to } => (
                    to.to_string(),
                    None,
                    Some(format!("{} → {to}", partner.tier)),
                ),
                TierChange::Demoted { to } => (
                    to.to_string(),
                    None,
                    Some(format!("{} → {to} (after a period of grace)", partner.tier)),
                ),
                TierChange::DemotionPending { to } => (
                    partner.tier.clone(),
                    Some(*to),
                    Some(format!(
                        "stays {} this period; {to} next period unless revenue recovers",
                        partner.tier
                    )),
                ),
            };
            let run = TierRun {
                period: period.clone(),
                partner_id: partner.id.0,
                revenue: earned.round_dp(2).to_string(),
                currency: reporting.clone(),
                previous_tier: partner.tier.clone(),
                computed_tier: computed.to_string(),
                new_tier: new_tier.clone(),
                rates: rates_json.clone(),
            };
            let mut messages = Vec::new();
            if let Some(notice) =
                self.tier_message(&partner.tier, &new_tier, new_pending, &show(earned))?
            {
                messages.push(super::message_to(
                    "tier_notice",
                    &partner.slack_channel,
                    notice,
                ));
            }
            let audit = AuditEntry {
                actor: "system",
                surface: "job",
                entity: "partner",
                action: "tier_reviewed",
                detail: serde_json::from_str(&rates_json)?,
            };
            if !self
                .store
                .apply_tier_run(&run, new_pending, &audit, &messages, self.clock.now_ms())
                .await?
            {
                continue; // already reviewed this period
            }
            if let Some(line) = line {
                changed += 1;
                summary.push(format!(
                    "{}: {line} ({} partner-sourced, last 12 months)",
                    partner.name,
                    show(earned)
                ));
            }
        }
        if !summary.is_empty() {
            let mut text = format!("Tier review {period}:\n• {}", summary.join("\n• "));
            text.push_str(&format!(
                "\nRates used: 1 unit = {} {reporting}",
                rates
                    .iter()
                    .map(|(c, r)| format!("{c} {r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            if !missing.is_empty() {
                text.push_str(&format!(
                    "\nLeft out (no rate in [tiers.rates]): {}",
                    missing.join(", ")
                ));
            }
            let notice = Notice::Note {
                about: NoteAbout::Tiers,
                by: None,
                text,
            };
            let message =
                super::message_to("tier_summary", &self.program.managers.slack_channel, notice);
            self.store.enqueue(&[message], self.clock.now_ms()).await?;
        }
        self.wake_delivery();
        Ok(format!("{changed} tier change(s) in {period}"))
    }

    /// What the partner is told: a new tier and what it means, or a heads-up about a demotion.
    fn tier_message(
        &self,
        old: &str,
        new: &str,
        pending: Option<&str>,
        revenue: &str,
    ) -> anyhow::Result<Option<Notice>> {
        let rules = super::commission_rules::commission_rules(&self.program.commissions)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let factor = |tier: &str| {
            rules
                .tiers
                .get(tier)
                .map_or_else(|| "1".to_string(), |f| f.normalize().to_string())
        };
        let (new, direction) = if let Some(to) = pending {
            (to, TierDirection::DownNextPeriod)
        } else if old != new && rank(new) >= rank(old) {
            (new, TierDirection::Up)
        } else if old != new {
            (new, TierDirection::Down)
        } else {
            return Ok(None);
        };
        Ok(Some(Notice::TierChange {
            old: old.to_string(),
            new: new.to_string(),
            direction,
            revenue: revenue.to_string(),
            factor: factor(new),
        }))
    }
}
