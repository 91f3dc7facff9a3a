//! Nudges: the 60-day nudge, the 90-day manager alert, the 30-day cap, weekends and time zones,
//! paused partners, and re-activation.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use partnerbot::jobs::run_job;

/// The first `weekday` at `hour`:00 UTC at least `days` days from `from`.
fn next(from: DateTime<Utc>, days: i64, weekday: Weekday, hour: u32) -> DateTime<Utc> {
    let mut at = (from + Duration::days(days))
        .with_hour(hour)
        .and_then(|t| t.with_minute(0))
        .expect("time");
    while at.weekday() != weekday || at < from + Duration::days(days) {
        at += Duration::days(1);
    }
    at
}

async fn quiet_partners_are_nudged_escalated_capped_and_reactivated(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program
        .nudges
        .partner_timezones
        .insert("Initech".into(), "Asia/Tokyo".into());
    program.nudges.news = "New: co-marketing funds for Gold partners".into();
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    let hooli = app.link("Hooli", "technology", "C0HOOLI", "T0HOOLI").await;
    let audit_before = app
        .store
        .count(partnerbot::store::CountTable::Audit)
        .await
        .expect("count");
    assert!(app
        .app
        .service
        .set_partner_paused("cli", "cli", hooli.id, true)
        .await
        .expect("pause"));
    // A pause is a change like any other: it has its audit row.
    assert_eq!(
        app.store
            .count(partnerbot::store::CountTable::Audit)
            .await
            .expect("count"),
        audit_before + 1
    );
    app.deliver_all().await;
    let clock = app.app.clock.clone();
    let start = clock.now();
    let go = |to: DateTime<Utc>| clock.advance(to - clock.now());
    let run = || {
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::NudgePartners,
            app.app.clock.now(),
        )
    };

    go(next(start, 61, Weekday::Sat, 10));
    assert_eq!(
        run().await.expect("run"),
        "0 nudged, 0 manager alert(s)",
        "never on a weekend"
    );
    go(next(start, 61, Weekday::Wed, 10));
    assert_eq!(
        run().await.expect("run"),
        "1 nudged, 0 manager alert(s)",
        "Globex (UTC) now; Initech is at 19:00 in Tokyo; Hooli is paused"
    );
    assert_eq!(
        run().await.expect("run"),
        "0 nudged, 0 manager alert(s)",
        "one nudge per 30 days"
    );
    go(clock.now() + Duration::hours(15)); // Thursday 01:00 UTC = 10:00 in Tokyo
    assert_eq!(
        run().await.expect("run"),
        "1 nudged, 0 manager alert(s)",
        "Initech in its own working hours"
    );
    app.deliver_all().await;
    let nudge = app
        .posted_to("C0GLOBEX")
        .last()
        .expect("nudge")
        .params
        .clone();
    let text = strings(&nudge).join(" ");
    assert!(
        text.contains("It's been a while")
            && text.contains("co-marketing funds")
            && text.contains("Register a deal"),
        "{text}"
    );
    assert!(
        app.posted_to("C0HOOLI").len() <= 1,
        "the paused partner got nothing but its welcome"
    );

    // The nudge's button opens the registration form; Globex registers again: re-activated.
    let click = alice().click("register_open", "C0GLOBEX", "1.1");
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        click,
    )
    .await;
    assert_eq!(
        app.emulator
            .calls_to("views.open")
            .last()
            .expect("form")
            .params["view"]["callback_id"],
        "deal_registration"
    );
    go(clock.now() + Duration::days(5));
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    assert_eq!(
        app.app
            .service
            .reactivation_since(start)
            .await
            .expect("rate"),
        partnerbot::store::Reactivation {
            nudged: 2,
            came_back: 1
        },
        "2 nudged, 1 registered within 14 days"
    );

    // Initech stays quiet past 90 days: its manager is told instead of another nudge.
    go(next(start, 95, Weekday::Tue, 1));
    assert_eq!(run().await.expect("run"), "0 nudged, 1 manager alert(s)");
    app.deliver_all().await;
    let alert = strings(
        &app.posted_to(MANAGERS_CHANNEL)
            .last()
            .expect("alert")
            .params,
    )
    .join(" ");
    assert!(
        alert.contains("*Initech* has registered nothing") && alert.contains("days*"),
        "{alert}"
    );
    assert_eq!(
        app.posted_to("C0HOOLI").len(),
        1,
        "still nothing for the paused partner"
    );
}
on_both_databases!(quiet_partners_are_nudged_escalated_capped_and_reactivated);

async fn a_partner_is_nudged_in_the_working_hours_its_people_set_in_slack(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    // Globex's person registers once, then goes quiet; Slack says they are in Los Angeles.
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.emulator.set_user(
        "U0ALICE",
        serde_json::json!({ "id": "U0ALICE", "tz": "America/Los_Angeles", "tz_offset": -28_800 }),
    );
    app.deliver_all().await;
    let clock = app.app.clock.clone();
    let start = clock.now();
    let run = |at: DateTime<Utc>| {
        clock.advance(at - clock.now());
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::NudgePartners,
            at,
        )
    };
    assert_eq!(
        run(next(start, 61, Weekday::Wed, 10)).await.expect("run"),
        "1 nudged, 0 manager alert(s)",
        "Initech (nobody seen: the program's UTC) now; 02:00 or 03:00 in Los Angeles"
    );
    let before = app.posted_to("C0GLOBEX").len();
    assert_eq!(
        run(next(start, 61, Weekday::Wed, 18)).await.expect("run"),
        "1 nudged, 0 manager alert(s)",
        "Globex at 10:00 or 11:00 in Los Angeles"
    );
    app.deliver_all().await;
    assert_eq!(
        app.posted_to("C0GLOBEX").len(),
        before + 1,
        "Globex's nudge"
    );
    assert_eq!(
        app.emulator
            .calls_to("users.info")
            .iter()
            .filter(|c| c.params["user"] == "U0ALICE")
            .count(),
        1,
        "asked once, cached for the second run"
    );
}
on_both_databases!(a_partner_is_nudged_in_the_working_hours_its_people_set_in_slack);
