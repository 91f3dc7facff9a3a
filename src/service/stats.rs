//! `/partners stats [PARTNER] [period]`: the program metrics for managers.

use super::{Service, ServiceResult};
use crate::domain::metrics::{compute, DealFacts, PartnerFacts, Period, ProgramMetrics};
use crate::domain::money::parse_currency;
use crate::domain::{DealError, DealStatus, Money, Partner};
use crate::intent::StatsPeriod;
use chrono::{DateTime, Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;

/// The dates and the label of the period a manager asked for.
fn resolve(period: StatsPeriod, today: NaiveDate) -> (Period, String) {
    match period {
        StatsPeriod::Days(days) => (
            Period {
                from: today - Duration::days(days - 1),
                to: today,
            },
            format!("last {days} days"),
        ),
        StatsPeriod::YearToDate => {
            let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
            (
                Period { from, to: today },
                format!("{} to date", today.year()),
            )
        }
        StatsPeriod::Quarter { year, quarter } => {
            // The parser only makes quarters the calendar can represent.
            let (from, to) = period.quarter_dates().unwrap_or((today, today));
            (Period { from, to }, format!("{year} Q{quarter}"))
        }
    }
}

impl Service {
    /// The metrics for every partner whose name contains `wanted` (all when empty), over a
    /// period, for managers.
    pub async fn partner_stats(
        &self,
        user: &str,
        wanted: &str,
        period: StatsPeriod,
    ) -> ServiceResult<super::Answer> {
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let today = self.clock.now().date_naive();
        let (range, label) = resolve(period, today);
        let all = self.store.partners().await?;
        let chosen = choose(&all, wanted)?;
        let (partners, deals) = self.metric_facts(&chosen, today).await?;
        let m = compute(&partners, &deals, range, None);
        let who = if wanted.is_empty() {
            "All partners".to_string()
        } else {
            chosen
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let title = format!("{who} · {label} ({} to {})", range.from, range.to);
        Ok(super::Answer::Stats(self.stats_context(&title, &m)))
    }

    /// The facts of the chosen partners and of their deals, amounts in the reporting currency.
    async fn metric_facts(
        &self,
        chosen: &[&Partner],
        today: NaiveDate,
    ) -> ServiceResult<(Vec<PartnerFacts>, Vec<DealFacts>)> {
        let (partner_rows, deal_rows) = self.store.metrics_facts().await?;
        let day = |ms: i64| DateTime::from_timestamp_millis(ms).map_or(today, |t| t.date_naive());
        let partners: Vec<PartnerFacts> = partner_rows
            .iter()
            .filter(|(id, _)| chosen.iter().any(|p| p.id.0 == *id))
            .map(|(id, at)| PartnerFacts {
                id: *id,
                onboarded: day(*at),
            })
            .collect();
        let deals: Vec<DealFacts> = deal_rows
            .iter()
            .filter_map(
                |(partner_id, created, status, close, minor, currency, attribution)| {
                    let status = DealStatus::parse(status)?;
                    let closed = matches!(status, DealStatus::Won | DealStatus::Lost)
                        .then(|| NaiveDate::parse_from_str(close, "%Y-%m-%d").ok())
                        .flatten();
                    let amount =
                        Money::from_minor(*minor, currency).and_then(|m| self.to_reporting(&m));
                    Some(DealFacts {
                        partner_id: *partner_id,
                        registered: day(*created),
                        status,
                        closed,
                        amount,
                        sourced: attribution == "sourced",
                    })
                },
            )
            .collect();
        Ok((partners, deals))
    }

    /// The metrics, formatted for people, as the stats template reads them.
    fn stats_context(&self, title: &str, m: &ProgramMetrics) -> serde_json::Value {
        let reporting = self.program.tiers.reporting_currency.to_ascii_uppercase();
        let currency = parse_currency(&reporting);
        let money = |d: Decimal| {
            currency
                .and_then(|c| {
                    Money::from_decimal(d.round_dp(crate::domain::money::minor_digits(c)), c)
                })
                .map_or_else(|| format!("{d} {reporting}"), |m| m.to_string())
        };
        let pct = |d: Option<Decimal>| {
            d.map_or_else(
                || "—".to_string(),
                |d| format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(1).normalize()),
            )
        };
        let note = (m.unconverted > 0).then(|| {
            format!(
                "{} won deal(s) left out: no rate for their currency in [tiers.rates].",
                m.unconverted
            )
        });
        json!({
            "title": title,
            "sourced_revenue": money(m.sourced_revenue),
            "revenue_per_active": m.revenue_per_active_partner.map_or_else(|| "—".to_string(), money),
            "registrations": m.registrations,
            "registration_rate": m.registration_rate.normalize().to_string(),
            "average_deal": m.average_deal_size.map_or_else(|| "—".to_string(), money),
            "win_rate": pct(m.win_rate),
            "active": m.active_partners,
            "activation": pct(m.activation_rate),
            "first_win": m.median_days_to_first_win.map_or_else(|| "—".to_string(), |d| format!("{d} days (median)")),
            "note": note,
        })
    }
}

/// Every partner whose name contains `wanted` (case-insensitive), or all when it is empty.
fn choose<'a>(all: &'a [Partner], wanted: &str) -> Result<Vec<&'a Partner>, DealError> {
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    let found: Vec<&Partner> = all
        .iter()
        .filter(|p| p.name.to_lowercase().contains(&wanted.to_lowercase()))
        .collect();
    if found.is_empty() {
        return Err(DealError::BadCommand(format!(
            "No partner is called “{wanted}”: the list of partners shows every name."
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_managers_type_them() {
        let today = NaiveDate::from_ymd_opt(2027, 5, 10).expect("date");
        let at = |text: &str| resolve(StatsPeriod::parse(text).expect(text), today);
        let (p, label) = at("2027-Q1");
        assert_eq!(
            (p.from.to_string(), p.to.to_string(), label.as_str()),
            ("2027-01-01".into(), "2027-03-31".into(), "2027 Q1")
        );
        let (p, label) = at("30d");
        assert_eq!(
            (p.from.to_string(), label.as_str()),
            ("2027-04-11".into(), "last 30 days")
        );
        assert_eq!(at("2026-Q4").0.to.to_string(), "2026-12-31");
        let (p, label) = at("YTD");
        assert_eq!(
            (p.from.to_string(), label.as_str()),
            ("2027-01-01".into(), "2027 to date")
        );
        assert_eq!(StatsPeriod::parse("lastweek"), None);
    }
}
