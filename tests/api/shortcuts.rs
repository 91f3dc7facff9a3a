//! Shortcuts: *Register as deal* on a message prefills the form and the registration's audit
//! row links the message; *Register a deal* from anywhere; *Update this deal* in a deal's
//! thread; and a trigger that expired opens nothing but tells the person why.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::http::shortcuts::{REGISTER_DEAL, REGISTER_FROM_MESSAGE, UPDATE_DEAL};
use serde_json::Value;
use std::time::Duration;

const OPPORTUNITY: &str = "New opp: talking to Wayne Enterprises (<https://www.wayne.com/about|wayne.com>) about €120k, they want to close by Q3 2027. <@U0ALICE> can you register it?";

/// Sends an interaction body; the interaction is acknowledged with an empty 200.
async fn interact(app: &TestApp, body: Vec<u8>) {
    let text = app.interact(body).await;
    assert_eq!(text, "", "shortcuts are acknowledged with an empty body");
}

/// The element of input block `block` in `view`.
fn element<'a>(view: &'a Value, block: &str) -> &'a Value {
    &view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == block)
        .unwrap_or_else(|| panic!("no block {block}"))["element"]
}

/// The views opened so far.
fn opened(app: &TestApp) -> Vec<Value> {
    app.emulator
        .calls_to("views.open")
        .into_iter()
        .filter(|c| c.params["_ok"] == true)
        .map(|c| c.params["view"].clone())
        .collect()
}

/// Ephemeral texts shown to `user`, after delivering everything queued.
async fn told(app: &TestApp, user: &str) -> Vec<String> {
    app.deliver_all().await;
    app.emulator
        .delivered()
        .into_iter()
        .filter(|c| c.params["user"] == user || c.params["channel"] == user)
        .flat_map(|c| strings(&c.params))
        .collect()
}

async fn a_message_becomes_a_prefilled_registration_whose_audit_row_links_it(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let ts = app.emulator.add_message("C0GLOBEX", OPPORTUNITY, None);
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    let body = alice().message_shortcut(REGISTER_FROM_MESSAGE, &trigger, (&ts, None), OPPORTUNITY);
    interact(&app, body).await;

    let views = opened(&app);
    assert_eq!(views.len(), 1, "{:?}", app.refused_calls());
    let view = &views[0];
    assert_eq!(view["callback_id"], "deal_registration");
    assert_eq!(
        element(view, "company")["initial_value"],
        "Wayne Enterprises"
    );
    assert_eq!(element(view, "domain")["initial_value"], "wayne.com");
    assert_eq!(element(view, "amount")["initial_value"], "120000");
    assert_eq!(element(view, "currency")["initial_value"], "EUR");
    assert_eq!(element(view, "close_date")["initial_date"], "2027-09-30");
    assert!(element(view, "contact_name").get("initial_value").is_none());
    serde_json::from_value::<slack_morphism::prelude::SlackView>(view.clone())
        .expect("valid modal");

    let mut form = valid_form("Wayne Enterprises");
    form.retain(|(k, _)| !matches!(*k, "domain" | "amount" | "currency"));
    form.extend([
        ("domain", "wayne.com".to_string()),
        ("amount", "120000".to_string()),
        ("currency", "EUR".to_string()),
    ]);
    let answer = app
        .submit(&alice(), "V0FROMMSG", view, &as_refs(&form))
        .await;
    assert_eq!(answer["response_action"], "update", "{answer}");

    let deal = app
        .store
        .deal_by_idempotency_key("view:V0FROMMSG")
        .await
        .expect("lookup")
        .expect("registered");
    assert_eq!(deal.company, "Wayne Enterprises");
    let audit = app.store.audit_of("deal", deal.id.0).await.expect("audit");
    let registered = audit
        .iter()
        .find(|r| r.action == "registered")
        .expect("registered row");
    let detail: Value = serde_json::from_str(&registered.detail).expect("JSON detail");
    assert_eq!(detail["message"]["conversation"], "C0GLOBEX");
    assert_eq!(detail["message"]["id"], ts.as_str());
    let link = detail["message"]["link"].as_str().expect("permalink");
    assert!(
        link.contains("/archives/C0GLOBEX/p") && link.ends_with(&ts.replace('.', "")),
        "{link}"
    );
    app.deliver_all().await;
}
on_both_databases!(a_message_becomes_a_prefilled_registration_whose_audit_row_links_it);

async fn an_expired_trigger_opens_nothing_and_the_person_is_told(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let ts = app.emulator.add_message("C0GLOBEX", OPPORTUNITY, None);
    // Slack voids trigger ids after 3 s: one issued 5 s ago is refused like Slack does.
    let stale = app.emulator.issue_trigger(Duration::from_secs(5));
    let body = alice().message_shortcut(REGISTER_FROM_MESSAGE, &stale, (&ts, None), OPPORTUNITY);
    interact(&app, body).await;
    assert!(opened(&app).is_empty());
    let refused = app.refused_calls();
    assert!(
        refused.iter().any(|c| c.starts_with("views.open")),
        "{refused:?}"
    );
    let calls = app.emulator.calls_to("views.open");
    assert_eq!(calls[0].params["_ok"], false);
    let texts = told(&app, "U0ALICE").await.join(" ");
    assert!(texts.contains("couldn't open the form"), "{texts}");
    assert!(texts.contains("expired_trigger_id"), "{texts}");

    // A trigger is good for one view only.
    let fresh = app.emulator.issue_trigger(Duration::ZERO);
    let body = alice().message_shortcut(REGISTER_FROM_MESSAGE, &fresh, (&ts, None), OPPORTUNITY);
    interact(&app, body.clone()).await;
    interact(&app, body).await;
    assert_eq!(opened(&app).len(), 1);
    let texts = told(&app, "U0ALICE").await.join(" ");
    assert!(texts.contains("exchanged_trigger_id"), "{texts}");
}
on_both_databases!(an_expired_trigger_opens_nothing_and_the_person_is_told);

async fn the_global_shortcut_opens_the_form_for_the_partner_the_person_acts_for(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    // Alice has registered in her partner's channel before; from anywhere she registers for it.
    app.deal(&alice(), "register Acme acme.com 50000").await;
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    interact(&app, alice().global_shortcut(REGISTER_DEAL, &trigger)).await;
    let views = opened(&app);
    assert_eq!(views.len(), 1, "{:?}", app.refused_calls());
    assert_eq!(views[0]["callback_id"], "deal_registration");
    let metadata: Value =
        serde_json::from_str(views[0]["private_metadata"].as_str().expect("metadata"))
            .expect("JSON metadata");
    assert_eq!(metadata["channel"], "C0GLOBEX");
    assert!(element(&views[0], "company").get("initial_value").is_none());

    // Somebody who acts for no partner is told so in their DM, and no form opens.
    let stranger = partnerbot::simulate::SlackUser::new("U0NOBODY", "T0ELSE", "C0ELSEWHERE");
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    interact(&app, stranger.global_shortcut(REGISTER_DEAL, &trigger)).await;
    assert_eq!(opened(&app).len(), 1);
    let texts = told(&app, "U0NOBODY").await.join(" ");
    assert!(texts.contains("not linked to a partner"), "{texts}");
}
on_both_databases!(the_global_shortcut_opens_the_form_for_the_partner_the_person_acts_for);

async fn update_this_deal_in_a_deals_thread_opens_that_deals_update_form(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme acme.com 50000").await;
    app.deal(&alice(), "register Umbrella umbrella.com 9000")
        .await;
    app.deliver_all().await;
    let confirmations: Vec<String> = app
        .posted_to("C0GLOBEX")
        .iter()
        .map(|c| c.params["_ts"].as_str().expect("ts").to_string())
        .collect();
    // The partner's welcome, then the two confirmations (D-1, D-2).
    assert_eq!(confirmations.len(), 3);
    let root = &confirmations[2];
    let reply = app
        .emulator
        .add_message("C0GLOBEX", "moving to proposal", Some(root));
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    let body = alice().message_shortcut(UPDATE_DEAL, &trigger, (&reply, Some(root)), "moving");
    interact(&app, body).await;
    let views = opened(&app);
    assert_eq!(views.len(), 1, "{:?}", app.refused_calls());
    assert_eq!(views[0]["callback_id"], "deal_update");
    let metadata: Value =
        serde_json::from_str(views[0]["private_metadata"].as_str().expect("metadata"))
            .expect("JSON metadata");
    assert_eq!(metadata["deal"], 2, "the thread's deal, D-2");

    // The update submitted from there changes that deal.
    let close = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let values = [
        ("stage", "proposal"),
        ("amount", "12000"),
        ("close_date", close.as_str()),
    ];
    let answer = app.submit(&alice(), "V0UPD", &views[0], &values).await;
    assert_eq!(answer["response_action"], "clear", "{answer}");
    let deal = app
        .app
        .service
        .store()
        .deal(partnerbot::domain::DealId(2))
        .await
        .expect("lookup")
        .expect("deal");
    assert_eq!(deal.stage.as_str(), "proposal");

    // On a message that is no deal's, the person is told where it works.
    let other = app.emulator.add_message("C0GLOBEX", "lunch?", None);
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    let body = alice().message_shortcut(UPDATE_DEAL, &trigger, (&other, None), "lunch?");
    interact(&app, body).await;
    assert_eq!(opened(&app).len(), 1);
    let texts = told(&app, "U0ALICE").await.join(" ");
    assert!(texts.contains("isn't a deal's thread"), "{texts}");

    // Another partner's people cannot reach the deal through its thread's id.
    let trigger = app.emulator.issue_trigger(Duration::ZERO);
    let body = bob().message_shortcut(UPDATE_DEAL, &trigger, (root, None), "x");
    interact(&app, body).await;
    assert_eq!(opened(&app).len(), 1);
}
on_both_databases!(update_this_deal_in_a_deals_thread_opens_that_deals_update_form);

#[test]
fn the_manifest_declares_every_shortcut() {
    let manifest = std::fs::read_to_string("manifest.yaml").expect("manifest.yaml");
    for id in [REGISTER_FROM_MESSAGE, REGISTER_DEAL, UPDATE_DEAL] {
        assert!(
            manifest.contains(&format!("callback_id: {id}")),
            "manifest.yaml declares {id}"
        );
    }
}
