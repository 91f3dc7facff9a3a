//! The weekly digest for a seeded program: the right figures in each section, empty sections
//! left out, the chart uploaded as a PNG of the expected size, and sent once per week.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::{Datelike, Duration, Timelike, Weekday};
use partnerbot::domain::engagement::Decision;
use partnerbot::jobs::run_job;

async fn the_digest_has_the_right_figures_omits_empty_sections_and_uploads_its_chart(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program.managers.slack_users = vec![MANAGER.into(), "U0MANAGER2".into()];
    program.rules.protection_days = 10;
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    let clock = app.app.clock.clone();
    // Hooli belongs to the second manager and never registers anything.
    let hooli = app
        .slash(
            &partnerbot::simulate::SlackUser::new("U0MANAGER2", "T0HOME", "C0HOOLI"),
            "/partners",
            "add Hooli type=technology",
        )
        .await;
    assert!(strings(&hooli)
        .join(" ")
        .contains("Linked this channel to Hooli"));

    clock.advance(Duration::days(55));
    app.deal(&bob(), "register Initrode initrode.com 5000")
        .await; // D-1: waits past the SLA
    clock.advance(Duration::days(8));
    let today = clock.now().date_naive();
    app.deal(&alice(), "register Acme Rockets acme-rockets.com 50000")
        .await; // D-2: won this week
    app.app
        .service
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(2),
            Decision::Approve,
            "",
        )
        .await
        .expect("approve");
    app.deal(
        &alice(),
        &format!("update D-2 stage=won amount=80000 close={today}"),
    )
    .await;
    app.deal(&alice(), "register Wayne Enterprises wayne.com 20000")
        .await; // D-3: protection ends in 10 days
    app.app
        .service
        .decide(
            &crate::helpers::manager(),
            partnerbot::domain::DealId(3),
            Decision::Approve,
            "",
        )
        .await
        .expect("approve");
    app.deal(&bob(), "register Wayne Enterprises Inc www.wayne.com 30000")
        .await; // D-4: conflict
    run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::RecomputeTiers,
        clock.now(),
    )
    .await
    .expect("tiers");
    app.app
        .service
        .open_survey(MANAGER, clock.now())
        .await
        .expect("survey");
    let answer = partnerbot::simulate::SlackUser::new("U0ALICE", "T0GLOBEX", "D0ALICE").click(
        "psat_score_9",
        "1:9",
        "1.1",
    );
    app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        answer,
    )
    .await;

    let digest = app
        .app
        .service
        .compose_digest(MANAGER, clock.now())
        .await
        .expect("digest");
    let t = &partnerbot::domain::digest::text(&digest.facts, partnerbot::slack::notices::next_step);
    for needle in [
        "(3 partners)",
        "New registrations: 3, worth 130,000.00 USD",
        "Open conflicts: 1",
        "D-4 · Wayne Enterprises Inc (Initech) · 30,000.00 USD · 0 days old",
        "Waiting past the approval SLA: 1",
        "D-1 · Initrode (Initech) · 5,000.00 USD · waiting",
        "Protection ending in the next 14 days: 1",
        &format!("protection ends {}", today + Duration::days(10)),
        "Wins: 1",
        "D-2 · Acme Rockets (Globex Resellers) · 80,000.00 USD",
        "Commissions earned: 20,000.00 USD",
        "Globex Resellers: registered → silver",
        "Quiet partners: 1",
        "Hooli · quiet for 63 days",
        "PSAT round 1 (open): response rate 50% (1/2), NPS 100",
        "Top partners by sourced revenue (12 months)",
        "Globex Resellers · 80000.00 USD",
    ] {
        assert!(t.contains(needle), "{needle:?} missing from\n{t}");
    }
    let second = app
        .app
        .service
        .compose_digest("U0MANAGER2", clock.now())
        .await
        .expect("digest");
    let titles: Vec<String> = partnerbot::domain::digest::sections(&second.facts)
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(
        titles,
        [
            "Quiet partners: 1",
            "Partner satisfaction"
        ],
        "only Hooli's sections, the empty ones left out (a partner two months in is not told \"inactive\")"
    );
    if std::env::var("PARTNERBOT_WRITE_DOCS").is_ok() {
        std::fs::write("docs/digest-example.txt", t).expect("write text");
        std::fs::write("docs/digest-chart.png", &digest.png).expect("write chart");
    }

    // Monday 09:00 in the manager's time zone (UTC here): the job sends each digest once.
    let mut monday = clock.now() + Duration::days(1);
    while monday.weekday() != Weekday::Mon {
        monday += Duration::days(1);
    }
    let at = monday
        .with_hour(9)
        .and_then(|m| m.with_minute(5))
        .expect("09:05");
    clock.advance(at - clock.now());
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::WeeklyDigest,
            clock.now()
        )
        .await
        .expect("run"),
        "2 digest(s) sent"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::WeeklyDigest,
            clock.now()
        )
        .await
        .expect("again"),
        "0 digest(s) sent",
        "nothing twice"
    );
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::WeeklyDigest,
            clock.now() + Duration::hours(1)
        )
        .await
        .expect("10:05"),
        "0 digest(s) sent"
    );
    app.deliver_all().await;
    let message = app
        .posted_to(MANAGER)
        .into_iter()
        .find(|c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Weekly partner digest"))
        })
        .expect("digest DM");
    serde_json::from_value::<Vec<slack_morphism::prelude::SlackBlock>>(
        message.params["blocks"].clone(),
    )
    .expect("valid Block Kit");
    let files = app.emulator.shared_files();
    assert_eq!(files.len(), 2, "one chart per manager");
    let (channel, title, png) = &files[0];
    assert!(
        channel.starts_with('D') && title.starts_with("Partner pipeline and wins"),
        "{channel} {title}"
    );
    let decoded = image::load_from_memory(png).expect("a PNG that decodes");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (partnerbot::chart::WIDTH, partnerbot::chart::HEIGHT)
    );
    for method in ["files.getUploadURLExternal", "files.completeUploadExternal"] {
        assert_eq!(app.emulator.calls_to(method).len(), 2, "{method}");
    }
}
on_both_databases!(the_digest_has_the_right_figures_omits_empty_sections_and_uploads_its_chart);

async fn the_chart_names_a_currency_it_cannot_convert(db: Db) {
    // USD deals and an EUR deal, with no EUR rate configured.
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.register_and_win(
        &alice(),
        "Acme Rockets acme-rockets.com 50000 USD",
        "D-1",
        "80000",
    )
    .await;
    app.deal(&bob(), "register Initrode Europe initrode.eu 20000 EUR")
        .await;
    let digest = app
        .app
        .service
        .compose_digest(MANAGER, chrono::Utc::now())
        .await
        .expect("digest");
    assert_eq!(digest.unconverted.len(), 1, "{:?}", digest.unconverted);
    assert_eq!(digest.unconverted[0].currency, "EUR");
    assert_eq!(
        digest.unconverted[0].pipeline, 20_000.0,
        "left out, and said so"
    );
    assert_eq!(&digest.png[..8], b"\x89PNG\r\n\x1a\n");
    if std::env::var("PARTNERBOT_WRITE_DOCS").is_ok() {
        std::fs::write("docs/digest-chart-two-currencies.png", &digest.png).expect("write chart");
    }
    app.deliver_all().await;
}
on_both_databases!(the_chart_names_a_currency_it_cannot_convert);
