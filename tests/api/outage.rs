//! When Postgres is unreachable (a network partition: connections stay open, nothing passes),
//! `/healthz` says so within a second and a slash command is answered within Slack's 3 seconds.
//! Postgres over TLS (`sslmode=require`) works.

use crate::helpers::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to Postgres that can be cut: after `cut`, bytes stop flowing both ways but every
/// connection stays open, as in a network partition.
struct Proxy {
    addr: std::net::SocketAddr,
    cut: Arc<AtomicBool>,
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        while cut.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

async fn proxy(target: String) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let cut = Arc::new(AtomicBool::new(false));
    let flag = cut.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&target).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, flag.clone()));
            tokio::spawn(pipe(sr, cw, flag.clone()));
        }
    });
    Proxy { addr, cut }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_gets_503_within_a_second_and_commands_an_answer() {
    let app = TestApp::spawn(Db::Postgres).await;
    app.link_both().await;
    let target = "127.0.0.1:5432".to_string();
    assert!(
        app.db.url.contains(&target),
        "the tests' Postgres is at {target}"
    );
    let gate = proxy(target.clone()).await;
    let proxied_url = app.db.url.replace(&target, &gate.addr.to_string());
    let store = partnerbot::store::Store::open(&proxied_url)
        .await
        .expect("through the proxy");
    let cut_off = partnerbot::app::App::build(
        &config(&app.emulator.base_url, &proxied_url),
        store,
        partnerbot::clock::Clock::system(),
        Some("T0HOME".into()),
    )
    .expect("app");
    // Healthy through the proxy, then the network goes away.
    let ok = app.deal_via(&cut_off, &alice(), "list").await;
    assert!(ok.to_string().contains("deal"), "{ok}");
    gate.cut.store(true, Ordering::SeqCst);

    let started = Instant::now();
    let response = tower::ServiceExt::oneshot(
        cut_off.router.clone(),
        axum::http::Request::get("/healthz")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await
    .expect("answer");
    let waited = started.elapsed();
    assert_eq!(
        response.status(),
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    );
    // The health budget is 800 ms; the bound leaves room for a loaded machine.
    assert!(
        waited < Duration::from_millis(1_500),
        "healthz took {waited:?}"
    );

    let started = Instant::now();
    let answer = app
        .deal_via(&cut_off, &alice(), "register Acme Corp acme.com 5000")
        .await;
    let waited = started.elapsed();
    assert!(
        answer.to_string().contains("try again in a minute"),
        "{answer}"
    );
    // The command budget is 2.7 s (a connection wait 2 s); the bound leaves room for a loaded
    // machine without hiding a hang.
    assert!(
        waited < Duration::from_millis(3_500),
        "Slack's 3 s: took {waited:?}"
    );
    gate.cut.store(false, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_with_sslmode_require() {
    let app = TestApp::spawn(Db::Postgres).await;
    let sep = if app.db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}sslmode=require", app.db.url);
    let store = partnerbot::store::Store::open(&url)
        .await
        .expect("TLS connection");
    assert!(store.ping().await.is_ok());
    sqlx::any::install_default_drivers();
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl, "the connection is encrypted");
}
