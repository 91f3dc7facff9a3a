//! Every button and form the bot renders, read with the values it carries, and malformed ones
//! with the exact refusal a person sees.

use super::*;
use crate::slack::refusals::button_refusal_text;
use ButtonIntent as B;

fn d(n: i64) -> DealId {
    DealId(n)
}

/// What a click reads as: the intent, or the words the person is shown.
fn clicked(action_id: &str, value: Option<&str>) -> Result<ButtonIntent, String> {
    parse_button(action_id, value).map_err(|r| button_refusal_text(&r))
}

const NOT_A_DEAL: &str = "is not a deal id: use the number shown on the deal, e.g. D-42";

fn bad_deal(given: &str) -> Result<ButtonIntent, String> {
    Err(format!("“{given}” {NOT_A_DEAL}"))
}

#[test]
fn every_rendered_button_reads_as_what_it_asks_for() {
    let review = |decision| B::Review {
        decision,
        deal: d(4),
    };
    let form = |form| B::OpenForm { form, deal: d(4) };
    let ae = |choice| B::AeAnswer { deal: d(4), choice };
    let extension = |grant| B::Extension { deal: d(4), grant };
    let score = |score| B::SurveyScore { round: 3, score };
    let cases = [
        // review_card, home_manager
        ("review_approve", Some("4"), review(Decision::Approve)),
        ("review_reject", Some("4"), review(Decision::Reject)),
        ("review_return", Some("4"), review(Decision::Return)),
        // decision_notice, home_partner
        ("resubmit_open", Some("4"), form(DealForm::Resubmit)),
        // deal_confirmation, already_ours, home_partner
        ("update_open", Some("4"), form(DealForm::Update)),
        // protection_notice, home_partner
        ("extend_open", Some("4"), form(DealForm::Extend)),
        // extension, home_manager
        ("extend_grant", Some("4"), extension(true)),
        ("extend_decline", Some("4"), extension(false)),
        // ae_alert, home_ae
        ("ae_acknowledge", Some("4"), ae(AeChoice::Acknowledge)),
        ("ae_cosell", Some("4"), ae(AeChoice::CoSell)),
        ("ae_dispute", Some("4"), ae(AeChoice::Dispute)),
        // nudge, home_partner
        (
            "register_open",
            Some("C0GLOBEX"),
            B::Register {
                channel: Some("C0GLOBEX".into()),
            },
        ),
        ("register_open", None, B::Register { channel: None }),
        // psat_invite
        ("psat_score_0", Some("3:0"), score(0)),
        ("psat_score_7", Some("3:7"), score(7)),
        ("psat_score_10", Some("3:10"), score(10)),
        ("psat_comment", Some("3"), B::SurveyComment { round: 3 }),
        // psat_followup
        (
            "psat_handled",
            Some("3:U0ALICE"),
            B::SurveyHandled {
                round: 3,
                user: "U0ALICE".into(),
            },
        ),
        // home_partner, home_manager, home_ae
        ("home_page", Some("1"), B::HomePage(1)),
        ("home_page", Some("3"), B::HomePage(3)),
    ];
    for (action_id, value, expected) in cases {
        assert_eq!(
            clicked(action_id, value),
            Ok(expected),
            "{action_id} {value:?}"
        );
    }
}

#[test]
fn deal_buttons_accept_every_way_a_deal_is_written() {
    for value in ["4", "D-4", "d4", "#4", " 4 "] {
        assert_eq!(
            clicked("update_open", Some(value)),
            Ok(B::OpenForm {
                form: DealForm::Update,
                deal: d(4)
            }),
            "{value}"
        );
    }
}

#[test]
fn malformed_buttons_are_refused_with_the_words_shown() {
    let unknown =
        "That button isn't something I can act on (yet). Try `/deal help` for what I can do.";
    let answer = "That answer could not be read.";
    let cases: [(&str, Option<&str>, Result<ButtonIntent, String>); 19] = [
        ("review_approve", None, bad_deal("")),
        ("review_approve", Some("D-x"), bad_deal("D-x")),
        ("review_reject", Some("0"), bad_deal("0")),
        ("review_return", Some("-4"), bad_deal("-4")),
        ("resubmit_open", Some(""), bad_deal("")),
        (
            "update_open",
            Some("D-99999999999999999999999"),
            bad_deal("D-99999999999999999999999"),
        ),
        ("extend_open", Some("four"), bad_deal("four")),
        ("extend_grant", Some("4:1"), bad_deal("4:1")),
        ("extend_decline", Some("D-1\u{0}"), bad_deal("D-1\u{0}")),
        ("ae_cosell", Some("x"), bad_deal("x")),
        ("psat_comment", Some("three"), Err(answer.into())),
        (
            "psat_handled",
            Some("U0ALICE"),
            Err("That follow-up could not be read.".into()),
        ),
        (
            "psat_handled",
            Some("x:U0ALICE"),
            Err("That follow-up could not be read.".into()),
        ),
        ("ae_shrug", Some("4"), Err(unknown.into())),
        ("approve", Some("D-1"), Err(unknown.into())),
        ("psat_score", Some("1:1"), Err(unknown.into())),
        ("extend_request", Some("4"), Err(unknown.into())),
        ("", None, Err(unknown.into())),
        ("REVIEW_APPROVE", Some("4"), Err(unknown.into())),
    ];
    for (action_id, value, expected) in cases {
        assert_eq!(clicked(action_id, value), expected, "{action_id} {value:?}");
    }
}

#[test]
fn a_score_button_without_a_round_and_a_score_of_0_to_10_is_refused() {
    for value in [Some("3"), Some("3:11"), Some("x:7"), Some("3:-1"), None] {
        let refused = Err("That answer could not be read.".to_string());
        assert_eq!(clicked("psat_score_7", value), refused, "{value:?}");
    }
}

#[test]
fn a_page_button_without_a_page_shows_the_first() {
    for value in [None, Some(""), Some("0"), Some("x"), Some("-2")] {
        assert_eq!(clicked("home_page", value), Ok(B::HomePage(1)), "{value:?}");
    }
}

#[test]
fn every_button_in_the_templates_is_one_the_bot_acts_on() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("templates") {
        let path = entry.expect("entry").path();
        for file in std::fs::read_dir(&path).expect("template folder") {
            let text = std::fs::read_to_string(file.expect("file").path()).expect("text");
            for button in text.split(r#""type": "button", "action_id": ""#).skip(1) {
                let id = button.split('"').next().unwrap_or_default();
                let id = id.replace("{{ n }}", "5");
                let read = parse_button(&id, None);
                assert!(
                    !matches!(read, Err(ButtonRefusal::UnknownButton(_))),
                    "{} renders {id}, which is not acted on",
                    path.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 25, "found only {seen} buttons");
}

/// What a submission reads as: the intent, or the field and words of the refusal.
fn submitted(callback_id: &str, metadata: &str) -> Result<FormIntent, (&'static str, String)> {
    parse_submission(callback_id, metadata).map_err(|r| match r {
        FormRefusal::Unknown(id) => ("unknown", id),
        FormRefusal::Unreadable { field, why } => (field, button_refusal_text(&why)),
    })
}

#[test]
fn every_form_the_bot_opens_reads_as_what_it_submits() {
    let source = SourceMessage {
        conversation: "C0GLOBEX".into(),
        id: "1700000001.000100".into(),
        link: None,
    };
    let with_source = serde_json::json!({ "channel": "C0GLOBEX", "source": source }).to_string();
    let cases = [
        (
            REGISTRATION_CALLBACK,
            r#"{"channel":"C0GLOBEX"}"#.to_string(),
            FormIntent::Register {
                channel: Some("C0GLOBEX".into()),
                correcting: None,
                source: None,
            },
        ),
        (
            REGISTRATION_CALLBACK,
            r#"{"channel":"C0GLOBEX","deal":4}"#.to_string(),
            FormIntent::Register {
                channel: Some("C0GLOBEX".into()),
                correcting: Some(d(4)),
                source: None,
            },
        ),
        (
            REGISTRATION_CALLBACK,
            with_source,
            FormIntent::Register {
                channel: Some("C0GLOBEX".into()),
                correcting: None,
                source: Some(source.clone()),
            },
        ),
        // Unreadable metadata: a new registration from no channel, as before.
        (
            REGISTRATION_CALLBACK,
            "junk".to_string(),
            FormIntent::Register {
                channel: None,
                correcting: None,
                source: None,
            },
        ),
        (
            "psat_comment",
            "3".to_string(),
            FormIntent::SurveyComment { round: 3 },
        ),
        (
            "deal_update",
            r#"{"deal":4,"channel":"C0GLOBEX"}"#.to_string(),
            FormIntent::Update {
                deal: d(4),
                channel: Some("C0GLOBEX".into()),
            },
        ),
        (
            "extend_request",
            r#"{"deal":4,"channel":null}"#.to_string(),
            FormIntent::Extension {
                deal: d(4),
                channel: None,
            },
        ),
        (
            "review_reject",
            "4".to_string(),
            FormIntent::Decision {
                decision: Decision::Reject,
                deal: d(4),
            },
        ),
        (
            "review_return",
            "4".to_string(),
            FormIntent::Decision {
                decision: Decision::Return,
                deal: d(4),
            },
        ),
    ];
    for (callback_id, metadata, expected) in cases {
        assert_eq!(
            submitted(callback_id, &metadata),
            Ok(expected),
            "{callback_id} {metadata}"
        );
    }
}

#[test]
fn malformed_forms_are_refused_under_the_field_shown() {
    let bad = |given: &str| format!("“{given}” {NOT_A_DEAL}");
    let cases = [
        ("deal_update", "", ("stage", bad(""))),
        ("deal_update", r#"{"deal":"4"}"#, ("stage", bad(""))),
        ("deal_update", r#"{"deal":0}"#, ("stage", bad("0"))),
        (
            "extend_request",
            r#"{"channel":"C1"}"#,
            ("justification", bad("")),
        ),
        ("review_reject", "D-x", ("note", bad("D-x"))),
        ("review_return", "", ("note", bad(""))),
        (
            "psat_comment",
            "x",
            ("comment", "That answer could not be read.".to_string()),
        ),
        (
            "old_callback",
            "{}",
            ("unknown", "old_callback".to_string()),
        ),
        ("", "", ("unknown", String::new())),
    ];
    for (callback_id, metadata, expected) in cases {
        assert_eq!(
            submitted(callback_id, metadata),
            Err(expected),
            "{callback_id} {metadata}"
        );
    }
}
