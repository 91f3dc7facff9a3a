//! Links: deal ids in the messages people get open the deal's thread (a permalink, asked of
//! Slack once per message and remembered), partners only ever into their own channel; CRM ids
//! open the CRM record when the program file gives its address.

use crate::conflicts::import_wayne;
use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::config::Program;
use partnerbot::slack::ApiFailure;

/// Every string of every message delivered to `channel` (posted, updated or ephemeral).
fn texts_in(app: &TestApp, channel: &str) -> String {
    app.emulator
        .delivered()
        .into_iter()
        .filter(|c| c.method.starts_with("chat.") && c.params["channel"] == channel)
        .flat_map(|c| strings(&c.params["blocks"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `<url|label>` links in `text`, as (url, label).
fn links_in(text: &str) -> Vec<(String, String)> {
    text.split('<')
        .skip(1)
        .filter_map(|part| part.split_once('>'))
        .filter_map(|(inner, _)| inner.split_once('|'))
        .filter(|(url, _)| url.starts_with("http"))
        .map(|(u, l)| (u.to_string(), l.to_string()))
        .collect()
}

async fn deal_ids_link_to_the_deals_thread_where_the_reader_can_open_it(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deal(&alice(), "register Acme acme.com 50000").await;
    app.deliver_all().await;
    // The first messages are the thread roots themselves: nothing to link to yet.
    assert!(links_in(&texts_in(&app, "C0GLOBEX")).is_empty());

    app.approve("D-1").await;
    app.deal(&alice(), "update D-1 stage=proposal").await;
    app.deliver_all().await;

    let partner = links_in(&texts_in(&app, "C0GLOBEX"));
    let deal_links: Vec<_> = partner.iter().filter(|(_, l)| l == "D-1").collect();
    assert!(!deal_links.is_empty(), "{partner:?}");
    for (url, _) in &deal_links {
        assert!(
            url.starts_with("https://emulated.slack.com/archives/C0GLOBEX/p"),
            "a partner's link opens their own channel: {url}"
        );
    }
    let managers = links_in(&texts_in(&app, MANAGERS_CHANNEL));
    let manager_links: Vec<_> = managers.iter().filter(|(_, l)| l == "D-1").collect();
    assert!(!manager_links.is_empty(), "{managers:?}");
    for (url, _) in &manager_links {
        assert!(
            url.starts_with(&format!(
                "https://emulated.slack.com/archives/{MANAGERS_CHANNEL}/p"
            )),
            "managers' links open the review card's thread: {url}"
        );
    }
    // Each thread root's permalink was asked for once, then remembered.
    let asked = app.emulator.calls_to("chat.getPermalink");
    let mut roots: Vec<String> = asked
        .iter()
        .map(|c| format!("{} {}", c.params["channel"], c.params["message_ts"]))
        .collect();
    let all = roots.len();
    roots.sort();
    roots.dedup();
    assert_eq!(roots.len(), all, "no permalink asked for twice: {roots:?}");
    assert!(app.refused_calls().is_empty(), "{:?}", app.refused_calls());
}
on_both_databases!(deal_ids_link_to_the_deals_thread_where_the_reader_can_open_it);

async fn the_emulator_refuses_permalinks_of_unknown_messages_like_slack(db: Db) {
    let app = TestApp::spawn(db).await;
    let api = partnerbot::slack::SlackApi::new(
        &app.emulator.base_url,
        &secrecy::SecretString::from("xoxb-test"),
    )
    .expect("client");
    let ts = app.emulator.add_message("C0GLOBEX", "hello", None);
    let link = api.permalink("C0GLOBEX", &ts).await.expect("known message");
    assert!(link.ends_with(&ts.replace('.', "")), "{link}");
    let reply = app.emulator.add_message("C0GLOBEX", "reply", Some(&ts));
    let link = api.permalink("C0GLOBEX", &reply).await.expect("reply");
    assert!(link.contains(&format!("thread_ts={ts}")), "{link}");
    let refused = |reason: &str| ApiFailure::Permanent {
        reason: reason.into(),
    };
    assert_eq!(
        api.permalink("C0GLOBEX", "1.000001").await,
        Err(refused("message_not_found"))
    );
    assert_eq!(
        api.permalink("C0NOWHERE", &ts).await,
        Err(refused("channel_not_found"))
    );
}
on_both_databases!(the_emulator_refuses_permalinks_of_unknown_messages_like_slack);

async fn crm_ids_link_to_the_crm_record_when_the_program_file_says_where(db: Db) {
    let program = Program::parse("[crm]\nrecord_url = \"https://crm.example.com/accounts/{id}\"\n")
        .expect("program");
    let app = TestApp::spawn_with_program(db, program).await;
    app.link_both().await;
    import_wayne(&app).await;
    app.deal(&alice(), "register Wayne wayne.com 50000").await;
    app.deliver_all().await;
    let managers = links_in(&texts_in(&app, MANAGERS_CHANNEL));
    assert!(
        managers.contains(&(
            "https://crm.example.com/accounts/0015000042".to_string(),
            "0015000042".to_string()
        )),
        "{managers:?}"
    );
    // The partner never sees the direct account, its CRM id or a link to it.
    assert!(!texts_in(&app, "C0GLOBEX").contains("0015000042"));
}
on_both_databases!(crm_ids_link_to_the_crm_record_when_the_program_file_says_where);
