//! `POST /slack/interactions`: modal submissions and button clicks.

use super::error::message_for;
use super::{record_actor, unparseable, AppState};
use crate::domain::deal::Surface;
use crate::domain::engagement::Decision;
use crate::domain::{DealDraft, DealError, Field, FieldErrors};
use crate::notice::{Address, Conversation, NoteAbout, Notice, Platform};
use crate::service::deals::ModalMetadata;
use crate::service::surveys::Clicked;
use crate::service::{Actor, Answer, ServiceError};
use crate::slack::payload::{parse_interaction, Action, BlockActions, Interaction, ViewSubmission};
use crate::slack::render::view_errors;
use crate::store::OutboxMessage;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Slack voids a `trigger_id` 3 s after the click; `views.open` must finish before that.
const VIEWS_OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(2500);

/// `callback_id` of the registration modal.
pub const REGISTRATION_CALLBACK: &str = "deal_registration";

/// Parses the payload and dispatches on its type.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_interaction(&body) {
        Err(e) => unparseable("/slack/interactions", &e, &body),
        Ok(Interaction::ViewSubmission(v)) => {
            record_actor(&v.user.id, v.user.team_id.as_deref());
            if v.view.callback_id == REGISTRATION_CALLBACK {
                Json(submit_registration(&state, &v).await).into_response()
            } else if v.view.callback_id == "psat_comment" {
                let round = v.view.private_metadata.parse::<i64>().unwrap_or_default();
                let answer = match state
                    .service
                    .comment_survey(&v.user.id, round, &v.view.state.text("comment"))
                    .await
                {
                    Ok(_) => json!({ "response_action": "clear" }),
                    Err(e) => {
                        json!({ "response_action": "errors", "errors": { "comment": message_for(&e) } })
                    }
                };
                Json(answer).into_response()
            } else if v.view.callback_id == "deal_update" {
                Json(submit_update(&state, &v).await).into_response()
            } else if v.view.callback_id == "extend_request" {
                Json(submit_extension(&state, &v).await).into_response()
            } else if let Some(decision) = decision_of(&v.view.callback_id) {
                Json(submit_decision(&state, &v, decision).await).into_response()
            } else {
                tracing::warn!(callback_id = %v.view.callback_id, "submission of an unknown form");
                unknown_form(&state, &v.view.callback_id)
            }
        }
        Ok(Interaction::MessageAction(m)) => super::shortcuts::on_message(&state, &m).await,
        Ok(Interaction::Shortcut(s)) => super::shortcuts::global(&state, &s).await,
        Ok(Interaction::BlockActions(b)) => {
            record_actor(&b.user.id, b.user.team_id.as_deref());
            block_actions(&state, &b).await
        }
        Ok(Interaction::Other) => StatusCode::OK.into_response(),
    }
}

fn unknown_form(state: &AppState, callback_id: &str) -> Response {
    match state.render.unknown_form(callback_id) {
        Ok(view) => Json(json!({ "response_action": "update", "view": view })).into_response(),
        Err(e) => {
            super::error::report(&e);
            StatusCode::OK.into_response()
        }
    }
}

/// Validates and stores a submitted registration. Invalid fields go back inline; a refusal
/// or an internal error is shown on the first field so the person keeps what they typed.
async fn submit_registration(state: &AppState, v: &ViewSubmission) -> Value {
    let metadata: Option<ModalMetadata> = serde_json::from_str(&v.view.private_metadata).ok();
    let actor = submitter(v, metadata.as_ref().map(|m| m.channel.clone()));
    let s = &v.view.state;
    let draft = DealDraft {
        company: s.text(Field::Company.key()),
        domain: s.text(Field::Domain.key()),
        contact_name: s.text(Field::ContactName.key()),
        contact_email: s.text(Field::ContactEmail.key()),
        amount: s.text(Field::Amount.key()),
        currency: s.text(Field::Currency.key()),
        close_date: s.text(Field::CloseDate.key()),
        stage: s.text(Field::Stage.key()),
        timing: s.text(Field::Timing.key()),
        products: s.text(Field::Products.key()),
        notes: s.text(Field::Notes.key()),
    };
    let (resubmitted, source) = match metadata {
        Some(m) => (m.deal, m.source),
        None => (None, None),
    };
    let outcome = match resubmitted {
        Some(deal) => state.service.resubmit(&actor, deal, &draft).await,
        None => {
            let source = match source {
                Some(s) => Some(super::shortcuts::with_link(state, s).await),
                None => None,
            };
            state
                .service
                .register_from(
                    &actor,
                    &draft,
                    Surface::Modal,
                    Some(format!("view:{}", v.view.id)),
                    source,
                )
                .await
        }
    };
    let result = outcome.and_then(|done| {
        crate::slack::answers::registration_done(&state.render, &done.deal, done.own_duplicate)
            .map_err(ServiceError::Internal)
    });
    match result {
        Ok(answer) => answer,
        Err(ServiceError::Rejected(DealError::Invalid(errors))) => view_errors(&errors),
        Err(other) => view_errors(&FieldErrors(vec![(Field::Company, message_for(&other))])),
    }
}

/// The decision a review button or modal stands for.
fn decision_of(id: &str) -> Option<Decision> {
    match id {
        "review_approve" => Some(Decision::Approve),
        "review_reject" => Some(Decision::Reject),
        "review_return" => Some(Decision::Return),
        _ => None,
    }
}

/// Approve decides at once; Reject and Return open a modal for the manager's words. Returns the
/// ephemeral text to show, or `None` when the modal opened.
async fn review_click(
    state: &AppState,
    b: &BlockActions,
    decision: Decision,
    deal: &str,
) -> Option<String> {
    if decision == Decision::Approve {
        return Some(
            match state.service.decide(&clicker(b), deal, decision, "").await {
                Ok(d) => format!(
                    "Approved {}: protected until {}.",
                    d.id,
                    d.protected_until.map(|p| p.to_string()).unwrap_or_default()
                ),
                Err(e) => message_for(&e),
            },
        );
    }
    let view = match state
        .service
        .deal_for_decision(&b.user.id, deal, decision)
        .await
    {
        Ok(d) => state
            .render
            .decision_modal(&d, decision == Decision::Reject)
            .map_err(ServiceError::Internal),
        Err(e) => Err(e),
    };
    open_from_click(state, b, view).await
}

/// The form the service answered, rendered as a Slack modal view.
pub(super) fn form_view(
    state: &AppState,
    form: Result<Answer, ServiceError>,
) -> Result<Value, ServiceError> {
    crate::slack::answers::render(&state.render, &form?).map_err(ServiceError::Internal)
}

/// Opens the modal a button asked for; the ephemeral text to show instead, if it could not.
async fn open_from_click(
    state: &AppState,
    b: &BlockActions,
    view: Result<Value, ServiceError>,
) -> Option<String> {
    open_form(state, b.trigger_id.as_deref(), view).await
}

/// Opens `view` with the `trigger` of a click or shortcut; the text to show the person
/// instead, if it could not.
pub(super) async fn open_form(
    state: &AppState,
    trigger: Option<&str>,
    view: Result<Value, ServiceError>,
) -> Option<String> {
    match (view, trigger) {
        (Ok(view), Some(trigger)) => match state
            .slack
            .open_view(trigger, &view, VIEWS_OPEN_TIMEOUT)
            .await
        {
            Ok(()) => None,
            Err(e) => Some(format!(
                "I couldn't open the form ({e}). Please click again."
            )),
        },
        (Ok(_), None) => {
            Some("Slack sent no trigger id, so I can't open the form. Please click again.".into())
        }
        (Err(e), _) => Some(message_for(&e)),
    }
}

/// The "Update deal" modal submitted: the same update as `/deal update`, errors shown inline.
async fn submit_update(state: &AppState, v: &ViewSubmission) -> Value {
    let metadata: Value = serde_json::from_str(&v.view.private_metadata).unwrap_or_default();
    let actor = submitter(v, metadata["channel"].as_str().map(str::to_string));
    let deal_id = metadata["deal"]
        .as_i64()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let (raw, changes) = deal_changes(&deal_id, |k| v.view.state.text(k));
    let outcome = match state.service.update_form_deal(&actor, &deal_id).await {
        Ok(deal) => {
            state
                .service
                .apply_changes(&actor, deal, &changes, "slack_modal", &raw)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => json!({ "response_action": "clear" }),
        Err(e) => json!({ "response_action": "errors", "errors": { "stage": message_for(&e) } }),
    }
}

/// The changes an "Update deal" form of `deal_id` asks for (`input` reads a field by its id),
/// and the same change as the update command would write it (for the audit trail and a win's
/// record).
pub(super) fn deal_changes(
    deal_id: &str,
    input: impl Fn(&str) -> String,
) -> (String, crate::service::progress::DealChanges) {
    let mut raw = format!(
        "{deal_id} stage={} amount={} close={}",
        input("stage"),
        input("amount"),
        input("close_date")
    );
    let attribution = input("attribution");
    if !attribution.is_empty() {
        raw.push_str(&format!(" attribution={attribution}"));
    }
    let given = |k: &str| Some(input(k)).filter(|t| !t.is_empty());
    let changes = crate::service::progress::DealChanges {
        stage: given("stage"),
        amount: given("amount"),
        currency: None,
        close: given("close_date"),
        products: Some(input("products")),
    };
    (raw, changes)
}

/// An extension justification submitted.
async fn submit_extension(state: &AppState, v: &ViewSubmission) -> Value {
    let metadata: Value = serde_json::from_str(&v.view.private_metadata).unwrap_or_default();
    let actor = submitter(v, metadata["channel"].as_str().map(str::to_string));
    let deal = metadata["deal"]
        .as_i64()
        .map(|d| d.to_string())
        .unwrap_or_default();
    match state
        .service
        .request_extension(&actor, &deal, &v.view.state.text("justification"))
        .await
    {
        Ok(_) => json!({ "response_action": "clear" }),
        Err(e) => {
            json!({ "response_action": "errors", "errors": { "justification": message_for(&e) } })
        }
    }
}

/// A reason or question submitted: decides, closes the modal, or shows what is wrong inline.
async fn submit_decision(state: &AppState, v: &ViewSubmission, decision: Decision) -> Value {
    let note = v.view.state.text("note");
    match state
        .service
        .decide(
            &submitter(v, None),
            &v.view.private_metadata,
            decision,
            &note,
        )
        .await
    {
        Ok(_) => json!({ "response_action": "clear" }),
        Err(e) => json!({ "response_action": "errors", "errors": { "note": message_for(&e) } }),
    }
}

/// Buttons: an AE's answer to a partner-vs-direct alert; anything else gets a friendly note.
async fn block_actions(state: &AppState, b: &BlockActions) -> Response {
    let Some(action) = b.actions.first() else {
        return StatusCode::OK.into_response();
    };
    tracing::info!(action_id = %action.action_id, "button clicked");
    if b.in_home_tab() {
        home_click(state, b, action).await;
    } else if let Some(text) = click(state, b, action).await {
        answer_privately(state, b, text).await;
    }
    StatusCode::OK.into_response()
}

/// A click in the Home tab: a page turned, or one of the tab's buttons, whose answer is shown
/// at the top of the tab (there is no channel to answer in).
async fn home_click(state: &AppState, b: &BlockActions, action: &Action) {
    let user = &b.user.id;
    let shown = if action.action_id == crate::slack::home::PAGE_ACTION {
        let page = action
            .value
            .as_deref()
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(1);
        state.home.show(user, page, None).await
    } else {
        match click(state, b, action).await {
            Some(text) => {
                let page = state.home.page_of(user);
                state.home.show(user, page, Some(text)).await
            }
            None => Ok(()),
        }
    };
    if let Err(e) = shown {
        super::error::report(&e);
    }
}

/// Acts on a click; the answer to show the person, or `None` when a modal opened instead.
async fn click(state: &AppState, b: &BlockActions, action: &Action) -> Option<String> {
    let id = action.action_id.as_str();
    let value = action.value.as_deref().unwrap_or_default();
    let answered =
        |outcome: Result<String, ServiceError>| Some(outcome.unwrap_or_else(|e| message_for(&e)));
    if let Some(decision) = decision_of(id) {
        review_click(state, b, decision, value).await
    } else if matches!(id, "resubmit_open" | "extend_open" | "update_open") {
        open_deal_form(state, b, id, value).await
    } else if id.starts_with("psat_score_") || id == "psat_handled" {
        answered(survey_click(state, b, id == "psat_handled", value).await)
    } else if id == "register_open" {
        let channel = action
            .value
            .clone()
            .or_else(|| b.channel.as_ref().map(|c| c.id.clone()));
        let actor = Actor {
            channel,
            ..clicker(b)
        };
        let view = form_view(state, state.service.registration_form(&actor).await);
        open_from_click(state, b, view).await
    } else if id == "psat_comment" {
        let round = value.parse::<i64>().unwrap_or_default();
        let view = state
            .render
            .psat_comment(round)
            .map_err(ServiceError::Internal);
        open_from_click(state, b, view).await
    } else if id == "extend_grant" || id == "extend_decline" {
        let grant = id == "extend_grant";
        answered(
            state
                .service
                .decide_extension(&clicker(b), value, grant)
                .await,
        )
    } else if id.starts_with("ae_") {
        answered(state.service.record_ae_choice(&clicker(b), value, id).await)
    } else {
        Some(
            "That button isn't something I can act on (yet). Try `/deal help` for what I can do."
                .to_string(),
        )
    }
}

/// The person who clicked, in the channel they clicked in.
/// Who submitted a modal typed in `channel`.
fn submitter(v: &ViewSubmission, channel: Option<String>) -> Actor {
    Actor {
        user: v.user.id.clone(),
        platform: Platform::Slack,
        workspace: v.user.team_id.clone(),
        channel,
    }
}

fn clicker(b: &BlockActions) -> Actor {
    Actor {
        user: b.user.id.clone(),
        platform: Platform::Slack,
        workspace: b.user.team_id.clone(),
        channel: b.channel.as_ref().map(|c| c.id.clone()),
    }
}

/// Opens the resubmission, update or extension form for the deal a button names.
async fn open_deal_form(
    state: &AppState,
    b: &BlockActions,
    id: &str,
    deal: &str,
) -> Option<String> {
    let actor = clicker(b);
    let form = match id {
        "resubmit_open" => state.service.resubmission_form(&actor, deal).await,
        "update_open" => state.service.update_form(&actor, deal).await,
        _ => extension_form(state, &actor, deal).await,
    };
    open_from_click(state, b, form_view(state, form)).await
}

/// A survey score, or a manager marking a detractor's follow-up handled.
async fn survey_click(
    state: &AppState,
    b: &BlockActions,
    handled: bool,
    value: &str,
) -> Result<String, ServiceError> {
    let clicked = b.container.as_ref().and_then(|c| {
        Some(Clicked {
            conversation: Conversation::new(Platform::Slack, c.channel_id.clone()?),
            message: c.message_ts.clone()?,
        })
    });
    let service = &state.service;
    match handled {
        true => {
            service
                .handle_survey_followup(&b.user.id, value, clicked)
                .await
        }
        false => service.answer_survey(&b.user.id, value, clicked).await,
    }
}

/// Queues `text` for the person who clicked, visible only to them in that channel.
async fn answer_privately(state: &AppState, b: &BlockActions, text: String) {
    if let Some(channel) = &b.channel {
        tell(state, Some(&channel.id), &b.user.id, text).await;
    }
}

/// Queues `text` for `user`: visible only to them in `channel`, or in their DM with the bot
/// when they acted from no channel (a global shortcut).
pub(super) async fn tell(state: &AppState, channel: Option<&str>, user: &str, text: String) {
    let note = Notice::note(NoteAbout::Info, None, text);
    let address = match channel {
        Some(channel) => Address::to(Platform::Slack, channel).private_to(user),
        None => Address::to(Platform::Slack, user),
    };
    let message = OutboxMessage::notice("notice", address, note, None);
    let queued = state
        .service
        .store()
        .enqueue(&[message], state.clock.now_ms())
        .await;
    if let Err(e) = queued {
        super::error::report(&e);
    }
}

/// The extension form for the deal a button names.
async fn extension_form(
    state: &AppState,
    actor: &Actor,
    deal: &str,
) -> crate::service::ServiceResult<Answer> {
    state.service.extension_form(actor, deal.parse()?).await
}
