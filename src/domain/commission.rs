//! Commission on a won deal: amount × base rate (partner type, how early the deal was
//! registered) × attribution factor × tier factor, optionally capped and paid over N months.
//! Exact decimals in the deal's currency, rounded once at the end to the currency's minor unit;
//! amounts in different currencies are never added.

use super::money::{minor_digits, Money};
use super::PartnerType;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::fmt;

/// How early the partner registered the deal (asked in the registration form).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    BeforeFirstContact,
    AfterFirstMeeting,
    LateStage,
    AfterClose,
}

impl Timing {
    /// Every class, earliest first.
    pub const ALL: [Timing; 4] = [
        Timing::BeforeFirstContact,
        Timing::AfterFirstMeeting,
        Timing::LateStage,
        Timing::AfterClose,
    ];

    /// Words for the calculation line.
    pub fn label(self) -> &'static str {
        match self {
            Timing::BeforeFirstContact => "registered before first customer contact",
            Timing::AfterFirstMeeting => "registered after first meeting",
            Timing::LateStage => "registered in late-stage evaluation",
            Timing::AfterClose => "claimed after close",
        }
    }

    /// The stable name stored and typed ("after_first_meeting").
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::BeforeFirstContact => "before_first_contact",
            Timing::AfterFirstMeeting => "after_first_meeting",
            Timing::LateStage => "late_stage",
            Timing::AfterClose => "after_close",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Timing> {
        Timing::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }

    /// The class a registration's stage implies when the partner did not say.
    pub fn from_stage(stage: super::Stage) -> Timing {
        match stage {
            super::Stage::Prospecting => Timing::BeforeFirstContact,
            super::Stage::Qualified => Timing::AfterFirstMeeting,
            _ => Timing::LateStage,
        }
    }

    /// The program default rate for the class.
    pub fn default_rate(self) -> Decimal {
        match self {
            Timing::BeforeFirstContact => Decimal::new(25, 2),
            Timing::AfterFirstMeeting => Decimal::new(20, 2),
            Timing::LateStage => Decimal::new(15, 2),
            Timing::AfterClose => Decimal::new(10, 2),
        }
    }
}

/// How much the partner did for the win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribution {
    Sourced,
    CoSold,
    Influenced,
}

impl Attribution {
    /// Words for the calculation line ("co-sold").
    pub fn as_str(self) -> &'static str {
        match self {
            Attribution::Sourced => "sourced",
            Attribution::CoSold => "co-sold",
            Attribution::Influenced => "influenced",
        }
    }

    /// Parses what people type (sourced, co_sold / co-sold / cosold, influenced).
    pub fn parse(s: &str) -> Option<Attribution> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "sourced" => Some(Attribution::Sourced),
            "cosold" | "cosell" => Some(Attribution::CoSold),
            "influenced" => Some(Attribution::Influenced),
            _ => None,
        }
    }
}

/// Where a commission ledger entry stands: owed once its hold ends, then payable, then paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LedgerStatus {
    /// Held until its payable date.
    Pending,
    /// Due to the partner.
    Payable,
    /// Paid out by finance.
    Paid,
}

impl LedgerStatus {
    /// Every status, in the order an entry goes through them.
    pub const ALL: [LedgerStatus; 3] = [
        LedgerStatus::Pending,
        LedgerStatus::Payable,
        LedgerStatus::Paid,
    ];

    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Pending => "pending",
            LedgerStatus::Payable => "payable",
            LedgerStatus::Paid => "paid",
        }
    }

    /// Position in [`LedgerStatus::ALL`] (a column of per-status sums).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl TryFrom<String> for LedgerStatus {
    type Error = String;

    fn try_from(s: String) -> Result<LedgerStatus, String> {
        LedgerStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("“{s}” is not a ledger status"))
    }
}

/// The program's commission rules (from `program.toml`, with the defaults below).
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionRules {
    /// Base rate per partner type and timing; a type without its own table uses `default_rates`.
    pub rates: BTreeMap<(PartnerTypeKey, Timing), Decimal>,
    pub default_rates: BTreeMap<Timing, Decimal>,
    pub attribution: BTreeMap<Attribution, Decimal>,
    /// Factor per tier name; a tier not listed counts 1.
    pub tiers: BTreeMap<String, Decimal>,
    /// Most commission per deal, per currency code.
    pub caps: BTreeMap<String, Decimal>,
    /// Paid as this many monthly instalments (revenue share), when set.
    pub recurring_months: Option<u32>,
}

/// `PartnerType` as an ordered map key.
pub type PartnerTypeKey = &'static str;

impl Default for CommissionRules {
    fn default() -> Self {
        CommissionRules {
            rates: BTreeMap::new(),
            default_rates: Timing::ALL.iter().map(|t| (*t, t.default_rate())).collect(),
            attribution: [
                (Attribution::Sourced, Decimal::ONE),
                (Attribution::CoSold, Decimal::new(5, 1)),
                (Attribution::Influenced, Decimal::new(25, 2)),
            ]
            .into_iter()
            .collect(),
            tiers: [
                ("platinum", Decimal::new(12, 1)),
                ("gold", Decimal::new(11, 1)),
                ("silver", Decimal::ONE),
                ("registered", Decimal::ONE),
                ("inactive", Decimal::new(8, 1)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            caps: BTreeMap::new(),
            recurring_months: None,
        }
    }
}

/// A computed commission with the calculation people can check.
#[derive(Debug, Clone, PartialEq)]
pub struct Commission {
    pub amount: Money,
    /// "60,000.00 EUR × 20% (registered after first meeting) × 1.0 (sourced) = 12,000.00 EUR".
    pub calculation: String,
    pub capped: bool,
    /// Monthly instalments summing exactly to `amount` (one when not recurring).
    pub instalments: Vec<Money>,
}

/// Why a commission cannot be computed or summed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommissionError {
    #[error("no commission rate is set for {0} partners registering {1}")]
    NoRate(&'static str, &'static str),
    #[error("cannot add {0} to {1}: amounts in different currencies are never summed")]
    MixedCurrencies(String, String),
    #[error("the commission does not fit in the amount's range")]
    Overflow,
}

fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

fn factor(f: Decimal) -> String {
    let n = f.normalize();
    if n.scale() == 0 {
        format!("{n}.0")
    } else {
        n.to_string()
    }
}

/// Computes the commission on a won deal of `amount`.
pub fn compute(
    amount: Money,
    partner_type: PartnerType,
    timing: Timing,
    attribution: Attribution,
    tier: &str,
    rules: &CommissionRules,
) -> Result<Commission, CommissionError> {
    let rate = rules
        .rates
        .get(&(partner_type.as_str(), timing))
        .or_else(|| rules.default_rates.get(&timing))
        .copied()
        .ok_or(CommissionError::NoRate(
            partner_type.as_str(),
            timing.label(),
        ))?;
    let attribution_factor = rules
        .attribution
        .get(&attribution)
        .copied()
        .unwrap_or(Decimal::ONE);
    let tier_factor = rules
        .tiers
        .get(&tier.to_ascii_lowercase())
        .copied()
        .unwrap_or(Decimal::ONE);
    // Exact product first; rounding happens once, below.
    let exact = amount
        .decimal()
        .checked_mul(rate)
        .and_then(|v| v.checked_mul(attribution_factor))
        .and_then(|v| v.checked_mul(tier_factor))
        .ok_or(CommissionError::Overflow)?;
    let code = amount.currency().code();
    let cap = rules.caps.get(code).copied();
    let capped = cap.is_some_and(|c| exact > c);
    let value = if capped { cap.unwrap_or(exact) } else { exact };
    let rounded = value.round_dp_with_strategy(
        minor_digits(amount.currency()),
        RoundingStrategy::MidpointAwayFromZero,
    );
    let result =
        Money::from_decimal(rounded, amount.currency()).ok_or(CommissionError::Overflow)?;
    let mut calculation = format!(
        "{amount} × {} ({}) × {} ({})",
        percent(rate),
        timing.label(),
        factor(attribution_factor),
        attribution.as_str()
    );
    if tier_factor != Decimal::ONE {
        calculation.push_str(&format!(" × {} ({tier} tier)", factor(tier_factor)));
    }
    if capped {
        calculation.push_str(&format!(", capped at {result}"));
    } else {
        calculation.push_str(&format!(" = {result}"));
    }
    let instalments = split(result, rules.recurring_months.unwrap_or(1));
    if instalments.len() > 1 {
        calculation.push_str(&format!(
            ", paid as {} monthly instalments",
            instalments.len()
        ));
    }
    Ok(Commission {
        amount: result,
        calculation,
        capped,
        instalments,
    })
}

/// Splits `total` into `months` parts in minor units that sum exactly to it (the remainder goes to
/// the first instalments, one minor unit each).
fn split(total: Money, months: u32) -> Vec<Money> {
    let n = i64::from(months.max(1));
    let (each, rest) = (total.minor() / n, total.minor() % n);
    (0..n)
        .filter_map(|i| Money::from_minor(each + i64::from(i < rest), total.currency().code()))
        .collect()
}

/// A running total in one currency; adding another currency is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Total(Option<Money>);

impl Total {
    /// Adds `amount`, or refuses when its currency differs from the total's.
    pub fn add(&mut self, amount: Money) -> Result<(), CommissionError> {
        self.0 = Some(match self.0 {
            None => amount,
            Some(sum) if sum.currency() == amount.currency() => Money::from_minor(
                sum.minor()
                    .checked_add(amount.minor())
                    .ok_or(CommissionError::Overflow)?,
                sum.currency().code(),
            )
            .ok_or(CommissionError::Overflow)?,
            Some(sum) => {
                return Err(CommissionError::MixedCurrencies(
                    amount.to_string(),
                    sum.to_string(),
                ))
            }
        });
        Ok(())
    }

    /// The sum so far.
    pub fn get(&self) -> Option<Money> {
        self.0
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(m) => write!(f, "{m}"),
            None => f.write_str("nothing"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iso_currency::Currency;

    fn money(text: &str, currency: Currency) -> Money {
        Money::parse(text, currency).expect("amount")
    }

    /// One computation's inputs. `inputs(amount, currency)` is a sourced deal of a silver
    /// reseller registered after the first meeting; each test changes what it is about.
    struct Inputs {
        amount: Money,
        partner_type: PartnerType,
        timing: Timing,
        attribution: Attribution,
        tier: &'static str,
    }

    fn inputs(amount: &str, currency: Currency) -> Inputs {
        Inputs {
            amount: money(amount, currency),
            partner_type: PartnerType::Reseller,
            timing: Timing::AfterFirstMeeting,
            attribution: Attribution::Sourced,
            tier: "silver",
        }
    }

    impl Inputs {
        fn compute(&self, rules: &CommissionRules) -> Result<Commission, CommissionError> {
            compute(
                self.amount,
                self.partner_type,
                self.timing,
                self.attribution,
                self.tier,
                rules,
            )
        }

        /// The commission's amount, as written.
        fn amount(&self, rules: &CommissionRules) -> String {
            self.compute(rules).expect("computes").amount.to_string()
        }
    }

    fn assert_ends_with(text: &str, tail: &str) {
        assert!(text.ends_with(tail), "{text}");
    }

    #[test]
    fn the_issue_example_reads_as_written() {
        let c = Inputs {
            tier: "registered",
            ..inputs("60000", Currency::EUR)
        }
        .compute(&CommissionRules::default())
        .expect("computes");
        assert_eq!(c.amount.to_string(), "12,000.00 EUR");
        assert_eq!(
            c.calculation,
            "60,000.00 EUR × 20% (registered after first meeting) × 1.0 (sourced) = 12,000.00 EUR"
        );
    }

    #[test]
    fn every_timing_class_uses_its_rate() {
        let cases = [
            (Timing::BeforeFirstContact, "25,000.00 USD"),
            (Timing::AfterFirstMeeting, "20,000.00 USD"),
            (Timing::LateStage, "15,000.00 USD"),
            (Timing::AfterClose, "10,000.00 USD"),
        ];
        for (timing, want) in cases {
            let deal = Inputs {
                partner_type: PartnerType::Referral,
                timing,
                ..inputs("100000", Currency::USD)
            };
            assert_eq!(deal.amount(&CommissionRules::default()), want, "{timing:?}");
        }
    }

    #[test]
    fn every_partner_type_can_have_its_own_rates_and_falls_back_to_the_defaults() {
        let mut rules = CommissionRules::default();
        rules
            .rates
            .insert(("reseller", Timing::AfterFirstMeeting), Decimal::new(30, 2));
        rules
            .rates
            .insert(("referral", Timing::AfterFirstMeeting), Decimal::new(12, 2));
        rules.rates.insert(
            ("strategic", Timing::AfterFirstMeeting),
            Decimal::new(35, 2),
        );
        let cases = [
            (PartnerType::Referral, "1,200.00 USD"),
            (PartnerType::Reseller, "3,000.00 USD"),
            (PartnerType::Technology, "2,000.00 USD"),
            (PartnerType::Service, "2,000.00 USD"),
            (PartnerType::Strategic, "3,500.00 USD"),
        ];
        for (partner_type, want) in cases {
            let deal = Inputs {
                partner_type,
                ..inputs("10000", Currency::USD)
            };
            assert_eq!(deal.amount(&rules), want, "{partner_type:?}");
        }
        rules.default_rates.clear();
        let err = Inputs {
            partner_type: PartnerType::Service,
            ..inputs("10000", Currency::USD)
        }
        .compute(&rules)
        .expect_err("no rate");
        assert_eq!(err.to_string(), "no commission rate is set for service partners registering registered after first meeting");
    }

    #[test]
    fn attribution_and_tier_factors_multiply() {
        let cases = [
            (
                Attribution::Sourced,
                "registered",
                "2,000.00 USD",
                "× 1.0 (sourced) = 2,000.00 USD",
            ),
            (
                Attribution::CoSold,
                "registered",
                "1,000.00 USD",
                "× 0.5 (co-sold) = 1,000.00 USD",
            ),
            (
                Attribution::Influenced,
                "registered",
                "500.00 USD",
                "× 0.25 (influenced) = 500.00 USD",
            ),
            (
                Attribution::Sourced,
                "gold",
                "2,200.00 USD",
                "× 1.1 (gold tier) = 2,200.00 USD",
            ),
            (
                Attribution::CoSold,
                "platinum",
                "1,200.00 USD",
                "× 1.2 (platinum tier) = 1,200.00 USD",
            ),
            (
                Attribution::Sourced,
                "inactive",
                "1,600.00 USD",
                "× 0.8 (inactive tier) = 1,600.00 USD",
            ),
            (
                Attribution::Sourced,
                "unknown",
                "2,000.00 USD",
                "= 2,000.00 USD",
            ),
        ];
        for (attribution, tier, want, tail) in cases {
            let c = Inputs {
                attribution,
                tier,
                ..inputs("10000", Currency::USD)
            }
            .compute(&CommissionRules::default())
            .expect("computes");
            assert_eq!(c.amount.to_string(), want, "{attribution:?} {tier}");
            assert_ends_with(&c.calculation, tail);
        }
    }

    #[test]
    fn caps_apply_per_currency() {
        let mut rules = CommissionRules::default();
        rules.caps.insert("USD".into(), Decimal::new(5000, 0));
        let cases = [
            (Currency::USD, "5,000.00 USD", true),
            (Currency::EUR, "25,000.00 EUR", false),
        ];
        for (currency, want, capped) in cases {
            let c = Inputs {
                timing: Timing::BeforeFirstContact,
                ..inputs("100000", currency)
            }
            .compute(&rules)
            .expect("computes");
            assert_eq!((c.amount.to_string().as_str(), c.capped), (want, capped));
            if capped {
                assert_ends_with(&c.calculation, "capped at 5,000.00 USD");
            }
        }
    }

    #[test]
    fn rounding_happens_once_at_the_currencys_minor_unit() {
        // 12,345 × 15% × 0.25 × 1.1 = 509.23125
        let cases = [
            (money("12345", Currency::JPY), "509 JPY"),
            (money("12345", Currency::EUR), "509.23 EUR"),
            (money("12345", Currency::KWD), "509.231 KWD"),
            // Half a minor unit rounds away from zero: 3 × 15% × 0.25 × 1.1 = 0.12375 → 0.124 KWD, 0.12 EUR
            (money("3", Currency::KWD), "0.124 KWD"),
            (money("3", Currency::EUR), "0.12 EUR"),
        ];
        for (amount, want) in cases {
            let deal = Inputs {
                amount,
                timing: Timing::LateStage,
                attribution: Attribution::Influenced,
                tier: "gold",
                ..inputs("1", Currency::EUR)
            };
            assert_eq!(deal.amount(&CommissionRules::default()), want, "{amount}");
        }
    }

    #[test]
    fn recurring_commissions_split_exactly_into_instalments() {
        let rules = CommissionRules {
            recurring_months: Some(12),
            ..CommissionRules::default()
        };
        let c = Inputs {
            partner_type: PartnerType::Technology,
            timing: Timing::BeforeFirstContact,
            ..inputs("10000.01", Currency::EUR)
        }
        .compute(&rules)
        .expect("computes");
        assert_eq!(c.amount.to_string(), "2,500.00 EUR");
        assert_eq!(c.instalments.len(), 12);
        assert_eq!(
            c.instalments.iter().map(|m| m.minor()).sum::<i64>(),
            c.amount.minor()
        );
        assert_ends_with(&c.calculation, "paid as 12 monthly instalments");
    }

    #[test]
    fn totals_refuse_to_add_different_currencies() {
        let mut total = Total::default();
        total.add(money("10", Currency::EUR)).expect("first");
        total
            .add(money("5.50", Currency::EUR))
            .expect("same currency");
        assert_eq!(total.to_string(), "15.50 EUR");
        let err = total.add(money("1", Currency::USD)).expect_err("mixed");
        assert_eq!(
            err.to_string(),
            "cannot add 1.00 USD to 15.50 EUR: amounts in different currencies are never summed"
        );
        assert_eq!(
            total.to_string(),
            "15.50 EUR",
            "the refused amount was not added"
        );
    }
}
