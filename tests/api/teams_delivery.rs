//! Teams outbound delivery through the real worker and store against the Connector emulator
//! (`partnerbot::teams::connector_emulator`): 429 windows are honoured, updates are retried,
//! a create whose answer was lost or whose worker died is never posted twice and ends as
//! `unknown_outcome` (managers told), 412 is retried, 403 and 413 are permanent, the token is
//! refreshed once on 401, and no token goes to a service URL outside the allow-list.
//!
//! Typed notices are rendered as Adaptive Cards at delivery and sent where the conversation
//! references recorded from inbound activities say: a card in a channel, a reply in the deal's
//! reply chain, an update with PUT, a 1:1 for a person or a private notice; a conversation the
//! bot was never told about fails for good (`no_conversation_reference`, managers told).

use crate::helpers::*;
use crate::on_both_databases;
use partnerbot::delivery::teams::DEFAULT_THROTTLE_PAUSE;
use partnerbot::delivery::{DeliveryConfig, Worker};
use partnerbot::domain::DealStatus;
use partnerbot::notice::{Address, MessageRef, NoteAbout, Notice, Platform};
use partnerbot::store::{
    OutboxBody, OutboxFilter, OutboxMessage, OutboxRow, TeamsPerson, TeamsSighting,
};
use partnerbot::teams::cards::{CARD_BUDGET_BYTES, CARD_CONTENT_TYPE};
use partnerbot::teams::connector_emulator::{ConnectorEmulator, Fault, Logged, Op};
use partnerbot::teams::{Connector, TeamsSettings};
use serde_json::{json, Value};
use std::time::Duration;

const APP_ID: &str = "6f1c2b7e-8a4d-4c1e-9f3a-2b5d7e9c1a20";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SECRET: &str = "connector-test-secret";
const CHANNEL: &str = "19:deals@thread.tacv2";
const OTHER: &str = "19:other@thread.tacv2";

struct Teams {
    app: TestApp,
    connector: ConnectorEmulator,
}

impl Teams {
    async fn spawn(db: Db) -> Teams {
        let app = TestApp::spawn(db).await;
        let connector = ConnectorEmulator::start(TENANT, APP_ID, SECRET)
            .await
            .expect("connector emulator");
        Teams { app, connector }
    }

    /// A worker delivering Slack and Teams rows (its own lease id and token cache).
    fn worker(&self, config: DeliveryConfig) -> Worker {
        let token_url = self.connector.token_url();
        let service = self.connector.service_url();
        let settings = TeamsSettings::from_lookup(&|k| match k {
            "MICROSOFT_APP_ID" => Some(APP_ID.into()),
            "MICROSOFT_APP_PASSWORD" => Some(SECRET.into()),
            "MICROSOFT_APP_TENANT_ID" => Some(TENANT.into()),
            "TEAMS_TOKEN_URL" => Some(token_url.clone()),
            "TEAMS_ALLOWED_SERVICE_URLS" => Some(service.clone()),
            _ => None,
        })
        .expect("settings")
        .expect("Teams on");
        // The app as `serve` builds it with Teams on: its worker has a Slack and a Teams client.
        let connector = Connector::new(settings.clone()).expect("connector");
        let auth = partnerbot::teams::Authenticator::new(settings, self.app.app.clock.clone(), [])
            .expect("authenticator");
        self.app
            .app
            .clone()
            .with_teams(std::sync::Arc::new(auth), connector)
            .worker(config)
    }

    /// A message activity saying `text` in `conversation`.
    fn post(&self, conversation: &str, text: &str) -> OutboxMessage {
        self.activity(conversation, json!({ "type": "message", "text": text }))
    }

    fn activity(&self, conversation: &str, mut activity: Value) -> OutboxMessage {
        activity["serviceUrl"] = self.connector.service_url().into();
        OutboxMessage {
            kind: "test".into(),
            address: Address::to(Platform::Teams, conversation),
            body: OutboxBody::Payload(activity),
            deal_id: None,
        }
    }

    /// A typed notice for `conversation`, about deal 7.
    fn notice(&self, kind: &str, address: Address, notice: Notice) -> OutboxMessage {
        OutboxMessage::notice(kind, address, notice, Some(7))
    }

    /// The bot received an activity in `conversation` (of `kind`) from `people`.
    async fn seen(&self, conversation: &str, kind: &str, people: &[(&str, Option<&str>)]) {
        let seen = TeamsSighting {
            conversation_id: conversation.into(),
            conversation_type: kind.into(),
            tenant_id: TENANT.into(),
            service_url: self.connector.service_url(),
            users: people
                .iter()
                .map(|(id, aad)| TeamsPerson {
                    id: id.to_string(),
                    aad_object_id: aad.map(str::to_string),
                })
                .collect(),
        };
        let now = self.app.app.clock.now_ms();
        self.app
            .store
            .record_teams_sighting(&seen, now)
            .await
            .expect("recorded");
    }

    async fn queue(&self, messages: &[OutboxMessage]) {
        self.app
            .store
            .enqueue(messages, self.app.app.clock.now_ms())
            .await
            .expect("queued");
    }

    /// Runs `worker`'s rounds until the outbox is empty.
    async fn drain(&self, worker: &Worker) {
        self.app.deliver_with(worker).await;
    }

    async fn failed(&self) -> Vec<OutboxRow> {
        self.app
            .store
            .list_outbox(OutboxFilter::Failed, 50)
            .await
            .expect("list")
    }

    fn calls(&self, op: Op) -> Vec<Logged> {
        self.connector
            .log()
            .into_iter()
            .filter(|c| c.op == op)
            .collect()
    }

    async fn metric(&self, outcome: &str) -> String {
        let (_, metrics) = self.app.get("/metrics").await;
        metrics
            .lines()
            .find(|l| {
                l.starts_with(&format!(
                    "partnerbot_deliveries_total{{outcome=\"{outcome}\"}}"
                ))
            })
            .unwrap_or_default()
            .to_string()
    }
}

fn statuses(calls: &[Logged]) -> Vec<u16> {
    calls.iter().map(|c| c.status).collect()
}

/// The gap between the first call and the second.
fn gap(calls: &[Logged]) -> Duration {
    calls[1].at.duration_since(calls[0].at)
}

/// A 429 pauses Teams for `Retry-After` (or the default pause when there is none): no call
/// lands inside the window, and the message is posted once after it.
async fn rate_limit_windows_are_honoured(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.connector.fail_next(
        Op::Create,
        Fault::TooManyRequests {
            retry_after: Some(2),
        },
    );
    t.queue(&[t.post(CHANNEL, "with retry-after")]).await;
    t.drain(&worker).await;
    let calls = t.calls(Op::Create);
    assert_eq!(statuses(&calls), [429, 201]);
    assert!(
        gap(&calls) >= Duration::from_millis(1990),
        "{:?}",
        gap(&calls)
    );

    t.connector
        .fail_next(Op::Create, Fault::TooManyRequests { retry_after: None });
    t.queue(&[t.post(CHANNEL, "without retry-after")]).await;
    t.drain(&worker).await;
    let calls = &t.calls(Op::Create)[2..];
    assert_eq!(statuses(calls), [429, 201]);
    assert!(gap(calls) >= DEFAULT_THROTTLE_PAUSE - Duration::from_millis(10));
    assert_eq!(t.connector.copies(Op::Create, "with retry-after"), 1);
    assert_eq!(t.connector.copies(Op::Create, "without retry-after"), 1);
    assert!(t.failed().await.is_empty());
}
on_both_databases!(rate_limit_windows_are_honoured);

/// A burst past Teams' per-conversation limit meets 429s like the real service's; every
/// message still lands exactly once.
async fn a_burst_past_the_conversation_limit_is_throttled_and_lands_once(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let burst: Vec<_> = (0..10)
        .map(|i| t.post(CHANNEL, &format!("burst-{i}-")))
        .collect();
    t.queue(&burst).await;
    t.drain(&worker).await;
    assert!(
        statuses(&t.calls(Op::Create)).contains(&429),
        "the emulator throttles"
    );
    for i in 0..10 {
        assert_eq!(t.connector.copies(Op::Create, &format!("burst-{i}-")), 1);
    }
}
on_both_databases!(a_burst_past_the_conversation_limit_is_throttled_and_lands_once);

/// An update (PUT) is idempotent: 502 and 504 are retried and the card is updated.
async fn an_update_is_retried_after_502_and_504(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.queue(&[t.post(CHANNEL, "the card")]).await;
    t.drain(&worker).await;
    let id = t.connector.recorded()[0].activity_id.clone();
    t.connector.fail_next(Op::Update, Fault::BeforeCommit(502));
    t.connector.fail_next(Op::Update, Fault::BeforeCommit(504));
    let update = t
        .post(CHANNEL, "the card, approved")
        .replacing(MessageRef::Posted(id.clone()));
    t.queue(&[update]).await;
    t.drain(&worker).await;
    assert_eq!(statuses(&t.calls(Op::Update)), [502, 504, 200]);
    let updates: Vec<_> = t
        .connector
        .recorded()
        .into_iter()
        .filter(|r| r.op == Op::Update)
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].activity_id, id);
    assert_eq!(t.connector.copies(Op::Create, "the card"), 1, "no new post");
    assert!(t.failed().await.is_empty());
}
on_both_databases!(an_update_is_retried_after_502_and_504);

/// A create the Connector committed but answered 502 (the lost response), and one that timed
/// out after committing, are never sent again: one copy each, the rows given up as
/// `unknown_outcome`, counted in /metrics, and the managers told.
async fn a_create_whose_answer_was_lost_is_never_posted_twice(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.connector.fail_next(Op::Create, Fault::AfterCommit(502));
    t.queue(&[t.post(CHANNEL, "lost answer")]).await;
    t.drain(&worker).await;
    // The worker gives up on its call after send_timeout (2 s), the emulator answers later.
    t.connector
        .fail_next(Op::Create, Fault::CommitThenStall(Duration::from_secs(4)));
    t.queue(&[t.post(OTHER, "timed out")]).await;
    t.drain(&worker).await;
    for _ in 0..3 {
        worker.run_once().await.expect("round");
    }
    assert_eq!(t.connector.copies(Op::Create, "lost answer"), 1);
    assert_eq!(t.connector.copies(Op::Create, "timed out"), 1);
    let failed = t.failed().await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    for row in &failed {
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("unknown_outcome: "), "{error}");
    }
    assert!(
        t.metric("unknown").await.ends_with(" 2"),
        "{}",
        t.metric("unknown").await
    );
    let alerts = t.app.posted_to(MANAGERS_CHANNEL);
    assert_eq!(alerts.len(), 1, "one report per failure kind and hour");
    assert!(alerts[0].params.to_string().contains("unknown_outcome"));
}
on_both_databases!(a_create_whose_answer_was_lost_is_never_posted_twice);

/// 412 means nothing was done: the create is retried and lands once.
async fn a_412_is_retried(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.connector.fail_next(Op::Create, Fault::PreconditionFailed);
    t.queue(&[t.post(CHANNEL, "after 412")]).await;
    t.drain(&worker).await;
    assert_eq!(statuses(&t.calls(Op::Create)), [412, 201]);
    assert_eq!(t.connector.copies(Op::Create, "after 412"), 1);
    assert!(t.failed().await.is_empty());
}
on_both_databases!(a_412_is_retried);

/// A conversation that blocked the bot (403) and a message over Teams' budget (413) are
/// refused for good after one attempt, recorded with their reason.
async fn blocked_and_oversized_messages_are_permanent_failures(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.connector.block(CHANNEL);
    let huge = "é".repeat(60_000);
    t.queue(&[t.post(CHANNEL, "blocked"), t.post(OTHER, &huge)])
        .await;
    t.drain(&worker).await;
    let mut reasons: Vec<(String, i64)> = t
        .failed()
        .await
        .into_iter()
        .map(|r| (r.last_error.unwrap_or_default(), r.attempts))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            (
                "conversation_blocked: HTTP 403 MessageWritesBlocked".to_string(),
                1
            ),
            (
                "message_too_large: HTTP 413 MessageSizeTooBig".to_string(),
                1
            ),
        ]
    );
    assert!(t.connector.recorded().is_empty());
    assert_eq!(
        t.app.posted_to(MANAGERS_CHANNEL).len(),
        2,
        "one report per kind"
    );
}
on_both_databases!(blocked_and_oversized_messages_are_permanent_failures);

/// A worker killed between the Connector's commit and recording the outcome: the next worker
/// takes the row over after the lease and does not post it again.
async fn a_restart_mid_send_delivers_at_most_once(db: Db) {
    let t = Teams::spawn(db).await;
    let config = DeliveryConfig {
        lease: Duration::from_secs(1),
        send_timeout: Duration::from_secs(3),
        ..fast_delivery()
    };
    let first = t.worker(config.clone());
    t.connector
        .fail_next(Op::Create, Fault::CommitThenStall(Duration::from_secs(30)));
    t.queue(&[t.post(CHANNEL, "mid-send")]).await;
    let running = tokio::spawn(async move { first.run_once().await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while t.connector.copies(Op::Create, "mid-send") == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never posted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    let second = t.worker(config);
    t.drain(&second).await;
    assert_eq!(t.connector.copies(Op::Create, "mid-send"), 1);
    let failed = t.failed().await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 2, "taken over once");
    let error = failed[0].last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("unknown_outcome: "), "{error}");
}
on_both_databases!(a_restart_mid_send_delivers_at_most_once);

/// A revoked token is replaced once and the call succeeds; a fresh token refused again is a
/// permanent failure after exactly two calls, not a loop.
async fn the_token_is_refreshed_once_on_401(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.queue(&[t.post(CHANNEL, "first")]).await;
    t.drain(&worker).await;
    t.queue(&[t.post(CHANNEL, "second")]).await;
    t.drain(&worker).await;
    assert_eq!(t.connector.token_requests(), 1, "the token is cached");
    t.connector.revoke_tokens();
    t.queue(&[t.post(CHANNEL, "after revocation")]).await;
    t.drain(&worker).await;
    assert_eq!(t.connector.token_requests(), 2);
    assert_eq!(statuses(&t.calls(Op::Create)), [201, 201, 401, 201]);
    assert_eq!(t.connector.copies(Op::Create, "after revocation"), 1);

    t.connector.fail_next(Op::Create, Fault::Unauthorized);
    t.connector.fail_next(Op::Create, Fault::Unauthorized);
    t.queue(&[t.post(CHANNEL, "refused twice")]).await;
    t.drain(&worker).await;
    assert_eq!(t.connector.token_requests(), 3, "one refresh");
    assert_eq!(statuses(&t.calls(Op::Create)[4..]), [401, 401]);
    let failed = t.failed().await;
    assert_eq!(failed.len(), 1);
    let error = failed[0].last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("unauthorized: "), "{error}");
}
on_both_databases!(the_token_is_refreshed_once_on_401);

/// An activity naming a service URL outside TEAMS_ALLOWED_SERVICE_URLS is refused before a
/// token is fetched.
async fn no_token_goes_to_a_service_url_outside_the_allow_list(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let mut message = t.post(CHANNEL, "elsewhere");
    if let OutboxBody::Payload(activity) = &mut message.body {
        activity["serviceUrl"] = "https://smba.trafficmanager.net.evil.example/".into();
    }
    t.queue(&[message]).await;
    t.drain(&worker).await;
    assert_eq!(t.connector.token_requests(), 0);
    assert!(t.connector.log().is_empty());
    let failed = t.failed().await;
    let error = failed[0].last_error.as_deref().unwrap_or_default();
    assert!(error.starts_with("service_url_not_allowed: "), "{error}");
}
on_both_databases!(no_token_goes_to_a_service_url_outside_the_allow_list);

/// A reply goes in the channel's reply chain (`;messageid=`), and a message to a user, or
/// private to one person, opens a 1:1 conversation first.
async fn replies_thread_and_people_get_personal_chats(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    t.queue(&[t.post(CHANNEL, "root")]).await;
    t.drain(&worker).await;
    let root = t.connector.recorded()[0].activity_id.clone();
    let reply = t
        .post(CHANNEL, "reply")
        .in_thread(MessageRef::Posted(root.clone()));
    let dm = t.post("29:1a2b-user", "direct");
    let private = t.post(CHANNEL, "just for you").private_to("29:3c4d-user");
    t.queue(&[reply, dm, private]).await;
    t.drain(&worker).await;
    let recorded = t.connector.recorded();
    let at = |marker: &str| {
        recorded
            .iter()
            .find(|r| r.op == Op::Create && r.body.to_string().contains(marker))
            .map(|r| r.conversation.clone())
            .unwrap_or_default()
    };
    assert_eq!(at("\"reply\""), format!("{CHANNEL};messageid={root}"));
    assert_eq!(at("direct"), "a:1:1-29:1a2b-user");
    assert_eq!(at("just for you"), "a:1:1-29:3c4d-user");
    let opened: Vec<_> = recorded
        .iter()
        .filter(|r| r.op == Op::CreateConversation)
        .map(|r| r.body["tenantId"].clone())
        .collect();
    assert_eq!(opened, [json!(TENANT), json!(TENANT)]);
    assert!(t.failed().await.is_empty());
}
on_both_databases!(replies_thread_and_people_get_personal_chats);

fn teams(conversation: &str) -> Address {
    Address::to(Platform::Teams, conversation)
}

/// The Adaptive Card of a recorded activity.
fn card_of(body: &Value) -> Value {
    assert_eq!(body["type"], "message");
    assert_eq!(body["attachments"][0]["contentType"], CARD_CONTENT_TYPE);
    body["attachments"][0]["content"].clone()
}

/// A typed notice queued for a Teams channel is rendered at delivery as an Adaptive Card and
/// posted with the channel's recorded service URL; a note about the deal replies in the
/// confirmation's reply chain; the review card is posted once and then updated with PUT.
async fn typed_notices_go_out_as_adaptive_cards_in_threads_and_updates(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let managers = "19:managers@thread.tacv2";
    t.seen(CHANNEL, "channel", &[]).await;
    t.seen(managers, "channel", &[]).await;
    let pending = crate::teams_cards::deal(DealStatus::PendingReview);
    let confirmation = Notice::DealConfirmation {
        deal: pending.clone(),
    };
    let review = |deal| Notice::ReviewCard {
        deal,
        partner: crate::teams_cards::partner(),
        matches: vec![],
        rule: None,
    };
    t.queue(&[
        t.notice("deal_confirmation", teams(CHANNEL), confirmation),
        t.notice("review_card", teams(managers), review(pending)),
    ])
    .await;
    t.drain(&worker).await;
    let recorded = t.connector.recorded();
    let root = recorded
        .iter()
        .find(|r| r.conversation == CHANNEL)
        .expect("confirmation posted");
    let card = card_of(&root.body);
    assert_eq!(card["version"], "1.5");
    assert_eq!(card["actions"][0]["verb"], "update_deal");
    assert_eq!(card["actions"][0]["data"], json!({ "deal": 7 }));
    let posted = recorded
        .iter()
        .find(|r| r.conversation == managers)
        .expect("review card posted");
    assert_eq!(card_of(&posted.body)["actions"][0]["verb"], "approve");

    let note = Notice::note(
        NoteAbout::DealUpdated,
        Some("29:1alice"),
        "updated D-7: stage evaluation → proposal.".into(),
    );
    let decided = review(crate::teams_cards::deal(DealStatus::Approved));
    t.queue(&[
        t.notice(
            "note",
            teams(CHANNEL).in_thread(MessageRef::deal("deal_confirmation")),
            note,
        ),
        t.notice(
            "review_card",
            teams(managers).replacing(MessageRef::deal("review_card")),
            decided,
        ),
    ])
    .await;
    t.drain(&worker).await;
    let recorded = t.connector.recorded();
    let reply = recorded
        .iter()
        .find(|r| r.body.to_string().contains("updated D"))
        .expect("note posted");
    assert_eq!(reply.op, Op::Create);
    assert_eq!(
        reply.conversation,
        format!("{CHANNEL};messageid={}", root.activity_id)
    );
    let update = recorded
        .iter()
        .find(|r| r.op == Op::Update)
        .expect("card updated");
    assert_eq!(update.activity_id, posted.activity_id);
    let card = card_of(&update.body);
    assert!(card.get("actions").is_none(), "decided: no buttons");
    assert!(card.to_string().contains("**Approved** by"));
    assert_eq!(
        t.calls(Op::Create).len(),
        3,
        "the update posted nothing new"
    );
    assert!(t.failed().await.is_empty());
}
on_both_databases!(typed_notices_go_out_as_adaptive_cards_in_threads_and_updates);

/// A notice for a person (named by their Entra object id) and a notice private to one person
/// in a channel each open a 1:1 (`POST /v3/conversations`) in the tenant the reference names,
/// and are never posted in the shared channel.
async fn people_get_their_notices_in_a_personal_chat(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let aad = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8";
    t.seen("a:megan-chat", "personal", &[("29:1megan", Some(aad))])
        .await;
    t.seen(CHANNEL, "channel", &[]).await;
    let alert = Notice::AeAlert {
        deal: crate::teams_cards::deal(DealStatus::PendingReview),
        partner: crate::teams_cards::partner(),
        matches: vec![],
        rule: "Direct-owned account: a partner manager decides.".into(),
    };
    let private = Notice::note(NoteAbout::Info, None, "Only you can see this.".into());
    t.queue(&[
        t.notice("ae_alert", teams(aad), alert),
        t.notice("note", teams(CHANNEL).private_to("29:2alex"), private),
    ])
    .await;
    t.drain(&worker).await;
    let recorded = t.connector.recorded();
    // Two conversations, delivered in parallel: in either order.
    let mut opened: Vec<String> = recorded
        .iter()
        .filter(|r| r.op == Op::CreateConversation)
        .map(|r| format!("{} in {}", r.body["members"][0]["id"], r.body["tenantId"]))
        .collect();
    opened.sort();
    assert_eq!(
        opened,
        [
            format!("\"29:1megan\" in \"{TENANT}\""),
            format!("\"29:2alex\" in \"{TENANT}\"")
        ]
    );
    let at = |verb_or_text: &str| {
        recorded
            .iter()
            .find(|r| r.op == Op::Create && r.body.to_string().contains(verb_or_text))
            .map(|r| r.conversation.clone())
            .unwrap_or_default()
    };
    assert_eq!(at("ae_cosell"), "a:1:1-29:1megan");
    assert_eq!(at("Only you can see this"), "a:1:1-29:2alex");
    assert!(!recorded.iter().any(|r| r.conversation == CHANNEL));
    assert!(t.failed().await.is_empty());
}
on_both_databases!(people_get_their_notices_in_a_personal_chat);

/// A notice for a conversation (or person) the bot never received an activity from cannot be
/// sent: it fails for good after one attempt, nothing reaches the Connector, and the managers
/// are told why.
async fn a_conversation_without_a_reference_fails_for_good(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let deal = crate::teams_cards::deal(DealStatus::PendingReview);
    t.queue(&[
        t.notice(
            "deal_confirmation",
            teams("19:unknown@thread.tacv2"),
            Notice::DealConfirmation { deal },
        ),
        t.notice(
            "note",
            teams("29:stranger"),
            Notice::note(NoteAbout::Info, None, "hello".into()),
        ),
    ])
    .await;
    t.drain(&worker).await;
    let failed = t.failed().await;
    assert_eq!(failed.len(), 2);
    for row in &failed {
        let error = row.last_error.as_deref().unwrap_or_default();
        assert!(error.starts_with("no_conversation_reference: "), "{error}");
        assert_eq!(row.attempts, 1);
    }
    assert!(
        t.connector.log().is_empty(),
        "nothing sent, no token fetched"
    );
    assert_eq!(t.connector.token_requests(), 0);
    let alerts = t.app.posted_to(MANAGERS_CHANNEL);
    assert_eq!(alerts.len(), 1, "one report per failure kind and hour");
    assert!(alerts[0]
        .params
        .to_string()
        .contains("no_conversation_reference"));
}
on_both_databases!(a_conversation_without_a_reference_fails_for_good);

/// A card over the budget is refused by the Connector with 413, like Teams: a permanent
/// failure after one attempt.
async fn a_card_over_the_budget_is_refused_for_good(db: Db) {
    let t = Teams::spawn(db).await;
    let worker = t.worker(fast_delivery());
    let text = "a".repeat(CARD_BUDGET_BYTES);
    let content = json!({ "type": "AdaptiveCard", "version": "1.5", "body": [{ "type": "TextBlock", "text": text }] });
    let activity = json!({ "type": "message", "attachments": [{ "contentType": CARD_CONTENT_TYPE, "content": content }] });
    t.queue(&[t.activity(CHANNEL, activity)]).await;
    t.drain(&worker).await;
    assert_eq!(statuses(&t.calls(Op::Create)), [413]);
    let failed = t.failed().await;
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("message_too_large: HTTP 413 MessageSizeTooBig")
    );
    assert!(t.connector.recorded().is_empty());
}
on_both_databases!(a_card_over_the_budget_is_refused_for_good);
