//! `/partners stats [PARTNER] [period]`: the program metrics for managers.

use super::{Service, ServiceResult};
use crate::domain::metrics::{compute, DealFacts, PartnerFacts, Period};
use crate::domain::money::parse_currency;
use crate::domain::{DealError, DealStatus, Money};
use chrono::{DateTime, Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;

/// The period a manager asks for: `30d`, `90d` (default), `365d`, `ytd` or `2027-Q1`.
fn period(text: Option<&str>, today: NaiveDate) -> Result<(Period, String), DealError> {
    let text = text.unwrap_or("90d").to_ascii_lowercase();
    if let Some(days) = text
        .strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (1..=3660).contains(n))
    {
        return Ok((
            Period {
                from: today - Duration::days(days - 1),
                to: today,
            },
            format!("last {days} days"),
        ));
    }
    if text == "ytd" {
        let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        return Ok((
            Period { from, to: today },
            format!("{} to date", today.year()),
        ));
    }
    let quarter = text.split_once("-q").and_then(|(y, q)| {
        Some((
            y.parse::<i32>().ok()?,
            q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))?,
        ))
    });
    if let Some((year, q)) = quarter {
        let from = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1);
        let to = if q == 4 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, 3 * q + 1, 1)
        }
        .map(|d| d - Duration::days(1));
        if let (Some(from), Some(to)) = (from, to) {
            return Ok((Period { from, to }, format!("{year} Q{q}")));
        }
    }
    Err(DealError::BadCommand(format!(
        "“{text}” is not a period: use 30d, 90d, 365d, ytd or 2027-Q1"
    )))
}

impl Service {
    /// The metrics for every partner or one (by name), over a period, for managers.
    pub async fn partner_stats(&self, user: &str, args: &str) -> ServiceResult<serde_json::Value> {
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let today = self.clock.now().date_naive();
        let words: Vec<&str> = args.split_whitespace().collect();
        let looks_like_period = |w: &str| period(Some(w), today).is_ok();
        let (name_words, period_word) = match words.split_last() {
            Some((last, rest)) if looks_like_period(last) => (rest.to_vec(), Some(*last)),
            _ => (words.clone(), None),
        };
        let (range, label) = period(period_word, today)?;
        let all = self.store.partners().await?;
        let wanted = name_words.join(" ");
        let chosen: Vec<_> = if wanted.is_empty() {
            all.iter().collect()
        } else {
            let found: Vec<_> = all
                .iter()
                .filter(|p| p.name.to_lowercase().contains(&wanted.to_lowercase()))
                .collect();
            if found.is_empty() {
                return Err(DealError::BadCommand(format!(
                    "No partner is called “{wanted}”. `/partners list` shows them all."
                ))
                .into());
            }
            found
        };
        let reporting = self.program.tiers.reporting_currency.to_ascii_uppercase();
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
        let m = compute(&partners, &deals, range, None);
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
        let who = if wanted.is_empty() {
            "All partners".to_string()
        } else {
            chosen
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let note = (m.unconverted > 0).then(|| {
            format!(
                "{} won deal(s) left out: no rate for their currency in [tiers.rates].",
                m.unconverted
            )
        });
        Ok(self.render.stats(json!({
            "title": format!("{who} · {label} ({} to {})", range.from, range.to),
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
        }))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_managers_type_them() {
        let today = NaiveDate::from_ymd_opt(2027, 5, 10).expect("date");
        let (p, label) = period(Some("2027-Q1"), today).expect("quarter");
        assert_eq!(
            (p.from.to_string(), p.to.to_string(), label.as_str()),
            ("2027-01-01".into(), "2027-03-31".into(), "2027 Q1")
        );
        let (p, _) = period(Some("30d"), today).expect("days");
        assert_eq!(p.from.to_string(), "2027-04-11");
        let (p, _) = period(Some("2026-Q4"), today).expect("q4");
        assert_eq!(p.to.to_string(), "2026-12-31");
        assert!(period(Some("lastweek"), today).is_err());
    }
}
