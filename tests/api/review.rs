//! Managers' decisions from the review card: approve, reject with a reason, return with a
//! question; only managers; the card is updated in place and the partner is told.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::DealStatus;
use partnerbot::simulate::form_payload;
use serde_json::{json, Value};

fn click(user: &str, action: &str, deal: i64) -> Vec<u8> {
    partnerbot::simulate::SlackUser::new(user, "T0HOME", MANAGERS_CHANNEL).click(
        action,
        &deal.to_string(),
        "1.1",
    )
}

async fn press(app: &TestApp, user: &str, action: &str, deal: i64) {
    let (status, _) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            click(user, action, deal),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
}

async fn status_of(app: &TestApp, id: &str) -> DealStatus {
    app.store
        .deal(id.parse().expect("id"))
        .await
        .expect("load")
        .expect("deal")
        .status
}

fn ephemeral_to(app: &TestApp, user: &str) -> Vec<String> {
    app.emulator
        .delivered()
        .iter()
        .filter(|c| c.params["user"] == user)
        .map(|c| strings(&c.params).join(" "))
        .collect()
}

async fn registered(db: Db) -> TestApp {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.deliver_all().await;
    app
}

async fn only_managers_approve_and_the_card_is_updated_in_place(db: Db) {
    let app = registered(db).await;
    let card = app
        .posted_to(MANAGERS_CHANNEL)
        .last()
        .expect("card")
        .params
        .clone();
    let buttons: Vec<&str> = card["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    assert_eq!(
        buttons,
        ["review_approve", "review_reject", "review_return"]
    );

    press(&app, "U0ALICE", "review_approve", 1).await;
    assert_eq!(
        status_of(&app, "D-1").await,
        DealStatus::PendingReview,
        "a partner cannot approve"
    );
    press(&app, MANAGER, "review_approve", 1).await;
    let deal = app
        .store
        .deal("D-1".parse().expect("id"))
        .await
        .expect("load")
        .expect("deal");
    assert_eq!(deal.status, DealStatus::Approved);
    assert_eq!(
        deal.protected_until,
        Some(chrono::Utc::now().date_naive() + chrono::Duration::days(90))
    );
    press(&app, MANAGER, "review_approve", 1).await;
    app.deliver_all().await;

    assert!(ephemeral_to(&app, "U0ALICE")
        .iter()
        .any(|t| t.contains("Only partner managers")));
    let to_manager = ephemeral_to(&app, MANAGER).join("\n");
    assert!(
        to_manager.contains("Approved D-1") && to_manager.contains("already approved"),
        "{to_manager}"
    );

    let updates = app.emulator.calls_to("chat.update");
    assert_eq!(updates.len(), 1, "the card is updated once, in place");
    let update = &updates[0].params;
    let card_ts = app
        .store
        .message_ts(deal.id, "review_card")
        .await
        .expect("ts")
        .expect("delivered");
    assert_eq!(
        (update["channel"].as_str(), update["ts"].as_str()),
        (Some(MANAGERS_CHANNEL), Some(card_ts.as_str()))
    );
    let shown = strings(update).join(" ");
    assert!(
        shown.contains("Approved* by <@U0MANAGER1>") && shown.contains("protected until"),
        "{shown}"
    );
    assert!(
        !shown.contains("review_approve"),
        "no buttons after the decision"
    );

    let history = app
        .posted_to(MANAGERS_CHANNEL)
        .into_iter()
        .find(|c| strings(&c.params).join(" ").contains("|D-1>: approved"))
        .expect("thread note");
    assert_eq!(
        history.params["thread_ts"].as_str(),
        Some(card_ts.as_str()),
        "the decision is kept in the card's thread"
    );
    assert!(
        strings(&history.params)
            .join(" ")
            .contains(&format!(
                "<@U0MANAGER1> decided <https://emulated.slack.com/archives/{MANAGERS_CHANNEL}/p{}|D-1>: approved",
                card_ts.replace('.', "")
            )),
        "a real mention, not escaped text, and the deal's id links to the card's thread"
    );
    let notice = app
        .posted_to("C0GLOBEX")
        .last()
        .expect("notice")
        .params
        .clone();
    let text = strings(&notice).join(" ");
    assert!(
        text.contains("|D-1>*") && text.contains("*approved*") && text.contains("protected until"),
        "{text}"
    );
    let thread = app
        .store
        .message_ts(deal.id, "deal_confirmation")
        .await
        .expect("ts");
    assert_eq!(
        notice["thread_ts"].as_str(),
        thread.as_deref(),
        "told in the deal's thread"
    );
    let actions: Vec<String> = app
        .store
        .audit_of("deal", 1)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| format!("{}:{}", a.actor, a.action))
        .collect();
    assert_eq!(actions, ["U0ALICE:registered", "U0MANAGER1:approved"]);
}
on_both_databases!(only_managers_approve_and_the_card_is_updated_in_place);

async fn submit_note(app: &TestApp, callback: &str, deal: i64, note: &str) -> Value {
    let payload = json!({
        "type": "view_submission", "user": { "id": MANAGER, "team_id": "T0HOME" }, "team": { "id": "T0HOME" },
        "view": { "id": format!("V-{callback}-{deal}"), "callback_id": callback, "private_metadata": deal.to_string(),
                  "state": { "values": { "note": { "note": { "type": "plain_text_input", "value": note } } } } }
    });
    let (_, body) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            form_payload(&payload),
        )
        .await;
    serde_json::from_str(&body).expect("json")
}

async fn reject_and_return_ask_for_the_managers_words_and_pass_them_on(db: Db) {
    let app = registered(db).await;
    app.deal(&alice(), "register Wayne Enterprises wayne.com 9000")
        .await;
    press(&app, MANAGER, "review_reject", 1).await;
    let modal = app
        .emulator
        .calls_to("views.open")
        .last()
        .expect("modal")
        .params["view"]
        .clone();
    assert_eq!(
        (
            modal["callback_id"].as_str(),
            modal["private_metadata"].as_str()
        ),
        (Some("review_reject"), Some("1"))
    );
    serde_json::from_value::<slack_morphism::prelude::SlackView>(modal).expect("valid modal");

    let empty = submit_note(&app, "review_reject", 1, "  ").await;
    assert_eq!(empty["response_action"], "errors");
    assert!(empty["errors"]["note"]
        .as_str()
        .expect("text")
        .contains("Write a few words"));
    assert_eq!(status_of(&app, "D-1").await, DealStatus::PendingReview);
    let done = submit_note(
        &app,
        "review_reject",
        1,
        "Acme is already in our direct pipeline <!here>",
    )
    .await;
    assert_eq!(done["response_action"], "clear");
    assert_eq!(status_of(&app, "D-1").await, DealStatus::Rejected);

    press(&app, MANAGER, "review_return", 2).await;
    assert_eq!(
        app.emulator
            .calls_to("views.open")
            .last()
            .expect("modal")
            .params["view"]["callback_id"],
        "review_return"
    );
    submit_note(&app, "review_return", 2, "Who is the economic buyer?").await;
    assert_eq!(status_of(&app, "D-2").await, DealStatus::Returned);
    let again = submit_note(&app, "review_return", 2, "And the budget?").await;
    assert!(
        again["errors"]["note"]
            .as_str()
            .expect("text")
            .contains("already returned"),
        "{again}"
    );

    app.deliver_all().await;
    let notices: Vec<String> = app
        .posted_to("C0GLOBEX")
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        notices.iter().any(|n| n.contains("*not accepted*")
            && n.contains("already in our direct pipeline &lt;!here&gt;")),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.contains("*returned with a question*")
                && n.contains("Who is the economic buyer?")),
        "{notices:?}"
    );
    let audit = app.store.audit_of("deal", 1).await.expect("audit");
    assert_eq!(audit.last().map(|a| a.action.as_str()), Some("rejected"));
    assert!(audit
        .last()
        .is_some_and(|a| a.detail.contains("direct pipeline")));
}
on_both_databases!(reject_and_return_ask_for_the_managers_words_and_pass_them_on);

async fn deal_history_is_shown_to_allowed_people_only(db: Db) {
    let app = registered(db).await;
    press(&app, MANAGER, "review_approve", 1).await;
    let own = strings(&app.deal(&alice(), "show D-1").await).join(" ");
    assert!(
        own.contains("*History*")
            && own.contains("<@U0ALICE> registered (slack command)")
            && own.contains("<@U0MANAGER1> approved (slack button)"),
        "{own}"
    );
    let other = strings(&app.deal(&bob(), "show D-1").await).join(" ");
    assert!(
        !other.contains("History") && other.contains("There is no deal D-1"),
        "{other}"
    );
}
on_both_databases!(deal_history_is_shown_to_allowed_people_only);

async fn a_returned_registration_is_corrected_and_resubmitted(db: Db) {
    let app = registered(db).await;
    press(&app, MANAGER, "review_return", 1).await;
    submit_note(&app, "review_return", 1, "Which product line is this for?").await;
    app.deliver_all().await;
    let notice = app
        .posted_to("C0GLOBEX")
        .last()
        .expect("notice")
        .params
        .clone();
    let buttons: Vec<&str> = notice["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    assert_eq!(buttons, ["resubmit_open"]);

    // Only the partner's own users can reopen it; the form comes back filled in.
    let modals_before = app.emulator.calls_to("views.open").len();
    let bob_click = bob().click("resubmit_open", "1", "1.1");
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        bob_click,
    )
    .await;
    assert_eq!(
        app.emulator.calls_to("views.open").len(),
        modals_before,
        "another partner gets no form"
    );
    let click = alice().click("resubmit_open", "1", "1.1");
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        click,
    )
    .await;
    let view = app
        .emulator
        .calls_to("views.open")
        .last()
        .expect("form")
        .params["view"]
        .clone();
    serde_json::from_value::<slack_morphism::prelude::SlackView>(view.clone())
        .expect("valid modal");
    let company = view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == "company")
        .expect("company")["element"]["initial_value"]
        .clone();
    assert_eq!(
        (view["title"]["text"].as_str(), company.as_str()),
        (Some("Edit and resubmit"), Some("Acme Rockets"))
    );

    let mut form = valid_form("Acme Rockets");
    form.iter_mut()
        .filter(|(k, _)| *k == "domain")
        .for_each(|(_, v)| *v = "acme-rockets.com".into());
    form.iter_mut()
        .filter(|(k, _)| *k == "products")
        .for_each(|(_, v)| *v = "Rocket skates (consumer line)".into());
    let answer = app
        .submit(&alice(), "V-resubmit", &view, &as_refs(&form))
        .await;
    assert_eq!(answer["response_action"], "update", "{answer}");
    let deal = app
        .store
        .deal("D-1".parse().expect("id"))
        .await
        .expect("load")
        .expect("deal");
    assert_eq!(
        (
            deal.status,
            deal.products.as_str(),
            deal.decided_by.as_deref()
        ),
        (
            DealStatus::PendingReview,
            "Rocket skates (consumer line)",
            None
        )
    );
    assert_eq!(
        app.store
            .count(partnerbot::store::CountTable::Deals)
            .await
            .expect("n"),
        1,
        "corrected, not duplicated"
    );

    app.deliver_all().await;
    let card = app
        .emulator
        .calls_to("chat.update")
        .last()
        .expect("card update")
        .params
        .clone();
    assert!(
        strings(&card).join(" ").contains("consumer line"),
        "the card shows the corrections"
    );
    let actions: Vec<&str> = card["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["review_approve", "review_reject", "review_return"],
        "waiting for a decision again"
    );
    press(&app, MANAGER, "review_approve", 1).await;
    assert_eq!(status_of(&app, "D-1").await, DealStatus::Approved);
    let trail: Vec<String> = app
        .store
        .audit_of("deal", 1)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        trail,
        [
            "registered",
            "returned for information",
            "resubmitted",
            "approved"
        ]
    );
}
on_both_databases!(a_returned_registration_is_corrected_and_resubmitted);
