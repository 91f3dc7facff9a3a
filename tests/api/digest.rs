//! The weekly digest for a seeded program: the right figures in each section, empty sections
//! left out, sent once per week as one Slack message whose image block shows the chart (a PNG
//! of the expected size uploaded once as a private file, however often the post is retried).

use crate::helpers::*;
use crate::on_both_databases;
use chrono::{Datelike, Duration, Timelike, Weekday};
use partnerbot::domain::engagement::Decision;
use partnerbot::emulator::{Call, Fault};
use partnerbot::jobs::run_job;

/// The Slack file the image block of `message` shows.
fn chart_file_of(message: &Call) -> Option<String> {
    message.params["blocks"]
        .as_array()?
        .iter()
        .find(|b| b["type"] == "image")
        .and_then(|b| b["slack_file"]["id"].as_str())
        .map(str::to_string)
}

/// The digest posts (`chat.postMessage` calls, landed or not) to `channel`.
fn digest_posts(app: &TestApp, channel: &str) -> Vec<Call> {
    app.emulator
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c.params["channel"] == channel
                && c.params["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Weekly partner digest"))
        })
        .collect()
}

/// An app with two partners, a deal won for 80,000 USD and `registration` (a `/deal` line)
/// by another partner, everything delivered so far.
async fn program_with_a_week(db: Db, registration: &str) -> TestApp {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.register_and_win(
        &alice(),
        "Acme Rockets acme-rockets.com 50000 USD",
        "D-1",
        "80000",
    )
    .await;
    app.deal(&bob(), registration).await;
    app.deliver_all().await;
    app
}

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
    let posts = app.posted_to(MANAGER);
    let digests: Vec<&Call> = posts
        .iter()
        .filter(|c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Weekly partner digest"))
        })
        .collect();
    assert_eq!(digests.len(), 1, "one message per digest");
    let message = digests[0];
    serde_json::from_value::<Vec<slack_morphism::prelude::SlackBlock>>(
        message.params["blocks"].clone(),
    )
    .expect("valid Block Kit");
    // The fallback text (notifications, screen readers) carries the headline figures (of the
    // Monday it was sent: the registrations are more than a week old by then).
    let fallback = message.params["text"].as_str().unwrap_or_default();
    for figure in [
        "3 partners",
        "Open conflicts: 1",
        "Waiting past the approval SLA: 2",
        "Protection ending in the next 14 days: 1",
        "Wins: 1",
        "Quiet partners: 1",
    ] {
        assert!(
            fallback.contains(figure),
            "{figure:?} missing from {fallback:?}"
        );
    }
    // The chart is in the message: an image block naming a private file the bot uploaded.
    let files = app.emulator.files();
    assert_eq!(files.len(), 2, "one chart per manager");
    let shown = chart_file_of(message).expect("an image block with a Slack file");
    let chart = files
        .iter()
        .find(|f| f.id == shown)
        .expect("the image names an uploaded file");
    assert_eq!(
        chart.channel, None,
        "the chart is not shared to a channel on its own"
    );
    assert!(
        chart.title.starts_with("Partner pipeline and wins"),
        "{}",
        chart.title
    );
    assert!(chart.alt_text.contains("Bar chart"), "{}", chart.alt_text);
    let decoded = image::load_from_memory(&chart.bytes).expect("a PNG that decodes");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (partnerbot::chart::WIDTH, partnerbot::chart::HEIGHT)
    );
    for method in ["files.getUploadURLExternal", "files.completeUploadExternal"] {
        assert_eq!(app.emulator.calls_to(method).len(), 2, "{method}");
    }
    assert!(
        app.emulator.calls_to("conversations.open").is_empty(),
        "no DM is opened to share a file"
    );
    // Deal ids link to the deals' threads (the review cards in the managers' channel).
    let readable = partnerbot::emulator::readable(&message.params);
    for id in ["D-1", "D-2", "D-3", "D-4"] {
        assert!(
            readable.contains(&format!("/archives/{MANAGERS_CHANNEL}/p"))
                && readable.contains(&format!("|{id}>")),
            "{id} is not a permalink in\n{readable}"
        );
    }
    let refused = app.refused_calls();
    assert!(refused.is_empty(), "refused calls: {refused:?}");
}
on_both_databases!(the_digest_has_the_right_figures_omits_empty_sections_and_uploads_its_chart);

async fn the_chart_names_a_currency_it_cannot_convert(db: Db) {
    // USD deals and an EUR deal, with no EUR rate configured.
    let app = program_with_a_week(db, "register Initrode Europe initrode.eu 20000 EUR").await;
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

async fn a_failed_post_reuses_the_uploaded_chart(db: Db) {
    let app = program_with_a_week(db, "register Initrode initrode.com 20000").await;
    // Slack fails the first post outright, and acts on the second but answers 500: the third
    // attempt finds the second in the channel instead of posting again.
    app.emulator
        .inject(Some("chat.postMessage"), Fault::ServerError, 1);
    app.emulator
        .inject(Some("chat.postMessage"), Fault::ServerErrorAfterActing, 1);
    app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "digest now")
        .await;
    app.deliver_all().await;
    assert_eq!(app.emulator.pending_faults(), 0, "every fault was hit");
    let posts = digest_posts(&app, MANAGER);
    assert_eq!(posts.len(), 2, "posted twice, never a third time");
    let landed: Vec<&Call> = posts.iter().filter(|c| c.params["_ok"] == true).collect();
    assert_eq!(landed.len(), 1, "the digest landed once");
    assert_eq!(
        app.emulator.calls_to("files.getUploadURLExternal").len(),
        1,
        "the chart was uploaded once"
    );
    let fallback = landed[0].params["text"].as_str().unwrap_or_default();
    assert!(
        fallback.contains("2 partners")
            && fallback.contains("New registrations: 2, worth 100,000.00 USD")
            && fallback.contains("Wins: 1"),
        "{fallback}"
    );
    let files = app.emulator.files();
    assert_eq!(files.len(), 1);
    for post in &posts {
        assert_eq!(
            chart_file_of(post),
            Some(files[0].id.clone()),
            "each attempt shows the same file"
        );
    }
    assert_eq!(
        app.emulator
            .calls_to("conversations.history")
            .iter()
            .filter(|c| c.params["channel"] == MANAGER)
            .count(),
        2,
        "both retries first looked for an earlier attempt"
    );
}
on_both_databases!(a_failed_post_reuses_the_uploaded_chart);

async fn a_chart_slack_is_still_processing_is_retried_and_then_left_out(db: Db) {
    let app = program_with_a_week(db, "register Initrode initrode.com 20000").await;
    // Slack refuses the fresh file twice (still processing), then shows it.
    app.emulator.process_files_after(2);
    app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "digest now")
        .await;
    app.deliver_all().await;
    let posts = digest_posts(&app, MANAGER);
    let answers: Vec<String> = posts
        .iter()
        .map(|c| format!("{} {}", c.status, c.params["_ok"]))
        .collect();
    assert_eq!(
        answers,
        ["200 false", "200 false", "200 true"],
        "refused twice, then shown"
    );
    assert_eq!(
        app.emulator.files().len(),
        1,
        "one upload for all three attempts"
    );
    assert!(chart_file_of(&posts[2]).is_some());

    // A file Slack never accepts: after a few tries the digest goes without its chart.
    app.emulator.process_files_after(usize::MAX);
    app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", "digest now")
        .await;
    app.deliver_all().await;
    let posts = digest_posts(&app, MANAGER);
    let last = posts.last().expect("a post");
    assert_eq!(last.params["_ok"], true, "the digest arrived");
    assert_eq!(chart_file_of(last), None, "without the chart");
    assert!(partnerbot::emulator::readable(&last.params).contains("would not show the chart"));
    assert_eq!(
        app.emulator.files().len(),
        2,
        "the second digest uploaded its chart once"
    );
    let failed = app
        .store
        .list_outbox(partnerbot::store::OutboxFilter::Failed, 10)
        .await
        .expect("failed rows");
    assert!(failed.is_empty(), "nothing was given up: {failed:?}");
}
on_both_databases!(a_chart_slack_is_still_processing_is_retried_and_then_left_out);

async fn the_emulator_refuses_an_image_of_an_unknown_file_or_without_alt_text(db: Db) {
    let app = TestApp::spawn(db).await;
    let slack = app.app.slack.clone();
    let post = |block: serde_json::Value| {
        let slack = slack.clone();
        async move {
            let payload = serde_json::json!({ "text": "chart", "blocks": [block] });
            slack
                .post_message(MANAGERS_CHANNEL, None, &payload, 1)
                .await
        }
    };
    let unknown = post(serde_json::json!({ "type": "image", "alt_text": "A chart", "slack_file": { "id": "F0NOSUCHFILE" } })).await;
    assert_eq!(
        unknown,
        Err(partnerbot::slack::ApiFailure::Permanent {
            reason: "invalid_blocks".into()
        })
    );
    let file = app
        .app
        .slack
        .upload_private_file("c.png", "Chart", "A chart", vec![0x89, b'P', b'N', b'G'])
        .await
        .expect("uploaded");
    let without_alt =
        post(serde_json::json!({ "type": "image", "slack_file": { "id": file } })).await;
    assert!(without_alt.is_err(), "{without_alt:?}");
    let shown = post(
        serde_json::json!({ "type": "image", "alt_text": "A chart", "slack_file": { "id": file } }),
    )
    .await;
    assert!(shown.is_ok(), "{shown:?}");
    let refusals: Vec<String> = app
        .emulator
        .calls_to("chat.postMessage")
        .iter()
        .map(|c| c.params["_ok"].to_string())
        .collect();
    assert_eq!(
        refusals,
        ["false", "false", "true"],
        "every call is recorded"
    );
}
on_both_databases!(the_emulator_refuses_an_image_of_an_unknown_file_or_without_alt_text);

async fn a_chart_queued_apart_by_an_earlier_release_is_still_shown_in_a_message(db: Db) {
    use base64::Engine;
    use partnerbot::notice::{Address, Notice};
    use partnerbot::store::OutboxMessage;
    let app = TestApp::spawn(db).await;
    let png = base64::engine::general_purpose::STANDARD.encode(
        app.app
            .service
            .compose_digest(MANAGER, chrono::Utc::now())
            .await
            .expect("digest")
            .png,
    );
    let to_manager = || Address::to(partnerbot::chat::Platform::Slack, MANAGER);
    // What the previous release queued: the digest saying its chart follows, then the chart
    // as a notice of its own, and (older still) a chart stored as a finished `file` payload.
    let rows = [
        OutboxMessage::notice(
            "digest",
            to_manager(),
            Notice::Digest {
                week: "2027-W02".into(),
                partners: 0,
                sections: vec![],
                chart_png_base64: None,
            },
            None,
        ),
        OutboxMessage::notice(
            "digest_chart",
            to_manager(),
            Notice::DigestChart {
                week: "2027-W02".into(),
                png_base64: png.clone(),
            },
            None,
        ),
        OutboxMessage::slack_payload(
            "digest_chart",
            MANAGER,
            serde_json::json!({ "file": { "filename": "partner-digest-2027-W01.png",
                "title": "Partner pipeline and wins, 12 weeks to 2027-W01", "png_base64": png } }),
        ),
    ];
    app.store
        .enqueue(&rows, app.app.clock.now_ms())
        .await
        .expect("queued");
    app.deliver_all().await;
    let posts = app.posted_to(MANAGER);
    assert_eq!(posts.len(), 3, "three messages, as queued");
    assert!(partnerbot::emulator::readable(&posts[0].params)
        .contains("the chart of pipeline and wins follows"));
    let files = app.emulator.files();
    assert_eq!(files.len(), 2, "each chart uploaded once");
    for (post, file) in posts[1..].iter().zip(&files) {
        assert_eq!(chart_file_of(post), Some(file.id.clone()));
        assert_eq!(file.channel, None);
    }
    assert!(files[1].title.ends_with("2027-W01"), "{}", files[1].title);
    let refused = app.refused_calls();
    assert!(refused.is_empty(), "refused calls: {refused:?}");
}
on_both_databases!(a_chart_queued_apart_by_an_earlier_release_is_still_shown_in_a_message);

async fn a_manager_without_a_configured_zone_gets_the_digest_at_nine_in_their_slack_zone(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program.managers.slack_users = vec![MANAGER.into(), "U0MANAGER2".into()];
    // The second manager's zone is in the program file: it wins over the one set in Slack.
    program
        .managers
        .timezones
        .insert("U0MANAGER2".into(), "UTC".into());
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    app.slash(
        &partnerbot::simulate::SlackUser::new("U0MANAGER2", "T0HOME", "C0HOOLI"),
        "/partners",
        "add Hooli type=technology",
    )
    .await;
    app.emulator.set_user(
        MANAGER,
        serde_json::json!({ "id": MANAGER, "tz": "Asia/Tokyo", "tz_offset": 32_400 }),
    );
    app.emulator.set_user(
        "U0MANAGER2",
        serde_json::json!({ "id": "U0MANAGER2", "tz": "America/New_York", "tz_offset": -18_000 }),
    );
    app.deliver_all().await;
    let mut monday = chrono::Utc::now() + Duration::days(1);
    while monday.weekday() != Weekday::Mon {
        monday += Duration::days(1);
    }
    let at = |day: chrono::DateTime<chrono::Utc>, hour: u32| {
        day.with_hour(hour)
            .and_then(|d| d.with_minute(5))
            .expect("a time")
    };
    let digests_at = |now| {
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::WeeklyDigest,
            now,
        )
    };
    // Monday 09:05 UTC: the second manager's 09:05; 18:05 in Tokyo.
    assert_eq!(
        digests_at(at(monday, 9)).await.expect("run"),
        "1 digest(s) sent"
    );
    // The next Monday 00:05 UTC is 09:05 in Tokyo.
    let next = monday + Duration::days(7);
    assert_eq!(
        digests_at(at(next, 0)).await.expect("run"),
        "1 digest(s) sent"
    );
    assert_eq!(
        digests_at(at(next, 1)).await.expect("run"),
        "0 digest(s) sent"
    );
    app.deliver_all().await;
    for manager in [MANAGER, "U0MANAGER2"] {
        assert_eq!(digest_posts(&app, manager).len(), 1, "{manager}'s digest");
    }
    let asked = |user: &str| {
        app.emulator
            .calls_to("users.info")
            .iter()
            .filter(|c| c.params["user"] == user)
            .count()
    };
    assert_eq!(
        asked(MANAGER),
        2,
        "asked a week apart, cached within the day"
    );
    assert_eq!(
        asked("U0MANAGER2"),
        0,
        "the program file's zone needs no lookup"
    );
}
on_both_databases!(a_manager_without_a_configured_zone_gets_the_digest_at_nine_in_their_slack_zone);

async fn without_users_read_the_digest_keeps_the_programs_zone(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deliver_all().await;
    app.emulator.set_user(
        MANAGER,
        serde_json::json!({ "id": MANAGER, "tz": "Asia/Tokyo", "tz_offset": 32_400 }),
    );
    let granted: Vec<&str> = partnerbot::slack::scopes::NEEDED
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != "users:read")
        .collect();
    app.emulator.grant_scopes(&granted);
    let mut monday = chrono::Utc::now() + Duration::days(1);
    while monday.weekday() != Weekday::Mon {
        monday += Duration::days(1);
    }
    let nine = monday
        .with_hour(9)
        .and_then(|m| m.with_minute(5))
        .expect("09:05");
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::WeeklyDigest,
            nine
        )
        .await
        .expect("run"),
        "1 digest(s) sent",
        "09:05 in the program's zone (UTC)"
    );
    let refused = app.emulator.calls_to("users.info");
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].params["_ok"], false,
        "Slack refused users.info without users:read"
    );
    app.deliver_all().await;
}
on_both_databases!(without_users_read_the_digest_keeps_the_programs_zone);
