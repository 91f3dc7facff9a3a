//! Every real payload in `tests/data/slack/` (copied from ../shared/slack-fixtures) is accepted
//! when correctly signed and answered without a server error.

use crate::helpers::*;
use partnerbot::simulate::form_payload;

#[tokio::test]
async fn every_fixture_gets_a_non_5xx_answer_when_signed() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let dir = std::path::Path::new("tests/data/slack");
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let raw = std::fs::read(&path).expect("read fixture");
        let (route, content_type, body) = match name.as_str() {
            "slash_command.txt" => ("/slack/commands", "application/x-www-form-urlencoded", raw),
            "block_actions.json"
            | "view_submission.json"
            | "view_submission_slack_connect.json" => {
                let json: serde_json::Value = serde_json::from_slice(&raw).expect("json");
                (
                    "/slack/interactions",
                    "application/x-www-form-urlencoded",
                    form_payload(&json),
                )
            }
            n if n.ends_with(".json") && n != "signing_vector.json" => {
                ("/slack/events", "application/json", raw)
            }
            _ => continue,
        };
        let (status, text) = app.post_signed(route, content_type, body).await;
        assert!(status.is_success(), "{name} → {route}: {status} {text}");
        if name == "url_verification.json" {
            assert!(
                text.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
                "challenge echoed: {text}"
            );
        }
        if name.starts_with("view_submission") {
            assert!(
                text.contains("response_action"),
                "{name}: an unknown form gets an explanatory view: {text}"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 10, "all Slack and Teams payload fixtures were sent");
    let (_, metrics) = app.get("/metrics").await;
    assert!(!metrics.contains("server_error"), "{metrics}");
}

#[tokio::test]
async fn signed_garbage_is_logged_and_acknowledged() {
    let app = TestApp::spawn(Db::Sqlite).await;
    for route in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        let (status, _) = app
            .post_signed(route, "application/json", b"\xff\xfenot a payload".to_vec())
            .await;
        assert_eq!(status, axum::http::StatusCode::OK, "{route}");
    }
}
