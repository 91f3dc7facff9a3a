//! Registering deals through the modal and the one-line command.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::store::CountTable;
use serde_json::Value;

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let s = &app.store;
    (
        s.count(CountTable::Deals).await.expect("n"),
        s.count(CountTable::Audit).await.expect("n"),
        s.count(CountTable::Outbox).await.expect("n"),
    )
}

async fn the_modal_opens_with_every_field_and_the_program_currency(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let view = app.open_modal(&alice()).await;
    assert_eq!(view["callback_id"], "deal_registration");
    let blocks: Vec<&str> = view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    assert_eq!(
        blocks,
        [
            "company",
            "domain",
            "contact_name",
            "contact_email",
            "amount",
            "currency",
            "close_date",
            "stage",
            "timing",
            "products",
            "notes"
        ]
    );
    let currency = &view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == "currency")
        .expect("currency")["element"];
    assert_eq!(currency["initial_value"], "USD");
    // The view is valid Block Kit by slack-morphism's strict model.
    serde_json::from_value::<slack_morphism::prelude::SlackView>(view.clone())
        .expect("valid modal");
}
on_both_databases!(the_modal_opens_with_every_field_and_the_program_currency);

async fn invalid_fields_come_back_inline_and_nothing_is_stored(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let before = counts(&app).await;
    let view = app.open_modal(&alice()).await;
    let mut form = valid_form("Acme Rockets");
    for (key, value) in form.iter_mut() {
        match *key {
            "domain" => *value = "acme".into(),
            "amount" => *value = "50k€".into(),
            "close_date" => *value = "2020-01-01".into(),
            "contact_email" => *value = "wile.acme.com".into(),
            _ => {}
        }
    }
    let answer = app.submit(&alice(), "V1", &view, &as_refs(&form)).await;
    assert_eq!(answer["response_action"], "errors");
    let errors = answer["errors"].as_object().expect("errors object");
    let mut keys: Vec<&str> = errors.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["amount", "close_date", "contact_email", "domain"]);
    assert!(errors["domain"]
        .as_str()
        .expect("text")
        .contains("“acme” is not a domain"));
    assert!(errors["amount"]
        .as_str()
        .expect("text")
        .contains("“50k€” is not a number"));
    assert!(errors["close_date"]
        .as_str()
        .expect("text")
        .contains("in the past"));
    assert!(errors["contact_email"]
        .as_str()
        .expect("text")
        .contains("no “@”"));
    assert_eq!(
        counts(&app).await,
        before,
        "no deal, audit row or message was written"
    );
}
on_both_databases!(invalid_fields_come_back_inline_and_nothing_is_stored);

async fn a_valid_submission_stores_the_deal_audit_and_both_messages_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (globex, _) = app.link_both().await;
    app.deliver_all().await;
    let view = app.open_modal(&alice()).await;
    let form = valid_form("Acme Rockets");
    let answer = app.submit(&alice(), "V2", &view, &as_refs(&form)).await;
    assert_eq!(answer["response_action"], "update", "{answer}");
    let shown = crate::helpers::strings(&answer["view"]).join(" ");
    assert!(
        shown.contains("D-1") && shown.contains("pending review"),
        "{shown}"
    );

    let deal = app
        .store
        .deal("D-1".parse().expect("id"))
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(
        (
            deal.partner_id,
            deal.company.as_str(),
            deal.domain.as_deref()
        ),
        (globex.id, "Acme Rockets", Some("acme-rockets.com"))
    );
    assert_eq!(deal.amount.to_string(), "50,000.00 USD");
    let audit = app.store.audit_of("deal", 1).await.expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0].actor.as_str(),
            audit[0].action.as_str(),
            audit[0].surface.as_str()
        ),
        ("U0ALICE", "registered", "slack_modal")
    );

    // Submitting the same view again (a double click, a retry) finds the same deal.
    let again = app.submit(&alice(), "V2", &view, &as_refs(&form)).await;
    assert_eq!(again["response_action"], "update");
    assert_eq!(
        app.store
            .count(partnerbot::store::CountTable::Deals)
            .await
            .expect("n"),
        1
    );

    app.deliver_all().await;
    let confirmations: Vec<_> = app
        .posted_to("C0GLOBEX")
        .into_iter()
        .filter(|c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains("registered"))
        })
        .collect();
    assert_eq!(
        confirmations.len(),
        1,
        "one confirmation in the partner channel"
    );
    assert!(confirmations[0].params["text"]
        .as_str()
        .expect("text")
        .contains("D-1"));
    let cards = app.posted_to(MANAGERS_CHANNEL);
    assert_eq!(cards.len(), 1, "one review card for the managers");
    let card = crate::helpers::strings(&cards[0].params["blocks"]).join(" ");
    assert!(
        card.contains("Globex Resellers")
            && card.contains("Acme Rockets")
            && card.contains("50,000.00 USD"),
        "{card}"
    );
    for call in confirmations.iter().chain(&cards) {
        serde_json::from_value::<Vec<slack_morphism::prelude::SlackBlock>>(
            call.params["blocks"].clone(),
        )
        .expect("valid Block Kit");
    }
}
on_both_databases!(a_valid_submission_stores_the_deal_audit_and_both_messages_once);

async fn the_one_line_command_registers_and_reports_validation_errors(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let answer = app
        .deal(&alice(), "register Acme Corp acme.com 50000")
        .await;
    assert_eq!(answer["response_type"], "ephemeral");
    let text = crate::helpers::strings(&answer).join(" ");
    assert!(
        text.contains("Registered *D-1*")
            && text.contains("Acme Corp")
            && text.contains("50,000.00 USD"),
        "{text}"
    );

    let before = counts(&app).await;
    let answer = app.deal(&alice(), "register Acme Corp acme 50k€").await;
    let text = crate::helpers::strings(&answer).join(" ");
    assert!(
        text.contains("Nothing was registered") && text.contains("is not a domain"),
        "{text}"
    );
    let answer = app
        .deal(&alice(), "register Acme Corp acme.com 50k€ EUR")
        .await;
    let text = crate::helpers::strings(&answer).join(" ");
    assert!(text.contains("“50k€” is not a number"), "{text}");
    assert_eq!(
        counts(&app).await,
        before,
        "invalid one-liners store nothing"
    );

    let answer = app
        .deal(
            &alice(),
            "register Wayne Enterprises wayne.com 1200000 EUR 2028-06-30",
        )
        .await;
    let text = crate::helpers::strings(&answer).join(" ");
    assert!(
        text.contains("D-2") && text.contains("1,200,000.00 EUR") && text.contains("2028-06-30"),
        "{text}"
    );
}
on_both_databases!(the_one_line_command_registers_and_reports_validation_errors);

async fn an_unlinked_channel_is_told_to_ask_its_partner_manager(db: Db) {
    let app = TestApp::spawn(db).await;
    let stranger = partnerbot::simulate::SlackUser::new("U0STRANGER", "T0NOBODY", "C0NOWHERE");
    for text in ["", "register Acme Corp acme.com 50000", "list"] {
        let answer = app.deal(&stranger, text).await;
        let shown = crate::helpers::strings(&answer).join(" ");
        assert!(
            shown.contains("Ask your partner manager"),
            "{text}: {shown}"
        );
    }
    assert!(app.emulator.calls_to("views.open").is_empty());
    assert_eq!(counts(&app).await, (0, 0, 0));
}
on_both_databases!(an_unlinked_channel_is_told_to_ask_its_partner_manager);

async fn managers_link_partners_from_the_shared_channel(db: Db) {
    let app = TestApp::spawn(db).await;
    app.emulator.set_channel("C0UMBRELLA", serde_json::json!({ "id": "C0UMBRELLA", "is_ext_shared": true, "connected_team_ids": ["T0HOME", "T0UMBRELLA"], "created": 0 }));
    let answer = app
        .slash(
            &manager_in("C0UMBRELLA"),
            "/partners",
            "add Umbrella Corp type=si",
        )
        .await;
    let text = crate::helpers::strings(&answer).join(" ");
    assert!(
        text.contains("Linked this channel to Umbrella Corp (service partner)"),
        "{text}"
    );
    let partner = app
        .store
        .partner_by_channel("C0UMBRELLA")
        .await
        .expect("load")
        .expect("linked");
    assert_eq!(
        partner.workspace.as_deref(),
        Some("T0UMBRELLA"),
        "the partner's own team is learned from conversations.info"
    );

    let refused = app
        .slash(&alice(), "/partners", "add Evil Corp type=reseller")
        .await;
    assert!(crate::helpers::strings(&refused)
        .join(" ")
        .contains("Only partner managers"));
    let duplicate = app
        .slash(
            &manager_in("C0UMBRELLA"),
            "/partners",
            "add Someone Else type=referral",
        )
        .await;
    assert!(crate::helpers::strings(&duplicate)
        .join(" ")
        .contains("already exists"));
    let listed = app
        .slash(&manager_in(MANAGERS_CHANNEL), "/partners", "list")
        .await;
    assert!(crate::helpers::strings(&listed)
        .join(" ")
        .contains("Umbrella Corp"));
    app.deliver_all().await;
    assert_eq!(
        app.posted_to("C0UMBRELLA").len(),
        1,
        "a welcome is posted in the linked channel"
    );
}
on_both_databases!(managers_link_partners_from_the_shared_channel);

async fn unknown_commands_and_subcommands_get_help_not_errors(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    for (command, text) in [
        ("/deal", "frobnicate"),
        ("/deal", "help"),
        ("/unknown", "x"),
        ("/partners", "explode"),
        ("/deal", "show"),
    ] {
        let answer: Value = app.slash(&alice(), command, text).await;
        let shown = crate::helpers::strings(&answer).join(" ");
        assert!(shown.contains("/deal"), "{command} {text}: {shown}");
    }
}
on_both_databases!(unknown_commands_and_subcommands_get_help_not_errors);

async fn a_slow_slack_cannot_hold_the_command_past_its_three_seconds(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.emulator.inject(
        Some("views.open"),
        partnerbot::emulator::Fault::Slow(std::time::Duration::from_secs(4)),
        1,
    );
    let answer = app.deal(&alice(), "").await;
    let shown = crate::helpers::strings(&answer).join(" ");
    assert!(
        shown.contains("couldn't open the registration form") && shown.contains("/deal register"),
        "{shown}"
    );
}
on_both_databases!(a_slow_slack_cannot_hold_the_command_past_its_three_seconds);
