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
        .claim_outbox(
            "dead-worker",
            app.app.clock.now_ms(),
            200,
            fast_delivery().claim_limits(),
        )
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
    let to_gone = app
        .emulator
        .calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.params["channel"] == "C0GONE")
        .count();
    assert_eq!(to_gone, 1, "not retried");
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"partnerbot_deliveries_total{outcome="failed"} 1"#),
        "{metrics}"
    );
}
on_both_databases!(a_permanently_refused_message_is_given_up_and_counted);

/// A delivery configuration with short leases, for the takeover tests.
fn short_leases() -> partnerbot::delivery::DeliveryConfig {
    partnerbot::delivery::DeliveryConfig {
        lease: Duration::from_millis(600),
        send_timeout: Duration::from_millis(1_500),
        channel_interval: Duration::from_millis(15),
        ..fast_delivery()
    }
}

async fn a_worker_whose_lease_was_taken_over_does_not_send_or_record_the_row(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store
        .enqueue(&[text_message("C0FENCE", "once")], app.app.clock.now_ms())
        .await
        .expect("enqueue");
    let stalled = app.app.worker(short_leases());
    let claimed = app
        .store
        .claim_outbox(
            stalled.owner(),
            app.app.clock.now_ms(),
            100,
            short_leases().claim_limits(),
        )
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // The stalled worker's lease runs out; another worker takes the row over.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let other = app.app.worker(short_leases());
    let taken = app
        .store
        .claim_outbox(
            other.owner(),
            app.app.clock.now_ms(),
            60_000,
            short_leases().claim_limits(),
        )
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1, "the expired lease is taken over");
    // The stalled worker wakes up and tries to deliver its old claim: nothing is sent.
    stalled.deliver(claimed[0].clone()).await;
    assert!(
        app.emulator.calls_to("chat.postMessage").is_empty(),
        "the old holder did not post"
    );
    assert_eq!(
        app.store.outbox_depth().await.expect("depth"),
        1,
        "nor recorded anything"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"partnerbot_deliveries_total{outcome="fenced"} 1"#),
        "{metrics}"
    );
    other.deliver(taken[0].clone()).await;
    assert_eq!(
        landed_per_outbox_id(&app)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(app.store.outbox_depth().await.expect("depth"), 0);
}
on_both_databases!(a_worker_whose_lease_was_taken_over_does_not_send_or_record_the_row);

async fn an_earlier_post_beyond_the_first_history_page_is_still_found(db: Db) {
    let app = TestApp::spawn(db).await;
    app.store
        .enqueue(
            &[text_message("C0HIST", "the card")],
            app.app.clock.now_ms(),
        )
        .await
        .expect("enqueue");
    // Slack posts it but answers 500: the row is retried and must check the channel first.
    app.emulator
        .inject(Some("chat.postMessage"), Fault::ServerErrorAfterActing, 1);
    app.worker().run_once().await.expect("round");
    assert_eq!(app.posted_to("C0HIST").len(), 1);
    // 450 newer messages push it off the first pages of history (200 a page).
    for i in 0..450 {
        app.app
            .slack
            .post_message(
                "C0HIST",
                None,
                &serde_json::json!({ "text": format!("chatter {i}") }),
                -1,
            )
            .await
            .expect("chatter");
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    app.deliver_all().await;
    let cards = app
        .posted_to("C0HIST")
        .into_iter()
        .filter(|c| c.params["text"] == "the card")
        .count();
    assert_eq!(cards, 1, "found on the third page, not posted again");
    assert!(
        app.emulator.calls_to("conversations.history").len() >= 3,
        "it paged"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"partnerbot_deliveries_total{outcome="recovered"} 1"#),
        "{metrics}"
    );
}
on_both_databases!(an_earlier_post_beyond_the_first_history_page_is_still_found);

/// When the last message of `wanted` landed, and how many backlog messages had landed by then.
fn last_landing(app: &TestApp, wanted: impl Fn(&str) -> bool) -> Option<std::time::Instant> {
    app.emulator
        .delivered()
        .iter()
        .filter(|c| c.params["channel"].as_str().is_some_and(&wanted))
        .map(|c| c.at)
        .max()
}

async fn two_instances_drain_a_backlog_exactly_once_without_holding_up_other_channels(db: Db) {
    let app = TestApp::spawn(db).await;
    // 300 cards for one channel, 300 messages spread over 30 others, all queued at once.
    let mut messages: Vec<OutboxMessage> = (0..300)
        .map(|i| text_message("C0BACKLOG", &format!("card {i}")))
        .collect();
    messages.extend(
        (0..300).map(|i| text_message(&format!("C0SPREAD{:02}", i % 30), &format!("note {i}"))),
    );
    app.store
        .enqueue(&messages, app.app.clock.now_ms())
        .await
        .expect("enqueue");
    // Slack is slow; leases are short.
    app.emulator.set_latency(Duration::from_millis(15));
    let (stop_a, stop_rx_a) = tokio::sync::watch::channel(false);
    let (stop_b, stop_rx_b) = tokio::sync::watch::channel(false);
    let (replica_a, replica_b) = (app.replica().await, app.replica().await);
    let a = tokio::spawn(replica_a.worker(short_leases()).run(stop_rx_a));
    let b = tokio::spawn(replica_b.worker(short_leases()).run(stop_rx_b));
    // Kill instance A a little way in: its task is dropped wherever it is, leases and all.
    assert!(
        app.emulator
            .wait_until(Duration::from_secs(60), |e| e.delivered().len() >= 150)
            .await
    );
    a.abort();
    let _ = a.await;
    drop(stop_a);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while app.store.outbox_depth().await.expect("depth") > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the outbox drains");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_b.send(true);
    let _ = b.await;
    let landed = landed_per_outbox_id(&app);
    assert_eq!(landed.len(), 600, "every message arrived");
    let duplicated: Vec<_> = landed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicates: {duplicated:?}");
    let spread_done = last_landing(&app, |c| c.starts_with("C0SPREAD")).expect("spread");
    let backlog_done = last_landing(&app, |c| c == "C0BACKLOG").expect("backlog");
    assert!(
        spread_done < backlog_done,
        "the other channels finished before the backlog"
    );
    let backlog_by_then = app
        .posted_to("C0BACKLOG")
        .iter()
        .filter(|c| c.at <= spread_done)
        .count();
    assert!(
        backlog_by_then < 200,
        "the other channels were not held behind the backlog ({backlog_by_then} of 300 cards had gone out when they finished)"
    );
}
on_both_databases!(two_instances_drain_a_backlog_exactly_once_without_holding_up_other_channels);

async fn a_permanent_failure_is_reported_to_the_managers_once_per_kind_and_hour(db: Db) {
    let start = chrono::Utc::now();
    let app = TestApp::spawn_with_clock(db, partnerbot::clock::Clock::fixed(start)).await;
    let now = app.app.clock.now_ms();
    let refused = [
        ("C0GONE1", "not_in_channel"),
        ("C0GONE2", "not_in_channel"),
        ("C0GONE3", "missing_scope"),
    ];
    for (channel, _) in refused {
        let mut msg = text_message(channel, "a review card");
        msg.kind = "review_card".into();
        msg.deal_id = Some(7);
        app.store.enqueue(&[msg], now).await.expect("enqueue");
    }
    for (_, code) in refused {
        app.emulator
            .inject(Some("chat.postMessage"), Fault::SlackError(code.into()), 1);
    }
    app.worker()
        .run_once()
        .await
        .expect("the three refused posts");
    app.deliver_all().await;
    let alerts: Vec<String> = app
        .posted_to(MANAGERS_CHANNEL)
        .iter()
        .map(|c| partnerbot::emulator::readable(&c.params))
        .collect();
    assert_eq!(alerts.len(), 2, "one per kind: {alerts:#?}");
    let scope = alerts
        .iter()
        .find(|a| a.contains("missing_scope"))
        .expect("scope alert");
    assert!(
        scope.contains("manifest.yaml") && scope.contains("D-7"),
        "{scope}"
    );
    let invite = alerts
        .iter()
        .find(|a| a.contains("not_in_channel"))
        .expect("channel alert");
    assert!(
        invite.contains("/invite") && invite.contains("partnerbot outbox retry"),
        "{invite}"
    );

    // An hour later the same kind is reported again.
    app.app.clock.advance(chrono::Duration::minutes(61));
    app.store
        .enqueue(&[text_message("C0GONE4", "later")], app.app.clock.now_ms())
        .await
        .expect("enqueue");
    app.emulator.inject(
        Some("chat.postMessage"),
        Fault::SlackError("not_in_channel".into()),
        1,
    );
    app.worker().run_once().await.expect("refused");
    app.deliver_all().await;
    assert_eq!(app.posted_to(MANAGERS_CHANNEL).len(), 3);

    // Operators see the failed rows and re-send them once the cause is fixed.
    let mut listing = Vec::new();
    let shown = partnerbot::cli_outbox::list(
        &app.store,
        partnerbot::store::OutboxFilter::Failed,
        app.app.clock.now_ms(),
        &mut listing,
    )
    .await
    .expect("list");
    let listing = String::from_utf8(listing).expect("utf-8");
    assert_eq!(shown, 4, "{listing}");
    assert!(
        listing.contains("not_in_channel")
            && listing.contains("missing_scope")
            && listing.contains("failed"),
        "{listing}"
    );
    let failed_ids: Vec<String> = app
        .store
        .list_outbox(partnerbot::store::OutboxFilter::Failed, 10)
        .await
        .expect("list")
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let mut ids = failed_ids.clone();
    ids.push("999999".into());
    let answer = partnerbot::cli_outbox::retry(&app.store, &ids, app.app.clock.now_ms())
        .await
        .expect("retry");
    assert!(
        answer.starts_with("4 message(s) queued again") && answer.contains("999999"),
        "{answer}"
    );
    assert!(
        partnerbot::cli_outbox::retry(&app.store, &["abc".into()], 0)
            .await
            .is_err()
    );
    app.deliver_all().await;
    for channel in ["C0GONE1", "C0GONE2", "C0GONE3", "C0GONE4"] {
        assert_eq!(
            app.posted_to(channel).len(),
            1,
            "{channel} got its message after the retry"
        );
    }
    // The managers' channel refusing is not reported to itself: log and metric only.
    app.store
        .enqueue(
            &[text_message(MANAGERS_CHANNEL, "to managers")],
            app.app.clock.now_ms(),
        )
        .await
        .expect("enqueue");
    app.emulator.inject(
        Some("chat.postMessage"),
        Fault::SlackError("not_in_channel".into()),
        1,
    );
    app.app.clock.advance(chrono::Duration::minutes(61));
    app.deliver_all().await;
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"partnerbot_deliveries_total{outcome="failed_unreported"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"partnerbot_outbox_oldest_pending_age_seconds{platform="slack"} 0"#),
        "{metrics}"
    );
}
on_both_databases!(a_permanent_failure_is_reported_to_the_managers_once_per_kind_and_hour);
