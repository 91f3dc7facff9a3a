//! Store behaviour that both databases must share.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::store::ClaimLimits;
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
            conversation: crate::helpers::slack_channel(channel),
            workspace: None,
            manager_user: None,
            tier: partnerbot::domain::tier::Tier::Registered,
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

const LIMITS: ClaimLimits = ClaimLimits {
    batch: 10,
    per_channel: 10,
};

async fn claims_respect_leases_and_flag_rows_that_may_have_been_sent(db: Db) {
    let app = TestApp::spawn(db).await;
    let msg = text_message("C1", "t");
    let s = &app.store;
    s.enqueue(&[msg], 1_000).await.expect("enqueue");
    let first = s
        .claim_outbox("a", 1_000, 100, LIMITS)
        .await
        .expect("claim");
    assert_eq!(
        (first.len(), first[0].attempts, first[0].needs_check),
        (1, 1, 0)
    );
    assert!(
        s.claim_outbox("b", 1_050, 100, LIMITS)
            .await
            .expect("claim")
            .is_empty(),
        "leased to a"
    );
    let taken = s
        .claim_outbox("b", 1_200, 100, LIMITS)
        .await
        .expect("claim");
    assert_eq!(
        (taken[0].attempts, taken[0].needs_check),
        (2, 1),
        "a may have sent it: check first"
    );
    s.retry_later(
        taken[0].id,
        taken[0].lease_version,
        1_500,
        "rate limited",
        false,
    )
    .await
    .expect("retry");
    assert!(
        s.claim_outbox("c", 1_400, 100, LIMITS)
            .await
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let again = s
        .claim_outbox("c", 1_500, 100, LIMITS)
        .await
        .expect("claim");
    assert_eq!(
        (again[0].attempts, again[0].needs_check),
        (3, 0),
        "a 429 means it was not sent"
    );
    s.mark_delivered(again[0].id, again[0].lease_version, Some("1.2"), 1_600)
        .await
        .expect("delivered");
    assert!(s
        .claim_outbox("d", 10_000, 100, LIMITS)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
}
on_both_databases!(claims_respect_leases_and_flag_rows_that_may_have_been_sent);

async fn one_claim_takes_at_most_its_batch_on_a_table_without_statistics(db: Db) {
    let app = TestApp::spawn(db).await;
    let s = &app.store;
    // 1,200 rows for one channel and 300 for 30 others, inserted into a fresh table that has
    // never been analysed (Postgres plans it without statistics).
    let mut messages: Vec<_> = (0..1_200)
        .map(|i| text_message("C0BUSY", &format!("b{i}")))
        .collect();
    messages
        .extend((0..300).map(|i| text_message(&format!("C0OTHER{:02}", i % 30), &format!("o{i}"))));
    s.enqueue(&messages, 1_000).await.expect("enqueue");
    let limits = ClaimLimits {
        batch: 20,
        per_channel: 5,
    };
    let first = s
        .claim_outbox("a", 1_000, 60_000, limits)
        .await
        .expect("claim");
    assert_eq!(first.len(), 20, "one claim takes exactly its batch");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let claimed = s
            .claim_outbox("a", 1_000, 60_000, limits)
            .await
            .expect("claim");
        assert!(claimed.len() <= 20, "a claim took {} rows", claimed.len());
        if claimed.is_empty() {
            break;
        }
        seen.extend(claimed.iter().map(|r| r.id));
    }
    seen.extend(first.iter().map(|r| r.id));
    let busy = seen.len() - 30 * 5;
    assert_eq!(
        busy, 5,
        "of the busy channel only its first per-channel rows are leased at once"
    );
    // Another worker gets nothing of channels this one is draining.
    let b = s
        .claim_outbox("b", 2_000, 60_000, limits)
        .await
        .expect("claim");
    assert!(b.is_empty(), "b took {} rows of channels a holds", b.len());
}
on_both_databases!(one_claim_takes_at_most_its_batch_on_a_table_without_statistics);

async fn a_superseded_claim_can_neither_hold_nor_record_the_row(db: Db) {
    let app = TestApp::spawn(db).await;
    let s = &app.store;
    s.enqueue(&[text_message("C1", "t")], 1_000)
        .await
        .expect("enqueue");
    let old = s
        .claim_outbox("a", 1_000, 100, LIMITS)
        .await
        .expect("claim")
        .remove(0);
    assert!(s
        .hold_lease(old.id, "a", old.lease_version, 1_050, 1_150)
        .await
        .expect("hold"));
    // a stalls; its lease runs out and b takes the row over.
    let new = s
        .claim_outbox("b", 1_200, 100, LIMITS)
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(new.lease_version, old.lease_version + 1);
    assert!(!s
        .hold_lease(old.id, "a", old.lease_version, 1_210, 1_400)
        .await
        .expect("hold"));
    assert!(!s
        .mark_delivered(old.id, old.lease_version, Some("1.1"), 1_220)
        .await
        .expect("mark"));
    assert!(!s
        .retry_later(old.id, old.lease_version, 1_300, "x", true)
        .await
        .expect("retry"));
    assert_eq!(
        s.mark_failed(old.id, old.lease_version, "x", 1_230, None)
            .await
            .expect("fail"),
        (false, false)
    );
    assert_eq!(
        s.outbox_depth().await.expect("depth"),
        1,
        "still b's to deliver"
    );
    assert!(s
        .mark_delivered(new.id, new.lease_version, Some("1.2"), 1_240)
        .await
        .expect("mark"));
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
}
on_both_databases!(a_superseded_claim_can_neither_hold_nor_record_the_row);

/// A claim reads each channel's first rows by a range of the pending index, however long the
/// backlog and however many delivered rows the table holds: shown by the plan, not a timing.
async fn a_claim_reads_each_channels_heads_by_range_whatever_the_backlog(db: Db) {
    let app = TestApp::spawn(db).await;
    let s = &app.store;
    let messages: Vec<_> = (0..3_000)
        .map(|i| text_message(["C0BUSY", "C0MANAGERS"][i % 2], &format!("m{i}")))
        .collect();
    s.enqueue(&messages, 1_000).await.expect("enqueue");
    if app.db.url.starts_with("postgres") {
        sqlx::any::install_default_drivers();
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&app.db.url)
            .await
            .expect("connect");
        sqlx::query("ANALYZE outbox")
            .execute(&mut conn)
            .await
            .expect("analyze");
    }
    let plan = s.claim_plan(LIMITS).await.expect("plan").join("\n");
    if app.db.url.starts_with("postgres") {
        assert!(!plan.contains("Seq Scan on outbox"), "{plan}");
        assert!(plan.contains("outbox_pending_by_channel"), "{plan}");
    } else {
        assert!(
            plan.contains("outbox_pending_by_channel (channel=? AND id<?)"),
            "{plan}"
        );
        assert!(
            !plan.contains("SEARCH o USING INDEX outbox_pending_by_channel (channel=?)\n"),
            "{plan}"
        );
    }
}
on_both_databases!(a_claim_reads_each_channels_heads_by_range_whatever_the_backlog);
