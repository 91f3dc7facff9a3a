//! `partnerbot check` (and `serve` before it starts) names every problem Slack can show: a
//! missing scope, a channel the bot is not in, a channel that does not exist.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::emulator::Fault;
use partnerbot::preflight::{slack_problems, Severity};
use serde_json::json;

async fn check_names_missing_scopes_and_channels_the_bot_cannot_post_in(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let program = partnerbot::config::Program::default();
    let partners = app.store.partners().await.expect("partners");
    let slack = &app.app.slack;
    assert_eq!(
        slack_problems(&program, slack, &partners).await,
        vec![],
        "all in place"
    );

    let scopes: Vec<&str> = partnerbot::slack::scopes::NEEDED
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != "chat:write")
        .collect();
    app.emulator.grant_scopes(&scopes);
    let problems = slack_problems(&program, slack, &partners).await;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].problem.contains("chat:write") && problems[0].severity == Severity::Error);
    app.emulator.grant_scopes(
        &partnerbot::slack::scopes::NEEDED
            .iter()
            .map(|(s, _)| *s)
            .collect::<Vec<_>>(),
    );

    app.emulator.set_channel(
        MANAGERS_CHANNEL,
        json!({ "id": MANAGERS_CHANNEL, "is_member": false }),
    );
    app.emulator.inject(
        Some("conversations.info"),
        Fault::SlackError("channel_not_found".into()),
        0,
    );
    let problems = slack_problems(&program, slack, &partners).await;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].setting, "managers.slack_channel");
    assert!(
        problems[0].fix.contains("/invite @partnerbot"),
        "{}",
        problems[0]
    );

    app.emulator.set_channel(
        MANAGERS_CHANNEL,
        json!({ "id": MANAGERS_CHANNEL, "is_member": true }),
    );
    app.emulator.inject(
        Some("conversations.info"),
        Fault::SlackError("channel_not_found".into()),
        1,
    );
    let problems = slack_problems(&program, slack, &partners).await;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].problem.contains("cannot be reached")
            && problems[0].problem.contains("channel_not_found"),
        "{}",
        problems[0]
    );
}
on_both_databases!(check_names_missing_scopes_and_channels_the_bot_cannot_post_in);

#[test]
fn partner_ids_that_are_not_the_platforms_ids_are_refused_by_the_command_line() {
    use partnerbot::cli::{slack_partner_ids, teams_partner_ids};
    let refused =
        slack_partner_ids("C0ACME".into(), Some("acme".into())).expect_err("acme is not a team id");
    assert!(refused.to_string().contains("--slack-team"), "{refused}");
    assert!(refused.to_string().contains("team id"), "{refused}");
    let refused = slack_partner_ids("#acme".into(), None).expect_err("a channel name");
    assert!(refused.to_string().contains("--slack-channel"), "{refused}");
    let refused = teams_partner_ids("C0ACME".into(), None).expect_err("a Slack id in Teams");
    assert!(refused.to_string().contains("--teams-channel"), "{refused}");
    let refused = teams_partner_ids("19:acme@thread.tacv2".into(), Some("acme".into()))
        .expect_err("not a tenant id");
    assert!(refused.to_string().contains("--teams-tenant"), "{refused}");
    let (teams, tenant) = teams_partner_ids(
        "19:acme@thread.tacv2".into(),
        Some("72F988BF-86F1-41AF-91AB-2D7CD011DB47".into()),
    )
    .expect("Teams ids");
    assert_eq!(teams.platform, partnerbot::chat::Platform::Teams);
    assert_eq!(
        tenant.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
}
