//! Partner tiers from trailing-12-month partner-sourced revenue, with a one-period grace before
//! a demotion takes effect.

use rust_decimal::Decimal;

/// A partner's tier, lowest first. `Registered` is where every partner starts, before its
/// tier was ever computed; it ranks with `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Registered,
    Inactive,
    Silver,
    Gold,
    Platinum,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 5] = [
        Tier::Registered,
        Tier::Inactive,
        Tier::Silver,
        Tier::Gold,
        Tier::Platinum,
    ];

    /// The tier's name, as stored and as people type it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Registered => "registered",
            Tier::Inactive => "inactive",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
            Tier::Platinum => "platinum",
        }
    }

    /// The tier named `name` (any case, surrounding spaces ignored).
    pub fn parse(name: &str) -> Option<Tier> {
        let name = name.trim().to_ascii_lowercase();
        Tier::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Rank for promotions and demotions: registered and inactive rank lowest.
    pub fn rank(self) -> usize {
        match self {
            Tier::Registered | Tier::Inactive => 0,
            Tier::Silver => 1,
            Tier::Gold => 2,
            Tier::Platinum => 3,
        }
    }

    /// The tier names, for messages that list them.
    pub fn names() -> String {
        Tier::ALL.map(Tier::as_str).join(", ")
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Tier {
    type Error = String;

    fn try_from(name: String) -> Result<Tier, String> {
        Tier::parse(&name).ok_or_else(|| format!("“{name}” is not a tier ({})", Tier::names()))
    }
}

/// The tier `revenue` earns: the highest whose threshold it reaches, else inactive.
pub fn tier_for(revenue: Decimal, thresholds: &[(Tier, Decimal)]) -> Tier {
    thresholds
        .iter()
        .filter(|(_, min)| revenue >= *min)
        .map(|(tier, _)| *tier)
        .max_by_key(|t| t.rank())
        .unwrap_or(Tier::Inactive)
}

/// What a recomputation does to one partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierChange {
    /// Nothing changes (and any pending demotion is cleared).
    Unchanged,
    /// Moves up now.
    Promoted { to: Tier },
    /// Would move down: the first low period only starts the grace.
    DemotionPending { to: Tier },
    /// Moves down after a second low period.
    Demoted { to: Tier },
}

/// Decides a partner's change from its current tier, what this period computed, and whether the
/// previous period already flagged a demotion.
pub fn decide(current: Tier, computed: Tier, pending: Option<Tier>) -> TierChange {
    match computed.rank().cmp(&current.rank()) {
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

    fn thresholds() -> Vec<(Tier, Decimal)> {
        vec![
            (Tier::Platinum, Decimal::from(500_000)),
            (Tier::Gold, Decimal::from(100_000)),
            (Tier::Silver, Decimal::from(25_000)),
        ]
    }

    #[test]
    fn revenue_maps_to_the_highest_tier_it_reaches() {
        for (revenue, want) in [
            (0, Tier::Inactive),
            (24_999, Tier::Inactive),
            (25_000, Tier::Silver),
            (100_000, Tier::Gold),
            (499_999, Tier::Gold),
            (500_000, Tier::Platinum),
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
        use Tier::*;
        assert_eq!(
            decide(Silver, Gold, None),
            TierChange::Promoted { to: Gold }
        );
        assert_eq!(
            decide(Registered, Inactive, None),
            TierChange::Promoted { to: Inactive }
        );
        assert_eq!(
            decide(Gold, Silver, None),
            TierChange::DemotionPending { to: Silver }
        );
        assert_eq!(
            decide(Gold, Silver, Some(Silver)),
            TierChange::Demoted { to: Silver }
        );
        assert_eq!(
            Tier::parse(" Gold "),
            Some(Gold),
            "names are read as people type them"
        );
        assert_eq!(Tier::parse("bronze"), None);
        assert_eq!(
            decide(Gold, Gold, Some(Silver)),
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
