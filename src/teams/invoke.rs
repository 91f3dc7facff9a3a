//! Invoke activities (`type: "invoke"`) read into what they ask for, and the answers Teams
//! expects in the HTTP response (teams.md §2.2, §2.3):
//!
//! - `task/fetch` → a TaskModuleResponse `continue` with the dialog's card;
//! - `task/submit` → `continue` with the form again (each field's error next to it, the values
//!   kept) or `message` (the dialog closes with a text);
//! - `adaptiveCard/action` (`Action.Execute`) → `statusCode` 200 with the card as it now is
//!   (`application/vnd.microsoft.card.adaptive`, shown to the clicker only), or 400
//!   `application/vnd.microsoft.error` with a message the client shows next to the card.

use super::cards::text::user;
use super::cards::verbs::{Verb, INPUT_COMMENT, INPUT_JUSTIFICATION, INPUT_REASON};
use super::cards::{card_size, Rendered, CARD_BUDGET_BYTES, CARD_CONTENT_TYPE};
use crate::domain::engagement::{AeChoice, Decision};
use crate::domain::survey::parse_score;
use crate::domain::DealId;
use crate::intent::ButtonRefusal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The invoke name of a dialog opening.
pub const TASK_FETCH: &str = "task/fetch";
/// The invoke name of a dialog's submit.
pub const TASK_SUBMIT: &str = "task/submit";
/// The invoke name of an `Action.Execute` click (Universal Actions).
pub const CARD_ACTION: &str = "adaptiveCard/action";

/// Longest error text shown under a field or at the top of a card.
const ERROR_CHARS: usize = 500;

/// What an invoke asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invoke {
    /// A dialog opens (`task/fetch`) or is submitted (`task/submit`); `data` is the button's
    /// data merged with the form's inputs.
    Dialog {
        submit: bool,
        data: Map<String, Value>,
    },
    /// An `Action.Execute` button: its verb (`None` for a verb we do not know, named in
    /// `raw_verb`) and its data merged with the card's inputs.
    Action {
        verb: Option<Verb>,
        raw_verb: String,
        data: Map<String, Value>,
    },
    /// Any other invoke (answered with a bare 200).
    Other(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Body {
    name: String,
    value: Value,
}

/// The invoke in `body`; the error names what is wrong.
pub fn parse(body: &[u8]) -> Result<Invoke, String> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| format!("the invoke is not a Bot Framework activity: {e}"))?;
    let object = |v: &Value| v.as_object().cloned().unwrap_or_default();
    Ok(match body.name.as_str() {
        TASK_FETCH | TASK_SUBMIT => Invoke::Dialog {
            submit: body.name == TASK_SUBMIT,
            data: object(&body.value["data"]),
        },
        CARD_ACTION => {
            let action = &body.value["action"];
            let raw_verb = action["verb"].as_str().unwrap_or_default().to_string();
            Invoke::Action {
                verb: Verb::parse(&raw_verb),
                raw_verb,
                data: object(&action["data"]),
            }
        }
        other => Invoke::Other(other.to_string()),
    })
}

/// What an `Action.Execute` click asks for, its arguments read once from the button's data
/// (and the inputs Teams merged into it).
#[derive(Debug, Clone, PartialEq)]
pub enum Click {
    /// A manager decides `deal`, with the reason or question typed next to the buttons.
    Review {
        decision: Decision,
        deal: DealId,
        reason: String,
    },
    /// The review card of `deal` as it stands (Teams refreshing it).
    Refresh(DealId),
    /// The form of `verb` shown on the card, or submitted from it (the data says which).
    Form(Verb),
    /// A partner asks for more protection on `deal`.
    Extend { deal: DealId, justification: String },
    /// A manager grants or declines the waiting extension request of `deal`.
    Extension { deal: DealId, grant: bool },
    /// An AE's answer to an alert about `deal`.
    AeAnswer { deal: DealId, choice: AeChoice },
    /// A partner's 0–10 answer to survey `round`.
    SurveyScore { round: i64, score: u8 },
    /// A partner's comment on their answer to survey `round`.
    SurveyComment { round: i64, comment: String },
    /// A manager marks `user`'s detractor follow-up of `round` handled.
    MarkHandled { round: i64, user: String },
}

/// The click of the button `verb` carrying `data`, or why it cannot be read.
pub fn click(verb: Verb, data: &Map<String, Value>) -> Result<Click, ButtonRefusal> {
    let deal = || {
        let given = text(data, "deal");
        given
            .parse::<DealId>()
            .map_err(|_| ButtonRefusal::BadDealId(given.trim().to_string()))
    };
    let round = |why: ButtonRefusal| text(data, "round").parse::<i64>().map_err(|_| why);
    let review = |decision| -> Result<Click, ButtonRefusal> {
        let reason = text(data, INPUT_REASON);
        Ok(Click::Review {
            decision,
            deal: deal()?,
            reason,
        })
    };
    let ae = |choice| {
        Ok(Click::AeAnswer {
            deal: deal()?,
            choice,
        })
    };
    match verb {
        Verb::Approve => review(Decision::Approve),
        Verb::Reject => review(Decision::Reject),
        Verb::Return => review(Decision::Return),
        Verb::Refresh => Ok(Click::Refresh(deal()?)),
        Verb::UpdateDeal | Verb::Resubmit => Ok(Click::Form(verb)),
        Verb::Extend if data.contains_key("form") => Ok(Click::Form(verb)),
        Verb::Extend => Ok(Click::Extend {
            deal: deal()?,
            justification: text(data, INPUT_JUSTIFICATION),
        }),
        Verb::ExtendGrant | Verb::ExtendDecline => Ok(Click::Extension {
            deal: deal()?,
            grant: verb == Verb::ExtendGrant,
        }),
        Verb::AeAck => ae(AeChoice::Acknowledge),
        Verb::AeCosell => ae(AeChoice::CoSell),
        Verb::AeDispute => ae(AeChoice::Dispute),
        Verb::SurveyScore => {
            let score = parse_score(&text(data, "score")).ok_or(ButtonRefusal::BadSurveyAnswer);
            Ok(Click::SurveyScore {
                round: round(ButtonRefusal::BadSurveyAnswer)?,
                score: score?,
            })
        }
        Verb::SurveyComment => Ok(Click::SurveyComment {
            round: round(ButtonRefusal::BadSurveyAnswer)?,
            comment: text(data, INPUT_COMMENT),
        }),
        Verb::MarkHandled => Ok(Click::MarkHandled {
            round: round(ButtonRefusal::BadFollowup)?,
            user: text(data, "user"),
        }),
    }
}

/// The text of `key` in invoke data: strings as sent, numbers written out, else empty.
pub fn text(data: &Map<String, Value>, key: &str) -> String {
    match data.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A dialog showing `card` (TaskModuleResponse `continue`).
pub fn dialog(title: &str, card: &Rendered) -> Value {
    json!({ "task": { "type": "continue", "value": {
        "title": title, "width": "medium", "height": "large",
        "card": { "contentType": CARD_CONTENT_TYPE, "content": card.card },
    } } })
}

/// The dialog closes, showing `text` (TaskModuleResponse `message`).
pub fn dialog_closed(text: &str) -> Value {
    json!({ "task": { "type": "message", "value": text } })
}

/// `card` replaces the clicked card for the clicker.
pub fn card_answer(card: &Rendered) -> Value {
    json!({ "statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card.card })
}

/// The click is refused with `message`; the card stays as it was.
pub fn refusal(message: &str) -> Value {
    json!({ "statusCode": 400, "type": "application/vnd.microsoft.error",
            "value": { "code": "BadRequest", "message": message } })
}

/// A red line of text (`message`, escaped) as an element of a card.
fn attention(message: &str) -> Value {
    json!({ "type": "TextBlock", "text": user(message, ERROR_CHARS), "wrap": true,
            "color": "attention", "weight": "bolder" })
}

/// `card` with `message` in red at its top, when that still fits Teams' budget.
pub fn with_banner(card: &Rendered, message: &str) -> Option<Rendered> {
    prepended(card, attention(message))
}

/// `card` with `message` (a thank-you, a confirmation) at its top, when that still fits.
pub fn with_note(card: &Rendered, message: &str) -> Option<Rendered> {
    let line = json!({ "type": "TextBlock", "text": user(message, ERROR_CHARS), "wrap": true, "color": "good" });
    prepended(card, line)
}

fn prepended(card: &Rendered, element: Value) -> Option<Rendered> {
    let mut shown = card.clone();
    let body = shown.card.get_mut("body")?.as_array_mut()?;
    body.insert(0, element);
    (card_size(&shown.card) <= CARD_BUDGET_BYTES).then_some(shown)
}

/// The form `card` again with what the person typed (`values`, by input id, each clipped to
/// its input's `maxLength`) and each error in red under its input (`errors`, by input id; an
/// error for no input goes at the top). Within Teams' budget: if the values typed would break
/// it, the form comes back with the errors alone.
pub fn with_errors(
    card: &Rendered,
    values: &Map<String, Value>,
    errors: &[(String, String)],
) -> Rendered {
    let shown = errors_and_values(card, values, errors);
    match card_size(&shown.card) <= CARD_BUDGET_BYTES {
        true => shown,
        false => errors_and_values(card, &Map::new(), errors),
    }
}

/// `value` as an input of at most `max` characters takes it.
fn clipped(value: &Value, max: Option<u64>) -> Value {
    match (value, max.and_then(|m| usize::try_from(m).ok())) {
        (Value::String(s), Some(max)) => s.chars().take(max).collect::<String>().into(),
        (other, _) => other.clone(),
    }
}

fn errors_and_values(
    card: &Rendered,
    values: &Map<String, Value>,
    errors: &[(String, String)],
) -> Rendered {
    let mut shown = card.clone();
    let mut placed = vec![false; errors.len()];
    if let Some(body) = shown.card.get_mut("body").and_then(Value::as_array_mut) {
        let mut out = Vec::with_capacity(body.len() + errors.len());
        for mut element in body.drain(..) {
            let id = element["id"].as_str().unwrap_or_default().to_string();
            if let Some(value) = values.get(&id).filter(|v| !id.is_empty() && !v.is_null()) {
                element["value"] = clipped(value, element["maxLength"].as_u64());
            }
            out.push(element);
            for (i, (field, message)) in errors.iter().enumerate() {
                if !id.is_empty() && *field == id {
                    out.push(attention(message));
                    placed[i] = true;
                }
            }
        }
        let unplaced: Vec<Value> = errors
            .iter()
            .zip(&placed)
            .filter(|(_, p)| !**p)
            .map(|((_, m), _)| attention(m))
            .collect();
        out.splice(0..0, unplaced);
        *body = out;
    }
    shown
}

/// A dialog's form as a card of its own (for a button that cannot open a dialog): its
/// `Action.Submit` buttons become `Action.Execute` with `verb`, keeping their data.
pub fn inline_form(card: &Rendered, verb: Verb) -> Rendered {
    let mut shown = card.clone();
    if let Some(actions) = shown.card.get_mut("actions").and_then(Value::as_array_mut) {
        for action in actions.iter_mut().filter(|a| a["type"] == "Action.Submit") {
            action["type"] = "Action.Execute".into();
            action["verb"] = verb.as_str().into();
        }
    }
    shown
}

/// The closing text after a returned registration was corrected and sent back.
pub fn resubmitted_text(id: &str, company: &str, status: &str) -> String {
    format!("Resubmitted {id} · {company} ({status}): it is back with the partner managers.")
}

/// The dialog's closing text after a registration: the deal, and what happens next.
pub fn registered_text(id: &str, company: &str, status: &str, own_duplicate: bool) -> String {
    match own_duplicate {
        true => format!("{company} is already registered by your team as {id} ({status}). Nothing new was registered; use Update deal on its confirmation to change it."),
        false => format!("Registered {id} · {company} ({status}). Its confirmation and every update are posted in your channel."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(card: Value) -> Rendered {
        Rendered {
            summary: "s".into(),
            card,
        }
    }

    #[test]
    fn the_real_execute_invoke_reads_as_its_verb_and_data() {
        let fixture =
            include_str!("../../tests/data/teams/teams_adaptive_card_execute_invoke.json");
        let Ok(Invoke::Action {
            verb,
            raw_verb,
            data,
        }) = parse(fixture.as_bytes())
        else {
            panic!("an action");
        };
        assert_eq!(
            (verb, raw_verb.as_str()),
            (None, ""),
            "this card names no verb"
        );
        assert_eq!(text(&data, "feedback"), "test invokes");
        let fetch = json!({ "type": "invoke", "name": "task/fetch", "value": { "data": { "flow": "register_deal" } } });
        assert_eq!(
            parse(fetch.to_string().as_bytes()),
            Ok(Invoke::Dialog {
                submit: false,
                data: json!({ "flow": "register_deal" })
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
        );
        let other = json!({ "type": "invoke", "name": "signin/verifyState" });
        assert_eq!(
            parse(other.to_string().as_bytes()),
            Ok(Invoke::Other("signin/verifyState".into()))
        );
        assert!(parse(b"[").is_err());
    }

    /// What a click on `verb` with `data` reads as, or the words of its refusal.
    fn clicked(verb: Verb, data: Value) -> Result<Click, String> {
        let data = data.as_object().cloned().unwrap_or_default();
        click(verb, &data).map_err(|r| {
            crate::intent::wording::button_refusal_text(&r, &crate::teams::command::TEAMS_PLAIN)
        })
    }

    #[test]
    fn every_card_button_reads_with_typed_arguments() {
        let d4 = DealId(4);
        let review = |decision, reason: &str| Click::Review {
            decision,
            deal: d4,
            reason: reason.into(),
        };
        let ae = |choice| Click::AeAnswer { deal: d4, choice };
        let cases = [
            (
                Verb::Approve,
                json!({ "deal": 4 }),
                review(Decision::Approve, ""),
            ),
            (
                Verb::Reject,
                json!({ "deal": "4", "reason": "no" }),
                review(Decision::Reject, "no"),
            ),
            (
                Verb::Return,
                json!({ "deal": "D-4", "reason": "why?" }),
                review(Decision::Return, "why?"),
            ),
            (Verb::Refresh, json!({ "deal": 4 }), Click::Refresh(d4)),
            (
                Verb::UpdateDeal,
                json!({ "deal": 4 }),
                Click::Form(Verb::UpdateDeal),
            ),
            (
                Verb::Resubmit,
                json!({ "deal": 4 }),
                Click::Form(Verb::Resubmit),
            ),
            (
                Verb::Extend,
                json!({ "deal": 4, "form": "x" }),
                Click::Form(Verb::Extend),
            ),
            (
                Verb::Extend,
                json!({ "deal": 4, "justification": "big" }),
                Click::Extend {
                    deal: d4,
                    justification: "big".into(),
                },
            ),
            (
                Verb::ExtendGrant,
                json!({ "deal": 4 }),
                Click::Extension {
                    deal: d4,
                    grant: true,
                },
            ),
            (
                Verb::ExtendDecline,
                json!({ "deal": 4 }),
                Click::Extension {
                    deal: d4,
                    grant: false,
                },
            ),
            (Verb::AeAck, json!({ "deal": 4 }), ae(AeChoice::Acknowledge)),
            (Verb::AeCosell, json!({ "deal": 4 }), ae(AeChoice::CoSell)),
            (Verb::AeDispute, json!({ "deal": 4 }), ae(AeChoice::Dispute)),
            (
                Verb::SurveyScore,
                json!({ "round": 3, "score": 9 }),
                Click::SurveyScore { round: 3, score: 9 },
            ),
            (
                Verb::SurveyComment,
                json!({ "round": "3", "comment": "ok" }),
                Click::SurveyComment {
                    round: 3,
                    comment: "ok".into(),
                },
            ),
            (
                Verb::MarkHandled,
                json!({ "round": 3, "user": "29:1alice" }),
                Click::MarkHandled {
                    round: 3,
                    user: "29:1alice".into(),
                },
            ),
        ];
        for (verb, data, expected) in cases {
            assert_eq!(clicked(verb, data.clone()), Ok(expected), "{verb:?} {data}");
        }
    }

    #[test]
    fn malformed_card_buttons_are_refused_with_the_words_shown() {
        let bad = |given: &str| {
            Err(format!(
                "“{given}” is not a deal id: use the number shown on the deal, e.g. D-42"
            ))
        };
        let answer = Err("That answer could not be read.".to_string());
        let cases = [
            (Verb::Approve, json!({}), bad("")),
            (
                Verb::Reject,
                json!({ "deal": "x", "reason": "no" }),
                bad("x"),
            ),
            (Verb::Refresh, json!({ "deal": 0 }), bad("0")),
            (Verb::Extend, json!({ "deal": true }), bad("true")),
            (Verb::ExtendGrant, json!({ "deal": [4] }), bad("")),
            (Verb::AeCosell, json!({ "deal": "D-x" }), bad("D-x")),
            (
                Verb::SurveyScore,
                json!({ "round": 3, "score": 11 }),
                answer.clone(),
            ),
            (
                Verb::SurveyScore,
                json!({ "round": "x", "score": 1 }),
                answer.clone(),
            ),
            (Verb::SurveyScore, json!({ "round": 3 }), answer.clone()),
            (Verb::SurveyComment, json!({ "comment": "hi" }), answer),
            (
                Verb::MarkHandled,
                json!({ "round": "x", "user": "29:1a" }),
                Err("That follow-up could not be read.".to_string()),
            ),
        ];
        for (verb, data, expected) in cases {
            assert_eq!(clicked(verb, data.clone()), expected, "{verb:?} {data}");
        }
    }

    #[test]
    fn errors_go_under_their_fields_and_values_are_kept() {
        let card = rendered(json!({ "type": "AdaptiveCard", "body": [
            { "type": "TextBlock", "text": "Register" },
            { "type": "Input.Text", "id": "company" },
            { "type": "Input.Text", "id": "domain", "value": "old" },
        ] }));
        let values = json!({ "company": "Acme", "domain": "acme" });
        let errors = vec![
            ("domain".to_string(), "“acme” is not a *domain*".to_string()),
            ("partner".to_string(), "Not linked".to_string()),
        ];
        let shown = with_errors(&card, values.as_object().expect("map"), &errors);
        let body = shown.card["body"].as_array().expect("body");
        let ids: Vec<&str> = body
            .iter()
            .map(|e| {
                e["id"]
                    .as_str()
                    .unwrap_or(e["color"].as_str().unwrap_or("-"))
            })
            .collect();
        assert_eq!(ids, ["attention", "-", "company", "domain", "attention"]);
        assert_eq!(body[2]["value"], "Acme");
        assert_eq!(body[3]["value"], "acme");
        assert_eq!(body[4]["text"], "“acme” is not a \\*domain\\*", "escaped");
    }

    #[test]
    fn hostile_values_never_break_the_budget() {
        let card = rendered(json!({ "type": "AdaptiveCard", "body": [
            { "type": "Input.Text", "id": "notes", "maxLength": 3000 },
            { "type": "Input.Text", "id": "company" },
        ] }));
        let huge = "\u{1F600}".repeat(100_000);
        let values = json!({ "notes": huge, "company": huge });
        let errors = vec![("company".to_string(), "x".repeat(10_000))];
        let shown = with_errors(&card, values.as_object().expect("map"), &errors);
        assert!(card_size(&shown.card) <= CARD_BUDGET_BYTES);
        assert!(
            shown.card["body"][1].get("value").is_none(),
            "values dropped"
        );
        assert_eq!(
            shown.card["body"][2]["color"], "attention",
            "the error stays"
        );
        let fits = json!({ "notes": huge });
        let shown = with_errors(&card, fits.as_object().expect("map"), &[]);
        let kept = shown.card["body"][0]["value"].as_str().unwrap_or_default();
        assert_eq!(
            kept.chars().count(),
            3000,
            "clipped to the input's maxLength"
        );
    }

    #[test]
    fn an_inline_form_submits_with_a_verb() {
        let card = rendered(json!({ "type": "AdaptiveCard", "body": [], "actions": [
            { "type": "Action.Submit", "title": "Save", "data": { "form": "deal_update", "metadata": "{}" } },
        ] }));
        let inline = inline_form(&card, Verb::UpdateDeal);
        assert_eq!(inline.card["actions"][0]["type"], "Action.Execute");
        assert_eq!(inline.card["actions"][0]["verb"], "update_deal");
        assert_eq!(inline.card["actions"][0]["data"]["form"], "deal_update");
    }

    #[test]
    fn a_banner_that_would_break_the_budget_is_left_out() {
        let small = rendered(json!({ "type": "AdaptiveCard", "body": [] }));
        let shown = with_banner(&small, "Only partner managers can do that.").expect("fits");
        assert_eq!(shown.card["body"][0]["color"], "attention");
        let full = rendered(json!({ "type": "AdaptiveCard", "body": [
            { "type": "TextBlock", "text": "x".repeat(CARD_BUDGET_BYTES - 100) },
        ] }));
        assert!(with_banner(&full, &"why ".repeat(100)).is_none());
    }
}
