//! Delivery survives Slack outages, rate limits, crashes and replicas: every message arrives
//! exactly once.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::emulator::Fault;
use partnerbot::store::OutboxMessage;
use std::collections::HashMap;
use std::time::Duration;

/// How many times each outbox id landed in Slack.
fn landed_per_outbox_id(app: &TestApp) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for call in app.emulator.delivered() {
        let id = call.params["metadata"]["event_payload"]["outbox_id"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

async fn a_slack_outage_then_rate_limits_delay_but_never_lose_or_duplicate(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deliver_all().await;
    let welcomes = app.emulator.delivered().len();
    app.emulator
        .inject(Some("chat.postMessage"), Fault::ServerError, 3);
    app.emulator.inject(
        Some("chat.postMessage"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        2,
    );
    let view = app.open_modal(&alice()).await;
    let answer = app
        .submit(
            &alice(),
            "V-outage",
            &view,
            &as_refs(&valid_form("Acme Rockets")),
        )
        .await;
    assert_eq!(
        answer["response_action"], "update",
        "the partner is answered while Slack is down"
    );
    app.deliver_all().await;
    assert_eq!(app.emulator.pending_faults(), 0, "every fault was hit");
    assert_eq!(
        app.store
            .count(partnerbot::store::CountTable::Deals)
            .await
            .expect("n"),
        1,
        "the deal is stored once"
    );
    assert_eq!(
        app.posted_to("C0GLOBEX").len() - 1,
        1,
        "one confirmation (after the welcome)"
    );
    assert_eq!(app.posted_to(MANAGERS_CHANNEL).len(), 1, "one review card");
    assert_eq!(app.emulator.delivered().len(), welcomes + 2);
    assert!(landed_per_outbox_id(&app).values().all(|n| *n == 1));
    // Retry-After was honoured: no post within a second of a 429.
    let posts = app.emulator.calls_to("chat.postMessage");
    for (i, call) in posts.iter().enumerate().filter(|(_, c)| c.status == 429) {
        if let Some(next) = posts.get(i + 1) {
            assert!(
                next.at.duration_since(call.at) >= Duration::from_millis(950),
                "posted {:?} after a 429",
                next.at.duration_since(call.at)
            );
        }
    }
}
on_both_databases!(a_slack_outage_then_rate_limits_delay_but_never_lose_or_duplicate);

async fn a_500_after_slack_posted_is_not_posted_again(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deliver_all().await;
    app.emulator
        .inject(Some("chat.postMessage"), Fault::ServerErrorAfterActing, 1);
    app.deal(&alice(), "register Acme Corp acme.com 50000")
        .await;
    app.deliver_all().await;
    assert!(
        landed_per_outbox_id(&app).values().all(|n| *n == 1),
        "{:?}",
        landed_per_outbox_id(&app)
    );
    assert_eq!(
        app.emulator.calls_to("conversations.history").len(),
        1,
        "the retry looked in the channel first"
    );
    assert_eq!(
        app.posted_to("C0GLOBEX").len(),
        2,
        "welcome + one confirmation"
    );
}
on_both_databases!(a_500_after_slack_posted_is_not_posted_again);

async fn a_restart_between_commit_and_send_still_delivers_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Corp acme.com 50000")
        .await;
    // The first instance dies after committing, before any worker sent anything.
    let depth = app.store.outbox_depth().await.expect("depth");
    assert_eq!(
        depth, 4,
        "two welcomes, a confirmation and a review card are waiting"
    );
    let restarted = app.replica().await;
    let worker = restarted.worker(fast_delivery());
    while restarted.store.outbox_depth().await.expect("depth") > 0 {
        worker.run_once().await.expect("round");
    }
    assert_eq!(app.emulator.delivered().len(), 4);
    assert!(landed_per_outbox_id(&app).values().all(|n| *n == 1));
}
on_both_databases!(a_restart_between_commit_and_send_still_delivers_once);

async fn a_worker_that_dies_holding_a_lease_is_taken_over(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    // A worker claims everything and dies before sending (its lease runs out).
    let claimed = app
        .store
        .claim_outbox("dead-worker", app.app.clock.now_ms(), 200, 100)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    let worker = app.worker();
    assert_eq!(
        worker.run_once().await.expect("round"),
        0,
        "a live lease is respected"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    app.deliver_all().await;
    assert_eq!(app.emulator.delivered().len(), 2);
    assert_eq!(
        app.emulator.calls_to("conversations.history").len(),
        2,
        "each taken-over row was checked first"
    );
}
on_both_databases!(a_worker_that_dies_holding_a_lease_is_taken_over);

async fn two_instances_deliver_a_burst_exactly_once_even_when_one_dies(db: Db) {
    let app = TestApp::spawn(db).await;
    let messages: Vec<OutboxMessage> = (0..200)
        .map(|i| text_message(&format!("C0BURST{:02}", i % 40), &format!("message {i}")))
        .collect();
    app.store
        .enqueue(&messages, app.app.clock.now_ms())
        .await
        .expect("enqueue");
    let (stop_a, stop_rx_a) = tokio::sync::watch::channel(false);
    let (stop_b, stop_rx_b) = tokio::sync::watch::channel(false);
    let replica_a = app.replica().await;
    let replica_b = app.replica().await;
    let a = tokio::spawn(replica_a.worker(fast_delivery()).run(stop_rx_a));
    let b = tokio::spawn(replica_b.worker(fast_delivery()).run(stop_rx_b));
    // Kill instance A mid-burst: its task is dropped wherever it is, leases and all.
    assert!(
        app.emulator
            .wait_until(Duration::from_secs(30), |e| e.delivered().len() >= 40)
            .await
    );
    a.abort();
    let _ = a.await;
    drop(stop_a);
    assert!(
        app.emulator
            .wait_until(Duration::from_secs(60), |e| e.delivered().len() >= 200)
            .await,
        "all 200 arrive"
    );
    // Rows A had sent but not yet recorded stay leased until the lease runs out; B then takes
    // them over, finds them in the channel history and records them without posting again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.store.outbox_depth().await.expect("depth") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "B took over everything A left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_b.send(true);
    let _ = b.await;
    let landed = landed_per_outbox_id(&app);
    assert_eq!(landed.len(), 200);
    assert!(
        landed.values().all(|n| *n == 1),
        "duplicates: {:?}",
        landed.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert_eq!(
        app.store.outbox_depth().await.expect("depth"),
        0,
        "nothing left undelivered"
    );
}
on_both_databases!(two_instances_deliver_a_burst_exactly_once_even_when_one_dies);

async fn posts_to_one_channel_are_paced(db: Db) {
    let app = TestApp::spawn(db).await;
    let messages: Vec<OutboxMessage> = (0..3)
        .map(|i| text_message("C0PACED", &format!("m{i}")))
        .collect();
    app.store
        .enqueue(&messages, app.app.clock.now_ms())
        .await
        .expect("enqueue");
    let worker = app.app.worker(partnerbot::delivery::DeliveryConfig {
        lease: Duration::from_secs(30),
        ..partnerbot::delivery::DeliveryConfig::default()
    });
    worker.run_once().await.expect("round");
    let posts = app.emulator.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 3);
    for pair in posts.windows(2) {
        assert!(
            pair[1].at.duration_since(pair[0].at) >= Duration::from_millis(950),
            "posts to one channel are about a second apart"
        );
    }
    let texts: Vec<&str> = posts
        .iter()
        .filter_map(|c| c.params["text"].as_str())
        .collect();
    assert_eq!(texts, ["m0", "m1", "m2"], "in order");
}
on_both_databases!(posts_to_one_channel_are_paced);

async fn a_permanently_refused_message_is_given_up_and_counted(db: Db) {
    let app = TestApp::spawn(db).await;
    app.emulator.inject(
        Some("chat.postMessage"),
        Fault::SlackError("channel_not_found".into()),
        1,
    );
    let msg = text_message("C0GONE", "hi");
    app.store
        .enqueue(&[msg], app.app.clock.now_ms())
        .await
        .expect("enqueue");
    app.deliver_all().await;
    assert_eq!(
        app.emulator.calls_to("chat.postMessage").len(),
        1,
        "not retried"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"partnerbot_deliveries_total{outcome="failed"} 1"#),
        "{metrics}"
    );
}
on_both_databases!(a_permanently_refused_message_is_given_up_and_counted);
