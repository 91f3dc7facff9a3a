//! Tier recomputation: promotes, demotes after the grace period, notifies once, and records the
//! conversion rates it used.

use crate::helpers::*;
use crate::on_both_databases;
use chrono::Duration;
use partnerbot::domain::engagement::Decision;
use partnerbot::jobs::run_job;

async fn tiers_promote_demote_after_grace_notify_once_and_record_rates(db: Db) {
    let mut program = partnerbot::config::Program::default();
    program.tiers.rates.insert("EUR".into(), 1.1);
    program.tiers.notify = "channel".into();
    let app = TestApp::spawn_with_program(db, program).await;
    app.link("Globex Resellers", "reseller", "C0GLOBEX", "T0GLOBEX")
        .await;
    app.app
        .service
        .add_partner_with_tier(
            &partnerbot::service::Requester::Cli,
            "Initech",
            "referral",
            &crate::helpers::slack_channel("C0INITECH"),
            Some("T0INITECH".into()),
            Some("gold"),
        )
        .await
        .expect("gold partner");
    let today = chrono::Utc::now().date_naive();
    let wins = [
        (
            alice(),
            "Acme Rockets acme-rockets.com 1 USD",
            "D-1",
            "150000",
        ),
        (alice(), "Wayne wayne.com 1 EUR", "D-2", "10000"),
        (bob(), "Initrode initrode.com 1 USD", "D-3", "30000"),
    ];
    for (who, registration, id, amount) in wins {
        app.deal(&who, &format!("register {registration}")).await;
        app.app
            .service
            .decide(
                &crate::helpers::manager(),
                id.parse().expect("deal id"),
                Decision::Approve,
                "",
            )
            .await
            .expect("approve");
        let won = strings(
            &app.deal(
                &who,
                &format!("update {id} stage=won amount={amount} close={today}"),
            )
            .await,
        )
        .join(" ");
        assert!(won.contains("is won"), "{won}");
    }
    app.deliver_all().await;
    let before = app.emulator.delivered().len();

    // A quarter on: both partners have been in the program for a full period.
    let now = chrono::Utc::now() + Duration::days(95);
    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::RecomputeTiers,
            now
        )
        .await
        .expect("run"),
        format!(
            "2 tier change(s) in {}",
            partnerbot::domain::tier::period_of(now.date_naive())
        )
    );
    let partners = app.store.partners().await.expect("partners");
    let tier_of = |name: &str| {
        partners
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.tier.as_str())
            .expect("partner")
    };
    assert_eq!(tier_of("Globex Resellers"), "gold", "promoted at once");
    assert_eq!(
        tier_of("Initech"),
        "gold",
        "a first low period only starts the grace"
    );
    let runs = app
        .store
        .tier_runs(&partnerbot::domain::tier::period_of(now.date_naive()))
        .await
        .expect("runs");
    let globex = runs
        .iter()
        .find(|r| r.new_tier.as_str() == "gold" && r.previous_tier.as_str() == "registered")
        .expect("globex run");
    assert_eq!(
        (globex.revenue.as_str(), globex.currency.as_str()),
        ("161000.00", "USD"),
        "150,000 USD + 10,000 EUR × 1.1"
    );
    assert!(
        globex.rates.contains("\"EUR\":\"1.1\""),
        "the rates used are recorded: {}",
        globex.rates
    );

    assert_eq!(
        run_job(
            &app.app.service,
            partnerbot::jobs::JobKind::RecomputeTiers,
            now
        )
        .await
        .expect("again"),
        format!(
            "0 tier change(s) in {}",
            partnerbot::domain::tier::period_of(now.date_naive())
        )
    );
    app.deliver_all().await;
    let first = app.emulator.delivered()[before..].to_vec();
    assert_eq!(first.len(), 3, "Globex's promotion, Initech's heads-up, one managers' summary — and nothing for the repeat run");
    let text = |c: &partnerbot::emulator::Call| strings(&c.params).join(" ");
    assert!(first.iter().any(|c| c.params["channel"] == "C0GLOBEX"
        && text(c).contains("Your partner tier is now *gold* (was registered)")
        && text(c).contains("factor of 1.1")));
    assert!(first.iter().any(|c| c.params["channel"] == "C0INITECH"
        && text(c).contains("If it stays there next quarter, your tier becomes silver")));
    assert!(first.iter().any(|c| c.params["channel"] == MANAGERS_CHANNEL
        && text(c).contains("Globex Resellers: registered → gold")
        && text(c).contains("EUR 1.1")));

    // Next quarter: the demotion takes effect; Globex keeps gold.
    let next = now + Duration::days(92);
    run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::RecomputeTiers,
        next,
    )
    .await
    .expect("next period");
    let partners = app.store.partners().await.expect("partners");
    let tier_of = |name: &str| {
        partners
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.tier.as_str())
            .expect("partner")
    };
    assert_eq!(
        (tier_of("Globex Resellers"), tier_of("Initech")),
        ("gold", "silver")
    );
    app.deliver_all().await;
    let demoted = app
        .posted_to("C0INITECH")
        .last()
        .map(text)
        .unwrap_or_default();
    assert!(
        demoted.contains("Your partner tier is now *silver* (was gold)"),
        "{demoted}"
    );
}
on_both_databases!(tiers_promote_demote_after_grace_notify_once_and_record_rates);

/// A fresh Globex (and Initech) under `notify`, Globex with one 150,000 USD win, reviewed now:
/// the run's summary and every call delivered after it.
async fn review_a_new_winner(db: Db, notify: &str) -> (String, Vec<partnerbot::emulator::Call>) {
    let mut program = partnerbot::config::Program::default();
    program.tiers.notify = notify.into();
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    app.register_and_win(
        &alice(),
        "Acme Rockets acme-rockets.com 1 USD",
        "D-1",
        "150000",
    )
    .await;
    app.deliver_all().await;
    let before = app.emulator.delivered().len();
    let summary = run_job(
        &app.app.service,
        partnerbot::jobs::JobKind::RecomputeTiers,
        chrono::Utc::now(),
    )
    .await
    .expect("run");
    app.deliver_all().await;
    (summary, app.emulator.delivered()[before..].to_vec())
}

async fn a_new_partner_is_promoted_at_once_but_never_told_inactive(db: Db) {
    let (summary, sent) = review_a_new_winner(db, "channel").await;
    assert!(summary.starts_with("1 tier change(s)"), "{summary}");
    let said: Vec<String> = sent.iter().map(|c| strings(&c.params).join(" ")).collect();
    assert!(said.iter().any(|t| t.contains("now *gold*")), "{said:#?}");
    assert!(!said.iter().any(|t| t.contains("inactive")), "{said:#?}");
}
on_both_databases!(a_new_partner_is_promoted_at_once_but_never_told_inactive);

/// By default (`[tiers] notify = "managers"`) a tier change, which reveals the partner's
/// commission factor, is not posted in the channel shared with the partner: the managers'
/// summary carries the new factor for them to pass on to the partner's admins.
async fn tier_changes_reach_only_the_managers_unless_the_program_says_channel(db: Db) {
    let default = partnerbot::config::Program::default().tiers.notify;
    let (_, sent) = review_a_new_winner(db, &default).await;
    let channels: Vec<&str> = sent
        .iter()
        .map(|c| c.params["channel"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(channels, [MANAGERS_CHANNEL], "only the managers' summary");
    let summary = strings(&sent[0].params).join(" ");
    assert!(
        summary.contains("Globex Resellers: registered → gold")
            && summary.contains("gold factor 1.1")
            && summary.contains("pass each change on to the partner's admins")
            && !summary.contains("Your partner tier"),
        "{summary}"
    );
}
on_both_databases!(tier_changes_reach_only_the_managers_unless_the_program_says_channel);
