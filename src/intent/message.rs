//! What a chat message about a new opportunity says about it: the customer company, its domain,
//! an amount with its currency and an expected close date, detected in free text so a
//! registration form can open already filled in. Pure (no I/O, no clock: `today` is passed in);
//! every field is a suggestion the person checks before submitting, so a miss leaves the field
//! empty rather than guessing wildly. The adapter hands over plain text (its platform's link
//! and mention markup already unwrapped).

use crate::domain::money::parse_currency;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::str::FromStr;

/// What a message suggests for a registration; `None` where it says nothing recognisable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageHints {
    pub company: Option<String>,
    /// The registrable domain (`www.acme.com/pricing` gives `acme.com`).
    pub domain: Option<String>,
    /// The amount as a plain decimal (`50k` gives `50000`).
    pub amount: Option<String>,
    /// ISO-4217 code of the amount, when the message names or symbolises one.
    pub currency: Option<String>,
    /// The first date on or after `today` the message names.
    pub close_date: Option<NaiveDate>,
}

/// Longest company name taken from a message (the form allows 200 characters).
const MAX_COMPANY_WORDS: usize = 5;

/// Words after which a capitalised name is likely the customer ("talking to Wayne Enterprises").
const CUES: &[&str] = &[
    "at", "with", "for", "from", "to", "customer", "prospect", "account", "company", "client",
];

/// Legal forms that end a company name ("Acme Corp", "Stark Industries Ltd").
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "inc.",
    "ltd",
    "ltd.",
    "llc",
    "gmbh",
    "ag",
    "sa",
    "s.a.",
    "plc",
    "corp",
    "corp.",
    "corporation",
    "bv",
    "b.v.",
    "co.",
    "limited",
    "sarl",
    "srl",
    "oy",
    "ab",
    "kg",
    "nv",
    "pty",
];

/// Symbols standing for one currency.
const SYMBOLS: &[(char, &str)] = &[('$', "USD"), ('€', "EUR"), ('£', "GBP"), ('¥', "JPY")];

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads the hints out of `text`, a message written on `today`.
pub fn hints(text: &str, today: NaiveDate) -> MessageHints {
    let words: Vec<&str> = text.split_whitespace().collect();
    let domain = words.iter().find_map(|w| domain_of(w));
    let (amount, currency) = words
        .iter()
        .enumerate()
        .find_map(|(i, _)| amount_at(&words, i))
        .map_or((None, None), |(a, c)| (Some(a), c));
    let company = company_by_legal_form(&words)
        .or_else(|| company_after_cue(&words))
        .or_else(|| domain.as_deref().map(company_from_domain));
    MessageHints {
        company,
        domain,
        amount,
        currency,
        close_date: close_date(&words, today),
    }
}

/// Punctuation a word may carry around it in prose.
fn trim_prose(word: &str) -> &str {
    word.trim_matches(|c: char| {
        matches!(
            c,
            ',' | ';' | ':' | '!' | '?' | '(' | ')' | '"' | '\'' | '“' | '”' | '*' | '_'
        )
    })
    .trim_end_matches('.')
}

/// The registrable domain a word names: a host, a URL or an e-mail address.
fn domain_of(word: &str) -> Option<String> {
    let word = trim_prose(word).to_ascii_lowercase();
    let host = word
        .split_once("://")
        .map_or(word.as_str(), |(_, rest)| rest)
        .rsplit('@')
        .next()?
        .split(['/', '?', '#', ':'])
        .next()?
        .trim_start_matches("www.");
    let labels: Vec<&str> = host.split('.').collect();
    let well_formed = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if !well_formed {
        return None;
    }
    let registrable = psl::domain_str(host)?;
    // Links to chat platforms and their files say nothing about the customer.
    (!matches!(
        registrable,
        "slack.com" | "microsoft.com" | "teams.microsoft.com"
    ))
    .then(|| registrable.to_string())
}

/// An amount starting at word `i`: a symbol or code before or after a number, or a number with
/// a `k`/`m` multiplier. Bare numbers (years, counts) are not amounts.
fn amount_at(words: &[&str], i: usize) -> Option<(String, Option<String>)> {
    let word = trim_prose(words[i]);
    let code_of = |w: &str| parse_currency(trim_prose(w)).map(|c| c.code().to_string());
    let (symbol, rest) = match SYMBOLS.iter().find(|(s, _)| word.starts_with(*s)) {
        Some((s, code)) => (Some(code.to_string()), &word[s.len_utf8()..]),
        None => (None, word),
    };
    let (number, multiplied) = number_of(rest)?;
    let after = words.get(i + 1).and_then(|w| code_of(w));
    let before = i.checked_sub(1).and_then(|j| code_of(words[j]));
    let currency = symbol.or(after).or(before);
    (currency.is_some() || multiplied).then_some((number, currency))
}

/// A number with optional grouping commas and a `k`, `m` or `bn` multiplier, as a plain
/// decimal; `true` when a multiplier was given.
fn number_of(text: &str) -> Option<(String, bool)> {
    let lower = text.to_ascii_lowercase();
    let (digits, factor) = [
        ("bn", 1_000_000_000i64),
        ("mm", 1_000_000),
        ("m", 1_000_000),
        ("k", 1_000),
    ]
    .iter()
    .find_map(|(suffix, f)| lower.strip_suffix(suffix).map(|d| (d.to_string(), *f)))
    .unwrap_or((lower.clone(), 1));
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let plain: String = digits.chars().filter(|c| *c != ',').collect();
    let value = Decimal::from_str(&plain).ok()?;
    let value = value.checked_mul(Decimal::from(factor))?.normalize();
    (value > Decimal::ZERO).then(|| (value.to_string(), factor > 1))
}

/// A capitalised name ending in a legal form: "Acme Corp", "Stark Industries Ltd.".
fn company_by_legal_form(words: &[&str]) -> Option<String> {
    let form_of = |w: &str| {
        w.trim_end_matches([',', ';', ':', '!', '?', ')'])
            .to_string()
    };
    let end = words
        .iter()
        .position(|w| LEGAL_FORMS.contains(&form_of(w).to_ascii_lowercase().as_str()))?;
    let start = (0..end)
        .rev()
        .take_while(|&j| end - j <= MAX_COMPANY_WORDS && is_name_word(words[j]))
        .last()?;
    let mut name: Vec<String> = words[start..end]
        .iter()
        .map(|w| trim_prose(w).to_string())
        .collect();
    name.push(form_of(words[end]));
    Some(name.join(" "))
}

/// Capitalised words right after a cue: "meeting with Wayne Enterprises next week".
fn company_after_cue(words: &[&str]) -> Option<String> {
    words.iter().enumerate().find_map(|(i, w)| {
        if !CUES.contains(&trim_prose(w).to_ascii_lowercase().as_str()) {
            return None;
        }
        let mut name: Vec<&str> = Vec::new();
        for w in words[i + 1..].iter().take(MAX_COMPANY_WORDS) {
            if !is_name_word(w) {
                break;
            }
            name.push(trim_prose(w));
            // Punctuation ends the name: "… with Acme. Budget …".
            if w.ends_with(['.', ',', ';', ':', '!', '?', ')']) {
                break;
            }
        }
        (!name.is_empty()).then(|| name.join(" "))
    })
}

/// A word that can be part of a company name: capitalised, not a month, quarter or currency.
fn is_name_word(word: &str) -> bool {
    let bare = trim_prose(word);
    let lower = bare.to_ascii_lowercase();
    bare.chars().next().is_some_and(char::is_uppercase)
        && !bare.contains(['@', '/', '$', '€', '£'])
        && month_of(&lower).is_none()
        && !(lower.len() == 2 && lower.starts_with('q'))
        && parse_currency(bare).is_none_or(|_| bare.chars().any(char::is_lowercase))
        && bare != "I"
}

/// "acme-corp.com" → "Acme Corp".
fn company_from_domain(domain: &str) -> String {
    domain
        .split('.')
        .next()
        .unwrap_or(domain)
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Month number (1–12) of a month's name or three-letter abbreviation.
fn month_of(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.');
    MONTHS
        .iter()
        .position(|m| {
            word.len() >= 3 && word.starts_with(m) && chrono::Month::from_str(word).is_ok()
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// The first date on or after `today` the words name: `2027-03-31`, `31 March 2027`,
/// `March 31, 2027`, `March 31` (this year or the next), or the end of a quarter (`Q3 2027`,
/// `end of Q3`).
fn close_date(words: &[&str], today: NaiveDate) -> Option<NaiveDate> {
    (0..words.len())
        .filter_map(|i| date_at(words, i, today))
        .find(|d| *d >= today)
}

fn date_at(words: &[&str], i: usize, today: NaiveDate) -> Option<NaiveDate> {
    let word = |j: usize| words.get(j).map(|w| trim_prose(w).to_ascii_lowercase());
    let w = word(i)?;
    if let Ok(d) = NaiveDate::parse_from_str(&w, "%Y-%m-%d") {
        return Some(d);
    }
    let year_at = |j: usize| {
        word(j)
            .and_then(|y| y.parse::<i32>().ok())
            .filter(|y| (2000..=2200).contains(y))
    };
    let day_of = |s: &str| {
        s.trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
    };
    let upcoming = |month: u32, day: u32, year: Option<i32>| match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day),
        None => NaiveDate::from_ymd_opt(today.year(), month, day)
            .filter(|d| *d >= today)
            .or_else(|| NaiveDate::from_ymd_opt(today.year() + 1, month, day)),
    };
    if let Some(month) = month_of(&w) {
        // "March 31, 2027" / "March 31"
        let day = word(i + 1).as_deref().and_then(day_of)?;
        return upcoming(month, day, year_at(i + 2));
    }
    if let (Some(day), Some(month)) = (day_of(&w), word(i + 1).as_deref().and_then(month_of)) {
        // "31 March 2027" / "31st March"
        if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return upcoming(month, day, year_at(i + 2));
        }
    }
    quarter_end(&w, year_at(i + 1), today)
}

/// The last day of quarter `q1`…`q4`, in `year` or the first year it is still ahead.
fn quarter_end(word: &str, year: Option<i32>, today: NaiveDate) -> Option<NaiveDate> {
    let q = word
        .strip_prefix('q')?
        .parse::<u32>()
        .ok()
        .filter(|q| (1..=4).contains(q))?;
    let end = |y: i32| {
        let next = if q == 4 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, q * 3 + 1, 1)
        };
        next.and_then(|d| d.pred_opt())
    };
    match year {
        Some(y) => end(y),
        None => end(today.year())
            .filter(|d| *d >= today)
            .or_else(|| end(today.year() + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 10).expect("date")
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn a_typical_opportunity_message_fills_every_field() {
        let h = hints(
            "New opp: talking to Wayne Enterprises (wayne.com) about $120k, they want to close by March 31, 2027.",
            today(),
        );
        assert_eq!(h.company.as_deref(), Some("Wayne Enterprises"));
        assert_eq!(h.domain.as_deref(), Some("wayne.com"));
        assert_eq!(h.amount.as_deref(), Some("120000"));
        assert_eq!(h.currency.as_deref(), Some("USD"));
        assert_eq!(h.close_date, date(2027, 3, 31));
    }

    #[test]
    fn a_legal_form_marks_the_company_name() {
        let h = hints("Acme Corp wants 40 seats, budget EUR 55,000", today());
        assert_eq!(h.company.as_deref(), Some("Acme Corp"));
        assert_eq!(h.amount.as_deref(), Some("55000"));
        assert_eq!(h.currency.as_deref(), Some("EUR"));
        let h = hints("Deal with Stark Industries Ltd. for 1.5m GBP", today());
        assert_eq!(h.company.as_deref(), Some("Stark Industries Ltd."));
        assert_eq!(h.amount.as_deref(), Some("1500000"));
        assert_eq!(h.currency.as_deref(), Some("GBP"));
    }

    #[test]
    fn domains_come_from_urls_and_email_addresses_as_registrable_domains() {
        let d = |t: &str| hints(t, today()).domain;
        assert_eq!(
            d("see https://www.shop.acme.co.uk/pricing?x=1"),
            Some("acme.co.uk".into())
        );
        assert_eq!(
            d("contact jane.doe@initech.com today"),
            Some("initech.com".into())
        );
        assert_eq!(d("thread https://acme.slack.com/archives/C1"), None);
        assert_eq!(d("version 2.5 is out, e.g. this"), None);
    }

    #[test]
    fn the_company_falls_back_to_the_domain_name() {
        let h = hints("lead: globex-corp.com, 30k", today());
        assert_eq!(h.company.as_deref(), Some("Globex Corp"));
        assert_eq!(h.amount.as_deref(), Some("30000"));
        assert_eq!(h.currency, None);
    }

    #[test]
    fn bare_numbers_years_and_counts_are_not_amounts() {
        let h = hints("they have 250 users since 2019 and 3 offices", today());
        assert_eq!(h.amount, None);
        assert_eq!(h.company, None);
        assert_eq!(h.close_date, None);
    }

    #[test]
    fn dates_are_read_in_several_forms_and_past_ones_skipped() {
        let c = |t: &str| hints(t, today()).close_date;
        assert_eq!(c("close 2027-06-30"), date(2027, 6, 30));
        assert_eq!(
            c("signed 2026-12-01, renewal 2027-12-01"),
            date(2027, 12, 1)
        );
        assert_eq!(c("expected 15 April 2027"), date(2027, 4, 15));
        assert_eq!(
            c("by Jan 5"),
            date(2028, 1, 5),
            "already past this year: next year's"
        );
        assert_eq!(c("by Feb 28th"), date(2027, 2, 28));
        assert_eq!(c("end of Q3"), date(2027, 9, 30));
        assert_eq!(c("Q4 2027 at the latest"), date(2027, 12, 31));
        assert_eq!(c("March 45"), None);
    }

    #[test]
    fn symbols_and_codes_on_either_side_name_the_currency() {
        let a = |t: &str| {
            let h = hints(t, today());
            (h.amount, h.currency)
        };
        assert_eq!(a("€2.5m"), (Some("2500000".into()), Some("EUR".into())));
        assert_eq!(
            a("about 80,000 CHF"),
            (Some("80000".into()), Some("CHF".into()))
        );
        assert_eq!(
            a("JPY 1200000"),
            (Some("1200000".into()), Some("JPY".into()))
        );
        assert_eq!(
            a("£12,500.50"),
            (Some("12500.5".into()), Some("GBP".into()))
        );
    }

    #[test]
    fn months_quarters_and_currency_codes_are_not_company_names() {
        let h = hints("for March, maybe with USD budget", today());
        assert_eq!(h.company, None);
        let h = hints("meeting with Initech. Budget unclear", today());
        assert_eq!(h.company.as_deref(), Some("Initech"));
    }

    #[test]
    fn empty_and_hostile_text_gives_no_hints() {
        assert_eq!(hints("", today()), MessageHints::default());
        let h = hints(&"$$$ @@@ ... k m bn".repeat(100), today());
        assert_eq!(h.amount, None);
        assert_eq!(h.domain, None);
    }
}
