//! `TestApp`: the real router and store (SQLite file or a Postgres schema of its own) with the
//! Slack client pointed at the emulator. Requests are signed and sent in-process.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use partnerbot::app::App;
use partnerbot::clock::Clock;
use partnerbot::config::{Config, Program};
use partnerbot::delivery::{DeliveryConfig, Worker};
use partnerbot::domain::Partner;
use partnerbot::emulator::{Call, Emulator};
use partnerbot::service::Requester;
use partnerbot::simulate::{signing_headers, SlackUser};
use partnerbot::store::Store;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::Connection;
use std::time::Duration;
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The Postgres server tests use; `.ci/run` makes sure it is up.
pub fn postgres_base_url() -> String {
    std::env::var("PARTNERBOT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database of the test's own: a SQLite file in a temp dir, or a fresh Postgres schema.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                sqlx::any::install_default_drivers();
                let base = postgres_base_url();
                let schema = format!("pbt_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::AnyConnection::connect(&base)
                    .await
                    .expect("Postgres must be running for the tests (see .ci/run)");
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .expect("create schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    _dir: None,
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.url)
            .await
            .expect("store opens and migrates")
    }
}

pub const SECRET: &str = "test-signing-secret";
pub const MANAGER: &str = "U0MANAGER1";
pub const MANAGERS_CHANNEL: &str = "C0MANAGERS";

/// The manager, acting in Slack from their own workspace.
pub fn manager() -> partnerbot::service::Actor {
    partnerbot::service::Actor {
        platform: partnerbot::chat::Platform::Slack,
        user: MANAGER.into(),
        workspace: Some("T0HOME".into()),
        channel: None,
    }
}

/// The Slack channel `id`.
pub fn slack_channel(id: &str) -> partnerbot::chat::Conversation {
    partnerbot::chat::Conversation::new(partnerbot::chat::Platform::Slack, id)
}

/// No people directory (account owners given as user ids).
pub const NO_DIRECTORY: Option<&partnerbot::slack::SlackApi> = None;

/// Partner A's user, in partner A's shared channel.
pub fn alice() -> SlackUser {
    SlackUser::new("U0ALICE", "T0GLOBEX", "C0GLOBEX")
}

/// Partner B's user, in partner B's shared channel.
pub fn bob() -> SlackUser {
    SlackUser::new("U0BOB", "T0INITECH", "C0INITECH")
}

pub fn manager_in(channel: &str) -> SlackUser {
    SlackUser::new(MANAGER, "T0HOME", channel)
}

/// A delivery configuration that keeps tests quick but still exercises the real paths.
pub fn fast_delivery() -> DeliveryConfig {
    DeliveryConfig {
        lease: Duration::from_secs(3),
        batch: 20,
        poll: Duration::from_millis(50),
        channel_interval: Duration::from_millis(10),
        global_interval: Duration::ZERO,
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(500),
        send_timeout: Duration::from_secs(2),
    }
}

pub fn config(slack_api_url: &str, database_url: &str) -> Config {
    Config {
        database_url: database_url.into(),
        signing_secret: SecretString::from(SECRET),
        bot_token: SecretString::from("xoxb-test-token"),
        app_token: None,
        slack_api_url: slack_api_url.into(),
        bind: "127.0.0.1:0".parse().expect("addr"),
        program: Program::default(),
    }
}

pub struct TestApp {
    pub app: App,
    pub emulator: Emulator,
    pub db: TestDb,
    pub store: Store,
    triggers: std::sync::atomic::AtomicU64,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        TestApp::spawn_with_clock(db, Clock::system()).await
    }

    pub async fn spawn_with_clock(db: Db, clock: Clock) -> TestApp {
        TestApp::spawn_full(db, clock, Program::default()).await
    }

    /// An app running `program` instead of the built-in defaults.
    pub async fn spawn_with_program(db: Db, program: Program) -> TestApp {
        TestApp::spawn_full(db, Clock::system(), program).await
    }

    /// An app running `program` on `clock`.
    pub async fn spawn_with_clock_and_program(db: Db, clock: Clock, program: Program) -> TestApp {
        TestApp::spawn_full(db, clock, program).await
    }

    async fn spawn_full(db: Db, clock: Clock, program: Program) -> TestApp {
        // PARTNERBOT_TEST_LOG=debug shows the app's logs for a failing test.
        if let Ok(filter) = std::env::var("PARTNERBOT_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let db = TestDb::new(db).await;
        let emulator = Emulator::start().await.expect("emulator starts");
        let store = db.store().await;
        let mut cfg = config(&emulator.base_url, &db.url);
        cfg.program = program;
        let app =
            App::build(&cfg, store.clone(), clock, Some("T0HOME".into())).expect("app builds");
        TestApp {
            app,
            emulator,
            db,
            store,
            triggers: Default::default(),
        }
    }

    /// A second app instance (another replica) on the same database and emulator.
    pub async fn replica(&self) -> App {
        let store = self.db.store().await;
        App::build(
            &config(&self.emulator.base_url, &self.db.url),
            store,
            Clock::system(),
            Some("T0HOME".into()),
        )
        .expect("replica builds")
    }

    pub fn worker(&self) -> Worker {
        self.app.worker(fast_delivery())
    }

    /// Sends a request with a body signed now; returns status and body text.
    pub async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let headers = signing_headers(SECRET, self.app.clock.now().timestamp(), &body);
        self.post(path, content_type, body, &headers).await
    }

    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> (StatusCode, String) {
        let mut request = Request::post(path).header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn next_trigger(&self) -> String {
        let n = self
            .triggers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("{n}.1000.trigger")
    }

    /// `/deal text` typed by `who`, sent to `app`'s router (this app or a replica) when the
    /// returned future runs; it owns everything, so many can run at once.
    pub fn deal_via(
        &self,
        app: &App,
        who: &SlackUser,
        text: &str,
    ) -> impl std::future::Future<Output = Value> + Send + 'static {
        let body = who.command("/deal", text, &self.next_trigger());
        let headers = signing_headers(SECRET, self.app.clock.now().timestamp(), &body);
        let router = app.router.clone();
        async move {
            let mut request = Request::post("/slack/commands")
                .header("content-type", "application/x-www-form-urlencoded");
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let response = router
                .oneshot(request.body(Body::from(body)).expect("request"))
                .await
                .expect("router answers");
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        }
    }

    /// Types a slash command; returns the JSON answer (Null for an empty 200).
    pub async fn slash(&self, who: &SlackUser, command: &str, text: &str) -> Value {
        let body = who.command(command, text, &self.next_trigger());
        let (status, text) = self
            .post_signed("/slack/commands", "application/x-www-form-urlencoded", body)
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON answer")
        }
    }

    pub async fn deal(&self, who: &SlackUser, text: &str) -> Value {
        self.slash(who, "/deal", text).await
    }

    /// Types `/deal` and returns the view the bot opened.
    pub async fn open_modal(&self, who: &SlackUser) -> Value {
        let before = self.emulator.calls_to("views.open").len();
        let answer = self.deal(who, "").await;
        assert_eq!(
            answer,
            Value::Null,
            "opening the modal answers with an empty 200"
        );
        let calls = self.emulator.calls_to("views.open");
        assert_eq!(calls.len(), before + 1, "views.open was called once");
        calls[before].params["view"].clone()
    }

    /// Submits a view with values; returns the JSON answer.
    pub async fn submit(
        &self,
        who: &SlackUser,
        view_id: &str,
        view: &Value,
        values: &[(&str, &str)],
    ) -> Value {
        let text = self.interact(who.submit_view(view_id, view, values)).await;
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON answer")
        }
    }

    /// Sends an interaction payload (a submission, a click, a shortcut); returns the body of
    /// the 200 it is answered with.
    pub async fn interact(&self, body: Vec<u8>) -> String {
        let (status, text) = self
            .post_signed(
                "/slack/interactions",
                "application/x-www-form-urlencoded",
                body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        text
    }

    pub async fn link(&self, name: &str, partner_type: &str, channel: &str, team: &str) -> Partner {
        self.app
            .service
            .add_partner(
                &Requester::Cli,
                partnerbot::service::PartnerLink {
                    name,
                    partner_type,
                    conversation: &slack_channel(channel),
                    workspace: Some(team.into()),
                    tier: None,
                },
            )
            .await
            .expect("partner links")
    }

    /// Links Globex (alice) and Initech (bob).
    pub async fn link_both(&self) -> (Partner, Partner) {
        (
            self.link("Globex Resellers", "reseller", "C0GLOBEX", "T0GLOBEX")
                .await,
            self.link("Initech", "referral", "C0INITECH", "T0INITECH")
                .await,
        )
    }

    /// Runs delivery rounds until the outbox is empty (or panics after `within`).
    pub async fn deliver_all(&self) {
        self.deliver_with(&self.worker()).await;
    }

    /// Runs `worker`'s delivery rounds until the outbox is empty (or panics after 30 s).
    pub async fn deliver_with(&self, worker: &Worker) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.store.outbox_depth().await.expect("depth") > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "outbox did not drain"
            );
            if worker.run_once().await.expect("delivery round") == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Registers `registration` (`Company domain amount [currency]`) for `who`, has a manager
    /// approve it as `id`, and records it won today for `amount`; returns the win's answer.
    pub async fn register_and_win(
        &self,
        who: &SlackUser,
        registration: &str,
        id: &str,
        amount: &str,
    ) -> Value {
        let today = chrono::Utc::now().date_naive();
        self.deal(who, &format!("register {registration}")).await;
        self.approve(id).await;
        self.deal(
            who,
            &format!("update {id} stage=won amount={amount} close={today}"),
        )
        .await
    }

    /// The manager approves deal `id` (`D-3`).
    pub async fn approve(&self, id: &str) {
        self.app
            .service
            .decide(
                &crate::helpers::manager(),
                id.parse().expect("deal id"),
                partnerbot::domain::engagement::Decision::Approve,
                "",
            )
            .await
            .expect("approve");
    }

    /// Every Web API call the emulator refused so far, as "method params".
    pub fn refused_calls(&self) -> Vec<String> {
        self.emulator
            .calls()
            .into_iter()
            .filter(|c| c.params["_ok"] == false)
            .map(|c| format!("{} {}", c.method, c.params))
            .collect()
    }

    /// Messages that landed in `channel` (posted, not ephemeral).
    pub fn posted_to(&self, channel: &str) -> Vec<Call> {
        self.emulator
            .delivered()
            .into_iter()
            .filter(|c| c.method == "chat.postMessage" && c.params["channel"] == channel)
            .collect()
    }
}

/// A plain text message for `channel`, as the outbox holds it.
pub fn text_message(channel: &str, text: &str) -> partnerbot::store::OutboxMessage {
    partnerbot::store::OutboxMessage::slack_payload(
        "test",
        channel,
        serde_json::json!({ "text": text }),
    )
}

/// A valid registration form, as `block_id → value`.
pub fn valid_form(company: &str) -> Vec<(&'static str, String)> {
    let close = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    vec![
        ("company", company.to_string()),
        ("domain", "https://www.acme-rockets.com/".into()),
        ("contact_name", "Wile E. Coyote".into()),
        ("contact_email", "wile@acme-rockets.com".into()),
        ("amount", "50,000".into()),
        ("currency", "USD".into()),
        ("close_date", close),
        ("stage", "qualified".into()),
        ("products", "Rocket skates".into()),
        ("notes", String::new()),
    ]
}

pub fn as_refs<'a>(values: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    values.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Every string anywhere in a JSON value.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

/// Runs an async test body once on SQLite and once on Postgres.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    };
}
