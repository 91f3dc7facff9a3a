//! What a service call answers the person who asked, inline (an ephemeral reply, a form):
//! typed domain data the platform adapter renders, never markup or command syntax.

use crate::domain::deal::DealFilter;
use crate::domain::Deal;
use crate::notice::MatchedRecord;
use crate::store::AuditRow;
use chrono::NaiveDate;

/// One inline answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The registration form for `partner_name`, prefilled with a returned registration the
    /// partner is correcting; `metadata` comes back on submission.
    RegistrationForm {
        partner_name: String,
        metadata: String,
        today: NaiveDate,
        prefill: Option<Deal>,
        /// What the message the form was opened from suggests (a new registration).
        suggested: Option<crate::intent::message::MessageHints>,
    },
    /// A page of deals (newest first), how many more exist, and how to see the next page.
    DealList {
        title: String,
        deals: Vec<Deal>,
        more: i64,
        next: Option<Hint>,
    },
    /// One deal with its history; `partner_name` only for internal viewers.
    DealDetail {
        deal: Deal,
        partner_name: Option<String>,
        history: Vec<AuditRow>,
    },
    /// The form asking why a deal needs `days` more protection.
    ExtensionForm {
        deal: Deal,
        metadata: String,
        days: u32,
    },
    /// The "Update deal" form, with the attribution field for internal users.
    UpdateForm {
        deal: Deal,
        metadata: String,
        internal: bool,
    },
    /// Commission totals per currency, amounts formatted.
    CommissionTotals {
        title: String,
        rows: Vec<CurrencyTotals>,
    },
    /// A survey round's results, in words.
    SurveyResults { text: String },
    /// The program metrics, formatted for people, keyed by figure.
    Stats(serde_json::Value),
    /// Every record that matches a customer (managers only).
    MatchList {
        name: String,
        domain: Option<String>,
        matches: Vec<MatchedRecord>,
    },
    /// How many direct accounts, how many open, and the largest books (owner, accounts).
    AccountsSummary {
        total: i64,
        open: i64,
        owners: Vec<(String, i64)>,
    },
}

/// Commissions of one currency by ledger status, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotals {
    pub currency: String,
    pub pending: String,
    pub payable: String,
    pub paid: String,
}

/// Something the person can do next; each adapter words it in its platform's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Page `page` of the person's deals under `filter`.
    ListDeals { filter: DealFilter, page: u32 },
    /// Name `partner`'s admins.
    NameAdmins { partner: crate::domain::PartnerId },
}
