//! User text can never ping a channel, mention someone or forge a link.

use crate::helpers::*;
use crate::on_both_databases;

const NASTY: &str = "<!channel> <@U123> Tom & Jerry > Co";

fn assert_escaped(what: &str, texts: &[String]) {
    let all = texts.join("\n");
    assert!(
        all.contains("&lt;!channel&gt; &lt;@U123&gt; Tom &amp; Jerry &gt; Co"),
        "{what}: escaped name missing in\n{all}"
    );
    for raw in ["<!channel>", "<@U123>", "Tom & Jerry", "Jerry > Co"] {
        assert!(!all.contains(raw), "{what}: raw {raw:?} in\n{all}");
    }
}

async fn a_hostile_company_name_is_escaped_in_every_message(db: Db) {
    let app = TestApp::spawn(db).await;
    app.link_both().await;
    app.deliver_all().await;
    let welcomes = app.emulator.delivered().len();
    let view = app.open_modal(&alice()).await;
    let mut form = valid_form(NASTY);
    form.iter_mut()
        .filter(|(k, _)| *k == "notes")
        .for_each(|(_, v)| *v = NASTY.into());
    let answer = app
        .submit(&alice(), "V-nasty", &view, &as_refs(&form))
        .await;
    assert_escaped(
        "modal confirmation",
        &strings(&answer)
            .into_iter()
            .filter(|s| s.contains("Jerry"))
            .collect::<Vec<_>>(),
    );
    let reply = app
        .deal(&alice(), &format!("register {NASTY} nasty.com 1000"))
        .await;
    assert_escaped("one-line reply", &strings(&reply));
    let list = app.deal(&alice(), "list").await;
    assert_escaped("deal list", &strings(&list));
    let shown = app.deal(&alice(), "show D-1").await;
    assert_escaped("deal detail", &strings(&shown));

    app.deliver_all().await;
    let posted = app.emulator.delivered();
    assert_eq!(
        posted.len(),
        welcomes + 4,
        "two confirmations and two review cards"
    );
    for call in &posted[welcomes..] {
        let mut texts = vec![call.params["text"].as_str().unwrap_or_default().to_string()];
        texts.extend(
            strings(&call.params["blocks"])
                .into_iter()
                .filter(|s| s.contains("Jerry")),
        );
        assert_escaped(call.params["channel"].as_str().unwrap_or_default(), &texts);
    }
}
on_both_databases!(a_hostile_company_name_is_escaped_in_every_message);
