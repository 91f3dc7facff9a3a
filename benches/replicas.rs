//! The production run of issue 8, end to end with real processes: two `partnerbot serve`
//! replicas on one Postgres database, one-line registrations from several clients, Slack (the
//! emulator, enforcing its one-post-a-second-per-channel limit) answering 500 for a while and
//! then 429 with `Retry-After: 2`, and each replica killed with SIGKILL once mid-run and
//! restarted. Prints what was acknowledged, stored, delivered, duplicated and lost, and how long
//! the outbox took to drain.
//!
//! Run: `cargo bench --bench replicas` (Postgres at PARTNERBOT_TEST_POSTGRES or 127.0.0.1:5432).
//! REGISTRATIONS (default 600), CLIENTS (8) and LOAD_SECS (40) change the load; PARTNERBOT_BIN
//! runs another build of `partnerbot` as the replicas.

use partnerbot::clock::Clock;
use partnerbot::config::{Config, Program};
use partnerbot::emulator::{Emulator, Fault};
use partnerbot::service::Requester;
use partnerbot::simulate::{signing_headers, SlackUser};
use partnerbot::store::Store;
use secrecy::SecretString;
use sqlx::Connection;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

const SECRET: &str = "bench-secret";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One `partnerbot serve` process on `port`.
fn spawn_replica(db: &str, slack: &str, port: u16) -> Child {
    let binary = std::env::var("PARTNERBOT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_partnerbot").to_string());
    Command::new(binary)
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-bench")
        .env("SLACK_API_URL", slack)
        .env("PARTNERBOT_BIND", format!("127.0.0.1:{port}"))
        .env("PARTNERBOT_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("partnerbot serve starts")
}

async fn wait_healthy(client: &reqwest::Client, port: u16) {
    for _ in 0..200 {
        let ok = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("replica on {port} did not become healthy");
}

/// Sends one signed registration to `port`; the deal id when it was acknowledged.
async fn register(
    client: &reqwest::Client,
    port: u16,
    user: &SlackUser,
    n: usize,
) -> Option<String> {
    let body = user.command(
        "/deal",
        &format!("register Replica Customer {n} replica-{n}.com {}", 1000 + n),
        &format!("{n}.bench"),
    );
    let mut request = client
        .post(format!("http://127.0.0.1:{port}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .timeout(Duration::from_secs(3));
    for (k, v) in signing_headers(SECRET, chrono::Utc::now().timestamp(), &body) {
        request = request.header(k, v);
    }
    let answer = request.body(body).send().await.ok()?;
    if !answer.status().is_success() {
        return None;
    }
    let text = answer.text().await.ok()?;
    let at = text.find("D-")?;
    let id: String = text[at..]
        .chars()
        .take_while(|c| *c == 'D' || *c == '-' || c.is_ascii_digit())
        .collect();
    Some(id)
}

async fn count(db: &str, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(db).await.expect("connect");
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

#[tokio::main]
async fn main() {
    let (total, clients, load_secs) = (
        env_usize("REGISTRATIONS", 600),
        env_usize("CLIENTS", 8),
        env_usize("LOAD_SECS", 40) as u64,
    );
    let emulator = Emulator::start().await.expect("emulator");
    // Slack's own limit: about one post a second per channel, short bursts allowed.
    emulator.enforce_channel_rate(2, Duration::from_secs(2));
    let db = support::postgres_schema().await;
    // Partners are linked before the replicas start (their welcomes join the backlog).
    let setup = partnerbot::app::App::build(
        &Config {
            database_url: db.clone(),
            signing_secret: SecretString::from(SECRET),
            bot_token: SecretString::from("xoxb-bench"),
            app_token: None,
            slack_api_url: emulator.base_url.clone(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            program: Program::default(),
        },
        Store::open(&db).await.expect("store"),
        Clock::system(),
        None,
    )
    .expect("app");
    let users: Vec<SlackUser> = (0..clients)
        .map(|i| {
            SlackUser::new(
                &format!("U0REP{i:03}"),
                &format!("T0REP{i:03}"),
                &format!("C0REP{i:03}"),
            )
        })
        .collect();
    for (i, user) in users.iter().enumerate() {
        setup
            .service
            .add_partner(
                &Requester::Cli,
                partnerbot::service::PartnerLink {
                    name: &format!("Replica Partner {i}"),
                    partner_type: "reseller",
                    conversation: &partnerbot::chat::Conversation::new(
                        partnerbot::chat::Platform::Slack,
                        user.channel.clone(),
                    ),
                    workspace: Some(user.team.clone()),
                    tier: None,
                },
            )
            .await
            .expect("partner");
    }
    let ports = [38_101u16, 38_102];
    let replicas: Arc<Mutex<Vec<Child>>> = Arc::new(Mutex::new(
        ports
            .iter()
            .map(|p| spawn_replica(&db, &emulator.base_url, *p))
            .collect(),
    ));
    let client = reqwest::Client::new();
    for port in ports {
        wait_healthy(&client, port).await;
    }
    let started = Instant::now();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let per_client = total / clients;
    let gap = Duration::from_secs(load_secs) / per_client as u32;
    for (c, user) in users.iter().cloned().enumerate() {
        let (client, acked) = (client.clone(), acked.clone());
        tasks.spawn(async move {
            for i in 0..per_client {
                let n = c * 100_000 + i;
                // Alternate replicas; when one is down, the partner retries on the other.
                let first = ports[(c + i) % 2];
                let second = ports[(c + i + 1) % 2];
                let id = match register(&client, first, &user, n).await {
                    Some(id) => Some(id),
                    None => register(&client, second, &user, n).await,
                };
                if let Some(id) = id {
                    acked.lock().expect("acked").push(id);
                }
                tokio::time::sleep(gap).await;
            }
        });
    }
    // Slack answers 500 for 4 s, then 429 (Retry-After: 2) for 4 s; each replica is killed
    // with SIGKILL once mid-run and restarted two seconds later.
    let script = [
        (0.25, "outage"),
        (0.35, "kill 0"),
        (0.40, "start 0"),
        (0.70, "kill 1"),
        (0.75, "start 1"),
    ];
    for (at, step) in script {
        let when = started + Duration::from_secs_f64(load_secs as f64 * at);
        tokio::time::sleep_until(when.into()).await;
        match step {
            "outage" => {
                let now = Instant::now();
                emulator.inject_until(
                    Some("chat.postMessage"),
                    Fault::ServerError,
                    now + Duration::from_secs(4),
                );
                // Queued behind the 500s: the 429 window starts when the outage ends.
                let rate = (
                    Fault::RateLimited {
                        retry_after_secs: 2,
                    },
                    now + Duration::from_secs(8),
                );
                tokio::time::sleep(Duration::from_secs(4)).await;
                emulator.inject_until(Some("chat.postMessage"), rate.0, rate.1);
            }
            step => {
                let i: usize = step[step.len() - 1..].parse().expect("index");
                let mut replicas = replicas.lock().expect("replicas");
                if step.starts_with("kill") {
                    replicas[i].kill().expect("SIGKILL");
                    let _ = replicas[i].wait();
                } else {
                    replicas[i] = spawn_replica(&db, &emulator.base_url, ports[i]);
                }
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let load_done = started.elapsed();
    let pending = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL";
    while count(&db, pending).await > 0 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained = started.elapsed();
    for mut child in replicas.lock().expect("replicas").drain(..) {
        let _ = child.kill();
        let _ = child.wait();
    }
    let acked = acked.lock().expect("acked").clone();
    report(&emulator, &db, &acked, load_done, drained).await;
}

async fn report(
    emulator: &Emulator,
    db: &str,
    acked: &[String],
    load: Duration,
    drained: Duration,
) {
    let mut copies: HashMap<(String, String), usize> = HashMap::new();
    for (i, call) in emulator.delivered().iter().enumerate() {
        // Ephemeral answers and in-place updates carry no outbox id (and cannot land twice).
        let id = call.params["metadata"]["event_payload"]["outbox_id"]
            .as_str()
            .map_or_else(|| format!("call {i}"), str::to_string);
        let channel = call.params["channel"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *copies.entry((channel, id)).or_insert(0) += 1;
    }
    let cards: Vec<usize> = copies
        .iter()
        .filter(|((c, _), _)| c == "C0MANAGERS")
        .map(|(_, n)| *n)
        .collect();
    let duplicated: usize = copies.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    let failed_rows = count(
        db,
        "SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL",
    )
    .await;
    let deals = count(db, "SELECT COUNT(*) FROM deals").await;
    let distinct_acked: std::collections::HashSet<&String> = acked.iter().collect();
    let mut conn = sqlx::AnyConnection::connect(db).await.expect("connect");
    let posts: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE ephemeral_user IS NULL AND payload NOT LIKE '%\"ts\":%' AND payload NOT LIKE '%\"file\":%'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("posts");
    let landed: std::collections::HashSet<&String> = copies.keys().map(|(_, id)| id).collect();
    let lost = posts
        .iter()
        .filter(|id| !landed.contains(&id.to_string()))
        .count();
    let calls = emulator.calls();
    let status = |s: u16| calls.iter().filter(|c| c.status == s).count();
    println!(
        "replicas: {} registrations acknowledged ({} distinct deal ids), {deals} deals stored; \
         {} messages delivered ({} review cards), {duplicated} duplicated, {} lost, {failed_rows} failed; \
         Slack answered 500 {} times and 429 {} times; load {:.1}s, outbox drained {:.1}s after the start ({:.1}s after the load)",
        acked.len(),
        distinct_acked.len(),
        copies.len(),
        cards.len(),
        lost,
        status(500),
        status(429),
        load.as_secs_f64(),
        drained.as_secs_f64(),
        (drained - load).as_secs_f64(),
    );
}
