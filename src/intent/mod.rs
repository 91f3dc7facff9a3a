//! What a person asks the bot for, whatever chat platform they typed it on: one variant per
//! thing they can ask through the deal and partner commands, with its arguments already typed.
//! [`parse`] turns a command's text into an [`Intent`] or a [`Refusal`] that says what is wrong;
//! it is pure (no I/O, no clock). How a refusal reads is the adapter's business: the enums here
//! carry only the facts, never markup or command syntax.

pub mod message;
mod parse;
pub mod wording;

pub use parse::{named_admins, parse};

use crate::domain::deal::DealFilter;
use crate::domain::{DealDraft, DealId, FieldErrors, PartnerId};

/// The two command families: deals (partners and managers) and partner administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Registering and following deals.
    Deal,
    /// Running the program: partners, lookups, metrics, surveys, payouts.
    Partners,
}

/// One thing a person asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// A deal command.
    Deal(DealIntent),
    /// A partner-administration command.
    Partners(PartnersIntent),
    /// Usage; `unknown` is the sub-command that was not understood, if that is why.
    Help { unknown: Option<Unknown> },
}

/// What a partner (or a manager) asks about deals.
#[derive(Debug, Clone, PartialEq)]
pub enum DealIntent {
    /// Open the registration form.
    OpenForm,
    /// Register in one line; the draft still goes through the service's validation.
    Register(DealDraft),
    /// List deals, `page` counting from 1.
    List { filter: DealFilter, page: u32 },
    /// Show one deal with its history.
    Show(DealId),
    /// Change a deal's fields (`raw` is the text after the command, which a win reads again
    /// for its own parameters).
    Update {
        deal: DealId,
        changes: DealChanges,
        raw: String,
    },
    /// Ask for more protection (opens the justification form).
    Extend(DealId),
    /// The partner's commission totals.
    Commissions,
}

/// What a partner manager asks.
#[derive(Debug, Clone, PartialEq)]
pub enum PartnersIntent {
    /// Link the conversation the command was typed in to a new partner. `partner_type` and
    /// `tier` are checked by the service (after the manager check, as before).
    Add {
        name: String,
        partner_type: String,
        tier: Option<String>,
    },
    /// All partners, `page` counting from 1.
    List { page: usize },
    /// Every registration and direct account matching a customer.
    Check {
        name: String,
        domain: Option<String>,
    },
    /// The direct accounts imported.
    Accounts,
    /// Program metrics, for every partner whose name contains `partner` (all when empty).
    Stats {
        partner: String,
        period: StatsPeriod,
    },
    /// Send the caller's weekly digest now.
    DigestNow,
    /// Open a satisfaction survey round now.
    SurveyNow,
    /// A survey round's results (the latest when `round` is `None`).
    SurveyResults { round: Option<i64> },
    /// Mark commission ledger entries paid.
    PayCommissions(Vec<i64>),
    /// Name a partner's admins (replacing the list; none clears it): user ids as typed, or
    /// taken from the platform's mentions. The service checks them against the partner's
    /// platform.
    Admins {
        partner: PartnerId,
        users: Vec<String>,
    },
}

/// A sub-command nobody defined, as typed (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    Deal(String),
    Partners(String),
}

/// The period of a metrics request; the service resolves it against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsPeriod {
    /// The last `n` days, today included (1 to 3660).
    Days(i64),
    /// This calendar year so far.
    YearToDate,
    /// A calendar quarter (1 to 4) of a year.
    Quarter { year: i32, quarter: u32 },
}

/// What an update asks to change; `None` keeps the current value. Values are checked against
/// the deal by the service (the amount's currency may be the deal's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealChanges {
    pub stage: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub close: Option<String>,
    pub products: Option<String>,
}

/// Which listing a page number was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Deals,
    Partners,
}

/// Which deal command lacked its deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealCommand {
    Show,
    Extend,
}

/// Why a command could not be understood: one variant per reason.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The one-line registration's fields, each with what is wrong.
    Invalid(FieldErrors),
    /// A deal command that needs a deal was given none.
    MissingDeal(DealCommand),
    /// Not a deal id (as typed).
    BadDealId(String),
    /// `page` followed by something that is not a page number (as typed).
    BadPage { listing: Listing, given: String },
    /// A deal listing word that is neither a filter nor `page` (lower-cased).
    UnknownListWord(String),
    /// Words after the partner listing that are not `page N`.
    PartnerListUsage,
    /// An update with no deal.
    UpdateUsage,
    /// An update word without `=` (as typed).
    NotKeyValue(String),
    /// An update key a deal does not have (as typed).
    UnknownDealField(String),
    /// Adding a partner without a name or a type.
    PartnerAddUsage,
    /// A customer check without a customer.
    CheckUsage,
    /// A survey command other than `now` or `results`.
    SurveyUsage,
    /// A commission command other than `pay` with at least one id.
    PayUsage,
    /// Naming admins without a partner.
    AdminsUsage,
    /// Not a partner id (as typed).
    BadPartnerId(String),
    /// Naming a partner's admins without naming anyone.
    NoAdmins(PartnerId),
}

/// Why a button (or a submitted form) could not be read: it carries a value no button or
/// form the bot renders carries, so it is stale or forged. One variant per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonRefusal {
    /// A button the bot does not act on (its id, as sent).
    UnknownButton(String),
    /// Not a deal id (as sent, trimmed).
    BadDealId(String),
    /// A survey answer that is not a round and a score from 0 to 10 (or a comment whose
    /// round is not a number).
    BadSurveyAnswer,
    /// A detractor follow-up that does not name its round and its user.
    BadFollowup,
}
