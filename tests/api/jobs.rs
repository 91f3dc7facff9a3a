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
    let start = Utc::now();
    let (ra, rb) = tokio::join!(sa.tick(start), sb.tick(start));
    let (ra, rb) = (ra.expect("tick a"), rb.expect("tick b"));
    assert!(
        ra.is_empty() && rb.is_empty(),
        "nothing scheduled before the first start is caught up: {ra:?} {rb:?}"
    );
    // A quarter and a half later every job has had an occurrence since the first start.
    let now = start + Duration::days(140);
    let (ra, rb) = tokio::join!(sa.tick(now), sb.tick(now));
    let (ra, rb) = (ra.expect("tick a"), rb.expect("tick b"));
    assert_eq!(
        ra.len() + rb.len(),
        partnerbot::jobs::JOBS.len(),
        "each job ran once between the replicas: {ra:?} {rb:?}"
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
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::EscalateApprovals,
            at
        )
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
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::EscalateApprovals,
            at
        )
        .await
        .expect("run"),
        "1 escalated"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::EscalateApprovals,
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
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(1),
            Decision::Approve,
            "",
        )
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
    let run = |when| {
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::ExpireRegistrations,
            when,
        )
    };
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

fn extend_click(user: &str, channel: &str, action: &str, deal: i64) -> Vec<u8> {
    let team = if user == "U0ALICE" {
        "T0GLOBEX"
    } else {
        "T0HOME"
    };
    partnerbot::simulate::SlackUser::new(user, team, channel).click(
        action,
        &deal.to_string(),
        "1.1",
    )
}

async fn submit_justification(app: &TestApp, text: &str) -> serde_json::Value {
    let view = app
        .emulator
        .calls_to("views.open")
        .last()
        .expect("modal")
        .params["view"]
        .clone();
    assert_eq!(view["callback_id"], "extend_request");
    let payload = serde_json::json!({
        "type": "view_submission", "user": { "id": "U0ALICE", "team_id": "T0GLOBEX" }, "team": { "id": "T0GLOBEX" },
        "view": { "id": format!("V-ext-{}", text.len()), "callback_id": "extend_request", "private_metadata": view["private_metadata"],
                  "state": { "values": { "justification": { "justification": { "type": "plain_text_input", "value": text } } } } }
    });
    let (_, body) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            partnerbot::simulate::form_payload(&payload),
        )
        .await;
    serde_json::from_str(&body).expect("json")
}

async fn one_automatic_and_one_manager_approved_extension_then_no_more(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await;
    let deal = app
        .app
        .service
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(1),
            Decision::Approve,
            "",
        )
        .await
        .expect("approve");
    let until = deal.protected_until.expect("protected");
    let moved = strings(&app.deal(&alice(), "update D-1 stage=proposal").await).join(" ");
    assert!(moved.contains("D-1 is now at stage proposal"), "{moved}");
    run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::ExpireRegistrations,
        (until - Duration::days(14))
            .and_hms_opt(6, 0, 0)
            .expect("t")
            .and_utc(),
    )
    .await
    .expect("remind");
    app.deliver_all().await;
    let reminder = app
        .posted_to("C0GLOBEX")
        .last()
        .expect("reminder")
        .params
        .clone();
    assert!(
        strings(&reminder).join(" ").contains("Extend 30 days"),
        "{reminder}"
    );

    // 1. The stage advanced since registration: the first extension is automatic.
    let (status, _) = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            extend_click("U0ALICE", "C0GLOBEX", "extend_open", 1),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let answer = submit_justification(&app, "Contract in legal review").await;
    assert_eq!(answer["response_action"], "clear", "{answer}");
    let first = app.store.deal(deal.id).await.expect("load").expect("deal");
    assert_eq!(
        (first.extensions, first.protected_until),
        (1, Some(until + Duration::days(30)))
    );

    // 2. The second goes to the managers; only a manager can grant it.
    let none = app.deal(&alice(), "extend D-1").await;
    assert!(none.is_null(), "the command opens the form: {none}");
    assert_eq!(
        submit_justification(&app, "Budget sign-off moved to next quarter").await
            ["response_action"],
        "clear"
    );
    assert_eq!(
        app.store
            .deal(deal.id)
            .await
            .expect("load")
            .expect("deal")
            .extensions,
        1,
        "waiting for the managers"
    );
    let again = submit_justification(&app, "Please!").await;
    assert!(
        again["errors"]["justification"]
            .as_str()
            .expect("text")
            .contains("already waiting"),
        "{again}"
    );
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        extend_click("U0ALICE", "C0GLOBEX", "extend_grant", 1),
    )
    .await;
    assert_eq!(
        app.store
            .deal(deal.id)
            .await
            .expect("load")
            .expect("deal")
            .extensions,
        1,
        "a partner cannot grant"
    );
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        extend_click(MANAGER, MANAGERS_CHANNEL, "extend_grant", 1),
    )
    .await;
    let second = app.store.deal(deal.id).await.expect("load").expect("deal");
    assert_eq!(
        (second.extensions, second.protected_until),
        (2, Some(until + Duration::days(60)))
    );

    // 3. No third extension.
    let refused = strings(&app.deal(&alice(), "extend D-1").await).join(" ");
    assert!(refused.contains("already had 2 extensions"), "{refused}");

    app.deliver_all().await;
    let partner: Vec<String> = app
        .posted_to("C0GLOBEX")
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        partner.iter().any(|t| t.contains("extended by 30 days")
            && t.contains("automatically: the deal moved from prospecting to proposal")),
        "{partner:?}"
    );
    assert!(
        partner
            .iter()
            .any(|t| t.contains("went to the partner managers")),
        "{partner:?}"
    );
    assert!(
        partner
            .iter()
            .any(|t| t.contains("approved by <@U0MANAGER1>")),
        "{partner:?}"
    );
    let managers: Vec<String> = app
        .posted_to(MANAGERS_CHANNEL)
        .iter()
        .map(|c| strings(&c.params).join(" "))
        .collect();
    assert!(
        managers.iter().any(|t| t.contains("asks to extend")
            && t.contains("Budget sign-off")
            && t.contains("Grant extension")),
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
            "U0ALICE:stage_changed",
            "system:reminded",
            "U0ALICE:extended",
            "U0ALICE:extension_requested",
            "U0MANAGER1:extended"
        ]
    );

    // Reminders start again for the new end, and expiry follows it.
    let end = until + Duration::days(60);
    let at = |d: chrono::NaiveDate| d.and_hms_opt(6, 0, 0).expect("t").and_utc();
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::ExpireRegistrations,
            at(end - Duration::days(14))
        )
        .await
        .expect("run"),
        "0 expired, 1 reminded"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::ExpireRegistrations,
            at(end + Duration::days(1))
        )
        .await
        .expect("run"),
        "1 expired, 0 reminded"
    );
}
on_both_databases!(one_automatic_and_one_manager_approved_extension_then_no_more);

async fn two_running_schedulers_on_one_database_claim_each_occurrence_once(db: Db) {
    let app = TestApp::spawn(db).await;
    // An installation that has run before: each job's latest occurrence is due now.
    app.store
        .first_start_ms(0)
        .await
        .expect("an earlier first start");
    let (a, b) = (app.replica().await, app.replica().await);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let ta = tokio::spawn(scheduler(&a).run(a.clock.clone(), stop_rx.clone()));
    let tb = tokio::spawn(scheduler(&b).run(b.clock.clone(), stop_rx));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mut runs = 0;
        for job in partnerbot::jobs::JOBS {
            runs += app.store.job_runs(job.name()).await.expect("runs").len();
        }
        if runs >= partnerbot::jobs::JOBS.len() || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let _ = tokio::join!(ta, tb);
    for job in partnerbot::jobs::JOBS.iter().map(|j| j.name()) {
        let runs = app.store.job_runs(job).await.expect("runs");
        assert_eq!(
            runs.len(),
            1,
            "{job} ran once between the two running schedulers: {runs:?}"
        );
    }
}
on_both_databases!(two_running_schedulers_on_one_database_claim_each_occurrence_once);

async fn the_engagement_jobs_run_twice_send_nothing_twice(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 1000")
        .await;
    app.deliver_all().await;
    let before = app.emulator.delivered().len();
    let now = chrono::Utc::now();
    let first = run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::SurveyRounds,
        now,
    )
    .await
    .expect("open");
    let second = run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::SurveyRounds,
        now,
    )
    .await
    .expect("again");
    assert!(
        first.contains("Survey round 1 is open") && second.contains("already open"),
        "{first} / {second}"
    );
    assert_eq!(app.store.survey_rounds().await.expect("rounds").len(), 1);
    for _ in 0..2 {
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::SurveyFollowthrough,
            now + Duration::days(4),
        )
        .await
        .expect("remind");
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::SurveyFollowthrough,
            now + Duration::days(15),
        )
        .await
        .expect("close");
    }
    app.deliver_all().await;
    let to_alice = app.posted_to("U0ALICE").len();
    assert_eq!(
        to_alice, 2,
        "one invitation and one reminder, however often the jobs run"
    );
    assert_eq!(
        app.emulator.delivered().len() - before,
        3,
        "invitation, reminder, and one results message"
    );
}
on_both_databases!(the_engagement_jobs_run_twice_send_nothing_twice);

async fn a_first_start_with_three_new_partners_posts_nothing_but_the_welcomes(db: Db) {
    let app = TestApp::spawn(db).await;
    let jobs = scheduler(&app.app);
    let start = Utc::now();
    assert!(
        jobs.tick(start).await.expect("first tick").is_empty(),
        "nothing from before the first start is caught up"
    );
    for (name, channel, team) in [
        ("Globex Resellers", "C0GLOBEX", "T0GLOBEX"),
        ("Initech", "C0INITECH", "T0INITECH"),
        ("Hooli", "C0HOOLI", "T0HOOLI"),
    ] {
        app.link(name, "reseller", channel, team).await;
    }
    // The first days: every daily job runs, and says nothing to anyone.
    for day in 0..=3 {
        jobs.tick(start + Duration::days(day) + Duration::minutes(1))
            .await
            .expect("tick");
    }
    app.deliver_all().await;
    let posted: Vec<String> = app
        .emulator
        .delivered()
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                c.params["channel"],
                partnerbot::emulator::readable(&c.params)
            )
        })
        .collect();
    assert_eq!(posted.len(), 3, "{posted:#?}");
    for channel in ["C0GLOBEX", "C0INITECH", "C0HOOLI"] {
        assert_eq!(
            app.posted_to(channel).len(),
            1,
            "{channel} got its welcome: {posted:#?}"
        );
    }
}
on_both_databases!(a_first_start_with_three_new_partners_posts_nothing_but_the_welcomes);
