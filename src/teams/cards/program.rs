//! The program-wide notices as cards: help, delivery failures, tier changes, nudges, the
//! survey and its follow-up, the welcome in a linked channel, and one-line notes.

use super::text::{block, bold, context, escape, person, quote, user};
use super::verbs::{action_set, ask, execute, register_deal, Verb, INPUT_COMMENT};
use super::{Card, Cards, Room};
use crate::notice::Notice;
use serde_json::json;

/// How the bot introduces itself when spoken to.
const GREETING: &str = "Hi! I run the partner program here. This is what I can do:";

/// The partners' commands, as typed to the bot (in a channel, after `@partnerbot`).
const PARTNER_HELP: &str = "**Register and follow your deals**\n\n\
- **deal register** — open the registration form\n\
- **deal register** *company domain amount [currency] [close date]* — register in one line, e.g. **deal register Acme Corp acme.com 50000 EUR 2027-03-31**\n\
- **deal list** [open, expiring or won] [page 2] — your deals, 20 a page\n\
- **deal show D-42** — one deal, with its history\n\
- **deal update D-42 stage=proposal** — move a deal's stage\n\
- **deal extend D-42** — ask for more protection before it ends\n\
- **deal update D-42 stage=won amount=60000 close=2027-01-20** — record a win (its commission is computed)\n\
- **deal commissions** — your commissions: pending, payable, paid\n\
- **deal help** — this help";

/// The managers' commands.
const MANAGER_HELP: &str = "**For partner managers**\n\n\
- **partners add** *name* **type=**referral, reseller, technology, service or strategic — run in the partner's channel to link it\n\
- **partners list** — all partners\n\
- **partners check** *company [domain]* — every registration and direct account that matches, with reasons\n\
- **partners accounts** — the direct accounts imported\n\
- **partners stats** [partner] [30d, 90d, 365d, ytd or 2027-Q1] — program metrics\n\
- **partners commissions pay C-12 …** — mark payable commissions paid\n\
- **partners admins P-3** *@people* — name a partner's admins, told privately of its tier changes";

/// The card for a program-wide notice.
pub(super) fn build(cards: &Cards, notice: &Notice, room: Room) -> anyhow::Result<Card> {
    Ok(match notice {
        Notice::Help { manager, greeting } => help(*manager, *greeting),
        Notice::DeliveryFailure {
            kind,
            deal,
            conversation,
            reason,
            outbox_id,
        } => delivery_failure(kind, *deal, conversation, reason, *outbox_id),
        Notice::TierChange {
            old,
            new,
            direction,
            revenue,
            factor,
        } => Card::saying(
            format!("Your partner tier: {new}"),
            crate::intent::wording::tier_words(
                (old.as_str(), new.as_str()),
                *direction,
                revenue,
                factor,
                &crate::teams::command::TEAMS,
            ),
        ),
        Notice::TierReview {
            text,
            without_admins,
        } => Card::saying(
            super::text::clip(text, 200),
            crate::intent::wording::tier_review_words(
                text,
                without_admins,
                &crate::teams::command::TEAMS,
            ),
        ),
        Notice::Nudge {
            partner_name,
            partner_conversation,
            quiet_days,
            news,
            alert,
        } => nudge(
            partner_name,
            partner_conversation,
            *quiet_days,
            news,
            *alert,
            room,
        ),
        Notice::PsatInvite {
            round,
            closes,
            answered,
            reminder,
        } => psat_invite(*round, closes, *answered, *reminder),
        Notice::PsatFollowup {
            round,
            user: who,
            partner_name,
            score,
            comment,
            handled_by,
        } => {
            let mut card = Card::saying(
                format!("Detractor follow-up: {partner_name} scored {score}"),
                format!(
                    "{} of {} answered **{score}** to the partner survey (round {round}).",
                    person(who),
                    bold(partner_name)
                ),
            );
            if !comment.is_empty() {
                card.push(quote(comment, room.text(1500)));
            }
            card.push(block("A quick call usually helps."));
            match handled_by {
                Some(by) => {
                    card.push(context(format!("Handled by {}", person(by))));
                }
                None => card.actions.push(execute(
                    Verb::MarkHandled,
                    "Mark handled",
                    json!({ "round": round, "user": who }),
                )),
            }
            card
        }
        Notice::PartnerLinked { partner } => {
            let mut card = Card::saying(
                format!(
                    "This channel is now linked to {} in {}",
                    partner.name, cards.program_name
                ),
                format!(
                    "Welcome to {}! This channel is now linked to {} ({} partner).",
                    bold(&cards.program_name),
                    bold(&partner.name),
                    partner.partner_type.as_str()
                ),
            );
            card.push(block("Register a deal with **deal register** (a form) or in one line: **deal register Acme Corp acme.com 50000**. **deal help** shows everything."));
            card.actions.push(register_deal(
                "Register a deal",
                json!({ "conversation": partner.conversation.id }),
            ));
            card
        }
        Notice::Note { about: _, by, text } => {
            let mut card = Card::new(super::text::clip(text, 200));
            let by = by
                .as_deref()
                .map(|b| format!("{} ", person(b)))
                .unwrap_or_default();
            card.push(block(format!("{by}{}", user(text, room.text(3000)))));
            card
        }
        other => anyhow::bail!("no Teams card for {other:?}"),
    })
}

pub(super) fn help(manager: bool, greeting: bool) -> Card {
    let mut card = Card::new("How to use partnerbot");
    if greeting {
        card.push(block(GREETING));
    }
    card.push(block(PARTNER_HELP));
    if manager {
        card.push(block(MANAGER_HELP));
    }
    card.push(context(
        "In a channel, mention the bot first: **@partnerbot deal list**.",
    ));
    card
}

fn delivery_failure(
    kind: &str,
    deal: Option<i64>,
    conversation: &str,
    reason: &str,
    outbox_id: i64,
) -> Card {
    let kind = kind.replace('_', " ");
    let mut card = Card::new(format!("A {kind} could not be delivered ({reason})"));
    let deal = deal
        .map(|d| format!(" for **{}**", crate::domain::DealId(d)))
        .unwrap_or_default();
    card.push(super::text::warning(format!(
        "A {} could not be delivered{deal} to {} for good: {}.",
        bold(&kind),
        escape(conversation),
        escape(reason)
    )));
    card.push(block(format!("**What to do:** {}", advice(reason))));
    card.push(context(format!(
        "Then re-send it with **partnerbot outbox retry {outbox_id}** (**partnerbot outbox list \\-\\-failed** shows every failed message). Further failures of this kind this hour are not reported again."
    )));
    card
}

/// What a person can do about a delivery failure's reason code.
fn advice(reason: &str) -> &'static str {
    let code = reason.split(": ").next().unwrap_or_default();
    match code {
        "no_conversation_reference" => "the bot has never heard from this conversation, so Teams cannot be reached there: install partnerbot in that team or chat (or have the person message the bot once), then retry.",
        "conversation_blocked" => "the bot was blocked or removed there: add partnerbot back to the team or chat (a person must unblock it in their chat).",
        "conversation_not_found" | "not_in_channel" | "channel_not_found" | "is_archived" => "make sure the conversation still exists and the bot is in it; if the partner moved, link the new conversation with **partners add** there.",
        "message_too_large" | "invalid_blocks" | "msg_too_long" => "the platform found the message too large or malformed. This is a partnerbot bug: please report it with the outbox id below.",
        "unauthorized" | "invalid_auth" | "token_revoked" => "the bot's credentials no longer work: check MICROSOFT\\_APP\\_ID, MICROSOFT\\_APP\\_PASSWORD and MICROSOFT\\_APP\\_TENANT\\_ID (or the Slack token) and restart partnerbot.",
        "unknown_outcome" => "the message may or may not have arrived and cannot be checked: look in the conversation, and retry only if it is missing.",
        _ => "see the bot's log for this outbox id.",
    }
}

fn nudge(
    partner_name: &str,
    conversation: &str,
    quiet_days: i64,
    news: &str,
    alert: bool,
    room: Room,
) -> Card {
    if alert {
        let heading = format!("{partner_name} has been quiet for {quiet_days} days");
        return Card::saying(heading, format!(
            "{} has registered nothing and updated no deal for **{quiet_days} days**. A call from you may bring them back.",
            bold(partner_name)
        ));
    }
    let mut card = Card::saying(
        "Anything new we can help you win?",
        "It's been a while! If you're working on something new with a customer, register it now and it's protected while you work it.",
    );
    if !news.is_empty() {
        card.push(block(format!(
            "**What's new:** {}",
            user(news, room.text(2000))
        )));
    }
    card.actions.push(register_deal(
        "Register a deal",
        json!({ "conversation": conversation }),
    ));
    card
}

/// The 0–10 question as two rows (Teams shows six buttons a row): 0–5 and 6–10.
fn psat_invite(round: i64, closes: &str, answered: Option<u8>, reminder: bool) -> Card {
    let question = crate::domain::survey::QUESTION;
    let summary = match answered {
        Some(n) => format!("Thanks! You answered {n}"),
        None => question.to_string(),
    };
    let mut card = Card::new(summary);
    let lead = if reminder {
        "A gentle reminder — "
    } else {
        ""
    };
    card.push(block(format!("{lead}**{question}**")));
    card.push(match answered {
        Some(n) => block(format!(
            "Thanks! You answered **{n}**. You can change it until {}.",
            escape(closes)
        )),
        None => block(format!(
            "0 = not at all likely, 10 = extremely likely. Open until {}.",
            escape(closes)
        )),
    });
    let button = |n: u8| {
        let label = match answered == Some(n) {
            true => format!("{n} ✓"),
            false => n.to_string(),
        };
        execute(
            Verb::SurveyScore,
            &label,
            json!({ "round": round, "score": n }),
        )
    };
    card.push(action_set((0..=5).map(button).collect()));
    card.push(action_set((6..=10).map(button).collect()));
    if answered.is_some() {
        card.actions.push(ask(
            "Add a comment",
            (INPUT_COMMENT, "Anything you would like to add?", 1000),
            Verb::SurveyComment,
            "Send",
            json!({ "round": round }),
        ));
    }
    card
}
