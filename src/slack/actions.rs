//! Slack buttons and modal submissions read into what they ask for, with their arguments typed
//! once here: a button's `action_id` and `value`, a submission's `callback_id` and
//! `private_metadata`. Pure (no I/O). The ids and values are the ones the templates render and
//! messages already posted carry, so they never change; a value no rendered button carries
//! (stale or forged) is refused with a [`ButtonRefusal`] the adapter words.

use super::home::PAGE_ACTION;
use crate::chat::SourceMessage;
use crate::domain::engagement::{AeChoice, Decision};
use crate::domain::survey::parse_score;
use crate::domain::DealId;
use crate::intent::ButtonRefusal;
use crate::service::deals::ModalMetadata;
use serde_json::Value;

/// `callback_id` of the registration modal (new registrations and corrections).
pub const REGISTRATION_CALLBACK: &str = "deal_registration";

/// A form a button opens for one deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealForm {
    /// The registration form filled with a returned registration, to correct it.
    Resubmit,
    /// The "Update deal" form.
    Update,
    /// The extension request's justification form.
    Extend,
}

/// What a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonIntent {
    /// A manager approves (at once) or rejects or returns (a modal asks for their words).
    Review { decision: Decision, deal: DealId },
    /// Open a form about a deal.
    OpenForm { form: DealForm, deal: DealId },
    /// Open the registration form, for the channel the button names (a nudge or the Home tab,
    /// shown outside the partner's channel), else the one clicked in.
    Register { channel: Option<String> },
    /// A partner's 0–10 answer to survey `round`.
    SurveyScore { round: i64, score: u8 },
    /// Open the comment form of survey `round`.
    SurveyComment { round: i64 },
    /// A manager marks `user`'s detractor follow-up of `round` handled.
    SurveyHandled { round: i64, user: String },
    /// A manager grants or declines the waiting extension request of `deal`.
    Extension { deal: DealId, grant: bool },
    /// An AE's answer to an alert about `deal`.
    AeAnswer { deal: DealId, choice: AeChoice },
    /// Turn the Home tab to a page (a page button without a page number shows the first).
    HomePage(u32),
}

/// What a submitted modal is.
#[derive(Debug, Clone, PartialEq)]
pub enum FormIntent {
    /// A registration, or the correction of the returned registration `correcting`; typed in
    /// `channel` and opened from the message `source`, when the form carried them (an
    /// unreadable metadata is a new registration from no channel, as before).
    Register {
        channel: Option<String>,
        correcting: Option<DealId>,
        source: Option<SourceMessage>,
    },
    /// A comment on the person's answer to survey `round`.
    SurveyComment { round: i64 },
    /// The "Update deal" form of `deal`, opened in `channel`.
    Update {
        deal: DealId,
        channel: Option<String>,
    },
    /// The justification of an extension request of `deal`, opened in `channel`.
    Extension {
        deal: DealId,
        channel: Option<String>,
    },
    /// A manager's reason or question, deciding `deal`.
    Decision { decision: Decision, deal: DealId },
}

/// Why a submission was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormRefusal {
    /// A form the bot does not know (its `callback_id`, as sent).
    Unknown(String),
    /// A known form whose metadata cannot be read; the reason is shown under `field`.
    Unreadable {
        field: &'static str,
        why: ButtonRefusal,
    },
}

/// The intent of a click on the button `action_id` carrying `value`.
pub fn parse_button(action_id: &str, sent: Option<&str>) -> Result<ButtonIntent, ButtonRefusal> {
    let value = sent.unwrap_or_default();
    if let Some(decision) = decision_of(action_id) {
        return Ok(ButtonIntent::Review {
            decision,
            deal: deal(value)?,
        });
    }
    if let Some(form) = form_of(action_id) {
        return Ok(ButtonIntent::OpenForm {
            form,
            deal: deal(value)?,
        });
    }
    // The AE buttons were named after the audit action they record.
    if let Some(choice) = AeChoice::from_action(action_id) {
        return Ok(ButtonIntent::AeAnswer {
            deal: deal(value)?,
            choice,
        });
    }
    Ok(match action_id {
        "register_open" => ButtonIntent::Register {
            channel: sent.map(str::to_string),
        },
        _ if action_id.starts_with("psat_score_") => {
            let (round, score) = pair(value, parse_score).ok_or(ButtonRefusal::BadSurveyAnswer)?;
            ButtonIntent::SurveyScore { round, score }
        }
        "psat_comment" => ButtonIntent::SurveyComment {
            round: round(value)?,
        },
        "psat_handled" => {
            let (round, user) =
                pair(value, |u| Some(u.to_string())).ok_or(ButtonRefusal::BadFollowup)?;
            ButtonIntent::SurveyHandled { round, user }
        }
        "extend_grant" | "extend_decline" => ButtonIntent::Extension {
            deal: deal(value)?,
            grant: action_id == "extend_grant",
        },
        PAGE_ACTION => ButtonIntent::HomePage(value.parse::<u32>().unwrap_or(1).max(1)),
        other => return Err(ButtonRefusal::UnknownButton(other.to_string())),
    })
}

/// The intent of a submitted modal `callback_id` carrying `metadata` (its `private_metadata`).
pub fn parse_submission(callback_id: &str, metadata: &str) -> Result<FormIntent, FormRefusal> {
    let unreadable = |field| move |why| FormRefusal::Unreadable { field, why };
    if let Some(decision) = decision_of(callback_id) {
        let deal = deal(metadata).map_err(unreadable("note"))?;
        return Ok(FormIntent::Decision { decision, deal });
    }
    Ok(match callback_id {
        REGISTRATION_CALLBACK => {
            let m: Option<ModalMetadata> = serde_json::from_str(metadata).ok();
            let m = m.map(|m| (Some(m.channel), m.deal.map(DealId), m.source));
            let (channel, correcting, source) = m.unwrap_or_default();
            FormIntent::Register {
                channel,
                correcting,
                source,
            }
        }
        "psat_comment" => FormIntent::SurveyComment {
            round: round(metadata).map_err(unreadable("comment"))?,
        },
        "deal_update" => {
            let (deal, channel) = deal_and_channel(metadata).map_err(unreadable("stage"))?;
            FormIntent::Update { deal, channel }
        }
        "extend_request" => {
            let (deal, channel) =
                deal_and_channel(metadata).map_err(unreadable("justification"))?;
            FormIntent::Extension { deal, channel }
        }
        other => return Err(FormRefusal::Unknown(other.to_string())),
    })
}

/// The decision a review button (or the modal it opens) stands for.
fn decision_of(id: &str) -> Option<Decision> {
    match id {
        "review_approve" => Some(Decision::Approve),
        "review_reject" => Some(Decision::Reject),
        "review_return" => Some(Decision::Return),
        _ => None,
    }
}

/// The form an `*_open` button opens.
fn form_of(id: &str) -> Option<DealForm> {
    match id {
        "resubmit_open" => Some(DealForm::Resubmit),
        "update_open" => Some(DealForm::Update),
        "extend_open" => Some(DealForm::Extend),
        _ => None,
    }
}

/// The deal `text` names (`4`, `D-4`).
fn deal(text: &str) -> Result<DealId, ButtonRefusal> {
    text.parse()
        .map_err(|_| ButtonRefusal::BadDealId(text.trim().to_string()))
}

/// A survey round number.
fn round(text: &str) -> Result<i64, ButtonRefusal> {
    text.parse().map_err(|_| ButtonRefusal::BadSurveyAnswer)
}

/// `round:rest`, with `rest` read by `second`.
fn pair<T>(value: &str, second: impl Fn(&str) -> Option<T>) -> Option<(i64, T)> {
    let (round, rest) = value.split_once(':')?;
    Some((round.parse().ok()?, second(rest)?))
}

/// The deal and channel an update or extension form carries (`{"deal": 4, "channel": …}`).
fn deal_and_channel(metadata: &str) -> Result<(DealId, Option<String>), ButtonRefusal> {
    let m: Value = serde_json::from_str(metadata).unwrap_or_default();
    let given = m["deal"]
        .as_i64()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let channel = m["channel"].as_str().map(str::to_string);
    Ok((deal(&given)?, channel))
}

#[cfg(test)]
#[path = "actions_tests.rs"]
mod tests;
