//! Scheduled jobs: each occurrence runs once across replicas; missed occurrences run once;
//! SLA escalation once; protection reminders and expiry.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use partnerbot::domain::engagement::{business_days_between, Decision};
use partnerbot::domain::DealStatus;
use partnerbot::jobs::{run_job, Scheduler};

fn scheduler(app: &partnerbot::app::App) -> Scheduler {
    Scheduler::new(app.service.clone(), &partnerbot::config::Program::default())
        .expect("schedules parse")
}

async fn two_replicas_run_each_occurrence_once_and_missed_ones_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.replica().await, app.replica().await);
    let (sa, sb) = (scheduler(&a), scheduler(&b));
    let now = Utc::now();
    let (ra, rb) = tokio::join!(sa.tick(now), sb.tick(now));
    let (ra, rb) = (ra.expect("tick a"), rb.expect("tick b"));
    assert_eq!(
        ra.len() + rb.len(),
        2,
        "each of the two jobs ran once between the replicas: {ra:?} {rb:?}"
    );
    assert!(
        sa.tick(now).await.expect("again").is_empty(),
        "nothing runs twice"
    );
    // Down for three days: the daily job's three missed occurrences run once, not three times.
    let later = now + Duration::days(3);
    let ran = sb.tick(later).await.expect("after downtime");
    assert_eq!(
        ran.iter()
            .filter(|(j, _)| *j == "expire_registrations")
            .count(),
        1
    );
    assert_eq!(
        app.store
            .job_runs("expire_registrations")
            .await
            .expect("runs")
            .len(),
        2
    );
}
on_both_databases!(two_replicas_run_each_occurrence_once_and_missed_ones_once);

#[test]
fn a_schedule_that_does_not_parse_names_its_job() {
    let mut program = partnerbot::config::Program::default();
    program
        .schedules
        .jobs
        .insert("expire_registrations".into(), "at dawn".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let err = rt.block_on(async {
        let app = TestApp::spawn(Db::Sqlite).await;
        Scheduler::new(app.app.service.clone(), &program)
            .expect_err("bad cron")
            .to_string()
    });
    assert!(
        err.starts_with("schedules.jobs.expire_registrations: “at dawn” is not a cron expression"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

async fn a_registration_waiting_past_the_sla_is_escalated_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    app.deliver_all().await;
    let created = Utc::now();
    let mut at = created;
    while business_days_between(created.date_naive(), at.date_naive()) < 2 {
        at += Duration::days(1);
    }
    assert_eq!(
        run_job(&app.app.service, "escalate_approvals", at)
            .await
            .expect("run"),
        "0 escalated",
        "within the SLA"
    );
    at += Duration::days(if at.format("%u").to_string() == "5" {
        3
    } else {
        1
    });
    assert_eq!(
        run_job(&app.app.service, "escalate_approvals", at)
            .await
            .expect("run"),
        "1 escalated"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            "escalate_approvals",
            at + Duration::days(2)
        )
        .await
        .expect("run"),
        "0 escalated",
        "once"
    );
    app.deliver_all().await;
    let notes: Vec<String> = app
        .posted_to(MANAGERS_CHANNEL)
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .filter(|t| t.contains("waited"))
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("D-1")
            && notes[0].contains("3 business days")
            && notes[0].contains("Globex Resellers"),
        "{}",
        notes[0]
    );
}
on_both_databases!(a_registration_waiting_past_the_sla_is_escalated_once);

async fn approved_registrations_are_reminded_then_expire(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    let deal = app
        .app
        .service
        .decide(MANAGER, "D-1", Decision::Approve, "")
        .await
        .expect("approve");
    app.deliver_all().await;
    let until = deal.protected_until.expect("protected");
    let at = |days_before: i64| {
        (until - Duration::days(days_before))
            .and_hms_opt(6, 0, 0)
            .expect("time")
            .and_utc()
    };
    let run = |when| run_job(&app.app.service, "expire_registrations", when);
    assert_eq!(run(at(20)).await.expect("run"), "0 expired, 0 reminded");
    assert_eq!(run(at(14)).await.expect("run"), "0 expired, 1 reminded");
    assert_eq!(
        run(at(13)).await.expect("run"),
        "0 expired, 0 reminded",
        "one reminder per mark"
    );
    assert_eq!(run(at(3)).await.expect("run"), "0 expired, 1 reminded");
    assert_eq!(
        run(at(0)).await.expect("run"),
        "0 expired, 0 reminded",
        "protected through its last day"
    );
    assert_eq!(run(at(-1)).await.expect("run"), "1 expired, 0 reminded");
    assert_eq!(
        run(at(-2)).await.expect("run"),
        "0 expired, 0 reminded",
        "expires once"
    );
    assert_eq!(
        app.store
            .deal(deal.id)
            .await
            .expect("load")
            .expect("deal")
            .status,
        DealStatus::Expired
    );

    app.deliver_all().await;
    let partner: Vec<String> = app
        .posted_to("C0GLOBEX")
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        partner.iter().any(|t| t.contains("ends in *14 days*")),
        "{partner:?}"
    );
    assert!(
        partner.iter().any(|t| t.contains("ends in *3 days*")),
        "{partner:?}"
    );
    assert!(
        partner
            .iter()
            .any(|t| t.contains("has *expired*") && !t.contains("Globex Resellers")),
        "{partner:?}"
    );
    let managers: Vec<String> = app
        .posted_to(MANAGERS_CHANNEL)
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        managers
            .iter()
            .any(|t| t.contains("has *expired*") && t.contains("Globex Resellers")),
        "{managers:?}"
    );
    let actions: Vec<String> = app
        .store
        .audit_of("deal", 1)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| format!("{}:{}", a.actor, a.action))
        .collect();
    assert_eq!(
        actions,
        [
            "U0ALICE:registered",
            "U0MANAGER1:approved",
            "system:reminded",
            "system:reminded",
            "system:expired"
        ]
    );
}
on_both_databases!(approved_registrations_are_reminded_then_expire);
