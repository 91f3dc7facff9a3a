//! The Events API: Slack's retries are processed once.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::simulate::event_callback;
use serde_json::json;

async fn the_same_event_delivered_three_times_is_processed_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = event_callback(
        "Ev0MENTION1",
        json!({ "type": "app_mention", "user": "U0ALICE", "channel": "C0GLOBEX", "text": "<@U0BOT> help", "ts": "1700000000.000100" }),
    );
    for retry in 0..3 {
        let mut headers =
            partnerbot::simulate::signing_headers(SECRET, chrono::Utc::now().timestamp(), &body)
                .to_vec();
        if retry > 0 {
            headers.push(("x-slack-retry-num", retry.to_string()));
            headers.push(("x-slack-retry-reason", "http_timeout".into()));
        }
        let (status, _) = app
            .post("/slack/events", "application/json", body.clone(), &headers)
            .await;
        assert_eq!(status, axum::http::StatusCode::OK);
    }
    app.deliver_all().await;
    let replies = app.posted_to("C0GLOBEX");
    assert_eq!(replies.len(), 1, "one reply for three deliveries");
    assert_eq!(
        replies[0].params["thread_ts"], "1700000000.000100",
        "answered in the mention's thread"
    );
}
on_both_databases!(the_same_event_delivered_three_times_is_processed_once);

async fn bot_messages_and_channel_chatter_are_ignored(db: Db) {
    let app = TestApp::spawn(db).await;
    let events = [
        json!({ "type": "message", "user": "U0ALICE", "channel": "C0GLOBEX", "channel_type": "channel", "ts": "1.1" }),
        json!({ "type": "message", "bot_id": "B0BOT", "channel": "D0DM", "channel_type": "im", "ts": "1.2" }),
        json!({ "type": "reaction_added", "user": "U0ALICE", "item": {} }),
    ];
    for (i, event) in events.into_iter().enumerate() {
        let (status, _) = app
            .post_signed(
                "/slack/events",
                "application/json",
                event_callback(&format!("Ev{i}"), event),
            )
            .await;
        assert_eq!(status, axum::http::StatusCode::OK);
    }
    let dm = json!({ "type": "message", "user": "U0ALICE", "channel": "D0DM", "channel_type": "im", "ts": "1.3" });
    app.post_signed(
        "/slack/events",
        "application/json",
        event_callback("Ev9", dm),
    )
    .await;
    app.deliver_all().await;
    assert_eq!(
        app.emulator.delivered().len(),
        1,
        "only the DM from a person is answered"
    );
    assert_eq!(app.posted_to("D0DM").len(), 1);
}
on_both_databases!(bot_messages_and_channel_chatter_are_ignored);
