//! Conversation references (migration 0023): every authenticated activity on
//! `POST /teams/messages` — message, invoke, conversationUpdate, installationUpdate — records
//! where Teams can be reached: the conversation (reply chains under their channel) with its
//! service URL, tenant and type, and the people it names, found again by their Teams id or
//! their Entra object id. A refused activity records nothing.

use crate::helpers::*;
use crate::on_both_databases;
use crate::teams_auth::{bearer, Teams, APP_ID, TENANT};
use axum::http::StatusCode;
use serde_json::{json, Value};

const AMER: &str = "https://smba.trafficmanager.net/amer/";
const EMEA: &str = "https://smba.trafficmanager.net/emea/";
const CHANNEL: &str = "19:deals@thread.tacv2";

/// Posts `activity` with a token for its service URL (or a forged one).
async fn post(t: &Teams, activity: &Value, forged: bool) -> StatusCode {
    let service = activity["serviceUrl"].as_str().unwrap_or_default();
    let token = t.authority.token(APP_ID, service, t.now()).expect("token");
    let token = if forged { format!("{token}x") } else { token };
    t.post(bearer(&token), activity).await
}

/// An activity of `kind` from `from` in `conversation` of `conversation_type`.
fn activity(
    id: &str,
    kind: &str,
    conversation: &str,
    conversation_type: &str,
    service: &str,
) -> Value {
    json!({
        "type": kind, "id": id, "channelId": "msteams", "serviceUrl": service,
        "from": { "id": "29:1megan", "name": "Megan Bowen", "aadObjectId": "7faf8ab2-3d56-4244-b585-20c8a42ed2b8" },
        "recipient": { "id": format!("28:{APP_ID}"), "name": "partnerbot" },
        "conversation": { "id": conversation, "conversationType": conversation_type, "tenantId": TENANT },
        "channelData": { "tenant": { "id": TENANT } },
    })
}

/// A personal message records the chat and the person, found by either of their ids.
async fn a_personal_message_records_the_chat_and_the_person(db: Db) {
    let t = Teams::spawn(db).await;
    let message = activity("m1", "message", "a:1megan-chat", "personal", AMER);
    assert_eq!(post(&t, &message, false).await, StatusCode::OK);
    let store = &t.app.store;
    let chat = store
        .teams_conversation("a:1megan-chat")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(
        (
            chat.service_url.as_str(),
            chat.tenant_id.as_str(),
            chat.conversation_type.as_str()
        ),
        (AMER, TENANT, "personal")
    );
    let by_teams_id = store
        .teams_user("29:1megan")
        .await
        .expect("read")
        .expect("recorded");
    let by_aad = store
        .teams_user("7faf8ab2-3d56-4244-b585-20c8a42ed2b8")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(by_teams_id, by_aad);
    assert_eq!(
        by_teams_id.personal_conversation.as_deref(),
        Some("a:1megan-chat")
    );
    assert_eq!(by_teams_id.service_url, AMER);
    assert!(
        store
            .teams_user(&format!("28:{APP_ID}"))
            .await
            .expect("read")
            .is_none(),
        "never the bot"
    );
    assert!(store
        .teams_conversation("a:other")
        .await
        .expect("read")
        .is_none());
}
on_both_databases!(a_personal_message_records_the_chat_and_the_person);

/// Installing the bot in a channel (installationUpdate, conversationUpdate with members
/// added, from a reply chain) records the channel under its base id and every member added;
/// a later invoke from another region moves the service URL and keeps what it does not say.
async fn installs_and_invokes_keep_the_references_current(db: Db) {
    let t = Teams::spawn(db).await;
    let install = activity("i1", "installationUpdate", CHANNEL, "channel", AMER);
    let mut update = activity(
        "u1",
        "conversationUpdate",
        &format!("{CHANNEL};messageid=1700"),
        "channel",
        AMER,
    );
    update["membersAdded"] =
        json!([{ "id": format!("28:{APP_ID}") }, { "id": "29:2alex", "aadObjectId": "aad-alex" }]);
    assert_eq!(post(&t, &install, false).await, StatusCode::OK);
    assert_eq!(post(&t, &update, false).await, StatusCode::OK);
    let store = &t.app.store;
    let channel = store
        .teams_conversation(&format!("{CHANNEL};messageid=99"))
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(
        channel.conversation_id, CHANNEL,
        "a reply chain is its channel"
    );
    assert_eq!(channel.conversation_type, "channel");
    let alex = store
        .teams_user("aad-alex")
        .await
        .expect("read")
        .expect("member added");
    assert_eq!(alex.user_id, "29:2alex");
    assert_eq!(alex.personal_conversation, None);

    let mut invoke = activity("v1", "invoke", CHANNEL, "channel", EMEA);
    invoke["name"] = "adaptiveCard/action".into();
    invoke["from"] = json!({ "id": "29:2alex" });
    assert_eq!(post(&t, &invoke, false).await, StatusCode::OK);
    let channel = store
        .teams_conversation(CHANNEL)
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(channel.service_url, EMEA);
    let alex = store
        .teams_user("29:2alex")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(alex.service_url, EMEA);
    assert_eq!(
        alex.aad_object_id.as_deref(),
        Some("aad-alex"),
        "kept when not sent again"
    );
}
on_both_databases!(installs_and_invokes_keep_the_references_current);

/// An activity refused by authentication records nothing.
async fn a_refused_activity_records_no_reference(db: Db) {
    let t = Teams::spawn(db).await;
    let message = activity("m1", "message", "a:forged", "personal", AMER);
    assert_eq!(post(&t, &message, true).await, StatusCode::UNAUTHORIZED);
    assert!(t
        .app
        .store
        .teams_conversation("a:forged")
        .await
        .expect("read")
        .is_none());
    assert!(t
        .app
        .store
        .teams_user("29:1megan")
        .await
        .expect("read")
        .is_none());
}
on_both_databases!(a_refused_activity_records_no_reference);
