//! The distinctiveness statistics of the match index (`match_token_stats`, issue 13) stay equal
//! to a recount of the index after imports, re-imports that rename, registrations and deletions,
//! and when two replicas import at the same time.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::domain::account::AccountRow;
use partnerbot::domain::matching::Strength;
use partnerbot::store::Store;
use sqlx::Connection;
use std::collections::BTreeMap;

/// What the statistics table says, and what a recount of the index says.
async fn stats_and_recount(url: &str) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let stored: Vec<(String, i64)> =
        sqlx::query_as("SELECT token, records FROM match_token_stats WHERE records <> 0")
            .fetch_all(&mut conn)
            .await
            .expect("stats");
    let mut recount: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT substr(key, 3), COUNT(*) FROM match_keys WHERE key LIKE 't:%' GROUP BY key",
    )
    .fetch_all(&mut conn)
    .await
    .expect("recount")
    .into_iter()
    .collect();
    let acronyms: Vec<(String, i64)> =
        sqlx::query_as("SELECT key, COUNT(*) FROM match_keys WHERE key LIKE 'a:%' GROUP BY key")
            .fetch_all(&mut conn)
            .await
            .expect("acronyms");
    recount.extend(acronyms);
    let records: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT kind, record_id FROM match_keys) AS r",
    )
    .fetch_one(&mut conn)
    .await
    .expect("records");
    if records > 0 {
        recount.insert(String::new(), records);
    }
    // The record count is kept in counter rows `#0`…`#15`: their sum.
    let mut folded: BTreeMap<String, i64> = BTreeMap::new();
    for (token, n) in stored {
        let key = if token.starts_with('#') {
            String::new()
        } else {
            token
        };
        *folded.entry(key).or_insert(0) += n;
    }
    folded.retain(|_, n| *n != 0);
    (folded, recount)
}

/// The words that have typo variants, and the words that should.
async fn variants(url: &str, stats: &BTreeMap<String, i64>) -> (Vec<String>, Vec<String>) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let have: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT token FROM match_token_variants ORDER BY token")
            .fetch_all(&mut conn)
            .await
            .expect("variants");
    let want = stats
        .keys()
        .filter(|t| !partnerbot::domain::matching::typo_variants(t).is_empty())
        .cloned()
        .collect();
    (have, want)
}

async fn assert_exact(url: &str, when: &str) -> BTreeMap<String, i64> {
    let (stored, recount) = stats_and_recount(url).await;
    assert_eq!(stored, recount, "statistics after {when}");
    let (have, want) = variants(url, &stored).await;
    assert_eq!(have, want, "typo variants after {when}");
    stored
}

fn row(name: &str, crm: &str) -> AccountRow {
    AccountRow {
        name: name.into(),
        domains: String::new(),
        owner: "U0AE1".into(),
        territory: "NA".into(),
        open_opportunity: "no".into(),
        crm_id: crm.into(),
    }
}

async fn word_statistics_follow_every_change_of_the_book(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let url = app.db.url.clone();
    let rows: Vec<(usize, AccountRow)> = [
        row("Anker Innovations Limited", "C1"),
        row("Anker Technology GmbH", "C2"),
        row("Delta Faucet Company", "C3"),
        row("Global Systems Inc", "C4"),
        row("Howmet Aerospace", "C5"),
    ]
    .into_iter()
    .enumerate()
    .collect();
    let import = |rows: Vec<(usize, AccountRow)>| {
        let service = app.app.service.clone();
        async move {
            service
                .import_accounts(&rows, crate::helpers::NO_DIRECTORY)
                .await
                .expect("import")
        }
    };
    // The same CRM id twice in one file (one batch): created once, then updated.
    let report = import([rows.clone(), rows.clone()].concat()).await;
    assert_eq!((report.created, report.updated), (5, 5));
    let after = assert_exact(&url, "an import").await;
    assert_eq!(after.get("anker"), Some(&2));
    assert_eq!(after.get(""), Some(&5));

    import(rows.clone()).await;
    assert_eq!(assert_exact(&url, "the same import again").await, after);

    // A re-import that renames: the old words go, the new ones come.
    import(vec![(0, row("Kununu Holdings AG", "C2"))]).await;
    let renamed = assert_exact(&url, "a renaming re-import").await;
    assert_eq!(renamed.get("anker"), Some(&1));
    assert_eq!(renamed.get("kununu"), Some(&1));
    assert_eq!(renamed.get(""), Some(&5));

    app.deal(&alice(), "register Anker Robotics anker-robotics.com 5000")
        .await;
    app.deal(&bob(), "register Vivendi SE vivendi.com 7000")
        .await;
    let registered = assert_exact(&url, "registrations").await;
    assert_eq!(registered.get("anker"), Some(&2));
    assert_eq!(registered.get(""), Some(&7));

    let ids: Vec<i64> = {
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        sqlx::query_scalar("SELECT id FROM direct_accounts ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("ids")
    };
    for id in &ids[..2] {
        assert!(app.store.delete_account(*id).await.expect("delete"));
    }
    assert!(!app.store.delete_account(-1).await.expect("delete nothing"));
    let deleted = assert_exact(&url, "deletions").await;
    assert_eq!(
        deleted.get("anker"),
        Some(&1),
        "only the registration is left"
    );
    assert_eq!(
        deleted.get("kununu"),
        None,
        "a word no record holds is dropped"
    );
    assert_eq!(deleted.get(""), Some(&5));

    // What a check reads is what the table holds.
    let (records, holding) = app
        .store
        .token_stats(&["anker".into(), "nowhere".into()])
        .await
        .expect("stats");
    assert_eq!(
        (records, holding.get("anker"), holding.get("nowhere")),
        (5, Some(&1), None)
    );
}
on_both_databases!(word_statistics_follow_every_change_of_the_book);

async fn two_replicas_importing_at_once_keep_the_statistics_exact(db: Db) {
    let app = TestApp::spawn(db).await;
    let url = app.db.url.clone();
    let replica = Store::open(&url).await.expect("second replica");
    let accounts = |prefix: &'static str| -> Vec<(partnerbot::store::NewAccount, Vec<String>)> {
        (0..60)
            .map(|i| {
                let name = format!("{prefix} Shared Widgets {i}");
                let keys = partnerbot::domain::matching::index_keys(
                    &partnerbot::domain::matching::Candidate::new(&name, None),
                );
                (
                    partnerbot::store::NewAccount {
                        name,
                        domains: vec![],
                        owner: "U0AE1".into(),
                        territory: String::new(),
                        open_opportunity: false,
                        crm_id: Some(format!("{prefix}-{i}")),
                    },
                    keys,
                )
            })
            .collect()
    };
    let (a, b) = (accounts("Alpha"), accounts("Beta"));
    let first = app.store.clone();
    let one = tokio::spawn(async move {
        for chunk in a.chunks(5) {
            first.upsert_accounts(chunk, 0).await.expect("replica one");
        }
    });
    let two = tokio::spawn(async move {
        for chunk in b.chunks(5) {
            replica
                .upsert_accounts(chunk, 0)
                .await
                .expect("replica two");
        }
    });
    one.await.expect("join");
    two.await.expect("join");
    let stats = assert_exact(&url, "two replicas importing at once").await;
    assert_eq!(stats.get("shared"), Some(&120));
    assert_eq!(stats.get(""), Some(&120));
}
on_both_databases!(two_replicas_importing_at_once_keep_the_statistics_exact);

async fn an_acronym_that_several_accounts_answer_to_blocks_none_of_them(db: Db) {
    let app = TestApp::spawn(db).await;
    let rows: Vec<(usize, AccountRow)> = [
        row("United Parcel Service", "U1"),
        row("Kununu Holdings AG", "K1"),
    ]
    .into_iter()
    .enumerate()
    .collect();
    app.app
        .service
        .import_accounts(&rows, crate::helpers::NO_DIRECTORY)
        .await
        .expect("import");
    let found = app
        .app
        .service
        .check_customer("UPS", Some("ups.com"))
        .await
        .expect("check");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].found.strength, Strength::Medium);
    assert!(found[0].found.reasons[0].contains("acronym “UPS” of “United Parcel Service”"));
    app.app
        .service
        .import_accounts(
            &[(0, row("Universal Power Solutions", "U2"))],
            crate::helpers::NO_DIRECTORY,
        )
        .await
        .expect("import");
    let found = app
        .app
        .service
        .check_customer("UPS", Some("ups.com"))
        .await
        .expect("check");
    assert_eq!(found.len(), 2, "{found:?}");
    for m in &found {
        assert_eq!(m.found.strength, Strength::Weak, "{m:?}");
        assert!(m
            .found
            .reasons
            .iter()
            .any(|r| r == "but 2 records have those initials"));
    }
}
on_both_databases!(an_acronym_that_several_accounts_answer_to_blocks_none_of_them);
