//! `POST /slack/commands`: `/deal …` and `/partners …`.

use super::{record_actor, unparseable, AppError, AppState};
use crate::domain::deal::Surface;
use crate::domain::{DealDraft, DealError};
use crate::service::{Actor, Requester};
use crate::slack::client::external_teams;
use crate::slack::payload::{parse_command, SlashCommand};
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

/// Parses the command and dispatches on its name.
pub async fn handle(State(state): State<AppState>, body: Bytes) -> Response {
    let cmd = match parse_command(&body) {
        Ok(cmd) => cmd,
        Err(e) => return unparseable("/slack/commands", &e, &body),
    };
    record_actor(&cmd.user_id, cmd.team_id.as_deref());
    let result = match cmd.command.as_str() {
        "/deal" => deal(&state, &cmd).await,
        "/partners" => partners(&state, &cmd).await,
        other => help(
            &state,
            &cmd,
            Some(&format!(
                "I don't know the command {other}. Here is what I can do:"
            )),
        ),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn actor(cmd: &SlashCommand) -> Actor {
    Actor {
        user: cmd.user_id.clone(),
        team: cmd.team_id.clone(),
        channel: Some(cmd.channel_id.clone()),
    }
}

fn reply(value: serde_json::Value) -> Reply {
    Ok(Json(value).into_response())
}

fn help(state: &AppState, cmd: &SlashCommand, intro: Option<&str>) -> Reply {
    reply(
        state
            .service
            .render()
            .help(state.service.is_manager(&cmd.user_id), intro)?,
    )
}

/// `page N` (or nothing, page 1) after a list command.
fn list_page(rest: &str) -> Result<usize, DealError> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(1),
        [p, n] if p.eq_ignore_ascii_case("page") => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                DealError::BadCommand(format!(
                    "“{n}” is not a page number: try `/partners list page 2`"
                ))
            }),
        _ => Err(DealError::BadCommand(
            "Usage: `/partners list [page N]`".into(),
        )),
    }
}

/// Splits "word rest of text" into the lower-cased first word and the rest.
fn split_first(text: &str) -> (String, &str) {
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first.to_lowercase(), rest.trim()),
        None => (text.to_lowercase(), ""),
    }
}

async fn deal(state: &AppState, cmd: &SlashCommand) -> Reply {
    let (sub, rest) = split_first(&cmd.text);
    let actor = actor(cmd);
    match (sub.as_str(), rest.is_empty()) {
        ("", _) | ("register", true) => open_registration(state, cmd, &actor).await,
        ("register", false) => register_one_line(state, cmd, &actor, rest).await,
        ("list", _) => reply(state.service.list_deals(&actor, rest).await?),
        ("show", false) => reply(state.service.show_deal(&actor, rest).await?),
        ("show", true) => {
            Err(DealError::BadCommand("Which deal? Use `/deal show D-42`.".into()).into())
        }
        ("update", _) => reply(state.service.render().notice(
            ":arrow_forward:",
            &state.service.update_deal(&actor, rest).await?,
        )?),
        ("extend", false) => {
            let view = state.service.extension_form(&actor, rest).await?;
            open_form(state, cmd, &view).await
        }
        ("extend", true) => {
            Err(DealError::BadCommand("Which deal? Use `/deal extend D-42`.".into()).into())
        }
        ("commissions", _) => reply(state.service.commission_summary(&actor).await?),
        ("help", _) => help(state, cmd, None),
        (other, _) => help(
            state,
            cmd,
            Some(&format!(
                "I don't know “/deal {other}”. Here is what I can do:"
            )),
        ),
    }
}

async fn open_registration(state: &AppState, cmd: &SlashCommand, actor: &Actor) -> Reply {
    let view = state.service.registration_form(actor).await?;
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
    rest: &str,
) -> Reply {
    let render = state.service.render();
    let draft = match DealDraft::from_one_line(rest) {
        Ok(draft) => draft,
        Err(errors) => return reply(render.validation_errors(&errors)?),
    };
    let key = cmd.trigger_id.as_ref().map(|t| format!("cmd:{t}"));
    match state
        .service
        .register(actor, &draft, Surface::OneLine, key)
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

async fn partners(state: &AppState, cmd: &SlashCommand) -> Reply {
    let (sub, rest) = split_first(&cmd.text);
    let requester = Requester::Slack(actor(cmd));
    let render = state.service.render();
    match sub.as_str() {
        "add" => {
            let (name, partner_type, tier) = parse_partner_add(rest)?;
            if !state.service.is_manager(&cmd.user_id) {
                return Err(DealError::NotManager.into());
            }
            let team = partner_team(state, &cmd.channel_id).await;
            let partner = state
                .service
                .add_partner_with_tier(
                    &requester,
                    &name,
                    &partner_type,
                    &cmd.channel_id,
                    team,
                    tier.as_deref(),
                )
                .await?;
            let text = format!("Linked this channel to {} ({} partner). Its members can now register deals with /deal.", partner.name, partner.partner_type);
            reply(render.notice(":white_check_mark:", &text)?)
        }
        "list" => {
            let page = list_page(rest)?;
            let partners = state.service.list_partners(&requester).await?;
            reply(render.partner_list(&partners, page)?)
        }
        "check" if rest.is_empty() => {
            Err(DealError::BadCommand("Usage: `/partners check <company> [domain]`".into()).into())
        }
        "check" | "accounts" => reply(
            state
                .service
                .manager_lookup(&cmd.user_id, if sub == "check" { rest } else { "" })
                .await?,
        ),
        "stats" => reply(state.service.partner_stats(&cmd.user_id, rest).await?),
        "digest" if split_first(rest).0 == "now" => reply(render.notice(
            ":newspaper:",
            &state.service.send_digest_now(&cmd.user_id).await?,
        )?),
        "survey" => {
            let (verb, arg) = split_first(rest);
            match verb.as_str() {
                "now" => reply(
                    render.notice(
                        ":clipboard:",
                        &state
                            .service
                            .open_survey(&cmd.user_id, state.clock.now())
                            .await?,
                    )?,
                ),
                "results" => {
                    let round = arg.trim_start_matches(['R', 'r', '-']).parse::<i64>().ok();
                    reply(state.service.survey_results(&cmd.user_id, round).await?)
                }
                _ => Err(DealError::BadCommand(
                    "Usage: `/partners survey now` or `/partners survey results [round]`".into(),
                )
                .into()),
            }
        }
        "commissions" => {
            let (verb, ids) = split_first(rest);
            let ids: Vec<i64> = ids
                .split_whitespace()
                .filter_map(|w| w.trim_start_matches(['C', 'c', '-']).parse().ok())
                .collect();
            if verb != "pay" || ids.is_empty() {
                return Err(DealError::BadCommand(
                    "Usage: `/partners commissions pay C-12 C-13`".into(),
                )
                .into());
            }
            reply(render.notice(
                ":moneybag:",
                &state.service.pay_commissions(&cmd.user_id, &ids).await?,
            )?)
        }
        "" | "help" => help(state, cmd, None),
        other => help(
            state,
            cmd,
            Some(&format!(
                "I don't know “/partners {other}”. Here is what I can do:"
            )),
        ),
    }
}

/// `NAME words… type=TYPE [tier=TIER]` (the `key=` parts may come anywhere).
fn parse_partner_add(rest: &str) -> Result<(String, String, Option<String>), DealError> {
    let mut partner_type = None;
    let mut tier = None;
    let mut name = Vec::new();
    for word in rest.split_whitespace() {
        if let Some(t) = word.strip_prefix("type=") {
            partner_type = Some(t.to_string());
        } else if let Some(t) = word.strip_prefix("tier=") {
            tier = Some(t.to_string());
        } else {
            name.push(word);
        }
    }
    match (name.is_empty(), partner_type) {
        (false, Some(t)) => Ok((name.join(" "), t, tier)),
        _ => Err(DealError::BadCommand("Usage: `/partners add <partner name> type=<referral|reseller|technology|service|strategic>`, inside the channel shared with the partner.".into())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_add_takes_a_multi_word_name_and_a_type_anywhere() {
        assert_eq!(
            parse_partner_add("Globex Resellers type=reseller"),
            Ok(("Globex Resellers".into(), "reseller".into(), None))
        );
        assert_eq!(
            parse_partner_add("type=si Initech"),
            Ok(("Initech".into(), "si".into(), None))
        );
        assert!(parse_partner_add("Globex").is_err());
        assert!(parse_partner_add("type=reseller").is_err());
    }
}
