//! The service's inline answers as cards: lists, details and figures as cards, and the forms
//! (registration, extension, update) as dialog cards whose `Action.Submit` comes back as
//! `task/submit` with `data.form` and `data.metadata`. Client-side checks (`isRequired`,
//! `regex`, `errorMessage`) mirror the server's, which still decides.

use super::notices::{created, deal_facts, deal_line, products_and_notes, push_matches};
use super::text::{block, bold, context, escape, facts, person, title, user};
use super::{Card, Cards, Room};
use crate::domain::{Deal, Stage};
use crate::service::{Answer, Hint};
use serde_json::{json, Value};

/// Deals a list shows (as on Slack: 20 a page).
const DEALS_SHOWN: usize = 20;
/// History rows of a deal shown (the latest).
const HISTORY_SHOWN: usize = 15;
/// Matches of a customer check shown.
const CHECK_SHOWN: usize = 20;

/// Days ahead the form suggests as the expected close date.
const SUGGESTED_CLOSE_DAYS: i64 = 90;

/// The `data.form` of each dialog's submit.
pub const FORM_REGISTRATION: &str = "deal_registration";
pub const FORM_EXTENSION: &str = "extend_request";
pub const FORM_UPDATE: &str = "deal_update";

pub(super) fn build(cards: &Cards, answer: &Answer, room: Room) -> anyhow::Result<Card> {
    Ok(match answer {
        Answer::RegistrationForm {
            partner_name,
            metadata,
            today,
            prefill,
            // Message shortcuts are Slack's: Teams forms never carry suggestions.
            suggested: _,
        } => registration_form(cards, partner_name, metadata, *today, prefill.as_ref()),
        Answer::DealList {
            title: heading,
            deals,
            more,
            next,
        } => deal_list(heading, deals, *more, *next, room),
        Answer::DealDetail {
            deal,
            partner_name,
            history,
        } => {
            let mut card = Card::new(format!("Deal {}: {}", deal.id, deal.company));
            let partner = partner_name
                .as_deref()
                .map(|p| format!(" · partner {}", bold(p)))
                .unwrap_or_default();
            card.push(block(format!("{}{partner}", deal_line(deal))));
            card.push(deal_facts(deal, true));
            card.push(context(format!(
                "Registered {} by {}",
                created(deal),
                person(&deal.registered_by)
            )));
            let shown = room.items(HISTORY_SHOWN).min(history.len());
            if shown > 0 {
                let lines: Vec<String> = history[history.len() - shown..]
                    .iter()
                    .map(|a| {
                        let at = chrono::DateTime::from_timestamp_millis(a.at)
                            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_default();
                        format!(
                            "- {at} · {} {} ({})",
                            person(&a.actor),
                            escape(&a.action.replace('_', " ")),
                            escape(&a.surface.replace('_', " "))
                        )
                    })
                    .collect();
                card.push(block(format!("**History**\n\n{}", lines.join("\n"))));
            }
            products_and_notes(&mut card, deal, room);
            card
        }
        Answer::ExtensionForm {
            deal,
            metadata,
            days,
        } => extension_form(deal, metadata, *days),
        Answer::UpdateForm {
            deal,
            metadata,
            internal,
        } => update_form(deal, metadata, *internal),
        Answer::CommissionTotals {
            title: heading,
            rows,
        } => {
            let mut card = Card::new(heading.clone());
            card.push(title(escape(heading)));
            if rows.is_empty() {
                card.push(block(
                    "No commissions yet: they are computed when a deal is won.",
                ));
            }
            for r in rows {
                card.push(block(bold(&r.currency)));
                card.push(facts(&[
                    ("Pending", r.pending.clone()),
                    ("Payable", r.payable.clone()),
                    ("Paid", r.paid.clone()),
                ]));
            }
            card
        }
        Answer::SurveyResults { text } => {
            Card::saying(super::text::clip(text, 200), user(text, room.text(6000)))
        }
        Answer::Stats(figures) => stats(figures),
        Answer::MatchList {
            name,
            domain,
            matches,
        } => {
            let plural = if matches.len() == 1 { "" } else { "es" };
            let mut card = Card::new(format!("Matches for {name}"));
            let domain = domain
                .as_deref()
                .map(|d| format!(" ({})", escape(d)))
                .unwrap_or_default();
            card.push(title(format!(
                "{} match{plural} for “{}”{domain}",
                matches.len(),
                escape(name)
            )));
            if matches.is_empty() {
                card.push(block(
                    "No registration or direct account refers to this customer.",
                ));
            }
            let cut = &matches[..matches.len().min(CHECK_SHOWN)];
            push_matches(&mut card, cut, room, true);
            if matches.len() > CHECK_SHOWN {
                card.push(context(format!("Showing the {CHECK_SHOWN} strongest of {}. Add the customer's domain to narrow the search, or export every match with **partnerbot accounts check**.", matches.len())));
            }
            card
        }
        Answer::AccountsSummary {
            total,
            open,
            owners,
        } => {
            let plural = if *total == 1 { "" } else { "s" };
            let mut card = Card::saying(
                format!("{total} direct accounts"),
                format!("**{total} direct account{plural}**, {open} with an open opportunity."),
            );
            if owners.is_empty() {
                card.push(block(
                    "Import them with **partnerbot accounts import FILE.csv**.",
                ));
            } else {
                let pairs: Vec<(&str, String)> = owners
                    .iter()
                    .map(|(o, n)| (o.as_str(), n.to_string()))
                    .collect();
                card.push(block("**Largest books**"));
                card.push(facts(&pairs));
            }
            card
        }
    })
}

/// The command that does what `hint` suggests, in Teams: typed to the bot, so the words alone
/// ([`crate::intent::wording::hint_words`], whose tests pin them).
pub fn command(hint: Hint) -> String {
    crate::intent::wording::hint_words(hint)
}

fn deal_list(heading: &str, deals: &[Deal], more: i64, next: Option<Hint>, room: Room) -> Card {
    let mut card = Card::new(heading.to_string());
    card.push(title(escape(heading)));
    if deals.is_empty() {
        card.push(block("No deals yet. Register one with **deal register**."));
    }
    let shown = room.items(DEALS_SHOWN).min(deals.len());
    for d in &deals[..shown] {
        card.push(block(format!(
            "{} · {} · close {} · _{}_",
            deal_line(d),
            d.amount,
            d.close_date,
            d.status.label()
        )));
    }
    let hidden = more + i64::try_from(deals.len() - shown).unwrap_or(0);
    if hidden > 0 {
        let next = next
            .map(|h| format!(": send **{}**", command(h)))
            .unwrap_or_default();
        card.push(context(format!(
            "…and {hidden} more{next}. **deal show** *id* for one deal."
        )));
    }
    card
}

fn stats(figures: &Value) -> Card {
    let get = |k: &str| match &figures[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let heading = get("title");
    let mut card = Card::new(heading.clone());
    card.push(title(escape(&heading)));
    let (registrations, rate) = (get("registrations"), get("registration_rate"));
    let (active, activation) = (get("active"), get("activation"));
    card.push(facts(&[
        ("Partner-sourced revenue", get("sourced_revenue")),
        ("Revenue per active partner", get("revenue_per_active")),
        (
            "Registrations",
            format!("{registrations} ({rate} per partner per month)"),
        ),
        ("Average won deal", get("average_deal")),
        ("Win rate", get("win_rate")),
        (
            "Active / activated partners",
            format!("{active} active · {activation} ever registered"),
        ),
        ("Onboarding to first win", get("first_win")),
    ]));
    let note = get("note");
    if !note.is_empty() {
        card.push(context(escape(&note)));
    }
    card
}

/// A text input; `value` prefilled when given.
fn input(id: &str, label: &str, value: Option<&str>, required: bool, max: usize) -> Value {
    let mut field = json!({ "type": "Input.Text", "id": id, "label": label, "maxLength": max, "isRequired": required });
    if required {
        field["errorMessage"] = format!("{label} is required").into();
    }
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        field["value"] = v.into();
    }
    field
}

fn choices(
    id: &str,
    label: &str,
    options: &[(&str, &str)],
    value: Option<&str>,
    required: bool,
) -> Value {
    let list: Vec<Value> = options
        .iter()
        .map(|(v, t)| json!({ "title": t, "value": v }))
        .collect();
    let mut field = json!({ "type": "Input.ChoiceSet", "id": id, "label": label, "style": "compact", "choices": list, "isRequired": required });
    if required {
        field["errorMessage"] = format!("{label} is required").into();
    }
    if let Some(v) = value {
        field["value"] = v.into();
    }
    field
}

fn submit(title: &str, form: &str, metadata: &str) -> Value {
    json!({ "type": "Action.Submit", "title": title, "data": { "form": form, "metadata": metadata } })
}

fn stages() -> Vec<(&'static str, &'static str)> {
    Stage::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

fn registration_form(
    cards: &Cards,
    partner_name: &str,
    metadata: &str,
    today: chrono::NaiveDate,
    prefill: Option<&Deal>,
) -> Card {
    let p = |f: fn(&Deal) -> Option<String>| prefill.and_then(f);
    let heading = if prefill.is_some() {
        "Edit and resubmit"
    } else {
        "Register a deal"
    };
    let mut card = Card::new(heading);
    card.push(title(heading));
    card.push(context(format!(
        "{} · registering for {}. Only your team and the partner managers see this deal.",
        escape(&cards.program_name),
        bold(partner_name)
    )));
    let close = p(|d| Some(d.close_date.to_string()))
        .unwrap_or_else(|| (today + chrono::Duration::days(SUGGESTED_CLOSE_DAYS)).to_string());
    let currency = p(|d| Some(d.amount.currency().code().to_string()))
        .unwrap_or_else(|| cards.default_currency.clone());
    let mut amount = input(
        "amount",
        "Estimated amount",
        p(|d| Some(d.amount.decimal().to_string())).as_deref(),
        true,
        20,
    );
    amount["regex"] = r"^\s*[0-9][0-9,. ]*$".into();
    amount["errorMessage"] = "Digits only, e.g. 50000 or 50,000.00".into();
    let mut email = input(
        "contact_email",
        "Customer contact e-mail",
        p(|d| d.contact_email.clone()).as_deref(),
        true,
        254,
    );
    email["regex"] = r"^[^@\s]+@[^@\s]+\.[^@\s]+$".into();
    email["errorMessage"] = "An e-mail address, e.g. jane@acme.com".into();
    let mut code = input("currency", "Currency (ISO code)", Some(&currency), true, 3);
    code["regex"] = "^[A-Za-z]{3}$".into();
    code["errorMessage"] = "Three letters, e.g. USD".into();
    let timing: Vec<(&str, &str)> = crate::domain::commission::Timing::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect();
    card.body.extend([
        input("company", "Customer company", p(|d| Some(d.company.clone())).as_deref(), true, 200),
        input("domain", "Customer website or domain", p(|d| d.domain.clone()).as_deref(), true, 253),
        input("contact_name", "Customer contact name", p(|d| d.contact_name.clone()).as_deref(), true, 120),
        email,
        amount,
        code,
        json!({ "type": "Input.Date", "id": "close_date", "label": "Expected close date", "value": close, "isRequired": true, "errorMessage": "Expected close date is required" }),
        choices("stage", "Stage", &stages(), p(|d| Some(d.stage.as_str().to_string())).as_deref(), true),
        choices("timing", "When did you get involved? (earlier registrations earn a higher commission rate)", &timing, None, false),
        input("products", "Products", p(|d| Some(d.products.clone())).as_deref(), false, 500),
        {
            let mut notes = input("notes", "Notes for the partner manager", p(|d| Some(d.notes.clone())).as_deref(), false, 3000);
            notes["isMultiline"] = true.into();
            notes
        },
    ]);
    let label = if prefill.is_some() {
        "Resubmit"
    } else {
        "Register"
    };
    card.actions
        .push(submit(label, FORM_REGISTRATION, metadata));
    card
}

/// "**D-7** · Initech is protected until **2027-03-31**. An extension adds 30 days."
pub(super) fn protection_and_extension(deal: &Deal, days: u32) -> String {
    let until = deal
        .protected_until
        .map(|d| d.to_string())
        .unwrap_or_default();
    format!(
        "**{}** · {} is protected until **{until}**. An extension adds {days} days.",
        deal.id,
        escape(&deal.company)
    )
}

fn extension_form(deal: &Deal, metadata: &str, days: u32) -> Card {
    let mut card = Card::new("Extend protection");
    card.push(title("Extend protection"));
    card.push(block(protection_and_extension(deal, days)));
    let mut why = input(
        "justification",
        "Why does the deal need more time?",
        None,
        true,
        1000,
    );
    why["isMultiline"] = true.into();
    card.push(why);
    card.actions
        .push(submit("Request", FORM_EXTENSION, metadata));
    card
}

fn update_form(deal: &Deal, metadata: &str, internal: bool) -> Card {
    let mut card = Card::new("Update deal");
    card.push(title("Update deal"));
    card.push(block(format!(
        "{} · {}",
        deal_line(deal),
        deal.status.label()
    )));
    let mut options = stages();
    options.extend([("won", "Won"), ("lost", "Lost")]);
    let mut stage = choices("stage", "Stage", &options, Some(deal.stage.as_str()), true);
    stage["placeholder"] = "Won needs the final amount and the close date below.".into();
    card.push(stage);
    let currency = deal.amount.currency().code().to_string();
    card.push(input(
        "amount",
        &format!("Amount ({currency})"),
        Some(&deal.amount.decimal().to_string()),
        true,
        20,
    ));
    card.push(json!({ "type": "Input.Date", "id": "close_date", "label": "Expected (or actual) close date", "value": deal.close_date.to_string(), "isRequired": true, "errorMessage": "The close date is required" }));
    card.push(input(
        "products",
        "Products",
        Some(&deal.products),
        false,
        500,
    ));
    if internal {
        let options = [
            ("sourced", "Sourced it"),
            ("co_sold", "Co-sold it"),
            ("influenced", "Influenced it"),
        ];
        card.push(choices(
            "attribution",
            "If won: what did the partner do?",
            &options,
            None,
            false,
        ));
    }
    card.actions.push(submit("Save", FORM_UPDATE, metadata));
    card
}
