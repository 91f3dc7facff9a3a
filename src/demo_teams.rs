//! The demo's second act: one program with a Slack partner, a Microsoft Teams partner and the
//! managers in Teams. Runs the bot with the Slack emulator, the Teams token authority and the
//! Teams Connector emulator on 127.0.0.1, sends Bot Framework activities signed like Microsoft's
//! (RS256 JWTs from the authority), and prints what each person sees. Any step that misbehaves
//! makes the demo exit non-zero.

use crate::app::App;
use crate::chat::{Conversation, Platform};
use crate::clock::Clock;
use crate::config::{Config, Program};
use crate::demo::add_partner;
use crate::emulator::Emulator;
use crate::simulate::{signing_headers, SlackUser};
use crate::store::Store;
use crate::teams::connector_emulator::{ConnectorEmulator, Op, Recorded};
use crate::teams::emulator::TokenAuthority;
use crate::teams::{Authenticator, Connector, TeamsSettings};
use anyhow::{bail, ensure, Context};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const APP_ID: &str = "0b7c4f52-9d3e-4a8b-8f61-5c2e7d9a1b34";
const APP_SECRET: &str = "demo-teams-secret";
/// Our tenant: the managers and the AE.
const HOME_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Contoso's own tenant (a partner in a shared channel).
const CONTOSO_TENANT: &str = "5d1e6a0c-3b8f-4e2a-9c7d-1f4b8e2a6c93";
const CONTOSO_CHANNEL: &str = "19:contoso-deals@thread.tacv2";
const MANAGERS_CHANNEL: &str = "19:partner-managers@thread.tacv2";
const MANAGER: Person = Person {
    id: "29:1manager-mia",
    aad: "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
    name: "Mia (partner manager)",
    tenant: HOME_TENANT,
};
const AE: Person = Person {
    id: "29:1ae-sam",
    aad: "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
    name: "Sam (account executive)",
    tenant: HOME_TENANT,
};
const CONTOSO_USER: Person = Person {
    id: "29:1contoso-carol",
    aad: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    name: "Carol (Contoso)",
    tenant: CONTOSO_TENANT,
};

/// Someone in Teams.
#[derive(Clone, Copy)]
struct Person {
    id: &'static str,
    aad: &'static str,
    name: &'static str,
    tenant: &'static str,
}

struct Act {
    http: reqwest::Client,
    base: String,
    slack_secret: String,
    authority: TokenAuthority,
    connector: ConnectorEmulator,
    slack: Emulator,
    app: App,
    shown: usize,
    seq: u32,
    /// The welcome card in Contoso's channel (its *Register a deal* button).
    welcome: Option<Value>,
}

/// The registration form's fields for Fabrikam, with `amount` as typed.
fn fabrikam(amount: &str) -> Vec<(&'static str, String)> {
    deal_fields("Fabrikam Inc.", "fabrikam.com", amount)
}

fn deal_fields(company: &str, domain: &str, amount: &str) -> Vec<(&'static str, String)> {
    vec![
        ("company", company.into()),
        ("domain", domain.into()),
        ("amount", amount.into()),
        ("currency", "USD".into()),
        ("contact_name", "Dana Whit".into()),
        ("contact_email", format!("dana@{domain}")),
        ("stage", "qualified".into()),
    ]
}

/// Plays the Teams act end to end.
pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("teams.db").display()
    );
    let slack = Emulator::start().await?;
    let authority = TokenAuthority::start().await?;
    let connector = ConnectorEmulator::start(HOME_TENANT, APP_ID, APP_SECRET).await?;
    let slack_secret = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let mut program = Program::default();
    program.managers.teams_users = vec![MANAGER.aad.into()];
    program.managers.teams_channel = Some(MANAGERS_CHANNEL.into());
    program.teams.partner_tenants = vec![CONTOSO_TENANT.into()];
    let config = Config {
        database_url: database_url.clone(),
        signing_secret: SecretString::from(slack_secret.clone()),
        bot_token: SecretString::from("xoxb-demo-token"),
        app_token: None,
        slack_api_url: slack.base_url.clone(),
        bind: "127.0.0.1:0".parse()?,
        program,
    };
    let (metadata, token_url, service_url) = (
        authority.metadata_url(),
        connector.token_url(),
        connector.service_url(),
    );
    let settings = TeamsSettings::from_lookup(&|k| match k {
        "MICROSOFT_APP_ID" => Some(APP_ID.into()),
        "MICROSOFT_APP_PASSWORD" => Some(APP_SECRET.into()),
        "MICROSOFT_APP_TENANT_ID" => Some(HOME_TENANT.into()),
        "TEAMS_OPENID_METADATA_URL" => Some(metadata.clone()),
        "TEAMS_TOKEN_URL" => Some(token_url.clone()),
        "TEAMS_ALLOWED_SERVICE_URLS" => Some(service_url.clone()),
        _ => None,
    })?
    .context("the Teams settings are complete")?;
    let clock = Clock::system();
    let auth = Authenticator::new(
        settings.clone(),
        clock.clone(),
        config.program.teams.partner_tenants.clone(),
    )?;
    let app = App::build(
        &config,
        Store::open(&database_url).await?,
        clock,
        Some("T0HOME".into()),
    )?
    .with_teams(Arc::new(auth), Connector::new(settings)?);
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let worker = crate::demo::spawn_worker(&app, stop_rx);
    println!(
        "\n\n══ Act 2 · Microsoft Teams · bot at {base} · Bot Framework emulated at {} ══",
        connector.base_url
    );
    let mut act = Act {
        http: reqwest::Client::new(),
        base,
        slack_secret,
        authority,
        connector,
        slack,
        app,
        shown: 0,
        seq: 0,
        welcome: None,
    };
    let outcome = act.play().await;
    let _ = stop.send(true);
    let _ = worker.await;
    outcome
}

impl Act {
    async fn play(&mut self) -> anyhow::Result<()> {
        let globex = SlackUser::new("U0ALICE", "T0GLOBEX", "C0GLOBEX");
        self.install().await?;
        self.link_partners().await?;
        // The bot posts its welcome in the partner's channel.
        self.welcome = Some(self.flush(1).await?);

        step(
            "Alice (Globex, in Slack)",
            "/deal register Fabrikam fabrikam.com 40000 USD",
        );
        let answer = self
            .slash(&globex, "/deal", "register Fabrikam fabrikam.com 40000 USD")
            .await?;
        expect_text(&answer.to_string(), "Registered")?;
        self.flush(1).await?; // the review card, in the managers' Teams channel

        let welcome = self.welcome.take().context("the welcome card")?;
        step(
            CONTOSO_USER.name,
            "clicks “Register a deal” on the welcome card in Contoso's channel (task/fetch)",
        );
        let form = self.open_dialog(&welcome).await?;
        step(
            CONTOSO_USER.name,
            "submits the dialog with the amount in words",
        );
        let first = self.submit(&form, &fabrikam("forty thousand")).await?;
        let again = first["task"]["value"]["card"]["content"].clone();
        let shown = card_text(&again);
        ensure!(
            first["task"]["type"] == "continue" && shown.contains("amount"),
            "an invalid amount is shown next to its field: {first}"
        );
        say(&format!("the dialog stays open:\n{shown}"));
        step(
            CONTOSO_USER.name,
            "corrects the amount to 38000 and submits",
        );
        let done = self.submit(&again, &fabrikam("38000")).await?;
        say(&format!("the dialog answers: {}", readable(&done)));
        let posted = self.flush(2).await?; // Contoso's confirmation and the managers' card
        expect_text(&posted, "co-sell")?;

        self.approve_first_card().await?;
        step(
            MANAGER.name,
            "@partnerbot deal list   (in the managers' channel)",
        );
        self.message(MANAGER, MANAGERS_CHANNEL, "<at>partnerbot</at> deal list")
            .await?;
        let list = self.flush(1).await?; // a 1:1 with Mia, never the channel
        expect_text(&list, "D-2")?;
        self.ae_alert().await?;
        self.survey().await?;
        Ok(())
    }

    /// The operator links a Slack partner and a Teams partner (`partnerbot partners add`).
    async fn link_partners(&mut self) -> anyhow::Result<()> {
        step("operator", "partnerbot partners add Globex --type reseller --slack-channel C0GLOBEX --slack-team T0GLOBEX");
        let globex = Conversation::new(Platform::Slack, "C0GLOBEX");
        add_partner(&self.app, "Globex", "reseller", &globex, "T0GLOBEX").await?;
        step("operator", &format!("partnerbot partners add Contoso --type referral --teams-channel {CONTOSO_CHANNEL} --teams-tenant {CONTOSO_TENANT}"));
        let contoso = Conversation::new(Platform::Teams, CONTOSO_CHANNEL);
        add_partner(&self.app, "Contoso", "referral", &contoso, CONTOSO_TENANT).await?;
        Ok(())
    }

    /// The app is installed in both Teams channels (before a channel is linked: the bot can only
    /// post where it was added): Teams tells the bot who is there, which gives it the
    /// conversation references it sends with.
    async fn install(&mut self) -> anyhow::Result<()> {
        step(
            "Teams",
            "partnerbot is added to Contoso's channel and the managers' channel",
        );
        for (channel, members) in [
            (CONTOSO_CHANNEL, vec![CONTOSO_USER]),
            (MANAGERS_CHANNEL, vec![MANAGER, AE]),
        ] {
            let added: Vec<Value> = std::iter::once(json!({ "id": format!("28:{APP_ID}") }))
                .chain(
                    members
                        .iter()
                        .map(|p| json!({ "id": p.id, "aadObjectId": p.aad, "name": p.name })),
                )
                .collect();
            let activity = self.activity(
                members[0],
                channel,
                json!({
                    "type": "conversationUpdate", "membersAdded": added,
                }),
            );
            self.post_activity(&activity).await?;
        }
        Ok(())
    }

    /// The manager approves the first registration from its card, in place (Action.Execute).
    async fn approve_first_card(&mut self) -> anyhow::Result<()> {
        let card = self
            .first_sent(|r| r.conversation.starts_with(MANAGERS_CHANNEL) && r.op == Op::Create)
            .context("a review card in the managers' channel")?;
        let approve = find_action(&card.body, "Approve").context("an Approve button")?;
        step(
            MANAGER.name,
            "clicks Approve on Globex's card (Action.Execute)",
        );
        let answer = self
            .invoke(
                MANAGER,
                MANAGERS_CHANNEL,
                "adaptiveCard/action",
                json!({ "action": { "type": "Action.Execute", "verb": approve["verb"], "data": approve["data"] }, "trigger": "manual" }),
            )
            .with_reply_to(&card.activity_id)
            .await?;
        ensure!(answer["statusCode"] == 200, "the invoke answered {answer}");
        say(&format!(
            "the card Mia sees now: {}",
            card_text(&answer["value"])
        ));
        // Globex is told in Slack; the card is updated for everyone in Teams.
        self.flush(1).await?;
        ensure!(
            self.slack
                .delivered()
                .iter()
                .any(|c| c.params.to_string().contains("approved")),
            "Globex is told of the approval in Slack"
        );
        say("Globex is told in Slack: its registration is approved");
        Ok(())
    }

    /// A partner registers an account an AE owns: the AE is alerted in a 1:1 chat in Teams.
    async fn ae_alert(&mut self) -> anyhow::Result<()> {
        let welcome = self
            .first_sent(|r| r.conversation == CONTOSO_CHANNEL)
            .map(|r| r.body)
            .context("the welcome card")?;
        step(
            "operator",
            "partnerbot accounts import accounts.csv   (Northwind Traders, owner Sam's Entra id)",
        );
        let row = crate::domain::account::AccountRow {
            name: "Northwind Traders".into(),
            domains: "northwind.com".into(),
            owner: AE.aad.into(),
            territory: "EMEA".into(),
            open_opportunity: "yes".into(),
            crm_id: "0061".into(),
        };
        self.app
            .service
            .import_accounts(&[(2, row)], None::<&crate::slack::SlackApi>)
            .await?;
        step(
            CONTOSO_USER.name,
            "registers Northwind Traders through the dialog",
        );
        let form = self.open_dialog(&welcome).await?;
        let fields = deal_fields("Northwind Traders", "northwind.com", "15000");
        let done = self.submit(&form, &fields).await?;
        say(&format!("the dialog answers: {}", readable(&done)));
        let posted = self.flush(3).await?;
        expect_text(&posted, "Northwind")?;
        ensure!(
            self.connector
                .recorded()
                .iter()
                .any(|r| r.op == Op::CreateConversation && r.body.to_string().contains(AE.id)),
            "Sam is alerted in a 1:1 chat"
        );
        Ok(())
    }

    /// A survey round: Carol answers 9 from the card.
    async fn survey(&mut self) -> anyhow::Result<()> {
        step("scheduler", "the quarterly survey job runs (survey_rounds)");
        let opened = crate::jobs::run_job(
            &self.app.service,
            crate::jobs::JobKind::SurveyRounds,
            chrono::Utc::now(),
        )
        .await?;
        say(&opened);
        let posted = self.flush(1).await?;
        let nine = find_action(&posted, "9").context("a 9 button on the survey")?;
        let invite = self
            .connector
            .recorded()
            .into_iter()
            .rev()
            .find(|r| r.body.to_string().contains("\"9\""))
            .context("the survey card")?;
        step(CONTOSO_USER.name, "clicks 9 on the survey");
        let answer = self
            .invoke(
                CONTOSO_USER,
                &invite.conversation,
                "adaptiveCard/action",
                json!({ "action": { "type": "Action.Execute", "verb": nine["verb"], "data": nine["data"] }, "trigger": "manual" }),
            )
            .with_reply_to(&invite.activity_id)
            .await?;
        ensure!(answer["statusCode"] == 200, "the invoke answered {answer}");
        say(&format!("Carol sees: {}", card_text(&answer["value"])));
        Ok(())
    }

    // --- the wire ----------------------------------------------------------------------------

    /// An activity from `who` in `conversation`, as Teams sends it.
    fn activity(&mut self, who: Person, conversation: &str, body: Value) -> Value {
        self.seq += 1;
        let kind = if conversation.starts_with("19:") {
            "channel"
        } else {
            "personal"
        };
        let mut activity = json!({
            "id": format!("demo-{}", self.seq),
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url(),
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "from": { "id": who.id, "aadObjectId": who.aad, "name": who.name },
            "recipient": { "id": format!("28:{APP_ID}"), "name": "partnerbot" },
            "conversation": { "id": conversation, "conversationType": kind, "tenantId": who.tenant },
            "channelData": { "tenant": { "id": who.tenant } },
        });
        if let (Some(target), Some(extra)) = (activity.as_object_mut(), body.as_object()) {
            for (k, v) in extra {
                target.insert(k.clone(), v.clone());
            }
        }
        activity
    }

    async fn message(&mut self, who: Person, conversation: &str, text: &str) -> anyhow::Result<()> {
        let activity = self.activity(
            who,
            conversation,
            json!({ "type": "message", "text": text }),
        );
        self.post_activity(&activity).await.map(|_| ())
    }

    fn invoke(&mut self, who: Person, conversation: &str, name: &str, value: Value) -> Invoke<'_> {
        let activity = self.activity(
            who,
            conversation,
            json!({ "type": "invoke", "name": name, "value": value }),
        );
        Invoke {
            act: self,
            activity,
        }
    }

    /// Clicks the *Register a deal* button of `card` and returns the dialog's form.
    async fn open_dialog(&mut self, card: &Value) -> anyhow::Result<Value> {
        let button = find_action(card, "Register a deal").context("a Register a deal button")?;
        let fetched = self
            .invoke(
                CONTOSO_USER,
                CONTOSO_CHANNEL,
                "task/fetch",
                json!({ "data": button["data"] }),
            )
            .await?;
        let form = fetched["task"]["value"]["card"]["content"].clone();
        ensure!(
            form["type"] == "AdaptiveCard",
            "task/fetch answered {fetched}"
        );
        say(&format!("a dialog opens:\n{}", card_text(&form)));
        Ok(form)
    }

    /// Submits a dialog `form` with `fields` filled in (`task/submit`).
    async fn submit(&mut self, form: &Value, fields: &[(&str, String)]) -> anyhow::Result<Value> {
        let submit = find_in(form, &|a| a["type"] == "Action.Submit")
            .context("the dialog has a submit button")?;
        let mut data = submit["data"].clone();
        // Teams sends every input's current value with the submit.
        let mut inputs = Vec::new();
        collect_inputs(form, &mut inputs);
        for (id, value) in inputs {
            data[id] = value;
        }
        for (id, value) in fields {
            data[*id] = json!(value);
        }
        self.invoke(
            CONTOSO_USER,
            CONTOSO_CHANNEL,
            "task/submit",
            json!({ "data": data }),
        )
        .await
    }

    /// POSTs `activity` with a fresh Bot Framework token; the body of the answer (an invoke's).
    async fn post_activity(&self, activity: &Value) -> anyhow::Result<Value> {
        let token = self.authority.token(
            APP_ID,
            &self.connector.service_url(),
            chrono::Utc::now().timestamp(),
        )?;
        let response = self
            .http
            .post(format!("{}/teams/messages", self.base))
            .bearer_auth(token)
            .json(activity)
            .send()
            .await
            .context("POST /teams/messages")?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST /teams/messages answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn slash(&mut self, who: &SlackUser, command: &str, text: &str) -> anyhow::Result<Value> {
        self.seq += 1;
        let body = who.command(command, text, &format!("{}.43.demo", self.seq));
        let mut request = self
            .http
            .post(format!("{}/slack/commands", self.base))
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in
            signing_headers(&self.slack_secret, chrono::Utc::now().timestamp(), &body)
        {
            request = request.header(name, value);
        }
        let answer: Value = request.body(body).send().await?.json().await?;
        say(&format!(
            "[only you can see this] {}",
            crate::emulator::readable(&answer)
        ));
        Ok(answer)
    }

    /// The first Connector call the bot made that `wanted` picks.
    fn first_sent(&self, wanted: impl Fn(&Recorded) -> bool) -> Option<Recorded> {
        self.connector.recorded().into_iter().find(|r| wanted(r))
    }

    /// Waits for `expected` new activities in Teams and an empty outbox, prints them (ordered by
    /// conversation, so the transcript is the same on every run) and returns them.
    async fn flush(&mut self, expected: usize) -> anyhow::Result<Value> {
        let posted = |c: &ConnectorEmulator| {
            c.recorded()
                .into_iter()
                .filter(|r| r.op != Op::CreateConversation)
                .collect::<Vec<_>>()
        };
        let want = self.shown + expected;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let drained = self.app.store.outbox_depth().await? == 0;
            if drained && posted(&self.connector).len() >= want {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "expected {expected} new activit(ies) in Teams and an empty outbox; {} arrived",
                    posted(&self.connector).len() - self.shown
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut new = posted(&self.connector).split_off(self.shown);
        self.shown += new.len();
        new.sort_by(|a, b| a.conversation.cmp(&b.conversation));
        let mut bodies = Vec::new();
        for r in new {
            let verb = if r.op == Op::Update {
                "updated its card in"
            } else {
                "posted in"
            };
            println!("  📨 bot {verb} {}:", short(&r.conversation));
            for card in r.body["attachments"].as_array().into_iter().flatten() {
                for line in card_text(&card["content"]).lines() {
                    println!("     │ {line}");
                }
            }
            bodies.push(r.body);
        }
        Ok(Value::Array(bodies))
    }
}

/// An invoke about to be sent; `with_reply_to` names the card it comes from.
struct Invoke<'a> {
    act: &'a mut Act,
    activity: Value,
}

impl Invoke<'_> {
    fn with_reply_to(mut self, activity_id: &str) -> Self {
        self.activity["replyToId"] = json!(activity_id);
        self
    }
}

impl<'a> std::future::IntoFuture for Invoke<'a> {
    type Output = anyhow::Result<Value>;
    type IntoFuture =
        std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.act.post_activity(&self.activity).await })
    }
}

/// The first action anywhere in `value` (cards, lists of activities) titled `title`.
fn find_action(value: &Value, title: &str) -> Option<Value> {
    find_in(value, &|a| {
        a["title"] == title && a["type"].as_str().is_some_and(|t| t.starts_with("Action."))
    })
}

fn find_in(value: &Value, wanted: &dyn Fn(&Value) -> bool) -> Option<Value> {
    if wanted(value) {
        return Some(value.clone());
    }
    match value {
        Value::Array(items) => items.iter().find_map(|v| find_in(v, wanted)),
        Value::Object(map) => map.values().find_map(|v| find_in(v, wanted)),
        _ => None,
    }
}

/// Every input of a card with a value: (id, value).
fn collect_inputs(value: &Value, found: &mut Vec<(String, Value)>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_inputs(v, found)),
        Value::Object(map) => {
            let input = map
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("Input."));
            if let (true, Some(id), Some(v)) = (
                input,
                map.get("id").and_then(Value::as_str),
                map.get("value"),
            ) {
                found.push((id.to_string(), v.clone()));
            }
            map.values().for_each(|v| collect_inputs(v, found));
        }
        _ => {}
    }
}

/// What a card says: its texts, facts, inputs and buttons, one per line.
pub fn card_text(card: &Value) -> String {
    let mut lines = Vec::new();
    collect_text(card, &mut lines);
    lines.join("\n")
}

fn collect_text(value: &Value, lines: &mut Vec<String>) {
    let text = |v: Option<&Value>| unescape(v.and_then(Value::as_str).unwrap_or_default());
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_text(v, lines)),
        Value::Object(map) => {
            match map.get("type").and_then(Value::as_str) {
                Some("TextBlock") => lines.push(text(map.get("text"))),
                Some("Fact") | None if map.contains_key("title") && map.contains_key("value") => {
                    lines.push(format!(
                        "{}: {}",
                        text(map.get("title")),
                        text(map.get("value"))
                    ));
                }
                Some(t) if t.starts_with("Input.") => {
                    let typed = match text(map.get("value")) {
                        v if v.is_empty() => String::new(),
                        v => format!(": {v}"),
                    };
                    lines.push(format!("[{}{typed}]", text(map.get("label"))));
                }
                Some(t) if t.starts_with("Action.") && map.contains_key("title") => {
                    lines.push(format!("[{}]", text(map.get("title"))));
                }
                _ => {}
            }
            // The card's body before its buttons, as Teams shows it.
            let order = ["body", "facts", "items", "columns", "card", "actions"];
            for key in order {
                if let Some(v) = map.get(key) {
                    collect_text(v, lines);
                }
            }
            for (k, v) in map {
                if !order.contains(&k.as_str()) && k != "text" && k != "title" && k != "refresh" {
                    collect_text(v, lines);
                }
            }
        }
        _ => {}
    }
}

/// Teams markdown as it reads: the escapes that keep user text literal removed.
fn unescape(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(next) if c == '\\' && next.is_ascii_punctuation() => {}
            _ => out.push(c),
        }
    }
    out
}

fn readable(answer: &Value) -> String {
    match answer["task"]["type"].as_str() {
        Some("message") => answer["task"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => card_text(answer),
    }
}

fn short(conversation: &str) -> &str {
    conversation.split(';').next().unwrap_or(conversation)
}

fn expect_text(haystack: &impl ToString, needle: &str) -> anyhow::Result<()> {
    let text = haystack.to_string();
    ensure!(text.contains(needle), "expected “{needle}” in {text}");
    Ok(())
}

fn step(who: &str, what: &str) {
    println!("\n▶ {who}: {what}");
}

fn say(text: &str) {
    for (i, line) in text.lines().enumerate() {
        println!("  {} {line}", if i == 0 { "↳" } else { " " });
    }
}
