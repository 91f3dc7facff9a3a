//! The program file's `[commissions]` section turned into the domain's rules, checked key by key
//! at start-up so a typo stops the bot with one line naming the setting.

use crate::config::{CommissionsSection, ConfigError};
use crate::domain::commission::{Attribution, CommissionRules, Timing};
use crate::domain::PartnerType;
use rust_decimal::Decimal;
use std::str::FromStr;

fn bad(setting: String, problem: String) -> ConfigError {
    ConfigError { setting, problem }
}

fn timing(key: &str) -> Option<Timing> {
    match key {
        "before_first_contact" => Some(Timing::BeforeFirstContact),
        "after_first_meeting" => Some(Timing::AfterFirstMeeting),
        "late_stage" => Some(Timing::LateStage),
        "after_close" => Some(Timing::AfterClose),
        _ => None,
    }
}

/// A TOML number as an exact decimal (its shortest decimal form: 0.1 stays 0.1).
fn decimal(setting: &str, value: f64, max: f64) -> Result<Decimal, ConfigError> {
    if !(0.0..=max).contains(&value) {
        return Err(bad(
            setting.into(),
            format!("{value} is not between 0 and {max}"),
        ));
    }
    Decimal::from_str(&value.to_string())
        .map_err(|_| bad(setting.into(), format!("{value} is not a decimal number")))
}

fn percents(
    prefix: &str,
    table: &std::collections::BTreeMap<String, f64>,
) -> Result<Vec<(Timing, Decimal)>, ConfigError> {
    table
        .iter()
        .map(|(key, value)| {
            let setting = format!("{prefix}.{key}");
            let t = timing(key).ok_or_else(|| bad(setting.clone(), "is not a timing: use before_first_contact, after_first_meeting, late_stage or after_close".into()))?;
            Ok((t, decimal(&setting, *value, 100.0)? / Decimal::ONE_HUNDRED))
        })
        .collect()
}

/// Builds and checks the commission rules.
pub fn commission_rules(section: &CommissionsSection) -> Result<CommissionRules, ConfigError> {
    let mut rules = CommissionRules::default();
    rules
        .default_rates
        .extend(percents("commissions.rates", &section.rates)?);
    for (type_name, table) in &section.rates_by_type {
        let partner_type: PartnerType = type_name
            .parse()
            .map_err(|e: String| bad(format!("commissions.rates_by_type.{type_name}"), e))?;
        for (t, rate) in percents(&format!("commissions.rates_by_type.{type_name}"), table)? {
            rules.rates.insert((partner_type.as_str(), t), rate);
        }
    }
    for (key, value) in &section.attribution {
        let setting = format!("commissions.attribution.{key}");
        let a = match key.as_str() {
            "sourced" => Attribution::Sourced,
            "co_sold" => Attribution::CoSold,
            "influenced" => Attribution::Influenced,
            _ => {
                return Err(bad(
                    setting,
                    "is not an attribution: use sourced, co_sold or influenced".into(),
                ))
            }
        };
        rules
            .attribution
            .insert(a, decimal(&setting, *value, 10.0)?);
    }
    for (key, value) in &section.tiers {
        rules.tiers.insert(
            key.to_ascii_lowercase(),
            decimal(&format!("commissions.tiers.{key}"), *value, 10.0)?,
        );
    }
    for (code, value) in &section.caps {
        let setting = format!("commissions.caps.{code}");
        if crate::domain::money::parse_currency(code).is_none() {
            return Err(bad(setting, "is not an ISO-4217 currency code".into()));
        }
        rules
            .caps
            .insert(code.to_ascii_uppercase(), decimal(&setting, *value, 1e12)?);
    }
    if let Some(channel) = &section.finance_channel {
        if !crate::config::is_channel_id(channel) {
            return Err(bad(
                "commissions.finance_channel".into(),
                format!("“{channel}” is not a channel id like C0123ABCD or 19:…@thread.tacv2"),
            ));
        }
    }
    rules.recurring_months = section.recurring_months.filter(|m| *m > 1);
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Program;

    #[test]
    fn the_commissions_section_overrides_defaults_exactly() {
        let program = Program::parse(
            "[commissions]\nrecurring_months = 12\n[commissions.rates]\nafter_first_meeting = 22.5\n[commissions.rates_by_type.reseller]\nlate_stage = 30\n[commissions.attribution]\nco_sold = 0.1\n[commissions.caps]\nusd = 25000\n",
        )
        .expect("parses");
        let rules = commission_rules(&program.commissions).expect("valid");
        assert_eq!(
            rules.default_rates[&Timing::AfterFirstMeeting],
            Decimal::from_str("0.225").expect("d")
        );
        assert_eq!(
            rules.rates[&("reseller", Timing::LateStage)],
            Decimal::from_str("0.3").expect("d")
        );
        assert_eq!(
            rules.attribution[&Attribution::CoSold],
            Decimal::from_str("0.1").expect("d")
        );
        assert_eq!(rules.caps["USD"], Decimal::from(25000));
        assert_eq!(rules.recurring_months, Some(12));
    }

    #[test]
    fn the_example_program_files_commissions_are_valid() {
        let program = Program::parse(include_str!("../../program.example.toml")).expect("parses");
        let rules = commission_rules(&program.commissions).expect("valid");
        assert_eq!(
            rules,
            crate::domain::commission::CommissionRules::default(),
            "the example spells out the defaults"
        );
    }

    #[test]
    fn each_bad_key_is_named() {
        let cases = [
            (
                "[commissions.rates]\nsoon = 5\n",
                "commissions.rates.soon: is not a timing",
            ),
            (
                "[commissions.rates]\nlate_stage = 150\n",
                "commissions.rates.late_stage: 150 is not between 0 and 100",
            ),
            (
                "[commissions.rates_by_type.distributor]\nlate_stage = 5\n",
                "commissions.rates_by_type.distributor: “distributor” is not a partner type",
            ),
            (
                "[commissions.attribution]\nhelped = 1\n",
                "commissions.attribution.helped: is not an attribution",
            ),
            (
                "[commissions.caps]\nEURO = 5\n",
                "commissions.caps.EURO: is not an ISO-4217",
            ),
        ];
        for (text, want) in cases {
            let program = Program::parse(text).expect("parses");
            let err = commission_rules(&program.commissions)
                .expect_err(want)
                .to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }
}
