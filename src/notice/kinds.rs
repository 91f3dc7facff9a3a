//! The notices the core sends, one variant per kind of message, each with the domain data its
//! wording needs (never markup, emoji or command syntax).

use crate::domain::digest::Section;
use crate::domain::matching::Strength;
use crate::domain::tier::Tier;
use crate::domain::{Deal, DealStatus, Money, Partner};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One thing to tell people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Usage help, with the managers' commands for a manager; `greeting` when the bot was
    /// spoken to (it introduces itself first).
    Help { manager: bool, greeting: bool },
    /// The platform refused a message for good: which (its outbox kind and id, the deal it was
    /// about), where it was going, and the platform's reason; the adapter says what to do.
    DeliveryFailure {
        kind: String,
        deal: Option<i64>,
        conversation: String,
        reason: String,
        outbox_id: i64,
    },
    /// The partner's confirmation of a new registration (the root of the partner's thread).
    DealConfirmation { deal: Deal },
    /// The managers' review card (internal: the partner and every match), with the decision
    /// buttons while it waits; `rule` is the rule of engagement a conflict falls under.
    ReviewCard {
        deal: Deal,
        partner: Partner,
        matches: Vec<MatchedRecord>,
        rule: Option<String>,
    },
    /// The partner is told the managers' decision (approved, rejected, returned).
    DecisionNotice { deal: Deal },
    /// An AE is told a partner registered on an account they own, under `rule`.
    AeAlert {
        deal: Deal,
        partner: Partner,
        matches: Vec<MatchedRecord>,
        rule: String,
    },
    /// What an AE answered to an alert, for the managers.
    AeChoice {
        deal: Deal,
        user: String,
        choice: String,
    },
    /// A registration waited `waited` business days for a decision, past the `sla`.
    Escalation {
        deal: Deal,
        partner_name: String,
        waited: i64,
        sla: u32,
    },
    /// A protection reminder (`days_left`) or expiry notice; `partner_name` only for managers;
    /// `extension` the days an extension would add while the partner may ask for one.
    ProtectionNotice {
        deal: Deal,
        days_left: i64,
        expired: bool,
        partner_name: Option<String>,
        extension: Option<u32>,
    },
    /// A protection extension was requested, granted or declined.
    Extension {
        step: ExtensionStep,
        deal: Deal,
        details: ExtensionDetails,
    },
    /// A won deal's commission and how it was computed; `partner_name` for finance only.
    CommissionNotice {
        deal: Deal,
        calculation: String,
        commission: Money,
        payable_from: NaiveDate,
        instalments: usize,
        partner_name: Option<String>,
    },
    /// A partner's tier changed (or will, unless revenue recovers).
    TierChange {
        old: Tier,
        /// The new tier (for a pending demotion, the one it leads to).
        new: Tier,
        direction: TierDirection,
        /// Partner-sourced revenue over the last 12 months, formatted with its currency.
        revenue: String,
        /// The commission factor of the new tier.
        factor: String,
    },
    /// The managers' tier review: `text` (each change, the rates used) and the partners whose
    /// change no admin was told, for want of admins named (the adapter says how to name them).
    TierReview {
        text: String,
        without_admins: Vec<PartnerName>,
    },
    /// A quiet partner is nudged, or (`alert`) their manager is told.
    Nudge {
        partner_name: String,
        partner_conversation: String,
        quiet_days: i64,
        news: String,
        alert: bool,
    },
    /// The PSAT question of `round`; after an answer (`answered`) the thanks.
    PsatInvite {
        round: i64,
        closes: String,
        answered: Option<u8>,
        reminder: bool,
    },
    /// A detractor's answer for their manager to follow up; `handled_by` once handled.
    PsatFollowup {
        round: i64,
        user: String,
        partner_name: String,
        score: u8,
        comment: String,
        handled_by: Option<String>,
    },
    /// A manager's weekly digest.
    Digest {
        week: String,
        partners: usize,
        sections: Vec<Section>,
        /// The chart (a base64 PNG) shown inside the digest; `None` in digests queued by
        /// earlier releases, whose chart follows as a [`Notice::DigestChart`] of its own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chart_png_base64: Option<String>,
    },
    /// The digest's chart (a PNG image) for `week`, as a message of its own (only queued by
    /// earlier releases: the digest now shows its chart itself).
    DigestChart { week: String, png_base64: String },
    /// The welcome in a channel just linked to a partner.
    PartnerLinked { partner: Partner },
    /// A one-line note, about something `by` did when given; `about` says what it is about (the
    /// adapter picks its icon).
    Note {
        about: NoteAbout,
        by: Option<String>,
        text: String,
    },
}

impl Notice {
    /// A one-line note about `about`, by a person when `by` is given.
    pub fn note(about: NoteAbout, by: Option<&str>, text: String) -> Notice {
        Notice::Note {
            about,
            by: by.map(str::to_string),
            text,
        }
    }
}

/// A partner as a notice names it: its id and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerName {
    pub id: crate::domain::PartnerId,
    pub name: String,
}

/// What a one-line [`Notice::Note`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteAbout {
    /// A deal's stage, amount, close date or products changed.
    DealUpdated,
    /// A manager decided a registration (in the card's thread).
    Decision,
    /// A partner resubmitted a returned registration.
    Resubmitted,
    /// A deal was closed as lost.
    Lost,
    /// A commission was paid.
    CommissionPaid,
    /// The managers' tier review.
    Tiers,
    /// Survey results.
    Survey,
    /// The answer to a button.
    Info,
}

/// Which way a partner's tier moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierDirection {
    Up,
    Down,
    /// Still the old tier this period; the new one next period unless revenue recovers.
    DownNextPeriod,
}

/// Which step of an extension a [`Notice::Extension`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionStep {
    /// The partner's request, told to the partner.
    Requested,
    /// The partner's request, for the managers to decide (with buttons).
    RequestCard,
    Granted,
    Declined,
}

/// What an extension notice says beyond the deal; each step uses some of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionDetails {
    /// The partner's name, for managers.
    pub partner_name: Option<String>,
    /// Granted without a manager, because the stage advanced from `from_stage` to `to_stage`.
    pub automatic: bool,
    /// The manager who decided.
    pub by: Option<String>,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub days: u32,
    /// Which extension this is, of at most `max`.
    pub number: u32,
    pub max: u32,
    pub justification: String,
}

/// A record that matches a registration (a direct account or another registration), with the
/// evidence, for internal readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedRecord {
    pub direct_account: bool,
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
    pub crm_id: Option<String>,
    /// The owning AE of a direct account.
    pub owner: Option<String>,
    /// The partner holding a registration.
    pub partner: Option<String>,
    pub status: Option<DealStatus>,
    pub strength: Strength,
    pub reasons: Vec<String>,
}
