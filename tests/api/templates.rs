//! Every template under `templates/`, rendered through the Slack renderer with realistic data and
//! pinned by an `insta` snapshot (one per template file, plus hostile-input cases), so a change
//! to what users see shows up as a snapshot diff.
//!
//! The snapshots are the pretty-printed JSON the renderer hands to Slack (after fitting it to
//! Block Kit's limits). Snapshot files live in `tests/api/snapshots/templates/`, named
//! `<folder>__<file stem>[__<case>].snap`. A new template needs a case in [`cases`]:
//! `every_template_file_has_a_snapshot_case` fails until it has one.
//!
//! Accept changed snapshots with `INSTA_UPDATE=always cargo test --test api templates` and review
//! the diff; CI (with `CI` set) never writes them.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use partnerbot::domain::commission::Timing;
use partnerbot::domain::{
    Deal, DealId, DealStatus, Field, FieldErrors, Money, Partner, PartnerId, PartnerType, Stage,
};
use partnerbot::slack::render::DigestSection as Section;
use partnerbot::slack::render::{DeliveryFailure, MatchView};
use partnerbot::slack::Renderer;
use partnerbot::store::AuditRow;
use partnerbot::templates::Templates;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Text a partner might type to ping everyone, mention someone, forge a link or format a message.
const HOSTILE: &str =
    "<!channel> *Acme* & _Sons_ <@U123> <https://evil.example|click> :tada: ~x~ `y` > z";

fn renderer() -> Renderer {
    let templates = Arc::new(Templates::load().expect("templates load"));
    Renderer::new(templates, "Northwind Partner Program", "usd")
}

pub(crate) fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("valid time")
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub(crate) fn partner() -> Partner {
    Partner {
        id: PartnerId(3),
        name: "Globex Resellers".into(),
        partner_type: PartnerType::Reseller,
        tier: partnerbot::domain::tier::Tier::Gold,
        conversation: crate::helpers::slack_channel("C0GLOBEX"),
        workspace: Some("T0GLOBEX".into()),
        manager_user: Some("U0MANAGER1".into()),
        paused: false,
        created_at: at(2027, 1, 4, 9),
    }
}

/// D-7, Initech, as a partner registers it through the modal.
pub(crate) fn deal(status: DealStatus) -> Deal {
    let decided = matches!(
        status,
        DealStatus::Approved | DealStatus::Rejected | DealStatus::Returned
    );
    Deal {
        id: DealId(7),
        partner_id: PartnerId(3),
        status,
        company: "Initech".into(),
        domain: Some("initech.com".into()),
        contact_name: Some("Peter Gibbons".into()),
        contact_email: Some("peter@initech.com".into()),
        amount: Money::from_minor(4_800_000, "USD").expect("money"),
        close_date: day(2027, 6, 30),
        stage: Stage::Evaluation,
        products: "Analytics Suite, 50 seats".into(),
        notes: "Met the CFO at their offsite; budget approved for Q2.".into(),
        registered_by: "U0ALICE01".into(),
        source_channel: "C0GLOBEX".into(),
        created_at: at(2027, 3, 1, 10),
        protected_until: (status == DealStatus::Approved).then(|| day(2027, 5, 30)),
        decided_by: decided.then(|| "U0MANAGER1".into()),
        decision_note: match status {
            DealStatus::Rejected => "Initech is a named direct account this year.".into(),
            DealStatus::Returned => "Which business unit is buying?".into(),
            _ => String::new(),
        },
        extensions: 0,
        extension_request: None,
        registered_stage: Some(Stage::Evaluation),
        timing: Some(Timing::from_stage(Stage::Evaluation)),
    }
}

/// A deal whose every user-typed field is hostile, and whose notes are far too long.
fn hostile_deal() -> Deal {
    let mut d = deal(DealStatus::PendingReview);
    d.company = HOSTILE.into();
    d.contact_name = Some(HOSTILE.into());
    d.products = HOSTILE.into();
    d.notes = format!("{HOSTILE} {}", "&<>".repeat(200));
    d
}

/// The matches with the direct account's CRM id linked, as with `[crm] record_url` set.
fn crm_linked() -> Vec<MatchView> {
    let crm = partnerbot::config::CrmSection {
        record_url: Some("https://crm.example.com/accounts/{id}?tab=a&b=c".into()),
    };
    let mut m = matches();
    m[0].crm_url = crm.record_link(m[0].crm_id.as_deref().unwrap_or_default());
    m
}

fn matches() -> Vec<MatchView> {
    vec![
        MatchView {
            id: "A-12".into(),
            kind: "direct account",
            name: "Initech Inc.".into(),
            domains: "initech.com, initech.co.uk".into(),
            crm_id: Some("0015g00000XyZ12".into()),
            crm_url: None,
            owner: Some("U0AE00001".into()),
            partner: None,
            status: None,
            strength: "strong".into(),
            reasons: "same domain initech.com; names match after removing legal suffixes".into(),
        },
        MatchView {
            id: "D-4".into(),
            kind: "partner registration",
            name: "Initech Holdings".into(),
            domains: "no domain".into(),
            crm_id: None,
            crm_url: None,
            owner: None,
            partner: Some("Umbrella Consulting".into()),
            status: Some("approved".into()),
            strength: "weak".into(),
            reasons: "name similarity 0.82 (name only)".into(),
        },
    ]
}

const RULE: &str = "Direct-owned account with an open opportunity: a partner manager decides.";

fn history() -> Vec<AuditRow> {
    let row = |id, hour, actor: &str, action: &str, surface: &str| AuditRow {
        id,
        at: at(2027, 3, 1, hour).timestamp_millis(),
        actor: actor.into(),
        surface: surface.into(),
        entity: "deal".into(),
        entity_id: 7,
        action: action.into(),
        detail: "{}".into(),
    };
    vec![
        row(1, 10, "U0ALICE01", "registered", "slack_modal"),
        row(2, 11, "U0MANAGER1", "approved", "slack_button"),
        row(3, 12, "protection", "reminded", "job"),
    ]
}

fn digest_sections() -> Vec<Section> {
    vec![
        Section {
            title: "New registrations (2)".into(),
            lines: vec![
                "D-7 Initech · Globex Resellers · 48,000.00 USD".into(),
                "D-8 Hooli · Umbrella Consulting · 20,000.00 EUR".into(),
            ],
            action: "Review them in the managers' channel.".into(),
        },
        Section {
            title: "Waiting past the SLA (1)".into(),
            lines: vec!["D-5 Vandelay Industries · 4 days".into()],
            action: "Approve, reject or return with `/partners pending`.".into(),
        },
    ]
}

/// One rendered case: the template file it exercises, a case name (empty for the main one) and
/// what the renderer produced.
struct Case {
    template: &'static str,
    case: &'static str,
    rendered: anyhow::Result<Value>,
}

fn case(template: &'static str, case: &'static str, rendered: anyhow::Result<Value>) -> Case {
    Case {
        template,
        case,
        rendered,
    }
}

/// Every template file at least once, the way the service and the handlers call the renderer.
fn cases() -> Vec<Case> {
    let mut all = messages();
    all.extend(replies());
    all.extend(views());
    all.extend(hostile());
    all.extend(homes());
    all
}

/// The Home tab of each kind of person, as `service::home` composes it.
fn homes() -> Vec<Case> {
    use partnerbot::domain::deal::DealFilter;
    use partnerbot::service::home::*;
    let r = renderer();
    let mut asked = deal(DealStatus::Approved);
    asked.extension_request = Some("The customer's board meets in June.".into());
    let home_deal = |status, can_extend| HomeDeal {
        deal: deal(status),
        can_update: status != DealStatus::Won && status != DealStatus::Returned,
        can_extend,
        returned: status == DealStatus::Returned,
    };
    let partner_home = HomeView::Partner(PartnerHome {
        partner_name: "Globex Resellers".into(),
        conversation: partnerbot::chat::Conversation::new(
            partnerbot::chat::Platform::Slack,
            "C0GLOBEX",
        ),
        page: 2,
        groups: vec![
            DealGroup {
                filter: DealFilter::Expiring,
                total: 9,
                deals: vec![home_deal(DealStatus::Approved, true)],
            },
            DealGroup {
                filter: DealFilter::Open,
                total: 12,
                deals: vec![
                    home_deal(DealStatus::Returned, false),
                    home_deal(DealStatus::PendingReview, false),
                ],
            },
            DealGroup {
                filter: DealFilter::Won,
                total: 0,
                deals: vec![],
            },
        ],
        next_page: Some(3),
    });
    let item = |deal, reason| QueueItem {
        deal,
        partner_name: "Globex Resellers".into(),
        reason,
    };
    let manager_home = HomeView::Manager(ManagerHome {
        page: 1,
        total: 4,
        items: vec![
            item(
                deal(DealStatus::PendingReview),
                QueueReason::PastSla { waited: 4 },
            ),
            item(deal(DealStatus::Conflict), QueueReason::Conflict),
            item(deal(DealStatus::PendingReview), QueueReason::Pending),
            item(asked, QueueReason::Extension),
        ],
        figures: stats_context(),
        next_page: None,
    });
    let ae_home = HomeView::Ae(AeHome {
        page: 1,
        total: 2,
        alerts: vec![
            AeAlert {
                deal: deal(DealStatus::Conflict),
                partner_name: "Globex Resellers".into(),
                answer: Some("Propose co-sell"),
            },
            AeAlert {
                deal: deal(DealStatus::Approved),
                partner_name: "Globex Resellers".into(),
                answer: None,
            },
        ],
        next_page: None,
    });
    vec![
        case("home_partner/view.json", "", r.home(&partner_home, None)),
        case(
            "home_manager/view.json",
            "",
            r.home(
                &manager_home,
                Some("Approved D-6: protected until 2027-05-30."),
            ),
        ),
        case("home_ae/view.json", "", r.home(&ae_home, None)),
        case("home_intro/view.json", "", r.home(&HomeView::Intro, None)),
    ]
}

fn messages() -> Vec<Case> {
    let r = renderer();
    let (p, m) = (partner(), matches());
    let pending = deal(DealStatus::Conflict);
    let approved = deal(DealStatus::Approved);
    let failure = DeliveryFailure {
        kind: "review card",
        deal_id: Some("D-7".into()),
        channel: "C0MANAGERS",
        reason: "channel_not_found",
        advice: "Invite the bot to the channel, then run `partnerbot outbox retry 41`.",
        outbox_id: 41,
    };
    let granted = json!({ "by": "U0MANAGER1", "days": 30, "number": 1, "max": 2 });
    vec![
        case("ae_alert/message.json", "", r.ae_alert(&pending, &p, &m, RULE)),
        case("ae_choice/message.json", "", r.ae_choice(&pending, "U0AE00001", "co-sell")),
        case("commission_notice/message.json", "", r.commission_notice(&deal(DealStatus::Won), "48,000.00 USD × 20% (after first meeting) × 1.1 (gold)", "10,560.00 USD", "2027-08-29", 1, Some("Globex Resellers"))),
        case("deal_confirmation/message.json", "", r.deal_confirmation(&deal(DealStatus::PendingReview))),
        case("decision_notice/message.json", "", r.decision_notice(&approved)),
        case("decision_notice/message.json", "returned", r.decision_notice(&deal(DealStatus::Returned))),
        case("delivery_failure/message.json", "", r.delivery_failure(&failure)),
        case("digest/message.json", "", r.digest("2027-W09", 12, &digest_sections(), Some(&partnerbot::slack::notices::chart_image("2027-W09")))),
        case("digest/message.json", "chart_follows", r.digest("2027-W09", 1, &[], None)),
        case("digest/chart.json", "", r.digest_chart(&partnerbot::slack::notices::chart_image("2027-W09"))),
        case("escalation/message.json", "", r.escalation(&pending, "Globex Resellers", 4, 2)),
        case("extension/message.json", "", r.extension("granted", &approved, granted)),
        case("extension/message.json", "request_card", r.extension("request_card", &approved, json!({ "partner_name": "Globex Resellers", "days": 30, "number": 1, "max": 2, "justification": "Legal review moved to July." }))),
        case("help/message.json", "", r.help(true, None)),
        case("nudge/message.json", "", r.nudge("Globex Resellers", "C0GLOBEX", 61, "New: co-sell with our AEs on named accounts.", false)),
        case("partner_linked/message.json", "", r.partner_linked(&p)),
        case("protection_notice/message.json", "", r.protection_notice(&approved, 14, false, None, Some(30))),
        case("psat_followup/message.json", "", r.psat_followup(2, "U0ALICE01", "Globex Resellers", 4, "Approvals take too long.", None)),
        case("psat_invite/message.json", "", r.psat_invite(2, "2027-04-15", None, false)),
        case("review_card/message.json", "", r.review_card(&pending, &p, &m, Some(RULE))),
        case("review_card/message.json", "approved", r.review_card(&approved, &p, &m, Some(RULE))),
        case("review_card/message.json", "crm_linked", r.review_card(&pending, &p, &crm_linked(), Some(RULE))),
    ]
}

fn replies() -> Vec<Case> {
    let r = renderer();
    let approved = deal(DealStatus::Approved);
    let errors = FieldErrors(vec![
        (
            Field::Amount,
            "Enter an amount like 50000 or 50,000.00.".into(),
        ),
        (Field::CloseDate, "Use a date like 2027-03-31.".into()),
    ]);
    let deals = [approved.clone(), deal(DealStatus::PendingReview)];
    let totals = [(
        "USD".to_string(),
        "10,560.00".to_string(),
        "0.00".to_string(),
        "2,400.00".to_string(),
    )];
    let owners = [
        ("U0AE00001".to_string(), 412),
        ("U0AE00002".to_string(), 388),
    ];
    vec![
        case(
            "accounts_summary/reply.json",
            "",
            r.accounts_summary(1_250, 310, &owners),
        ),
        case("already_ours/reply.json", "", r.already_ours(&approved)),
        case(
            "commission_totals/reply.json",
            "",
            r.commission_totals("Your commissions", &totals),
        ),
        case(
            "deal_detail/reply.json",
            "",
            r.deal_detail(&approved, Some("Globex Resellers"), &history()),
        ),
        case(
            "deal_list/reply.json",
            "",
            r.deal_list("Your open deals", &deals, 3, Some("/deal list open page 2")),
        ),
        case(
            "deal_registered/reply.json",
            "",
            r.deal_registered(&deal(DealStatus::PendingReview), false),
        ),
        case(
            "match_list/reply.json",
            "",
            r.match_list("Initech", Some("initech.com"), &matches()),
        ),
        case(
            "notice/reply.json",
            "",
            r.notice(":white_check_mark:", "Withdrew D-7."),
        ),
        case(
            "notice/reply.json",
            "tier_review",
            partnerbot::slack::notices::render(
                &r,
                &partnerbot::notice::Notice::TierReview {
                    text: "Tier review 2027-Q1:\n• Globex Resellers: silver → gold (120,000.00 USD partner-sourced, last 12 months; gold factor 1.1)".into(),
                    without_admins: vec![partnerbot::notice::PartnerName {
                        id: partnerbot::domain::PartnerId(3),
                        name: "Globex <Resellers> & *Co*".into(),
                    }],
                },
            ),
        ),
        case(
            "notice/reply.json",
            "by",
            r.notice_by(":scroll:", "U0MANAGER1", "approved D-7."),
        ),
        case(
            "partner_list/reply.json",
            "",
            r.partner_list(
                &[partnerbot::service::ListedPartner {
                    partner: partner(),
                    admins: vec!["U0ALICE".into(), "U0CAROL".into()],
                }],
                1,
            ),
        ),
        case("stats/reply.json", "", r.stats(stats_context())),
        case(
            "validation_errors/reply.json",
            "",
            r.validation_errors(&errors),
        ),
    ]
}

/// What `/partners stats` passes the template (see `service::stats`).
fn stats_context() -> Value {
    json!({
        "title": "All partners · 2027 Q1 (2027-01-01 to 2027-03-31)",
        "sourced_revenue": "1,240,000.00 USD",
        "revenue_per_active": "103,333.33 USD",
        "registrations": 41,
        "registration_rate": "3.4",
        "average_deal": "30,243.90 USD",
        "win_rate": "38.5%",
        "active": 12,
        "activation": "75%",
        "first_win": "47 days (median)",
        "note": null,
    })
}

fn views() -> Vec<Case> {
    let r = renderer();
    let approved = deal(DealStatus::Approved);
    let metadata = r#"{"channel":"C0GLOBEX"}"#;
    let deal_metadata = r#"{"deal":7,"channel":"C0GLOBEX"}"#;
    vec![
        case("already_ours/view.json", "", r.already_ours_view(&approved)),
        case(
            "deal_update/view.json",
            "",
            r.deal_update_modal(&approved, deal_metadata, false),
        ),
        case(
            "decision_modal/view.json",
            "",
            r.decision_modal(&deal(DealStatus::Conflict), true),
        ),
        case(
            "extension_modal/view.json",
            "",
            r.extension_modal(&approved, deal_metadata, 30),
        ),
        case("psat_comment/view.json", "", r.psat_comment(2)),
        case(
            "registration_done/view.json",
            "",
            r.registration_done(&deal(DealStatus::PendingReview)),
        ),
        case(
            "registration_modal/view.json",
            "",
            r.registration_modal("Globex Resellers", metadata, day(2027, 3, 1), None, None),
        ),
        case(
            "registration_modal/view.json",
            "from_message",
            r.registration_modal(
                "Globex Resellers",
                metadata,
                day(2027, 3, 1),
                None,
                Some(&partnerbot::intent::message::hints(
                    "Talking to Wayne Enterprises (wayne.com) about €120k, closing Q3",
                    day(2027, 3, 1),
                )),
            ),
        ),
        case(
            "registration_modal/view.json",
            "prefilled",
            r.registration_modal(
                "Globex Resellers",
                metadata,
                day(2027, 3, 1),
                Some(&deal(DealStatus::Returned)),
                None,
            ),
        ),
        case("unknown_form/view.json", "", r.unknown_form("old_callback")),
    ]
}

/// Hostile user text in a partner's channel, in the managers' card and in a list: every `<`,
/// `>` and `&` arrives as an entity, `*`, `_` and `:tada:` stay as typed, long text is clipped.
fn hostile() -> Vec<Case> {
    let r = renderer();
    let d = hostile_deal();
    let mut p = partner();
    p.name = HOSTILE.into();
    vec![
        case(
            "deal_confirmation/message.json",
            "hostile",
            r.deal_confirmation(&d),
        ),
        case(
            "review_card/message.json",
            "hostile",
            r.review_card(&d, &p, &matches(), Some(RULE)),
        ),
        case(
            "deal_list/reply.json",
            "hostile",
            r.deal_list("Your open deals", std::slice::from_ref(&d), 0, None),
        ),
        case(
            "registration_modal/view.json",
            "hostile",
            r.registration_modal(
                HOSTILE,
                r#"{"channel":"C0GLOBEX"}"#,
                day(2027, 3, 1),
                Some(&d),
                None,
            ),
        ),
    ]
}

fn snapshot_name(template: &str, case: &str) -> String {
    let stem = template.trim_end_matches(".json").replace('/', "__");
    if case.is_empty() {
        stem
    } else {
        format!("{stem}__{case}")
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `<folder>/<file>` for every file under `templates/`.
fn template_files() -> BTreeSet<String> {
    let root = manifest_dir().join("templates");
    let mut files = BTreeSet::new();
    for dir in std::fs::read_dir(&root).expect("templates/ is readable") {
        let dir = dir.expect("directory entry").path();
        let folder = file_name(&dir);
        for file in std::fs::read_dir(&dir).expect("template folder is readable") {
            files.insert(format!(
                "{folder}/{}",
                file_name(&file.expect("entry").path())
            ));
        }
    }
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
        .to_string()
}

#[test]
fn every_template_renders_as_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/templates");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for Case {
            template,
            case,
            rendered,
        } in cases()
        {
            let payload = rendered.unwrap_or_else(|e| panic!("{template} {case}: {e:#}"));
            let pretty = serde_json::to_string_pretty(&payload).expect("JSON prints");
            insta::assert_snapshot!(snapshot_name(template, case), pretty);
        }
    });
}

#[test]
fn every_template_file_has_a_snapshot_case() {
    let files = template_files();
    let covered: BTreeSet<String> = cases().iter().map(|c| c.template.to_string()).collect();
    let missing: Vec<&String> = files.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "templates without a snapshot case in tests/api/templates.rs: {missing:?}"
    );
    let unknown: Vec<&String> = covered.difference(&files).collect();
    assert!(
        unknown.is_empty(),
        "cases name no template file: {unknown:?}"
    );
    let compiled: BTreeSet<String> = Templates::names().map(str::to_string).collect();
    assert_eq!(
        compiled, files,
        "src/templates.rs SOURCES and templates/ differ"
    );
}

#[test]
fn every_snapshot_file_belongs_to_a_case() {
    let dir = manifest_dir().join("tests/api/snapshots/templates");
    let expected: BTreeSet<String> = cases()
        .iter()
        .map(|c| format!("{}.snap", snapshot_name(c.template, c.case)))
        .collect();
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .expect("snapshot folder exists")
        .map(|e| file_name(&e.expect("entry").path()))
        .filter(|name| name.ends_with(".snap") && !expected.contains(name))
        .collect();
    assert!(stale.is_empty(), "snapshots without a case: {stale:?}");
}
