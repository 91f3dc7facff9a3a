//! Upgrades keep data: a database written by the previous release (schema up to migration 20,
//! partners, deals, ledger, a survey round, and outbox rows still pending in that release's
//! format, one of them a reply whose thread root was not delivered yet) migrates forward, and
//! every pending row is delivered exactly once, threaded where it was meant to be.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::app::App;
use partnerbot::clock::Clock;
use partnerbot::domain::DealId;
use partnerbot::emulator::{Call, Emulator};
use partnerbot::store::Store;
use serde_json::json;
use sqlx::Connection;
use std::collections::HashMap;

/// The last migration of the previous release.
const PREVIOUS_RELEASE: i64 = 20;
/// The `ts` Slack gave the already delivered confirmation of deal 2.
const DELIVERED_ROOT_TS: &str = "1700000000.000100";

/// A row of the previous release: kind, channel, payload, deal, and Slack's ts if delivered.
type LegacyRow = (
    &'static str,
    &'static str,
    serde_json::Value,
    Option<i64>,
    Option<&'static str>,
);

/// The previous release's outbox rows.
fn legacy_outbox() -> Vec<LegacyRow> {
    let text = |t: &str| json!({ "text": t, "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": t } }] });
    let mut threaded = text("D-2 is approved");
    threaded["thread_ts"] = json!(DELIVERED_ROOT_TS);
    vec![
        (
            "deal_confirmation",
            "C0GLOBEX",
            text("D-2 registered"),
            Some(2),
            Some(DELIVERED_ROOT_TS),
        ),
        (
            "deal_confirmation",
            "C0GLOBEX",
            text("D-1 registered"),
            Some(1),
            None,
        ),
        (
            "review_card",
            MANAGERS_CHANNEL,
            text("D-1 card"),
            Some(1),
            None,
        ),
        // Written before the confirmation was delivered: no thread_ts, yet it belongs in the thread.
        (
            "decision_notice",
            "C0GLOBEX",
            text("D-1 is approved"),
            Some(1),
            None,
        ),
        // Written before the card was delivered: no ts, yet it should update the card.
        (
            "review_card_update",
            MANAGERS_CHANNEL,
            text("D-1 card, approved"),
            Some(1),
            None,
        ),
        (
            "extension_request",
            MANAGERS_CHANNEL,
            text("D-1 extension asked"),
            Some(1),
            None,
        ),
        // Written after its root was delivered: threaded as stored.
        ("decision_notice", "C0GLOBEX", threaded, Some(2), None),
        (
            "psat_invite",
            "U0ALICE",
            text("How likely are you to recommend us?"),
            None,
            None,
        ),
    ]
}

async fn previous_release_rows(url: &str) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let now = 1_700_000_000_000_i64;
    for sql in [
        "INSERT INTO partners (name, partner_type, tier, slack_channel, slack_team, manager_user, created_at, created_by) VALUES ('Globex', 'reseller', 'gold', 'C0GLOBEX', 'T0GLOBEX', 'U0MANAGER1', $1, 'cli')",
        "INSERT INTO partner_users (partner_id, slack_user, slack_team, first_seen_at, last_seen_at) VALUES (1, 'U0ALICE', 'T0GLOBEX', $1, $1)",
        "INSERT INTO deals (partner_id, status, company, domain, amount_minor, currency, close_date, stage, registered_by, source_channel, surface, created_at, updated_at) VALUES (1, 'approved', 'Acme Corp', 'acme.com', 5000000, 'USD', '2027-02-01', 'qualified', 'U0ALICE', 'C0GLOBEX', 'slack_modal', $1, $1)",
        "INSERT INTO deals (partner_id, status, company, domain, amount_minor, currency, close_date, stage, registered_by, source_channel, surface, created_at, updated_at) VALUES (1, 'won', 'Initrode', 'initrode.com', 2000000, 'USD', '2027-03-01', 'proposal', 'U0ALICE', 'C0GLOBEX', 'slack_command', $1, $1)",
        "INSERT INTO commissions (deal_id, partner_id, amount_minor, currency, status, payable_from, calculation, created_at) VALUES (2, 1, 400000, 'USD', 'pending', '2027-04-01', '20,000.00 USD x 20%', $1)",
        "INSERT INTO survey_rounds (opened_at, opened_by, remind_at, closes_at, open_flag) VALUES ($1, 'U0MANAGER1', $1, $1, 1)",
        "INSERT INTO survey_invites (round_id, slack_user, partner_id) VALUES (1, 'U0ALICE', 1)",
    ] {
        sqlx::query(sql).bind(now).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    for (kind, channel, payload, deal, ts) in legacy_outbox() {
        sqlx::query(
            "INSERT INTO outbox (kind, channel, payload, deal_id, created_at, next_attempt_at, delivered_at, slack_ts) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)",
        )
        .bind(kind)
        .bind(channel)
        .bind(payload.to_string())
        .bind(deal)
        .bind(now)
        .bind(ts.map(|_| now))
        .bind(ts)
        .execute(&mut conn)
        .await
        .expect("legacy outbox row");
    }
}

/// The call that delivered the message whose text is `text`.
fn call_with_text<'a>(calls: &'a [Call], text: &str) -> &'a Call {
    let found: Vec<&Call> = calls.iter().filter(|c| c.params["text"] == text).collect();
    assert_eq!(found.len(), 1, "{text:?} delivered exactly once: {found:?}");
    found[0]
}

async fn pending_rows_of_the_previous_release_deliver_once_and_threaded(db: Db) {
    let test_db = TestDb::new(db).await;
    let old = Store::connect(&test_db.url).await.expect("connect");
    old.migrate_through(PREVIOUS_RELEASE)
        .await
        .expect("previous schema");
    previous_release_rows(&test_db.url).await;
    old.close().await;

    let store = test_db.store().await;
    let emulator = Emulator::start().await.expect("emulator");
    let app = App::build(
        &config(&emulator.base_url, &test_db.url),
        store.clone(),
        Clock::system(),
        Some("T0HOME".into()),
    )
    .expect("app builds");
    assert_eq!(
        store.outbox_depth().await.expect("depth"),
        7,
        "the pending rows survived"
    );
    let worker = app.worker(fast_delivery());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.outbox_depth().await.expect("depth") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox did not drain"
        );
        if worker.run_once().await.expect("round") == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    let calls = emulator.delivered();
    assert_eq!(
        calls.len(),
        7,
        "every pending row once, nothing else: {calls:#?}"
    );
    let mut per_outbox_id: HashMap<String, usize> = HashMap::new();
    for call in calls.iter().filter(|c| c.method == "chat.postMessage") {
        let id = call.params["metadata"]["event_payload"]["outbox_id"]
            .as_str()
            .unwrap_or("?");
        *per_outbox_id.entry(id.to_string()).or_default() += 1;
    }
    assert!(per_outbox_id.values().all(|n| *n == 1), "{per_outbox_id:?}");
    let confirmation = call_with_text(&calls, "D-1 registered");
    let card = call_with_text(&calls, "D-1 card");
    let root_ts = store
        .message_ts(DealId(1), "deal_confirmation")
        .await
        .expect("ts")
        .expect("delivered");
    let card_ts = store
        .message_ts(DealId(1), "review_card")
        .await
        .expect("ts")
        .expect("delivered");
    assert!(confirmation.method == "chat.postMessage" && card.method == "chat.postMessage");
    assert_eq!(
        call_with_text(&calls, "D-1 is approved").params["thread_ts"],
        json!(root_ts),
        "threaded under its root, delivered after it was queued"
    );
    assert_eq!(
        call_with_text(&calls, "D-1 extension asked").params["thread_ts"],
        json!(card_ts)
    );
    let update = call_with_text(&calls, "D-1 card, approved");
    assert_eq!(
        (update.method.as_str(), &update.params["ts"]),
        ("chat.update", &json!(card_ts)),
        "the card is updated in place"
    );
    assert_eq!(
        call_with_text(&calls, "D-2 is approved").params["thread_ts"],
        json!(DELIVERED_ROOT_TS)
    );
    assert_eq!(
        call_with_text(&calls, "How likely are you to recommend us?")
            .params
            .get("thread_ts"),
        None
    );

    // The rest of the data came through too.
    assert_eq!(store.partners().await.expect("partners").len(), 1);
    let deal = store.deal(DealId(1)).await.expect("deal").expect("kept");
    assert_eq!(deal.company, "Acme Corp");
    assert_eq!(
        store.ledger_of_deal(DealId(2)).await.expect("ledger").len(),
        1
    );
    assert_eq!(store.survey_rounds().await.expect("rounds").len(), 1);
}
on_both_databases!(pending_rows_of_the_previous_release_deliver_once_and_threaded);
