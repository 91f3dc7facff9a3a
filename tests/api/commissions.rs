//! From registration to a paid commission over signed requests and the emulator.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::Duration;
use partnerbot::jobs::run_job;
use serde_json::json;

async fn a_won_deal_earns_a_commission_that_becomes_payable_then_paid(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program.commissions.finance_channel = Some("C0FINANCE".into());
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000 EUR")
        .await;
    app.deal(&alice(), "register Wayne Enterprises wayne.com 1000")
        .await;
    let approve = manager_in(MANAGERS_CHANNEL).click("review_approve", "1", "1.1");
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        approve,
    )
    .await;
    let today = chrono::Utc::now().date_naive();

    // Illegal moves are refused with the reason.
    let refused = strings(
        &app.deal(
            &alice(),
            &format!("update D-2 stage=won amount=900 close={today}"),
        )
        .await,
    )
    .join(" ");
    assert!(
        refused.contains("only approved registrations can be won"),
        "{refused}"
    );
    let refused = strings(
        &app.deal(
            &bob(),
            &format!("update D-1 stage=won amount=900 close={today}"),
        )
        .await,
    )
    .join(" ");
    assert!(refused.contains("There is no deal D-1"), "{refused}");
    let refused = strings(
        &app.deal(
            &manager_in(MANAGERS_CHANNEL),
            &format!("update D-2 stage=won amount=900 close={today}"),
        )
        .await,
    )
    .join(" ");
    assert!(refused.contains("attribution=sourced"), "{refused}");
    let refused = strings(
        &app.deal(&alice(), "update D-1 stage=won amount=60000")
            .await,
    )
    .join(" ");
    assert!(refused.contains("needs its close date"), "{refused}");

    let moved = strings(&app.deal(&alice(), "update D-1 stage=negotiation").await).join(" ");
    assert!(moved.contains("now at stage negotiation"), "{moved}");
    let won = strings(
        &app.deal(
            &alice(),
            &format!("update D-1 stage=won amount=60000 close={today}"),
        )
        .await,
    )
    .join(" ");
    let calculation = "60,000.00 EUR × 25% (registered before first customer contact) × 1.0 (sourced) = 15,000.00 EUR";
    assert!(won.contains(calculation), "{won}");
    let payable_from = today + Duration::days(30);
    let ledger = app
        .store
        .ledger_of_deal("D-1".parse().expect("id"))
        .await
        .expect("ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (
            ledger[0].amount_minor,
            ledger[0].currency.as_str(),
            ledger[0].status.as_str()
        ),
        (1_500_000, "EUR", "pending")
    );
    assert_eq!(ledger[0].payable_from, payable_from.to_string());
    assert_eq!(ledger[0].calculation, calculation);

    app.deliver_all().await;
    let partner = strings(&app.posted_to("C0GLOBEX").last().expect("notice").params).join(" ");
    assert!(
        partner.contains(calculation)
            && partner.contains(&format!("payable from *{payable_from}*"))
            && !partner.contains("Globex Resellers* ·"),
        "{partner}"
    );
    let finance = strings(&app.posted_to("C0FINANCE").last().expect("statement").params).join(" ");
    assert!(
        finance.contains("*Globex Resellers*") && finance.contains(calculation),
        "{finance}"
    );
    let totals = strings(&app.deal(&alice(), "commissions").await).join(" ");
    assert!(
        totals.contains("pending 15,000.00 EUR · payable 0.00 EUR · paid 0.00 EUR"),
        "{totals}"
    );

    // The hold ends: payable. Then finance pays it; only managers can.
    let at = |d: chrono::NaiveDate| d.and_hms_opt(5, 0, 0).expect("t").and_utc();
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::ReleaseCommissions,
            at(payable_from - Duration::days(1))
        )
        .await
        .expect("run"),
        "0 became payable"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::ReleaseCommissions,
            at(payable_from)
        )
        .await
        .expect("run"),
        "1 became payable"
    );
    let refused = strings(
        &app.slash(&alice(), "/partners", "commissions pay C-1")
            .await,
    )
    .join(" ");
    assert!(refused.contains("Only partner managers"), "{refused}");
    let paid = strings(
        &app.slash(
            &manager_in("C0FINANCE"),
            "/partners",
            "commissions pay C-1 C-9",
        )
        .await,
    )
    .join(" ");
    assert!(
        paid.contains("Marked paid: C-1.")
            && paid.contains("Not payable (unknown, still held, or already paid): C-9."),
        "{paid}"
    );
    assert_eq!(
        app.store
            .ledger_of_deal("D-1".parse().expect("id"))
            .await
            .expect("ledger")[0]
            .status,
        partnerbot::domain::commission::LedgerStatus::Paid
    );
    app.deliver_all().await;
    let told = strings(&app.posted_to("C0GLOBEX").last().expect("paid").params).join(" ");
    assert!(
        told.contains("Commission C-1 for D-1 · Acme Rockets (15,000.00 EUR) has been paid"),
        "{told}"
    );
    let totals = strings(&app.deal(&alice(), "commissions").await).join(" ");
    assert!(totals.contains("paid 15,000.00 EUR"), "{totals}");
    let trail: Vec<String> = app
        .store
        .audit_of("deal", 1)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(trail, ["registered", "approved", "stage_changed", "won"]);
}
on_both_databases!(a_won_deal_earns_a_commission_that_becomes_payable_then_paid);

async fn managers_see_program_metrics_partners_do_not(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let today = chrono::Utc::now().date_naive();
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 1 USD")
        .await;
    app.deal(&alice(), "register Wayne wayne.com 1 USD").await;
    app.deal(&bob(), "register Initrode initrode.com 1 USD")
        .await;
    for id in ["D-1", "D-2"] {
        app.app
            .service
            .decide(
                &crate::helpers::manager(),
                id.parse().expect("deal id"),
                partnerbot::domain::engagement::Decision::Approve,
                "",
            )
            .await
            .expect("approve");
    }
    app.deal(
        &alice(),
        &format!("update D-1 stage=won amount=80000 close={today}"),
    )
    .await;
    app.deal(&alice(), "update D-2 stage=lost").await;
    let all = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "stats")
            .await,
    )
    .join(" ");
    for needle in [
        "All partners · last 90 days",
        "*Partner-sourced revenue*\n80,000.00 USD",
        "*Registrations*\n3",
        "*Win rate*\n50%",
        "2 active · 100% ever registered",
        "*Average won deal*\n80,000.00 USD",
    ] {
        assert!(all.contains(needle), "{needle} missing from {all}");
    }
    let one = strings(
        &app.slash(
            &manager_in(MANAGERS_CHANNEL),
            "/partners",
            "stats initech 30d",
        )
        .await,
    )
    .join(" ");
    assert!(
        one.contains("Initech · last 30 days")
            && one.contains("*Partner-sourced revenue*\n0.00 USD")
            && one.contains("*Win rate*\n—"),
        "{one}"
    );
    let refused = strings(&app.slash(&alice(), "/partners", "stats").await).join(" ");
    assert!(refused.contains("Only partner managers"), "{refused}");
    let bad = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "stats Nobody")
            .await,
    )
    .join(" ");
    assert!(bad.contains("No partner is called “Nobody”"), "{bad}");
}
on_both_databases!(managers_see_program_metrics_partners_do_not);

async fn the_update_deal_modal_changes_a_deal_and_records_a_win(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.app
        .service
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(1),
            partnerbot::domain::engagement::Decision::Approve,
            "",
        )
        .await
        .expect("approve");
    app.deliver_all().await;
    let confirmation = app
        .posted_to("C0GLOBEX")
        .into_iter()
        .find(|c| strings(&c.params).join(" ").contains("registered *D-1*"))
        .expect("confirmation");
    let buttons: Vec<String> = confirmation.params["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["action_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(buttons, ["update_open"]);
    serde_json::from_value::<Vec<slack_morphism::prelude::SlackBlock>>(
        confirmation.params["blocks"].clone(),
    )
    .expect("valid Block Kit");

    let click = |user: &str, team: &str, channel: &str| {
        partnerbot::simulate::SlackUser::new(user, team, channel).click("update_open", "1", "1.1")
    };
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        click("U0BOB", "T0INITECH", "C0INITECH"),
    )
    .await;
    assert!(
        app.emulator.calls_to("views.open").is_empty(),
        "another partner's user gets no form"
    );
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        click("U0ALICE", "T0GLOBEX", "C0GLOBEX"),
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
    let amount = view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == "amount")
        .expect("amount")["element"]["initial_value"]
        .clone();
    assert_eq!(amount, "50000.00");

    let submit = |stage: &str, amount: &str, close: &str| {
        partnerbot::simulate::form_payload(&json!({
            "type": "view_submission", "user": { "id": "U0ALICE", "team_id": "T0GLOBEX" },
            "view": { "id": format!("V-upd-{stage}"), "callback_id": "deal_update", "private_metadata": view["private_metadata"],
                "state": { "values": {
                    "stage": { "stage": { "type": "static_select", "selected_option": { "value": stage } } },
                    "amount": { "amount": { "type": "plain_text_input", "value": amount } },
                    "close_date": { "close_date": { "type": "datepicker", "selected_date": close } },
                    "products": { "products": { "type": "plain_text_input", "value": "Rocket skates" } } } } }
        }))
    };
    let later = (chrono::Utc::now().date_naive() + chrono::Duration::days(40)).to_string();
    let (_, body) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            submit("proposal", "65,000", &later),
        )
        .await;
    assert!(body.contains("\"clear\""), "{body}");
    let deal = app
        .store
        .deal("D-1".parse().expect("id"))
        .await
        .expect("load")
        .expect("deal");
    assert_eq!(
        (
            deal.stage.as_str(),
            deal.amount.to_string().as_str(),
            deal.close_date.to_string(),
            deal.products.as_str()
        ),
        ("proposal", "65,000.00 USD", later.clone(), "Rocket skates")
    );
    let (_, body) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            submit("proposal", "50k€", &later),
        )
        .await;
    assert!(
        body.contains("\"errors\"") && body.contains("is not a number"),
        "bad input is answered inline: {body}"
    );

    let today = chrono::Utc::now().date_naive().to_string();
    let (_, body) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            submit("won", "70000", &today),
        )
        .await;
    assert!(body.contains("\"clear\""), "{body}");
    let ledger = app
        .store
        .ledger_of_deal("D-1".parse().expect("id"))
        .await
        .expect("ledger");
    assert_eq!(
        (ledger.len(), ledger[0].amount_minor),
        (1, 1_750_000),
        "70,000 × 25% = 17,500.00 USD"
    );
    let trail: Vec<String> = app
        .store
        .audit_of("deal", 1)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| format!("{}:{}", a.surface, a.action))
        .collect();
    assert_eq!(
        trail,
        [
            "slack_command:registered",
            "slack_button:approved",
            "slack_modal:updated",
            "slack_modal:won"
        ]
    );
    app.deliver_all().await;
    let thread = strings(
        &app.posted_to("C0GLOBEX")
            .into_iter()
            .find(|c| strings(&c.params).join(" ").contains("updated D-1"))
            .expect("update note")
            .params,
    )
    .join(" ");
    assert!(
        thread.contains("stage prospecting → proposal")
            && thread.contains("amount 50,000.00 USD → 65,000.00 USD"),
        "{thread}"
    );
}
on_both_databases!(the_update_deal_modal_changes_a_deal_and_records_a_win);
