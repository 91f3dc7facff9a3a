//! `POST /slack/commands`: `/deal …` and `/partners …`. Each request is verified and parsed
//! into an [`Intent`] (or a [`Refusal`], worded by `slack::refusals`), handed to the service,
//! and its outcome rendered: one short function per intent.

use super::{record_actor, unparseable, AppError, AppState};
use crate::chat::{Conversation, Platform};
use crate::domain::deal::Surface;
use crate::domain::{DealDraft, DealError};
use crate::intent::{self, DealIntent, Family, Intent, PartnersIntent, Refusal};
use crate::service::{Actor, Answer, Requester};
use crate::slack::client::external_teams;
use crate::slack::payload::{parse_command, SlashCommand};
use crate::slack::refusals::{refusal_text, unknown_intro};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;

/// Slack voids a `trigger_id` 3 s after the command; `views.open` must finish before that.
const VIEWS_OPEN_TIMEOUT: Duration = Duration::from_millis(2500);
/// Budget for looking up a channel's teams while answering `/partners add`.
const CHANNEL_LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

type Reply = Result<Response, AppError>;

/// Parses the command (its signature was verified by the router) and dispatches the intent.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    let cmd = match parse_command(&body) {
        Ok(cmd) => cmd,
        Err(e) => return unparseable("/slack/commands", &e, &body),
    };
    record_actor(&cmd.user_id, cmd.team_id.as_deref());
    let family = match cmd.command.as_str() {
        "/deal" => Family::Deal,
        "/partners" => Family::Partners,
        other => {
            let intro = format!("I don't know the command {other}. Here is what I can do:");
            return help(&state, &cmd, Some(&intro)).unwrap_or_else(IntoResponse::into_response);
        }
    };
    // `/partners` is sent escaped (mentions name people by id; links are unwrapped here).
    let text = match family {
        Family::Partners => crate::slack::payload::command_text(&cmd.text),
        Family::Deal => cmd.text.clone(),
    };
    let result = match intent::parse(family, &text) {
        Ok(intent) => dispatch(&state, &cmd, intent).await,
        Err(refusal) => refuse(&state, refusal),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn dispatch(state: &AppState, cmd: &SlashCommand, intent: Intent) -> Reply {
    match intent {
        Intent::Deal(intent) => deal(state, cmd, intent).await,
        Intent::Partners(intent) => partners(state, cmd, intent).await,
        Intent::Help { unknown } => {
            help(state, cmd, unknown.as_ref().map(unknown_intro).as_deref())
        }
    }
}

/// A one-line registration's field errors list every field; other refusals are one warning.
fn refuse(state: &AppState, refusal: Refusal) -> Reply {
    match refusal {
        Refusal::Invalid(errors) => reply(state.render.validation_errors(&errors)?),
        other => Err(DealError::BadCommand(refusal_text(&other)).into()),
    }
}

fn actor(cmd: &SlashCommand) -> Actor {
    Actor {
        user: cmd.user_id.clone(),
        platform: Platform::Slack,
        workspace: cmd.team_id.clone(),
        channel: Some(cmd.channel_id.clone()),
    }
}

fn reply(value: serde_json::Value) -> Reply {
    Ok(Json(value).into_response())
}

/// The service's `answer`, rendered for Slack.
fn answer(state: &AppState, answer: &Answer) -> Reply {
    reply(crate::slack::answers::render(&state.render, answer)?)
}

/// A one-line ephemeral answer with `icon`.
fn notice(state: &AppState, icon: &str, text: &str) -> Reply {
    reply(state.render.notice(icon, text)?)
}

fn help(state: &AppState, cmd: &SlashCommand, intro: Option<&str>) -> Reply {
    reply(
        state
            .render
            .help(state.service.is_manager(&cmd.user_id), intro)?,
    )
}

async fn deal(state: &AppState, cmd: &SlashCommand, intent: DealIntent) -> Reply {
    let (service, actor) = (&state.service, actor(cmd));
    match intent {
        DealIntent::OpenForm => open_registration(state, cmd, &actor).await,
        DealIntent::Register(draft) => register_one_line(state, cmd, &actor, &draft).await,
        DealIntent::List { filter, page } => {
            answer(state, &service.list_deals(&actor, filter, page).await?)
        }
        DealIntent::Show(id) => answer(state, &service.show_deal(&actor, id).await?),
        DealIntent::Update { deal, changes, raw } => {
            let done = service.update_deal(&actor, deal, &changes, &raw).await?;
            notice(state, ":arrow_forward:", &done)
        }
        DealIntent::Extend(id) => {
            let form = service.extension_form(&actor, id).await?;
            let view = crate::slack::answers::render(&state.render, &form)?;
            open_form(state, cmd, &view).await
        }
        DealIntent::Commissions => answer(state, &service.commission_summary(&actor).await?),
    }
}

async fn open_registration(state: &AppState, cmd: &SlashCommand, actor: &Actor) -> Reply {
    let form = state.service.registration_form(actor).await?;
    let view = crate::slack::answers::render(&state.render, &form)?;
    let Some(trigger) = cmd.trigger_id.as_deref() else {
        return Err(DealError::BadCommand("Slack sent no trigger id, so I can't open the form. Use `/deal register <company> <domain> <amount>`.".into()).into());
    };
    match state
        .slack
        .open_view(trigger, &view, VIEWS_OPEN_TIMEOUT)
        .await
    {
        Ok(()) => Ok(StatusCode::OK.into_response()),
        Err(failure) => {
            tracing::warn!(error = %failure, "views.open failed");
            Err(DealError::BadCommand(format!(
                "I couldn't open the registration form ({failure}). Try `/deal` again, or register in one line: `/deal register Acme Corp acme.com 50000`."
            ))
            .into())
        }
    }
}

/// Opens a modal for the command's trigger id, or says why it could not.
async fn open_form(state: &AppState, cmd: &SlashCommand, view: &serde_json::Value) -> Reply {
    let Some(trigger) = cmd.trigger_id.as_deref() else {
        return Err(DealError::BadCommand(
            "Slack sent no trigger id, so I can't open the form. Please try again.".into(),
        )
        .into());
    };
    match state
        .slack
        .open_view(trigger, view, VIEWS_OPEN_TIMEOUT)
        .await
    {
        Ok(()) => Ok(StatusCode::OK.into_response()),
        Err(failure) => Err(DealError::BadCommand(format!(
            "I couldn't open the form ({failure}). Please try again."
        ))
        .into()),
    }
}

async fn register_one_line(
    state: &AppState,
    cmd: &SlashCommand,
    actor: &Actor,
    draft: &DealDraft,
) -> Reply {
    let render = &state.render;
    let key = cmd.trigger_id.as_ref().map(|t| format!("cmd:{t}"));
    match state
        .service
        .register(actor, draft, Surface::OneLine, key)
        .await
    {
        Ok(done) if done.own_duplicate => reply(render.already_ours(&done.deal)?),
        Ok(done) => reply(render.deal_registered(&done.deal, done.repeated)?),
        Err(crate::service::ServiceError::Rejected(DealError::Invalid(errors))) => {
            reply(render.validation_errors(&errors)?)
        }
        Err(e) => Err(e.into()),
    }
}

async fn partners(state: &AppState, cmd: &SlashCommand, intent: PartnersIntent) -> Reply {
    let (service, user) = (&state.service, cmd.user_id.as_str());
    match intent {
        PartnersIntent::Add {
            name,
            partner_type,
            tier,
        } => add_partner(state, cmd, &name, &partner_type, tier.as_deref()).await,
        PartnersIntent::List { page } => {
            let partners = service.list_partners(&Requester::Chat(actor(cmd))).await?;
            reply(state.render.partner_list(&partners, page)?)
        }
        PartnersIntent::Check { name, domain } => answer(
            state,
            &service
                .manager_lookup(user, Some((&name, domain.as_deref())))
                .await?,
        ),
        PartnersIntent::Accounts => answer(state, &service.manager_lookup(user, None).await?),
        PartnersIntent::Stats { partner, period } => {
            answer(state, &service.partner_stats(user, &partner, period).await?)
        }
        PartnersIntent::DigestNow => {
            notice(state, ":newspaper:", &service.send_digest_now(user).await?)
        }
        PartnersIntent::SurveyNow => {
            let opened = service.open_survey(user, state.clock.now()).await?;
            notice(state, ":clipboard:", &opened)
        }
        PartnersIntent::SurveyResults { round } => {
            answer(state, &service.survey_results(user, round).await?)
        }
        PartnersIntent::PayCommissions(ids) => notice(
            state,
            ":moneybag:",
            &service.pay_commissions(user, &ids).await?,
        ),
        PartnersIntent::Admins { partner, users } => {
            let (named, admins) = service
                .set_partner_admins(&Requester::Chat(actor(cmd)), partner, &users)
                .await?;
            let text = crate::intent::wording::admins_words(&named.name, named.id, &admins);
            notice(state, ":busts_in_silhouette:", &text)
        }
    }
}

/// Links the channel the command was typed in to a new partner (managers only).
async fn add_partner(
    state: &AppState,
    cmd: &SlashCommand,
    name: &str,
    partner_type: &str,
    tier: Option<&str>,
) -> Reply {
    if !state.service.is_manager(&cmd.user_id) {
        return Err(DealError::NotManager.into());
    }
    let team = partner_team(state, &cmd.channel_id).await;
    let partner = state
        .service
        .add_partner(
            &Requester::Chat(actor(cmd)),
            crate::service::PartnerLink {
                name,
                partner_type,
                conversation: &Conversation::new(Platform::Slack, cmd.channel_id.clone()),
                workspace: team,
                tier,
            },
        )
        .await?;
    let text = format!(
        "Linked this channel to {} ({} partner). Its members can now register deals with /deal.",
        partner.name, partner.partner_type
    );
    notice(state, ":white_check_mark:", &text)
}

/// The partner's own Slack team in a shared channel, when Slack tells us (best effort: a
/// failure here only means the team is learned later).
async fn partner_team(state: &AppState, channel: &str) -> Option<String> {
    match tokio::time::timeout(
        CHANNEL_LOOKUP_TIMEOUT,
        state.slack.conversation_info(channel),
    )
    .await
    {
        Ok(Ok(info)) => external_teams(&info, state.home_team.as_deref())
            .into_iter()
            .next(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "conversations.info failed; linking without the partner's team");
            None
        }
        Err(_) => None,
    }
}
