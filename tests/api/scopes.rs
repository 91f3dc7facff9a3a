//! The app works with exactly the scopes `manifest.yaml` asks for (the emulator refuses any
//! method whose scope is missing, like Slack), and start-up names a scope the app lacks.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::simulate::event_callback;
use serde_json::json;

/// The bot scopes `manifest.yaml` declares.
fn manifest_scopes() -> Vec<String> {
    let manifest = std::fs::read_to_string("manifest.yaml").expect("manifest.yaml");
    let mut in_bot = false;
    let mut scopes = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line == "bot:" {
            in_bot = true;
        } else if in_bot && line.starts_with("- ") {
            scopes.push(line.trim_start_matches("- ").to_string());
        } else if in_bot && !line.starts_with('#') && !line.is_empty() {
            in_bot = false;
        }
    }
    scopes
}

async fn the_manifests_scopes_are_enough_and_a_missing_one_is_named(db: Db) {
    let app = TestApp::spawn(db).await;
    let scopes = manifest_scopes();
    let granted: Vec<&str> = scopes.iter().map(String::as_str).collect();
    app.emulator.grant_scopes(&granted);
    assert!(partnerbot::preflight::scope_problems(&app.app.slack)
        .await
        .is_empty());
    app.link_both().await;
    // A DM to the bot is answered.
    let dm = json!({ "type": "message", "user": "U0ALICE", "channel": "D0ALICE", "channel_type": "im", "ts": "1.3" });
    app.post_signed(
        "/slack/events",
        "application/json",
        event_callback("Ev0DMSCOPE", dm),
    )
    .await;
    // An account owner given by e-mail is resolved.
    app.emulator.set_user(
        "U0AE9",
        json!({ "id": "U0AE9", "profile": { "email": "ae.nine@example.com" } }),
    );
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("accounts.csv");
    std::fs::write(
        &file,
        "account name,domains,owner\nWayne Enterprises,wayne.com,ae.nine@example.com\n",
    )
    .expect("write");
    let rows = partnerbot::cli_accounts::read_accounts_csv(&file).expect("csv");
    let report = app
        .app
        .service
        .import_accounts(&rows, Some(&app.app.slack))
        .await
        .expect("import");
    assert_eq!(
        (report.created, report.rejected.len()),
        (1, 0),
        "{report:?}"
    );
    // The digest with its chart reaches the manager's DM.
    app.slash(&manager_in("D0MANAGER"), "/partners", "digest now")
        .await;
    app.deliver_all().await;
    assert_eq!(app.posted_to("D0ALICE").len(), 1, "the DM was answered");
    assert_eq!(app.emulator.files().len(), 1, "the chart was uploaded");
    let refused = app.refused_calls();
    assert!(refused.is_empty(), "refused calls: {refused:?}");

    // Without files:write, start-up names the scope and what it breaks.
    let fewer: Vec<&str> = granted
        .iter()
        .copied()
        .filter(|s| *s != "files:write")
        .collect();
    app.emulator.grant_scopes(&fewer);
    let problems = partnerbot::preflight::scope_problems(&app.app.slack).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("files:write") && problems[0].contains("chart"),
        "{problems:?}"
    );
}
on_both_databases!(the_manifests_scopes_are_enough_and_a_missing_one_is_named);
