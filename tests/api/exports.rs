//! CSV exports round-trip through a CSV parser, and the commission export matches the ledger.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::engagement::Decision;
use partnerbot::export::{export, Export};
use std::collections::BTreeMap;

const TRICKY: &str = "Acme, \"Rockets\"\nDivision";

fn parse(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().expect("header row").clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.expect("record").iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

async fn run(app: &TestApp, what: Export) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    export(&app.store, what, 0, None, &mut out)
        .await
        .expect("export");
    parse(&out)
}

async fn exports_round_trip_and_commission_sums_match_the_ledger(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let view = app.open_modal(&alice()).await;
    let mut form = valid_form(TRICKY);
    form.iter_mut()
        .filter(|(k, _)| *k == "currency")
        .for_each(|(_, v)| *v = "EUR".into());
    app.submit(&alice(), "V-csv", &view, &as_refs(&form)).await;
    app.deal(&alice(), "register Wayne Enterprises wayne.com 1000 USD")
        .await;
    app.deal(&bob(), "register Initrode initrode.com 3000 JPY")
        .await;
    let today = chrono::Utc::now().date_naive();
    for (deal, who, amount) in [
        ("D-1", alice(), "60000.50"),
        ("D-2", alice(), "1234.56"),
        ("D-3", bob(), "300000"),
    ] {
        app.app
            .service
            .decide(
                &crate::helpers::manager(),
                deal.parse().expect("deal id"),
                Decision::Approve,
                "",
            )
            .await
            .expect("approve");
        let reply = strings(
            &app.deal(
                &who,
                &format!("update {deal} stage=won amount={amount} close={today}"),
            )
            .await,
        )
        .join(" ");
        assert!(reply.contains("is won"), "{reply}");
    }

    let deals = run(&app, Export::Deals).await;
    assert_eq!(deals.len(), 3);
    assert_eq!(
        deals[0]["company"], TRICKY,
        "commas, quotes and newlines survive"
    );
    assert_eq!(
        (
            deals[0]["amount"].as_str(),
            deals[0]["currency"].as_str(),
            deals[0]["status"].as_str()
        ),
        ("60000.50", "EUR", "won")
    );
    assert_eq!(deals[2]["partner_name"], "Initech");
    assert!(deals[0]["created_at"].ends_with('Z') && deals[0]["close_date"] == today.to_string());

    let commissions = run(&app, Export::Commissions).await;
    let ledger = app.store.ledger(None).await.expect("ledger");
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in &ledger {
        *expected
            .entry((row.partner_id.to_string(), row.currency.clone()))
            .or_default() += row.amount_minor;
    }
    assert_eq!(
        commissions.len(),
        expected.len(),
        "one row per partner per currency"
    );
    for row in &commissions {
        let key = (row["partner_id"].clone(), row["currency"].clone());
        let money = partnerbot::domain::Money::parse(
            &row["total"],
            partnerbot::domain::money::parse_currency(&row["currency"]).expect("currency"),
        )
        .expect("amount");
        assert_eq!(money.minor(), expected[&key], "{row:?}");
        assert_eq!(row["pending"], row["total"], "nothing paid yet");
    }
    let jpy = commissions
        .iter()
        .find(|r| r["currency"] == "JPY")
        .expect("JPY row");
    assert_eq!(
        (jpy["partner_name"].as_str(), jpy["total"].as_str()),
        ("Initech", "75000"),
        "300,000 JPY × 25% with no minor unit"
    );

    let audit = run(&app, Export::Audit).await;
    assert!(
        audit
            .iter()
            .any(|r| r["action"] == "won" && r["detail"].contains("\"calculation\"")),
        "JSON detail with quotes survives"
    );
    assert!(audit.iter().all(|r| r["at"].ends_with('Z')));
}
on_both_databases!(exports_round_trip_and_commission_sums_match_the_ledger);
