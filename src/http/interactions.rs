//! `POST /slack/interactions`: modal submissions and button clicks.

use super::error::message_for;
use super::{record_actor, unparseable, AppState};
use crate::chat::SourceMessage;
use crate::domain::deal::Surface;
use crate::domain::engagement::Decision;
use crate::domain::{DealDraft, DealError, DealId, Field, FieldErrors};
use crate::intent::ButtonRefusal;
use crate::notice::{Address, Conversation, NoteAbout, Notice, Platform};
use crate::service::surveys::Clicked as ClickedAt;
use crate::service::{Actor, Answer, ServiceError, ServiceResult};
use crate::slack::actions::{parse_button, parse_submission, ButtonIntent, DealForm};
use crate::slack::actions::{FormIntent, FormRefusal};
use crate::slack::home::PAGE_ACTION;
use crate::slack::payload::{parse_interaction, BlockActions, Interaction, ViewSubmission};
use crate::slack::refusals::button_refusal_text;
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

/// Parses the payload and dispatches on its type.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_interaction(&body) {
        Err(e) => unparseable("/slack/interactions", &e, &body),
        Ok(Interaction::ViewSubmission(v)) => {
            record_actor(&v.user.id, v.user.team_id.as_deref());
            submission(&state, &v).await
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

/// A modal submitted: read, handed to the service, answered with the modal closed or what is
/// wrong shown under a field.
async fn submission(state: &AppState, v: &ViewSubmission) -> Response {
    let form = match parse_submission(&v.view.callback_id, &v.view.private_metadata) {
        Ok(form) => form,
        Err(FormRefusal::Unknown(callback_id)) => {
            tracing::warn!(callback_id = %callback_id, "submission of an unknown form");
            return unknown_form(state, &callback_id);
        }
        Err(FormRefusal::Unreadable { field, why }) => {
            return Json(field_error(field, &button_refusal_text(&why))).into_response();
        }
    };
    let text = |field: &str| v.view.state.text(field);
    let service = &state.service;
    let answer = match form {
        FormIntent::Register {
            channel,
            correcting,
            source,
        } => {
            let actor = submitter(v, channel);
            submit_registration(state, v, &actor, correcting, source).await
        }
        FormIntent::SurveyComment { round } => {
            let comment = text("comment");
            let done = service.comment_survey(&v.user.id, round, &comment).await;
            closed_or(done, "comment")
        }
        FormIntent::Update { deal, channel } => {
            let actor = submitter(v, channel);
            closed_or(submit_update(state, v, &actor, deal).await, "stage")
        }
        FormIntent::Extension { deal, channel } => {
            let (actor, why) = (submitter(v, channel), text("justification"));
            let asked = service.request_extension(&actor, deal, &why).await;
            closed_or(asked, "justification")
        }
        FormIntent::Decision { decision, deal } => {
            let (actor, note) = (submitter(v, None), text("note"));
            let decided = service.decide(&actor, deal, decision, &note).await;
            closed_or(decided, "note")
        }
    };
    Json(answer).into_response()
}

/// The modal closes when `outcome` is done; a refusal is shown under `field`.
fn closed_or<T>(outcome: Result<T, ServiceError>, field: &str) -> Value {
    match outcome {
        Ok(_) => json!({ "response_action": "clear" }),
        Err(e) => field_error(field, &message_for(&e)),
    }
}

/// The modal stays open with `text` under `field`.
fn field_error(field: &str, text: &str) -> Value {
    json!({ "response_action": "errors", "errors": { field: text } })
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

/// Validates and stores a submitted registration (or the correction of the returned
/// registration `correcting`). Invalid fields go back inline; a refusal or an internal error is
/// shown on the first field so the person keeps what they typed.
async fn submit_registration(
    state: &AppState,
    v: &ViewSubmission,
    actor: &Actor,
    correcting: Option<DealId>,
    source: Option<SourceMessage>,
) -> Value {
    let draft = DealDraft::from_fields(|f| v.view.state.text(f.key()));
    let outcome = match correcting {
        Some(deal) => state.service.resubmit(actor, deal, &draft).await,
        None => {
            let source = match source {
                Some(s) => Some(super::shortcuts::with_link(state, s).await),
                None => None,
            };
            let key = Some(format!("view:{}", v.view.id));
            let service = &state.service;
            service
                .register_from(actor, &draft, Surface::Modal, key, source)
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

/// Approves at once; the ephemeral text to show.
async fn approve(state: &AppState, actor: &Actor, deal: DealId) -> ServiceResult<String> {
    let d = state
        .service
        .decide(actor, deal, Decision::Approve, "")
        .await?;
    let until = d.protected_until.map(|p| p.to_string()).unwrap_or_default();
    Ok(format!("Approved {}: protected until {until}.", d.id))
}

/// The modal asking a manager for the reason of a rejection or the question of a return.
async fn decision_form(
    state: &AppState,
    user: &str,
    deal: DealId,
    decision: Decision,
) -> Result<Value, ServiceError> {
    let d = state
        .service
        .deal_for_decision(user, deal, decision)
        .await?;
    let reject = decision == Decision::Reject;
    let view = state.render.decision_modal(&d, reject);
    view.map_err(ServiceError::Internal)
}

/// The form the service answered, rendered as a Slack modal view.
pub(super) fn form_view(
    state: &AppState,
    form: Result<Answer, ServiceError>,
) -> Result<Value, ServiceError> {
    crate::slack::answers::render(&state.render, &form?).map_err(ServiceError::Internal)
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

/// The "Update deal" modal submitted: the same update as `/deal update`.
async fn submit_update(
    state: &AppState,
    v: &ViewSubmission,
    actor: &Actor,
    deal: DealId,
) -> ServiceResult<String> {
    let (raw, changes) = deal_changes(deal, |k| v.view.state.text(k));
    let found = state.service.update_form_deal(actor, deal).await?;
    let service = &state.service;
    service
        .apply_changes(actor, found, &changes, "slack_modal", &raw)
        .await
}

/// The changes an "Update deal" form of `deal_id` asks for (`input` reads a field by its id),
/// and the same change as the update command would write it (for the audit trail and a win's
/// record).
pub(super) fn deal_changes(
    deal: DealId,
    input: impl Fn(&str) -> String,
) -> (String, crate::service::progress::DealChanges) {
    // The deal as its number alone, as the form has always written it.
    let mut raw = format!(
        "{} stage={} amount={} close={}",
        deal.0,
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

/// Buttons: read into what they ask for, acted on, answered privately (in the Home tab, at
/// its top).
async fn block_actions(state: &AppState, b: &BlockActions) -> Response {
    let Some(action) = b.actions.first() else {
        return StatusCode::OK.into_response();
    };
    tracing::info!(action_id = %action.action_id, "button clicked");
    let intent = parse_button(&action.action_id, action.value.as_deref());
    if b.in_home_tab() {
        home_click(state, b, intent).await;
    } else if let Some(text) = click(state, b, intent).await {
        answer_privately(state, b, text).await;
    }
    StatusCode::OK.into_response()
}

/// A click in the Home tab: a page turned, or one of the tab's buttons, whose answer is shown
/// at the top of the tab (there is no channel to answer in).
async fn home_click(state: &AppState, b: &BlockActions, intent: Clicked) {
    let user = &b.user.id;
    let shown = match intent {
        Ok(ButtonIntent::HomePage(page)) => state.home.show(user, page, None).await,
        other => match click(state, b, other).await {
            Some(text) => {
                let page = state.home.page_of(user);
                state.home.show(user, page, Some(text)).await
            }
            None => Ok(()),
        },
    };
    if let Err(e) = shown {
        super::error::report(&e);
    }
}

/// A button read, or why it could not be.
type Clicked = Result<ButtonIntent, ButtonRefusal>;

/// Acts on a click; the answer to show the person, or `None` when a modal opened instead.
async fn click(state: &AppState, b: &BlockActions, intent: Clicked) -> Option<String> {
    let intent = match intent {
        Ok(intent) => intent,
        Err(why) => return Some(button_refusal_text(&why)),
    };
    let (actor, service, user) = (clicker(b), &state.service, b.user.id.as_str());
    let answered =
        |outcome: ServiceResult<String>| Some(outcome.unwrap_or_else(|e| message_for(&e)));
    let open = |view| open_form(state, b.trigger_id.as_deref(), view);
    match intent {
        ButtonIntent::Review {
            decision: Decision::Approve,
            deal,
        } => answered(approve(state, &actor, deal).await),
        ButtonIntent::Review { decision, deal } => {
            open(decision_form(state, user, deal, decision).await).await
        }
        ButtonIntent::OpenForm { form, deal } => {
            open(form_view(state, deal_form(state, &actor, form, deal).await)).await
        }
        ButtonIntent::Register { channel } => {
            let channel = channel.or(actor.channel.clone());
            let asked = service.registration_form(&Actor { channel, ..actor }).await;
            open(form_view(state, asked)).await
        }
        ButtonIntent::SurveyComment { round } => {
            open(
                state
                    .render
                    .psat_comment(round)
                    .map_err(ServiceError::Internal),
            )
            .await
        }
        ButtonIntent::SurveyScore { round, score } => {
            let at = clicked_message(b);
            answered(service.answer_survey(user, round, score, at).await)
        }
        ButtonIntent::SurveyHandled { round, user: whose } => {
            let at = clicked_message(b);
            answered(
                service
                    .handle_survey_followup(user, round, &whose, at)
                    .await,
            )
        }
        ButtonIntent::Extension { deal, grant } => {
            answered(service.decide_extension(&actor, deal, grant).await)
        }
        ButtonIntent::AeAnswer { deal, choice } => {
            answered(service.record_ae_choice(&actor, deal, choice).await)
        }
        // Only the Home tab has pages to turn.
        ButtonIntent::HomePage(_) => {
            let why = ButtonRefusal::UnknownButton(PAGE_ACTION.to_string());
            Some(button_refusal_text(&why))
        }
    }
}

/// Who submitted a modal typed in `channel`.
fn submitter(v: &ViewSubmission, channel: Option<String>) -> Actor {
    Actor {
        user: v.user.id.clone(),
        platform: Platform::Slack,
        workspace: v.user.team_id.clone(),
        channel,
    }
}

/// The person who clicked, in the channel they clicked in.
fn clicker(b: &BlockActions) -> Actor {
    Actor {
        user: b.user.id.clone(),
        platform: Platform::Slack,
        workspace: b.user.team_id.clone(),
        channel: b.channel.as_ref().map(|c| c.id.clone()),
    }
}

/// The resubmission, update or extension form of `deal`.
async fn deal_form(
    state: &AppState,
    actor: &Actor,
    form: DealForm,
    deal: DealId,
) -> ServiceResult<Answer> {
    let service = &state.service;
    match form {
        DealForm::Resubmit => service.resubmission_form(actor, deal).await,
        DealForm::Update => service.update_form(actor, deal).await,
        DealForm::Extend => service.extension_form(actor, deal).await,
    }
}

/// The message a click came from, for the service to update it in place.
fn clicked_message(b: &BlockActions) -> Option<ClickedAt> {
    let c = b.container.as_ref()?;
    Some(ClickedAt {
        conversation: Conversation::new(Platform::Slack, c.channel_id.clone()?),
        message: c.message_ts.clone()?,
    })
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
