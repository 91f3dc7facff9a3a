//! Tier recomputation: trailing-12-month partner-sourced revenue in the reporting currency (fixed
//! conversion rates from the program, recorded with each run), promotions at once, demotions after
//! one period of grace, the managers told of all changes at once with each new commission factor,
//! and each partner as `[tiers] notify` says: its admins privately in its channel ("admins", the
//! default; the managers' summary names the partners without admins), everyone in its channel
//! ("channel"), or nobody but the managers ("managers").

use super::Service;
use crate::config::TierNotify;
use crate::domain::money::parse_currency;
use crate::domain::tier::{decide, period_of, tier_for, Tier, TierChange};
use crate::domain::Money;
use crate::notice::{Notice, PartnerName, TierDirection};
use crate::store::{AuditEntry, OutboxMessage, TierRun};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;

/// What one tier review run works from.
struct Review {
    today: NaiveDate,
    period: String,
    reporting: String,
    rates_json: String,
    currency: iso_currency::Currency,
    thresholds: [(Tier, Decimal); 3],
    /// Whom `[tiers] notify` names.
    notify: TierNotify,
    /// Each partner's admins (by partner id), when they are the ones told.
    admins: BTreeMap<i64, Vec<String>>,
}

/// Whether a partner's tier change reached whom `[tiers] notify` names.
#[derive(Debug, PartialEq, Eq)]
enum Told {
    AsConfigured,
    /// Admins were to be told, but the partner has none recorded.
    NoAdmins,
}

/// Where a partner's tier `notice` goes under `notify`: privately to each of `admins` in the
/// partner's channel, to the whole channel, or nowhere.
fn tier_notices(
    partner: &crate::domain::Partner,
    notice: Option<Notice>,
    notify: TierNotify,
    admins: &[String],
) -> Vec<OutboxMessage> {
    let Some(notice) = notice else {
        return Vec::new();
    };
    let to_channel = || super::message_to("tier_notice", &partner.conversation, notice.clone());
    match notify {
        TierNotify::Channel => vec![to_channel()],
        TierNotify::Admins => admins
            .iter()
            .map(|admin| to_channel().private_to(admin))
            .collect(),
        TierNotify::Managers => Vec::new(),
    }
}

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
        let reporting = cfg.reporting_currency.to_ascii_uppercase();
        let rates = self.reporting_rates();
        let (revenue, missing) = self.trailing_revenue(today, &rates).await?;
        let notify = self.tier_notify();
        let review = Review {
            today,
            period: period_of(today),
            rates_json: rates_used(&reporting, &rates, &missing),
            currency: parse_currency(&reporting).ok_or_else(|| {
                anyhow::anyhow!("tiers.reporting_currency “{reporting}” is not a currency")
            })?,
            thresholds: self.tier_thresholds(),
            admins: match notify {
                TierNotify::Admins => self.store.all_partner_admins().await?,
                _ => BTreeMap::new(),
            },
            notify,
            reporting,
        };
        let (mut summary, mut without_admins) = (Vec::new(), Vec::new());
        for partner in self.store.partners().await? {
            let earned = revenue.get(&partner.id.0).copied().unwrap_or_default();
            let Some((line, told)) = self.review_partner(&review, &partner, earned).await? else {
                continue;
            };
            if told == Told::NoAdmins {
                without_admins.push(PartnerName {
                    id: partner.id,
                    name: partner.name.clone(),
                });
            }
            summary.extend(line);
        }
        let period = &review.period;
        if !summary.is_empty() {
            let text = summary_text(period, &summary, &rates, &review.reporting, &missing);
            self.tell_managers(text, notify, without_admins).await?;
        }
        self.wake_delivery();
        Ok(format!("{} tier change(s) in {period}", summary.len()))
    }

    /// `[tiers] notify`, validated when the program was loaded.
    fn tier_notify(&self) -> TierNotify {
        self.program
            .tiers
            .notify_kind()
            .unwrap_or(TierNotify::Managers)
    }

    /// Reviews one partner who earned `earned` in the trailing year: its managers' summary line
    /// (if its tier moves) and whom the change was told to; `None` when there is nothing to
    /// review or the period was already reviewed.
    async fn review_partner(
        &self,
        review: &Review,
        partner: &crate::domain::Partner,
        earned: Decimal,
    ) -> anyhow::Result<Option<(Option<String>, Told)>> {
        let computed = tier_for(earned, &review.thresholds);
        let pending = self.store.pending_tier(partner.id).await?;
        let change = decide(partner.tier, computed, pending);
        if !reviewable(&change, partner.created_at.date_naive(), review.today) {
            return Ok(None);
        }
        let (new_tier, new_pending, line) = outcome(partner.tier, &change);
        let run = TierRun {
            period: review.period.clone(),
            partner_id: partner.id.0,
            revenue: earned.round_dp(2).to_string(),
            currency: review.reporting.clone(),
            previous_tier: partner.tier,
            computed_tier: computed,
            new_tier,
            rates: review.rates_json.clone(),
        };
        let revenue = shown(earned, review.currency);
        let notice = self.tier_message(partner.tier, new_tier, new_pending, &revenue)?;
        let factor = match &notice {
            Some(Notice::TierChange { new, factor, .. }) => format!("; {new} factor {factor}"),
            _ => String::new(),
        };
        let admins = review.admins.get(&partner.id.0).map(Vec::as_slice);
        let messages = tier_notices(
            partner,
            notice.clone(),
            review.notify,
            admins.unwrap_or_default(),
        );
        if !self.apply_review(&run, new_pending, &messages).await? {
            return Ok(None); // already reviewed this period
        }
        let told = match (&notice, review.notify, admins) {
            (Some(_), TierNotify::Admins, None) => Told::NoAdmins,
            _ => Told::AsConfigured,
        };
        let line = line.map(|line| {
            let name = &partner.name;
            format!("{name}: {line} ({revenue} partner-sourced, last 12 months{factor})")
        });
        Ok(Some((line, told)))
    }

    /// The revenue each tier needs, in the reporting currency, highest first.
    fn tier_thresholds(&self) -> [(Tier, Decimal); 3] {
        let cfg = &self.program.tiers;
        [
            (Tier::Platinum, cfg.platinum),
            (Tier::Gold, cfg.gold),
            (Tier::Silver, cfg.silver),
        ]
        .map(|(tier, min)| (tier, dec(min)))
    }

    /// Queues the managers' summary of a tier review, with who else was told (or a reminder to
    /// pass the changes on) and the partners whose admins were not told for want of any.
    async fn tell_managers(
        &self,
        mut text: String,
        notify: TierNotify,
        without_admins: Vec<PartnerName>,
    ) -> anyhow::Result<()> {
        match notify {
            TierNotify::Channel => {}
            TierNotify::Admins => text.push_str("\nEach partner's admins are told privately in its shared channel ([tiers] notify = \"admins\")."),
            TierNotify::Managers => text.push_str("\nPartners are not told in their shared channels ([tiers] notify = \"managers\"): pass each change on to the partner's admins."),
        }
        let notice = Notice::TierReview {
            text,
            without_admins,
        };
        let managers = &self.program.managers_conversation();
        let message = super::message_to("tier_summary", managers, notice);
        self.store.enqueue(&[message], self.clock.now_ms()).await
    }

    /// Stores a partner's review with its audit row and `messages` (its tier notices); false
    /// when the period was already reviewed.
    async fn apply_review(
        &self,
        run: &TierRun,
        new_pending: Option<Tier>,
        messages: &[OutboxMessage],
    ) -> anyhow::Result<bool> {
        let audit = AuditEntry {
            actor: "system",
            surface: "job",
            entity: "partner",
            action: "tier_reviewed",
            detail: serde_json::from_str(&run.rates)?,
        };
        let now = self.clock.now_ms();
        self.store
            .apply_tier_run(run, new_pending, &audit, messages, now)
            .await
    }

    /// Partner-sourced revenue over the year to `today` per partner, in the reporting currency
    /// at `rates`, and the currencies left out for want of a rate.
    async fn trailing_revenue(
        &self,
        today: NaiveDate,
        rates: &BTreeMap<String, Decimal>,
    ) -> anyhow::Result<(BTreeMap<i64, Decimal>, Vec<String>)> {
        let mut revenue: BTreeMap<i64, Decimal> = BTreeMap::new();
        let mut missing: Vec<String> = Vec::new();
        for earned in self
            .store
            .sourced_revenue(today - Duration::days(365), today)
            .await?
        {
            let (partner, currency, minor) =
                (earned.partner_id, earned.currency, earned.amount_minor);
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
        Ok((revenue, missing))
    }

    /// What the partner is told: a new tier and what it means, or a heads-up about a demotion.
    fn tier_message(
        &self,
        old: Tier,
        new: Tier,
        pending: Option<Tier>,
        revenue: &str,
    ) -> anyhow::Result<Option<Notice>> {
        let rules = super::commission_rules::commission_rules(&self.program.commissions)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let factor = |tier: Tier| {
            rules
                .tiers
                .get(tier.as_str())
                .map_or_else(|| "1".to_string(), |f| f.normalize().to_string())
        };
        let (new, direction) = if let Some(to) = pending {
            (to, TierDirection::DownNextPeriod)
        } else if old != new && new.rank() >= old.rank() {
            (new, TierDirection::Up)
        } else if old != new {
            (new, TierDirection::Down)
        } else {
            return Ok(None);
        };
        Ok(Some(Notice::TierChange {
            old,
            new,
            direction,
            revenue: revenue.to_string(),
            factor: factor(new),
        }))
    }
}

/// `amount` in the reporting `currency`, rounded to its minor unit.
fn shown(amount: Decimal, currency: iso_currency::Currency) -> String {
    let digits = crate::domain::money::minor_digits(currency);
    Money::from_decimal(amount.round_dp(digits), currency)
        .map_or_else(|| amount.to_string(), |m| m.to_string())
}

/// A new partner earns a higher tier at once, but is not reviewed downwards (nor told
/// "inactive") before a full period in the program.
fn reviewable(change: &TierChange, joined: NaiveDate, today: NaiveDate) -> bool {
    let promoted = matches!(change, TierChange::Promoted { to } if *to != Tier::Inactive);
    promoted || in_program_for_a_period(joined, today)
}

/// The reporting currency, the rates and the currencies without one, as the audit keeps them.
fn rates_used(reporting: &str, rates: &BTreeMap<String, Decimal>, missing: &[String]) -> String {
    let rates: BTreeMap<_, _> = rates
        .iter()
        .map(|(c, r)| (c.clone(), r.to_string()))
        .collect();
    json!({ "reporting_currency": reporting, "rates": rates, "missing": missing }).to_string()
}

/// A tier review's outcome for a partner now at `old`: the tier it keeps, a demotion left
/// pending, and the line for the managers' summary when something changed.
fn outcome(old: Tier, change: &TierChange) -> (Tier, Option<Tier>, Option<String>) {
    match change {
        TierChange::Unchanged => (old, None, None),
        TierChange::Promoted { to } => (*to, None, Some(format!("{old} → {to}"))),
        TierChange::Demoted { to } => (
            *to,
            None,
            Some(format!("{old} → {to} (after a period of grace)")),
        ),
        TierChange::DemotionPending { to } => (
            old,
            Some(*to),
            Some(format!(
                "stays {} this period; {to} next period unless revenue recovers",
                old
            )),
        ),
    }
}

/// The managers' summary of a tier review.
fn summary_text(
    period: &str,
    summary: &[String],
    rates: &BTreeMap<String, Decimal>,
    reporting: &str,
    missing: &[String],
) -> String {
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
    text
}
