//! Teams forms: the registration, extension and update forms opened in a dialog
//! (`task/fetch`) and submitted (`task/submit`), or shown on a card for a button that cannot
//! open a dialog (`Action.Execute`). The service validates every submission; a refused one
//! comes back as the same form with what the person typed and each error under its field.

use super::error::{message_for, report};
use super::teams::actor;
use super::AppState;
use crate::domain::deal::Surface;
use crate::domain::{DealDraft, DealError, DealId, Field};
use crate::service::{Actor, Answer, ServiceError, ServiceResult};
use crate::teams::cards::verbs::{Verb, REGISTER_FLOW};
use crate::teams::cards::{Cards, Rendered, FORM_EXTENSION, FORM_REGISTRATION, FORM_UPDATE};
use crate::teams::invoke::{self, text, with_errors};
use crate::teams::ActivityHead;
use serde_json::{Map, Value};

/// A dialog's title, by the form it shows.
fn title_of(form: &Answer) -> &'static str {
    match form {
        Answer::RegistrationForm {
            prefill: Some(_), ..
        } => "Edit and resubmit",
        Answer::RegistrationForm { .. } => "Register a deal",
        Answer::ExtensionForm { .. } => "Extend protection",
        Answer::UpdateForm { .. } => "Update deal",
        _ => "partnerbot",
    }
}

/// The Teams cards of this program.
pub(super) fn cards(state: &AppState) -> Cards {
    let program = &state.service.program().program;
    Cards::new(&program.name, &program.default_currency)
}

/// Who acts: the sender, in the conversation they clicked in, else the one `channel` names
/// (a form opened from a personal chat carries its partner's channel).
fn acting(activity: &ActivityHead, channel: Option<String>) -> ServiceResult<Actor> {
    let mut who = actor(activity).ok_or(DealError::NotLinked)?;
    if who.channel.is_none() {
        who.channel = channel.filter(|c| !c.is_empty());
    }
    Ok(who)
}

/// The form a button asks for: registration (`flow`), or a verb's form for `deal`.
pub(super) async fn form_for(
    state: &AppState,
    activity: &ActivityHead,
    flow: &str,
    data: &Map<String, Value>,
) -> ServiceResult<Answer> {
    let deal = text(data, "deal");
    let service = &state.service;
    if flow == REGISTER_FLOW {
        let actor = acting(activity, Some(text(data, "conversation")))?;
        return service.registration_form(&actor).await;
    }
    let actor = acting(activity, None)?;
    match Verb::parse(flow) {
        Some(Verb::UpdateDeal) => service.update_form(&actor, deal.parse()?).await,
        Some(Verb::Resubmit) => service.resubmission_form(&actor, deal.parse()?).await,
        Some(Verb::Extend) => service.extension_form(&actor, deal.parse()?).await,
        _ => Err(DealError::BadCommand(format!("There is no form “{flow}”.")).into()),
    }
}

/// `task/fetch`: the dialog with the form the button asks for, or a message saying why not.
pub(super) async fn fetch(
    state: &AppState,
    activity: &ActivityHead,
    data: &Map<String, Value>,
) -> Value {
    let flow = text(data, "flow");
    let shown = match form_for(state, activity, &flow, data).await {
        Ok(form) => cards(state)
            .answer(&form)
            .map(|card| invoke::dialog(title_of(&form), &card))
            .map_err(ServiceError::Internal),
        Err(e) => Err(e),
    };
    shown.unwrap_or_else(|e| invoke::dialog_closed(&message_for(&e)))
}

/// What a submitted form came to.
pub(super) enum Submitted {
    /// The form again, with each error under its field (titled for a dialog).
    Again(&'static str, Rendered),
    /// Done, or refused for a reason the form cannot fix: the text to show.
    Closed(String),
}

/// `task/submit`: the dialog again with errors, or closed with what happened.
pub(super) async fn submit_dialog(
    state: &AppState,
    activity: &ActivityHead,
    data: &Map<String, Value>,
) -> Value {
    match submit(state, activity, data).await {
        Submitted::Again(title, card) => invoke::dialog(title, &card),
        Submitted::Closed(text) => invoke::dialog_closed(&text),
    }
}

/// Hands a submitted form to the service. A resubmitted invoke (Teams retries, a double
/// click) never registers twice: the registration's idempotency key is the activity id.
pub(super) async fn submit(
    state: &AppState,
    activity: &ActivityHead,
    data: &Map<String, Value>,
) -> Submitted {
    let form = text(data, "form");
    let metadata: Value = serde_json::from_str(&text(data, "metadata")).unwrap_or_default();
    let deal = metadata["deal"].as_i64().map(|d| d.to_string());
    let actor = match acting(activity, metadata["channel"].as_str().map(str::to_string)) {
        Ok(a) => a,
        Err(e) => return Submitted::Closed(message_for(&e)),
    };
    let (done, field) = match form.as_str() {
        FORM_REGISTRATION => (
            register(state, activity, &actor, deal.clone(), data).await,
            "",
        ),
        FORM_EXTENSION => {
            let why = text(data, "justification");
            let asked = match deal_id(deal.as_deref()) {
                Ok(deal) => state.service.request_extension(&actor, deal, &why).await,
                Err(e) => Err(e),
            };
            (asked, "justification")
        }
        FORM_UPDATE => (update(state, &actor, deal.as_deref(), data).await, "stage"),
        _ => {
            let why = format!("I don't know the form “{form}”; nothing was changed.");
            return Submitted::Closed(why);
        }
    };
    let errors = match done {
        Ok(text) => return Submitted::Closed(text),
        Err(ServiceError::Rejected(DealError::Invalid(errors))) => errors
            .0
            .iter()
            .map(|(f, m)| (f.key().to_string(), m.clone()))
            .collect(),
        Err(e) => vec![(field.to_string(), message_for(&e))],
    };
    let place = Place {
        form: &form,
        deal,
        channel: metadata["channel"].as_str(),
    };
    again(state, activity, place, data, &errors).await
}

/// Which form was submitted, about which deal, from which channel.
struct Place<'a> {
    form: &'a str,
    deal: Option<String>,
    channel: Option<&'a str>,
}

/// The submitted form re-rendered with `errors` and the values typed; when the form itself
/// can no longer be shown, what is wrong in words.
async fn again(
    state: &AppState,
    activity: &ActivityHead,
    place: Place<'_>,
    data: &Map<String, Value>,
    errors: &[(String, String)],
) -> Submitted {
    let flow = match (place.form, place.deal.is_some()) {
        (FORM_REGISTRATION, false) => REGISTER_FLOW,
        (FORM_REGISTRATION, true) => Verb::Resubmit.as_str(),
        (FORM_EXTENSION, _) => Verb::Extend.as_str(),
        _ => Verb::UpdateDeal.as_str(),
    };
    let mut button = data.clone();
    button.insert("deal".into(), place.deal.unwrap_or_default().into());
    button.insert(
        "conversation".into(),
        place.channel.unwrap_or_default().into(),
    );
    let why = || {
        let words: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
        words.join(" ")
    };
    let answer = match form_for(state, activity, flow, &button).await {
        Ok(a) => a,
        Err(_) => return Submitted::Closed(why()),
    };
    match cards(state).answer(&answer) {
        Ok(card) => Submitted::Again(title_of(&answer), with_errors(&card, data, errors)),
        Err(e) => {
            report(&e);
            Submitted::Closed(why())
        }
    }
}

/// A registration (or, for a returned `deal`, its resubmission) from the form's inputs.
async fn register(
    state: &AppState,
    activity: &ActivityHead,
    actor: &Actor,
    deal: Option<String>,
    data: &Map<String, Value>,
) -> ServiceResult<String> {
    let draft = DealDraft::from_fields(|f: Field| text(data, f.key()));
    let service = &state.service;
    if let Some(deal) = deal.and_then(|d| d.parse::<i64>().ok()) {
        let d = service.resubmit(actor, DealId(deal), &draft).await?.deal;
        let (id, status) = (d.id.to_string(), d.status.label());
        return Ok(invoke::resubmitted_text(&id, &d.company, status));
    }
    let key = activity.id.as_ref().map(|id| format!("teams:{id}"));
    let done = service.register(actor, &draft, Surface::Modal, key).await?;
    let d = &done.deal;
    Ok(invoke::registered_text(
        &d.id.to_string(),
        &d.company,
        d.status.label(),
        done.own_duplicate,
    ))
}

/// The "Update deal" form: the same change as the update command.
async fn update(
    state: &AppState,
    actor: &Actor,
    deal: Option<&str>,
    data: &Map<String, Value>,
) -> ServiceResult<String> {
    let deal_id = deal_id(deal)?;
    let (raw, changes) = super::interactions::deal_changes(deal_id, |k| text(data, k));
    let deal = state.service.update_form_deal(actor, deal_id).await?;
    let surface = actor.surface(crate::chat::Via::Form);
    state
        .service
        .apply_changes(actor, deal, &changes, surface, &raw)
        .await
}

/// The deal a submitted form carries (written out as a number in its metadata).
fn deal_id(given: Option<&str>) -> ServiceResult<DealId> {
    Ok(given.unwrap_or_default().parse()?)
}
