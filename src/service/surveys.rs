//! PSAT survey rounds: open (scheduled or on demand), one answer per user per round recorded
//! on click (a second click changes it), comments, one reminder to non-responders, closing with
//! results, and a follow-up for each detractor's partner manager.

use super::message_to as message;
use super::{Service, ServiceResult};
use crate::chat::Conversation;
use crate::domain::survey::{is_detractor, results, trend, Figures, Response, SurveyRefusal};
use crate::domain::DealError;
use crate::notice::{MessageRef, NoteAbout, Notice};
use crate::store::{Answered, Invitee, OutboxMessage, RoundStep};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Longest survey comment (the comment form's `max_length`).
const MAX_COMMENT: usize = 2000;

/// Where a clicked message lives, so it can be updated in place.
#[derive(Debug, Clone)]
pub struct Clicked {
    pub conversation: Conversation,
    /// The platform's id of the clicked message.
    pub message: String,
}

/// The PSAT question of `round`, closing on `closes`.
fn invite(round: i64, closes: &str, answered: Option<u8>, reminder: bool) -> Notice {
    Notice::PsatInvite {
        round,
        closes: closes.to_string(),
        answered,
        reminder,
    }
}

fn pct(d: Option<Decimal>) -> String {
    d.map_or_else(
        || "—".into(),
        |d| format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(1).normalize()),
    )
}

fn nps(d: Option<Decimal>) -> String {
    d.map_or_else(|| "—".into(), |d| d.normalize().to_string())
}

fn line(name: &str, f: &Figures) -> String {
    format!(
        "{name}: NPS {} · average {} · {}/{} answered",
        nps(f.nps),
        f.average.map_or("—".into(), |a| a.normalize().to_string()),
        f.answered,
        f.invited
    )
}

/// Where a round's question goes: each invitee's direct chat on their partner's platform, or
/// (`by_dm` false) each partner's shared channel once.
fn survey_targets(
    by_dm: bool,
    partners: &BTreeMap<i64, Conversation>,
    invitees: &[Invitee],
) -> Vec<Conversation> {
    let mut targets: Vec<Conversation> = invitees
        .iter()
        .filter_map(|i| {
            let channel = partners.get(&i.partner_id)?;
            Some(match by_dm {
                true => Conversation::new(channel.platform, i.user_id.clone()),
                false => channel.clone(),
            })
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

impl Service {
    fn by_dm(&self) -> bool {
        self.program.surveys.delivery == "dm"
    }

    /// Every partner's shared channel, by partner id.
    async fn partner_conversations(&self) -> anyhow::Result<BTreeMap<i64, Conversation>> {
        let partners = self.store.partners().await?;
        Ok(partners
            .into_iter()
            .map(|p| (p.id.0, p.conversation))
            .collect())
    }

    /// Opens a round as of `now` (managers on demand, or the scheduled job as `system`).
    pub async fn open_survey(&self, by: &str, now: DateTime<Utc>) -> ServiceResult<String> {
        if by != "system" && !self.is_manager(by) {
            return Err(DealError::NotManager.into());
        }
        let cfg = &self.program.surveys;
        let remind_at = now + Duration::days(i64::from(cfg.reminder_days));
        let closes_at = now + Duration::days(i64::from(cfg.close_days));
        let closes = closes_at.format("%Y-%m-%d").to_string();
        let partners = self.partner_conversations().await?;
        let opened = self
            .store
            .open_survey_round(
                by,
                now.timestamp_millis(),
                remind_at.timestamp_millis(),
                closes_at.timestamp_millis(),
                |round, invitees| {
                    let payload = invite(round, &closes, None, false);
                    Ok(survey_targets(self.by_dm(), &partners, invitees)
                        .iter()
                        .map(|t| message("psat_invite", t, payload.clone()))
                        .collect())
                },
            )
            .await?;
        let Some((round, invited)) = opened else {
            return Err(DealError::from(SurveyRefusal::RoundOpen).into());
        };
        if invited == 0 {
            return Ok("No survey round opened: no partner user has used the bot yet, so there is nobody to ask.".into());
        }
        self.wake_delivery();
        Ok(format!(
            "Survey round {round} is open: {invited} partner user(s) asked, closing {closes}."
        ))
    }

    /// A 0–10 click. Records (or changes) the answer, updates the clicked message in a DM, and
    /// opens a follow-up for the manager the first time a user's answer is a detractor score.
    pub async fn answer_survey(
        &self,
        user: &str,
        round: i64,
        score: u8,
        clicked: Option<Clicked>,
    ) -> ServiceResult<String> {
        let now = self.clock.now();
        let answered = self
            .store
            .record_survey_answer(round, user, score, now.timestamp_millis())
            .await?;
        if answered == Answered::NotOpen {
            return Err(DealError::from(SurveyRefusal::Closed).into());
        }
        let closes = self.closes(round).await?;
        let mut messages = Vec::new();
        if let (Some(at), true) = (clicked, self.by_dm()) {
            let thanks = invite(round, &closes, Some(score), false);
            messages.push(
                message("psat_thanks", &at.conversation, thanks)
                    .replacing(MessageRef::Posted(at.message.clone())),
            );
        }
        self.store
            .enqueue(&messages, now.timestamp_millis())
            .await?;
        if is_detractor(score) {
            self.open_followup(round, user, score).await?;
        }
        self.wake_delivery();
        Ok(match answered {
            Answered::Changed(old) => format!("Changed your answer from {old} to {score}. Thank you!"),
            _ => format!("Thank you! Your answer ({score}) is recorded; you can change it while the round is open."),
        })
    }

    async fn open_followup(&self, round: i64, user: &str, score: u8) -> anyhow::Result<()> {
        let Some(partner) = self.store.partner_of_user(user).await? else {
            return Ok(());
        };
        let Some(manager) = self.partner_manager(&partner) else {
            return Ok(());
        };
        let payload = Notice::PsatFollowup {
            round,
            user: user.to_string(),
            partner_name: partner.name.clone(),
            score,
            comment: String::new(),
            handled_by: None,
        };
        self.store
            .followup_once(
                round,
                user,
                &manager.id,
                &[message("psat_followup", &manager.direct(), payload)],
                self.clock.now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Stores an answerer's comment (from the comment modal).
    pub async fn comment_survey(
        &self,
        user: &str,
        round: i64,
        comment: &str,
    ) -> ServiceResult<String> {
        let comment = comment.trim();
        if comment.is_empty() || comment.chars().count() > MAX_COMMENT {
            return Err(DealError::from(SurveyRefusal::CommentLength(MAX_COMMENT)).into());
        }
        if !self
            .store
            .record_survey_comment(round, user, comment)
            .await?
        {
            return Err(DealError::from(SurveyRefusal::ScoreFirst).into());
        }
        Ok("Thanks for the comment.".into())
    }

    /// A manager marks a detractor follow-up handled; the follow-up message is updated in place.
    pub async fn handle_survey_followup(
        &self,
        manager: &str,
        round: i64,
        user: &str,
        clicked: Option<Clicked>,
    ) -> ServiceResult<String> {
        if !self.is_manager(manager) {
            return Err(DealError::NotManager.into());
        }
        if !self
            .store
            .handle_followup(round, user, manager, self.clock.now_ms())
            .await?
        {
            return Err(DealError::from(SurveyRefusal::FollowupHandled).into());
        }
        if let Some(at) = clicked {
            let handled = self.followup_notice(round, user, Some(manager)).await?;
            let message = message("psat_followup_handled", &at.conversation, handled)
                .replacing(MessageRef::Posted(at.message));
            self.store.enqueue(&[message], self.clock.now_ms()).await?;
            self.wake_delivery();
        }
        Ok("Marked handled.".into())
    }

    /// The day round `round` closes (`YYYY-MM-DD`; empty for a round we do not know).
    async fn closes(&self, round: i64) -> anyhow::Result<String> {
        Ok(self
            .store
            .survey_round(round)
            .await?
            .and_then(|r| DateTime::from_timestamp_millis(r.closes_at))
            .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string()))
    }

    /// The survey question of `round` as `user` now sees it: with their answer, if any.
    pub async fn survey_invite(&self, user: &str, round: i64) -> anyhow::Result<Notice> {
        let answered = self.store.survey_answer_of(round, user).await?;
        let closes = self.closes(round).await?;
        Ok(invite(
            round,
            &closes,
            answered.map(|(score, _)| score),
            false,
        ))
    }

    /// The managers' follow-up of `user`'s detractor answer to `round`, `handled_by` someone.
    pub async fn followup_notice(
        &self,
        round: i64,
        user: &str,
        handled_by: Option<&str>,
    ) -> anyhow::Result<Notice> {
        let partner = self
            .store
            .partner_of_user(user)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let (score, comment) = self
            .store
            .survey_answer_of(round, user)
            .await?
            .unwrap_or((0, String::new()));
        Ok(Notice::PsatFollowup {
            round,
            user: user.to_string(),
            partner_name: partner,
            score,
            comment,
            handled_by: handled_by.map(str::to_string),
        })
    }

    /// A round's results with the trend against earlier rounds (the latest round by default).
    pub async fn survey_results_text(
        &self,
        round: Option<i64>,
        closing: bool,
    ) -> anyhow::Result<Option<String>> {
        let rounds = self.store.survey_rounds().await?;
        let Some(current) = round.map_or_else(
            || rounds.last().cloned(),
            |id| rounds.iter().find(|r| r.id == id).cloned(),
        ) else {
            return Ok(None);
        };
        let responses = |id: i64| async move {
            let rows = self.store.survey_responses(id).await?;
            anyhow::Ok(
                rows.into_iter()
                    .map(|r| Response {
                        partner: r.partner_name,
                        partner_type: r.partner_type,
                        score: r.score.and_then(|s| u8::try_from(s).ok()),
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let now = results(&responses(current.id).await?);
        let mut earlier = Vec::new();
        for r in rounds.iter().filter(|r| r.id < current.id) {
            earlier.push(results(&responses(r.id).await?).overall.nps);
        }
        let o = &now.overall;
        let status = if closing || current.closed_at.is_some() {
            "closed"
        } else {
            "open"
        };
        let mut text = format!(
            "PSAT round {} ({status}): response rate {} ({}/{}), NPS {} ({} promoters, {} passives, {} detractors), average {} — trend {}",
            current.id,
            pct(o.response_rate),
            o.answered,
            o.invited,
            nps(o.nps),
            o.promoters,
            o.passives,
            o.detractors,
            o.average.map_or("—".into(), |a| a.normalize().to_string()),
            trend(o.nps, &earlier)
        );
        text.push_str("\nBy partner:");
        for (name, f) in &now.by_partner {
            text.push_str(&format!("\n• {}", line(name, f)));
        }
        text.push_str("\nBy partner type:");
        for (name, f) in &now.by_type {
            text.push_str(&format!("\n• {}", line(name, f)));
        }
        Ok(Some(text))
    }

    /// `/partners survey results [round]` for managers.
    pub async fn survey_results(
        &self,
        user: &str,
        round: Option<i64>,
    ) -> ServiceResult<super::Answer> {
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let text = self
            .survey_results_text(round, false)
            .await?
            .ok_or(DealError::from(SurveyRefusal::NoRound))?;
        Ok(super::Answer::SurveyResults { text })
    }

    /// The hourly follow-through as of `now`: one reminder per round to non-responders, and
    /// closing rounds whose time is up (managers get the results). Each happens once.
    pub async fn survey_followthrough(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let (mut reminded, mut closed) = (0, 0);
        for round in self.store.open_survey_rounds().await? {
            let ms = now.timestamp_millis();
            if round.closes_at <= ms {
                let text = self
                    .survey_results_text(Some(round.id), true)
                    .await?
                    .unwrap_or_default();
                let summary = message(
                    "psat_results",
                    &self.program.managers_conversation(),
                    Notice::note(NoteAbout::Survey, None, text),
                );
                if self
                    .store
                    .round_step_once(round.id, RoundStep::Close, &[summary], self.clock.now_ms())
                    .await?
                {
                    closed += 1;
                }
                continue;
            }
            if round.remind_at <= ms && round.reminded_at.is_none() {
                reminded += self.remind_round(round.id, round.closes_at).await?;
            }
        }
        self.wake_delivery();
        Ok(format!("{reminded} reminder(s), {closed} round(s) closed"))
    }

    /// One reminder to everyone who has not answered round `id` (closing at `closes_at`, ms);
    /// how many were sent (none when an earlier run reminded).
    async fn remind_round(&self, id: i64, closes_at: i64) -> anyhow::Result<usize> {
        let closes = DateTime::from_timestamp_millis(closes_at)
            .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string());
        let payload = invite(id, &closes, None, true);
        let unanswered = self.store.survey_unanswered(id).await?;
        let partners = self.partner_conversations().await?;
        let messages: Vec<OutboxMessage> = survey_targets(self.by_dm(), &partners, &unanswered)
            .iter()
            .map(|t| message("psat_reminder", t, payload.clone()))
            .collect();
        let sent = self
            .store
            .round_step_once(id, RoundStep::Remind, &messages, self.clock.now_ms())
            .await?;
        Ok(if sent { messages.len() } else { 0 })
    }
}
