//! Exact money amounts: a decimal in an ISO-4217 currency, stored as integer minor units.

use iso_currency::Currency;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// Largest amount we accept on a registration; anything bigger is a typo (and would not fit in minor units).
const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// An amount in one currency, held as integer minor units (cents, yen, fils) so it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "StoredMoney", try_from = "StoredMoney")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// How an amount is serialised (in a stored notice): minor units and the ISO-4217 code.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredMoney {
    minor: i64,
    currency: String,
}

impl From<Money> for StoredMoney {
    fn from(m: Money) -> StoredMoney {
        StoredMoney {
            minor: m.minor,
            currency: m.currency.code().to_string(),
        }
    }
}

impl TryFrom<StoredMoney> for Money {
    type Error = String;

    fn try_from(s: StoredMoney) -> Result<Money, String> {
        Money::from_minor(s.minor, &s.currency)
            .ok_or_else(|| format!("“{}” is not a currency deals are priced in", s.currency))
    }
}

/// ISO-4217 codes that are not money a deal can be priced in: "no currency" (XXX), the testing
/// code, precious metals, the SDR and European bond units. (XAF, XOF, XCD and XPF are real
/// currencies and stay.)
const NOT_TENDER: &[&str] = &[
    "XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA",
];

/// Looks up an ISO-4217 code (case-insensitive); `None` when it is not a currency deals can be
/// priced in.
pub fn parse_currency(code: &str) -> Option<Currency> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 3 || NOT_TENDER.contains(&code.as_str()) {
        return None;
    }
    Currency::from_code(&code)
}

/// Number of digits after the decimal point in the currency's minor unit (USD 2, JPY 0, KWD 3).
pub fn minor_digits(currency: Currency) -> u32 {
    currency.exponent().map(u32::from).unwrap_or(0)
}

impl Money {
    /// Builds an amount from minor units; `None` when the currency code is unknown.
    pub fn from_minor(minor: i64, currency_code: &str) -> Option<Money> {
        parse_currency(currency_code).map(|currency| Money { minor, currency })
    }

    /// Parses what a person typed ("50000", "50,000", "1 250.50") in `currency`.
    /// The error text says what is wrong, for showing next to the field.
    pub fn parse(input: &str, currency: Currency) -> Result<Money, String> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err("Enter the estimated amount, e.g. 50000".into());
        }
        let cleaned = strip_grouping(raw).ok_or_else(|| not_a_number(raw))?;
        let value = Decimal::from_str(&cleaned).map_err(|_| not_a_number(raw))?;
        if value <= Decimal::ZERO {
            return Err(format!("The amount must be more than zero, not “{raw}”"));
        }
        let digits = minor_digits(currency);
        if value.normalize().scale() > digits {
            return Err(format!(
                "{} has {} decimal place{}; “{raw}” has more",
                currency.code(),
                digits,
                if digits == 1 { "" } else { "s" }
            ));
        }
        let minor = (value * Decimal::from(10i64.pow(digits)))
            .trunc()
            .to_string()
            .parse::<i64>()
            .ok()
            .filter(|m| *m <= MAX_AMOUNT * 10i64.pow(digits))
            .ok_or_else(|| format!("“{raw}” is too large for a deal amount"))?;
        Ok(Money { minor, currency })
    }

    /// An exact decimal already rounded to the currency's minor unit; `None` when it has more
    /// digits than the currency allows or does not fit.
    pub fn from_decimal(value: Decimal, currency: Currency) -> Option<Money> {
        let digits = minor_digits(currency);
        if value.normalize().scale() > digits {
            return None;
        }
        let minor = (value * Decimal::from(10i64.checked_pow(digits)?))
            .trunc()
            .to_string()
            .parse::<i64>()
            .ok()?;
        Some(Money { minor, currency })
    }

    /// The amount in minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The ISO-4217 currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as an exact decimal.
    pub fn decimal(&self) -> Decimal {
        Decimal::new(self.minor, minor_digits(self.currency))
    }
}

impl fmt::Display for Money {
    /// "50,000.00 USD", "1,250,000 JPY", "12.500 KWD".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = minor_digits(self.currency) as usize;
        let text = format!("{:.*}", digits, self.decimal());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let grouped = group_thousands(int);
        if frac.is_empty() {
            write!(f, "{grouped} {}", self.currency.code())
        } else {
            write!(f, "{grouped}.{frac} {}", self.currency.code())
        }
    }
}

fn not_a_number(raw: &str) -> String {
    format!("“{raw}” is not a number: write the amount in digits, e.g. 50000 or 50,000.00")
}

/// Removes thousands separators (`,` in groups of three, spaces, `_`), keeping `.` as the decimal point.
/// Returns `None` when separators are misplaced, so "5,00" is refused rather than read as 500.
fn strip_grouping(raw: &str) -> Option<String> {
    let no_space: String = raw.chars().filter(|c| *c != ' ' && *c != '_').collect();
    let (int, frac) = match no_space.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (no_space.as_str(), None),
    };
    if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    let int: String = int.chars().filter(|c| *c != ',').collect();
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match frac {
        Some(f) if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) => None,
        Some(f) => Some(format!("{int}.{f}")),
        None => Some(int),
    }
}

fn group_thousands(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::USD
    }

    #[test]
    fn codes_that_are_not_money_are_not_currencies() {
        for code in ["XXX", "xts", "XAU", "XDR"] {
            assert_eq!(parse_currency(code), None, "{code}");
        }
        for code in ["XOF", "XAF", "EUR", "jpy"] {
            assert!(parse_currency(code).is_some(), "{code}");
        }
    }

    #[test]
    fn plain_and_grouped_amounts_parse_to_the_same_minor_units() {
        for input in [
            "50000", "50,000", "50 000", "50000.00", "50,000.0", "50_000",
        ] {
            assert_eq!(
                Money::parse(input, usd()).map(|m| m.minor()),
                Ok(5_000_000),
                "{input}"
            );
        }
    }

    #[test]
    fn things_that_are_not_numbers_are_refused_with_the_input_quoted() {
        for input in [
            "50k€",
            "fifty",
            "5,00",
            "1.2.3",
            "$",
            "12,34,567",
            "-5",
            "0",
        ] {
            let err = Money::parse(input, usd()).expect_err(input);
            assert!(err.contains(input), "{input}: {err}");
        }
    }

    #[test]
    fn decimals_beyond_the_minor_unit_are_refused() {
        assert!(Money::parse("10.5", Currency::JPY).is_err());
        assert!(Money::parse("10.123", usd()).is_err());
        assert_eq!(
            Money::parse("10.125", Currency::KWD).map(|m| m.minor()),
            Ok(10125)
        );
    }

    #[test]
    fn display_groups_thousands_and_keeps_the_minor_digits() {
        let cases = [
            (5_000_000, "USD", "50,000.00 USD"),
            (1_250_000, "JPY", "1,250,000 JPY"),
            (12_500, "KWD", "12.500 KWD"),
            (99, "EUR", "0.99 EUR"),
        ];
        for (minor, code, want) in cases {
            let money = Money::from_minor(minor, code).expect(code);
            assert_eq!(money.to_string(), want);
        }
    }

    #[test]
    fn absurdly_large_amounts_are_refused() {
        assert!(Money::parse("99999999999999999", usd()).is_err());
    }
}
