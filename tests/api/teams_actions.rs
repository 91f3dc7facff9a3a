//! Teams dialogs and Universal Actions, end to end: signed invoke activities (the offline token
//! authority) through the real router and service, answered in the HTTP response, and the
//! outbox delivered through the Connector emulator (`partnerbot::teams::connector_emulator`).
//!
//! A partner registers through the dialog (an error shown under its field, the values kept;
//! a resubmitted invoke never registers twice); a manager approves with `Action.Execute` and
//! gets the card as it now is while the outbox updates it for everyone; a rejection needs a
//! reason; a partner cannot decide; an AE (or manager) answers an alert; survey scores and
//! follow-ups; an extension is asked for on the card and granted.

use crate::helpers::*;
use crate::on_both_databases;
use crate::teams_auth::{APP_ID, TENANT};
use axum::body::Body;
use axum::http::Request;
use partnerbot::chat::{Conversation, Platform};
use partnerbot::config::Program;
use partnerbot::domain::account::AccountRow;
use partnerbot::domain::{DealId, DealStatus};
use partnerbot::service::Requester;
use partnerbot::store::{CountTable, TeamsPerson, TeamsSighting};
use partnerbot::teams::cards::{CARD_BUDGET_BYTES, CARD_CONTENT_TYPE};
use partnerbot::teams::connector_emulator::{ConnectorEmulator, Op, Recorded};
use partnerbot::teams::emulator::TokenAuthority;
use partnerbot::teams::{Authenticator, TeamsSettings};
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

const PARTNER_TENANT: &str = "0d4e1f2a-3b5c-4d6e-8f7a-9b0c1d2e3f4a";
const SECRET: &str = "actions-test-secret";
const PARTNER_CHANNEL: &str = "19:contoso-deals@thread.tacv2";
const MANAGERS: &str = "19:partner-managers@thread.tacv2";
/// The manager's Entra object id (what the program file names) and Teams id.
const MANAGER_AAD: &str = "b1a6c0de-0000-4000-8000-00000000aa01";
const MANAGER_ID: &str = "29:manager";
/// The partner's user.
const PARTNER_AAD: &str = "c2b7d1ef-0000-4000-8000-00000000bb02";
const PARTNER_ID: &str = "29:partner";
/// An AE on Teams.
const AE_AAD: &str = "d3c8e2f0-0000-4000-8000-00000000cc03";
const AE_ID: &str = "29:ae";

/// The app with Teams on, managers on Teams, a Teams partner, and the Connector emulator.
struct Teams {
    app: TestApp,
    authority: TokenAuthority,
    connector: ConnectorEmulator,
    teams_app: partnerbot::app::App,
    next: std::sync::atomic::AtomicU64,
}

/// Who sends an activity, from where.
#[derive(Clone)]
struct From {
    id: &'static str,
    aad: &'static str,
    tenant: &'static str,
    conversation: String,
    kind: &'static str,
}

impl From {
    /// The same person in their personal chat `conversation` with the bot.
    fn in_chat(&self, conversation: &str) -> From {
        From {
            conversation: conversation.into(),
            kind: "personal",
            ..self.clone()
        }
    }
}

/// The partner's user in the partner's channel.
fn partner() -> From {
    From {
        id: PARTNER_ID,
        aad: PARTNER_AAD,
        tenant: PARTNER_TENANT,
        conversation: PARTNER_CHANNEL.into(),
        kind: "channel",
    }
}

/// The manager in the managers' channel.
fn boss() -> From {
    From {
        id: MANAGER_ID,
        aad: MANAGER_AAD,
        tenant: TENANT,
        conversation: MANAGERS.into(),
        kind: "channel",
    }
}

impl Teams {
    async fn spawn(db: Db) -> Teams {
        let mut program = Program::default();
        program.managers.slack_users = Vec::new();
        program.managers.teams_users = vec![MANAGER_AAD.into()];
        program.managers.teams_channel = Some(MANAGERS.into());
        let app = TestApp::spawn_with_program(db, program).await;
        let authority = TokenAuthority::start().await.expect("authority");
        let connector = ConnectorEmulator::start(TENANT, APP_ID, SECRET)
            .await
            .expect("connector emulator");
        let (metadata, token_url) = (authority.metadata_url(), connector.token_url());
        let service_url = connector.service_url();
        let settings = TeamsSettings::from_lookup(&|k| match k {
            "MICROSOFT_APP_ID" => Some(APP_ID.into()),
            "MICROSOFT_APP_PASSWORD" => Some(SECRET.into()),
            "MICROSOFT_APP_TENANT_ID" => Some(TENANT.into()),
            "TEAMS_OPENID_METADATA_URL" => Some(metadata.clone()),
            "TEAMS_TOKEN_URL" => Some(token_url.clone()),
            "TEAMS_ALLOWED_SERVICE_URLS" => Some(service_url.clone()),
            _ => None,
        })
        .expect("settings")
        .expect("Teams on");
        let connector_client =
            partnerbot::teams::Connector::new(settings.clone()).expect("connector");
        let auth = Authenticator::new(settings, app.app.clock.clone(), [PARTNER_TENANT.into()])
            .expect("authenticator");
        let teams_app = app.app.clone().with_teams(Arc::new(auth), connector_client);
        app.app
            .service
            .add_partner(
                &Requester::Cli,
                partnerbot::service::PartnerLink {
                    name: "Contoso Resellers",
                    partner_type: "reseller",
                    conversation: &Conversation::new(Platform::Teams, PARTNER_CHANNEL),
                    workspace: Some(PARTNER_TENANT.into()),
                    tier: None,
                },
            )
            .await
            .expect("partner links");
        let t = Teams {
            app,
            authority,
            connector,
            teams_app,
            next: Default::default(),
        };
        // The bot was added to the managers' channel (so the review card has somewhere to go).
        t.seen(MANAGERS, "channel", TENANT, (MANAGER_ID, MANAGER_AAD))
            .await;
        t
    }

    async fn seen(&self, conversation: &str, kind: &str, tenant: &str, who: (&str, &str)) {
        let seen = TeamsSighting {
            conversation_id: conversation.into(),
            conversation_type: kind.into(),
            tenant_id: tenant.into(),
            service_url: self.connector.service_url(),
            users: vec![TeamsPerson {
                id: who.0.into(),
                aad_object_id: Some(who.1.into()),
            }],
        };
        let now = self.app.app.clock.now_ms();
        self.app
            .store
            .record_teams_sighting(&seen, now)
            .await
            .expect("recorded");
    }

    /// A fresh activity id.
    fn id(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("f:invoke-{n}")
    }

    /// An invoke activity `name` with `value`, from `from`, answering `reply_to`.
    fn invoke(&self, id: &str, from: &From, name: &str, value: Value, reply_to: &str) -> Value {
        json!({
            "type": "invoke", "name": name, "id": id, "channelId": "msteams",
            "serviceUrl": self.connector.service_url(),
            "from": { "id": from.id, "aadObjectId": from.aad, "name": "Someone" },
            "recipient": { "id": format!("28:{APP_ID}"), "name": "partnerbot" },
            "conversation": { "id": from.conversation, "conversationType": from.kind, "tenantId": from.tenant },
            "channelData": { "tenant": { "id": from.tenant } },
            "replyToId": reply_to,
            "value": value,
        })
    }

    /// Sends `activity`, signed; the HTTP status must be 200 and the body is the answer.
    async fn send(&self, activity: &Value) -> Value {
        let now = self.app.app.clock.now().timestamp();
        let token = self
            .authority
            .token(APP_ID, &self.connector.service_url(), now)
            .expect("token");
        let request = Request::post("/teams/messages")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(activity.to_string()))
            .expect("request");
        let response = self
            .teams_app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        assert_eq!(response.status(), 200, "{activity}");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("a JSON answer")
    }

    /// `Action.Execute` of `verb` with `data`, by `from`, on the card `reply_to`.
    async fn click(&self, from: &From, verb: &str, data: Value, reply_to: &str) -> Value {
        let value = json!({ "action": { "type": "Action.Execute", "verb": verb, "data": data }, "trigger": "manual" });
        let activity = self.invoke(&self.id(), from, "adaptiveCard/action", value, reply_to);
        self.send(&activity).await
    }

    /// Opens the registration dialog as the partner; the dialog's card.
    async fn open_registration(&self) -> Value {
        let data = json!({ "msteams": { "type": "task/fetch" }, "flow": "register_deal", "conversation": PARTNER_CHANNEL });
        let fetch = self.invoke(
            &self.id(),
            &partner(),
            "task/fetch",
            json!({ "data": data }),
            "",
        );
        let answer = self.send(&fetch).await;
        assert_eq!(answer["task"]["type"], "continue", "{answer}");
        let card = &answer["task"]["value"]["card"];
        assert_eq!(card["contentType"], CARD_CONTENT_TYPE);
        assert_eq!(card["content"]["version"], "1.5");
        card["content"].clone()
    }

    /// The submit invoke of the registration dialog `card` with `form`'s values (`id` kept,
    /// so that it can be sent again as Teams would).
    fn submission(&self, id: &str, card: &Value, form: &[(&str, &str)]) -> Value {
        let mut data = card["actions"][0]["data"].clone();
        for (k, v) in form {
            data[*k] = (*v).into();
        }
        self.invoke(id, &partner(), "task/submit", json!({ "data": data }), "")
    }

    /// Registers "Acme Rockets" through the dialog; the deal's number.
    async fn register(&self) -> i64 {
        let card = self.open_registration().await;
        let form = valid_form("Acme Rockets");
        let submit = self.submission(&self.id(), &card, &as_refs(&form));
        let answer = self.send(&submit).await;
        assert_eq!(answer["task"]["type"], "message", "{answer}");
        let deals = self
            .app
            .store
            .count(CountTable::Deals)
            .await
            .expect("count");
        assert!(deals >= 1);
        deals
    }

    async fn deal(&self, id: i64) -> partnerbot::domain::Deal {
        self.app
            .store
            .deal(DealId(id))
            .await
            .expect("read")
            .expect("the deal exists")
    }

    /// Delivers the whole outbox through the Connector emulator.
    async fn deliver(&self) {
        let worker = self.teams_app.worker(fast_delivery());
        self.app.deliver_with(&worker).await;
        let failed = self
            .app
            .store
            .list_outbox(partnerbot::store::OutboxFilter::Failed, 20)
            .await
            .expect("failed rows");
        assert!(failed.is_empty(), "{failed:?}");
    }

    /// Committed Connector calls of `op` in `conversation` (a reply chain counts as its
    /// channel).
    fn recorded(&self, op: Op, conversation: &str) -> Vec<Recorded> {
        self.connector
            .recorded()
            .into_iter()
            .filter(|r| r.op == op && r.conversation.split(';').next() == Some(conversation))
            .collect()
    }

    /// The one card posted (anywhere) with a button of `verb`.
    fn with_button(&self, verb: &str) -> Recorded {
        let found: Vec<Recorded> = self
            .connector
            .recorded()
            .into_iter()
            .filter(|r| r.op == Op::Create && verbs(&r.body).iter().any(|v| v == verb))
            .collect();
        assert_eq!(found.len(), 1, "one card with {verb}: {found:?}");
        found[0].clone()
    }

    /// The id of the card posted in `conversation` whose text says `marker`.
    fn posted(&self, conversation: &str, marker: &str) -> String {
        let found: Vec<Recorded> = self
            .recorded(Op::Create, conversation)
            .into_iter()
            .filter(|r| words(&r.body).contains(marker))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one “{marker}” in {conversation}: {found:?}"
        );
        found[0].activity_id.clone()
    }
}

/// Every text on a card, joined, as people read it (markdown escapes removed).
fn words(card: &Value) -> String {
    strings(card).join(" ").replace('\\', "")
}

/// The card an `Action.Execute` answer shows the clicker (checked against Teams' limit).
fn answered_card(answer: &Value) -> Value {
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["type"], CARD_CONTENT_TYPE, "{answer}");
    let card = answer["value"].clone();
    assert!(card.to_string().len() <= CARD_BUDGET_BYTES);
    card
}

/// The message of a refused `Action.Execute`.
fn refusal(answer: &Value) -> String {
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert_eq!(answer["type"], "application/vnd.microsoft.error");
    answer["value"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn verbs(card: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_verbs(card, &mut found);
    found
}

fn collect_verbs(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(verb)) = map.get("verb") {
                found.push(verb.clone());
            }
            map.values().for_each(|x| collect_verbs(x, found));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_verbs(x, found)),
        _ => {}
    }
}

async fn a_partner_registers_through_the_dialog_with_an_inline_error_then_success(db: Db) {
    let t = Teams::spawn(db).await;
    let card = t.open_registration().await;
    let ids: Vec<&str> = card["body"]
        .as_array()
        .expect("body")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"company") && ids.contains(&"contact_email"),
        "{ids:?}"
    );

    // The server refuses an e-mail address the client let through: the form comes back with
    // the error under that field and everything typed kept.
    let mut form = valid_form("Acme Rockets");
    form.retain(|(k, _)| *k != "contact_email");
    form.push(("contact_email", "wile at acme".into()));
    let answer = t.send(&t.submission(&t.id(), &card, &as_refs(&form))).await;
    assert_eq!(answer["task"]["type"], "continue", "{answer}");
    let again = &answer["task"]["value"]["card"]["content"];
    let body = again["body"].as_array().expect("body");
    let at = body
        .iter()
        .position(|e| e["id"] == "contact_email")
        .expect("the field");
    assert_eq!(body[at]["value"], "wile at acme", "what was typed is kept");
    assert_eq!(body[at + 1]["color"], "attention", "{}", body[at + 1]);
    let error = words(&body[at + 1]);
    assert!(error.contains("e-mail"), "{error}");
    let company = body.iter().find(|e| e["id"] == "company").expect("company");
    assert_eq!(company["value"], "Acme Rockets");
    assert_eq!(body.iter().filter(|e| e["color"] == "attention").count(), 1);
    assert_eq!(
        t.app.store.count(CountTable::Deals).await.expect("count"),
        0
    );

    // Corrected and submitted; Teams sends the same invoke again: one deal.
    let form = valid_form("Acme Rockets");
    let submit = t.submission("f:the-submit", again, &as_refs(&form));
    for _ in 0..2 {
        let answer = t.send(&submit).await;
        assert_eq!(answer["task"]["type"], "message", "{answer}");
        let text = answer["task"]["value"].as_str().unwrap_or_default();
        assert!(text.contains("Registered D-1"), "{text}");
    }
    // A second click (another invoke) finds the partner's own registration.
    let twice = t.send(&t.submission(&t.id(), again, &as_refs(&form))).await;
    let text = twice["task"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("already registered"), "{text}");
    assert_eq!(
        t.app.store.count(CountTable::Deals).await.expect("count"),
        1
    );
    let deal = t.deal(1).await;
    assert_eq!(deal.status, DealStatus::PendingReview);
    assert_eq!(deal.registered_by, PARTNER_AAD);

    // The partner's confirmation and the managers' review card are posted once each.
    t.deliver().await;
    t.posted(PARTNER_CHANNEL, "Acme Rockets");
    let review = t.posted(MANAGERS, "New deal registration D-1");
    assert!(!review.is_empty());
}
on_both_databases!(a_partner_registers_through_the_dialog_with_an_inline_error_then_success);

async fn a_manager_approves_with_action_execute_and_the_card_is_updated_for_everyone(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    t.deliver().await;
    let review = t.posted(MANAGERS, "New deal registration D-1");
    assert!(verbs(&t.recorded(Op::Create, MANAGERS)[0].body).contains(&"approve".to_string()));

    let answer = t
        .click(&boss(), "approve", json!({ "deal": 1 }), &review)
        .await;
    let card = answered_card(&answer);
    let text = words(&card);
    assert!(text.contains("**Approved** by"), "{text}");
    assert!(text.contains("protected until"), "{text}");
    assert!(
        verbs(&card).is_empty(),
        "no buttons left: {:?}",
        verbs(&card)
    );
    assert_eq!(t.deal(1).await.status, DealStatus::Approved);

    t.deliver().await;
    // The card is updated in place for everyone (PUT of the same activity), with the same
    // state the clicker saw.
    let updates = t.recorded(Op::Update, MANAGERS);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].activity_id, review);
    assert!(words(&updates[0].body).contains("**Approved** by"));
    assert!(verbs(&updates[0].body).is_empty());
    // The partner is told in their channel.
    t.posted(PARTNER_CHANNEL, "was **approved**");
}
on_both_databases!(a_manager_approves_with_action_execute_and_the_card_is_updated_for_everyone);

async fn a_rejection_needs_a_reason_and_a_partner_cannot_decide(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    t.deliver().await;
    let review = t.posted(MANAGERS, "New deal registration D-1");
    let audit = t.app.store.count(CountTable::Audit).await.expect("count");

    // A partner's user clicking a review button (however they got it) changes nothing.
    let why = refusal(
        &t.click(&partner(), "approve", json!({ "deal": 1 }), &review)
            .await,
    );
    assert!(why.contains("manager"), "{why}");
    // Rejecting without a reason is refused, on the card as it stands.
    let answer = t
        .click(
            &boss(),
            "reject",
            json!({ "deal": 1, "reason": "  " }),
            &review,
        )
        .await;
    let card = answered_card(&answer);
    assert_eq!(card["body"][0]["color"], "attention");
    assert!(
        words(&card).contains("Write a few words"),
        "{}",
        words(&card)
    );
    assert!(verbs(&card).contains(&"reject".to_string()), "still open");
    assert_eq!(t.deal(1).await.status, DealStatus::PendingReview);
    assert_eq!(
        t.app.store.count(CountTable::Audit).await.expect("count"),
        audit
    );
    assert_eq!(t.app.store.outbox_depth().await.expect("depth"), 0);

    let reason = "A direct opportunity is already open";
    let data = json!({ "deal": 1, "reason": reason });
    let card = answered_card(&t.click(&boss(), "reject", data, &review).await);
    assert!(words(&card).contains(reason), "{}", words(&card));
    let deal = t.deal(1).await;
    assert_eq!(deal.status, DealStatus::Rejected);
    assert_eq!(deal.decision_note, reason);
    // A late approval is refused on the card as it now is.
    let late = answered_card(
        &t.click(&boss(), "approve", json!({ "deal": 1 }), &review)
            .await,
    );
    assert_eq!(late["body"][0]["color"], "attention");
    assert_eq!(t.deal(1).await.status, DealStatus::Rejected);
    t.deliver().await;
    t.posted(PARTNER_CHANNEL, reason);
    assert_eq!(t.recorded(Op::Update, MANAGERS).len(), 1);
}
on_both_databases!(a_rejection_needs_a_reason_and_a_partner_cannot_decide);

/// The inputs of a form card with their values, and its button's data, as Teams sends them.
fn filled(card: &Value) -> Value {
    let mut data = card["actions"][0]["data"].clone();
    for input in card["body"].as_array().into_iter().flatten() {
        if let (Some(id), Some(value)) = (input["id"].as_str(), input.get("value")) {
            data[id] = value.clone();
        }
    }
    data
}

async fn a_returned_registration_is_corrected_and_resubmitted_on_the_card(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    t.deliver().await;
    let review = t.posted(MANAGERS, "New deal registration D-1");
    let question = "Who is the economic buyer?";
    let data = json!({ "deal": 1, "reason": question });
    let card = answered_card(&t.click(&boss(), "return", data, &review).await);
    assert!(words(&card).contains(question));
    assert_eq!(t.deal(1).await.status, DealStatus::Returned);
    t.deliver().await;
    let notice = t.with_button("resubmit");
    assert_eq!(notice.conversation.split(';').next(), Some(PARTNER_CHANNEL));

    // Resubmit cannot open a dialog from Action.Execute: the form comes on the card, filled.
    let form = answered_card(
        &t.click(
            &partner(),
            "resubmit",
            json!({ "deal": 1 }),
            &notice.activity_id,
        )
        .await,
    );
    assert_eq!(form["actions"][0]["type"], "Action.Execute");
    let mut data = filled(&form);
    assert_eq!(data["company"], "Acme Rockets");
    data["notes"] = "The CFO signs; she joined the last call.".into();
    let done = answered_card(
        &t.click(&partner(), "resubmit", data, &notice.activity_id)
            .await,
    );
    assert!(words(&done).contains("Resubmitted D-1"), "{}", words(&done));
    let deal = t.deal(1).await;
    assert_eq!(deal.status, DealStatus::PendingReview);
    assert_eq!(deal.notes, "The CFO signs; she joined the last call.");
    t.deliver().await;
    // The managers' card is back with its buttons, for everyone.
    let updates = t.recorded(Op::Update, MANAGERS);
    let last = updates.last().expect("the card was updated");
    assert_eq!(last.activity_id, review);
    assert!(verbs(&last.body).contains(&"approve".to_string()));
}
on_both_databases!(a_returned_registration_is_corrected_and_resubmitted_on_the_card);

async fn an_ae_answers_the_alert_on_their_account(db: Db) {
    let t = Teams::spawn(db).await;
    // The AE on Teams owns Acme Rockets; the bot met them in the managers' channel.
    t.seen(MANAGERS, "channel", TENANT, (AE_ID, AE_AAD)).await;
    let row = AccountRow {
        name: "Acme Rockets Inc.".into(),
        domains: "acme-rockets.com".into(),
        owner: AE_AAD.into(),
        territory: "NA".into(),
        open_opportunity: "yes".into(),
        crm_id: "0015000077".into(),
    };
    let report = t
        .app
        .app
        .service
        .import_accounts(&[(2, row)], NO_DIRECTORY)
        .await
        .expect("import");
    assert_eq!(report.created, 1);
    t.register().await;
    assert_eq!(t.deal(1).await.status, DealStatus::Conflict);
    t.deliver().await;
    let alert = t.with_button("ae_ack");
    let ae = From {
        id: AE_ID,
        aad: AE_AAD,
        tenant: TENANT,
        conversation: alert.conversation.clone(),
        kind: "personal",
    };
    // Only the alerted AE (or a manager) may answer; a partner learns nothing.
    let why = refusal(
        &t.click(&partner(), "ae_cosell", json!({ "deal": 1 }), "x")
            .await,
    );
    assert!(why.contains("D-1"), "{why}");
    let audit = t.app.store.count(CountTable::Audit).await.expect("count");
    let card = answered_card(
        &t.click(&ae, "ae_cosell", json!({ "deal": 1 }), &alert.activity_id)
            .await,
    );
    assert!(
        words(&card).contains("Recorded “Propose co-sell” for D-1"),
        "{}",
        words(&card)
    );
    assert_eq!(
        t.app.store.count(CountTable::Audit).await.expect("count"),
        audit + 1
    );
    t.deliver().await;
    t.posted(MANAGERS, "answered **Propose co-sell**");
}
on_both_databases!(an_ae_answers_the_alert_on_their_account);

async fn a_survey_score_is_recorded_and_a_detractor_follow_up_marked_handled(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    t.deliver().await;
    let now = t.app.app.clock.now();
    t.app
        .app
        .service
        .open_survey("system", now)
        .await
        .expect("round opens");
    t.deliver().await;
    // The question went to the partner's user in a 1:1.
    let chat = t.with_button("survey_score");
    let personal = chat.conversation.as_str();
    let in_chat = partner().in_chat(personal);
    let score = |n: u8| json!({ "round": 1, "score": n });
    let card = answered_card(
        &t.click(&in_chat, "survey_score", score(9), &chat.activity_id)
            .await,
    );
    let text = words(&card);
    assert!(
        text.contains("You answered **9**") && text.contains("9 ✓"),
        "{text}"
    );
    // Changed to a detractor score: the partner manager gets a follow-up.
    let card = answered_card(
        &t.click(&in_chat, "survey_score", score(3), &chat.activity_id)
            .await,
    );
    assert!(words(&card).contains("3 ✓"));
    let comment = json!({ "round": 1, "comment": "Approvals take too long" });
    let card = answered_card(
        &t.click(&in_chat, "survey_comment", comment, &chat.activity_id)
            .await,
    );
    assert!(words(&card).contains("Thanks for the comment"));
    t.deliver().await;
    // The clicked question is updated in place (each click).
    let updates = t.recorded(Op::Update, personal);
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(updates.iter().all(|u| u.activity_id == chat.activity_id));
    assert!(words(&updates[1].body).contains("3 ✓"));
    let answer = t
        .app
        .store
        .survey_answer_of(1, PARTNER_AAD)
        .await
        .expect("read");
    assert_eq!(answer, Some((3, "Approvals take too long".into())));

    let followup = t.with_button("mark_handled");
    let manager_chat = followup.conversation.as_str();
    let manager = boss().in_chat(manager_chat);
    let data = json!({ "round": 1, "user": PARTNER_AAD });
    let why = refusal(
        &t.click(
            &in_chat,
            "mark_handled",
            data.clone(),
            &followup.activity_id,
        )
        .await,
    );
    assert!(why.contains("manager"), "{why}");
    let card = answered_card(
        &t.click(
            &manager,
            "mark_handled",
            data.clone(),
            &followup.activity_id,
        )
        .await,
    );
    assert!(words(&card).contains("Handled by"), "{}", words(&card));
    assert!(verbs(&card).is_empty());
    let twice = refusal(
        &t.click(&manager, "mark_handled", data, &followup.activity_id)
            .await,
    );
    assert!(twice.contains("already handled"), "{twice}");
    t.deliver().await;
    let updated = t.recorded(Op::Update, manager_chat);
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].activity_id, followup.activity_id);
}
on_both_databases!(a_survey_score_is_recorded_and_a_detractor_follow_up_marked_handled);

async fn an_extension_is_requested_on_the_card_and_granted(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    t.deliver().await;
    let review = t.posted(MANAGERS, "New deal registration D-1");
    answered_card(
        &t.click(&boss(), "approve", json!({ "deal": 1 }), &review)
            .await,
    );
    let before = t.deal(1).await.protected_until.expect("protected");
    t.deliver().await;

    let ask = json!({ "deal": 1, "days": 30, "justification": "" });
    let why = refusal(&t.click(&partner(), "extend", ask, "x").await);
    assert!(why.contains("few words"), "{why}");
    let ask = json!({ "deal": 1, "days": 30, "justification": "Legal review slipped a month" });
    let card = answered_card(&t.click(&partner(), "extend", ask, "x").await);
    assert!(
        words(&card).contains("went to the partner managers"),
        "{}",
        words(&card)
    );
    t.deliver().await;
    let request = t.posted(MANAGERS, "asks to extend");

    let why = refusal(
        &t.click(&partner(), "extend_grant", json!({ "deal": 1 }), &request)
            .await,
    );
    assert!(why.contains("manager"), "{why}");
    let card = answered_card(
        &t.click(&boss(), "extend_grant", json!({ "deal": 1 }), &request)
            .await,
    );
    let after = t.deal(1).await.protected_until.expect("protected");
    assert_eq!(after, before + chrono::Duration::days(30));
    assert!(
        words(&card).contains(&after.to_string()),
        "{}",
        words(&card)
    );
    let again = refusal(
        &t.click(&boss(), "extend_grant", json!({ "deal": 1 }), &request)
            .await,
    );
    assert!(again.contains("no extension request"), "{again}");
    t.deliver().await;
    t.posted(PARTNER_CHANNEL, "extended by 30 days");
}
on_both_databases!(an_extension_is_requested_on_the_card_and_granted);

async fn the_update_form_opens_in_a_dialog_and_on_the_card(db: Db) {
    let t = Teams::spawn(db).await;
    t.register().await;
    // From a dialog button.
    let data = json!({ "msteams": { "type": "task/fetch" }, "flow": "update_deal", "deal": 1 });
    let fetch = t.invoke(
        &t.id(),
        &partner(),
        "task/fetch",
        json!({ "data": data }),
        "",
    );
    let answer = t.send(&fetch).await;
    assert_eq!(answer["task"]["type"], "continue", "{answer}");
    // From the confirmation's Action.Execute: the form on the card, submitted with its verb.
    let card = answered_card(
        &t.click(&partner(), "update_deal", json!({ "deal": 1 }), "x")
            .await,
    );
    let save = card["actions"][0].clone();
    assert_eq!(save["type"], "Action.Execute");
    let mut data = save["data"].clone();
    data["stage"] = "proposal".into();
    data["amount"] = "not money".into();
    data["close_date"] = card["body"]
        .as_array()
        .and_then(|b| b.iter().find(|e| e["id"] == "close_date"))
        .map(|e| e["value"].clone())
        .unwrap_or_default();
    let again = answered_card(&t.click(&partner(), "update_deal", data.clone(), "x").await);
    assert!(again["body"]
        .as_array()
        .expect("body")
        .iter()
        .any(|e| e["color"] == "attention"));
    assert_eq!(t.deal(1).await.stage.as_str(), "qualified");
    data["amount"] = "60000".into();
    let done = answered_card(&t.click(&partner(), "update_deal", data, "x").await);
    assert!(!words(&done).is_empty());
    assert_eq!(t.deal(1).await.stage.as_str(), "proposal");
}
on_both_databases!(the_update_form_opens_in_a_dialog_and_on_the_card);
