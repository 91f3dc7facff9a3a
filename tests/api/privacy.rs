//! A partner never sees another partner's deals.

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::simulate::SlackUser;

async fn partner_a_can_never_see_partner_b_deals(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Secret Project acme.com 75000")
        .await; // D-1, Globex
    app.deal(&bob(), "register Initech Internal initech.com 1000")
        .await; // D-2, Initech

    let bob_list = strings(&app.deal(&bob(), "list").await).join("\n");
    assert!(
        bob_list.contains("Initech Internal") && !bob_list.contains("Acme Secret"),
        "{bob_list}"
    );
    let alice_list = strings(&app.deal(&alice(), "list").await).join("\n");
    assert!(
        alice_list.contains("Acme Secret") && !alice_list.contains("Initech Internal"),
        "{alice_list}"
    );

    let refused = strings(&app.deal(&bob(), "show D-1").await).join("\n");
    assert!(
        refused.contains("There is no deal D-1 that you can see") && !refused.contains("Acme"),
        "{refused}"
    );
    let missing = strings(&app.deal(&bob(), "show D-99").await).join("\n");
    assert!(
        missing.contains("There is no deal D-99 that you can see"),
        "the same answer as for a deal that does not exist"
    );

    // Bob, a member of Initech's team, typing in Globex's channel still cannot act for Globex.
    let bob_in_globex = SlackUser::new("U0BOB", "T0INITECH", "C0GLOBEX");
    let refused = strings(&app.deal(&bob_in_globex, "show D-1").await).join("\n");
    assert!(refused.contains("There is no deal D-1"), "{refused}");
    let refused = strings(&app.deal(&bob_in_globex, "list").await).join("\n");
    assert!(!refused.contains("Acme"), "{refused}");

    // Outside any shared channel (a DM), Alice still only sees Globex's deals.
    let alice_dm = SlackUser::new("U0ALICE", "T0GLOBEX", "D0ALICE");
    let dm_list = strings(&app.deal(&alice_dm, "list").await).join("\n");
    assert!(
        dm_list.contains("Acme Secret") && !dm_list.contains("Initech"),
        "{dm_list}"
    );

    // Managers see everything.
    let shown = strings(&app.deal(&manager_in(MANAGERS_CHANNEL), "show D-1").await).join("\n");
    assert!(
        shown.contains("Acme Secret Project") && shown.contains("Globex Resellers"),
        "{shown}"
    );
    let all = strings(&app.deal(&manager_in(MANAGERS_CHANNEL), "list").await).join("\n");
    assert!(
        all.contains("Acme Secret") && all.contains("Initech Internal"),
        "{all}"
    );
}
on_both_databases!(partner_a_can_never_see_partner_b_deals);
