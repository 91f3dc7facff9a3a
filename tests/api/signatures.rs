//! Every Slack route refuses unsigned, mis-signed, stale and oversized requests with 401,
//! before any handler runs.

use crate::helpers::*;
use axum::http::StatusCode;
use partnerbot::clock::Clock;
use partnerbot::simulate::signing_headers;
use partnerbot::store::CountTable;

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn slacks_published_vector_passes_the_router_with_a_frozen_clock() {
    let vector: serde_json::Value =
        serde_json::from_str(include_str!("../data/slack/signing_vector.json"))
            .expect("vector parses");
    let ts: i64 = vector["x_slack_request_timestamp"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("ts");
    let at = chrono::DateTime::from_timestamp(ts + 10, 0).expect("time");
    let db = TestDb::new(Db::Sqlite).await;
    let emulator = partnerbot::emulator::Emulator::start()
        .await
        .expect("emulator");
    let mut cfg = config(&emulator.base_url, &db.url);
    cfg.signing_secret = secrecy::SecretString::from(
        vector["signing_secret"]
            .as_str()
            .expect("secret")
            .to_string(),
    );
    let app =
        partnerbot::app::App::build(&cfg, db.store().await, Clock::fixed(at), None).expect("app");
    let body = std::fs::read("tests/data/slack/slash_command.txt").expect("body");
    let headers = [
        ("x-slack-request-timestamp", ts.to_string()),
        (
            "x-slack-signature",
            vector["expected_x_slack_signature"]
                .as_str()
                .expect("sig")
                .to_string(),
        ),
    ];
    let send = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let router = app.router.clone();
        async move {
            use tower::ServiceExt;
            let mut req = axum::http::Request::post("/slack/commands").header("content-type", FORM);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            router
                .oneshot(req.body(axum::body::Body::from(body)).expect("req"))
                .await
                .expect("answer")
                .status()
        }
    };
    assert_eq!(
        send(headers.to_vec(), body.clone()).await,
        StatusCode::OK,
        "Slack's own example is accepted"
    );
    let mut tampered = body.clone();
    tampered[0] = b'T';
    assert_eq!(
        send(headers.to_vec(), tampered).await,
        StatusCode::UNAUTHORIZED
    );
}

/// A request that would register a deal if any handler saw it.
async fn registering_app() -> (TestApp, Vec<u8>) {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.link_both().await;
    app.deliver_all().await;
    let body = alice().command("/deal", "register Acme Corp acme.com 50000", "9.9.9");
    (app, body)
}

#[tokio::test]
async fn a_fresh_correctly_signed_request_is_accepted() {
    let (app, body) = registering_app().await;
    let (status, _) = app.post_signed("/slack/commands", FORM, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.store.count(CountTable::Deals).await.expect("n"), 1);
}

#[tokio::test]
async fn every_bad_signature_gets_401_and_reaches_no_handler() {
    let (app, body) = registering_app().await;
    let now = chrono::Utc::now().timestamp();
    let good = signing_headers(SECRET, now, &body);
    let (ts, sig) = (good[0].1.clone(), good[1].1.clone());
    let wrong = signing_headers("not-the-secret", now, &body)[1].1.clone();
    let old = signing_headers(SECRET, now - 301, &body);
    // Well past the limit: the test itself may take seconds on a loaded machine.
    let future = signing_headers(SECRET, now + 330, &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b"&extra=1");
    let big = {
        let mut b = body.clone();
        b.extend(std::iter::repeat_n(
            b'a',
            partnerbot::http::MAX_BODY_BYTES + 1,
        ));
        b
    };
    let big_headers = signing_headers(SECRET, now, &big);
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, Vec<u8>);
    let cases: Vec<Case> = vec![
        (
            "missing timestamp",
            vec![("x-slack-signature", sig.clone())],
            body.clone(),
        ),
        (
            "missing signature",
            vec![("x-slack-request-timestamp", ts.clone())],
            body.clone(),
        ),
        ("missing both", vec![], body.clone()),
        (
            "wrong signature",
            vec![
                ("x-slack-request-timestamp", ts.clone()),
                ("x-slack-signature", wrong),
            ],
            body.clone(),
        ),
        ("tampered body", good.to_vec(), tampered),
        (
            "not v0",
            vec![
                ("x-slack-request-timestamp", ts.clone()),
                ("x-slack-signature", sig.replacen("v0=", "v1=", 1)),
            ],
            body.clone(),
        ),
        (
            "non-numeric timestamp",
            vec![
                ("x-slack-request-timestamp", "yesterday".into()),
                ("x-slack-signature", sig.clone()),
            ],
            body.clone(),
        ),
        ("timestamp over 5 minutes old", old.to_vec(), body.clone()),
        (
            "timestamp over 5 minutes ahead",
            future.to_vec(),
            body.clone(),
        ),
        ("oversized body", big_headers.to_vec(), big),
    ];
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        for (name, headers, body) in &cases {
            let (status, text) = app.post(path, FORM, body.clone(), headers).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {name}");
            assert!(text.is_empty(), "{path}: {name}: nothing leaks in the body");
        }
    }
    assert_eq!(
        app.store.count(CountTable::Deals).await.expect("n"),
        0,
        "no handler ran"
    );
    assert!(app
        .emulator
        .calls()
        .iter()
        .all(|c| c.method != "views.open"));
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(
            r#"partnerbot_http_requests_total{route="/slack/commands",outcome="unauthorized"} 10"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let (app, body) = registering_app().await;
    app.post_signed("/slack/commands", FORM, body).await;
    let (status, text) = app.get("/healthz").await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "ok\n"));
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        r#"partnerbot_http_requests_total{route="/slack/commands",outcome="ok"} 1"#,
        "partnerbot_http_request_duration_seconds_bucket",
        "partnerbot_outbox_depth 2",
        r#"partnerbot_deliveries_total{outcome="delivered"}"#,
    ] {
        assert!(metrics.contains(needle), "{needle} missing in\n{metrics}");
    }
    app.store.close().await;
    let (status, _) = app.get("/healthz").await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "health fails when the database does"
    );
}
