//! Registration latency/throughput through the real router and store, and outbox drain rate
//! through the Slack emulator. Prints its figures; see docs/BENCHMARKS.md.
//!
//! Run: `cargo bench --bench throughput` (Postgres at PARTNERBOT_TEST_POSTGRES or 127.0.0.1:5432).

use axum::body::Body;
use axum::http::Request;
use partnerbot::app::App;
use partnerbot::clock::Clock;
use partnerbot::config::{Config, Program};
use partnerbot::delivery::DeliveryConfig;
use partnerbot::emulator::{Emulator, Fault};
use partnerbot::service::Requester;
use partnerbot::simulate::{signing_headers, SlackUser};
use partnerbot::store::{OutboxMessage, Store};
use secrecy::SecretString;
use std::time::{Duration, Instant};
use tower::ServiceExt;

mod support;

const SECRET: &str = "bench-secret";

async fn database(kind: &str, dir: &tempfile::TempDir) -> String {
    if kind == "sqlite" {
        return format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
    }
    support::postgres_schema().await
}

async fn build(kind: &str, dir: &tempfile::TempDir, emulator: &Emulator) -> App {
    let url = database(kind, dir).await;
    let config = Config {
        database_url: url.clone(),
        signing_secret: SecretString::from(SECRET),
        bot_token: SecretString::from("xoxb-bench"),
        app_token: None,
        slack_api_url: emulator.base_url.clone(),
        bind: "127.0.0.1:0".parse().expect("addr"),
        program: Program::default(),
    };
    App::build(
        &config,
        Store::open(&url).await.expect("store"),
        Clock::system(),
        None,
    )
    .expect("app")
}

async fn register(app: &App, user: &SlackUser, n: usize) -> Duration {
    let body = user.command(
        "/deal",
        &format!("register Company {n} company{n}.com {}", 1000 + n),
        &format!("{n}.bench"),
    );
    let headers = signing_headers(SECRET, chrono::Utc::now().timestamp(), &body);
    let mut req = Request::post("/slack/commands")
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let started = Instant::now();
    let response = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).expect("req"))
        .await
        .expect("answer");
    assert!(response.status().is_success());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    assert!(
        String::from_utf8_lossy(&bytes).contains("Registered"),
        "registration failed"
    );
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn bench_registrations(kind: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let emulator = Emulator::start().await.expect("emulator");
    let app = build(kind, &dir, &emulator).await;
    app.service
        .add_partner(
            &Requester::Cli,
            partnerbot::service::PartnerLink {
                name: "Bench Partner",
                partner_type: "reseller",
                conversation: &partnerbot::chat::Conversation::new(
                    partnerbot::chat::Platform::Slack,
                    "C0BENCH",
                ),
                workspace: None,
                tier: None,
            },
        )
        .await
        .expect("partner");
    let user = SlackUser::new("U0BENCH", "T0BENCH", "C0BENCH");
    for n in 0..20 {
        register(&app, &user, 1_000_000 + n).await; // warm-up
    }
    let total = 500;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(total);
    for n in 0..total {
        latencies.push(register(&app, &user, n).await);
    }
    let sequential = started.elapsed();
    latencies.sort();
    let concurrency = 8;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (app, user) = (app.clone(), user.clone());
        tasks.spawn(async move {
            for i in 0..total / concurrency {
                register(&app, &user, 10_000 + worker * 1000 + i).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let parallel = started.elapsed();
    println!(
        "registration/{kind}: {total} sequential one-line registrations in {:.2}s = {:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {total} with {concurrency} concurrent clients in {:.2}s = {:.0}/s",
        sequential.as_secs_f64(),
        total as f64 / sequential.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3,
        parallel.as_secs_f64(),
        total as f64 / parallel.as_secs_f64(),
    );
}

async fn bench_delivery(kind: &str, messages: usize, channels: usize, rate_limits: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let emulator = Emulator::start().await.expect("emulator");
    let app = build(kind, &dir, &emulator).await;
    let rows: Vec<OutboxMessage> = (0..messages)
        .map(|i| {
            OutboxMessage::slack_payload(
                "bench",
                &format!("C0CH{:04}", i % channels),
                serde_json::json!({ "text": format!("m{i}") }),
            )
        })
        .collect();
    app.store
        .enqueue(&rows, app.clock.now_ms())
        .await
        .expect("enqueue");
    emulator.inject(
        Some("chat.postMessage"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        rate_limits,
    );
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let worker = tokio::spawn(
        app.worker(DeliveryConfig {
            poll: Duration::from_millis(20),
            ..DeliveryConfig::default()
        })
        .run(stop_rx),
    );
    while app.store.outbox_depth().await.expect("depth") > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(true);
    let _ = worker.await;
    let delivered = emulator.delivered().len();
    let mut per_channel: std::collections::HashMap<String, Vec<Instant>> = Default::default();
    for call in emulator
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.status == 200)
    {
        per_channel
            .entry(
                call.params["channel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default()
            .push(call.at);
    }
    let min_gap = per_channel
        .values()
        .flat_map(|ts| ts.windows(2).map(|w| w[1].duration_since(w[0])))
        .min()
        .unwrap_or_default();
    println!(
        "delivery/{kind}: {messages} messages over {channels} channels with {rate_limits} injected 429s: {delivered} delivered in {:.2}s = {:.0} msg/s; smallest gap between two posts to one channel {:.0} ms",
        elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64(),
        min_gap.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    for kind in ["sqlite", "postgres"] {
        bench_registrations(kind).await;
        bench_delivery(kind, 2000, 400, 0).await;
        bench_delivery(kind, 2000, 400, 20).await;
    }
}
