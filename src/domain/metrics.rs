//! Program metrics for any period and set of partners: pure functions over facts the store loads
//! in one pass (amounts already in the reporting currency). The weekly digest reuses them.

use super::DealStatus;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A partner as metrics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerFacts {
    pub id: i64,
    pub onboarded: NaiveDate,
}

/// A registration as metrics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFacts {
    pub partner_id: i64,
    pub registered: NaiveDate,
    pub status: DealStatus,
    /// The close date of a won or lost deal.
    pub closed: Option<NaiveDate>,
    /// Amount in the reporting currency; `None` when no conversion rate exists.
    pub amount: Option<Decimal>,
    /// Won with the partner credited as the source.
    pub sourced: bool,
}

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    fn contains(&self, d: NaiveDate) -> bool {
        d >= self.from && d <= self.to
    }

    fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The figures managers look at. `None` where there is nothing to divide by.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramMetrics {
    pub partners: usize,
    pub registrations: usize,
    /// Registrations per partner per 30 days.
    pub registration_rate: Decimal,
    pub sourced_revenue: Decimal,
    /// Partner-sourced share of all revenue, when direct revenue is known.
    pub sourced_share: Option<Decimal>,
    /// Partners with at least one registration in the period.
    pub active_partners: usize,
    pub revenue_per_active_partner: Option<Decimal>,
    pub average_deal_size: Option<Decimal>,
    pub win_rate: Option<Decimal>,
    /// Median days from onboarding to a partner's first won deal (partners with a win).
    pub median_days_to_first_win: Option<i64>,
    /// Share of partners that have registered at least one deal, ever.
    pub activation_rate: Option<Decimal>,
    /// Won deals left out of revenue for want of a conversion rate.
    pub unconverted: usize,
}

/// Computes the metrics of `deals` by `partners` over `period`; `direct_revenue` (same currency)
/// gives the partner-sourced share.
pub fn compute(
    partners: &[PartnerFacts],
    deals: &[DealFacts],
    period: Period,
    direct_revenue: Option<Decimal>,
) -> ProgramMetrics {
    let ours = |d: &&DealFacts| partners.iter().any(|p| p.id == d.partner_id);
    let registered: Vec<&DealFacts> = deals
        .iter()
        .filter(ours)
        .filter(|d| period.contains(d.registered))
        .collect();
    let closed: Vec<&DealFacts> = deals
        .iter()
        .filter(ours)
        .filter(|d| d.closed.is_some_and(|c| period.contains(c)))
        .collect();
    let won: Vec<&&DealFacts> = closed
        .iter()
        .filter(|d| d.status == DealStatus::Won)
        .collect();
    let lost = closed
        .iter()
        .filter(|d| d.status == DealStatus::Lost)
        .count();
    let won_amounts: Vec<Decimal> = won.iter().filter_map(|d| d.amount).collect();
    let sourced_revenue: Decimal = won
        .iter()
        .filter(|d| d.sourced)
        .filter_map(|d| d.amount)
        .sum();
    let mut active: Vec<i64> = registered.iter().map(|d| d.partner_id).collect();
    active.sort_unstable();
    active.dedup();
    let ratio =
        |num: Decimal, den: usize| (den > 0).then(|| (num / Decimal::from(den)).round_dp(4));
    let mut first_wins: Vec<i64> = partners
        .iter()
        .filter_map(|p| {
            let first = deals
                .iter()
                .filter(|d| d.partner_id == p.id && d.status == DealStatus::Won)
                .filter_map(|d| d.closed)
                .min()?;
            Some((first - p.onboarded).num_days().max(0))
        })
        .collect();
    first_wins.sort_unstable();
    let ever_active = partners
        .iter()
        .filter(|p| deals.iter().any(|d| d.partner_id == p.id))
        .count();
    let partner_months =
        Decimal::from(partners.len()) * Decimal::from(period.days()) / Decimal::from(30);
    ProgramMetrics {
        partners: partners.len(),
        registrations: registered.len(),
        registration_rate: if partner_months.is_zero() {
            Decimal::ZERO
        } else {
            (Decimal::from(registered.len()) / partner_months).round_dp(2)
        },
        sourced_revenue,
        sourced_share: direct_revenue.and_then(|direct| {
            let total = direct + sourced_revenue;
            (!total.is_zero()).then(|| (sourced_revenue / total).round_dp(4))
        }),
        active_partners: active.len(),
        revenue_per_active_partner: ratio(sourced_revenue, active.len()).map(|r| r.round_dp(2)),
        average_deal_size: ratio(won_amounts.iter().copied().sum(), won_amounts.len())
            .map(|r| r.round_dp(2)),
        win_rate: ratio(Decimal::from(won.len()), won.len() + lost),
        median_days_to_first_win: (!first_wins.is_empty())
            .then(|| first_wins[first_wins.len() / 2]),
        activation_rate: ratio(Decimal::from(ever_active), partners.len()),
        unconverted: won.iter().filter(|d| d.amount.is_none()).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, day).expect("date")
    }

    fn deal(
        partner_id: i64,
        registered: NaiveDate,
        status: DealStatus,
        closed: Option<NaiveDate>,
        amount: i64,
        sourced: bool,
    ) -> DealFacts {
        DealFacts {
            partner_id,
            registered,
            status,
            closed,
            amount: Some(Decimal::from(amount)),
            sourced,
        }
    }

    #[test]
    fn metrics_over_a_quarter_match_a_hand_computation() {
        let partners = vec![
            PartnerFacts {
                id: 1,
                onboarded: d(1, 1),
            },
            PartnerFacts {
                id: 2,
                onboarded: d(1, 11),
            },
            PartnerFacts {
                id: 3,
                onboarded: d(2, 1),
            },
        ];
        let deals = vec![
            deal(1, d(1, 5), DealStatus::Won, Some(d(2, 10)), 100_000, true),
            deal(1, d(1, 20), DealStatus::Lost, Some(d(3, 1)), 50_000, false),
            deal(2, d(2, 1), DealStatus::Won, Some(d(3, 12)), 20_000, false),
            deal(2, d(3, 3), DealStatus::Approved, None, 10_000, false),
            deal(1, d(4, 2), DealStatus::Won, Some(d(4, 20)), 999_999, true), // outside the period
        ];
        let q1 = Period {
            from: d(1, 1),
            to: d(3, 31),
        };
        let m = compute(&partners, &deals, q1, Some(Decimal::from(300_000)));
        assert_eq!((m.partners, m.registrations, m.active_partners), (3, 4, 2));
        assert_eq!(m.sourced_revenue, Decimal::from(100_000));
        assert_eq!(
            m.sourced_share,
            Some(Decimal::new(25, 2)),
            "100k / (300k + 100k)"
        );
        assert_eq!(m.revenue_per_active_partner, Some(Decimal::from(50_000)));
        assert_eq!(
            m.average_deal_size,
            Some(Decimal::from(60_000)),
            "(100k + 20k) / 2 wins"
        );
        assert_eq!(m.win_rate, Some(Decimal::new(6667, 4)), "2 won of 3 closed");
        assert_eq!(
            m.median_days_to_first_win,
            Some(60),
            "partner 1: 40 days; partner 2: 60 days; the median of two is the upper one"
        );
        assert_eq!(
            m.activation_rate,
            Some(Decimal::new(6667, 4)),
            "2 of 3 partners ever registered"
        );
        assert_eq!(
            m.registration_rate,
            Decimal::new(44, 2),
            "4 registrations / (3 partners × 90/30 months)"
        );
    }

    #[test]
    fn empty_programs_have_no_ratios_rather_than_division_errors() {
        let m = compute(
            &[],
            &[],
            Period {
                from: d(1, 1),
                to: d(1, 31),
            },
            None,
        );
        assert_eq!(
            (
                m.win_rate,
                m.average_deal_size,
                m.activation_rate,
                m.sourced_share
            ),
            (None, None, None, None)
        );
        assert_eq!(m.registration_rate, Decimal::ZERO);
    }
}
