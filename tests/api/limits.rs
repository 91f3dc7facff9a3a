//! Messages stay within Slack's Block Kit limits whatever the data (the emulator refuses what
//! Slack refuses): a customer matching 100 accounts, and the longest notes the form takes made of
//! `&<>` (10,000 characters once escaped), still get their card with its buttons.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::account::AccountRow;

fn account(n: usize) -> (usize, AccountRow) {
    (
        n + 2,
        AccountRow {
            name: format!("Globodyne Holdings {n}"),
            domains: "globodyne.com".into(),
            owner: "U0AE1".into(),
            territory: "EMEA".into(),
            open_opportunity: "yes".into(),
            crm_id: format!("CRM{n:05}"),
        },
    )
}

fn review_card(app: &TestApp) -> serde_json::Value {
    app.posted_to(MANAGERS_CHANNEL)
        .into_iter()
        .rev()
        .find(|c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("New registration"))
        })
        .expect("a review card landed")
        .params
}

fn has_review_buttons(card: &serde_json::Value) -> bool {
    card["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|b| b["type"] == "actions" && b["elements"][0]["action_id"] == "review_approve")
}

async fn a_customer_matching_100_accounts_still_gets_its_card_and_buttons(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let rows: Vec<(usize, AccountRow)> = (0..100).map(account).collect();
    let report = app
        .app
        .service
        .import_accounts(&rows, crate::helpers::NO_DIRECTORY)
        .await
        .expect("import");
    assert_eq!(report.created, 100);
    app.deal(&alice(), "register Globodyne globodyne.com 5000")
        .await;
    app.deliver_all().await;
    let refused = app.refused_calls();
    assert!(refused.is_empty(), "Slack refused: {refused:?}");
    let card = review_card(&app);
    assert!(has_review_buttons(&card), "{card}");
    let text = strings(&card).join(" ");
    assert!(text.contains("more matches"), "{text}");
    assert!(
        partnerbot::slack::limits::check(partnerbot::slack::limits::Surface::Message, &card)
            .is_ok()
    );
    // Every AE alert is within the limits too (all 100 accounts belong to one AE).
    for alert in app.posted_to("U0AE1") {
        partnerbot::slack::limits::check(
            partnerbot::slack::limits::Surface::Message,
            &alert.params,
        )
        .expect("AE alert within limits");
    }
}
on_both_databases!(a_customer_matching_100_accounts_still_gets_its_card_and_buttons);

async fn notes_that_escape_to_10000_characters_still_get_their_card(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let view = app.open_modal(&alice()).await;
    let mut form = valid_form("Ampersand & <Co>");
    // The form takes 3,000 characters of notes; these escape to 13,000.
    let nasty = "&<>".repeat(1_000);
    for field in form.iter_mut() {
        match field.0 {
            "notes" => field.1 = nasty.clone(),
            "products" => field.1 = "<W> & ".repeat(83),
            _ => {}
        }
    }
    let answer = app.submit(&alice(), "V-amp", &view, &as_refs(&form)).await;
    assert_eq!(answer["response_action"], "update", "{answer}");
    app.deliver_all().await;
    let refused = app.refused_calls();
    assert!(refused.is_empty(), "Slack refused: {refused:?}");
    assert!(has_review_buttons(&review_card(&app)));
}
on_both_databases!(notes_that_escape_to_10000_characters_still_get_their_card);

async fn deal_lists_page_and_filter(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    for i in 0..25 {
        app.deal(
            &alice(),
            &format!("register Pagecorp {i} pagecorp-{i}.com 1000"),
        )
        .await;
    }
    app.deal(&bob(), "register Bobco bobco.com 1000").await;
    let first = strings(&app.deal(&alice(), "list").await).join("\n");
    assert!(
        first.contains("25 deals registered by Globex Resellers · page 1 of 2"),
        "{first}"
    );
    assert!(
        first.contains("…and 5 more: `/deal list page 2`"),
        "{first}"
    );
    assert!(first.contains("D-25") && !first.contains("D-5 "), "{first}");
    let second = strings(&app.deal(&alice(), "list page 2").await).join("\n");
    assert!(
        second.contains("page 2 of 2") && second.contains("Pagecorp 0"),
        "{second}"
    );
    assert!(!second.contains("Bobco"), "only the partner's own deals");
    app.app
        .service
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(3),
            partnerbot::domain::engagement::Decision::Approve,
            "",
        )
        .await
        .expect("approve");
    let open = strings(&app.deal(&alice(), "list open").await).join("\n");
    assert!(open.contains("25 open deals"), "{open}");
    let won = strings(&app.deal(&alice(), "list won").await).join("\n");
    assert!(won.contains("0 won deals"), "{won}");
    let bad = strings(&app.deal(&alice(), "list closed").await).join("\n");
    assert!(bad.contains("open") && bad.contains("“closed”"), "{bad}");
    app.deliver_all().await;
}
on_both_databases!(deal_lists_page_and_filter);

async fn the_partner_list_pages(db: Db) {
    let app = TestApp::spawn(db).await;
    for i in 0..85 {
        app.app
            .service
            .add_partner(
                &partnerbot::service::Requester::Cli,
                partnerbot::service::PartnerLink {
                    name: &format!("Partner {i:02}"),
                    partner_type: "reseller",
                    conversation: &crate::helpers::slack_channel(&format!("C0PART{i:03}")),
                    workspace: None,
                    tier: None,
                },
            )
            .await
            .expect("partner");
    }
    let first = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "list")
            .await,
    )
    .join("\n");
    assert!(
        first.contains("85 partners* · page 1 of 3") && first.contains("`/partners list page 2`"),
        "{first}"
    );
    let last = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "list page 3")
            .await,
    )
    .join("\n");
    assert!(
        last.contains("page 3 of 3") && !last.contains("More:"),
        "{last}"
    );
    assert_eq!(last.matches("· reseller ·").count(), 5, "{last}");
    let bad = strings(
        &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "list page x")
            .await,
    )
    .join("\n");
    assert!(bad.contains("not a page number"), "{bad}");
    app.deliver_all().await;
}
on_both_databases!(the_partner_list_pages);
