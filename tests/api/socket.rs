//! Socket Mode through the emulator: a slash command and a modal submission arrive as envelopes
//! and go through the same handlers as HTTP; the client reconnects when Slack sends
//! `disconnect` and when the connection drops; a retried envelope is handled once and
//! acknowledged again with the first answer.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::emulator::socket::SocketHub;
use partnerbot::simulate::SlackUser;
use partnerbot::store::CountTable;
use serde_json::{json, Value};
use std::time::Duration;

/// Long enough for any envelope or reconnection on a loaded machine; tests wait for events,
/// never for a time.
const PATIENCE: Duration = Duration::from_secs(20);

/// Sends what Slack would have posted to `path` as envelope `id` (its `retry`-th retry) and
/// waits for the acknowledgement.
async fn envelope(hub: &SocketHub, id: &str, path: &str, body: Vec<u8>, retry: u32) -> Value {
    let mut frame = partnerbot::simulate::envelope(id, path, &body);
    frame["retry_attempt"] = json!(retry);
    if retry > 0 {
        frame["retry_reason"] = json!("timeout");
    }
    let before = acks_of(hub, id).len();
    assert!(hub.send(&frame), "a connection is open");
    assert!(
        hub.wait_until(PATIENCE, |h| acks_of(h, id).len() > before)
            .await,
        "envelope {id} acknowledged"
    );
    acks_of(hub, id).pop().expect("ack")
}

fn acks_of(hub: &SocketHub, id: &str) -> Vec<Value> {
    hub.acks()
        .into_iter()
        .filter(|a| a["envelope_id"] == id)
        .collect()
}

async fn deals(app: &TestApp) -> i64 {
    app.store.count(CountTable::Deals).await.expect("count")
}

const COMMANDS: &str = "/slack/commands";

fn command(who: &SlackUser, text: &str, trigger: &str) -> Vec<u8> {
    who.command("/deal", text, trigger)
}

async fn socket_mode_registers_survives_reconnects_and_handles_a_retry_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let hub = app.emulator.socket.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let token = secrecy::SecretString::from("xapp-1-A0PARTNERBOT-test");
    let client = tokio::spawn(app.app.socket_mode(token).run(stopped));
    assert!(hub.wait_until(PATIENCE, |h| h.connections() == 1).await);

    // `/deal` opens the modal (an empty acknowledgement), the submission registers the deal
    // and the acknowledgement carries the modal's next view.
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    let ack = envelope(&hub, "E1", COMMANDS, command(&alice(), "", &trigger), 0).await;
    assert!(ack.get("payload").is_none(), "{ack}");
    let opened = app.emulator.calls_to("views.open");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].params["_ok"], true, "{:?}", app.refused_calls());
    let view = opened[0].params["view"].clone();
    let form = valid_form("Acme Rockets");
    let submission = alice().submit_view("V0SOCKET", &view, &as_refs(&form));
    let ack = envelope(&hub, "E2", "/slack/interactions", submission, 0).await;
    assert_eq!(ack["payload"]["response_action"], "update", "{ack}");
    assert_eq!(deals(&app).await, 1);

    // Slack retires the connection: the client opens a new one and carries on.
    assert!(hub.disconnect("refresh_requested"));
    assert!(hub.wait_until(PATIENCE, |h| h.connections() == 2).await);
    let one_line = command(
        &alice(),
        "register Umbrella umbrella.com 9000",
        "2.1000.socket",
    );
    let first = envelope(&hub, "E3", COMMANDS, one_line.clone(), 0).await;
    let text = first["payload"].to_string();
    assert!(text.contains("D-2"), "{text}");
    assert_eq!(deals(&app).await, 2);

    // The acknowledgement was lost, Slack sends the envelope again: same answer, and nothing
    // handled twice (handled again, it would add an "already yours" audit row).
    let audit = app.store.count(CountTable::Audit).await.expect("count");
    let again = envelope(&hub, "E3", COMMANDS, one_line, 1).await;
    assert_eq!(again, first);
    assert_eq!(deals(&app).await, 2);
    assert_eq!(
        app.store.count(CountTable::Audit).await.expect("count"),
        audit
    );

    // The connection drops without a word: the client reconnects with backoff.
    assert!(hub.drop_connection());
    assert!(hub.wait_until(PATIENCE, |h| h.connections() == 3).await);
    let ack = envelope(
        &hub,
        "E4",
        COMMANDS,
        command(
            &bob(),
            "register Initrode initrode.com 5000",
            "3.1000.socket",
        ),
        0,
    )
    .await;
    assert!(ack["payload"].to_string().contains("D-3"), "{ack}");
    assert_eq!(deals(&app).await, 3);

    stop.send(true).expect("client listens");
    client.await.expect("client stops");
    app.deliver_all().await;
}
on_both_databases!(socket_mode_registers_survives_reconnects_and_handles_a_retry_once);

async fn apps_connections_open_wants_the_app_level_token(db: Db) {
    let app = TestApp::spawn(db).await;
    let api = partnerbot::slack::SlackApi::new(
        &app.emulator.base_url,
        &secrecy::SecretString::from("xoxb-test"),
    )
    .expect("client");
    let url = api
        .open_connection(&secrecy::SecretString::from("xapp-1-x"))
        .await
        .expect("opens");
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    let refused = api
        .open_connection(&secrecy::SecretString::from("xoxb-test"))
        .await;
    assert_eq!(
        refused,
        Err(partnerbot::slack::ApiFailure::Permanent {
            reason: "not_authed".into()
        })
    );
}
on_both_databases!(apps_connections_open_wants_the_app_level_token);

#[tokio::test]
async fn partnerbot_check_names_an_app_token_slack_refuses() {
    let emulator = partnerbot::emulator::Emulator::start()
        .await
        .expect("emulator");
    let slack = partnerbot::slack::SlackApi::new(
        &emulator.base_url,
        &secrecy::SecretString::from("xoxb-test"),
    )
    .expect("client");
    let check = |token: &'static str| {
        let slack = slack.clone();
        async move {
            let token = secrecy::SecretString::from(token);
            partnerbot::preflight::socket_mode_problems(&slack, Some(&token)).await
        }
    };
    assert!(check("xapp-1-good").await.is_empty());
    assert!(partnerbot::preflight::socket_mode_problems(&slack, None)
        .await
        .is_empty());
    emulator.inject(
        Some("apps.connections.open"),
        partnerbot::emulator::Fault::SlackError("invalid_auth".into()),
        1,
    );
    let problems = check("xapp-1-good").await;
    assert_eq!(problems.len(), 1);
    let line = problems[0].to_string();
    assert!(
        line.contains("SLACK_APP_TOKEN")
            && line.contains("invalid_auth")
            && line.contains("connections:write"),
        "{line}"
    );
}

#[test]
fn the_socket_mode_manifest_is_the_http_one_in_socket_mode() {
    /// The manifest's settings, without comments, request URLs and the mode switch.
    fn settings(file: &str) -> Vec<String> {
        std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .filter(|l| !l.contains("url: https://") && !l.contains("socket_mode_enabled"))
            .map(str::to_string)
            .collect()
    }
    assert_eq!(settings("manifest.yaml"), settings("manifest.socket.yaml"));
    let socket = std::fs::read_to_string("manifest.socket.yaml").expect("manifest");
    assert!(socket.contains("socket_mode_enabled: true"));
    assert!(!socket.contains("bot.example.com"));
}
