//! Deal registrations: the fields a partner submits, their validation, and the deal lifecycle.

use super::money::{parse_currency, Money};
use chrono::{Duration, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// Database id of a deal registration; shown to people as `D-42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DealId(pub i64);

impl fmt::Display for DealId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "D-{}", self.0)
    }
}

impl FromStr for DealId {
    type Err = DealError;

    /// Accepts `D-42`, `d42`, `#42` and `42`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('#');
        let t = t
            .strip_prefix("D-")
            .or_else(|| t.strip_prefix("d-"))
            .or_else(|| t.strip_prefix('D'))
            .or_else(|| t.strip_prefix('d'))
            .unwrap_or(t);
        t.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(DealId)
            .ok_or_else(|| DealError::BadDealId(s.trim().to_string()))
    }
}

/// Which deals a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealFilter {
    All,
    /// Still in play: submitted, in review, in conflict, returned or approved.
    Open,
    /// Approved, with protection ending within the store's `EXPIRING_DAYS`.
    Expiring,
    Won,
}

/// Where a registration is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Submitted,
    PendingReview,
    Conflict,
    Approved,
    Rejected,
    Returned,
    Expired,
    Won,
    Lost,
    Withdrawn,
}

impl DealStatus {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Submitted => "submitted",
            DealStatus::PendingReview => "pending_review",
            DealStatus::Conflict => "conflict",
            DealStatus::Approved => "approved",
            DealStatus::Rejected => "rejected",
            DealStatus::Returned => "returned",
            DealStatus::Expired => "expired",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
            DealStatus::Withdrawn => "withdrawn",
        }
    }

    /// Words for people ("pending review").
    pub fn label(self) -> &'static str {
        match self {
            DealStatus::PendingReview => "pending review",
            other => other.as_str(),
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<DealStatus> {
        const ALL: [DealStatus; 10] = [
            DealStatus::Submitted,
            DealStatus::PendingReview,
            DealStatus::Conflict,
            DealStatus::Approved,
            DealStatus::Rejected,
            DealStatus::Returned,
            DealStatus::Expired,
            DealStatus::Won,
            DealStatus::Lost,
            DealStatus::Withdrawn,
        ];
        ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Sales stage at registration time, as offered in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Prospecting,
    Qualified,
    Evaluation,
    Proposal,
    Negotiation,
}

impl Stage {
    /// Every stage in sales order; the modal lists them in this order.
    pub const ALL: [Stage; 5] = [
        Stage::Prospecting,
        Stage::Qualified,
        Stage::Evaluation,
        Stage::Proposal,
        Stage::Negotiation,
    ];

    /// The stable name stored and typed.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Prospecting => "prospecting",
            Stage::Qualified => "qualified",
            Stage::Evaluation => "evaluation",
            Stage::Proposal => "proposal",
            Stage::Negotiation => "negotiation",
        }
    }

    /// Label shown in the form.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Prospecting => "Prospecting (no customer contact yet)",
            Stage::Qualified => "Qualified (first meeting held)",
            Stage::Evaluation => "Evaluation / demo",
            Stage::Proposal => "Proposal sent",
            Stage::Negotiation => "Negotiation",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// A field of the registration form. `key` names its input on every platform's form, so
/// validation errors land next to the right input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Company,
    Domain,
    ContactName,
    ContactEmail,
    Amount,
    Currency,
    CloseDate,
    Stage,
    Timing,
    Products,
    Notes,
}

impl Field {
    /// The input's name on the form (Slack's block and action id, Teams' input id).
    pub fn key(self) -> &'static str {
        match self {
            Field::Company => "company",
            Field::Domain => "domain",
            Field::ContactName => "contact_name",
            Field::ContactEmail => "contact_email",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::CloseDate => "close_date",
            Field::Stage => "stage",
            Field::Timing => "timing",
            Field::Products => "products",
            Field::Notes => "notes",
        }
    }

    /// The field's name for messages ("close date").
    pub fn label(self) -> &'static str {
        match self {
            Field::Company => "customer company",
            Field::Domain => "customer domain",
            Field::ContactName => "contact name",
            Field::ContactEmail => "contact e-mail",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::CloseDate => "close date",
            Field::Stage => "stage",
            Field::Timing => "registration timing",
            Field::Products => "products",
            Field::Notes => "notes",
        }
    }
}

/// Validation errors, one message per field, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(Field, String)>);

impl FieldErrors {
    fn push(&mut self, field: Field, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// True when nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldErrors {
    /// One line per field: "amount: “50k€” is not a number…".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, msg)) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {msg}", field.label())?;
        }
        Ok(())
    }
}

/// What a partner typed, before validation. Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealDraft {
    pub company: String,
    pub domain: String,
    pub contact_name: String,
    pub contact_email: String,
    pub amount: String,
    pub currency: String,
    pub close_date: String,
    pub stage: String,
    /// How early the registration comes (commission class); empty means "derive from the stage".
    pub timing: String,
    pub products: String,
    pub notes: String,
}

/// A registration that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeal {
    pub company: String,
    pub domain: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub amount: Money,
    pub close_date: NaiveDate,
    pub stage: Stage,
    pub products: String,
    pub notes: String,
}

/// Which fields a surface requires: the modal asks for a contact; the one-line command cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Modal,
    OneLine,
}

/// How far ahead an expected close date may be before we call it a typo.
const MAX_CLOSE_YEARS_AHEAD: i64 = 3;
/// Default expected close for the one-line command when none is typed: a quarter out.
const DEFAULT_CLOSE_DAYS: i64 = 90;

/// Failures a partner or manager may be shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DealError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("“{0}” is not a deal id: use the number shown on the deal, e.g. D-42")]
    BadDealId(String),
    #[error("There is no deal {0} that you can see.")]
    NotFound(DealId),
    #[error("This channel is not linked to a partner yet, so I can't register deals here. Ask your partner manager to link it.")]
    NotLinked,
    #[error("Only partner managers can do that.")]
    NotManager,
    #[error("This isn't a deal's thread: use it in the thread under a deal's confirmation or review card.")]
    NotADealThread,
    /// The deal changed between reading it and saving the change.
    #[error("{0} changed meanwhile; look at it again.")]
    ChangedMeanwhile(DealId),
    /// Not a `YYYY-MM-DD` date (as typed).
    #[error("“{0}” is not a date: use YYYY-MM-DD")]
    NotADate(String),
    /// Not an ISO-4217 code (as typed).
    #[error("“{0}” is not an ISO-4217 currency code")]
    NotACurrency(String),
    #[error(transparent)]
    Review(#[from] super::engagement::ReviewRefusal),
    #[error(transparent)]
    Extension(#[from] super::engagement::ExtensionRefusal),
    #[error(transparent)]
    Survey(#[from] super::survey::SurveyRefusal),
    #[error("{0}")]
    BadCommand(String),
    /// The deal's status rules the step out; the text says what follows ("cannot be closed as
    /// lost").
    #[error("{0} is {label}, so it {2}.", label = .1.label())]
    StatusRulesOut(DealId, DealStatus, &'static str),
}

impl DealDraft {
    /// A draft of what a form holds, `field` reading each input (empty when left blank).
    pub fn from_fields(field: impl Fn(Field) -> String) -> DealDraft {
        DealDraft {
            company: field(Field::Company),
            domain: field(Field::Domain),
            contact_name: field(Field::ContactName),
            contact_email: field(Field::ContactEmail),
            amount: field(Field::Amount),
            currency: field(Field::Currency),
            close_date: field(Field::CloseDate),
            stage: field(Field::Stage),
            timing: field(Field::Timing),
            products: field(Field::Products),
            notes: field(Field::Notes),
        }
    }

    /// Validates every field against `today` (the UTC date now) and returns either the clean
    /// deal or every problem found, each keyed by its field.
    pub fn validate(
        &self,
        today: NaiveDate,
        default_currency: &str,
        surface: Surface,
    ) -> Result<NewDeal, FieldErrors> {
        let mut errors = FieldErrors::default();
        let company = check_text(&self.company, Field::Company, 2, 200, true, &mut errors);
        let domain = match normalise_domain(&self.domain) {
            Ok(d) => Some(d),
            Err(msg) => {
                errors.push(Field::Domain, msg);
                None
            }
        };
        let modal = surface == Surface::Modal;
        let contact_name = check_text(
            &self.contact_name,
            Field::ContactName,
            2,
            120,
            modal,
            &mut errors,
        );
        let contact_email = check_email(&self.contact_email, modal, &mut errors);
        let currency_text = if self.currency.trim().is_empty() {
            default_currency
        } else {
            &self.currency
        };
        let currency = parse_currency(currency_text);
        if currency.is_none() {
            errors.push(
                Field::Currency,
                format!("“{}” is not an ISO-4217 currency code: use three letters such as USD, EUR or GBP", currency_text.trim()),
            );
        }
        let amount = currency.and_then(|c| match Money::parse(&self.amount, c) {
            Ok(m) => Some(m),
            Err(msg) => {
                errors.push(Field::Amount, msg);
                None
            }
        });
        let close_date = check_close_date(&self.close_date, today, surface, &mut errors);
        let stage = if self.stage.trim().is_empty() && surface == Surface::OneLine {
            Some(Stage::Prospecting)
        } else {
            let stage = Stage::parse(&self.stage);
            if stage.is_none() {
                errors.push(Field::Stage, stage_error(&self.stage));
            }
            stage
        };
        let products = check_text(&self.products, Field::Products, 0, 500, false, &mut errors);
        let notes = check_text(&self.notes, Field::Notes, 0, 3000, false, &mut errors);
        match (company, amount, close_date, stage) {
            (Some(company), Some(amount), Some(close_date), Some(stage)) if errors.is_empty() => {
                Ok(NewDeal {
                    company,
                    domain,
                    contact_name: contact_name.filter(|s| !s.is_empty()),
                    contact_email,
                    amount,
                    close_date,
                    stage,
                    products: products.unwrap_or_default(),
                    notes: notes.unwrap_or_default(),
                })
            }
            _ => Err(errors),
        }
    }

    /// Reads `/deal register <company words…> <domain> <amount> [currency] [close date]`.
    /// The domain is the first word with a dot after at least one company word; the amount
    /// follows it. Anything unreadable is reported by field, like the modal.
    pub fn from_one_line(args: &str) -> Result<DealDraft, FieldErrors> {
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut errors = FieldErrors::default();
        // Prefer a word that really is a domain, so "Acme Inc. acme.com" keeps "Inc." in the name.
        let dotted = |w: &&str| w.contains('.') && !looks_numeric(w);
        // Without a dotted word, the word before the amount is the (bad) domain: "Acme acme 500"
        // is then told that "acme" is not a domain, like the form would say.
        let before_amount = || {
            words
                .iter()
                .skip(2)
                .position(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        };
        let position = words
            .iter()
            .skip(1)
            .position(|w| dotted(w) && normalise_domain(w).is_ok())
            .or_else(|| words.iter().skip(1).position(dotted))
            .or_else(before_amount);
        let Some(domain_at) = position.map(|i| i + 1) else {
            if words.is_empty() {
                errors.push(
                    Field::Company,
                    "Give the customer company, e.g. /deal register Acme Corp acme.com 50000",
                );
            } else {
                errors.push(Field::Domain, "Give the customer's domain after the company name, e.g. /deal register Acme Corp acme.com 50000");
            }
            return Err(errors);
        };
        let rest = &words[domain_at + 1..];
        if rest.is_empty() {
            errors.push(
                Field::Amount,
                "Give the estimated amount after the domain, e.g. … acme.com 50000",
            );
            return Err(errors);
        }
        let mut draft = DealDraft {
            company: words[..domain_at].join(" "),
            domain: words[domain_at].to_string(),
            amount: rest[0].to_string(),
            ..DealDraft::default()
        };
        for word in &rest[1..] {
            if word.chars().all(|c| c.is_ascii_alphabetic()) && draft.currency.is_empty() {
                draft.currency = word.to_string();
            } else if draft.close_date.is_empty() {
                draft.close_date = word.to_string();
            } else {
                errors.push(Field::Notes, format!("I don't know what “{word}” is: the command takes company, domain, amount, then optionally currency and close date"));
            }
        }
        if errors.is_empty() {
            Ok(draft)
        } else {
            Err(errors)
        }
    }
}

fn looks_numeric(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

fn check_text(
    raw: &str,
    field: Field,
    min: usize,
    max: usize,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<String> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 {
        if required {
            errors.push(field, format!("Enter the {}", field.label()));
            return None;
        }
        return Some(String::new());
    }
    if len < min {
        errors.push(
            field,
            format!("The {} needs at least {min} characters", field.label()),
        );
        return None;
    }
    if len > max {
        errors.push(
            field,
            format!(
                "The {} has {len} characters; the limit is {max}",
                field.label()
            ),
        );
        return None;
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(
            field,
            format!("The {} contains control characters", field.label()),
        );
        return None;
    }
    Some(text.to_string())
}

fn check_email(raw: &str, required: bool, errors: &mut FieldErrors) -> Option<String> {
    let email = raw.trim();
    if email.is_empty() {
        if required {
            errors.push(Field::ContactEmail, "Enter the contact's e-mail address");
        }
        return None;
    }
    let Some((local, domain)) = email.split_once('@') else {
        errors.push(
            Field::ContactEmail,
            format!("“{email}” is not an e-mail address: it has no “@”"),
        );
        return None;
    };
    if local.is_empty() || local.contains(char::is_whitespace) || domain.contains('@') {
        errors.push(
            Field::ContactEmail,
            format!("“{email}” is not an e-mail address: expected name@company.com"),
        );
        return None;
    }
    match normalise_domain(domain) {
        Ok(d) => Some(format!("{local}@{d}")),
        Err(_) => {
            errors.push(
                Field::ContactEmail,
                format!("“{email}” is not an e-mail address: “{domain}” is not a domain"),
            );
            None
        }
    }
}

fn check_close_date(
    raw: &str,
    today: NaiveDate,
    surface: Surface,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    let text = raw.trim();
    if text.is_empty() {
        if surface == Surface::OneLine {
            return Some(today + Duration::days(DEFAULT_CLOSE_DAYS));
        }
        errors.push(Field::CloseDate, "Pick the expected close date");
        return None;
    }
    let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        errors.push(
            Field::CloseDate,
            format!(
                "“{text}” is not a date: use YYYY-MM-DD, e.g. {}",
                today + Duration::days(DEFAULT_CLOSE_DAYS)
            ),
        );
        return None;
    };
    if date < today {
        errors.push(
            Field::CloseDate,
            format!("The close date {date} is in the past: pick today ({today}) or later"),
        );
        return None;
    }
    if date > today + Duration::days(365 * MAX_CLOSE_YEARS_AHEAD) {
        errors.push(Field::CloseDate, format!("The close date {date} is more than {MAX_CLOSE_YEARS_AHEAD} years away: check the year"));
        return None;
    }
    Some(date)
}

fn stage_error(raw: &str) -> String {
    let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
    if raw.trim().is_empty() {
        "Pick the deal's stage".into()
    } else {
        format!(
            "“{}” is not a stage: use one of {}",
            raw.trim(),
            names.join(", ")
        )
    }
}

/// Normalises what someone typed as a customer's website to a bare lowercase host name:
/// drops the scheme, `www.`, any path, query, port and trailing dot; an e-mail address
/// gives its domain. Errors say what is missing ("acme" has no suffix).
pub fn normalise_domain(raw: &str) -> Result<String, String> {
    let typed = raw.trim();
    if typed.is_empty() {
        return Err("Enter the customer's website or domain, e.g. acme.com".into());
    }
    let mut host = typed.to_ascii_lowercase();
    if let Some((_, after)) = host.split_once("://") {
        host = after.to_string();
    }
    if let Some((_, after)) = host.rsplit_once('@') {
        host = after.to_string();
    }
    let host = host.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host
        .split(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    if !host.contains('.') {
        return Err(format!(
            "“{typed}” is not a domain: add its suffix, e.g. {}.com",
            if host.is_empty() { "acme" } else { host }
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld = labels.last().copied().unwrap_or_default();
    let tld_ok =
        tld.len() >= 2 && (tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--"));
    if host.len() > 253 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(format!(
            "“{typed}” is not a domain: use letters, digits and hyphens, e.g. acme.com"
        ));
    }
    Ok(host.to_string())
}

/// A stored registration, as the store loads it (and as a notice about it carries it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Deal {
    pub id: DealId,
    pub partner_id: super::PartnerId,
    pub status: DealStatus,
    pub company: String,
    pub domain: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub amount: Money,
    pub close_date: NaiveDate,
    pub stage: Stage,
    pub products: String,
    pub notes: String,
    /// The chat user id of the person who registered it.
    pub registered_by: String,
    /// Channel the registration came from.
    pub source_channel: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// End of the protection window an approval started.
    pub protected_until: Option<NaiveDate>,
    /// The manager who decided, and what they wrote (a rejection reason or a question).
    pub decided_by: Option<String>,
    pub decision_note: String,
    /// Protection extensions granted so far, and a request waiting for the managers.
    pub extensions: u32,
    pub extension_request: Option<String>,
    /// The stage when the deal was registered (an advance earns an automatic extension).
    pub registered_stage: Option<Stage>,
    /// How early it was registered (sets the commission rate).
    pub timing: Option<super::commission::Timing>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).expect("valid date")
    }

    /// What a good registration fills in `field` with.
    fn good_value(field: Field) -> &'static str {
        match field {
            Field::Company => "Acme Corp",
            Field::Domain => "https://www.Acme.com/about",
            Field::ContactName => "Wile E. Coyote",
            Field::ContactEmail => "wile@acme.com",
            Field::Amount => "50,000",
            Field::CloseDate => "2027-02-01",
            Field::Stage => "qualified",
            Field::Products => "Platform",
            Field::Currency | Field::Timing | Field::Notes => "",
        }
    }

    fn good_draft() -> DealDraft {
        DealDraft::from_fields(|f| good_value(f).into())
    }

    /// The good registration with `value` in `field`.
    fn good_draft_but(field: Field, value: &str) -> DealDraft {
        DealDraft::from_fields(|f| if f == field { value } else { good_value(f) }.into())
    }

    fn errors_of(draft: &DealDraft) -> Vec<(Field, String)> {
        draft
            .validate(today(), "USD", Surface::Modal)
            .expect_err("should be invalid")
            .0
    }

    #[test]
    fn a_complete_draft_validates_and_normalises_the_domain() {
        let deal = good_draft()
            .validate(today(), "USD", Surface::Modal)
            .expect("valid");
        assert_eq!(deal.domain.as_deref(), Some("acme.com"));
        assert_eq!(deal.amount.to_string(), "50,000.00 USD");
        assert_eq!(deal.stage, Stage::Qualified);
    }

    #[test]
    fn each_bad_field_is_reported_against_its_own_field() {
        let cases = [
            (Field::Domain, "acme", "add its suffix"),
            (Field::Amount, "50k€", "“50k€” is not a number"),
            (Field::CloseDate, "2026-11-20", "in the past"),
            (Field::ContactEmail, "wile.acme.com", "has no “@”"),
            (Field::Currency, "EURO", "not an ISO-4217"),
            (Field::Stage, "won", "not a stage"),
            (Field::Company, " ", "Enter the customer company"),
        ];
        for (field, value, needle) in cases {
            let errors = errors_of(&good_draft_but(field, value));
            assert_eq!(errors.len(), 1, "{field:?}: {errors:?}");
            assert_eq!(errors[0].0, field);
            assert!(errors[0].1.contains(needle), "{field:?}: {}", errors[0].1);
        }
    }

    #[test]
    fn several_bad_fields_are_all_reported_at_once() {
        let mut draft = good_draft();
        draft.domain = "acme".into();
        draft.amount = "lots".into();
        draft.contact_email = "nobody".into();
        let fields: Vec<Field> = errors_of(&draft).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![Field::Domain, Field::ContactEmail, Field::Amount]
        );
    }

    #[test]
    fn domains_normalise_from_urls_emails_and_odd_spellings() {
        let cases = [
            ("acme.com", "acme.com"),
            ("HTTPS://WWW.ACME.COM:8443/path?q=1", "acme.com"),
            ("sales@acme.co.uk", "acme.co.uk"),
            ("acme.com.", "acme.com"),
            ("shop.acme.de/", "shop.acme.de"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalise_domain(raw).as_deref(), Ok(want), "{raw}");
        }
        for bad in [
            "acme",
            "",
            "acme..com",
            "-acme.com",
            "acme.c",
            "ac me.com",
            "acme.123",
        ] {
            assert!(normalise_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_one_line_command_splits_company_domain_amount_currency_and_date() {
        let draft =
            DealDraft::from_one_line("Acme Corp acme.com 50000 EUR 2027-03-31").expect("parses");
        assert_eq!(draft.company, "Acme Corp");
        assert_eq!(draft.domain, "acme.com");
        assert_eq!(draft.amount, "50000");
        assert_eq!(draft.currency, "EUR");
        assert_eq!(draft.close_date, "2027-03-31");
        let deal = draft
            .validate(today(), "USD", Surface::OneLine)
            .expect("valid");
        assert_eq!(deal.amount.to_string(), "50,000.00 EUR");
        assert_eq!(deal.contact_email, None);
    }

    #[test]
    fn the_one_line_command_defaults_currency_close_date_and_stage() {
        let draft = DealDraft::from_one_line("Acme Corp acme.com 50000").expect("parses");
        let deal = draft
            .validate(today(), "USD", Surface::OneLine)
            .expect("valid");
        assert_eq!(deal.amount.currency().code(), "USD");
        assert_eq!(deal.close_date, today() + Duration::days(90));
        assert_eq!(deal.stage, Stage::Prospecting);
    }

    #[test]
    fn the_one_line_command_says_what_is_missing() {
        assert_eq!(
            DealDraft::from_one_line("Acme Corp")
                .expect_err("no domain")
                .0[0]
                .0,
            Field::Domain
        );
        assert_eq!(
            DealDraft::from_one_line("Acme acme.com")
                .expect_err("no amount")
                .0[0]
                .0,
            Field::Amount
        );
        assert_eq!(
            DealDraft::from_one_line("").expect_err("empty").0[0].0,
            Field::Company
        );
        let draft = DealDraft::from_one_line("Acme acme 50k€")
            .expect("the word before the amount is the domain");
        let errors = draft
            .validate(today(), "USD", Surface::OneLine)
            .expect_err("invalid")
            .0;
        assert_eq!(errors[0].0, Field::Domain);
        assert!(
            errors[0].1.contains("“acme” is not a domain"),
            "{}",
            errors[0].1
        );
        let draft = DealDraft::from_one_line("Acme Inc. acme.com 10").expect("parses");
        assert_eq!(
            (draft.company.as_str(), draft.domain.as_str()),
            ("Acme Inc.", "acme.com")
        );
    }

    #[test]
    fn deal_ids_parse_in_the_forms_people_type() {
        for s in ["D-42", "d42", "#42", "42", " D42 "] {
            assert_eq!(s.parse::<DealId>(), Ok(DealId(42)), "{s}");
        }
        assert!("forty-two".parse::<DealId>().is_err());
        assert!("0".parse::<DealId>().is_err());
    }
}
