//! Direct accounts: import (idempotent, with reasons for refused rows, e-mail owners resolved
//! through Slack) and checking customers against accounts and registrations through the index.

use crate::helpers::*;
use crate::on_both_databases;
use serde_json::{json, Value};

const CSV: &str = "Account Name,Domains,Owner,Territory,Open Opportunity,CRM ID
\"Acme Corporation\",\"acme.com; acme.co.uk\",U0AE1,EMEA,yes,0015000001
Delta Air Lines,delta.com,ae.delta@example.com,NA,no,0015000002
Nameless,,nobody@example.com,NA,no,
X,x.com,U0AE1,NA,no,
";

async fn accounts_import_idempotently_and_are_found_with_registrations(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.emulator.set_user(
        "U0AE2",
        json!({ "id": "U0AE2", "profile": { "email": "ae.delta@example.com" } }),
    );
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("accounts.csv");
    std::fs::write(&file, CSV).expect("write");
    let rows = partnerbot::cli_accounts::read_accounts_csv(&file).expect("csv");
    let report = app
        .app
        .service
        .import_accounts(&rows, Some(&app.app.slack))
        .await
        .expect("import");
    assert_eq!((report.created, report.updated), (2, 0));
    assert_eq!(
        report.rejected,
        vec![
            (
                4,
                "owner: no Slack user has the e-mail nobody@example.com".to_string()
            ),
            (5, "account name: needs at least 2 characters".to_string())
        ]
    );
    let again = app
        .app
        .service
        .import_accounts(&rows, Some(&app.app.slack))
        .await
        .expect("re-import");
    assert_eq!(
        (again.created, again.updated),
        (0, 2),
        "a re-import updates by CRM id"
    );

    app.deal(&alice(), "register Acme Rockets acme-rockets.com 5000")
        .await;
    let input = [
        json!({ "name": "ACME Corp.", "domain": "https://shop.acme.co.uk/x" }).to_string(),
        json!({ "name": "Acme Rockets GmbH" }).to_string(),
        json!({ "name": "Delta Faucet", "domain": "deltafaucet.com" }).to_string(),
        "not json".to_string(),
    ]
    .join("\n");
    let mut out = Vec::new();
    let answered = partnerbot::cli_accounts::check(&app.app.service, input.as_bytes(), &mut out)
        .await
        .expect("check");
    assert_eq!(answered, 4);
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let acme = &lines[0]["matches"][0];
    assert_eq!(
        (
            acme["record_id"].as_str(),
            acme["crm_id"].as_str(),
            acme["kind"].as_str()
        ),
        (Some("A-1"), Some("0015000001"), Some("direct_account"))
    );
    assert_eq!(acme["strength"], "strong");
    assert_eq!(acme["reasons"][0], "same domain acme.co.uk");
    let rockets = &lines[1]["matches"][0];
    assert_eq!(
        (rockets["record_id"].as_str(), rockets["kind"].as_str()),
        (Some("D-1"), Some("partner_registration"))
    );
    assert_eq!(rockets["strength"], "strong", "{rockets}");
    assert!(
        lines[2]["matches"].as_array().expect("array").is_empty(),
        "Delta Faucet is not Delta Air Lines: {}",
        lines[2]
    );
    assert!(lines[3]["error"].is_string());
}
on_both_databases!(accounts_import_idempotently_and_are_found_with_registrations);
