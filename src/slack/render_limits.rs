//! Every message and view the renderer makes, rendered with extreme data (the longest texts the
//! domain accepts, full of characters escaping lengthens; hundreds of matches, partners, deals,
//! history rows and digest lines), checked against Slack's Block Kit limits.

use super::limits::{check, Surface};
use super::render::DigestSection as Section;
use super::render::{DeliveryFailure, MatchView, Renderer};
use crate::domain::commission::Timing;
use crate::domain::{
    Deal, DealId, DealStatus, Field, FieldErrors, Money, Partner, PartnerId, PartnerType, Stage,
};
use serde_json::{json, Value};

/// `n` characters, every one of which escaping lengthens.
pub(super) fn nasty(n: usize) -> String {
    "&<>".chars().cycle().take(n).collect()
}

pub(super) fn renderer() -> Renderer {
    let templates = std::sync::Arc::new(crate::templates::Templates::load().expect("templates"));
    Renderer::new(templates, &nasty(120), "USD")
}

pub(super) fn partner(i: i64) -> Partner {
    Partner {
        id: PartnerId(i),
        name: nasty(120),
        partner_type: PartnerType::Strategic,
        tier: crate::domain::tier::Tier::Platinum,
        conversation: crate::chat::Conversation::new(crate::chat::Platform::Slack, "C0123456789"),
        workspace: Some("T0123456789".into()),
        manager_user: Some("U0123456789".into()),
        paused: true,
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

pub(super) fn deal(status: DealStatus) -> Deal {
    let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
    Deal {
        id: DealId(i64::MAX),
        partner_id: PartnerId(1),
        status,
        company: nasty(200),
        domain: Some(format!("{}.com", "a".repeat(60))),
        contact_name: Some(nasty(200)),
        contact_email: Some(format!("{}@{}.com", "a".repeat(64), "b".repeat(60))),
        amount: Money::from_minor(i64::MAX / 10, "USD").expect("money"),
        close_date: today,
        stage: Stage::Negotiation,
        products: nasty(500),
        notes: nasty(3_000),
        registered_by: "U0123456789".into(),
        source_channel: "C0123456789".into(),
        created_at: chrono::DateTime::UNIX_EPOCH,
        protected_until: Some(today),
        decided_by: Some("U0123456789".into()),
        decision_note: nasty(3_000),
        extensions: 2,
        extension_request: Some(nasty(2_000)),
        registered_stage: Some(Stage::Prospecting),
        timing: Some(Timing::from_stage(Stage::Prospecting)),
    }
}

fn matches(n: usize) -> Vec<MatchView> {
    (0..n)
        .map(|i| MatchView {
            id: format!("A-{i}"),
            kind: "direct account",
            name: nasty(200),
            domains: (0..20)
                .map(|d| format!("d{d}-{}.com", "x".repeat(40)))
                .collect::<Vec<_>>()
                .join(", "),
            crm_id: Some(nasty(100)),
            crm_url: crate::config::CrmSection {
                record_url: Some("https://crm.example.com/accounts/{id}/view".into()),
            }
            .record_link(&nasty(100)),
            owner: Some("U0123456789".into()),
            partner: Some(nasty(120)),
            status: Some("approved".into()),
            strength: "strong".into(),
            reasons: nasty(3_000),
        })
        .collect()
}

#[test]
fn every_message_and_view_stays_within_slacks_limits_with_extreme_data() {
    let r = renderer();
    let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
    let p = partner(1);
    let open = deal(DealStatus::PendingReview);
    let mut undecided = deal(DealStatus::Conflict);
    undecided.decided_by = None;
    let many = matches(300);
    let deals: Vec<Deal> = (0..300).map(|_| deal(DealStatus::Approved)).collect();
    let partners: Vec<crate::service::ListedPartner> = (0..300)
        .map(|i| crate::service::ListedPartner {
            partner: partner(i),
            admins: (0..20).map(|a| format!("U{a:010}")).collect(),
        })
        .collect();
    let history: Vec<crate::store::AuditRow> = (0..300)
        .map(|i| crate::store::AuditRow {
            id: i,
            at: 0,
            actor: "U0123456789".into(),
            surface: "slack_modal".into(),
            entity: "deal".into(),
            entity_id: 1,
            action: "updated".into(),
            detail: json!({ "changes": nasty(2_000) }).to_string(),
        })
        .collect();
    let errors = FieldErrors(
        [
            Field::Company,
            Field::Domain,
            Field::Amount,
            Field::Notes,
            Field::Products,
        ]
        .into_iter()
        .map(|f| (f, nasty(2_000)))
        .collect(),
    );
    let sections: Vec<Section> = (0..12)
        .map(|_| Section {
            title: nasty(200),
            lines: (0..300).map(|_| nasty(300)).collect(),
            action: nasty(500),
        })
        .collect();
    let totals: Vec<(String, String, String, String)> = (0..200)
        .map(|_| (nasty(3), nasty(40), nasty(40), nasty(40)))
        .collect();
    let owners: Vec<(String, i64)> = (0..300).map(|_| (nasty(100), 1)).collect();
    let failure = DeliveryFailure {
        kind: "review card",
        deal_id: Some("D-9223372036854775807".into()),
        channel: "C0123456789",
        reason: "invalid_blocks",
        advice: &nasty(1_000),
        outbox_id: i64::MAX,
    };
    let metadata = nasty(1_000);
    let rendered: Vec<(&str, Surface, anyhow::Result<Value>)> = vec![
        ("registration_modal", Surface::View, r.registration_modal(&nasty(120), &metadata, today, Some(&open), None)),
        ("registration_modal", Surface::View, r.registration_modal(&nasty(120), &metadata, today, None, Some(&crate::intent::message::hints(&nasty(3000), today)))),
        ("registration_done", Surface::View, r.registration_done(&open)),
        ("unknown_form", Surface::View, r.unknown_form(&nasty(255))),
        ("deal_confirmation", Surface::Message, r.deal_confirmation(&open)),
        ("review_card (open)", Surface::Message, r.review_card(&undecided, &p, &many, Some(&nasty(3_000)))),
        ("review_card (decided)", Surface::Message, r.review_card(&open, &p, &many, Some(&nasty(3_000)))),
        ("decision_modal", Surface::View, r.decision_modal(&open, true)),
        ("decision_notice", Surface::Message, r.decision_notice(&deal(DealStatus::Returned))),
        ("ae_alert", Surface::Message, r.ae_alert(&open, &p, &many, &nasty(3_000))),
        ("ae_choice", Surface::Message, r.ae_choice(&open, "U0123456789", &nasty(100))),
        ("partner_linked", Surface::Message, r.partner_linked(&p)),
        ("help", Surface::Message, r.help(true, Some(&nasty(1_000)))),
        ("deal_registered", Surface::Message, r.deal_registered(&open, true)),
        ("already_ours", Surface::Message, r.already_ours(&open)),
        ("already_ours_view", Surface::View, r.already_ours_view(&open)),
        ("validation_errors", Surface::Message, r.validation_errors(&errors)),
        ("deal_list", Surface::Message, r.deal_list(&nasty(200), &deals, 10_000, Some("/deal list open page 2"))),
        ("deal_detail", Surface::Message, r.deal_detail(&open, Some(&nasty(120)), &history)),
        ("escalation", Surface::Message, r.escalation(&open, &nasty(120), 9_999, 99)),
        ("protection_notice", Surface::Message, r.protection_notice(&open, 14, false, Some(&nasty(120)), Some(30))),
        ("extension (request card)", Surface::Message, r.extension("request_card", &open, json!({ "justification": nasty(2_000), "days": 30, "by": "U0123456789", "partner_name": nasty(120), "from_stage": "prospecting", "to_stage": "negotiation", "number": 2, "max": 2 }))),
        ("extension (granted)", Surface::Message, r.extension("granted", &open, json!({ "justification": nasty(2_000), "days": 30, "by": "U0123456789", "automatic": true, "number": 2, "max": 2 }))),
        ("extension_modal", Surface::View, r.extension_modal(&open, &metadata, 30)),
        ("commission_notice", Surface::Message, r.commission_notice(&open, &nasty(1_000), &nasty(40), "2027-01-01", 12, Some(&nasty(120)))),
        ("commission_totals", Surface::Message, r.commission_totals(&nasty(200), &totals)),
        ("deal_update_modal", Surface::View, r.deal_update_modal(&open, &metadata, true)),
        ("psat_invite", Surface::Message, r.psat_invite(i64::MAX, "2027-01-01", Some(10), true)),
        ("psat_followup", Surface::Message, r.psat_followup(i64::MAX, "U0123456789", &nasty(120), 0, &nasty(2_000), Some("U0123456789"))),
        ("psat_comment", Surface::View, r.psat_comment(i64::MAX)),
        ("nudge", Surface::Message, r.nudge(&nasty(120), "C0123456789", 9_999, &nasty(2_000), true)),
        ("digest", Surface::Message, r.digest(&nasty(20), 300, &sections, Some(&super::notices::chart_image(&nasty(2_000))))),
        ("partner_list", Surface::Message, r.partner_list(&partners, 2)),
        ("match_list", Surface::Message, r.match_list(&nasty(200), Some("a.com"), &many)),
        ("accounts_summary", Surface::Message, r.accounts_summary(i64::MAX, i64::MAX, &owners)),
        ("notice", Surface::Message, r.notice(":x:", &nasty(3_000))),
        ("notice_by", Surface::Message, r.notice_by(":x:", "U0123456789", &nasty(3_000))),
        ("delivery_failure", Surface::Message, r.delivery_failure(&failure)),
    ];
    let mut broken = Vec::new();
    for (name, surface, result) in rendered {
        match result {
            Ok(payload) => {
                if let Err(e) = check(surface, &payload) {
                    broken.push(format!("{name}: {e}"));
                }
            }
            Err(e) => broken.push(format!("{name}: did not render: {e:#}")),
        }
    }
    assert!(
        broken.is_empty(),
        "{} of the renders break a limit:\n{}",
        broken.len(),
        broken.join("\n")
    );
}
