//! The command grammar: a command family and the text after it, to an [`Intent`] or the
//! [`Refusal`] that explains what is wrong. Sub-commands are case-insensitive; names, domains
//! and free text keep the case they were typed in.

use super::{
    DealChanges, DealCommand, DealIntent, Family, Intent, Listing, PartnersIntent, Refusal,
    StatsPeriod, Unknown,
};
use crate::domain::deal::DealFilter;
use crate::domain::{DealDraft, DealId};

/// The most pages a listing goes to (a typo like `page 99999999` is refused, not run).
const MAX_PAGE: u32 = 10_000;
/// The longest "last N days" metrics period: ten years.
const MAX_PERIOD_DAYS: i64 = 3660;

/// Parses the text typed after a command of `family`.
pub fn parse(family: Family, text: &str) -> Result<Intent, Refusal> {
    let (sub, rest) = split_first(text);
    match family {
        Family::Deal => deal(&sub, rest),
        Family::Partners => partners(&sub, rest),
    }
}

/// Splits "word rest of text" into the lower-cased first word and the rest.
fn split_first(text: &str) -> (String, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_lowercase(), rest.trim()),
        None => (text.to_lowercase(), ""),
    }
}

fn deal(sub: &str, rest: &str) -> Result<Intent, Refusal> {
    let intent = match (sub, rest.is_empty()) {
        ("", _) | ("register", true) => DealIntent::OpenForm,
        ("register", false) => {
            DealIntent::Register(DealDraft::from_one_line(rest).map_err(Refusal::Invalid)?)
        }
        ("list", _) => {
            let (filter, page) = deal_list(rest)?;
            DealIntent::List { filter, page }
        }
        ("show", false) => DealIntent::Show(deal_id(rest)?),
        ("show", true) => return Err(Refusal::MissingDeal(DealCommand::Show)),
        ("update", _) => update(rest)?,
        ("extend", false) => DealIntent::Extend(deal_id(rest)?),
        ("extend", true) => return Err(Refusal::MissingDeal(DealCommand::Extend)),
        ("commissions", _) => DealIntent::Commissions,
        ("help", _) => return Ok(Intent::Help { unknown: None }),
        (other, _) => {
            return Ok(Intent::Help {
                unknown: Some(Unknown::Deal(other.to_string())),
            })
        }
    };
    Ok(Intent::Deal(intent))
}

fn deal_id(text: &str) -> Result<DealId, Refusal> {
    text.parse()
        .map_err(|_| Refusal::BadDealId(text.trim().to_string()))
}

/// `[all|open|expiring|won] [page N]`, in any order; the last filter wins.
fn deal_list(rest: &str) -> Result<(DealFilter, u32), Refusal> {
    let mut filter = DealFilter::All;
    let mut page = 1;
    let mut words = rest.split_whitespace().map(str::to_lowercase);
    while let Some(word) = words.next() {
        match word.as_str() {
            "all" => filter = DealFilter::All,
            "open" => filter = DealFilter::Open,
            "expiring" => filter = DealFilter::Expiring,
            "won" => filter = DealFilter::Won,
            "page" => page = page_number(Listing::Deals, &words.next().unwrap_or_default())?,
            _ => return Err(Refusal::UnknownListWord(word)),
        }
    }
    Ok((filter, page))
}

fn page_number(listing: Listing, given: &str) -> Result<u32, Refusal> {
    given
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
        .ok_or_else(|| Refusal::BadPage {
            listing,
            given: given.to_string(),
        })
}

/// `ID key=value…`.
fn update(rest: &str) -> Result<DealIntent, Refusal> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let Some((id, changes)) = words.split_first() else {
        return Err(Refusal::UpdateUsage);
    };
    Ok(DealIntent::Update {
        deal: deal_id(id)?,
        changes: DealChanges::parse(changes)?,
        raw: rest.to_string(),
    })
}

impl DealChanges {
    /// Reads `stage=… amount=… currency=… close=… products=…` (products takes the rest of the
    /// words up to the next `key=`, so it may contain spaces; `attribution=` belongs to a win,
    /// which reads it itself).
    pub fn parse(words: &[&str]) -> Result<DealChanges, Refusal> {
        let mut changes = DealChanges::default();
        let mut i = 0;
        while i < words.len() {
            let Some((key, value)) = words[i].split_once('=') else {
                return Err(Refusal::NotKeyValue(words[i].to_string()));
            };
            let slot = match key.to_ascii_lowercase().as_str() {
                "stage" => &mut changes.stage,
                "amount" => &mut changes.amount,
                "currency" => &mut changes.currency,
                "close" | "close_date" => &mut changes.close,
                "products" => {
                    let mut text = vec![value];
                    while i + 1 < words.len() && !words[i + 1].contains('=') {
                        i += 1;
                        text.push(words[i]);
                    }
                    changes.products = Some(text.join(" "));
                    i += 1;
                    continue;
                }
                "attribution" => {
                    i += 1;
                    continue;
                }
                other => return Err(Refusal::UnknownDealField(other.to_string())),
            };
            *slot = Some(value.to_string());
            i += 1;
        }
        Ok(changes)
    }
}

fn partners(sub: &str, rest: &str) -> Result<Intent, Refusal> {
    let intent = match sub {
        "add" => partner_add(rest)?,
        "list" => PartnersIntent::List {
            page: partner_page(rest)?,
        },
        "check" => customer_check(rest)?,
        "accounts" => PartnersIntent::Accounts,
        "stats" => stats(rest),
        "digest" if split_first(rest).0 == "now" => PartnersIntent::DigestNow,
        "survey" => survey(rest)?,
        "commissions" => pay(rest)?,
        "admins" => admins(rest)?,
        "" | "help" => return Ok(Intent::Help { unknown: None }),
        other => {
            return Ok(Intent::Help {
                unknown: Some(Unknown::Partners(other.to_string())),
            })
        }
    };
    Ok(Intent::Partners(intent))
}

/// `NAME words… type=TYPE [tier=TIER]` (the `key=` parts may come anywhere).
fn partner_add(rest: &str) -> Result<PartnersIntent, Refusal> {
    let mut partner_type = None;
    let mut tier = None;
    let mut name = Vec::new();
    for word in rest.split_whitespace() {
        if let Some(t) = word.strip_prefix("type=") {
            partner_type = Some(t.to_string());
        } else if let Some(t) = word.strip_prefix("tier=") {
            tier = Some(t.to_string());
        } else {
            name.push(word);
        }
    }
    match (name.is_empty(), partner_type) {
        (false, Some(partner_type)) => Ok(PartnersIntent::Add {
            name: name.join(" "),
            partner_type,
            tier,
        }),
        _ => Err(Refusal::PartnerAddUsage),
    }
}

/// `page N` (or nothing, page 1).
fn partner_page(rest: &str) -> Result<usize, Refusal> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(1),
        [p, n] if p.eq_ignore_ascii_case("page") => {
            page_number(Listing::Partners, n).map(|n| n as usize)
        }
        _ => Err(Refusal::PartnerListUsage),
    }
}

/// `<company words…> [domain]`: a last word with a dot, after at least one other, is the domain.
fn customer_check(rest: &str) -> Result<PartnersIntent, Refusal> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (name, domain) = match words.split_last() {
        None => return Err(Refusal::CheckUsage),
        Some((last, before)) if !before.is_empty() && last.contains('.') => {
            (before.join(" "), Some(last.to_string()))
        }
        Some(_) => (words.join(" "), None),
    };
    Ok(PartnersIntent::Check { name, domain })
}

/// `[partner name words…] [period]`: a last word that reads as a period is the period (90 days
/// when none); everything else names the partner.
fn stats(rest: &str) -> PartnersIntent {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (name, period) = match words.split_last() {
        Some((last, before)) => match StatsPeriod::parse(last) {
            Some(period) => (before.join(" "), period),
            None => (words.join(" "), StatsPeriod::Days(90)),
        },
        None => (String::new(), StatsPeriod::Days(90)),
    };
    PartnersIntent::Stats {
        partner: name,
        period,
    }
}

impl StatsPeriod {
    /// `30d`, `90d`, `365d` (any 1 to 3660), `ytd` or `2027-Q1`, in any case.
    pub fn parse(text: &str) -> Option<StatsPeriod> {
        let text = text.to_ascii_lowercase();
        if let Some(days) = text
            .strip_suffix('d')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=MAX_PERIOD_DAYS).contains(n))
        {
            return Some(StatsPeriod::Days(days));
        }
        if text == "ytd" {
            return Some(StatsPeriod::YearToDate);
        }
        let (year, quarter) = text.split_once("-q")?;
        let year = year.parse::<i32>().ok()?;
        let quarter = quarter
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=4).contains(q))?;
        let period = StatsPeriod::Quarter { year, quarter };
        // Only years the calendar can represent (the quarter's last day included).
        period.quarter_dates().map(|_| period)
    }

    /// The first and last day of a quarter (`None` for other periods or outside the calendar).
    pub fn quarter_dates(self) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
        use chrono::NaiveDate;
        let StatsPeriod::Quarter { year, quarter } = self else {
            return None;
        };
        let from = NaiveDate::from_ymd_opt(year, 3 * quarter - 2, 1)?;
        let next = match quarter {
            4 => NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?,
            _ => NaiveDate::from_ymd_opt(year, 3 * quarter + 1, 1)?,
        };
        Some((from, next.pred_opt()?))
    }
}

/// `now` or `results [round]` (`R2`, `r-2` and `2` name round 2; anything else, the latest).
fn survey(rest: &str) -> Result<PartnersIntent, Refusal> {
    let (verb, arg) = split_first(rest);
    match verb.as_str() {
        "now" => Ok(PartnersIntent::SurveyNow),
        "results" => Ok(PartnersIntent::SurveyResults {
            round: arg.trim_start_matches(['R', 'r', '-']).parse::<i64>().ok(),
        }),
        _ => Err(Refusal::SurveyUsage),
    }
}

/// `pay C-12 C-13…` (words that are not commission ids are skipped).
fn pay(rest: &str) -> Result<PartnersIntent, Refusal> {
    let (verb, ids) = split_first(rest);
    let ids: Vec<i64> = ids
        .split_whitespace()
        .filter_map(|w| w.trim_start_matches(['C', 'c', '-']).parse().ok())
        .collect();
    if verb != "pay" || ids.is_empty() {
        return Err(Refusal::PayUsage);
    }
    Ok(PartnersIntent::PayCommissions(ids))
}

/// `P-3 @alice @bob…` (Slack mentions arrive as `<@U123|alice>`), or `P-3 none` to clear.
fn admins(rest: &str) -> Result<PartnersIntent, Refusal> {
    let (first, users) = split_first(rest);
    if first.is_empty() {
        return Err(Refusal::AdminsUsage);
    }
    let given = rest.split_whitespace().next().unwrap_or_default();
    let partner = first
        .parse()
        .map_err(|()| Refusal::BadPartnerId(given.to_string()))?;
    let users: Vec<String> = users.split_whitespace().map(mentioned_user).collect();
    if users.is_empty() {
        return Err(Refusal::NoAdmins(partner));
    }
    Ok(PartnersIntent::Admins {
        partner,
        users: named_admins(users),
    })
}

/// The admins a manager named: `users`, or nobody when the one word given is `none` (which
/// clears the list), in chat and on the command line alike.
pub fn named_admins(users: Vec<String>) -> Vec<String> {
    match users.as_slice() {
        [none] if none.eq_ignore_ascii_case("none") => Vec::new(),
        _ => users,
    }
}

/// The user id of a Slack mention (`<@U123|alice>`, `<@U123>`), else the word as typed.
fn mentioned_user(word: &str) -> String {
    word.strip_prefix("<@")
        .and_then(|w| w.strip_suffix('>'))
        .map(|inner| inner.split('|').next().unwrap_or_default())
        .unwrap_or(word)
        .to_string()
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
