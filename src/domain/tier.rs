//! Partner tiers from trailing-12-month partner-sourced revenue, with a one-period grace before
//! a demotion takes effect.

use rust_decimal::Decimal;

/// Tiers, lowest first. "registered" (never computed) ranks with "inactive".
pub const TIER_ORDER: [&str; 4] = ["inactive", "silver", "gold", "platinum"];

/// Rank of a tier name (registered and unknown names rank lowest).
pub fn rank(tier: &str) -> usize {
    TIER_ORDER.iter().position(|t| *t == tier).unwrap_or(0)
}

/// The tier `revenue` earns: the highest whose threshold it reaches (thresholds by tier name).
pub fn tier_for(revenue: Decimal, thresholds: &[(&str, Decimal)]) -> &'static str {
    TIER_ORDER
        .iter()
        .rev()
        .find(|t| {
            thresholds
                .iter()
                .any(|(name, min)| name == *t && revenue >= *min)
        })
        .copied()
        .unwrap_or("inactive")
}

/// What a recomputation does to one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierChange {
    /// Nothing changes (and any pending demotion is cleared).
    Unchanged,
    /// Moves up now.
    Promoted { to: &'static str },
    /// Would move down: the first low period only starts the grace.
    DemotionPending { to: &'static str },
    /// Moves down after a second low period.
    Demoted { to: &'static str },
}

/// Decides a partner's change from its current tier, what this period computed, and whether the
/// previous period already flagged a demotion.
pub fn decide(current: &str, computed: &'static str, pending: Option<&str>) -> TierChange {
    match rank(computed).cmp(&rank(current)) {
        std::cmp::Ordering::Greater => TierChange::Promoted { to: computed },
        std::cmp::Ordering::Less if pending.is_some() => TierChange::Demoted { to: computed },
        std::cmp::Ordering::Less => TierChange::DemotionPending { to: computed },
        // "registered" → "inactive" is a first computation, not a demotion.
        std::cmp::Ordering::Equal if current != computed => TierChange::Promoted { to: computed },
        std::cmp::Ordering::Equal => TierChange::Unchanged,
    }
}

/// The reporting period (calendar quarter) of a date: "2027-Q1".
pub fn period_of(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Vec<(&'static str, Decimal)> {
        vec![
            ("platinum", Decimal::from(500_000)),
            ("gold", Decimal::from(100_000)),
            ("silver", Decimal::from(25_000)),
        ]
    }

    #[test]
    fn revenue_maps_to_the_highest_tier_it_reaches() {
        for (revenue, want) in [
            (0, "inactive"),
            (24_999, "inactive"),
            (25_000, "silver"),
            (100_000, "gold"),
            (499_999, "gold"),
            (500_000, "platinum"),
        ] {
            assert_eq!(
                tier_for(Decimal::from(revenue), &thresholds()),
                want,
                "{revenue}"
            );
        }
    }

    #[test]
    fn promotions_are_immediate_and_demotions_wait_one_period() {
        assert_eq!(
            decide("silver", "gold", None),
            TierChange::Promoted { to: "gold" }
        );
        assert_eq!(
            decide("registered", "inactive", None),
            TierChange::Promoted { to: "inactive" }
        );
        assert_eq!(
            decide("gold", "silver", None),
            TierChange::DemotionPending { to: "silver" }
        );
        assert_eq!(
            decide("gold", "silver", Some("silver")),
            TierChange::Demoted { to: "silver" }
        );
        assert_eq!(
            decide("gold", "gold", Some("silver")),
            TierChange::Unchanged,
            "a recovered period clears the grace"
        );
    }

    #[test]
    fn periods_are_calendar_quarters() {
        let d = |m| chrono::NaiveDate::from_ymd_opt(2027, m, 15).expect("date");
        assert_eq!(
            [
                period_of(d(1)),
                period_of(d(4)),
                period_of(d(9)),
                period_of(d(12))
            ],
            ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
        );
    }
}
