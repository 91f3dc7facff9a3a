//! Teams invokes: dialogs (`task/fetch`, `task/submit`, in `teams_dialogs`) and Universal
//! Actions (`adaptiveCard/action`), answered in the HTTP response.
//!
//! Each `Action.Execute` verb calls the service as the clicker, exactly as the Slack button
//! does, and answers with the card as it now is, shown to the clicker (the review card after
//! a decision, the survey question with their answer, the follow-up marked handled; a card
//! saying what happened for the others). The service queues the update of the card for
//! everyone (the outbox `PUT`s it). A refusal answers 400 with the reason, and the card stays
//! as it was; on a review card, whose state may have moved on, the current card with the
//! reason at its top.

use super::error::message_for;
use super::teams::actor;
use super::teams_dialogs::{cards, fetch, form_for, submit, submit_dialog, Submitted};
use super::{AppError, AppState};
use crate::domain::engagement::Decision;
use crate::domain::DealId;
use crate::intent::wording::button_refusal_text;
use crate::notice::{Conversation, NoteAbout, Notice, Platform};
use crate::service::surveys::Clicked;
use crate::service::{Actor, ServiceError, ServiceResult};
use crate::teams::cards::verbs::Verb;
use crate::teams::cards::Rendered;
use crate::teams::command::TEAMS_PLAIN;
use crate::teams::invoke::{self, card_answer, refusal, Click, Invoke};
use crate::teams::ActivityHead;
use serde_json::{json, Map, Value};

/// The invoke response for one invoke activity.
pub(super) async fn handle(
    state: &AppState,
    activity: &ActivityHead,
    body: &[u8],
) -> Result<Value, AppError> {
    let parsed = match invoke::parse(body) {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(reason = %why, "unreadable Teams invoke");
            return Ok(refusal(&why));
        }
    };
    Ok(match parsed {
        Invoke::Dialog {
            submit: false,
            data,
        } => fetch(state, activity, &data).await,
        Invoke::Dialog { submit: true, data } => submit_dialog(state, activity, &data).await,
        Invoke::Action {
            verb: Some(verb),
            data,
            ..
        } => {
            tracing::info!(verb = verb.as_str(), "card action");
            match actor(activity) {
                Some(who) => act(state, activity, &who, verb, &data).await,
                None => refusal("Teams did not say who clicked; please try again."),
            }
        }
        Invoke::Action { raw_verb, .. } => {
            tracing::warn!(verb = %raw_verb, "card action with an unknown verb");
            refusal("That button isn't something I can act on (yet). Send “deal help” for what I can do.")
        }
        Invoke::Other(name) => {
            tracing::info!(name = %name, "invoke not handled");
            json!({ "statusCode": 200 })
        }
    })
}

/// Acts on one verb as `who`; the invoke answer.
async fn act(
    state: &AppState,
    activity: &ActivityHead,
    who: &Actor,
    verb: Verb,
    data: &Map<String, Value>,
) -> Value {
    let click = match invoke::click(verb, data) {
        Ok(click) => click,
        Err(why) => return refusal(&button_refusal_text(&why, &TEAMS_PLAIN)),
    };
    let service = &state.service;
    let said = |outcome: ServiceResult<String>| outcome.and_then(|t| note(state, &t));
    let answered = match click {
        Click::Review {
            decision,
            deal,
            reason,
        } => return review(state, who, decision, deal, &reason).await,
        Click::Refresh(deal) => review_card(state, who, deal).await,
        Click::Form(verb) => form_on_card(state, activity, verb, data).await,
        Click::Extend {
            deal,
            justification,
        } => said(service.request_extension(who, deal, &justification).await),
        Click::Extension { deal, grant } => said(service.decide_extension(who, deal, grant).await),
        Click::AeAnswer { deal, choice } => said(service.record_ae_choice(who, deal, choice).await),
        Click::SurveyScore { round, score } => {
            let clicked = clicked(activity);
            match service
                .answer_survey(&who.user, round, score, clicked)
                .await
            {
                Ok(_) => survey_card(state, who, round, None).await,
                Err(e) => Err(e),
            }
        }
        Click::SurveyComment { round, comment } => {
            match service.comment_survey(&who.user, round, &comment).await {
                Ok(thanks) => survey_card(state, who, round, Some(thanks)).await,
                Err(e) => Err(e),
            }
        }
        Click::MarkHandled { round, user } => {
            mark_handled(state, activity, who, round, &user).await
        }
    };
    answered.map_or_else(|e| refused(&e), |card| card_answer(&card))
}

/// The clicked card's message, so that the service can update it in place.
fn clicked(activity: &ActivityHead) -> Option<Clicked> {
    let (conversation, _) = activity.conversation()?;
    let message = activity.reply_to_id.clone().filter(|m| !m.is_empty())?;
    Some(Clicked {
        conversation: Conversation::new(Platform::Teams, conversation),
        message,
    })
}

/// A refusal's answer: the reason, the card left as it was.
fn refused(e: &ServiceError) -> Value {
    refusal(&message_for(e))
}

/// A card of one line saying what happened (`text` is escaped on the card).
fn note(state: &AppState, text: &str) -> ServiceResult<Rendered> {
    rendered(
        state,
        &Notice::note(NoteAbout::Info, None, text.to_string()),
    )
}

/// `notice` as a card, or our own failure.
fn rendered(state: &AppState, notice: &Notice) -> ServiceResult<Rendered> {
    cards(state).notice(notice).map_err(ServiceError::Internal)
}

/// Approve, Reject or Return, answered with the review card as it now is. A refused decision
/// (already decided, no reason given) shows the current card with the reason at its top; a
/// person who may not decide gets the reason alone.
async fn review(
    state: &AppState,
    who: &Actor,
    decision: Decision,
    deal: DealId,
    reason: &str,
) -> Value {
    let decided = state.service.decide(who, deal, decision, reason).await;
    let current = review_card(state, who, deal).await;
    match (decided, current) {
        (Ok(_), Ok(card)) => card_answer(&card),
        (Ok(_), Err(e)) => refused(&e),
        (Err(e @ ServiceError::Rejected(_)), Ok(card)) => {
            match invoke::with_banner(&card, &message_for(&e)) {
                Some(shown) => card_answer(&shown),
                None => refused(&e),
            }
        }
        (Err(e), _) => refused(&e),
    }
}

/// The review card of `deal` as it stands (managers only).
async fn review_card(state: &AppState, who: &Actor, deal: DealId) -> ServiceResult<Rendered> {
    let notice = state.service.review_notice(&who.user, deal).await?;
    rendered(state, &notice)
}

/// The survey question of `round` as `who` now sees it, with `thanks` at its top.
async fn survey_card(
    state: &AppState,
    who: &Actor,
    round: i64,
    thanks: Option<String>,
) -> ServiceResult<Rendered> {
    let notice = state.service.survey_invite(&who.user, round).await?;
    let card = rendered(state, &notice)?;
    Ok(thanks
        .and_then(|t| invoke::with_note(&card, &t))
        .unwrap_or(card))
}

/// A manager marks `user`'s detractor follow-up of `round` handled; the follow-up as it now is.
async fn mark_handled(
    state: &AppState,
    activity: &ActivityHead,
    who: &Actor,
    round: i64,
    user: &str,
) -> ServiceResult<Rendered> {
    let service = &state.service;
    service
        .handle_survey_followup(&who.user, round, user, clicked(activity))
        .await?;
    let notice = service
        .followup_notice(round, user, Some(&who.user))
        .await?;
    rendered(state, &notice)
}

/// A form on the card itself (a button that cannot open a dialog): shown when the button is
/// clicked, handed to the service when its own button is; the form again with errors, or a
/// card saying what happened.
async fn form_on_card(
    state: &AppState,
    activity: &ActivityHead,
    verb: Verb,
    data: &Map<String, Value>,
) -> ServiceResult<Rendered> {
    if !data.contains_key("form") {
        let form = form_for(state, activity, verb.as_str(), data).await?;
        let card = cards(state).answer(&form)?;
        return Ok(invoke::inline_form(&card, verb));
    }
    match submit(state, activity, data).await {
        Submitted::Again(_, card) => Ok(invoke::inline_form(&card, verb)),
        Submitted::Closed(text) => note(state, &text),
    }
}
