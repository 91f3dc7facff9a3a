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
        .add_partner(
            &partnerbot::service::Requester::Cli,
            partnerbot::service::PartnerLink {
                name: "Initech",
                partner_type: "referral",
                conversation: &crate::helpers::slack_channel("C0INITECH"),
                workspace: Some("T0INITECH".into()),
                tier: Some("gold"),
            },
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

/// A fresh Globex (and Initech) under `notify`, Globex with one 150,000 USD win and the
/// `admins` a manager named for it with `/partners admins P-1 …` (none when empty), reviewed
/// now: the run's summary and every call delivered after it.
async fn review_a_new_winner(
    db: Db,
    notify: &str,
    admins: &[&str],
) -> (String, Vec<partnerbot::emulator::Call>) {
    review_a_new_winner_in(db, notify, admins, None).await
}

/// [`review_a_new_winner`], with Globex's channel holding only `members` when given.
async fn review_a_new_winner_in(
    db: Db,
    notify: &str,
    admins: &[&str],
    members: Option<&[&str]>,
) -> (String, Vec<partnerbot::emulator::Call>) {
    let mut program = partnerbot::config::Program::default();
    program.tiers.notify = notify.into();
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    if let Some(members) = members {
        app.emulator.set_members("C0GLOBEX", members);
    }
    if !admins.is_empty() {
        let text = format!("admins P-1 {}", admins.join(" "));
        let named = strings(
            &app.slash(&manager_in(MANAGERS_CHANNEL), "/partners", &text)
                .await,
        );
        assert!(
            named.join(" ").contains("Globex Resellers (P-1) admins:"),
            "{named:?}"
        );
    }
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
    let (summary, sent) = review_a_new_winner(db, "channel", &[]).await;
    assert!(summary.starts_with("1 tier change(s)"), "{summary}");
    let said: Vec<String> = sent.iter().map(|c| strings(&c.params).join(" ")).collect();
    assert!(said.iter().any(|t| t.contains("now *gold*")), "{said:#?}");
    assert!(!said.iter().any(|t| t.contains("inactive")), "{said:#?}");
}
on_both_databases!(a_new_partner_is_promoted_at_once_but_never_told_inactive);

/// With `[tiers] notify = "managers"` a tier change, which reveals the partner's commission
/// factor, is not posted in the channel shared with the partner: the managers' summary carries
/// the new factor for them to pass on to the partner's admins (named or not).
async fn tier_changes_reach_only_the_managers_unless_the_program_says_channel(db: Db) {
    let (_, sent) = review_a_new_winner(db, "managers", &["<@U0ALICE|alice>"]).await;
    let channels = channels_of(&sent);
    assert_eq!(channels, [MANAGERS_CHANNEL], "only the managers' summary");
    let summary = managers_summary(&sent);
    assert!(
        summary.contains("Globex Resellers: registered → gold")
            && summary.contains("gold factor 1.1")
            && summary.contains("pass each change on to the partner's admins")
            && !summary.contains("Your partner tier"),
        "{summary}"
    );
}
on_both_databases!(tier_changes_reach_only_the_managers_unless_the_program_says_channel);

/// The channel of each call in `sent`.
fn channels_of(sent: &[partnerbot::emulator::Call]) -> Vec<&str> {
    sent.iter()
        .map(|c| c.params["channel"].as_str().unwrap_or_default())
        .collect()
}

/// The texts of the managers' summary among `sent`.
fn managers_summary(sent: &[partnerbot::emulator::Call]) -> String {
    sent.iter()
        .find(|c| c.params["channel"] == MANAGERS_CHANNEL)
        .map(|c| strings(&c.params).join(" "))
        .unwrap_or_default()
}

/// The ephemeral messages among `sent`, as (channel, user, text).
fn ephemerals(sent: &[partnerbot::emulator::Call]) -> Vec<(String, String, String)> {
    sent.iter()
        .filter(|c| c.method == "chat.postEphemeral")
        .map(|c| {
            let field = |k: &str| c.params[k].as_str().unwrap_or_default().to_string();
            (
                field("channel"),
                field("user"),
                strings(&c.params).join(" "),
            )
        })
        .collect()
}

/// By default (`[tiers] notify = "admins"`) a tier change, with its commission factor, reaches
/// exactly the partner's admins, privately in the partner's channel, never the channel itself;
/// the managers still get their summary.
async fn tier_changes_reach_the_partners_admins_privately_by_default(db: Db) {
    assert_eq!(
        partnerbot::config::Program::default().tiers.notify,
        "admins"
    );
    let admins = ["<@U0ALICE|alice>", "<@U0CAROL>"];
    let (_, sent) = review_a_new_winner(db, "admins", &admins).await;
    let private = ephemerals(&sent);
    let told: Vec<(&str, &str)> = private
        .iter()
        .map(|(channel, user, _)| (channel.as_str(), user.as_str()))
        .collect();
    assert_eq!(told, [("C0GLOBEX", "U0ALICE"), ("C0GLOBEX", "U0CAROL")]);
    for (_, _, text) in &private {
        assert!(
            text.contains("Your partner tier is now *gold*") && text.contains("factor of 1.1"),
            "{text}"
        );
    }
    let posted: Vec<&str> = sent
        .iter()
        .filter(|c| c.method == "chat.postMessage")
        .map(|c| c.params["channel"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        posted,
        [MANAGERS_CHANNEL],
        "nothing posted in a shared channel"
    );
    let summary = managers_summary(&sent);
    assert!(
        summary.contains("Globex Resellers: registered → gold")
            && summary.contains("gold factor 1.1")
            && summary.contains("Each partner's admins are told privately")
            && !summary.contains("No admins named"),
        "{summary}"
    );
}
on_both_databases!(tier_changes_reach_the_partners_admins_privately_by_default);

/// An admin who has left the partner's channel cannot be told there: Slack refuses the
/// ephemeral message, the other admin is still told, and the managers hear of the failure with
/// what to do.
async fn an_admin_who_left_the_channel_is_reported_to_the_managers(db: Db) {
    let admins = ["<@U0ALICE|alice>", "<@U0CAROL>"];
    let members: &[&str] = &["U0ALICE", "U0ALICE2"];
    let (_, sent) = review_a_new_winner_in(db, "admins", &admins, Some(members)).await;
    let told: Vec<String> = ephemerals(&sent).into_iter().map(|(_, u, _)| u).collect();
    assert_eq!(told, ["U0ALICE"], "Carol's was refused");
    let alert = sent
        .iter()
        .filter(|c| c.params["channel"] == MANAGERS_CHANNEL)
        .map(|c| c.params.to_string())
        .find(|t| t.contains("user_not_in_channel"))
        .expect("the managers hear of the refused notice");
    assert!(
        alert.contains("no longer in") && alert.contains("/partners admins"),
        "{alert}"
    );
}
on_both_databases!(an_admin_who_left_the_channel_is_reported_to_the_managers);

/// A partner whose admins nobody named is told nothing; the managers' summary names it and
/// shows the command that names its admins.
async fn the_managers_summary_names_a_partner_without_admins(db: Db) {
    let (_, sent) = review_a_new_winner(db, "admins", &[]).await;
    assert_eq!(ephemerals(&sent), [], "nobody to tell privately");
    let channels = channels_of(&sent);
    assert_eq!(channels, [MANAGERS_CHANNEL], "only the managers' summary");
    let summary = managers_summary(&sent);
    assert!(
        summary.contains("gold factor 1.1")
            && summary.contains("No admins named for *Globex Resellers* (P-1), so nobody there was told: name them with `/partners admins P-1 @user`")
            && !summary.contains("Initech"),
        "{summary}"
    );
}
on_both_databases!(the_managers_summary_names_a_partner_without_admins);

/// `notify = "channel"` still posts the change in the shared channel, for everyone in it, and
/// tells no admin separately.
async fn notify_channel_posts_in_the_channel_even_with_admins_named(db: Db) {
    let (_, sent) = review_a_new_winner(db, "channel", &["<@U0ALICE|alice>"]).await;
    assert_eq!(ephemerals(&sent), []);
    let channels = channels_of(&sent);
    assert_eq!(channels.len(), 2, "{channels:?}");
    assert!(channels.contains(&"C0GLOBEX") && channels.contains(&MANAGERS_CHANNEL));
}
on_both_databases!(notify_channel_posts_in_the_channel_even_with_admins_named);

/// What the manager is told after `/partners admins …`, and the partner's admins then stored.
async fn name_admins(
    app: &TestApp,
    who: &partnerbot::simulate::SlackUser,
    text: &str,
) -> (String, Vec<String>) {
    let answer = strings(&app.slash(who, "/partners", text).await).join(" ");
    let stored = app
        .store
        .partner_admins(partnerbot::domain::PartnerId(1))
        .await
        .expect("admins");
    (answer, stored)
}

/// A manager names a partner's admins from chat (replacing the list, with an audit row); the
/// list shows in nothing the partner sees.
async fn a_manager_names_a_partners_admins_and_naming_again_replaces_them(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let manager = manager_in("C0GLOBEX");
    let (answer, stored) = name_admins(
        &app,
        &manager,
        "admins P-1 <@U0ALICE|alice> <@U0CAROL|carol> U0ALICE",
    )
    .await;
    assert!(
        answer.contains("Globex Resellers (P-1) admins: U0ALICE, U0CAROL."),
        "{answer}"
    );
    assert_eq!(stored, ["U0ALICE", "U0CAROL"]);
    let list = strings(&app.slash(&manager, "/partners", "list").await).join(" ");
    assert!(
        list.contains("*Globex Resellers* · reseller · P-1 · tier registered · <#C0GLOBEX> · admins <@U0ALICE>, <@U0CAROL>")
            && list.contains("*Initech* · referral · P-2 ·")
            && !list.contains("Initech* · referral · P-2 · tier registered · <#C0INITECH> · admins"),
        "{list}"
    );
    let (_, stored) = name_admins(&app, &manager, "admins P-1 <@U0DAVE|dave>").await;
    assert_eq!(stored, ["U0DAVE"], "naming again replaces the list");
    let (answer, stored) = name_admins(&app, &manager, "admins P-1 none").await;
    assert!(answer.contains("has no admins now"), "{answer}");
    assert!(stored.is_empty());
    let audit = app.store.audit_of("partner", 1).await.expect("audit");
    let named: Vec<(&str, &str)> = audit
        .iter()
        .filter(|a| a.action == "admins_set")
        .map(|a| (a.actor.as_str(), a.detail.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (MANAGER, r#"{"admins":["U0ALICE","U0CAROL"]}"#),
            (MANAGER, r#"{"admins":["U0DAVE"]}"#),
            (MANAGER, r#"{"admins":[]}"#),
        ]
    );
    assert!(
        app.emulator.delivered().is_empty(),
        "naming admins posts nothing"
    );
}
on_both_databases!(a_manager_names_a_partners_admins_and_naming_again_replaces_them);

/// Only managers name admins, and a malformed command is refused with what is wrong; nothing
/// is stored either way.
async fn naming_admins_is_refused_to_non_managers_and_for_bad_input(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    let manager = manager_in("C0GLOBEX");
    let cases = [
        (alice(), "admins P-1 <@U0ALICE|alice>", "Only partner managers can do that."),
        (manager.clone(), "admins P-1", "Whom? Name P-1's admins: `/partners admins P-1 @alice @bob`"),
        (manager.clone(), "admins", "Usage: `/partners admins P-3 @alice @bob`"),
        (
            manager.clone(),
            "admins Globex <@U0ALICE|alice>",
            "“Globex” is not a partner id like P-3. Usage: `/partners admins P-3 @alice @bob`",
        ),
        (manager.clone(), "admins P-9 <@U0ALICE|alice>", "There is no partner P-9."),
        (
            manager.clone(),
            "admins P-1 <@U0ALICE|alice> @bob",
            "“@bob” is not a user of the partner's platform (slack): mention the person, or give their user id.",
        ),
        (
            manager.clone(),
            "admins P-1 72f988bf-86f1-41af-91ab-2d7cd011db47",
            "“72f988bf-86f1-41af-91ab-2d7cd011db47” is not a user of the partner's platform (slack)",
        ),
    ];
    for (who, text, want) in cases {
        let (answer, stored) = name_admins(&app, &who, text).await;
        assert!(answer.contains(want), "/partners {text}: {answer}");
        assert!(stored.is_empty(), "/partners {text} stored {stored:?}");
    }
    let audit = app.store.audit_of("partner", 1).await.expect("audit");
    assert!(audit.iter().all(|a| a.action != "admins_set"));
}
on_both_databases!(naming_admins_is_refused_to_non_managers_and_for_bad_input);
