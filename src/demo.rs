//! `partnerbot demo`: the registration story on a fresh machine. Starts the bot on a temporary
//! SQLite database with the Slack emulator, then plays a manager and two partners over real
//! signed HTTP requests, printing every answer and every message the bot posts. Any step that
//! misbehaves makes it exit non-zero.

use crate::app::App;
use crate::chat::{Conversation, Platform};
use crate::clock::Clock;
use crate::config::{Config, Program};
use crate::delivery::DeliveryConfig;
use crate::emulator::{readable, texts_of, Emulator};
use crate::service::Requester;
use crate::simulate::{signing_headers, SlackUser};
use crate::store::Store;
use anyhow::{bail, ensure, Context};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;

struct Demo {
    /// Requests go over Socket Mode (the emulator's WebSocket) rather than signed HTTP.
    socket: bool,
    envelopes: u32,
    http: reqwest::Client,
    base: String,
    secret: String,
    emulator: Emulator,
    app: App,
    shown: usize,
    trigger: u32,
}

/// Runs the demo end to end; with `socket`, Slack's requests arrive over Socket Mode.
pub async fn run(socket: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let emulator = Emulator::start().await?;
    let secret = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let config = Config {
        database_url: database_url.clone(),
        signing_secret: SecretString::from(secret.clone()),
        bot_token: SecretString::from("xoxb-demo-token"),
        app_token: socket.then(|| SecretString::from("xapp-1-A0DEMO-demo")),
        slack_api_url: emulator.base_url.clone(),
        bind: "127.0.0.1:0".parse()?,
        program: Program::default(),
    };
    let app = App::build(
        &config,
        Store::open(&database_url).await?,
        Clock::system(),
        Some("T0HOME".into()),
    )?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let client = config
        .app_token
        .clone()
        .map(|token| tokio::spawn(app.socket_mode(token).run(stop_rx.clone())));
    if socket
        && !emulator
            .socket
            .wait_until(Duration::from_secs(15), |h| h.connections() > 0)
            .await
    {
        bail!("the bot did not connect over Socket Mode");
    }
    let worker = spawn_worker(&app, stop_rx);

    println!(
        "partnerbot demo · {} · bot at {base} · Slack emulated at {}",
        config.program.program.name, emulator.base_url
    );
    println!(
        "database: {} (temporary)\n",
        crate::config::redact_url(&database_url)
    );
    let mut demo = Demo {
        socket,
        envelopes: 0,
        http: reqwest::Client::new(),
        base,
        secret,
        emulator,
        app,
        shown: 0,
        trigger: 0,
    };
    let outcome = demo.play().await;
    let _ = stop.send(true);
    let _ = worker.await;
    if let Some(client) = client {
        let _ = client.await;
    }
    let outcome = match outcome {
        Ok(()) => crate::demo_teams::run().await,
        failed => failed,
    };
    match outcome {
        Ok(()) => {
            println!("\n✔ demo finished: every step behaved as expected");
            Ok(())
        }
        Err(e) => {
            println!("\n✘ demo failed: {e:#}");
            Err(e)
        }
    }
}

impl Demo {
    async fn play(&mut self) -> anyhow::Result<()> {
        let globex = SlackUser::new("U0ALICE", "T0GLOBEX", "C0GLOBEX");
        let initech = SlackUser::new("U0BOB", "T0INITECH", "C0INITECH");
        let manager = SlackUser::new("U0MANAGER1", "T0HOME", "C0INITECH");

        step("operator", "partnerbot partners add \"Globex Resellers\" --type reseller --slack-channel C0GLOBEX --slack-team T0GLOBEX");
        let channel = Conversation::new(Platform::Slack, "C0GLOBEX");
        let partner = add_partner(
            &self.app,
            "Globex Resellers",
            "reseller",
            &channel,
            "T0GLOBEX",
        )
        .await?;
        say(&format!(
            "added partner {} “{}” linked to {}",
            partner.id, partner.name, partner.conversation
        ));

        self.emulator.set_channel("C0INITECH", json!({ "id": "C0INITECH", "is_ext_shared": true, "connected_team_ids": ["T0HOME", "T0INITECH"], "created": 0 }));
        self.answered(
            &manager,
            "/partners",
            "add Initech type=referral",
            "Linked this channel to Initech",
        )
        .await?;
        self.flush(2).await?;

        let answer = self.slash(&globex, "/deal", "").await?;
        ensure!(
            answer.is_null(),
            "/deal should open a modal, not answer with text: {answer}"
        );
        let view = self
            .emulator
            .calls_to("views.open")
            .last()
            .map(|c| c.params["view"].clone())
            .context("the bot did not call views.open")?;
        let fields = texts_of(&view["blocks"], "label");
        say(&format!(
            "[modal opened] “{}”: {}",
            view["title"]["text"].as_str().unwrap_or_default(),
            fields.join(" · ")
        ));

        let close = (chrono::Utc::now().date_naive() + chrono::Duration::days(45)).to_string();
        let bad = acme_rockets("acme", "wile.acme.com", "50k€", "2020-01-31");
        step("U0ALICE (Globex)", "submits the form with a domain of “acme”, amount “50k€”, a past close date and an e-mail without @");
        let answer = self.submit(&globex, &view, &bad, "errors").await?;
        for (field, message) in answer["errors"].as_object().into_iter().flatten() {
            say(&format!(
                "[inline error] {field}: {}",
                message.as_str().unwrap_or_default()
            ));
        }

        let mut good = acme_rockets(
            "https://www.acme-rockets.com/",
            "wile@acme-rockets.com",
            "50,000",
            &close,
        );
        good.push(("products", "Rocket skates, portable holes"));
        step("U0ALICE (Globex)", "fixes the fields and submits again");
        let answer = self.submit(&globex, &view, &good, "update").await?;
        say(&format!("[modal updated] {}", readable(&answer["view"])));
        self.flush(2).await?;

        self.answered(
            &initech,
            "/deal",
            "register Initrode <!channel> & Sons initrode.com 25000 EUR",
            "Registered",
        )
        .await?;
        let raw = self
            .flush(2)
            .await?
            .into_iter()
            .filter_map(|c| c.params["text"].as_str().map(str::to_string))
            .find(|t| t.contains("Initrode"));
        let raw = raw.context("the confirmation for Initrode did not arrive")?;
        ensure!(
            raw.contains("&lt;!channel&gt; &amp; Sons") && !raw.contains("<!channel>"),
            "the company name was not escaped: {raw}"
        );
        say("[escaping] Slack received the name as “Initrode &lt;!channel&gt; &amp; Sons”: it shows as text and pings nobody");

        let answer = self
            .answered(&globex, "/deal", "list", "Acme Rockets")
            .await?;
        ensure!(
            !readable(&answer).contains("Initrode"),
            "Globex must not see Initech's deal"
        );

        self.answered(
            &initech,
            "/deal",
            "show D-1",
            "There is no deal D-1 that you can see",
        )
        .await?;

        self.conflicts(&globex, &initech).await?;

        let posted = self.emulator.delivered().len();
        ensure!(
            posted == 26,
            "expected 26 messages in Slack by the end, it got {posted}"
        );
        Ok(())
    }

    /// Rules of engagement: a second partner on a registered customer, and a partner on a
    /// direct account (the AE is alerted and answers with a button).
    async fn conflicts(&mut self, globex: &SlackUser, initech: &SlackUser) -> anyhow::Result<()> {
        step("operator", "partnerbot accounts import accounts.csv   (Wayne Enterprises, wayne.com, owner U0AE1, open opportunity, CRM 0015000042)");
        let row = crate::domain::account::AccountRow {
            name: "Wayne Enterprises, Inc.".into(),
            domains: "wayne.com".into(),
            owner: "U0AE1".into(),
            territory: "NA".into(),
            open_opportunity: "yes".into(),
            crm_id: "0015000042".into(),
        };
        let report = self
            .app
            .service
            .import_accounts(&[(2, row)], None::<&crate::slack::SlackApi>)
            .await?;
        say(&format!(
            "{} account(s) created, {} updated, {} rejected",
            report.created,
            report.updated,
            report.rejected.len()
        ));

        let answer = self
            .answered(
                initech,
                "/deal",
                "register ACME Rockets Inc. www.acme-rockets.com 20000",
                "already registered by another party",
            )
            .await?;
        ensure!(
            !readable(&answer).contains("Globex"),
            "the second partner must not learn who holds the customer"
        );
        self.flush(2).await?;

        self.answered(
            globex,
            "/deal",
            "register Wayne Enterprises wayne.com 90000",
            "co-sell candidate",
        )
        .await?;
        self.flush(3).await?;

        step(
            "U0AE1 (account executive)",
            "clicks “Propose co-sell” in the alert",
        );
        let ae = SlackUser::new("U0AE1", "T0HOME", "D0AE1");
        self.interact(ae.click("ae_cosell", "4", "7.7")).await?;
        self.flush(2).await?;

        step(
            "U0MANAGER1 (partner manager)",
            "clicks “Approve” on the review card of D-1",
        );
        let manager = SlackUser::new("U0MANAGER1", "T0HOME", "C0MANAGERS");
        self.interact(manager.click("review_approve", "1", "8.8"))
            .await?;
        self.flush(4).await?;
        let update = self
            .emulator
            .calls_to("chat.update")
            .last()
            .map(|c| readable(&c.params))
            .context("the card was not updated")?;
        ensure!(
            update.contains("Approved* by <@U0MANAGER1>"),
            "the card does not show the approval: {update}"
        );
        say("[the card was updated in place with chat.update: approved, buttons removed]");
        self.money(globex).await?;
        self.engagement().await
    }

    /// Issue 4: the approved deal is won; the commission is computed, explained in the deal's
    /// thread and in the finance channel, and the partner sees their totals.
    async fn money(&mut self, globex: &SlackUser) -> anyhow::Result<()> {
        let today = chrono::Utc::now().date_naive();
        self.answered(
            globex,
            "/deal",
            &format!("update D-1 stage=won amount=60000 close={today}"),
            "won",
        )
        .await?;
        self.flush(1).await?;
        self.answered(globex, "/deal", "commissions", "pending")
            .await?;
        Ok(())
    }

    /// Issue 5: a PSAT answer, a nudge for quiet partners, and the weekly digest with its chart.
    async fn engagement(&mut self) -> anyhow::Result<()> {
        let manager = SlackUser::new("U0MANAGER1", "T0HOME", "C0MANAGERS");
        self.answered(
            &manager,
            "/partners",
            "survey now",
            "Survey round 1 is open",
        )
        .await?;
        self.flush(2).await?;
        step("U0ALICE (Globex)", "clicks 9 in the survey DM");
        let ts = self
            .emulator
            .calls_to("chat.postMessage")
            .iter()
            .rev()
            .find(|c| c.params["channel"] == "U0ALICE")
            .and_then(|c| c.params["_ts"].as_str().map(str::to_string));
        let alice_dm = SlackUser::new("U0ALICE", "T0GLOBEX", "U0ALICE");
        let click = alice_dm.click("psat_score_9", "1:9", ts.as_deref().unwrap_or("1.1"));
        self.interact(click).await?;
        self.flush(2).await?;

        let mut later = chrono::Utc::now() + chrono::Duration::days(61);
        while chrono::Datelike::weekday(&later) != chrono::Weekday::Wed {
            later += chrono::Duration::days(1);
        }
        // 10:00:00 sharp on a Wednesday: inside every partner's working hours.
        let later = later
            .date_naive()
            .and_hms_opt(10, 0, 0)
            .map_or(later, |t| t.and_utc());
        step(
            "scheduler",
            &format!(
                "partnerbot jobs run nudge_partners --at {}   (61 days of quiet later)",
                later.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        );
        say(&crate::jobs::run_job(
            &self.app.service,
            crate::jobs::JobKind::NudgePartners,
            later,
        )
        .await?);
        self.flush(2).await?;

        self.answered(&manager, "/partners", "digest now", "is on its way")
            .await?;
        let digest = self
            .flush(1)
            .await?
            .pop()
            .context("the digest was not posted")?;
        let shown = digest.params["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|b| b["slack_file"]["id"].as_str())
            .context("the digest has no image block")?
            .to_string();
        let files = self.emulator.files();
        ensure!(files.len() == 1, "{} files uploaded", files.len());
        let chart = &files[0];
        ensure!(
            chart.id == shown && chart.channel.is_none(),
            "the digest shows {shown}, the upload is {} shared to {:?}",
            chart.id,
            chart.channel
        );
        let size = image::load_from_memory(&chart.bytes)
            .map(|i| format!("{}×{}", i.width(), i.height()))
            .unwrap_or_else(|e| format!("not a PNG: {e}"));
        ensure!(
            size == format!("{}×{}", crate::chart::WIDTH, crate::chart::HEIGHT),
            "the chart is {size}"
        );
        println!("  📎 the chart, a {size} PNG of {} KB, went up first as a private file (files.getUploadURLExternal → upload → files.completeUploadExternal, no channel): one message shows it in an image block", chart.bytes.len() / 1024);
        Ok(())
    }

    async fn send(
        &mut self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Value> {
        if self.socket {
            return self.send_envelope(path, &body).await;
        }
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type);
        for (name, value) in signing_headers(&self.secret, chrono::Utc::now().timestamp(), &body) {
            request = request.header(name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST {path} answered {status}: {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).with_context(|| format!("POST {path} answered non-JSON"))?
        })
    }

    /// Sends what would have been posted to `path` as a Socket Mode envelope; the payload of
    /// its acknowledgement.
    async fn send_envelope(&mut self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        self.envelopes += 1;
        let id = format!("demo-envelope-{}", self.envelopes);
        let hub = &self.emulator.socket;
        ensure!(
            hub.send(&crate::simulate::envelope(&id, path, body)),
            "no Socket Mode connection is open"
        );
        let ack = hub
            .ack_of(&id, Duration::from_secs(15))
            .await
            .with_context(|| format!("envelope for {path} was not acknowledged"))?;
        Ok(ack.get("payload").cloned().unwrap_or(Value::Null))
    }

    /// Types a slash command and checks that its answer says `expected`.
    async fn answered(
        &mut self,
        who: &SlackUser,
        command: &str,
        text: &str,
        expected: &str,
    ) -> anyhow::Result<Value> {
        let answer = self.slash(who, command, text).await?;
        expect(&answer, expected)?;
        Ok(answer)
    }

    async fn slash(&mut self, who: &SlackUser, command: &str, text: &str) -> anyhow::Result<Value> {
        step(
            &format!("{} in {}", who.user, who.channel),
            &format!("{command} {text}"),
        );
        self.trigger += 1;
        let answer = self
            .send(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                who.command(command, text, &format!("{}.42.demo", self.trigger)),
            )
            .await?;
        if !answer.is_null() {
            say(&format!("[only you can see this] {}", readable(&answer)));
        }
        Ok(answer)
    }

    /// Posts an interaction payload (a click, a submitted view) the way Slack does.
    async fn interact(&mut self, payload: Vec<u8>) -> anyhow::Result<Value> {
        self.send(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            payload,
        )
        .await
    }

    /// Submits the registration modal and checks what Slack is told to do with it (`errors`,
    /// `update`).
    async fn submit(
        &mut self,
        who: &SlackUser,
        view: &Value,
        values: &[(&str, &str)],
        response_action: &str,
    ) -> anyhow::Result<Value> {
        let answer = self
            .interact(who.submit_view("V0DEMO1", view, values))
            .await?;
        ensure!(
            answer["response_action"] == response_action,
            "expected the response_action {response_action}, got {answer}"
        );
        Ok(answer)
    }

    /// Waits for at least `expected` new messages to reach Slack and for the outbox to drain,
    /// then prints them. Channels are delivered in parallel, so the new messages are printed
    /// channel by channel (each channel in the order it received them): the transcript is the
    /// same on every run (`tests/api/demo.rs` compares it with a checked-in one). Returns the new
    /// messages, in that order.
    async fn flush(&mut self, expected: usize) -> anyhow::Result<Vec<crate::emulator::Call>> {
        let want = self.shown + expected;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let drained = self.app.store.outbox_depth().await? == 0;
            if drained && self.emulator.delivered().len() >= want {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "expected {expected} new message(s) in Slack and an empty outbox; {} arrived",
                    self.emulator.delivered().len() - self.shown
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut new = self.emulator.delivered().split_off(self.shown);
        self.shown += new.len();
        new.sort_by(|a, b| {
            a.params["channel"]
                .as_str()
                .cmp(&b.params["channel"].as_str())
        });
        for call in &new {
            print_call(call);
        }
        Ok(new)
    }
}

/// The Acme Rockets registration as Alice fills in the modal, with the fields she first gets
/// wrong and then right.
fn acme_rockets<'a>(
    domain: &'a str,
    email: &'a str,
    amount: &'a str,
    close: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("company", "Acme Rockets"),
        ("domain", domain),
        ("contact_name", "Wile E. Coyote"),
        ("contact_email", email),
        ("amount", amount),
        ("currency", "USD"),
        ("close_date", close),
        ("stage", "qualified"),
    ]
}

/// Links a partner as the operator's `partnerbot partners add` does.
pub(crate) async fn add_partner(
    app: &App,
    name: &str,
    partner_type: &str,
    conversation: &Conversation,
    workspace: &str,
) -> anyhow::Result<crate::domain::Partner> {
    app.service
        .add_partner(
            &Requester::Cli,
            crate::service::PartnerLink {
                name,
                partner_type,
                conversation,
                workspace: Some(workspace.into()),
                tier: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The demo's delivery worker: it looks for new messages every 100 ms until `stop`.
pub(crate) fn spawn_worker(
    app: &App,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let worker = app.worker(DeliveryConfig {
        poll: Duration::from_millis(100),
        ..DeliveryConfig::default()
    });
    tokio::spawn(async move {
        worker.run(stop).await;
    })
}

fn print_call(call: &crate::emulator::Call) {
    let channel = call.params["channel"].as_str().unwrap_or_default();
    match call.method.as_str() {
        "chat.update" => println!("  ✏️  bot updated its message in {channel}:"),
        "chat.postEphemeral" => println!(
            "  👁  bot showed {} (only them) in {channel}:",
            call.params["user"].as_str().unwrap_or("?")
        ),
        _ => println!("  📨 bot posted in {channel}:"),
    }
    for line in readable(&call.params).lines() {
        println!("     │ {line}");
    }
}

fn step(who: &str, what: &str) {
    println!("\n▶ {who}: {what}");
}

fn say(text: &str) {
    for (i, line) in text.lines().enumerate() {
        println!("  {} {line}", if i == 0 { "↳" } else { " " });
    }
}

fn expect(answer: &Value, needle: &str) -> anyhow::Result<()> {
    let text = readable(answer);
    ensure!(
        text.contains(needle),
        "expected “{needle}” in the answer, got: {text}"
    );
    Ok(())
}
