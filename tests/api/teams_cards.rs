//! Every notice kind and every inline answer rendered as a Teams Adaptive Card
//! (`partnerbot::teams::cards`), pinned by an `insta` snapshot each, and checked against what
//! Teams accepts: one Adaptive Card 1.5 attachment, at most 28 KB, at most six buttons a row,
//! user text escaped, no Slack markup. The largest realistic notices (hundreds of matches,
//! texts full of characters escaping lengthens) still fit, cut with "…and N more"; the digest's
//! chart is embedded, shrunk or left out to fit.
//!
//! Snapshots live in `tests/api/snapshots/teams_cards/`, one per case. Accept changes with
//! `INSTA_UPDATE=always cargo test --test api teams_cards` and review the diff.

use crate::templates::{at, day};
use partnerbot::chat::{Conversation, Platform as ChatPlatform};
use partnerbot::domain::deal::DealFilter;
use partnerbot::domain::digest::{NextStep, Section};
use partnerbot::domain::matching::Strength;
use partnerbot::domain::{Deal, DealStatus, Money, Partner};
use partnerbot::notice::{
    ExtensionDetails, ExtensionStep, MatchedRecord, NoteAbout, Notice, PartnerName, TierDirection,
};
use partnerbot::service::{Answer, CurrencyTotals, Hint};
use partnerbot::store::AuditRow;
use partnerbot::teams::cards::{
    card_size, Cards, Rendered, CARD_BUDGET_BYTES, CARD_CONTENT_TYPE, CARD_VERSION,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Text a partner might type to format a message, forge a link, a list, a mention or a date.
const HOSTILE: &str =
    "*Acme* & _Sons_ [click](https://evil.example) <at>Bob</at> # > `y` ~x~ {{DATE(2027-01-01T00:00:00Z, SHORT)}}\n- item\n1. first";

/// A valid 1×1 PNG.
const TINY_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn cards() -> Cards {
    Cards::new("Northwind Partner Program", "usd")
}

/// The Slack templates' partner, linked to a Teams channel.
pub(crate) fn partner() -> Partner {
    Partner {
        conversation: Conversation::new(ChatPlatform::Teams, "19:globex@thread.tacv2"),
        workspace: None,
        manager_user: None,
        ..crate::templates::partner()
    }
}

/// The Slack templates' D-7 (Initech), registered and decided by Teams users.
pub(crate) fn deal(status: DealStatus) -> Deal {
    let slack = crate::templates::deal(status);
    Deal {
        registered_by: "29:1alice".into(),
        source_channel: "19:globex@thread.tacv2".into(),
        decided_by: slack.decided_by.as_ref().map(|_| "29:1manager".into()),
        ..slack
    }
}

fn hostile_deal() -> Deal {
    let mut d = deal(DealStatus::PendingReview);
    d.company = HOSTILE.into();
    d.contact_name = Some(HOSTILE.into());
    d.products = HOSTILE.into();
    d.notes = format!("{HOSTILE} {}", "*_[]".repeat(200));
    d
}

fn matched(id: i64, direct: bool, strength: Strength) -> MatchedRecord {
    MatchedRecord {
        direct_account: direct,
        id,
        name: "Initech Inc.".into(),
        domains: vec!["initech.com".into(), "initech.co.uk".into()],
        crm_id: direct.then(|| "0015g00000XyZ12".into()),
        owner: direct.then(|| "29:1ae".into()),
        partner: (!direct).then(|| "Umbrella Consulting".into()),
        status: (!direct).then_some(DealStatus::Approved),
        strength,
        reasons: vec![
            "same domain initech.com".into(),
            "names match after removing legal suffixes".into(),
        ],
    }
}

fn matches() -> Vec<MatchedRecord> {
    vec![
        matched(12, true, Strength::Strong),
        matched(4, false, Strength::Weak),
    ]
}

const RULE: &str = "Direct-owned account with an open opportunity: a partner manager decides.";

fn sections() -> Vec<Section> {
    vec![
        Section {
            title: "New registrations: 2, worth 98,000.00 USD".into(),
            lines: vec![
                "D-7 · Initech from Globex Resellers (48,000.00 USD)".into(),
                "D-8 · Hooli from Umbrella Consulting (50,000.00 USD)".into(),
            ],
            action: NextStep::ListDealsAndDecide,
        },
        Section {
            title: "Quiet partners: 1".into(),
            lines: vec!["Vandelay Industries: nothing for 64 days".into()],
            action: NextStep::CallQuietPartners,
        },
    ]
}

fn history() -> Vec<AuditRow> {
    let row = |id, hour, actor: &str, action: &str| AuditRow {
        id,
        at: at(2027, 3, 1, hour).timestamp_millis(),
        actor: actor.into(),
        surface: "teams_dialog".into(),
        entity: "deal".into(),
        entity_id: 7,
        action: action.into(),
        detail: String::new(),
    };
    vec![
        row(1, 10, "29:1alice", "registered"),
        row(2, 14, "29:1manager", "approved"),
    ]
}

/// One named case per notice kind (and variants worth pinning).
fn notice_cases() -> Vec<(&'static str, Notice)> {
    let d = deal(DealStatus::PendingReview);
    let ext = |step| Notice::Extension {
        step,
        deal: deal(DealStatus::Approved),
        details: ExtensionDetails {
            partner_name: Some("Globex Resellers".into()),
            automatic: false,
            by: Some("29:1manager".into()),
            from_stage: None,
            to_stage: None,
            days: 30,
            number: 1,
            max: 2,
            justification: "Legal review of the order form takes another month.".into(),
        },
    };
    vec![
        (
            "help",
            Notice::Help {
                manager: false,
                greeting: false,
            },
        ),
        (
            "help__manager_greeting",
            Notice::Help {
                manager: true,
                greeting: true,
            },
        ),
        (
            "delivery_failure",
            Notice::DeliveryFailure {
                kind: "review_card".into(),
                deal: Some(7),
                conversation: "19:managers@thread.tacv2".into(),
                reason:
                    "no_conversation_reference: the bot has never seen 19:managers@thread.tacv2"
                        .into(),
                outbox_id: 42,
            },
        ),
        (
            "deal_confirmation",
            Notice::DealConfirmation { deal: d.clone() },
        ),
        (
            "deal_confirmation__conflict",
            Notice::DealConfirmation {
                deal: deal(DealStatus::Conflict),
            },
        ),
        (
            "review_card",
            Notice::ReviewCard {
                deal: d.clone(),
                partner: partner(),
                matches: matches(),
                rule: Some(RULE.into()),
            },
        ),
        (
            "review_card__approved",
            Notice::ReviewCard {
                deal: deal(DealStatus::Approved),
                partner: partner(),
                matches: vec![],
                rule: None,
            },
        ),
        (
            "review_card__rejected",
            Notice::ReviewCard {
                deal: deal(DealStatus::Rejected),
                partner: partner(),
                matches: matches(),
                rule: None,
            },
        ),
        (
            "review_card__hostile",
            Notice::ReviewCard {
                deal: hostile_deal(),
                partner: partner(),
                matches: vec![],
                rule: Some(HOSTILE.into()),
            },
        ),
        (
            "decision_notice__approved",
            Notice::DecisionNotice {
                deal: deal(DealStatus::Approved),
            },
        ),
        (
            "decision_notice__returned",
            Notice::DecisionNotice {
                deal: deal(DealStatus::Returned),
            },
        ),
        (
            "ae_alert",
            Notice::AeAlert {
                deal: d.clone(),
                partner: partner(),
                matches: vec![matched(12, true, Strength::Strong)],
                rule: RULE.into(),
            },
        ),
        (
            "ae_choice",
            Notice::AeChoice {
                deal: d.clone(),
                user: "29:1ae".into(),
                choice: "co-sell".into(),
            },
        ),
        (
            "escalation",
            Notice::Escalation {
                deal: d.clone(),
                partner_name: "Globex Resellers".into(),
                waited: 4,
                sla: 2,
            },
        ),
        (
            "protection_notice",
            Notice::ProtectionNotice {
                deal: deal(DealStatus::Approved),
                days_left: 14,
                expired: false,
                partner_name: None,
                extension: Some(30),
            },
        ),
        (
            "protection_notice__expired",
            Notice::ProtectionNotice {
                deal: deal(DealStatus::Approved),
                days_left: 0,
                expired: true,
                partner_name: Some("Globex Resellers".into()),
                extension: None,
            },
        ),
        ("extension__requested", ext(ExtensionStep::Requested)),
        ("extension__request_card", ext(ExtensionStep::RequestCard)),
        ("extension__granted", ext(ExtensionStep::Granted)),
        ("extension__declined", ext(ExtensionStep::Declined)),
        (
            "commission_notice",
            Notice::CommissionNotice {
                deal: deal(DealStatus::Won),
                calculation: "48,000.00 USD × 10 % (reseller, evaluation) × 1.1 (gold)".into(),
                commission: Money::from_minor(528_000, "USD").expect("money"),
                payable_from: day(2027, 7, 30),
                instalments: 3,
                partner_name: Some("Globex Resellers".into()),
            },
        ),
        (
            "tier_change",
            Notice::TierChange {
                old: partnerbot::domain::tier::Tier::Silver,
                new: partnerbot::domain::tier::Tier::Gold,
                direction: TierDirection::Up,
                revenue: "120,000.00 USD".into(),
                factor: "1.1".into(),
            },
        ),
        (
            "tier_review",
            Notice::TierReview {
                text: "Tier review 2027-Q1:\n• Globex Resellers: silver → gold (120,000.00 USD partner-sourced, last 12 months; gold factor 1.1)".into(),
                without_admins: vec![PartnerName {
                    id: partnerbot::domain::PartnerId(3),
                    name: "Globex <Resellers> & *Co*".into(),
                }],
            },
        ),
        (
            "nudge",
            Notice::Nudge {
                partner_name: "Globex Resellers".into(),
                partner_conversation: "19:globex@thread.tacv2".into(),
                quiet_days: 61,
                news: "New: the Analytics Suite now has a partner discount.".into(),
                alert: false,
            },
        ),
        (
            "nudge__alert",
            Notice::Nudge {
                partner_name: "Globex Resellers".into(),
                partner_conversation: "19:globex@thread.tacv2".into(),
                quiet_days: 61,
                news: String::new(),
                alert: true,
            },
        ),
        (
            "psat_invite",
            Notice::PsatInvite {
                round: 3,
                closes: "2027-01-15".into(),
                answered: None,
                reminder: false,
            },
        ),
        (
            "psat_invite__answered",
            Notice::PsatInvite {
                round: 3,
                closes: "2027-01-15".into(),
                answered: Some(9),
                reminder: true,
            },
        ),
        (
            "psat_followup",
            Notice::PsatFollowup {
                round: 3,
                user: "29:1partner".into(),
                partner_name: "Globex Resellers".into(),
                score: 2,
                comment: "Registrations take too long to approve.".into(),
                handled_by: None,
            },
        ),
        (
            "psat_followup__handled",
            Notice::PsatFollowup {
                round: 3,
                user: "29:1partner".into(),
                partner_name: "Globex Resellers".into(),
                score: 2,
                comment: String::new(),
                handled_by: Some("29:1manager".into()),
            },
        ),
        (
            "digest",
            Notice::Digest {
                week: "2027-W02".into(),
                partners: 3,
                sections: sections(),
                chart_png_base64: None,
            },
        ),
        (
            "digest__quiet",
            Notice::Digest {
                week: "2027-W02".into(),
                partners: 1,
                sections: vec![],
                chart_png_base64: None,
            },
        ),
        (
            "digest_chart",
            Notice::DigestChart {
                week: "2027-W02".into(),
                png_base64: TINY_PNG.into(),
            },
        ),
        (
            "partner_linked",
            Notice::PartnerLinked { partner: partner() },
        ),
        (
            "note",
            Notice::note(
                NoteAbout::DealUpdated,
                Some("29:1alice"),
                "updated D-7: stage evaluation → proposal.".into(),
            ),
        ),
        (
            "note__hostile",
            Notice::note(NoteAbout::Info, None, HOSTILE.into()),
        ),
    ]
}

/// The notice kind's name; the match fails to compile when a kind is added without a case.
fn kind(notice: &Notice) -> &'static str {
    match notice {
        Notice::Help { .. } => "help",
        Notice::DeliveryFailure { .. } => "delivery_failure",
        Notice::DealConfirmation { .. } => "deal_confirmation",
        Notice::ReviewCard { .. } => "review_card",
        Notice::DecisionNotice { .. } => "decision_notice",
        Notice::AeAlert { .. } => "ae_alert",
        Notice::AeChoice { .. } => "ae_choice",
        Notice::Escalation { .. } => "escalation",
        Notice::ProtectionNotice { .. } => "protection_notice",
        Notice::Extension { .. } => "extension",
        Notice::CommissionNotice { .. } => "commission_notice",
        Notice::TierChange { .. } => "tier_change",
        Notice::TierReview { .. } => "tier_review",
        Notice::Nudge { .. } => "nudge",
        Notice::PsatInvite { .. } => "psat_invite",
        Notice::PsatFollowup { .. } => "psat_followup",
        Notice::Digest { .. } => "digest",
        Notice::DigestChart { .. } => "digest_chart",
        Notice::PartnerLinked { .. } => "partner_linked",
        Notice::Note { .. } => "note",
    }
}

const KINDS: usize = 20;

fn answer_cases() -> Vec<(&'static str, Answer)> {
    let d = deal(DealStatus::Approved);
    vec![
        (
            "answer__registration_form",
            Answer::RegistrationForm {
                partner_name: "Globex Resellers".into(),
                metadata: r#"{"conversation":"19:globex@thread.tacv2"}"#.into(),
                today: day(2027, 3, 1),
                prefill: None,
                suggested: None,
            },
        ),
        (
            "answer__registration_form__prefilled",
            Answer::RegistrationForm {
                partner_name: "Globex Resellers".into(),
                metadata: "{}".into(),
                today: day(2027, 3, 1),
                prefill: Some(deal(DealStatus::Returned)),
                suggested: None,
            },
        ),
        (
            "answer__deal_list",
            Answer::DealList {
                title: "Your deals".into(),
                deals: vec![d.clone(), deal(DealStatus::PendingReview)],
                more: 21,
                next: Some(Hint::ListDeals {
                    filter: DealFilter::Open,
                    page: 2,
                }),
            },
        ),
        (
            "answer__deal_list__empty",
            Answer::DealList {
                title: "Your deals".into(),
                deals: vec![],
                more: 0,
                next: None,
            },
        ),
        (
            "answer__deal_detail",
            Answer::DealDetail {
                deal: d.clone(),
                partner_name: Some("Globex Resellers".into()),
                history: history(),
            },
        ),
        (
            "answer__extension_form",
            Answer::ExtensionForm {
                deal: d.clone(),
                metadata: "{\"deal\":7}".into(),
                days: 30,
            },
        ),
        (
            "answer__update_form",
            Answer::UpdateForm {
                deal: d.clone(),
                metadata: "{\"deal\":7}".into(),
                internal: true,
            },
        ),
        (
            "answer__commission_totals",
            Answer::CommissionTotals {
                title: "Your commissions".into(),
                rows: vec![CurrencyTotals {
                    currency: "USD".into(),
                    pending: "5,280.00 USD".into(),
                    payable: "0.00 USD".into(),
                    paid: "1,200.00 USD".into(),
                }],
            },
        ),
        (
            "answer__survey_results",
            Answer::SurveyResults {
                text: "Round 3: 12 answers, PSAT 41 (5 promoters, 2 detractors).".into(),
            },
        ),
        (
            "answer__stats",
            Answer::Stats(
                json!({ "title": "Program, last 90 days", "sourced_revenue": "480,000.00 USD", "revenue_per_active": "60,000.00 USD", "registrations": 24, "registration_rate": "0.9", "average_deal": "48,000.00 USD", "win_rate": "38 %", "active": 8, "activation": "11 of 14", "first_win": "74 days (median)", "note": "Amounts in USD at the configured rates." }),
            ),
        ),
        (
            "answer__match_list",
            Answer::MatchList {
                name: "Initech".into(),
                domain: Some("initech.com".into()),
                matches: matches(),
            },
        ),
        (
            "answer__accounts_summary",
            Answer::AccountsSummary {
                total: 1200,
                open: 310,
                owners: vec![("29:1ae".into(), 140), ("29:2ae".into(), 95)],
            },
        ),
    ]
}

/// Every check a card must pass to be sent.
fn check(name: &str, rendered: &Rendered) {
    let activity = rendered.activity();
    assert_eq!(activity["type"], "message", "{name}");
    assert!(
        activity.get("text").is_none(),
        "{name}: text and a card split the message"
    );
    let attachments = activity["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1, "{name}");
    assert_eq!(attachments[0]["contentType"], CARD_CONTENT_TYPE, "{name}");
    let card = &attachments[0]["content"];
    assert_eq!(card["type"], "AdaptiveCard", "{name}");
    assert_eq!(card["version"], CARD_VERSION, "{name}");
    let size = card_size(card);
    assert!(size <= CARD_BUDGET_BYTES, "{name}: {size} bytes");
    check_actions(name, card);
    let json = card.to_string();
    for slack in ["<@", "<#", "<!", "mrkdwn", "\"blocks\""] {
        assert!(!json.contains(slack), "{name}: Slack markup {slack}");
    }
    for text in texts(card) {
        assert!(!has_shortcode(&text), "{name}: emoji shortcode in {text}");
    }
}

/// True when `text` holds a Slack emoji shortcode (`:tada:`).
fn has_shortcode(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() > 2
        && parts[1..parts.len() - 1]
            .iter()
            .any(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// At most six actions in any `actions` array, and every Execute with a verb.
fn check_actions(name: &str, v: &Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(actions)) = map.get("actions") {
                assert!(
                    actions.len() <= 6,
                    "{name}: {} actions in a row",
                    actions.len()
                );
                for a in actions {
                    if a["type"] == "Action.Execute" {
                        assert!(a["verb"].as_str().is_some_and(|v| !v.is_empty()), "{name}");
                    }
                    assert_ne!(
                        a["style"], "positive",
                        "{name}: Teams has no positive style"
                    );
                    assert_ne!(a["style"], "destructive", "{name}");
                }
            }
            map.values().for_each(|v| check_actions(name, v));
        }
        Value::Array(items) => items.iter().for_each(|v| check_actions(name, v)),
        _ => {}
    }
}

/// Every TextBlock text and fact value of a card.
fn texts(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            for key in ["text", "value"] {
                if let Some(Value::String(s)) = map.get(key) {
                    if !s.starts_with("data:") {
                        out.push(s.clone());
                    }
                }
            }
            map.values().for_each(|v| out.extend(texts(v)));
        }
        Value::Array(items) => items.iter().for_each(|v| out.extend(texts(v))),
        _ => {}
    }
    out
}

#[test]
fn every_notice_and_answer_renders_as_its_snapshot() {
    let (cards, mut settings) = (cards(), insta::Settings::clone_current());
    settings.set_snapshot_path("snapshots/teams_cards");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, notice) in notice_cases() {
            let rendered = cards
                .notice(&notice)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            check(name, &rendered);
            let pretty = serde_json::to_string_pretty(&rendered.activity()).expect("JSON");
            insta::assert_snapshot!(name, pretty);
        }
        for (name, answer) in answer_cases() {
            let rendered = cards
                .answer(&answer)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            check(name, &rendered);
            let pretty = serde_json::to_string_pretty(&rendered.activity()).expect("JSON");
            insta::assert_snapshot!(name, pretty);
        }
    });
}

#[test]
fn every_notice_kind_has_a_case() {
    let kinds: BTreeSet<&str> = notice_cases().iter().map(|(_, n)| kind(n)).collect();
    assert_eq!(kinds.len(), KINDS, "{kinds:?}");
}

#[test]
fn hostile_text_is_escaped_not_formatted() {
    let card = cards()
        .notice(&Notice::ReviewCard {
            deal: hostile_deal(),
            partner: partner(),
            matches: vec![],
            rule: None,
        })
        .expect("renders")
        .card
        .to_string();
    assert!(card.contains(r"\\*Acme\\* & \\_Sons\\_"), "{card}");
    assert!(card.contains(r"\\[click\\]\\(https://evil.example\\)"));
    assert!(card.contains(r"\\<at\\>Bob\\</at\\>"));
    assert!(!card.contains("{{DATE"), "no forged date function");
    assert!(
        card.contains(r"\n\\- item\n1\\. first"),
        "list markers escaped"
    );
}

/// The review card's buttons: approve; reject and return each ask for their text first.
#[test]
fn the_review_card_asks_for_a_reason_before_rejecting_and_refreshes() {
    let notice = Notice::ReviewCard {
        deal: deal(DealStatus::PendingReview),
        partner: partner(),
        matches: matches(),
        rule: None,
    };
    let card = cards().notice(&notice).expect("renders").card;
    let actions = card["actions"].as_array().expect("actions");
    assert_eq!(actions[0]["verb"], "approve");
    assert_eq!(actions[0]["data"], json!({ "deal": 7 }));
    for (i, verb) in [(1, "reject"), (2, "return")] {
        let shown = &actions[i]["card"];
        assert_eq!(actions[i]["type"], "Action.ShowCard");
        assert_eq!(shown["body"][0]["id"], "reason");
        assert_eq!(shown["body"][0]["isRequired"], true);
        assert_eq!(shown["actions"][0]["verb"], verb);
        assert_eq!(shown["actions"][0]["data"], json!({ "deal": 7 }));
    }
    assert_eq!(card["refresh"]["action"]["verb"], "refresh");
    let decided = Notice::ReviewCard {
        deal: deal(DealStatus::Approved),
        partner: partner(),
        matches: vec![],
        rule: None,
    };
    let card = cards().notice(&decided).expect("renders").card;
    assert!(
        card.get("actions").is_none() && card.get("refresh").is_none(),
        "no buttons once decided"
    );
}

#[test]
fn the_survey_offers_eleven_scores_in_two_rows() {
    let notice = Notice::PsatInvite {
        round: 3,
        closes: "2027-01-15".into(),
        answered: None,
        reminder: false,
    };
    let card = cards().notice(&notice).expect("renders").card;
    let rows: Vec<&Value> = card["body"]
        .as_array()
        .expect("body")
        .iter()
        .filter(|e| e["type"] == "ActionSet")
        .collect();
    assert_eq!(rows.len(), 2);
    let scores: Vec<Value> = rows
        .iter()
        .flat_map(|r| {
            r["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .map(|a| a["data"]["score"].clone())
        })
        .collect();
    assert_eq!(scores, (0..=10).map(|n| json!(n)).collect::<Vec<_>>());
    assert!(rows.iter().all(
        |r| r["actions"][0]["verb"] == "survey_score" && r["actions"][0]["data"]["round"] == 3
    ));
}

/// The largest realistic review card: hundreds of matches with long reasons, and every typed
/// field at its maximum length, full of characters escaping doubles.
#[test]
fn the_largest_realistic_notices_fit_the_budget() {
    let mut d = hostile_deal();
    d.company = "*_".repeat(100);
    d.notes = "[]()".repeat(750);
    d.products = "#>".repeat(250);
    let many: Vec<MatchedRecord> = (0..400)
        .map(|i| {
            let mut m = matched(i, i % 2 == 0, Strength::Medium);
            m.name = "*".repeat(200);
            m.reasons = vec!["_".repeat(1500)];
            m
        })
        .collect();
    let notices = [
        Notice::ReviewCard {
            deal: d.clone(),
            partner: partner(),
            matches: many.clone(),
            rule: Some("-".repeat(1500)),
        },
        Notice::AeAlert {
            deal: d.clone(),
            partner: partner(),
            matches: many.clone(),
            rule: "~".repeat(1500),
        },
        Notice::Digest {
            week: "2027-W02".into(),
            partners: 900,
            sections: (0..9)
                .map(|i| Section {
                    title: format!("Section {i}: 500"),
                    lines: vec!["*_[]".repeat(100); 500],
                    action: NextStep::DecideOnCards,
                })
                .collect(),
            chart_png_base64: Some(real_chart()),
        },
    ];
    for notice in notices {
        let rendered = cards().notice(&notice).expect("fits");
        check(kind(&notice), &rendered);
        let json = rendered.card.to_string();
        assert!(json.contains("…and "), "{}: the cut is said", kind(&notice));
    }
    let review = cards()
        .notice(&Notice::ReviewCard {
            deal: d.clone(),
            partner: partner(),
            matches: many.clone(),
            rule: None,
        })
        .expect("fits");
    assert_eq!(
        review.card["actions"][0]["verb"], "approve",
        "the buttons survive the cut"
    );
    let list = Answer::MatchList {
        name: d.company.clone(),
        domain: None,
        matches: many,
    };
    check("match_list", &cards().answer(&list).expect("fits"));
    let deals = Answer::DealList {
        title: "All".into(),
        deals: vec![d.clone(); 20],
        more: 480,
        next: None,
    };
    check("deal_list", &cards().answer(&deals).expect("fits"));
}

fn real_chart() -> String {
    use base64::Engine;
    let weeks: Vec<String> = (1..=12).map(|w| format!("2027-W{w:02}")).collect();
    let series = vec![
        partnerbot::chart::Series {
            partner_type: "reseller".into(),
            pipeline: (0..12).map(|i| 10_000.0 * f64::from(i)).collect(),
            wins: (0..12).map(|i| 4_000.0 * f64::from(i % 4)).collect(),
        },
        partnerbot::chart::Series {
            partner_type: "referral".into(),
            pipeline: (0..12).map(|i| 7_000.0 * f64::from(12 - i)).collect(),
            wins: vec![0.0; 12],
        },
    ];
    let png = partnerbot::chart::weekly_chart(&weeks, &series, "USD", &[]).expect("chart");
    base64::engine::general_purpose::STANDARD.encode(png)
}

/// The digest's real chart is embedded as a data-URI image (shrunk when needed), with the
/// sections, in one card within the budget.
#[test]
fn the_digest_chart_is_embedded_within_the_budget() {
    let chart = real_chart();
    let rendered = cards()
        .notice(&Notice::Digest {
            week: "2027-W12".into(),
            partners: 3,
            sections: sections(),
            chart_png_base64: Some(chart.clone()),
        })
        .expect("fits");
    check("digest_with_chart", &rendered);
    let image = rendered.card["body"]
        .as_array()
        .expect("body")
        .iter()
        .find(|e| e["type"] == "Image")
        .expect("image")
        .clone();
    assert!(image["url"]
        .as_str()
        .expect("url")
        .starts_with("data:image/png;base64,"));
    let alone = cards()
        .notice(&Notice::DigestChart {
            week: "2027-W12".into(),
            png_base64: chart,
        })
        .expect("fits");
    check("digest_chart", &alone);
    assert!(alone.card.to_string().contains("data:image/png;base64,"));
}

/// A chart no shrinking brings within the budget (noise does not compress) is left out, and
/// the card says so.
#[test]
fn a_chart_too_large_to_fit_is_left_out_and_said() {
    use base64::Engine;
    let mut seed: u32 = 12345;
    let noise = image::RgbImage::from_fn(960, 600, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let b = seed.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    noise
        .write_to(&mut png, image::ImageOutputFormat::Png)
        .expect("png");
    let b64 = base64::engine::general_purpose::STANDARD.encode(png.into_inner());
    let rendered = cards()
        .notice(&Notice::Digest {
            week: "2027-W12".into(),
            partners: 3,
            sections: sections(),
            chart_png_base64: Some(b64.clone()),
        })
        .expect("fits");
    check("digest_without_chart", &rendered);
    let json = rendered.card.to_string();
    assert!(!json.contains("data:image"));
    assert!(json.contains("The chart is too large to show in Teams"));
}
