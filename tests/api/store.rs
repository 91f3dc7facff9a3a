//! Store behaviour that both databases must share.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::store::{AuditEntry, NewPartner, StoreError};

async fn the_audit_log_is_append_only(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    sqlx::any::install_default_drivers();
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&app.db.url)
        .await
        .expect("connect");
    for sql in [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        app.store.audit_of("partner", 1).await.expect("audit")[0].actor,
        "cli"
    );
}
on_both_databases!(the_audit_log_is_append_only);

async fn a_channel_or_name_links_one_partner_only(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let audit = AuditEntry {
        actor: "cli",
        surface: "cli",
        entity: "partner",
        action: "partner_added",
        detail: serde_json::json!({}),
    };
    for (name, channel) in [("Someone", "C0GLOBEX"), ("GLOBEX resellers", "C0NEW")] {
        let new = NewPartner {
            name: name.into(),
            partner_type: partnerbot::domain::PartnerType::Referral,
            slack_channel: channel.into(),
            slack_team: None,
            manager_user: None,
            tier: "registered".into(),
        };
        let err = app
            .store
            .add_partner(&new, &audit, 0, |_| Ok(vec![]))
            .await
            .expect_err(name);
        assert!(matches!(err, StoreError::Duplicate(_)), "{name}: {err}");
    }
    assert_eq!(app.store.partners().await.expect("list").len(), 2);
}
on_both_databases!(a_channel_or_name_links_one_partner_only);

async fn claims_respect_leases_and_flag_rows_that_may_have_been_sent(db: Db) {
    let app = TestApp::spawn(db).await;
    let msg = text_message("C1", "t");
    let s = &app.store;
    s.enqueue(&[msg], 1_000).await.expect("enqueue");
    let first = s.claim_outbox("a", 1_000, 100, 10).await.expect("claim");
    assert_eq!(
        (first.len(), first[0].attempts, first[0].needs_check),
        (1, 1, 0)
    );
    assert!(
        s.claim_outbox("b", 1_050, 100, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased to a"
    );
    let taken = s.claim_outbox("b", 1_200, 100, 10).await.expect("claim");
    assert_eq!(
        (taken[0].attempts, taken[0].needs_check),
        (2, 1),
        "a may have sent it: check first"
    );
    s.retry_later(taken[0].id, 1_500, "rate limited", false)
        .await
        .expect("retry");
    assert!(
        s.claim_outbox("c", 1_400, 100, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let again = s.claim_outbox("c", 1_500, 100, 10).await.expect("claim");
    assert_eq!(
        (again[0].attempts, again[0].needs_check),
        (3, 0),
        "a 429 means it was not sent"
    );
    s.mark_delivered(again[0].id, Some("1.2"), 1_600)
        .await
        .expect("delivered");
    assert!(s
        .claim_outbox("d", 10_000, 100, 10)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
}
on_both_databases!(claims_respect_leases_and_flag_rows_that_may_have_been_sent);
