//! Correctly signed but hostile payloads never get a 5xx: over-long ids and texts, NUL bytes,
//! wrong JSON types, deep nesting, huge payloads within the body cap, duplicated form keys. The
//! app stays healthy, leaves no partial rows, and still registers deals afterwards.

use crate::helpers::*;
use crate::on_both_databases;
use axum::http::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

const FORM: &str = "application/x-www-form-urlencoded";

/// `n` characters that do not compress (a Postgres index squeezes a run of one letter).
fn long(n: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'A' + (x % 26) as u8)
        })
        .collect()
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs)
        .unwrap_or_default()
        .into_bytes()
}

/// A slash command from partner A with `overrides` replacing or adding fields.
fn command(text: &str, overrides: &[(&str, &str)]) -> Vec<u8> {
    let mut fields = vec![
        ("team_id", "T0GLOBEX"),
        ("channel_id", "C0GLOBEX"),
        ("user_id", "U0ALICE"),
        ("command", "/deal"),
        ("text", text),
        ("trigger_id", "1.2.3"),
    ];
    for (k, v) in overrides {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v,
            None => fields.push((k, v)),
        }
    }
    form(&fields)
}

fn command_payloads() -> Vec<(String, Vec<u8>)> {
    let (l10k, l200k) = (long(10_000), long(200_000));
    let nul_text = "register Ac\u{0}me acme.com 5000";
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("duplicated text key", b"command=/deal&text=list&text=show&user_id=U0ALICE&channel_id=C0GLOBEX&team_id=T0GLOBEX".to_vec()),
        ("NUL in text", command(nul_text, &[])),
        ("NUL around a subcommand", command("\u{0}list\u{0}", &[])),
        ("10k text", command(&l10k, &[])),
        ("200k text", command(&l200k, &[])),
        ("10k user id", command("list", &[("user_id", &l10k)])),
        ("10k channel id", command("list", &[("channel_id", &l10k)])),
        ("10k team id", command("list", &[("team_id", &l10k)])),
        ("10k trigger id", command("", &[("trigger_id", &l10k)])),
        ("NUL in user id", command("list", &[("user_id", "U0AL\u{0}ICE")])),
        ("NUL in channel id", command("register Acme acme.com 5000", &[("channel_id", "C0GLOBEX\u{0}")])),
        ("10k command name", command("list", &[("command", &l10k)])),
        ("NUL command name", command("list", &[("command", "/de\u{0}al")])),
        ("missing user id", form(&[("command", "/deal"), ("text", "list"), ("channel_id", "C0GLOBEX")])),
        ("empty body", Vec::new()),
        ("invalid UTF-8", b"command=/deal&text=%FF%FE%FD&user_id=U0ALICE&channel_id=C0GLOBEX".to_vec()),
        ("JSON instead of a form", br#"{"command":"/deal","text":"list"}"#.to_vec()),
        ("only an equals sign", b"=".to_vec()),
        ("10k company", command(&format!("register {l10k} acme.com 5000"), &[])),
        ("10k domain", command(&format!("register Acme {l10k}.com 5000"), &[])),
        ("huge amount", command("register Acme acme.com 99999999999999999999999999999999", &[])),
        ("exponent amount", command("register Acme acme.com 1e400", &[])),
        ("currency XXX", command("register Acme acme.com 5000 XXX", &[])),
        ("year 99999", command("register Acme acme.com 5000 USD 99999-01-01", &[])),
        ("overflowing deal id", command("show D-99999999999999999999999", &[])),
        ("negative deal id", command("show D--1", &[])),
        ("NUL in update", command("update D-1 stage=\u{0} notes=\u{0}", &[])),
        ("10k update", command(&format!("update D-1 products={l10k}"), &[])),
        ("mention flood", command(&"register <!channel> &amp; ".repeat(2_000), &[])),
        ("zero-width and RTL", command("register \u{202e}emcA\u{200b} acme.com 5000", &[])),
        ("partners add with NUL", command("add Glo\u{0}bex type=reseller", &[("command", "/partners"), ("user_id", MANAGER)])),
        ("partners add 10k", command(&format!("add {l10k} type=reseller"), &[("command", "/partners"), ("user_id", MANAGER)])),
        ("partners check 10k", command(&format!("check {l10k}"), &[("command", "/partners"), ("user_id", MANAGER)])),
        ("deal extend NUL", command("extend D-1 \u{0}", &[])),
        ("withdraw 10k", command(&format!("withdraw D-1 {l10k}"), &[])),
    ];
    cases.push(("deep text", command(&deep(5_000), &[])));
    cases.into_iter().map(|(n, b)| (n.to_string(), b)).collect()
}

fn interaction(payload: &str) -> Vec<u8> {
    form(&[("payload", payload)])
}

fn click(action_id: &str, value: &str) -> Value {
    json!({ "type": "block_actions", "user": { "id": MANAGER, "team_id": "T0HOME" },
            "channel": { "id": MANAGERS_CHANNEL }, "container": { "channel_id": MANAGERS_CHANNEL, "message_ts": "1.1" },
            "trigger_id": "1.2.3", "actions": [{ "action_id": action_id, "value": value }] })
}

fn submission(callback: &str, metadata: &str, values: Value) -> Value {
    json!({ "type": "view_submission", "user": { "id": "U0ALICE", "team_id": "T0GLOBEX" },
            "view": { "id": "V1", "callback_id": callback, "private_metadata": metadata, "state": { "values": values } } })
}

fn text_input(block: &str, value: &str) -> Value {
    json!({ block: { block: { "type": "plain_text_input", "value": value } } })
}

fn interaction_payloads() -> Vec<(String, Vec<u8>)> {
    let l10k = long(10_000);
    let nul = "\u{0}";
    let mut many = click("approve", "D-1");
    many["actions"] = json!(vec![
        json!({ "action_id": "approve", "value": "D-1" });
        2_000
    ]);
    let json_cases: Vec<(&str, Value)> = vec![
        (
            "missing user",
            json!({ "type": "block_actions", "actions": [] }),
        ),
        (
            "user id a number",
            json!({ "type": "block_actions", "user": { "id": 5 }, "actions": [] }),
        ),
        ("user id 10k", {
            let mut c = click("approve", "D-1");
            c["user"]["id"] = json!(l10k);
            c
        }),
        ("user id NUL", {
            let mut c = click("approve", "D-1");
            c["user"]["id"] = json!("U0\u{0}");
            c
        }),
        ("action id 10k", click(&l10k, "D-1")),
        ("action value 10k", click("approve", &l10k)),
        ("action value NUL", click("approve", nul)),
        (
            "approve overflowing id",
            click("approve", "D-99999999999999999999999"),
        ),
        ("reject NUL", click("reject", "D-1\u{0}")),
        ("survey score 10k", click("psat_score", &l10k)),
        ("survey score NUL", click("psat_score", "1:\u{0}")),
        ("extend NUL", click("extend_request", nul)),
        ("actions a string", {
            let mut c = click("approve", "D-1");
            c["actions"] = json!("approve");
            c
        }),
        ("2,000 actions", many),
        ("message ts 10k", {
            let mut c = click("approve", "D-1");
            c["container"]["message_ts"] = json!(l10k);
            c
        }),
        ("channel NUL", {
            let mut c = click("approve", "D-1");
            c["channel"]["id"] = json!("C\u{0}");
            c
        }),
        (
            "registration NUL company",
            submission("deal_registration", "", text_input("company", "Ac\u{0}me")),
        ),
        (
            "registration 10k company",
            submission("deal_registration", "", text_input("company", &l10k)),
        ),
        (
            "registration wrong types",
            submission(
                "deal_registration",
                "",
                json!({ "company": { "company": { "value": 5 } } }),
            ),
        ),
        (
            "registration metadata NUL",
            submission("deal_registration", "\u{0}", json!({})),
        ),
        (
            "registration metadata 10k",
            submission("deal_registration", &l10k, json!({})),
        ),
        (
            "registration state a list",
            submission("deal_registration", "", json!([1, 2])),
        ),
        (
            "comment bad round",
            submission("psat_comment", "abc", text_input("comment", "fine")),
        ),
        (
            "comment NUL",
            submission("psat_comment", "1", text_input("comment", "\u{0}\u{0}")),
        ),
        (
            "comment 10k round",
            submission("psat_comment", &l10k, text_input("comment", &l10k)),
        ),
        (
            "update NUL metadata",
            submission("deal_update", "D-\u{0}", json!({})),
        ),
        (
            "decision 10k reason",
            submission("reject_reason", "D-1", text_input("reason", &l10k)),
        ),
        (
            "extension NUL",
            submission("extend_request", "D-1", text_input("justification", nul)),
        ),
        ("unknown callback 10k", submission(&l10k, "", json!({}))),
        (
            "unknown type",
            json!({ "type": "shortcut\u{0}", "user": { "id": "U0ALICE" } }),
        ),
        (
            "view id a number",
            json!({ "type": "view_submission", "user": { "id": "U0ALICE" }, "view": { "id": 7 } }),
        ),
    ];
    let mut cases: Vec<(String, Vec<u8>)> = json_cases
        .into_iter()
        .map(|(n, v)| (n.to_string(), interaction(&v.to_string())))
        .collect();
    cases.push(("not JSON".into(), interaction("{not json")));
    cases.push(("a JSON array".into(), interaction("[1,2,3]")));
    cases.push((
        "deep nesting".into(),
        interaction(&format!(
            r#"{{"type":"block_actions","x":{}}}"#,
            deep(10_000)
        )),
    ));
    cases.push(("no payload".into(), form(&[("other", "1")])));
    cases.push((
        "payload twice".into(),
        b"payload=%7B%7D&payload=%7B%7D".to_vec(),
    ));
    cases
}

fn event(event_id: Value, event: Value) -> Vec<u8> {
    json!({ "type": "event_callback", "team_id": "T0HOME", "event_id": event_id, "event_time": 1_700_000_000, "event": event })
        .to_string()
        .into_bytes()
}

fn mention(user: &str, channel: &str, text: &str) -> Value {
    json!({ "type": "app_mention", "user": user, "channel": channel, "text": text, "ts": "1700000000.000100" })
}

fn event_payloads() -> Vec<(String, Vec<u8>)> {
    let l10k = long(10_000);
    let ok = mention("U0ALICE", "C0GLOBEX", "<@U0BOT> help");
    let raw: Vec<(&str, Vec<u8>)> = vec![
        ("event id 10k", event(json!(l10k), ok.clone())),
        ("event id NUL", event(json!("Ev0\u{0}X"), ok.clone())),
        ("event id a number", event(json!(5), ok.clone())),
        ("event id an object", event(json!({ "a": 1 }), ok.clone())),
        ("event id 10k of multibyte", event(json!("é".repeat(10_000)), ok.clone())),
        ("user 10k", event(json!("Ev0USER10K"), mention(&l10k, "C0GLOBEX", "help"))),
        ("user NUL", event(json!("Ev0USERNUL"), mention("U0\u{0}", "C0GLOBEX", "help"))),
        ("channel 10k", event(json!("Ev0CHAN10K"), mention("U0ALICE", &l10k, "help"))),
        ("channel NUL", event(json!("Ev0CHANNUL"), mention("U0ALICE", "C\u{0}", "help"))),
        ("text NUL", event(json!("Ev0TEXTNUL"), mention("U0ALICE", "C0GLOBEX", "\u{0}"))),
        ("ts 10k", event(json!("Ev0TS10K"), json!({ "type": "app_mention", "user": "U0ALICE", "channel": "C0GLOBEX", "ts": l10k }))),
        ("ts NUL", event(json!("Ev0TSNUL"), json!({ "type": "app_mention", "user": "U0ALICE", "channel": "C0GLOBEX", "ts": "1.\u{0}" }))),
        ("thread ts 10k", event(json!("Ev0THR10K"), json!({ "type": "app_mention", "user": "U0ALICE", "channel": "C0GLOBEX", "ts": "1.1", "thread_ts": l10k }))),
        ("im 10k text", event(json!("Ev0IM10K"), json!({ "type": "message", "channel_type": "im", "user": "U0ALICE", "channel": "D0DM", "text": l10k, "ts": "1.1" }))),
        ("event a string", event(json!("Ev0STRING"), json!("app_mention"))),
        ("event type a number", event(json!("Ev0TYPENUM"), json!({ "type": 5 }))),
        ("event without type", event(json!("Ev0NOTYPE"), json!({ "user": "U0ALICE" }))),
        ("event type 10k", event(json!("Ev0TYPE10K"), json!({ "type": l10k }))),
        ("url verification 10k", json!({ "type": "url_verification", "challenge": l10k }).to_string().into_bytes()),
        ("url verification NUL", json!({ "type": "url_verification", "challenge": "a\u{0}b" }).to_string().into_bytes()),
        ("url verification number", json!({ "type": "url_verification", "challenge": 5 }).to_string().into_bytes()),
        ("envelope type a number", json!({ "type": 5 }).to_string().into_bytes()),
        ("empty object", b"{}".to_vec()),
        ("array", b"[]".to_vec()),
        ("not JSON", b"{event".to_vec()),
        ("empty body", Vec::new()),
        ("deep nesting", format!(r#"{{"type":"event_callback","event_id":"Ev0DEEP","event":{}}}"#, deep(10_000)).into_bytes()),
        ("lone surrogate", br#"{"type":"event_callback","event_id":"Ev0SUR","event":{"type":"app_mention","user":"\ud800"}}"#.to_vec()),
        ("invalid UTF-8", b"{\"type\":\"event_callback\",\"event_id\":\"\xff\xfe\"}".to_vec()),
        ("huge payload", event(json!("Ev0HUGE"), json!({ "type": "app_mention", "user": "U0ALICE", "channel": "C0GLOBEX", "ts": "1.1", "text": long(250_000) }))),
    ];
    raw.into_iter().map(|(n, b)| (n.to_string(), b)).collect()
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut conn)
        .await
        .expect(sql)
}

async fn hostile_signed_payloads_never_get_a_5xx_or_leave_partial_rows(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Corp acme.com 50000")
        .await;
    let endpoints = [
        ("/slack/commands", command_payloads()),
        ("/slack/interactions", interaction_payloads()),
        ("/slack/events", event_payloads()),
    ];
    let mut failures = Vec::new();
    for (path, cases) in endpoints {
        assert!(cases.len() >= 30, "{path}: only {} cases", cases.len());
        for (name, body) in cases {
            let content_type = if path == "/slack/events" {
                "application/json"
            } else {
                FORM
            };
            let (status, answer) = app.post_signed(path, content_type, body).await;
            if status.is_server_error() {
                failures.push(format!(
                    "{path} / {name}: {status} {}",
                    answer.chars().take(200).collect::<String>()
                ));
            }
            if path == "/slack/commands" && status == StatusCode::OK && answer.trim().is_empty() {
                failures.push(format!(
                    "{path} / {name}: an empty answer (a command always gets a visible one)"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "still healthy");
    // No partial rows: every deal has its registration audit row and its confirmation queued.
    let url = &app.db.url;
    let deals = scalar(url, "SELECT COUNT(*) FROM deals").await;
    let audited = scalar(url, "SELECT COUNT(DISTINCT entity_id) FROM audit_log WHERE entity = 'deal' AND action = 'registered'").await;
    assert_eq!(deals, audited, "every deal has its audit row");
    let unannounced = scalar(url, "SELECT COUNT(*) FROM deals d WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.deal_id = d.id)").await;
    assert_eq!(unannounced, 0, "every deal has its messages queued");
    // ISO 4217's "no currency" is not a deal currency.
    let before = scalar(url, "SELECT COUNT(*) FROM deals").await;
    let answer = app
        .deal(&alice(), "register Xcorp xcorp.com 5000 XXX")
        .await;
    assert!(answer.to_string().contains("XXX"), "{answer}");
    assert_eq!(
        scalar(url, "SELECT COUNT(*) FROM deals").await,
        before,
        "nothing stored"
    );
    // The app still works for real people.
    let answer = app
        .deal(&bob(), "register Initech Widgets initech-widgets.com 7000")
        .await;
    assert!(answer.to_string().contains("D-"), "{answer}");
    app.deliver_all().await;
}
on_both_databases!(hostile_signed_payloads_never_get_a_5xx_or_leave_partial_rows);
