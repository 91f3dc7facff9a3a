//! Protection notices as cards: the reminder (with an *Extend* button asking why), the
//! expiry, and each step of an extension (the managers' request card with Grant / Decline).

use super::notices::deal_data;
use super::text::block;
use super::text::{bold, escape, person, quote};
use super::verbs::{ask, execute, Verb, INPUT_JUSTIFICATION};
use super::{Card, Room};
use crate::domain::Deal;
use crate::notice::{ExtensionDetails, ExtensionStep};
use serde_json::Value;

pub(super) fn protection(
    deal: &Deal,
    days_left: i64,
    expired: bool,
    partner_name: Option<&str>,
    extension: Option<u32>,
) -> Card {
    let until = deal
        .protected_until
        .map(|d| d.to_string())
        .unwrap_or_default();
    if expired {
        let mut card = Card::new(format!("{} protection ended", deal.id));
        let partner = partner_name
            .map(|p| format!(" ({})", escape(p)))
            .unwrap_or_default();
        let again = match partner_name {
            None => " Register it again with **deal register** if the opportunity is still alive.",
            Some(_) => "",
        };
        card.push(block(format!(
            "The protection of **{}** · {}{partner} ended on {until} without a win or loss, so the registration has **expired**.{again}",
            deal.id, escape(&deal.company)
        )));
        return card;
    }
    let mut card = Card::new(format!("{} protection ends in {days_left} days", deal.id));
    let plural = if days_left == 1 { "" } else { "s" };
    let offer = extension
        .map(|days| format!(" If the deal is still moving, you can ask for {days} more days."))
        .unwrap_or_default();
    card.push(block(format!(
        "The protection of **{}** · {} ends in **{days_left} day{plural}** ({until}).{offer}",
        deal.id,
        escape(&deal.company)
    )));
    if let Some(days) = extension {
        card.actions.push(extend_button(deal, days));
    }
    card
}

/// The button asking for `days` more protection on `deal`, with the justification it needs.
pub(super) fn extend_button(deal: &Deal, days: u32) -> Value {
    let mut data = deal_data(deal);
    data["days"] = days.into();
    ask(
        &format!("Extend {days} days"),
        (
            INPUT_JUSTIFICATION,
            "Why does the deal need more time?",
            1000,
        ),
        Verb::Extend,
        "Request",
        data,
    )
}

pub(super) fn extension(
    step: ExtensionStep,
    deal: &Deal,
    d: &ExtensionDetails,
    room: Room,
) -> Card {
    let until = deal
        .protected_until
        .map(|d| d.to_string())
        .unwrap_or_default();
    let kind = match step {
        ExtensionStep::Requested => "requested",
        ExtensionStep::RequestCard => "request_card",
        ExtensionStep::Granted => "granted",
        ExtensionStep::Declined => "declined",
    };
    let mut card = Card::new(format!("{}: protection extension {kind}", deal.id));
    let company = escape(&deal.company);
    let by = person(d.by.as_deref().unwrap_or_default());
    let text = match step {
        ExtensionStep::Granted => {
            let partner = d.partner_name.as_deref().map(|p| format!(" ({})", escape(p))).unwrap_or_default();
            let how = match d.automatic {
                true => format!(
                    ", automatically: the deal moved from {} to {}",
                    escape(d.from_stage.as_deref().unwrap_or_default()),
                    escape(d.to_stage.as_deref().unwrap_or_default())
                ),
                false => format!(", approved by {by}"),
            };
            format!("The protection of **{}** · {company}{partner} is extended by {} days, to **{until}**{how}.", deal.id, d.days)
        }
        ExtensionStep::Requested => format!("Your request to extend **{}** · {company} went to the partner managers; you'll hear back here.", deal.id),
        ExtensionStep::Declined => format!("The request to extend **{}** · {company} was declined by {by}. Protection still ends on {until}.", deal.id),
        ExtensionStep::RequestCard => format!(
            "{} asks to extend the protection of **{}** · {company} by {} days (it ends {until}; extension {} of {}).",
            bold(d.partner_name.as_deref().unwrap_or_default()), deal.id, d.days, d.number, d.max
        ),
    };
    card.push(block(text));
    if step == ExtensionStep::RequestCard {
        card.push(quote(&d.justification, room.text(1500)));
        let data = deal_data(deal);
        card.actions = vec![
            execute(Verb::ExtendGrant, "Grant extension", data.clone()),
            execute(Verb::ExtendDecline, "Decline", data),
        ];
    }
    card
}
