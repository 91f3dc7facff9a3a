//! The answers to commands typed to the bot that are not a service [`Answer`](crate::service::Answer):
//! one-line outcomes and refusals, a one-line registration's result, the partner list, and the
//! cards whose button opens a form (Teams opens a dialog only from a card button, never
//! straight from a message).

use super::answers::protection_and_extension;
use super::notices::{deal_data, deal_facts, deal_line, next_step};
use super::protection::extend_button;
use super::text::{block, bold, context, escape, title, warning};
use super::verbs::{execute, register_deal, Verb};
use super::{fit, Card, Cards, Rendered};
use crate::domain::{Deal, FieldErrors};
use crate::service::ListedPartner;

/// Partners a page of the list shows (as on Slack).
pub const PARTNERS_PER_PAGE: usize = 20;

/// How a one-line registration is typed, for its errors.
const REGISTER_USAGE: &str = "**deal register** *company domain amount [currency] [close date]*";

impl Cards {
    /// A one-line outcome, `text` plain (escaped here).
    pub fn outcome(&self, text: &str) -> anyhow::Result<Rendered> {
        fit(|room| {
            Ok(Card::saying(
                super::text::clip(text, 200),
                super::text::user(text, room.text(3000)),
            ))
        })
    }

    /// A refusal; `markdown` is already safe for a card (user text escaped).
    pub fn refusal(&self, summary: &str, markdown: &str) -> anyhow::Result<Rendered> {
        fit(|_| {
            let mut card = Card::new(super::text::clip(summary, 200));
            card.push(warning(markdown));
            Ok(card)
        })
    }

    /// The help, under `intro` (markdown) when the bot did not understand what was asked.
    pub fn help(&self, manager: bool, intro: Option<&str>) -> anyhow::Result<Rendered> {
        fit(|_| {
            let mut card = super::program::help(manager, false);
            if let Some(intro) = intro {
                card.body.insert(0, warning(intro));
            }
            Ok(card)
        })
    }

    /// A one-line registration's outcome for the person who typed it; `repeated` when the
    /// same message had already registered it.
    pub fn registered(&self, deal: &Deal, repeated: bool) -> anyhow::Result<Rendered> {
        fit(|_| {
            let done = if repeated {
                "Already registered"
            } else {
                "Registered"
            };
            let mut card = Card::saying(
                format!(
                    "{done} {}: {} ({}), {}",
                    deal.id,
                    deal.company,
                    deal.amount,
                    deal.status.label()
                ),
                format!("✅ {done} {}", deal_line(deal)),
            );
            card.push(deal_facts(deal, false));
            let next = next_step(deal, "Add the customer contact with **deal register** (the form) next time; a partner manager will review this one.");
            card.push(context(next));
            Ok(card)
        })
    }

    /// The customer is already in one of the team's open registrations: nothing new stored.
    pub fn already_ours(&self, deal: &Deal) -> anyhow::Result<Rendered> {
        fit(|_| {
            let mut card = Card::new(format!(
                "{} is already registered by your team as {}",
                deal.company, deal.id
            ));
            let protected = deal
                .protected_until
                .map(|d| format!(" · protected until {d}"))
                .unwrap_or_default();
            card.push(block(format!(
                "ℹ️ {} is already registered by your team, on {} · **{}**{protected}.",
                deal_line(deal),
                super::notices::created(deal),
                deal.status.label()
            )));
            update_hint(&mut card, deal, &format!(
                "Nothing new was registered. To change the amount, stage or close date, send **deal update {} stage=… amount=…** or use the button.",
                deal.id
            ));
            Ok(card)
        })
    }

    /// A one-line registration's field errors, one line each.
    pub fn field_errors(&self, errors: &FieldErrors) -> anyhow::Result<Rendered> {
        fit(|room| {
            let mut card = Card::new("Nothing was registered: please fix the details");
            card.push(warning("Nothing was registered. Please fix:"));
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|(field, message)| {
                    format!(
                        "- {}: {}",
                        bold(field.label()),
                        super::text::user(message, room.text(300))
                    )
                })
                .collect();
            card.push(block(lines.join("\n")));
            card.push(context(format!("Usage: {REGISTER_USAGE}")));
            Ok(card)
        })
    }

    /// Page `page` (from 1) of the partners.
    pub fn partner_list(
        &self,
        partners: &[ListedPartner],
        page: usize,
    ) -> anyhow::Result<Rendered> {
        fit(|room| {
            let total = partners.len();
            let pages = total.div_ceil(PARTNERS_PER_PAGE).max(1);
            let plural = if total == 1 { "" } else { "s" };
            let mut card = Card::new(format!("Partners: {total}"));
            let of = if pages > 1 {
                format!(" · page {page} of {pages}")
            } else {
                String::new()
            };
            card.push(title(format!("{total} partner{plural}{of}")));
            if partners.is_empty() {
                card.push(block("None yet: send **partners add** *name* type=*type* in the channel shared with the partner."));
            }
            let start = page.saturating_sub(1).saturating_mul(PARTNERS_PER_PAGE);
            let shown: Vec<&ListedPartner> = partners
                .iter()
                .skip(start)
                .take(room.items(PARTNERS_PER_PAGE))
                .collect();
            for listed in &shown {
                let p = &listed.partner;
                let paused = if p.paused { " · _paused_" } else { "" };
                let admins = match listed.admins.as_slice() {
                    [] => String::new(),
                    named => format!(" · admins {}", escape(&named.join(", "))),
                };
                card.push(block(format!(
                    "{} · {} · {} · tier {} · {} {}{paused}{admins}",
                    bold(&p.name),
                    p.partner_type.as_str(),
                    escape(&p.id.to_string()),
                    p.tier.as_str(),
                    p.conversation.platform,
                    escape(&p.conversation.id)
                )));
            }
            if page < pages {
                card.push(context(format!(
                    "More: send **partners list page {}**",
                    page + 1
                )));
            }
            Ok(card)
        })
    }

    /// Registering opens a form: a card whose button opens the registration dialog.
    pub fn register_prompt(
        &self,
        partner_name: &str,
        conversation: &str,
    ) -> anyhow::Result<Rendered> {
        fit(|_| {
            let text = format!(
                "Register a deal for {}: the form asks for the customer, the contact, the amount and the expected close. Or register in one line: **deal register Acme Corp acme.com 50000**.",
                bold(partner_name)
            );
            let mut card = Card::saying("Register a deal", text);
            card.actions.push(register_deal(
                "Register a deal",
                serde_json::json!({ "conversation": conversation }),
            ));
            Ok(card)
        })
    }

    /// Asking for more protection: the deal, and a button asking why (`days` more).
    pub fn extend_prompt(&self, deal: &Deal, days: u32) -> anyhow::Result<Rendered> {
        fit(|_| {
            let mut card = Card::saying(
                format!("Extend the protection of {}", deal.id),
                protection_and_extension(deal, days),
            );
            card.actions.push(extend_button(deal, days));
            Ok(card)
        })
    }

    /// Updating with nothing to change: the deal, and the button that opens its update form.
    pub fn update_prompt(&self, deal: &Deal) -> anyhow::Result<Rendered> {
        fit(|_| {
            let mut card = Card::saying(
                format!("Update {}", deal.id),
                format!("{} · {}", deal_line(deal), deal.status.label()),
            );
            update_hint(&mut card, deal, &format!(
                "Use the button, or send the changes in one line: **deal update {} stage=proposal amount=60000 close=2027-03-31**.",
                deal.id
            ));
            Ok(card)
        })
    }
}

/// `how` (markdown) under the card, and the button opening `deal`'s update form.
fn update_hint(card: &mut Card, deal: &Deal, how: &str) {
    card.push(context(how));
    card.actions
        .push(execute(Verb::UpdateDeal, "Update deal", deal_data(deal)));
}
