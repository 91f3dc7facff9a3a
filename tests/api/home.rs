//! The Slack Home tab: each person sees their own page (a partner's deals, the managers' queue,
//! an AE's alerts), its buttons work, it pages, stays within Slack's limits with 500 deals, and
//! open tabs follow changes.

use crate::conflicts::import_wayne;
use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::clock::Clock;
use partnerbot::domain::deal::Surface;
use partnerbot::domain::{DealDraft, DealStatus, PartnerId};
use partnerbot::emulator::{readable, Emulator};
use partnerbot::service::Actor;
use partnerbot::simulate::{event_callback, form_payload, SlackUser};
use partnerbot::store::Registration;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a test waits for a published tab (the event is acknowledged first).
const WAIT: Duration = Duration::from_secs(20);

fn publishes_for(emulator: &Emulator, user: &str) -> usize {
    emulator
        .calls_to("views.publish")
        .iter()
        .filter(|c| c.params["user_id"] == user && c.params["_ok"] == true)
        .count()
}

/// `user` opens the Home tab; returns the view Slack then shows them.
async fn open_home(app: &TestApp, user: &str) -> Value {
    let before = publishes_for(&app.emulator, user);
    let event = json!({ "type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                        "event_ts": "1700000000.000100" });
    let body = event_callback(&format!("Ev{user}{before}"), event);
    let (status, _) = app
        .post_signed("/slack/events", "application/json", body)
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let published = app
        .emulator
        .wait_until(WAIT, |e| publishes_for(e, user) > before)
        .await;
    assert!(
        published,
        "the tab was published; refused: {:?}",
        app.refused_calls()
    );
    app.emulator.home_of(user).expect("a home view")
}

/// `who` clicks `action_id` (value `value`) in their Home tab; returns the tab afterwards.
async fn click_home(app: &TestApp, who: &SlackUser, action_id: &str, value: &str) -> Value {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": who.user, "team_id": who.team },
        "team": { "id": who.team },
        "container": { "type": "view", "view_id": "V0HOME" },
        "view": { "id": "V0HOME", "type": "home" },
        "trigger_id": format!("{}.{action_id}.trigger", who.user),
        "actions": [{ "action_id": action_id, "value": value, "type": "button" }]
    });
    let (status, _) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            form_payload(&payload),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    app.emulator.home_of(&who.user).expect("a home view")
}

/// Every button of a view as (action id, value).
fn buttons(view: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in view["blocks"].as_array().into_iter().flatten() {
        let elements = block["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(block.get("accessory"));
        for e in elements.filter(|e| e["type"] == "button") {
            out.push((
                e["action_id"].as_str().unwrap_or_default().to_string(),
                e["value"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

fn has_button(view: &Value, action_id: &str, value: &str) -> bool {
    buttons(view)
        .iter()
        .any(|(a, v)| a == action_id && v == value)
}

/// The page the tab's "Next page" button shows.
fn next_page(view: &Value) -> Option<String> {
    view["blocks"]
        .as_array()?
        .iter()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action_id"] == "home_page" && e["text"]["text"] == "Next page")
        .and_then(|e| e["value"].as_str().map(str::to_string))
}

fn blocks(view: &Value) -> usize {
    view["blocks"].as_array().map_or(0, Vec::len)
}

async fn a_partner_sees_only_their_own_deals_with_buttons_that_work(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.deal(&bob(), "register Umbrella Corp umbrella.com 20000")
        .await;
    app.deal(&alice(), "register Stark Industries stark.com 70000")
        .await;
    let home = open_home(&app, "U0ALICE").await;
    let text = readable(&home);
    assert!(
        text.contains("Acme Rockets") && text.contains("Stark Industries"),
        "{text}"
    );
    assert!(
        !text.contains("Umbrella") && !text.contains("D-2"),
        "another partner's deal is never shown: {text}"
    );
    assert!(has_button(&home, "register_open", "C0GLOBEX"), "{home}");
    assert!(has_button(&home, "update_open", "1") && has_button(&home, "update_open", "3"));
    assert!(!buttons(&home).iter().any(|(_, v)| v == "2"));
    let bobs = readable(&open_home(&app, "U0BOB").await);
    assert!(
        bobs.contains("Umbrella") && !bobs.contains("Acme Rockets") && !bobs.contains("Stark"),
        "{bobs}"
    );

    // The buttons are the ones the channel messages carry, so the same handlers answer them.
    let opened = app.emulator.calls_to("views.open").len();
    click_home(&app, &alice(), "update_open", "1").await;
    let views = app.emulator.calls_to("views.open");
    assert_eq!(views.len(), opened + 1, "the Update form opened");
    assert!(readable(&views[opened].params["view"]).contains("Acme Rockets"));
    click_home(&app, &alice(), "register_open", "C0GLOBEX").await;
    assert_eq!(
        app.emulator.calls_to("views.open").len(),
        opened + 2,
        "the registration form opened"
    );
    // Another partner's deal cannot be reached from a Home tab either.
    let refused = readable(&click_home(&app, &alice(), "update_open", "2").await);
    assert!(
        refused.contains("D-2") && refused.contains("no deal"),
        "{refused}"
    );
    assert_eq!(app.emulator.calls_to("views.open").len(), opened + 2);
    assert!(app.refused_calls().is_empty(), "{:?}", app.refused_calls());
}
on_both_databases!(a_partner_sees_only_their_own_deals_with_buttons_that_work);

async fn managers_see_the_queue_with_the_cards_buttons_and_the_figures(db: Db) {
    // A Monday, so business days are plain to count.
    let monday = chrono::DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z")
        .expect("time")
        .to_utc();
    let clock = Clock::fixed(monday);
    let app = TestApp::spawn_with_clock(db, clock.clone()).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    clock.advance(chrono::Duration::days(7));
    app.approve("D-1").await;
    app.deal(&bob(), "register Acme Rockets Inc acme-rockets.com 20000")
        .await;
    app.deal(&alice(), "register Stark Industries stark.com 70000")
        .await;
    let alice_actor = Actor {
        platform: partnerbot::chat::Platform::Slack,
        user: "U0ALICE".into(),
        workspace: Some("T0GLOBEX".into()),
        channel: Some("C0GLOBEX".into()),
    };
    app.app
        .service
        .request_extension(
            &alice_actor,
            partnerbot::domain::DealId(1),
            "The customer's board meets next month.",
        )
        .await
        .expect("extension requested");
    clock.advance(chrono::Duration::days(7));
    import_wayne(&app).await;
    app.deal(&bob(), "register Wayne Enterprises wayne.com 30000")
        .await;
    app.deal(&alice(), "register Initrode initrode.com 10000")
        .await;

    let home = open_home(&app, MANAGER).await;
    let text = readable(&home);
    for expected in [
        "Past the SLA",
        "Conflicts",
        "Pending review",
        "Extensions to decide",
        "Program figures",
        "board meets next month",
        "Globex Resellers",
        "Initech",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let position = |needle: &str| text.find(needle).expect(needle);
    assert!(position("Past the SLA") < position("Conflicts"));
    assert!(position("Pending review") < position("Extensions to decide"));
    for deal in ["2", "3", "4", "5"] {
        assert!(has_button(&home, "review_approve", deal), "D-{deal}");
        assert!(has_button(&home, "review_reject", deal));
    }
    assert!(has_button(&home, "extend_grant", "1") && has_button(&home, "extend_decline", "1"));
    assert!(!has_button(&home, "review_approve", "1"), "D-1 is approved");

    // Approving from the tab decides and shows the answer there; the deal leaves the queue.
    let after = click_home(&app, &manager_in("D0HOME"), "review_approve", "5").await;
    let after_text = readable(&after);
    assert!(after_text.contains("Approved D-5"), "{after_text}");
    assert!(!has_button(&after, "review_approve", "5"));
    let decided = app
        .store
        .deal("D-5".parse().expect("id"))
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(decided.status, DealStatus::Approved);
    // A partner's user is never shown the queue.
    let alices = readable(&open_home(&app, "U0ALICE").await);
    assert!(
        !alices.contains("Review queue") && !alices.contains("Wayne"),
        "{alices}"
    );
}
on_both_databases!(managers_see_the_queue_with_the_cards_buttons_and_the_figures);

async fn an_ae_sees_the_alerts_on_their_accounts_and_answers_there(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    import_wayne(&app).await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.deal(&alice(), "register Wayne Enterprises wayne.com 90000")
        .await;
    let home = open_home(&app, "U0AE1").await;
    let text = readable(&home);
    assert!(
        text.contains("Wayne Enterprises") && text.contains("Globex Resellers"),
        "{text}"
    );
    assert!(text.contains("Not answered yet"), "{text}");
    assert!(
        !text.contains("Acme"),
        "only the alerts sent to this AE: {text}"
    );
    assert!(has_button(&home, "ae_cosell", "2"));

    let ae = SlackUser::new("U0AE1", "T0HOME", "D0HOME");
    let after = readable(&click_home(&app, &ae, "ae_cosell", "2").await);
    assert!(
        after.contains("Recorded “Propose co-sell” for D-2")
            && after.contains("Your answer: *Propose co-sell*"),
        "{after}"
    );
    // Another AE, or anyone who is none of partner, manager or AE, sees the introduction.
    let stranger = readable(&open_home(&app, "U0SOMEONE").await);
    assert!(
        stranger.contains("partnerbot runs") && !stranger.contains("Wayne"),
        "{stranger}"
    );
}
on_both_databases!(an_ae_sees_the_alerts_on_their_accounts_and_answers_there);

/// Stores `n` registrations for `partner` straight through the store (no matching: the
/// customers are distinct), with `status` and protection ending `protected_days` from today.
async fn store_deals(
    app: &TestApp,
    partner: PartnerId,
    from: usize,
    n: usize,
    status: DealStatus,
    protected_days: Option<i64>,
) {
    let today = chrono::Utc::now().date_naive();
    for i in from..from + n {
        let draft = DealDraft {
            company: format!("Customer {i:04} of the Home tab test & co <b>"),
            domain: format!("customer{i}.example"),
            amount: "12000".into(),
            close_date: (today + chrono::Duration::days(60)).to_string(),
            stage: "qualified".into(),
            ..DealDraft::default()
        };
        let deal = draft
            .validate(today, "USD", Surface::OneLine)
            .expect("valid draft");
        let registration = Registration {
            partner_id: partner,
            deal,
            status,
            user: "U0ALICE".into(),
            user_team: Some("T0GLOBEX".into()),
            channel: "C0GLOBEX".into(),
            surface: "slack_command".into(),
            idempotency_key: None,
            match_keys: vec![format!("test:{i}")],
            timing: "early".into(),
            protected_until: protected_days.map(|d| today + chrono::Duration::days(d)),
            decided_by: protected_days.map(|_| MANAGER.to_string()),
            source: None,
        };
        app.store
            .register_deal(&registration, chrono::Utc::now().timestamp_millis(), |_| {
                Ok(vec![])
            })
            .await
            .expect("stored");
    }
}

async fn five_hundred_deals_page_within_slacks_limits(db: Db) {
    let app = TestApp::spawn(db).await;
    let (globex, _) = app.link_both().await;
    store_deals(&app, globex.id, 0, 100, DealStatus::Approved, Some(5)).await;
    store_deals(&app, globex.id, 100, 200, DealStatus::PendingReview, None).await;
    store_deals(&app, globex.id, 300, 200, DealStatus::Won, None).await;

    let mut home = open_home(&app, "U0ALICE").await;
    let mut seen = std::collections::BTreeSet::new();
    let mut pages = 1;
    loop {
        assert!(
            blocks(&home) <= 100,
            "page {pages}: {} blocks",
            blocks(&home)
        );
        for (action, value) in buttons(&home) {
            if action == "update_open" {
                seen.insert(value);
            }
        }
        let Some(next) = next_page(&home) else {
            break;
        };
        home = click_home(&app, &alice(), "home_page", &next).await;
        pages += 1;
        assert!(pages <= 40, "paging ends");
    }
    assert_eq!(pages, 38, "300 open deals at 8 a page");
    assert_eq!(
        seen.len(),
        300,
        "every open deal can be reached for an update"
    );
    assert!(readable(&home).contains("Won · 200"));
    assert!(
        has_button(&home, "home_page", "1"),
        "back to the first page"
    );

    let queue = open_home(&app, MANAGER).await;
    assert!(blocks(&queue) <= 100, "{} blocks", blocks(&queue));
    assert!(readable(&queue).contains("Review queue · 200 waiting"));
    assert!(has_button(&queue, "home_page", "2"));
    assert!(app.refused_calls().is_empty(), "{:?}", app.refused_calls());
}
on_both_databases!(five_hundred_deals_page_within_slacks_limits);

async fn open_tabs_follow_changes_that_concern_them(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let refresher = tokio::spawn(app.app.home.clone().run(stopped));
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    let before = readable(&open_home(&app, "U0ALICE").await);
    assert!(!before.contains("Stark"));
    open_home(&app, MANAGER).await;
    open_home(&app, "U0BOB").await;
    let bobs = publishes_for(&app.emulator, "U0BOB");

    app.deal(&alice(), "register Stark Industries stark.com 70000")
        .await;
    let refreshed = app
        .emulator
        .wait_until(WAIT, |e| {
            let shows = |user: &str| e.home_of(user).map(|v| readable(&v)).unwrap_or_default();
            shows("U0ALICE").contains("Stark") && shows(MANAGER).contains("Stark")
        })
        .await;
    assert!(
        refreshed,
        "the partner's and the managers' tabs show the new deal"
    );

    // A decision moves the deal out of the managers' queue on their open tab.
    app.approve("D-2").await;
    let approved = app
        .emulator
        .wait_until(WAIT, |e| {
            e.home_of("U0ALICE").is_some_and(|v| {
                let text = readable(&v);
                text.contains("D-2* · Stark Industries")
                    && text.contains("_approved_ · protected until")
            })
        })
        .await;
    assert!(approved, "{:?}", app.emulator.home_of("U0ALICE"));
    assert_eq!(
        publishes_for(&app.emulator, "U0BOB"),
        bobs,
        "a tab the changes do not concern is not published again"
    );
    let _ = stop.send(true);
    refresher.await.expect("the refresher stops");
}
on_both_databases!(open_tabs_follow_changes_that_concern_them);

#[tokio::test]
async fn views_publish_is_refused_like_slack_refuses_it() {
    let emulator = Emulator::start().await.expect("emulator");
    let slack = partnerbot::slack::SlackApi::new(
        &emulator.base_url,
        &secrecy::SecretString::from("xoxb-test"),
    )
    .expect("client");
    let section = json!({ "type": "section", "text": { "type": "mrkdwn", "text": "hi" } });
    let home = |n: usize| json!({ "type": "home", "blocks": vec![section.clone(); n] });
    let refusal = |r: Result<(), partnerbot::slack::ApiFailure>| match r {
        Err(partnerbot::slack::ApiFailure::Permanent { reason }) => reason,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(
        refusal(slack.publish_home("U0ALICE", &home(101)).await),
        "invalid_arguments"
    );
    assert_eq!(
        refusal(slack.publish_home("", &home(1)).await),
        "invalid_arguments"
    );
    assert_eq!(
        refusal(slack.publish_home("alice", &home(1)).await),
        "invalid_arguments"
    );
    assert_eq!(
        refusal(slack.publish_home("C0GLOBEX", &home(1)).await),
        "invalid_arguments"
    );
    let modal =
        json!({ "type": "modal", "title": { "type": "plain_text", "text": "x" }, "blocks": [] });
    assert_eq!(
        refusal(slack.publish_home("U0ALICE", &modal).await),
        "invalid_arguments"
    );
    emulator.set_home_tab(false);
    assert_eq!(
        refusal(slack.publish_home("U0ALICE", &home(1)).await),
        "not_enabled"
    );
    emulator.set_home_tab(true);
    assert!(
        emulator.home_of("U0ALICE").is_none(),
        "nothing refused was shown"
    );
    // Slack documents no scope for views.publish: an app holding none may still publish.
    emulator.grant_scopes(&[]);
    slack
        .publish_home("U0ALICE", &home(100))
        .await
        .expect("100 blocks are fine");
    assert_eq!(blocks(&emulator.home_of("U0ALICE").expect("shown")), 100);
}
