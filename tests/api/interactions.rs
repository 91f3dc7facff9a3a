//! Buttons and forms whose values no rendered message carries (stale or forged): each is
//! answered with a friendly note (a 200, never a 5xx) and changes nothing.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::DealStatus;
use partnerbot::simulate::{form_payload, SlackUser};
use serde_json::{json, Value};

const NOT_A_DEAL: &str = "is not a deal id: use the number shown on the deal, e.g. D-42";

/// What `user` was told privately, one line per answer.
fn told(app: &TestApp, user: &str) -> String {
    app.emulator
        .delivered()
        .iter()
        .filter(|c| c.params["user"] == user)
        .map(|c| strings(&c.params).join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn malformed_buttons_get_a_friendly_note_and_change_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.deliver_all().await;
    let manager = SlackUser::new(MANAGER, "T0HOME", MANAGERS_CHANNEL);
    let clicks = [
        ("review_approve", "D-x", format!("“D-x” {NOT_A_DEAL}")),
        ("review_reject", "0", format!("“0” {NOT_A_DEAL}")),
        ("extend_grant", "", format!("“” {NOT_A_DEAL}")),
        ("ae_cosell", "one", format!("“one” {NOT_A_DEAL}")),
        (
            "psat_score_7",
            "7",
            "That answer could not be read.".to_string(),
        ),
        (
            "psat_handled",
            "U0ALICE",
            "That follow-up could not be read.".to_string(),
        ),
        (
            "ae_shrug",
            "1",
            "That button isn't something I can act on (yet).".to_string(),
        ),
    ];
    for (action_id, value, expected) in &clicks {
        let body = app.interact(manager.click(action_id, value, "1.1")).await;
        assert_eq!(body, "", "{action_id}: acknowledged with an empty 200");
        app.deliver_all().await;
        let answers = told(&app, MANAGER);
        assert!(
            answers.contains(expected.as_str()),
            "{action_id}: {answers}"
        );
    }
    let deal = app
        .store
        .deal(partnerbot::domain::DealId(1))
        .await
        .expect("load")
        .expect("deal");
    assert_eq!(deal.status, DealStatus::PendingReview, "nothing changed");
}
on_both_databases!(malformed_buttons_get_a_friendly_note_and_change_nothing);

async fn submit(app: &TestApp, callback_id: &str, metadata: &str, field: &str) -> Value {
    let payload = json!({
        "type": "view_submission", "user": { "id": MANAGER, "team_id": "T0HOME" }, "team": { "id": "T0HOME" },
        "view": { "id": "V-forged", "callback_id": callback_id, "private_metadata": metadata,
                  "state": { "values": { field: { field: { "type": "plain_text_input", "value": "Because." } } } } }
    });
    let body = app.interact(form_payload(&payload)).await;
    serde_json::from_str(&body).expect("JSON answer")
}

async fn malformed_forms_answer_under_their_field(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let cases = [
        ("deal_update", "{}", "stage", format!("“” {NOT_A_DEAL}")),
        (
            "extend_request",
            r#"{"deal":0}"#,
            "justification",
            format!("“0” {NOT_A_DEAL}"),
        ),
        (
            "review_reject",
            "D-x",
            "note",
            format!("“D-x” {NOT_A_DEAL}"),
        ),
        (
            "psat_comment",
            "x",
            "comment",
            "That answer could not be read.".to_string(),
        ),
    ];
    for (callback_id, metadata, field, expected) in cases {
        let answer = submit(&app, callback_id, metadata, field).await;
        assert_eq!(
            answer,
            json!({ "response_action": "errors", "errors": { field: expected } }),
            "{callback_id}"
        );
    }
    let unknown = submit(&app, "old_callback", "", "note").await;
    assert_eq!(
        unknown["response_action"], "update",
        "the unknown-form view"
    );
}
on_both_databases!(malformed_forms_answer_under_their_field);
