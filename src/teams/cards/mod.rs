//! Notices and answers as Teams messages: each [`Notice`] and each [`Answer`] rendered to one
//! Adaptive Card 1.5 in a message activity, at the moment it is delivered or answered. The
//! wording follows the Slack templates; buttons are `Action.Execute` verbs ([`verbs::Verb`]).
//!
//! **Budget.** Every card fits [`CARD_BUDGET_BYTES`] of UTF-8 JSON (Teams refuses larger
//! messages with 413, and its documented limit has moved between 28 and 100 KB): a card is
//! built with its lists at full length and long texts clipped as Slack clips them, measured, and
//! rebuilt with shorter lists ("…and N more") and shorter texts until it fits. A card that still
//! does not fit is an error, never a message Teams refuses.

mod answers;
mod commands;
mod digest;
mod notices;
mod program;
mod protection;
pub mod text;
pub mod verbs;

use crate::notice::Notice;
use crate::service::Answer;
use serde_json::{json, Value};

pub use answers::{FORM_EXTENSION, FORM_REGISTRATION, FORM_UPDATE};
pub use commands::PARTNERS_PER_PAGE;
pub use digest::fit_chart;

/// Largest card partnerbot sends: 28 KB of UTF-8 JSON (teams.md §2.9).
pub const CARD_BUDGET_BYTES: usize = 28 * 1024;

/// The Adaptive Card version Teams supports for bot cards, and Universal Actions need.
pub const CARD_VERSION: &str = "1.5";

/// The attachment content type of an Adaptive Card.
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

/// How much of a card's lists and texts a build may use: everything at first, less each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Room {
    /// Percentage of each list's usual length.
    share: usize,
    /// Longest user text, in characters.
    text: usize,
}

/// The rounds of [`fit`], from the usual lengths down to a bare card.
const ROUNDS: [Room; 6] = [
    Room {
        share: 100,
        text: usize::MAX,
    },
    Room {
        share: 50,
        text: 1500,
    },
    Room {
        share: 30,
        text: 600,
    },
    Room {
        share: 10,
        text: 300,
    },
    Room {
        share: 0,
        text: 200,
    },
    Room { share: 0, text: 60 },
];

impl Room {
    /// How many of a list usually cut at `usual` fit this round.
    pub(crate) fn items(self, usual: usize) -> usize {
        usual * self.share / 100
    }

    /// The clip length of a text usually clipped at `usual`.
    pub(crate) fn text(self, usual: usize) -> usize {
        usual.min(self.text)
    }
}

/// A card being built: body elements, card-level buttons, and its refresh action.
#[derive(Debug, Default)]
pub(crate) struct Card {
    /// The activity's plain-text summary (notifications); never inside the card, where it
    /// would be read as markdown.
    pub summary: String,
    pub body: Vec<Value>,
    pub actions: Vec<Value>,
    pub refresh: Option<Value>,
}

impl Card {
    pub(crate) fn new(summary: impl Into<String>) -> Card {
        Card {
            summary: summary.into(),
            ..Card::default()
        }
    }

    /// A card summarised as `summary` whose first paragraph is `text` (markdown).
    pub(crate) fn saying(summary: impl Into<String>, text: impl Into<String>) -> Card {
        let mut card = Card::new(summary);
        card.push(text::block(text));
        card
    }

    pub(crate) fn push(&mut self, element: Value) -> &mut Card {
        self.body.push(element);
        self
    }

    /// The Adaptive Card JSON.
    fn content(&self) -> Value {
        let mut card = json!({
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": CARD_VERSION,
            "body": self.body,
            "msteams": { "width": "Full" },
        });
        if !self.actions.is_empty() {
            card["actions"] = json!(self.actions);
        }
        if let Some(refresh) = &self.refresh {
            card["refresh"] = refresh.clone();
        }
        card
    }
}

/// UTF-8 bytes of `card` as JSON.
pub fn card_size(card: &Value) -> usize {
    card.to_string().len()
}

/// Builds with each [`Room`] in turn until the card fits the budget.
pub(crate) fn fit(build: impl Fn(Room) -> anyhow::Result<Card>) -> anyhow::Result<Rendered> {
    let mut last = 0;
    for room in ROUNDS {
        let card = build(room)?;
        let content = card.content();
        last = card_size(&content);
        if last <= CARD_BUDGET_BYTES {
            return Ok(Rendered {
                summary: card.summary,
                card: content,
            });
        }
    }
    anyhow::bail!("the card is {last} bytes even with its lists cut, over Teams' budget of {CARD_BUDGET_BYTES}")
}

/// A rendered card and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub summary: String,
    /// The Adaptive Card (an invoke answers with it alone).
    pub card: Value,
}

impl Rendered {
    /// The message activity carrying the card (one attachment, no text: Teams splits a message
    /// with both, and then gives no id to update it by).
    pub fn activity(&self) -> Value {
        json!({
            "type": "message",
            "summary": self.summary,
            "attachments": [{ "contentType": CARD_CONTENT_TYPE, "content": self.card }],
        })
    }
}

/// Renders partnerbot's cards for one program. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Cards {
    program_name: String,
    default_currency: String,
}

impl Cards {
    /// Cards for the program named `program_name`, whose forms suggest `default_currency`.
    pub fn new(program_name: &str, default_currency: &str) -> Cards {
        Cards {
            program_name: program_name.to_string(),
            default_currency: default_currency.to_ascii_uppercase(),
        }
    }

    /// The card for `notice`, within the budget.
    pub fn notice(&self, notice: &Notice) -> anyhow::Result<Rendered> {
        fit(|room| self.build_notice(notice, room))
    }

    /// The card answering the person who asked, within the budget.
    pub fn answer(&self, answer: &Answer) -> anyhow::Result<Rendered> {
        fit(|room| answers::build(self, answer, room))
    }

    fn build_notice(&self, notice: &Notice, room: Room) -> anyhow::Result<Card> {
        Ok(match notice {
            Notice::DigestChart { week, png_base64 } => digest::chart_card(week, png_base64, room)?,
            Notice::Digest {
                week,
                partners,
                sections,
                chart_png_base64,
            } => digest::digest_card(week, *partners, sections, chart_png_base64.as_deref(), room)?,
            other => match notices::build(other, room) {
                Some(card) => card,
                None => program::build(self, other, room)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card of `lines` list items of `text` each, cut to the round's room.
    fn list_card(lines: usize, text: &str, room: Room) -> anyhow::Result<Card> {
        let mut card = Card::new("list");
        let shown = room.items(lines);
        for _ in 0..shown {
            card.push(text::block(text::user(text, room.text(5000))));
        }
        Ok(card)
    }

    #[test]
    fn a_card_that_fits_is_built_once_with_everything() {
        let fitted = fit(|room| list_card(10, &"x".repeat(2000), room)).expect("fits");
        assert_eq!(fitted.card["body"].as_array().map(Vec::len), Some(10));
        assert!(
            fitted.card.to_string().contains(&"x".repeat(2000)),
            "no text clipped"
        );
    }

    #[test]
    fn a_card_over_the_budget_is_rebuilt_with_shorter_lists_and_texts() {
        let fitted = fit(|room| list_card(100, &"*".repeat(3000), room)).expect("fits");
        assert!(card_size(&fitted.card) <= CARD_BUDGET_BYTES);
        let shown = fitted.card["body"].as_array().map(Vec::len).unwrap_or(0);
        assert!(shown > 0 && shown < 100, "{shown}");
        let never = fit(|_| {
            let mut card = Card::new("huge");
            card.push(json!({ "type": "TextBlock", "text": "x".repeat(CARD_BUDGET_BYTES) }));
            Ok(card)
        });
        assert!(
            never.is_err(),
            "what cannot be cut is an error, not a refused message"
        );
    }
}
