//! A PSAT round end to end over signed requests and the emulator.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::Duration;
use partnerbot::jobs::run_job;
use partnerbot::simulate::{form_payload, SlackUser};
use serde_json::json;

fn click(user: &str, channel: &str, ts: &str, action: &str, value: &str) -> Vec<u8> {
    SlackUser::new(user, "T0PARTNER", channel).click(action, value, ts)
}

async fn a_survey_round_records_changes_reminds_closes_and_follows_up(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let users = [
        alice(),
        SlackUser::new("U0ALICE2", "T0GLOBEX", "C0GLOBEX"),
        bob(),
        SlackUser::new("U0BOB2", "T0INITECH", "C0INITECH"),
    ];
    for (i, u) in users.iter().enumerate() {
        app.deal(u, &format!("register Customer{i} customer{i}.com 1000"))
            .await;
    }
    let opened = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "survey now")
            .await,
    )
    .join(" ");
    assert!(
        opened.contains("Survey round 1 is open: 4 partner user(s) asked"),
        "{opened}"
    );
    let again = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "survey now")
            .await,
    )
    .join(" ");
    assert!(again.contains("already open"), "{again}");
    let refused = strings(&app.slash(&alice(), "/partners", "survey now").await).join(" ");
    assert!(refused.contains("Only partner managers"), "{refused}");
    app.deliver_all().await;
    let invite = app.posted_to("U0ALICE").last().expect("DM").params.clone();
    let buttons = invite["blocks"][1]["elements"]
        .as_array()
        .expect("buttons")
        .len();
    assert_eq!(buttons, 11, "0 to 10");
    serde_json::from_value::<Vec<slack_morphism::prelude::SlackBlock>>(invite["blocks"].clone())
        .expect("valid Block Kit");
    let post = |body: Vec<u8>| {
        app.post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            body,
        )
    };

    post(click("U0ALICE", "D0ALICE", "1.1", "psat_score_10", "1:10")).await;
    post(click("U0ALICE", "D0ALICE", "1.1", "psat_score_9", "1:9")).await;
    post(click("U0ALICE2", "D0ALICE2", "1.2", "psat_score_3", "1:3")).await;
    post(click("U0ALICE2", "D0ALICE2", "1.2", "psat_score_2", "1:2")).await;
    post(click("U0BOB", "D0BOB", "1.3", "psat_score_8", "1:8")).await;
    post(click("U0STRANGER", "D0X", "1.4", "psat_score_10", "1:10")).await;
    post(click("U0ALICE", "D0ALICE", "1.1", "psat_comment", "1")).await;
    let modal = app
        .emulator
        .calls_to("views.open")
        .last()
        .expect("comment modal")
        .params["view"]
        .clone();
    assert_eq!(modal["callback_id"], "psat_comment");
    let comment = form_payload(
        &json!({ "type": "view_submission", "user": { "id": "U0ALICE" },
        "view": { "id": "V-c", "callback_id": "psat_comment", "private_metadata": "1", "state": { "values": { "comment": { "comment": { "type": "plain_text_input", "value": "More co-marketing <please>" } } } } } }),
    );
    post(comment).await;

    let start = chrono::Utc::now();
    let run = |when| {
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::SurveyFollowthrough,
            when,
        )
    };
    assert_eq!(
        run(start + Duration::days(1)).await.expect("run"),
        "0 reminder(s), 0 round(s) closed"
    );
    assert_eq!(
        run(start + Duration::days(3) + Duration::hours(1))
            .await
            .expect("run"),
        "1 reminder(s), 0 round(s) closed",
        "only U0BOB2 has not answered"
    );
    assert_eq!(
        run(start + Duration::days(4)).await.expect("run"),
        "0 reminder(s), 0 round(s) closed",
        "one reminder"
    );

    app.deliver_all().await;
    let thanks = app.emulator.calls_to("chat.update");
    assert!(
        thanks.iter().any(|c| c.params["channel"] == "D0ALICE"
            && c.params["ts"] == "1.1"
            && strings(&c.params).join(" ").contains("You answered *9*")),
        "the clicked DM shows the (changed) choice"
    );
    let followups = app.posted_to(MANAGER);
    assert_eq!(
        followups.len(),
        1,
        "one follow-up for the detractor, even after a second detractor click"
    );
    assert!(strings(&followups[0].params)
        .join(" ")
        .contains("<@U0ALICE2> of *Globex Resellers* answered *3*"));
    assert_eq!(
        app.posted_to("U0BOB2").len(),
        2,
        "the invitation and one reminder"
    );
    assert_eq!(
        app.posted_to("U0BOB").len(),
        1,
        "no reminder for people who answered"
    );

    let handled = click(MANAGER, "D0MGR", "9.9", "psat_handled", "1:U0ALICE2");
    post(handled.clone()).await;
    post(handled).await;
    app.deliver_all().await;
    assert!(app
        .emulator
        .calls_to("chat.update")
        .iter()
        .any(|c| c.params["channel"] == "D0MGR"
            && strings(&c.params)
                .join(" ")
                .contains("Handled by <@U0MANAGER1>")));

    assert_eq!(
        run(start + Duration::days(14) + Duration::hours(1))
            .await
            .expect("run"),
        "0 reminder(s), 1 round(s) closed"
    );
    // Hand computation: answers 9, 2, 8 of 4 invited → 75 %; promoters 1, passives 1, detractors 1 → NPS 0; average 19/3 = 6.33.
    let results = strings(
        &app.slash(
            &manager_in(MANAGERS_CHANNEL),
            "/partners",
            "survey results 1",
        )
        .await,
    )
    .join(" ");
    for needle in [
        "round 1 (closed)",
        "response rate 75% (3/4)",
        "NPS 0 (1 promoters, 1 passives, 1 detractors)",
        "average 6.33",
        "first round with answers",
        "Globex Resellers: NPS 0 · average 5.5 · 2/2",
        "Initech: NPS 0 · average 8 · 1/2",
    ] {
        assert!(results.contains(needle), "{needle} missing from {results}");
    }
    let late = strings(&app.slash(&alice(), "/deal", "help").await).join(" ");
    assert!(!late.is_empty());
    post(click("U0BOB2", "D0BOB2", "1.5", "psat_score_10", "1:10")).await;
    app.deliver_all().await;
    let closed = app
        .emulator
        .delivered()
        .iter()
        .filter(|c| c.params["user"] == "U0BOB2")
        .map(|c| strings(&c.params).join(" "))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(closed.contains("This survey round is closed"), "{closed}");
    app.deliver_all().await;
    let summary = strings(
        &app.posted_to(MANAGERS_CHANNEL)
            .last()
            .expect("results")
            .params,
    )
    .join(" ");
    assert!(
        summary.contains("PSAT round 1 (closed): response rate 75% (3/4)"),
        "{summary}"
    );
}
on_both_databases!(a_survey_round_records_changes_reminds_closes_and_follows_up);
