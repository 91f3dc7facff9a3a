//! Commands typed to the bot in Teams (`deal …`, `partners …` in a personal chat, or after
//! `@partnerbot` in a channel), sent as signed activities to `POST /teams/messages` and
//! delivered by the real worker to the Connector emulator: what each person is answered, only
//! them (their personal chat, else a 1:1), and what the partner's and the managers' channels
//! get. The privacy rules are Slack's: a third tenant in a partner's channel is refused, and a
//! partner never sees another partner's deals.

use crate::helpers::*;
use crate::on_both_databases;
use crate::teams_auth::{bearer, post_activity};
use axum::http::StatusCode;
use partnerbot::config::Program;
use partnerbot::delivery::Worker;
use partnerbot::store::{CountTable, OutboxFilter, TeamsPerson, TeamsSighting};
use partnerbot::teams::connector_emulator::{ConnectorEmulator, Op, Recorded};
use partnerbot::teams::emulator::TokenAuthority;
use partnerbot::teams::{Authenticator, Connector, TeamsSettings};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const APP_ID: &str = "6f1c2b7e-8a4d-4c1e-9f3a-2b5d7e9c1a20";
const HOME_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const GLOBEX_TENANT: &str = "0d4e1f2a-3b5c-4d6e-8f7a-9b0c1d2e3f4a";
const INITECH_TENANT: &str = "1e5f2a3b-4c6d-4e7f-8a9b-0c1d2e3f4a5b";
const THIRD_TENANT: &str = "2f6a3b4c-5d7e-4f8a-9b0c-1d2e3f4a5b6c";
const SECRET: &str = "connector-test-secret";
const MANAGERS: &str = "19:managers@thread.tacv2";
const GLOBEX: &str = "19:globex@thread.tacv2";
const INITECH: &str = "19:initech@thread.tacv2";
/// A one-line registration.
const REGISTER_ACME: &str = "deal register Acme acme.com 5000 USD";

/// A Teams user: their Teams id, Entra object id and tenant.
#[derive(Clone, Copy)]
struct Person {
    id: &'static str,
    aad: &'static str,
    tenant: &'static str,
}

const fn who(id: &'static str, aad: &'static str, tenant: &'static str) -> Person {
    Person { id, aad, tenant }
}

const MANAGER_AAD: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const MANAGER: Person = who("29:manager", MANAGER_AAD, HOME_TENANT);
const ALICE_AAD: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const ALICE: Person = who("29:alice", ALICE_AAD, GLOBEX_TENANT);
const BOB_AAD: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const BOB: Person = who("29:bob", BOB_AAD, INITECH_TENANT);
const MALLORY_AAD: &str = "c3c3c3c3-0000-4000-8000-000000000003";
const MALLORY: Person = who("29:mallory", MALLORY_AAD, THIRD_TENANT);

/// Where a message was typed.
#[derive(Clone, Copy)]
enum Place {
    /// A channel (the message mentions the bot).
    Channel(&'static str),
    /// The person's personal chat with the bot.
    Personal,
}

struct Bot {
    app: TestApp,
    authority: TokenAuthority,
    connector: ConnectorEmulator,
    router: axum::Router,
    worker: Worker,
    ids: AtomicU64,
}

impl Bot {
    async fn spawn(db: Db) -> Bot {
        let program = Program::parse(&format!(
            "[managers]\nteams_users = [\"{}\"]\nteams_channel = \"{MANAGERS}\"\n[teams]\npartner_tenants = [\"{GLOBEX_TENANT}\", \"{INITECH_TENANT}\", \"{THIRD_TENANT}\"]\n",
            MANAGER.aad
        ))
        .expect("program");
        let clock = partnerbot::clock::Clock::fixed(chrono::Utc::now());
        let app = TestApp::spawn_with_clock_and_program(db, clock, program.clone()).await;
        let authority = TokenAuthority::start().await.expect("authority");
        let connector = ConnectorEmulator::start(HOME_TENANT, APP_ID, SECRET)
            .await
            .expect("connector emulator");
        let (metadata, token_url, service) = (
            authority.metadata_url(),
            connector.token_url(),
            connector.service_url(),
        );
        let settings = TeamsSettings::from_lookup(&|k| match k {
            "MICROSOFT_APP_ID" => Some(APP_ID.into()),
            "MICROSOFT_APP_PASSWORD" => Some(SECRET.into()),
            "MICROSOFT_APP_TENANT_ID" => Some(HOME_TENANT.into()),
            "TEAMS_OPENID_METADATA_URL" => Some(metadata.clone()),
            "TEAMS_TOKEN_URL" => Some(token_url.clone()),
            "TEAMS_ALLOWED_SERVICE_URLS" => Some(service.clone()),
            _ => None,
        })
        .expect("settings")
        .expect("Teams on");
        let auth = Authenticator::new(
            settings.clone(),
            app.app.clock.clone(),
            program.teams.partner_tenants.clone(),
        )
        .expect("authenticator");
        let with_teams = app
            .app
            .clone()
            .with_teams(Arc::new(auth), Connector::new(settings).expect("connector"));
        let bot = Bot {
            router: with_teams.router.clone(),
            worker: with_teams.worker(fast_delivery()),
            app,
            authority,
            connector,
            ids: AtomicU64::new(1),
        };
        // The bot is installed in the managers' channel: Teams told it where that is.
        bot.seen(MANAGERS, HOME_TENANT).await;
        bot
    }

    async fn seen(&self, conversation: &str, tenant: &str) {
        let sighting = TeamsSighting {
            conversation_id: conversation.into(),
            conversation_type: "channel".into(),
            tenant_id: tenant.into(),
            service_url: self.connector.service_url(),
            users: vec![TeamsPerson {
                id: MANAGER.id.into(),
                aad_object_id: Some(MANAGER.aad.into()),
            }],
        };
        let now = self.app.app.clock.now_ms();
        self.app
            .store
            .record_teams_sighting(&sighting, now)
            .await
            .expect("recorded");
    }

    /// The message activity `who` sends at `place` saying `text` (in a channel, after the
    /// bot's mention).
    fn message(&self, who: Person, place: Place, text: &str) -> Value {
        let id = format!("1700000000{:03}", self.ids.fetch_add(1, Ordering::SeqCst));
        let bot = format!("28:{APP_ID}");
        let (conversation, kind, text, entities) = match place {
            Place::Channel(channel) => (
                format!("{channel};messageid={id}"),
                "channel",
                format!("<at>partnerbot</at> {text}"),
                json!([{ "type": "mention", "text": "<at>partnerbot</at>", "mentioned": { "id": bot, "name": "partnerbot" } }]),
            ),
            Place::Personal => (
                format!("a:{}-chat", &who.id[3..]),
                "personal",
                text.to_string(),
                json!([]),
            ),
        };
        json!({
            "type": "message", "id": id, "channelId": "msteams",
            "serviceUrl": self.connector.service_url(), "text": text, "textFormat": "plain",
            "from": { "id": who.id, "name": who.id, "aadObjectId": who.aad },
            "recipient": { "id": bot, "name": "partnerbot" },
            "conversation": { "id": conversation, "conversationType": kind, "tenantId": who.tenant },
            "channelData": { "tenant": { "id": who.tenant } },
            "entities": entities,
        })
    }

    /// Posts `activity`, signed by the token authority.
    async fn post(&self, activity: &Value) -> StatusCode {
        let token = self
            .authority
            .token(
                APP_ID,
                &self.connector.service_url(),
                self.app.app.clock.now().timestamp(),
            )
            .expect("token");
        post_activity(&self.router, bearer(&token), activity).await
    }

    /// `who` types `text` at `place`; everything queued is delivered. The activity sent.
    async fn say(&self, who: Person, place: Place, text: &str) -> Value {
        let activity = self.message(who, place, text);
        assert_eq!(self.post(&activity).await, StatusCode::OK, "{text}");
        self.deliver().await;
        activity
    }

    /// `who` types `text` at `place`: the texts of what they were answered.
    async fn asks(&self, who: Person, place: Place, text: &str) -> Vec<String> {
        self.say(who, place, text).await;
        self.last_answer(who)
    }

    async fn deliver(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.app.store.outbox_depth().await.expect("depth") > 0 {
            if tokio::time::Instant::now() > deadline {
                let pending = self.app.store.list_outbox(OutboxFilter::Pending, 20).await;
                panic!("outbox did not drain: {pending:?}");
            }
            if self.worker.run_once().await.expect("round") == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let failed = self
            .app
            .store
            .list_outbox(OutboxFilter::Failed, 50)
            .await
            .expect("list");
        assert!(failed.is_empty(), "failed deliveries: {failed:?}");
    }

    /// Every activity the Connector recorded as posted in `conversation` (its reply chains too).
    fn posted_in(&self, conversation: &str) -> Vec<Recorded> {
        self.connector
            .recorded()
            .into_iter()
            .filter(|r| r.op == Op::Create)
            .filter(|r| r.conversation.split(';').next() == Some(conversation))
            .collect()
    }

    /// What `who` was answered, privately: their personal chat with the bot and the 1:1s the
    /// bot opened with them.
    fn answers_to(&self, who: Person) -> Vec<Recorded> {
        let personal = format!("a:{}-chat", &who.id[3..]);
        let one_to_one = format!("a:1:1-{}", who.id);
        self.connector
            .recorded()
            .into_iter()
            .filter(|r| r.op == Op::Create)
            .filter(|r| r.conversation == personal || r.conversation == one_to_one)
            .collect()
    }

    /// The texts of `who`'s latest answer (summary and every string of its card).
    fn last_answer(&self, who: Person) -> Vec<String> {
        let answers = self.answers_to(who);
        let last = answers.last().expect("an answer");
        strings(&last.body)
    }

    async fn count(&self, table: CountTable) -> i64 {
        self.app.store.count(table).await.expect("count")
    }

    /// The manager links `channel` (typed there, from `tenant`) to partner `name`.
    async fn link(&self, name: &str, channel: &'static str, tenant: &'static str) {
        let manager = Person { tenant, ..MANAGER };
        self.say(
            manager,
            Place::Channel(channel),
            &format!("partners add {name} type=reseller"),
        )
        .await;
        let linked = self
            .app
            .store
            .partner_by_channel(channel)
            .await
            .expect("read")
            .expect("linked");
        assert_eq!(
            linked.conversation.platform,
            partnerbot::chat::Platform::Teams
        );
        assert_eq!(linked.workspace.as_deref(), Some(tenant));
    }
}

fn says(texts: &[String], wanted: &str) -> bool {
    texts.iter().any(|t| t.contains(wanted))
}

/// A partner registers in one line from their channel: the channel gets the confirmation, the
/// managers the review card, and the answer goes to the person only (a 1:1). The same activity
/// delivered again registers nothing.
async fn a_one_line_registration_in_a_partner_channel(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    let answer = bot.last_answer(MANAGER);
    assert!(
        says(&answer, "Linked this channel to Globex (reseller partner)"),
        "{answer:?}"
    );
    let welcome = bot.posted_in(GLOBEX);
    assert_eq!(welcome.len(), 1, "the welcome only");
    assert!(says(
        &strings(&welcome[0].body),
        "This channel is now linked to"
    ));

    let activity = bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;
    assert_eq!(bot.count(CountTable::Deals).await, 1);
    let channel = bot.posted_in(GLOBEX);
    assert_eq!(channel.len(), 2, "welcome and confirmation");
    let confirmation = strings(&channel[1].body);
    assert!(says(&confirmation, "D-1"), "{confirmation:?}");
    assert!(
        !says(&confirmation, "✅ Registered"),
        "the answer is not in the channel"
    );
    let review = bot.posted_in(MANAGERS);
    assert_eq!(review.len(), 1, "the review card");
    assert!(says(&strings(&review[0].body), "Globex"));
    let answers = bot.answers_to(ALICE);
    assert_eq!(answers.len(), 1);
    assert_eq!(
        answers[0].conversation,
        format!("a:1:1-{}", ALICE.id),
        "a 1:1"
    );
    let answer = strings(&answers[0].body);
    assert!(says(&answer, "✅ Registered **D-1**"), "{answer:?}");

    // Teams delivers the same activity again: acknowledged, nothing registered or sent.
    assert_eq!(bot.post(&activity).await, StatusCode::OK);
    bot.deliver().await;
    assert_eq!(bot.count(CountTable::Deals).await, 1);
    assert_eq!(bot.posted_in(GLOBEX).len(), 2);
    assert_eq!(bot.answers_to(ALICE).len(), 1);

    // Typed again (a new activity): the team already holds the customer.
    bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;
    assert_eq!(bot.count(CountTable::Deals).await, 1);
    assert!(says(
        &bot.last_answer(ALICE),
        "already registered by your team"
    ));
}
on_both_databases!(a_one_line_registration_in_a_partner_channel);

/// The same activity id, handled again after a failure forgot it, finds its registration: the
/// activity id is the registration's idempotency key.
async fn a_registration_is_keyed_by_its_activity(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    let activity = bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;
    let id = activity["id"].as_str().expect("id");
    // What `POST /teams/messages` does when handling fails after the registration committed.
    bot.app
        .store
        .forget_event(&format!("teams:{id}"))
        .await
        .expect("forgotten");
    assert_eq!(bot.post(&activity).await, StatusCode::OK);
    bot.deliver().await;
    assert_eq!(bot.count(CountTable::Deals).await, 1);
    assert_eq!(bot.posted_in(GLOBEX).len(), 2, "no second confirmation");
    let answers = bot.answers_to(ALICE);
    assert_eq!(answers.len(), 2);
    assert!(says(
        &strings(&answers[1].body),
        "Already registered **D-1**"
    ));
}
on_both_databases!(a_registration_is_keyed_by_its_activity);

/// Listing and showing follow the privacy rules: a partner sees its own deals only, and a
/// user of a third tenant in a partner's channel is refused.
async fn list_and_show_keep_partners_apart(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    bot.link("Initech", INITECH, INITECH_TENANT).await;
    bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;
    bot.say(
        BOB,
        Place::Channel(INITECH),
        "deal register Umbrella umbrella.com 7000 EUR",
    )
    .await;

    let list = bot.asks(ALICE, Place::Channel(GLOBEX), "deal list").await;
    assert!(says(&list, "Acme"), "{list:?}");
    assert!(!says(&list, "Umbrella"), "{list:?}");
    let shown = bot.asks(ALICE, Place::Personal, "deal show D-2").await;
    assert!(
        says(&shown, "There is no deal D\\-2 that you can see."),
        "{shown:?}"
    );
    assert!(!says(&shown, "Umbrella"));
    assert!(says(
        &bot.asks(BOB, Place::Channel(INITECH), "deal show D-2")
            .await,
        "Umbrella"
    ));

    let before = bot.posted_in(GLOBEX).len();
    let refused = bot.asks(MALLORY, Place::Channel(GLOBEX), "deal list").await;
    assert!(
        says(&refused, "This channel is not linked to a partner yet"),
        "{refused:?}"
    );
    assert!(!says(&refused, "Acme"));
    bot.say(
        MALLORY,
        Place::Channel(GLOBEX),
        "deal register Evil evil.com 1 USD",
    )
    .await;
    assert_eq!(bot.count(CountTable::Deals).await, 2);
    assert_eq!(
        bot.posted_in(GLOBEX).len(),
        before,
        "nothing said in the channel"
    );

    // The manager sees every partner's deals.
    let manager = Person {
        tenant: GLOBEX_TENANT,
        ..MANAGER
    };
    bot.say(manager, Place::Personal, "deal show D-2").await;
    assert!(says(&bot.last_answer(MANAGER), "Initech"));
}
on_both_databases!(list_and_show_keep_partners_apart);

/// `partners add` links the channel it is typed in when a manager types it, and only then.
async fn only_a_manager_links_a_channel(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.say(
        ALICE,
        Place::Channel(GLOBEX),
        "partners add Globex type=reseller",
    )
    .await;
    assert!(says(
        &bot.last_answer(ALICE),
        "Only partner managers can do that."
    ));
    assert_eq!(bot.count(CountTable::Partners).await, 0);
    assert!(bot.posted_in(GLOBEX).is_empty());

    bot.say(
        MANAGER,
        Place::Personal,
        "partners add Globex type=reseller",
    )
    .await;
    assert!(says(&bot.last_answer(MANAGER), "in the partner's channel"));
    assert_eq!(bot.count(CountTable::Partners).await, 0);

    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    assert_eq!(bot.count(CountTable::Partners).await, 1);
    let list = bot.asks(MANAGER, Place::Personal, "partners list").await;
    assert!(says(&list, "1 partner"), "{list:?}");
    assert!(says(&list, "**Globex** · reseller"), "{list:?}");
    assert!(says(
        &bot.asks(ALICE, Place::Channel(GLOBEX), "partners list")
            .await,
        "Only partner managers can do that."
    ));
}
on_both_databases!(only_a_manager_links_a_channel);

/// The bot's mention and the HTML Teams wraps text in are removed before the command is read;
/// help and greetings answer with the commands as typed in Teams.
async fn mentions_html_and_help(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    let mut activity = bot.message(ALICE, Place::Channel(GLOBEX), "");
    activity["text"] =
        "<p><at>partnerbot</at>&nbsp;deal register <b>Smith &amp; Sons</b> smith.com 5000</p>"
            .into();
    assert_eq!(bot.post(&activity).await, StatusCode::OK);
    bot.deliver().await;
    let answer = bot.last_answer(ALICE);
    assert!(says(&answer, "Registered D-1: Smith & Sons"), "{answer:?}");

    let help = bot.asks(ALICE, Place::Channel(GLOBEX), "deal help").await;
    assert!(says(&help, "**deal register**"), "{help:?}");
    assert!(
        !says(&help, "partners add"),
        "partners see their commands only"
    );
    assert!(
        !help.iter().any(|t| t.contains("/deal")),
        "no slash commands in Teams"
    );
    let greeting = bot.asks(MANAGER, Place::Personal, "hello").await;
    assert!(says(&greeting, "Hi! I run the partner program here."));
    assert!(says(&greeting, "**partners add**"), "managers see theirs");

    // A mention alone asks nothing and is answered with nothing.
    let before = bot.answers_to(ALICE).len();
    bot.say(ALICE, Place::Channel(GLOBEX), "").await;
    assert_eq!(bot.answers_to(ALICE).len(), before);
}
on_both_databases!(mentions_html_and_help);

/// A malformed command gets the exact refusal, worded for Teams (no slash), and commands that
/// open a form in Slack answer with the card whose button opens it.
async fn refusals_and_form_buttons(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    bot.say(ALICE, Place::Personal, "deal show").await;
    let answer = bot.answers_to(ALICE).pop().expect("answer").body;
    assert_eq!(answer["summary"], "Which deal? Use deal show D-42.");
    assert_eq!(
        answer["attachments"][0]["content"]["body"][0]["text"],
        "Which deal? Use **deal show D\\-42**."
    );
    bot.say(ALICE, Place::Channel(GLOBEX), "deal list page <b>x</b>")
        .await;
    assert_eq!(
        bot.answers_to(ALICE).pop().expect("answer").body["summary"],
        "“x” is not a page number: try deal list page 2"
    );
    let help = bot
        .asks(ALICE, Place::Channel(GLOBEX), "deal frobnicate")
        .await;
    assert!(
        says(
            &help,
            "I don't know “deal frobnicate”. Here is what I can do:"
        ),
        "{help:?}"
    );
    let errors = bot
        .asks(ALICE, Place::Channel(GLOBEX), "deal register Acme")
        .await;
    assert!(
        says(&errors, "Nothing was registered. Please fix:"),
        "{errors:?}"
    );
    assert_eq!(bot.count(CountTable::Deals).await, 0);

    bot.say(ALICE, Place::Channel(GLOBEX), "deal register")
        .await;
    let prompt = bot.answers_to(ALICE).pop().expect("answer").body;
    let button = &prompt["attachments"][0]["content"]["actions"][0];
    assert_eq!(button["data"]["msteams"]["type"], "task/fetch");
    assert_eq!(button["data"]["conversation"], GLOBEX);

    bot.say(
        ALICE,
        Place::Channel(GLOBEX),
        "deal register Acme acme.com 5000",
    )
    .await;
    bot.say(ALICE, Place::Channel(GLOBEX), "deal update D-1")
        .await;
    let update = bot.answers_to(ALICE).pop().expect("answer").body;
    let button = &update["attachments"][0]["content"]["actions"][0];
    assert_eq!(button["verb"], "update_deal");
    assert_eq!(button["data"]["deal"], 1);
    bot.say(
        ALICE,
        Place::Channel(GLOBEX),
        "deal update D-1 stage=proposal",
    )
    .await;
    assert!(says(&bot.last_answer(ALICE), "D-1"));
}
on_both_databases!(refusals_and_form_buttons);

/// A manager's program commands answer the manager only; a partner asking them is refused.
async fn managers_run_the_program_from_teams(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;

    let check = bot
        .asks(MANAGER, Place::Personal, "partners check Acme acme.com")
        .await;
    assert!(says(&check, "for “Acme” (acme.com)"), "{check:?}");
    assert!(
        says(&check, "Globex"),
        "managers see who holds it: {check:?}"
    );
    let stats = bot
        .asks(MANAGER, Place::Personal, "partners stats 30d")
        .await;
    assert!(says(&stats, "Registrations"), "{stats:?}");
    let survey = bot
        .asks(MANAGER, Place::Personal, "partners survey now")
        .await;
    assert!(
        says(&survey, "Survey round 1 is open: 1 partner user(s) asked"),
        "{survey:?}"
    );
    let invited = bot.answers_to(ALICE).into_iter().map(|a| strings(&a.body));
    assert!(
        invited.flatten().any(|t| t.contains("How likely")),
        "Alice is asked in her 1:1"
    );
    let refused = bot
        .asks(ALICE, Place::Channel(GLOBEX), "partners check Acme")
        .await;
    assert!(says(&refused, "Only partner managers can do that."));
    assert!(!says(&refused, "Globex"));
}
on_both_databases!(managers_run_the_program_from_teams);

/// A Slack partner and a Teams partner register one customer: the first is clear, the second a
/// conflict that names the first, and the managers (in Teams) get both cards.
async fn a_slack_partner_and_a_teams_partner_on_one_customer(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.app
        .link("Globex", "reseller", "C0GLOBEX", "T0GLOBEX")
        .await;
    bot.link("Initech", INITECH, INITECH_TENANT).await;
    let first = bot.app.deal(&alice(), "register Acme acme.com 5000").await;
    assert!(first.to_string().contains("pending review"), "{first}");
    bot.deliver().await;
    let answer = bot.asks(BOB, Place::Channel(INITECH), REGISTER_ACME).await;
    assert!(says(&answer, "co-sell"), "{answer:?}");
    let cards: Vec<Vec<String>> = bot
        .posted_in(MANAGERS)
        .iter()
        .map(|r| strings(&r.body))
        .filter(|t| says(t, "registered"))
        .collect();
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert!(says(&cards[1], "Conflict"), "{:?}", cards[1]);
    assert!(
        says(&cards[1], "Globex"),
        "the conflict names the Slack partner"
    );
    // The Slack partner's confirmation went to Slack, the Teams partner's to its channel.
    assert_eq!(
        bot.app.posted_to("C0GLOBEX").len(),
        2,
        "welcome and confirmation"
    );
    assert!(bot
        .posted_in(INITECH)
        .iter()
        .any(|r| says(&strings(&r.body), "conflict")));
}
on_both_databases!(a_slack_partner_and_a_teams_partner_on_one_customer);

/// A quiet Teams partner is nudged in its channel, with the button that opens the form.
async fn a_quiet_teams_partner_is_nudged_in_its_channel(db: Db) {
    use chrono::{Datelike, Timelike};
    let bot = Bot::spawn(db).await;
    bot.link("Initech", INITECH, INITECH_TENANT).await;
    let clock = bot.app.app.clock.clone();
    let mut at = (clock.now() + chrono::Duration::days(65))
        .with_hour(10)
        .and_then(|t| t.with_minute(0))
        .expect("time");
    while at.weekday() != chrono::Weekday::Tue {
        at += chrono::Duration::days(1);
    }
    clock.advance(at - clock.now());
    let ran = partnerbot::jobs::run_job(
        &bot.app.app.service,
        partnerbot::jobs::JobKind::NudgePartners,
        at,
    )
    .await
    .expect("nudges");
    assert!(ran.starts_with("1 nudged"), "{ran}");
    bot.deliver().await;
    let nudge = bot.posted_in(INITECH).into_iter().last().expect("a nudge");
    let texts = strings(&nudge.body);
    assert!(says(&texts, "It's been a while"), "{texts:?}");
    assert!(
        nudge.body.to_string().contains("task/fetch"),
        "a Register a deal button"
    );
}
on_both_databases!(a_quiet_teams_partner_is_nudged_in_its_channel);

/// A manager in Teams gets the weekly digest in a 1:1 chat: one card, its chart inside.
async fn a_teams_manager_gets_the_digest_as_one_card_with_its_chart(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.link("Globex", GLOBEX, GLOBEX_TENANT).await;
    bot.say(ALICE, Place::Channel(GLOBEX), REGISTER_ACME).await;
    let before = bot.answers_to(MANAGER).len();
    let sent = bot
        .app
        .app
        .service
        .send_digest_now(MANAGER.aad)
        .await
        .expect("digest");
    assert!(sent.contains("on its way"), "{sent}");
    bot.deliver().await;
    let digest: Vec<Recorded> = bot.answers_to(MANAGER).split_off(before);
    assert_eq!(digest.len(), 1, "one card, not a message and a chart");
    let card = digest[0].body.to_string();
    assert!(
        card.contains("data:image/png;base64,"),
        "the chart is inside the card"
    );
    assert!(
        card.len() <= partnerbot::teams::cards::CARD_BUDGET_BYTES + 2_000,
        "within the card budget"
    );
}
on_both_databases!(a_teams_manager_gets_the_digest_as_one_card_with_its_chart);

/// A manager names a Teams partner's admins by mentioning them in the partner's channel; a tier
/// change then reaches each admin privately (a 1:1 with the bot), never the shared channel.
async fn a_teams_partners_admins_are_named_by_mention_and_told_privately(db: Db) {
    let bot = Bot::spawn(db).await;
    bot.seen(GLOBEX, GLOBEX_TENANT).await;
    bot.app
        .app
        .service
        .add_partner(
            &partnerbot::service::Requester::Cli,
            partnerbot::service::PartnerLink {
                name: "Globex",
                partner_type: "reseller",
                conversation: &partnerbot::chat::Conversation::new(
                    partnerbot::chat::Platform::Teams,
                    GLOBEX,
                ),
                workspace: Some(GLOBEX_TENANT.into()),
                tier: Some("gold"),
            },
        )
        .await
        .expect("gold partner");
    bot.deliver().await;
    let manager = Person {
        tenant: GLOBEX_TENANT,
        ..MANAGER
    };
    let mut activity = bot.message(
        manager,
        Place::Channel(GLOBEX),
        "partners admins P-1 <at>Alice</at>",
    );
    activity["entities"]
        .as_array_mut()
        .expect("entities")
        .push(json!({ "type": "mention", "text": "<at>Alice</at>",
            "mentioned": { "id": ALICE.id, "name": "Alice", "aadObjectId": ALICE.aad } }));
    assert_eq!(bot.post(&activity).await, StatusCode::OK);
    bot.deliver().await;
    let named = bot.last_answer(manager);
    assert!(
        says(&named, &format!("Globex (P-1) admins: {}", ALICE.aad)),
        "{named:?}"
    );
    let refused = bot
        .asks(
            ALICE,
            Place::Channel(GLOBEX),
            "partners admins P-1 29:mallory",
        )
        .await;
    assert!(
        says(&refused, "Only partner managers can do that."),
        "{refused:?}"
    );
    let admins = bot
        .app
        .store
        .partner_admins(partnerbot::domain::PartnerId(1))
        .await
        .expect("admins");
    assert_eq!(admins, [ALICE.aad]);
    let list = bot.asks(MANAGER, Place::Personal, "partners list").await;
    assert!(says(&list, "reseller · P\\-1 · tier gold"), "{list:?}");
    assert!(
        says(&list, &format!("admins {}", ALICE.aad.replace('-', "\\-"))),
        "{list:?}"
    );

    // A year on with no revenue, Globex's gold tier is under review (a heads-up).
    let before = bot.posted_in(GLOBEX).len();
    let later = bot.app.app.clock.now() + chrono::Duration::days(400);
    partnerbot::jobs::run_job(
        &bot.app.app.service,
        partnerbot::jobs::JobKind::RecomputeTiers,
        later,
    )
    .await
    .expect("tier review");
    bot.deliver().await;
    assert_eq!(
        bot.posted_in(GLOBEX).len(),
        before,
        "nothing in the shared channel"
    );
    let told = bot.last_answer(ALICE);
    assert!(says(&told, "Heads-up"), "{told:?}");
    let summary: Vec<String> = bot
        .posted_in(MANAGERS)
        .iter()
        .flat_map(|r| strings(&r.body))
        .collect();
    assert!(says(&summary, "Globex: stays gold"), "{summary:?}");
}
on_both_databases!(a_teams_partners_admins_are_named_by_mention_and_told_privately);
