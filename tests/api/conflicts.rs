//! Rules of engagement at registration: partner-vs-partner and partner-vs-direct conflicts,
//! decided within the request, explained to managers, private towards partners.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::account::AccountRow;
use partnerbot::store::CountTable;

/// Imports Wayne Enterprises (wayne.com), a direct account owned by the AE `U0AE1`.
pub(crate) async fn import_wayne(app: &TestApp) {
    let row = AccountRow {
        name: "Wayne Enterprises, Inc.".into(),
        domains: "wayne.com".into(),
        owner: "U0AE1".into(),
        territory: "NA".into(),
        open_opportunity: "yes".into(),
        crm_id: "0015000042".into(),
    };
    let report = app
        .app
        .service
        .import_accounts(&[(2, row)], crate::helpers::NO_DIRECTORY)
        .await
        .expect("import");
    assert_eq!(report.created, 1);
}

async fn a_second_partner_is_told_without_names_and_managers_see_both(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let first = app
        .deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    assert!(
        strings(&first).join(" ").contains("pending review"),
        "the first registration is clear"
    );
    let second = strings(
        &app.deal(
            &bob(),
            "register ACME Rockets Inc. www.acme-rockets.com 20000",
        )
        .await,
    )
    .join(" ");
    assert!(
        second.contains("already registered by another party")
            && second.contains("co-sell candidate"),
        "{second}"
    );
    assert!(
        !second.contains("Globex") && !second.contains("D-1"),
        "the partner is not told who: {second}"
    );
    let d2 = app
        .store
        .deal("D-2".parse().expect("id"))
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(d2.status, partnerbot::domain::DealStatus::Conflict);

    app.deliver_all().await;
    let bob_channel = strings(
        &app.posted_to("C0INITECH")
            .last()
            .expect("confirmation")
            .params,
    )
    .join(" ");
    assert!(
        bob_channel.contains("co-sell candidate") && !bob_channel.contains("Globex"),
        "{bob_channel}"
    );
    let card = strings(&app.posted_to(MANAGERS_CHANNEL).last().expect("card").params).join(" ");
    for needle in [
        "Conflict",
        "D-1",
        "Globex Resellers",
        "same domain acme-rockets.com",
        "strong",
        "first complete registration",
    ] {
        assert!(
            card.contains(needle),
            "{needle} missing from the managers' card: {card}"
        );
    }
}
on_both_databases!(a_second_partner_is_told_without_names_and_managers_see_both);

async fn a_direct_account_alerts_its_ae_with_the_rule_and_records_the_choice(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    import_wayne(&app).await;
    let reply = strings(
        &app.deal(&alice(), "register Wayne Enterprises wayne.com 90000")
            .await,
    )
    .join(" ");
    assert!(
        reply.contains("co-sell candidate") && !reply.contains("U0AE1"),
        "{reply}"
    );
    app.deliver_all().await;

    let alerts = app.posted_to("U0AE1");
    assert_eq!(alerts.len(), 1, "the owning AE gets one DM");
    let alert = &alerts[0].params;
    let text = strings(alert).join(" ");
    for needle in [
        "Globex Resellers",
        "Wayne Enterprises",
        "A-1",
        "CRM 0015000042",
        "same domain wayne.com",
        "partner-vs-direct conflict",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from the AE alert: {text}"
        );
    }
    let actions: Vec<&str> = alert["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .filter_map(|e| e["action_id"].as_str())
        .collect();
    assert_eq!(actions, ["ae_acknowledge", "ae_cosell", "ae_dispute"]);
    let card = strings(&app.posted_to(MANAGERS_CHANNEL).last().expect("card").params).join(" ");
    assert!(
        card.contains("owned by <@U0AE1>") && card.contains("direct account"),
        "{card}"
    );

    // Someone else pressing the AE's button is refused; the AE's answer is recorded.
    let click = |user: &str| {
        partnerbot::simulate::SlackUser::new(user, "T0HOME", "D0AE1").click("ae_cosell", "1", "1.1")
    };
    let (status, _) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            click("U0MALLORY"),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let audit_before = app.store.count(CountTable::Audit).await.expect("n");
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        click("U0AE1"),
    )
    .await;
    let audit = app.store.audit_of("deal", 1).await.expect("audit");
    assert_eq!(
        audit.last().map(|a| (a.actor.as_str(), a.action.as_str())),
        Some(("U0AE1", "ae_cosell"))
    );
    assert_eq!(
        app.store.count(CountTable::Audit).await.expect("n"),
        audit_before + 1,
        "only the AE's click was recorded"
    );
    app.deliver_all().await;
    let note = app
        .posted_to(MANAGERS_CHANNEL)
        .last()
        .expect("note")
        .params
        .clone();
    assert!(
        strings(&note)
            .join(" ")
            .contains("answered *Propose co-sell*"),
        "{note}"
    );
    assert!(note["thread_ts"].is_string(), "posted in the card's thread");
    let partner_view = strings(&app.deal(&alice(), "show D-1").await).join(" ");
    assert!(
        partner_view.contains("History") && !partner_view.contains("cosell"),
        "the AE's internal answer stays internal: {partner_view}"
    );
    let manager_view =
        strings(&app.deal(&manager_in(MANAGERS_CHANNEL), "show D-1").await).join(" ");
    assert!(
        manager_view.contains("<@U0AE1> ae cosell"),
        "{manager_view}"
    );
    let refusals: Vec<String> = app
        .emulator
        .delivered()
        .iter()
        .filter(|c| c.params["user"] == "U0MALLORY")
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        refusals.iter().any(|r| r.contains("There is no deal D-1")),
        "{refusals:?}"
    );
}
on_both_databases!(a_direct_account_alerts_its_ae_with_the_rule_and_records_the_choice);

async fn a_weak_name_match_is_shown_but_does_not_block(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    import_wayne(&app).await;
    let reply = strings(
        &app.deal(&alice(), "register Wayne Foods waynefoods.net 1000")
            .await,
    )
    .join(" ");
    assert!(reply.contains("pending review"), "{reply}");
    app.deliver_all().await;
    assert!(
        app.posted_to("U0AE1").is_empty(),
        "no AE alert for a weak match"
    );
    let _ = app.emulator.calls();
}
on_both_databases!(a_weak_name_match_is_shown_but_does_not_block);

async fn managers_check_any_customer_and_see_the_account_book(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    import_wayne(&app).await;
    app.deal(&alice(), "register Wayne Foods waynefoods.net 1000")
        .await;
    let manager = manager_in(MANAGERS_CHANNEL);
    let answer = strings(
        &app.slash(
            &manager,
            "/partners",
            "check Wayne Enterprises LLC shop.wayne.com",
        )
        .await,
    )
    .join(" ");
    assert!(
        answer.contains("same domain wayne.com") && !answer.contains("Wayne Foods"),
        "a known, different domain rules Wayne Foods out: {answer}"
    );
    // Without a domain, name evidence alone: the account (strong) and Globex's registration (weak).
    let answer = strings(
        &app.slash(&manager, "/partners", "check Wayne Enterprises LLC")
            .await,
    )
    .join(" ");
    for needle in [
        "A-1",
        "owned by <@U0AE1>",
        "CRM 0015000042",
        "*strong*",
        "no domain contradicts it",
        "D-1",
        "Globex Resellers",
        "*weak*",
    ] {
        assert!(answer.contains(needle), "{needle} missing: {answer}");
    }
    let summary = strings(&app.slash(&manager, "/partners", "accounts").await).join(" ");
    assert!(
        summary.contains("1 direct account")
            && summary.contains("1 with an open opportunity")
            && summary.contains("<@U0AE1>: 1"),
        "{summary}"
    );
    let refused = strings(
        &app.slash(&alice(), "/partners", "check Wayne Enterprises")
            .await,
    )
    .join(" ");
    assert!(
        refused.contains("Only partner managers") && !refused.contains("U0AE1"),
        "{refused}"
    );
}
on_both_databases!(managers_check_any_customer_and_see_the_account_book);

async fn a_trusted_tier_is_approved_on_arrival_only_when_clear(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program.rules.auto_approve_tiers = vec!["gold".into()];
    let app = TestApp::spawn_with_program(db, program).await;
    app.app
        .service
        .add_partner(
            &partnerbot::service::Requester::Cli,
            partnerbot::service::PartnerLink {
                name: "Globex Resellers",
                partner_type: "reseller",
                conversation: &crate::helpers::slack_channel("C0GLOBEX"),
                workspace: Some("T0GLOBEX".into()),
                tier: Some("gold"),
            },
        )
        .await
        .expect("gold partner");
    app.link("Initech", "referral", "C0INITECH", "T0INITECH")
        .await;
    let reply = strings(
        &app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
            .await,
    )
    .join(" ");
    assert!(reply.contains("approved and protected until"), "{reply}");
    let d1 = app
        .store
        .deal("D-1".parse().expect("id"))
        .await
        .expect("load")
        .expect("deal");
    assert_eq!(
        (d1.status, d1.decided_by.as_deref()),
        (partnerbot::domain::DealStatus::Approved, Some("auto"))
    );
    // A registration in conflict is never auto-approved, and other tiers go to review.
    let reply = strings(
        &app.deal(&alice(), "register Stark Industries stark.com 1000")
            .await,
    )
    .join(" ");
    assert!(reply.contains("approved"), "{reply}");
    let reply = strings(
        &app.deal(&bob(), "register Initrode initrode.com 1000")
            .await,
    )
    .join(" ");
    assert!(
        reply.contains("pending review"),
        "a registered-tier partner is reviewed: {reply}"
    );
    import_wayne(&app).await;
    let reply = strings(
        &app.deal(
            &alice(),
            // A customer the partner does not hold yet (its own would be "already registered").
            "register Wayne Enterprises Inc www.wayne.com 2000",
        )
        .await,
    )
    .join(" ");
    assert!(reply.contains("co-sell candidate"), "{reply}");
    app.deliver_all().await;
    let card = strings(&app.posted_to(MANAGERS_CHANNEL)[0].params).join(" ");
    assert!(
        card.contains("Approved* automatically (trusted partner tier)")
            && !card.contains("review_approve"),
        "{card}"
    );
    let refused = strings(
        &app.slash(
            &manager_in("C0NEW"),
            "/partners",
            "add Hooli type=reseller tier=diamond",
        )
        .await,
    )
    .join(" ");
    assert!(refused.contains("“diamond” is not a tier"), "{refused}");
}
on_both_databases!(a_trusted_tier_is_approved_on_arrival_only_when_clear);
