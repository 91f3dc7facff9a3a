//! Domain outcomes to Block Kit, through the templates in `templates/`. Each outgoing message
//! has one function here; user text is escaped by the template layer.

use crate::domain::{Deal, FieldErrors, Partner, Stage};
use crate::intent::message::MessageHints;
use crate::notice::MatchedRecord;
use crate::service::ListedPartner;
use crate::templates::Templates;
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// A deal as templates see it: every value already formatted for people.
#[derive(Debug, Serialize)]
pub struct DealView {
    id: String,
    company: String,
    domain: String,
    amount: String,
    close_date: String,
    stage: &'static str,
    status: &'static str,
    contact: String,
    products: String,
    notes: String,
    registered_by: String,
    created: String,
    /// True when the registration is in conflict review (the partner is told without names).
    conflict: bool,
    /// True when approved (protected until `protected_until`).
    approved: bool,
    protected_until: Option<String>,
}

impl From<&Deal> for DealView {
    fn from(d: &Deal) -> DealView {
        let contact = match (&d.contact_name, &d.contact_email) {
            (Some(n), Some(e)) => format!("{n} ({e})"),
            (Some(n), None) => n.clone(),
            (None, Some(e)) => e.clone(),
            (None, None) => "not given".into(),
        };
        DealView {
            id: d.id.to_string(),
            company: d.company.clone(),
            domain: d.domain.clone().unwrap_or_else(|| "no domain".into()),
            amount: d.amount.to_string(),
            close_date: d.close_date.to_string(),
            stage: d.stage.as_str(),
            status: d.status.label(),
            contact,
            products: d.products.clone(),
            notes: d.notes.clone(),
            registered_by: d.registered_by.clone(),
            created: d.created_at.format("%Y-%m-%d").to_string(),
            conflict: d.status == crate::domain::DealStatus::Conflict,
            approved: d.status == crate::domain::DealStatus::Approved,
            protected_until: d.protected_until.map(|p| p.to_string()),
        }
    }
}

/// Partners per page of `/partners list` (a block each, within Slack's 50 per message).
pub const PARTNERS_PER_PAGE: usize = 40;

/// A partner as templates see it.
#[derive(Debug, Serialize)]
pub struct PartnerView {
    id: String,
    name: String,
    partner_type: &'static str,
    tier: String,
    slack_channel: String,
    paused: bool,
    /// The partner's admins: Slack user ids (shown as mentions) when `admin_mentions`, else
    /// ids shown as text.
    admins: Vec<String>,
    admin_mentions: bool,
}

impl From<&Partner> for PartnerView {
    fn from(p: &Partner) -> PartnerView {
        PartnerView {
            id: p.id.to_string(),
            admins: Vec::new(),
            admin_mentions: p.conversation.platform == crate::chat::Platform::Slack,
            name: p.name.clone(),
            partner_type: p.partner_type.as_str(),
            tier: p.tier.to_string(),
            slack_channel: p.conversation.id.clone(),
            paused: p.paused,
        }
    }
}

impl From<&ListedPartner> for PartnerView {
    fn from(listed: &ListedPartner) -> PartnerView {
        PartnerView {
            admins: listed.admins.clone(),
            ..PartnerView::from(&listed.partner)
        }
    }
}

/// A matching record as the managers' card and AE alerts show it (internal only).
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    /// `A-12` (direct account) or `D-3` (registration).
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub domains: String,
    pub crm_id: Option<String>,
    /// The CRM record's address, when the program file gives the pattern (`[crm] record_url`).
    pub crm_url: Option<String>,
    /// The owning AE of a direct account.
    pub owner: Option<String>,
    /// The partner holding a registration.
    pub partner: Option<String>,
    pub status: Option<String>,
    pub strength: String,
    pub reasons: String,
}

impl From<&MatchedRecord> for MatchView {
    /// Describes a matched record; `partner` is the holder's name for registrations.
    fn from(m: &MatchedRecord) -> MatchView {
        let (prefix, kind) = match m.direct_account {
            true => ("A", "direct account"),
            false => ("D", "partner registration"),
        };
        MatchView {
            id: format!("{prefix}-{}", m.id),
            kind,
            name: m.name.clone(),
            domains: if m.domains.is_empty() {
                "no domain".into()
            } else {
                m.domains.join(", ")
            },
            crm_id: m.crm_id.clone(),
            crm_url: None,
            owner: m.owner.clone(),
            partner: m.partner.clone(),
            status: m.status.map(|s| s.label().to_string()),
            strength: m.strength.to_string(),
            reasons: m.reasons.join("; "),
        }
    }
}

/// The registration form's fields as a message suggests them; every field present (null when
/// the message says nothing about it), the company cut to the form's 200 characters.
fn suggested_fill(h: &MessageHints) -> Value {
    let company = h
        .company
        .as_ref()
        .map(|c| c.chars().take(MAX_COMPANY_CHARS).collect::<String>());
    json!({
        "company": company, "domain": h.domain, "contact_name": null, "contact_email": null,
        "amount": h.amount, "currency": h.currency, "close_date": h.close_date.map(|d| d.to_string()),
        "stage": null, "stage_label": null, "products": null, "notes": null,
    })
}

/// The registration form's limit on the company name (`max_length` of its input).
const MAX_COMPANY_CHARS: usize = 200;

/// Days ahead the form suggests as the expected close date.
const SUGGESTED_CLOSE_DAYS: i64 = 90;

/// Renders every message partnerbot sends. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Renderer {
    templates: Arc<Templates>,
    pub(super) program_name: String,
    default_currency: String,
    /// Where CRM records are shown, for linking CRM ids.
    crm: Arc<crate::config::CrmSection>,
}

impl Renderer {
    /// A renderer over loaded templates for one program.
    pub fn new(templates: Arc<Templates>, program_name: &str, default_currency: &str) -> Renderer {
        Renderer {
            templates,
            program_name: program_name.into(),
            default_currency: default_currency.to_ascii_uppercase(),
            crm: Arc::default(),
        }
    }

    /// The same renderer, linking CRM ids to their records as `crm` says.
    pub fn with_crm(mut self, crm: crate::config::CrmSection) -> Renderer {
        self.crm = Arc::new(crm);
        self
    }

    /// A matched record as cards and lists show it, its CRM id linked when a pattern is set.
    pub fn match_view(&self, m: &MatchedRecord) -> MatchView {
        MatchView {
            crm_url: m.crm_id.as_deref().and_then(|id| self.crm.record_link(id)),
            ..MatchView::from(m)
        }
    }

    /// The registration modal for `partner_name`; `metadata` comes back on submission.
    /// `prefill` fills it with a returned registration the partner is correcting; `suggested`
    /// with what the message it was opened from says.
    pub fn registration_modal(
        &self,
        partner_name: &str,
        metadata: &str,
        today: NaiveDate,
        prefill: Option<&Deal>,
        suggested: Option<&MessageHints>,
    ) -> anyhow::Result<Value> {
        let stages: Vec<Value> = Stage::ALL
            .iter()
            .map(|s| json!({ "value": s.as_str(), "label": s.label() }))
            .collect();
        let fill = match (prefill, suggested) {
            (Some(d), _) => Some(json!({
                "company": d.company, "domain": d.domain, "contact_name": d.contact_name, "contact_email": d.contact_email,
                "amount": d.amount.decimal().to_string(), "currency": d.amount.currency().code(), "close_date": d.close_date.to_string(),
                "stage": d.stage.as_str(), "stage_label": d.stage.label(), "products": d.products, "notes": d.notes,
            })),
            (None, Some(h)) => Some(suggested_fill(h)),
            (None, None) => None,
        };
        self.render_fit(
            "registration_modal/view.json",
            json!({
                "program_name": self.program_name,
                "partner_name": partner_name,
                "metadata": metadata,
                "default_currency": self.default_currency,
                "initial_close_date": (today + Duration::days(SUGGESTED_CLOSE_DAYS)).to_string(),
                "stages": stages,
                "prefill": fill,
                "resubmit": prefill.is_some(),
                "from_message": suggested.is_some(),
            }),
        )
    }

    /// The modal shown after a successful submission.
    pub fn registration_done(&self, deal: &Deal) -> anyhow::Result<Value> {
        self.render_fit(
            "registration_done/view.json",
            json!({ "deal": DealView::from(deal) }),
        )
    }

    /// The modal shown for a form we do not know.
    pub fn unknown_form(&self, callback_id: &str) -> anyhow::Result<Value> {
        self.render_fit(
            "unknown_form/view.json",
            json!({ "callback_id": callback_id }),
        )
    }

    /// The confirmation posted in the partner's channel.
    pub fn deal_confirmation(&self, deal: &Deal) -> anyhow::Result<Value> {
        self.render_fit(
            "deal_confirmation/message.json",
            json!({ "deal_number": deal.id.0, "deal": DealView::from(deal) }),
        )
    }

    /// The review card in the managers' channel (internal: names the partner and every match).
    /// While the registration waits for a decision it carries Approve / Reject / Return buttons;
    /// afterwards it shows who decided what.
    pub fn review_card(
        &self,
        deal: &Deal,
        partner: &Partner,
        matches: &[MatchView],
        rule: Option<&str>,
    ) -> anyhow::Result<Value> {
        use crate::domain::DealStatus;
        let decision = deal.decided_by.as_ref().map(|by| {
            let icon = match deal.status {
                DealStatus::Approved => ":white_check_mark:",
                DealStatus::Rejected => ":no_entry:",
                _ => ":leftwards_arrow_with_hook:",
            };
            json!({ "verb": deal.status.label(), "by": by, "note": deal.decision_note, "icon": icon,
                    "protected_until": deal.protected_until.map(|d| d.to_string()) })
        });
        let open = matches!(
            deal.status,
            DealStatus::PendingReview | DealStatus::Conflict | DealStatus::Returned
        );
        self.render_fit(
            "review_card/message.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0, "partner": PartnerView::from(partner), "matches": matches,
                    "rule": rule, "decision": decision, "open": open && decision.is_none() }),
        )
    }

    /// The modal asking a manager for a rejection reason or a question for the partner.
    pub fn decision_modal(&self, deal: &Deal, reject: bool) -> anyhow::Result<Value> {
        let (callback_id, title, submit, label) = if reject {
            (
                "review_reject",
                "Reject registration",
                "Reject",
                "Why is it rejected?",
            )
        } else {
            (
                "review_return",
                "Return for information",
                "Send question",
                "What do you need from the partner?",
            )
        };
        self.render_fit(
            "decision_modal/view.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0, "callback_id": callback_id, "title": title, "submit": submit, "label": label }),
        )
    }

    /// The partner's notice of a decision, in their channel.
    pub fn decision_notice(&self, deal: &Deal) -> anyhow::Result<Value> {
        use crate::domain::DealStatus;
        let (icon, verb) = match deal.status {
            DealStatus::Approved => (":white_check_mark:", "approved"),
            DealStatus::Rejected => (":no_entry:", "not accepted"),
            _ => (":question:", "returned with a question"),
        };
        self.render_fit(
            "decision_notice/message.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0, "icon": icon, "verb": verb, "note": deal.decision_note,
                    "protected_until": deal.protected_until.map(|d| d.to_string()), "returned": deal.status == DealStatus::Returned }),
        )
    }

    /// The DM to an AE whose account a partner registered, with the rule and three buttons.
    pub fn ae_alert(
        &self,
        deal: &Deal,
        partner: &Partner,
        matches: &[MatchView],
        rule: &str,
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "ae_alert/message.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0, "partner": PartnerView::from(partner), "matches": matches, "rule": rule }),
        )
    }

    /// The note in the card's thread recording an AE's answer.
    pub fn ae_choice(&self, deal: &Deal, user: &str, choice: &str) -> anyhow::Result<Value> {
        self.render_fit(
            "ae_choice/message.json",
            json!({ "deal": DealView::from(deal), "user": user, "choice": choice }),
        )
    }

    /// The welcome posted in a channel when it is linked to a partner.
    pub fn partner_linked(&self, partner: &Partner) -> anyhow::Result<Value> {
        self.render_fit(
            "partner_linked/message.json",
            json!({ "partner": PartnerView::from(partner), "program_name": self.program_name }),
        )
    }

    /// Usage, with the manager commands for managers; `intro` explains why it is shown.
    pub fn help(&self, manager: bool, intro: Option<&str>) -> anyhow::Result<Value> {
        self.render_fit(
            "help/message.json",
            json!({ "manager": manager, "intro": intro }),
        )
    }

    /// The one-line registration's answer.
    pub fn deal_registered(&self, deal: &Deal, repeated: bool) -> anyhow::Result<Value> {
        self.render_fit(
            "deal_registered/reply.json",
            json!({ "deal": DealView::from(deal), "repeated": repeated }),
        )
    }

    /// A customer the partner's team already holds in an open registration: which deal, who
    /// registered it, its status and protection, and how to update it instead.
    pub fn already_ours(&self, deal: &Deal) -> anyhow::Result<Value> {
        self.render_fit(
            "already_ours/reply.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0 }),
        )
    }

    /// The same, as the registration modal's final view.
    pub fn already_ours_view(&self, deal: &Deal) -> anyhow::Result<Value> {
        self.render_fit(
            "already_ours/view.json",
            json!({ "deal": DealView::from(deal), "deal_number": deal.id.0 }),
        )
    }

    /// The one-line registration's validation errors.
    pub fn validation_errors(&self, errors: &FieldErrors) -> anyhow::Result<Value> {
        let list: Vec<Value> = errors
            .0
            .iter()
            .map(|(f, m)| json!({ "field": f.label(), "message": m }))
            .collect();
        self.render_fit("validation_errors/reply.json", json!({ "errors": list }))
    }

    /// A list of deals (newest first) and how many more exist.
    pub fn deal_list(
        &self,
        title: &str,
        deals: &[Deal],
        more: i64,
        next: Option<&str>,
    ) -> anyhow::Result<Value> {
        let views: Vec<DealView> = deals.iter().map(DealView::from).collect();
        self.render_fit(
            "deal_list/reply.json",
            json!({ "title": title, "deals": views, "more": more, "next": next }),
        )
    }

    /// One deal with its history; `partner_name` only for internal viewers.
    pub fn deal_detail(
        &self,
        deal: &Deal,
        partner_name: Option<&str>,
        history: &[crate::store::AuditRow],
    ) -> anyhow::Result<Value> {
        let history: Vec<Value> = history
            .iter()
            .map(|a| {
                let at = chrono::DateTime::from_timestamp_millis(a.at).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
                let is_user = crate::config::is_slack_id(&a.actor, &['U', 'W']);
                json!({ "at": at, "actor": a.actor, "mention": is_user, "action": a.action.replace('_', " "), "surface": a.surface.replace('_', " ") })
            })
            .collect();
        self.render_fit("deal_detail/reply.json", json!({ "deal": DealView::from(deal), "partner_name": partner_name, "history": history }))
    }

    /// The managers' note that a registration waited past the SLA.
    pub fn escalation(
        &self,
        deal: &Deal,
        partner_name: &str,
        waited: i64,
        sla: u32,
    ) -> anyhow::Result<Value> {
        self.render_fit("escalation/message.json", json!({ "deal": DealView::from(deal), "partner_name": partner_name, "waited": waited, "sla": sla }))
    }

    /// A protection reminder (`days_left`) or expiry notice; `partner_name` only for managers.
    /// A partner's reminder offers an *Extend* button while extensions remain.
    pub fn protection_notice(
        &self,
        deal: &Deal,
        days_left: i64,
        expired: bool,
        partner_name: Option<&str>,
        extension: Option<u32>,
    ) -> anyhow::Result<Value> {
        let mut view = serde_json::to_value(DealView::from(deal))?;
        view["protected_until"] = json!(deal.protected_until.map(|d| d.to_string()));
        self.render_fit(
            "protection_notice/message.json",
            json!({ "deal": view, "deal_number": deal.id.0, "days_left": days_left, "expired": expired, "partner_name": partner_name,
                    "can_extend": extension.is_some(), "extension_days": extension.unwrap_or(0) }),
        )
    }

    /// Extension messages: `kind` is granted, requested, declined or request_card (managers).
    pub fn extension(&self, kind: &str, deal: &Deal, context: Value) -> anyhow::Result<Value> {
        // Every key the template reads, with its default; callers override what applies.
        let mut ctx = json!({ "kind": kind, "deal": DealView::from(deal), "deal_number": deal.id.0,
                              "until": deal.protected_until.map(|d| d.to_string()), "partner_name": null, "automatic": false,
                              "by": null, "from_stage": null, "to_stage": null, "days": 0, "number": 0, "max": 0, "justification": "" });
        if let (Some(target), Some(extra)) = (ctx.as_object_mut(), context.as_object()) {
            target.extend(extra.clone());
        }
        self.render_fit("extension/message.json", ctx)
    }

    /// The modal asking a partner why the deal needs more time.
    pub fn extension_modal(&self, deal: &Deal, metadata: &str, days: u32) -> anyhow::Result<Value> {
        self.render_fit(
            "extension_modal/view.json",
            json!({ "deal": DealView::from(deal), "metadata": metadata, "days": days, "until": deal.protected_until.map(|d| d.to_string()) }),
        )
    }

    /// A won deal's commission, with the calculation; `partner_name` for finance only.
    pub fn commission_notice(
        &self,
        deal: &Deal,
        calculation: &str,
        commission: &str,
        payable_from: &str,
        instalments: usize,
        partner_name: Option<&str>,
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "commission_notice/message.json",
            json!({ "deal": DealView::from(deal), "calculation": calculation, "commission": commission, "payable_from": payable_from,
                    "instalments": instalments, "partner_name": partner_name }),
        )
    }

    /// Commission totals per currency: (currency, pending, payable, paid), already formatted.
    pub fn commission_totals(
        &self,
        title: &str,
        rows: &[(String, String, String, String)],
    ) -> anyhow::Result<Value> {
        let rows: Vec<Value> = rows.iter().map(|(c, pe, pa, pd)| json!({ "currency": c, "pending": pe, "payable": pa, "paid": pd })).collect();
        self.render_fit(
            "commission_totals/reply.json",
            json!({ "title": title, "rows": rows }),
        )
    }

    /// `/partners stats`: the metrics, already formatted.
    pub fn stats(&self, context: Value) -> anyhow::Result<Value> {
        self.render_fit("stats/reply.json", context)
    }

    /// The "Update deal" modal, filled with the deal's current values.
    pub fn deal_update_modal(
        &self,
        deal: &Deal,
        metadata: &str,
        internal: bool,
    ) -> anyhow::Result<Value> {
        let stages: Vec<Value> = Stage::ALL
            .iter()
            .map(|s| json!({ "value": s.as_str(), "label": s.label() }))
            .collect();
        self.render_fit(
            "deal_update/view.json",
            json!({ "deal": DealView::from(deal), "metadata": metadata, "stages": stages, "stage_label": deal.stage.label(),
                    "currency": deal.amount.currency().code(), "amount": deal.amount.decimal().to_string(), "products": deal.products,
                    "internal": internal }),
        )
    }

    /// The PSAT question with 0–10 buttons; after an answer, the thanks, the choice highlighted
    /// and a comment button.
    pub fn psat_invite(
        &self,
        round: i64,
        closes: &str,
        answered: Option<u8>,
        reminder: bool,
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "psat_invite/message.json",
            json!({ "question": crate::domain::survey::QUESTION, "round": round, "closes": closes, "answered": answered, "reminder": reminder }),
        )
    }

    /// The manager's follow-up on a detractor's answer.
    pub fn psat_followup(
        &self,
        round: i64,
        user: &str,
        partner_name: &str,
        score: u8,
        comment: &str,
        handled_by: Option<&str>,
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "psat_followup/message.json",
            json!({ "round": round, "user": user, "partner_name": partner_name, "score": score, "comment": comment, "handled_by": handled_by }),
        )
    }

    /// The optional comment modal of a survey round.
    pub fn psat_comment(&self, round: i64) -> anyhow::Result<Value> {
        self.render_fit("psat_comment/view.json", json!({ "round": round }))
    }

    /// A nudge for a quiet partner (with a *Register a deal* button), or the manager's alert.
    pub fn nudge(
        &self,
        partner_name: &str,
        channel: &str,
        quiet_days: i64,
        news: &str,
        alert: bool,
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "nudge/message.json",
            json!({ "partner_name": partner_name, "channel": channel, "quiet_days": quiet_days, "news": news, "alert": alert }),
        )
    }

    /// The weekly digest message (its sections already composed and worded), with the chart in
    /// an `image` block when given (else the message says the chart follows). The top-level
    /// text, which notifications and screen readers show, carries each section's headline.
    pub fn digest(
        &self,
        week: &str,
        partners: usize,
        sections: &[DigestSection],
        chart: Option<&ChartImage>,
    ) -> anyhow::Result<Value> {
        let sections: Vec<Value> = sections
            .iter()
            .map(|s| json!({ "title": s.title, "lines": s.lines, "action": s.action }))
            .collect();
        self.render_fit(
            "digest/message.json",
            json!({ "week": week, "partners": partners, "sections": sections, "chart": chart }),
        )
    }

    /// The digest's chart as a message of its own (a chart queued apart from its digest by an
    /// earlier release).
    pub fn digest_chart(&self, chart: &ChartImage) -> anyhow::Result<Value> {
        self.render_fit("digest/chart.json", json!({ "chart": chart }))
    }

    /// All partners (managers only).
    /// One page of [`PARTNERS_PER_PAGE`] partners, and the command for the next page.
    pub fn partner_list(&self, partners: &[ListedPartner], page: usize) -> anyhow::Result<Value> {
        let pages = partners.len().div_ceil(PARTNERS_PER_PAGE).max(1);
        let page = page.min(pages);
        let views: Vec<PartnerView> = partners
            .iter()
            .skip((page - 1) * PARTNERS_PER_PAGE)
            .take(PARTNERS_PER_PAGE)
            .map(PartnerView::from)
            .collect();
        let next = (page < pages).then(|| format!("/partners list page {}", page + 1));
        self.render_fit(
            "partner_list/reply.json",
            json!({ "partners": views, "total": partners.len(), "page": page, "pages": pages, "next": next }),
        )
    }

    /// `/partners check`: every match for a customer (managers only).
    pub fn match_list(
        &self,
        name: &str,
        domain: Option<&str>,
        matches: &[MatchView],
    ) -> anyhow::Result<Value> {
        self.render_fit(
            "match_list/reply.json",
            json!({ "name": name, "domain": domain, "matches": matches }),
        )
    }

    /// `/partners accounts`: how many direct accounts, how many open, the largest books.
    pub fn accounts_summary(
        &self,
        total: i64,
        open: i64,
        owners: &[(String, i64)],
    ) -> anyhow::Result<Value> {
        let owners: Vec<Value> = owners
            .iter()
            .map(|(o, n)| json!({ "owner": o, "accounts": n }))
            .collect();
        self.render_fit(
            "accounts_summary/reply.json",
            json!({ "total": total, "open": open, "owners": owners }),
        )
    }

    /// A one-line ephemeral answer (refusals, confirmations).
    pub fn notice(&self, icon: &str, text: &str) -> anyhow::Result<Value> {
        self.render_fit(
            "notice/reply.json",
            json!({ "icon": icon, "text": text, "user": null }),
        )
    }

    /// Renders template `name` and makes the result fit Slack's limits (views by their file name).
    pub(super) fn render_fit(&self, name: &str, context: impl Serialize) -> anyhow::Result<Value> {
        let mut payload = self.templates.render(name, context)?;
        let surface = if name.ends_with("view.json") {
            super::limits::Surface::View
        } else {
            super::limits::Surface::Message
        };
        super::limits::fit(surface, &mut payload);
        Ok(payload)
    }

    /// Tells the managers that Slack refused a message for good, and what to do about it.
    pub fn delivery_failure(&self, failure: &DeliveryFailure<'_>) -> anyhow::Result<Value> {
        self.render_fit("delivery_failure/message.json", json!(failure))
    }

    /// A one-line note about something `user` did (the mention stays a real mention).
    pub fn notice_by(&self, icon: &str, user: &str, text: &str) -> anyhow::Result<Value> {
        self.render_fit(
            "notice/reply.json",
            json!({ "icon": icon, "text": text, "user": user }),
        )
    }
}

/// A digest section as the message shows it: its next step already worded.
#[derive(Debug, Clone)]
pub struct DigestSection {
    pub title: String,
    pub lines: Vec<String>,
    pub action: String,
}

/// An uploaded image as an `image` block shows it: the Slack file's id, a plain-text
/// description for screen readers (required) and a title.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartImage {
    pub file: String,
    pub alt_text: String,
    pub title: String,
}

/// A message Slack refused for good, as the managers' notice describes it.
#[derive(Debug, Serialize)]
pub struct DeliveryFailure<'a> {
    /// What the message was (`review card`, …).
    pub kind: &'a str,
    /// `D-42` when the message was about a deal.
    pub deal_id: Option<String>,
    pub channel: &'a str,
    /// Slack's error code.
    pub reason: &'a str,
    /// What a person can do about it.
    pub advice: &'a str,
    pub outbox_id: i64,
}

/// `response_action: errors` for a modal: each message under its input's block id.
pub fn view_errors(errors: &FieldErrors) -> Value {
    let map: serde_json::Map<String, Value> = errors
        .0
        .iter()
        .map(|(f, m)| (f.key().to_string(), json!(m)))
        .collect();
    json!({ "response_action": "errors", "errors": map })
}
