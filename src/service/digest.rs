//! The weekly digest: one message per partner manager about their partners (every partner for
//! the head of partnerships), with the week's figures and a chart of pipeline and wins.

use super::Service;
use crate::chart::{weekly_chart, Series, Unconverted};
use crate::chat::ChatUser;
use crate::domain::commission::Total;
use crate::domain::digest::{sections, DigestFacts};
use crate::domain::engagement::business_days_between;
use crate::domain::{Deal, DealStatus, Money, Partner};
use crate::notice::Notice;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A composed digest: its facts and the chart PNG.
#[derive(Debug, Clone)]
pub struct Digest {
    pub facts: DigestFacts,
    pub png: Vec<u8>,
    /// Currencies the chart could not convert (no rate in `[tiers.rates]`); named on the chart.
    pub unconverted: Vec<Unconverted>,
}

const WEEKS: i64 = 12;

/// A deal as a digest line: id, customer, partner, amount and `extra`.
fn digest_line(d: &Deal, names: &BTreeMap<i64, &Partner>, extra: &str) -> String {
    let partner = names.get(&d.partner_id.0).map_or("?", |p| p.name.as_str());
    format!("{} · {} ({partner}) · {}{extra}", d.id, d.company, d.amount)
}

/// The chart's first Monday and its week labels, up to the week of `today`.
fn chart_weeks(today: NaiveDate) -> (NaiveDate, Vec<String>) {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first = monday - Duration::weeks(WEEKS - 1);
    let labels = (0..WEEKS)
        .map(|w| (first + Duration::weeks(w)).format("%b %-d").to_string())
        .collect();
    (first, labels)
}

/// The chart weeks a deal counts in: its pipeline week (when registered) and, once won, its win
/// week (when it closed); `None` outside the chart.
fn weeks_of(
    deal: &Deal,
    week_of: &impl Fn(NaiveDate) -> Option<usize>,
) -> (Option<usize>, Option<usize>) {
    let won = (deal.status == DealStatus::Won)
        .then(|| week_of(deal.close_date))
        .flatten();
    (week_of(deal.created_at.date_naive()), won)
}

impl Service {
    /// The partners a manager's digest covers: all for the head of partnerships, else theirs.
    pub async fn partners_of_manager(&self, manager: &str) -> anyhow::Result<Vec<Partner>> {
        let head = self
            .program
            .managers
            .head
            .clone()
            .or_else(|| self.program.manager_users().first().map(|m| m.id.clone()));
        let all = self.store.partners().await?;
        Ok(if head.as_deref() == Some(manager) {
            all
        } else {
            all.into_iter()
                .filter(|p| p.manager_user.as_deref() == Some(manager))
                .collect()
        })
    }

    /// Composes a manager's digest for the week ending at `now`.
    pub async fn compose_digest(
        &self,
        manager: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Digest> {
        let partners = self.partners_of_manager(manager).await?;
        let names: BTreeMap<i64, &Partner> = partners.iter().map(|p| (p.id.0, p)).collect();
        let deals: Vec<Deal> = self
            .store
            .deals_since(0, None)
            .await?
            .into_iter()
            .filter(|d| names.contains_key(&d.partner_id.0))
            .collect();
        let today = now.date_naive();
        let mut f = DigestFacts {
            manager: manager.to_string(),
            week: now.format("%G-W%V").to_string(),
            partners: partners.len(),
            ..DigestFacts::default()
        };
        self.deal_facts(&mut f, &deals, &names, now).await?;
        self.partner_facts(&mut f, &names, now).await?;
        f.top_partners = self.top_partners(&deals, &names, today);
        let (png, unconverted) = self.digest_chart(&partners, &deals, today)?;
        Ok(Digest {
            facts: f,
            png,
            unconverted,
        })
    }

    /// The week's registrations, conflicts, waits, expiries, wins and commissions of `deals`.
    async fn deal_facts(
        &self,
        f: &mut DigestFacts,
        deals: &[Deal],
        names: &BTreeMap<i64, &Partner>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let today = now.date_naive();
        let since = now - Duration::days(7);
        let item = |d: &Deal, extra: String| digest_line(d, names, &extra);
        let mut new_value: BTreeMap<String, Total> = BTreeMap::new();
        let mut commissions: BTreeMap<String, Total> = BTreeMap::new();
        let sla = i64::from(self.program.rules.approval_sla_business_days);
        for d in deals {
            if d.created_at >= since {
                f.new_registrations
                    .push(item(d, format!(" · {}", d.status.label())));
                let _ = new_value
                    .entry(d.amount.currency().code().to_string())
                    .or_default()
                    .add(d.amount);
            }
            if d.status == DealStatus::Conflict {
                f.open_conflicts.push(item(
                    d,
                    format!(
                        " · {} days old",
                        (today - d.created_at.date_naive()).num_days()
                    ),
                ));
            }
            let waited = business_days_between(d.created_at.date_naive(), today);
            if matches!(d.status, DealStatus::PendingReview | DealStatus::Conflict) && waited > sla
            {
                f.waiting_past_sla
                    .push(item(d, format!(" · waiting {waited} business days")));
            }
            if let (DealStatus::Approved, Some(until)) = (d.status, d.protected_until) {
                if until >= today && until <= today + Duration::days(14) {
                    f.expiring_soon
                        .push(item(d, format!(" · protection ends {until}")));
                }
            }
            if d.status == DealStatus::Won && d.close_date >= since.date_naive() {
                f.wins.push(item(d, String::new()));
                self.add_commissions(d, &mut commissions).await?;
            }
        }
        f.new_value = new_value.values().map(ToString::to_string).collect();
        f.commissions = commissions.values().map(ToString::to_string).collect();
        Ok(())
    }

    /// Adds the commissions `deal` earned to the totals per currency.
    async fn add_commissions(
        &self,
        deal: &Deal,
        totals: &mut BTreeMap<String, Total>,
    ) -> anyhow::Result<()> {
        for row in self.store.ledger_of_deal(deal.id).await? {
            if let Some(m) = Money::from_minor(row.amount_minor, &row.currency) {
                let _ = totals.entry(row.currency.clone()).or_default().add(m);
            }
        }
        Ok(())
    }

    /// The week's tier changes, quiet partners, re-activation and satisfaction of the partners.
    async fn partner_facts(
        &self,
        f: &mut DigestFacts,
        names: &BTreeMap<i64, &Partner>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let since = now - Duration::days(7);
        for (partner, old, new) in self
            .store
            .tier_changes_since(since.timestamp_millis())
            .await?
        {
            if let Some(p) = names.get(&partner) {
                f.tier_changes.push(format!("{}: {old} → {new}", p.name));
            }
        }
        let quiet_after = i64::from(self.program.nudges.after_days);
        for activity in self.store.partner_activity().await? {
            let Some(p) = names.get(&activity.partner_id) else {
                continue;
            };
            let quiet = activity.quiet_days(now.timestamp_millis());
            if quiet >= quiet_after && !p.paused {
                f.quiet.push(format!("{} · quiet for {quiet} days", p.name));
            }
        }
        let back = self.reactivation_since(now - Duration::days(90)).await?;
        f.reactivation = (back.nudged, back.came_back);
        if let Some(round) = self.store.survey_rounds().await?.last() {
            let recent = round
                .closed_at
                .is_none_or(|c| c >= since.timestamp_millis());
            if recent {
                f.psat = self
                    .survey_results_text(Some(round.id), false)
                    .await?
                    .and_then(|t| t.lines().next().map(str::to_string));
            }
        }
        Ok(())
    }

    /// The five partners with the most sourced revenue over the last year, in the reporting
    /// currency.
    fn top_partners(
        &self,
        deals: &[Deal],
        names: &BTreeMap<i64, &Partner>,
        today: NaiveDate,
    ) -> Vec<String> {
        let mut sourced: BTreeMap<i64, Decimal> = BTreeMap::new();
        for d in deals
            .iter()
            .filter(|d| d.status == DealStatus::Won && d.close_date >= today - Duration::days(365))
        {
            if let Some(v) = self.to_reporting(&d.amount) {
                *sourced.entry(d.partner_id.0).or_default() += v;
            }
        }
        let mut top: Vec<(i64, Decimal)> = sourced.into_iter().collect();
        top.sort_by_key(|(_, revenue)| std::cmp::Reverse(*revenue));
        let reporting = self.program.tiers.reporting_currency.to_ascii_uppercase();
        top.into_iter()
            .take(5)
            .filter_map(|(id, revenue)| {
                let p = names.get(&id)?;
                Some(format!("{} · {} {reporting}", p.name, revenue.round_dp(2)))
            })
            .collect()
    }

    fn digest_chart(
        &self,
        partners: &[Partner],
        deals: &[Deal],
        today: NaiveDate,
    ) -> anyhow::Result<(Vec<u8>, Vec<Unconverted>)> {
        let (first, weeks) = chart_weeks(today);
        let week_of = |d: NaiveDate| {
            ((d - first).num_days() >= 0)
                .then(|| ((d - first).num_days() / 7) as usize)
                .filter(|w| *w < WEEKS as usize)
        };
        let mut by_type: BTreeMap<String, Series> = BTreeMap::new();
        let mut unconverted: BTreeMap<String, Unconverted> = BTreeMap::new();
        for d in deals {
            let Some(p) = partners.iter().find(|p| p.id == d.partner_id) else {
                continue;
            };
            let Some(value) = self.to_reporting(&d.amount).and_then(|v| v.to_f64()) else {
                // No rate for this currency: named on the chart, never counted as zero.
                let code = d.amount.currency().code().to_string();
                let u = unconverted
                    .entry(code.clone())
                    .or_insert_with(|| Unconverted {
                        currency: code,
                        pipeline: 0.0,
                        wins: 0.0,
                    });
                let native = d.amount.decimal().to_f64().unwrap_or(0.0);
                let (pipeline, won) = weeks_of(d, &week_of);
                u.pipeline += pipeline.map_or(0.0, |_| native);
                u.wins += won.map_or(0.0, |_| native);
                continue;
            };
            let s = by_type
                .entry(p.partner_type.as_str().to_string())
                .or_insert_with(|| Series {
                    partner_type: p.partner_type.as_str().to_string(),
                    pipeline: vec![0.0; WEEKS as usize],
                    wins: vec![0.0; WEEKS as usize],
                });
            let (pipeline, won) = weeks_of(d, &week_of);
            if let Some(w) = pipeline {
                s.pipeline[w] += value;
            }
            if let Some(w) = won {
                s.wins[w] += value;
            }
        }
        let series: Vec<Series> = by_type.into_values().collect();
        let unconverted: Vec<Unconverted> = unconverted.into_values().collect();
        let png = weekly_chart(
            &weeks,
            &series,
            &self.program.tiers.reporting_currency.to_ascii_uppercase(),
            &unconverted,
        )?;
        Ok((png, unconverted))
    }

    /// The digest as one outbox message for the manager, its chart inside (each platform's
    /// adapter decides how an image travels in a message).
    pub fn digest_message(
        &self,
        manager: &ChatUser,
        digest: &Digest,
    ) -> crate::store::OutboxMessage {
        use base64::Engine;
        let notice = Notice::Digest {
            week: digest.facts.week.clone(),
            partners: digest.facts.partners,
            sections: sections(&digest.facts),
            chart_png_base64: Some(base64::engine::general_purpose::STANDARD.encode(&digest.png)),
        };
        super::message_to("digest", &manager.direct(), notice)
    }

    /// The weekly digest job as of `now`: every manager whose local time is Monday 09:xx gets
    /// this week's digest, once per manager per week. A manager's time zone is the program
    /// file's (`[managers.timezones]`), else the one they set in their chat platform, else
    /// `[schedules]`'s.
    pub async fn send_weekly_digests(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let mut sent = 0;
        for user in self.program.manager_users() {
            let manager = &user.id;
            let configured = self.program.managers.timezones.get(manager);
            let tz = self
                .zone_of(
                    &user,
                    configured.map(String::as_str),
                    &self.program.schedules.timezone,
                    now,
                )
                .await;
            let local = now.with_timezone(&tz);
            if local.weekday() != chrono::Weekday::Mon || chrono::Timelike::hour(&local) != 9 {
                continue;
            }
            if self.partners_of_manager(manager).await?.is_empty() {
                continue;
            }
            let digest = self.compose_digest(manager, now).await?;
            let message = self.digest_message(&user, &digest);
            if self
                .store
                .claim_digest(
                    manager,
                    &digest.facts.week,
                    std::slice::from_ref(&message),
                    self.clock.now_ms(),
                )
                .await?
            {
                sent += 1;
            }
        }
        self.wake_delivery();
        Ok(format!("{sent} digest(s) sent"))
    }

    /// `/partners digest now`: the caller's digest, at once.
    pub async fn send_digest_now(&self, manager: &str) -> super::ServiceResult<String> {
        let Some(user) = self.program.manager(manager) else {
            return Err(crate::domain::DealError::NotManager.into());
        };
        let digest = self.compose_digest(manager, self.clock.now()).await?;
        self.store
            .enqueue(
                std::slice::from_ref(&self.digest_message(&user, &digest)),
                self.clock.now_ms(),
            )
            .await?;
        self.wake_delivery();
        Ok(format!(
            "Your digest for {} is on its way to your DMs.",
            digest.facts.week
        ))
    }
}
