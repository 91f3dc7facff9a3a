//! A PSAT round fanned out to 2,000 partner users through the outbox and the Slack emulator,
//! with 429 answers injected: every invitation must arrive exactly once. Prints the time taken
//! and the rate observed. Run: `cargo bench --bench survey_fanout`.

use partnerbot::app::App;
use partnerbot::chat::{Conversation, Platform};
use partnerbot::clock::Clock;
use partnerbot::config::{Config, Program};
use partnerbot::delivery::DeliveryConfig;
use partnerbot::emulator::{Emulator, Fault};
use partnerbot::service::Requester;
use partnerbot::store::Store;
use secrecy::SecretString;
use sqlx::Connection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const USERS: usize = 2000;
const RATE_LIMITS: usize = 25;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    for kind in ["sqlite", "postgres"] {
        run(kind).await?;
    }
    Ok(())
}

async fn run(kind: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = if kind == "sqlite" {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("fanout.db").display()
        )
    } else {
        sqlx::any::install_default_drivers();
        let base = std::env::var("PARTNERBOT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("pbt_fanout_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&base).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await?;
        format!("{base}?options=-c%20search_path%3D{schema}")
    };
    let emulator = Emulator::start().await?;
    let config = Config {
        database_url: url.clone(),
        signing_secret: SecretString::from("bench"),
        bot_token: SecretString::from("xoxb-bench"),
        app_token: None,
        slack_api_url: emulator.base_url.clone(),
        bind: "127.0.0.1:0".parse()?,
        program: Program::default(),
    };
    let app = App::build(&config, Store::open(&url).await?, Clock::system(), None)?;
    for p in 0..20 {
        app.service
            .add_partner(
                &Requester::Cli,
                partnerbot::service::PartnerLink {
                    name: &format!("Partner {p}"),
                    partner_type: "reseller",
                    conversation: &Conversation::new(Platform::Slack, format!("C0P{p:04}")),
                    workspace: None,
                    tier: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(400) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, 0, 0)", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!("INSERT INTO partner_users (partner_id, slack_user, first_seen_at, last_seen_at) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q.bind((u % 20 + 1) as i64).bind(format!("U{u:06}"));
        }
        q.execute(&mut conn).await?;
    }
    // Drain the welcomes first so only the fan-out is measured.
    let worker = app.worker(DeliveryConfig {
        poll: Duration::from_millis(20),
        ..DeliveryConfig::default()
    });
    while app.store.outbox_depth().await? > 0 {
        worker.run_once().await?;
    }
    let before = emulator.delivered().len();
    emulator.inject(
        Some("chat.postMessage"),
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        RATE_LIMITS,
    );
    let started = Instant::now();
    let opened = app
        .service
        .open_survey("system", chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let queued = started.elapsed();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(
        app.worker(DeliveryConfig {
            poll: Duration::from_millis(20),
            ..DeliveryConfig::default()
        })
        .run(stop_rx),
    );
    while app.store.outbox_depth().await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(true);
    let _ = task.await;
    let delivered = &emulator.delivered()[before..];
    let mut per_user: HashMap<String, usize> = HashMap::new();
    for call in delivered {
        *per_user
            .entry(
                call.params["channel"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default() += 1;
    }
    let once = per_user.values().filter(|n| **n == 1).count();
    assert_eq!(
        (per_user.len(), once),
        (USERS, USERS),
        "every user exactly once"
    );
    let limited = emulator
        .calls_to("chat.postMessage")
        .iter()
        .filter(|c| c.status == 429)
        .count();
    // The busiest second of sending, as Slack would see it.
    let first = delivered
        .first()
        .map(|c| c.at)
        .unwrap_or_else(std::time::Instant::now);
    let mut per_second: HashMap<u64, usize> = HashMap::new();
    for call in delivered {
        *per_second
            .entry(call.at.duration_since(first).as_secs())
            .or_default() += 1;
    }
    let peak = per_second.values().copied().max().unwrap_or(0);
    println!(
        "survey_fanout/{kind}: {opened} | queued in {:.2}s; {} invitations delivered, each exactly once, in {:.2}s = {:.0} msg/s overall, peak {peak} msg/s, {limited} answers were 429 (Retry-After 1 s) and were honoured",
        queued.as_secs_f64(),
        delivered.len(),
        elapsed.as_secs_f64(),
        delivered.len() as f64 / elapsed.as_secs_f64(),
    );
    Ok(())
}
