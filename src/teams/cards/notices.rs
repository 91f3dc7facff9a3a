//! The deal notices as cards: confirmation, review card, decision, AE alert and answer,
//! escalation, protection, extension and commission (wording of the Slack templates).

use super::text::{
    and_more, block, bold, clip, context, escape, facts, person, quote, title, user,
};
use super::verbs::{ask, execute, refresh, Verb, INPUT_REASON};
use super::{Card, Room};
use crate::domain::matching::Strength;
use crate::domain::{Deal, DealStatus, Partner};
use crate::notice::{MatchedRecord, Notice};
use serde_json::{json, Value};

/// Matches shown on a review card or an AE alert before "…and N more".
const MATCHES_SHOWN: usize = 10;

/// The card for a deal notice; `None` for the program-wide ones.
pub(super) fn build(notice: &Notice, room: Room) -> Option<Card> {
    Some(match notice {
        Notice::DealConfirmation { deal } => confirmation(deal),
        Notice::ReviewCard {
            deal,
            partner,
            matches,
            rule,
        } => review_card(deal, &who(partner, ""), matches, rule.as_deref(), room),
        Notice::DecisionNotice { deal } => decision_notice(deal, room),
        Notice::AeAlert {
            deal,
            partner,
            matches,
            rule,
        } => ae_alert(deal, &who(partner, " partner"), matches, rule, room),
        Notice::AeChoice { deal, user, choice } => Card::saying(
            format!("AE answer on {}: {choice}", deal.id),
            format!(
                "{} answered {} on {} · {}.",
                person(user),
                bold(choice),
                deal.id,
                escape(&deal.company)
            ),
        ),
        Notice::Escalation {
            deal,
            partner_name,
            waited,
            sla,
        } => {
            let heading = format!(
                "{} has waited {waited} business days for a decision",
                deal.id
            );
            Card::saying(heading, format!(
                "**{}** · {} from {} has waited **{waited} business days** for a decision (the SLA is {sla}). Registered {} · status {}.",
                deal.id, escape(&deal.company), bold(partner_name), created(deal), deal.status.label()
            ))
        }
        Notice::ProtectionNotice {
            deal,
            days_left,
            expired,
            partner_name,
            extension,
        } => super::protection::protection(
            deal,
            *days_left,
            *expired,
            partner_name.as_deref(),
            *extension,
        ),
        Notice::Extension {
            step,
            deal,
            details,
        } => super::protection::extension(*step, deal, details, room),
        Notice::CommissionNotice {
            deal,
            calculation,
            commission,
            payable_from,
            instalments,
            partner_name,
        } => {
            let mut card = Card::new(format!("{} won: commission {commission}", deal.id));
            let partner = partner_name.as_deref().map(|p| format!("{} · ", bold(p)));
            card.push(block(format!(
                "{}**{}** · {} is **won**: {}, closed {}.",
                partner.unwrap_or_default(),
                deal.id,
                escape(&deal.company),
                deal.amount,
                deal.close_date
            )));
            let instalments = match instalments {
                n if *n > 1 => format!(" ({n} monthly instalments)"),
                _ => String::new(),
            };
            card.push(block(format!(
                "**Commission:** {}, payable from **{payable_from}**{instalments}.",
                user(calculation, room.text(1500))
            )));
            card
        }
        _ => return None,
    })
}

/// `**Globex** (reseller{suffix})`.
fn who(partner: &Partner, suffix: &str) -> String {
    let kind = partner.partner_type.as_str();
    format!("{} ({kind}{suffix})", bold(&partner.name))
}

/// What a button acting on `deal` sends.
pub(super) fn deal_data(deal: &Deal) -> Value {
    json!({ "deal": deal.id.0 })
}

/// `**D-7** · **Initech** (initech.com)`.
pub(super) fn deal_line(deal: &Deal) -> String {
    format!(
        "**{}** · {} ({})",
        deal.id,
        bold(&deal.company),
        escape(&domain(deal))
    )
}

pub(super) fn domain(deal: &Deal) -> String {
    deal.domain.clone().unwrap_or_else(|| "no domain".into())
}

pub(super) fn contact(deal: &Deal) -> String {
    match (&deal.contact_name, &deal.contact_email) {
        (Some(n), Some(e)) => format!("{n} ({e})"),
        (Some(n), None) => n.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => "not given".into(),
    }
}

pub(super) fn created(deal: &Deal) -> String {
    deal.created_at.format("%Y-%m-%d").to_string()
}

/// The deal's figures as a FactSet (values escaped).
pub(super) fn deal_facts(deal: &Deal, with_contact: bool) -> Value {
    let mut pairs = vec![
        ("Domain", domain(deal)),
        ("Amount", deal.amount.to_string()),
        ("Expected close", deal.close_date.to_string()),
        ("Stage", deal.stage.label().to_string()),
    ];
    if with_contact {
        pairs.push(("Contact", clip(&contact(deal), 300)));
    }
    pairs.push(("Status", deal.status.label().to_string()));
    facts(&pairs)
}

/// Products and notes, when the deal has any.
pub(super) fn products_and_notes(card: &mut Card, deal: &Deal, room: Room) {
    if !deal.products.is_empty() {
        card.push(block(format!(
            "**Products:** {}",
            user(&deal.products, room.text(500))
        )));
    }
    if !deal.notes.is_empty() {
        card.push(block(format!(
            "**Notes:** {}",
            user(&deal.notes, room.text(2000))
        )));
    }
}

fn confirmation(deal: &Deal) -> Card {
    let mut card = Card::saying(
        format!(
            "Deal {} registered: {} ({}), {}",
            deal.id,
            deal.company,
            deal.amount,
            deal.status.label()
        ),
        format!(
            "{} registered {}",
            person(&deal.registered_by),
            deal_line(deal)
        ),
    );
    card.push(deal_facts(deal, false));
    let next = next_step(deal, "A partner manager will review it.");
    card.push(context(format!(
        "{next} Updates to this deal are posted in this thread. Send **deal show {}** for details.",
        deal.id
    )));
    card.actions
        .push(execute(Verb::UpdateDeal, "Update deal", deal_data(deal)));
    card
}

/// What happens next to a new registration, as its partner reads it; `pending` for one
/// waiting for review.
pub(super) fn next_step(deal: &Deal, pending: &str) -> String {
    match deal.status {
        DealStatus::Conflict => "This customer is already registered by another party, so this registration is now a co-sell candidate: a partner manager will follow up with you.".to_string(),
        DealStatus::Approved => format!(
            "It is approved and protected until {}.",
            deal.protected_until.map(|d| d.to_string()).unwrap_or_default()
        ),
        _ => pending.into(),
    }
}

/// One matched record, as managers read it.
pub(super) fn match_text(m: &MatchedRecord, owner_and_partner: bool) -> String {
    let (prefix, kind) = match m.direct_account {
        true => ("A", "direct account"),
        false => ("D", "partner registration"),
    };
    let domains = match m.domains.is_empty() {
        true => "no domain".to_string(),
        false => m.domains.join(", "),
    };
    let mut line = format!(
        "**{prefix}-{}** · {} ({})",
        m.id,
        escape(&m.name),
        escape(&domains)
    );
    if owner_and_partner {
        line.push_str(&format!(" · {kind}"));
        if let Some(p) = &m.partner {
            line.push_str(&format!(" of {}", bold(p)));
        }
        if let Some(s) = m.status {
            line.push_str(&format!(" ({})", s.label()));
        }
        if let Some(o) = &m.owner {
            line.push_str(&format!(" owned by {}", person(o)));
        }
    }
    if let Some(crm) = &m.crm_id {
        line.push_str(&format!(" · CRM {}", escape(crm)));
    }
    line
}

/// Up to the room's share of `matches`, each with its reasons, then "…and N more".
pub(super) fn push_matches(card: &mut Card, matches: &[MatchedRecord], room: Room, internal: bool) {
    let shown = room.items(MATCHES_SHOWN).min(matches.len());
    for m in &matches[..shown] {
        let lead = match (internal, m.strength) {
            (true, Strength::Weak) => "Possible match ",
            (true, _) => "Matches ",
            (false, _) => "",
        };
        let strength = match internal {
            true => format!(" · **{}**", m.strength),
            false => format!(" · {} match", m.strength),
        };
        card.push(block(format!(
            "{lead}{}{strength}",
            match_text(m, internal)
        )));
        if !m.reasons.is_empty() {
            card.push(context(format!(
                "_{}_",
                user(&m.reasons.join("; "), room.text(1500))
            )));
        }
    }
    if matches.len() > shown {
        card.push(and_more(matches.len() - shown, "matches"));
    }
}

fn review_card(
    deal: &Deal,
    partner: &str,
    matches: &[MatchedRecord],
    rule: Option<&str>,
    room: Room,
) -> Card {
    let conflict = match deal.status {
        DealStatus::Conflict => "Conflict: ",
        _ => "",
    };
    let mut card = Card::new(format!(
        "New registration {}: {} ({})",
        deal.id, deal.company, deal.amount
    ));
    card.push(title(format!(
        "{conflict}New deal registration {}",
        deal.id
    )));
    card.push(block(format!(
        "{partner} registered {}",
        bold(&deal.company)
    )));
    card.push(deal_facts(deal, true));
    products_and_notes(&mut card, deal, room);
    push_matches(&mut card, matches, room, true);
    if matches.len() > room.items(MATCHES_SHOWN) {
        card.push(context(format!(
            "Send **partners check {} {}** to list every one.",
            user(&deal.company, 150),
            escape(&domain(deal))
        )));
    }
    if let Some(rule) = rule {
        card.push(context(format!(
            "**Rule of engagement:** {}",
            user(rule, room.text(1500))
        )));
    }
    let open = matches!(
        deal.status,
        DealStatus::PendingReview | DealStatus::Conflict | DealStatus::Returned
    );
    match &deal.decided_by {
        Some(by) => card.push(decision(deal, by, room)),
        None if open => {
            card.actions = review_buttons(deal);
            card.refresh = Some(refresh(deal_data(deal)));
            &mut card
        }
        None => &mut card,
    };
    card.push(context(format!(
        "Registered by {} on {} · send **deal show {}**",
        person(&deal.registered_by),
        created(deal),
        deal.id
    )));
    card
}

/// Approve, Reject (with a reason) and Return (with a question).
fn review_buttons(deal: &Deal) -> Vec<Value> {
    let data = deal_data(deal);
    vec![
        execute(Verb::Approve, "Approve", data.clone()),
        ask(
            "Reject",
            (INPUT_REASON, "Why is it rejected?", 2000),
            Verb::Reject,
            "Reject",
            data.clone(),
        ),
        ask(
            "Return for info",
            (INPUT_REASON, "What do you need from the partner?", 2000),
            Verb::Return,
            "Send question",
            data,
        ),
    ]
}

/// Who decided what, on the review card.
fn decision(deal: &Deal, by: &str, room: Room) -> Value {
    let verb = deal.status.label();
    let mut verb_cap = verb.to_string();
    if let Some(first) = verb_cap.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let who = match by {
        "auto" => "automatically (trusted partner tier)".to_string(),
        by => format!("by {}", person(by)),
    };
    let until = deal
        .protected_until
        .map(|d| format!(" · protected until {d}"))
        .unwrap_or_default();
    let mut items = vec![block(format!("**{verb_cap}** {who}{until}"))];
    if !deal.decision_note.is_empty() {
        items.push(quote(&deal.decision_note, room.text(1500)));
    }
    json!({ "type": "Container", "items": items })
}

fn decision_notice(deal: &Deal, room: Room) -> Card {
    let verb = match deal.status {
        DealStatus::Approved => "approved",
        DealStatus::Rejected => "not accepted",
        _ => "returned with a question",
    };
    let mut card = Card::new(format!("{} {verb}: {}", deal.id, deal.company));
    let mut text = format!(
        "Your registration **{}** · {} was **{verb}**.",
        deal.id,
        bold(&deal.company)
    );
    if let Some(until) = deal.protected_until {
        text.push_str(&format!(" It is protected until **{until}**: other partners' registrations of this customer will not displace it."));
    }
    card.push(block(text));
    if !deal.decision_note.is_empty() {
        card.push(quote(&deal.decision_note, room.text(2000)));
    }
    if deal.status == DealStatus::Returned {
        card.push(block(
            "Correct the registration and send it back with the button below.",
        ));
        card.actions.push(execute(
            Verb::Resubmit,
            "Edit and resubmit",
            deal_data(deal),
        ));
    }
    card
}

fn ae_alert(deal: &Deal, partner: &str, matches: &[MatchedRecord], rule: &str, room: Room) -> Card {
    let mut card = Card::saying(
        format!(
            "A partner registered a deal on your account: {} ({})",
            deal.company, deal.id
        ),
        format!(
            "{partner} registered {} ({}), {}, expected close {}. It matches an account you own:",
            bold(&deal.company),
            escape(&domain(deal)),
            deal.amount,
            deal.close_date
        ),
    );
    push_matches(&mut card, matches, room, false);
    card.push(context(format!(
        "**Rule of engagement:** {}",
        user(rule, room.text(1500))
    )));
    let data = deal_data(deal);
    card.actions = vec![
        execute(Verb::AeAck, "Acknowledge", data.clone()),
        execute(Verb::AeCosell, "Propose co-sell", data.clone()),
        execute(Verb::AeDispute, "Dispute", data),
    ];
    card
}
