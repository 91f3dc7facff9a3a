//! Every button on partnerbot's Teams cards, in one place: the `Action.Execute` verbs
//! (Universal Actions, answered by the `adaptiveCard/action` invoke) and the data each carries.
//!
//! A button's `data` always names what it acts on (`deal`, `round`, `user`); inputs next to it
//! (a reason, a question, a justification, a comment) are merged into `data` by Teams under
//! their input id ([`INPUT_REASON`], …). Dialogs cannot be opened by `Action.Execute`, so the
//! *Register a deal* button is an `Action.Submit` with `msteams.type = "task/fetch"`.

use serde_json::{json, Value};

/// The input id of a rejection reason or a question for the partner.
pub const INPUT_REASON: &str = "reason";
/// The input id of an extension request's justification.
pub const INPUT_JUSTIFICATION: &str = "justification";
/// The input id of a survey comment.
pub const INPUT_COMMENT: &str = "comment";

/// Teams shows at most this many actions in one `actions` array or `ActionSet`.
pub const MAX_ACTIONS_PER_SET: usize = 6;

/// An `Action.Execute` verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// A manager approves a registration (`deal`).
    Approve,
    /// A manager rejects it, with `reason`.
    Reject,
    /// A manager returns it to the partner with a question (`reason`).
    Return,
    /// The partner opens the update form of `deal`.
    UpdateDeal,
    /// The partner corrects and resubmits a returned registration.
    Resubmit,
    /// An AE acknowledges an alert on `deal`.
    AeAck,
    /// An AE proposes to co-sell.
    AeCosell,
    /// An AE disputes the registration.
    AeDispute,
    /// A partner answers survey `round` with `score` (0–10).
    SurveyScore,
    /// A partner adds a `comment` to their survey answer of `round`.
    SurveyComment,
    /// A partner asks for more protection on `deal`, with a `justification`.
    Extend,
    /// A manager grants the extension request of `deal`.
    ExtendGrant,
    /// A manager declines it.
    ExtendDecline,
    /// A manager marks the detractor follow-up of `round` and `user` handled.
    MarkHandled,
    /// Teams asks for the current card (the review card's `refresh`).
    Refresh,
}

impl Verb {
    /// Every verb (the invoke handler parses exactly these).
    pub const ALL: [Verb; 15] = [
        Verb::Approve,
        Verb::Reject,
        Verb::Return,
        Verb::UpdateDeal,
        Verb::Resubmit,
        Verb::AeAck,
        Verb::AeCosell,
        Verb::AeDispute,
        Verb::SurveyScore,
        Verb::SurveyComment,
        Verb::Extend,
        Verb::ExtendGrant,
        Verb::ExtendDecline,
        Verb::MarkHandled,
        Verb::Refresh,
    ];

    /// The verb on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Reject => "reject",
            Verb::Return => "return",
            Verb::UpdateDeal => "update_deal",
            Verb::Resubmit => "resubmit",
            Verb::AeAck => "ae_ack",
            Verb::AeCosell => "ae_cosell",
            Verb::AeDispute => "ae_dispute",
            Verb::SurveyScore => "survey_score",
            Verb::SurveyComment => "survey_comment",
            Verb::Extend => "extend",
            Verb::ExtendGrant => "extend_grant",
            Verb::ExtendDecline => "extend_decline",
            Verb::MarkHandled => "mark_handled",
            Verb::Refresh => "refresh",
        }
    }

    /// The verb named `s` on the wire.
    pub fn parse(s: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The `data.flow` of the *Register a deal* button's `task/fetch`.
pub const REGISTER_FLOW: &str = "register_deal";

/// An `Action.Execute` button titled `title`, sending `verb` with `data`.
pub fn execute(verb: Verb, title: &str, data: Value) -> Value {
    json!({ "type": "Action.Execute", "title": title, "verb": verb.as_str(), "data": data })
}

/// A button that reveals `inputs` (one required text input) and a `verb` button under them:
/// how a rejection reason, a question or a justification is asked for on the card itself.
pub fn ask(
    title: &str,
    input: (&str, &str, usize),
    verb: Verb,
    submit: &str,
    data: Value,
) -> Value {
    let (id, label, max) = input;
    json!({
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": [{
                "type": "Input.Text", "id": id, "label": label, "isMultiline": true,
                "isRequired": true, "maxLength": max, "errorMessage": format!("{label} (required)"),
            }],
            "actions": [execute(verb, submit, data)],
        },
    })
}

/// The *Register a deal* button: opens the registration dialog (`task/fetch`).
pub fn register_deal(title: &str, data: Value) -> Value {
    let mut data = data;
    data["msteams"] = json!({ "type": "task/fetch" });
    data["flow"] = REGISTER_FLOW.into();
    json!({ "type": "Action.Submit", "title": title, "data": data })
}

/// An `ActionSet` element of `actions` (at most [`MAX_ACTIONS_PER_SET`]).
pub fn action_set(actions: Vec<Value>) -> Value {
    debug_assert!(actions.len() <= MAX_ACTIONS_PER_SET);
    json!({ "type": "ActionSet", "actions": actions })
}

/// The card's `refresh`: Teams invokes [`Verb::Refresh`] with `data` to get the current card.
/// It names no `userIds`, so Teams refreshes it for nobody automatically (that takes a list of
/// at most 60 users); the outbox's `PUT` keeps the card current for everyone.
pub fn refresh(data: Value) -> Value {
    json!({ "action": { "type": "Action.Execute", "verb": Verb::Refresh.as_str(), "data": data } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_reads_back_from_the_wire() {
        for verb in Verb::ALL {
            assert_eq!(Verb::parse(verb.as_str()), Some(verb));
        }
        assert_eq!(Verb::parse("approve"), Some(Verb::Approve));
        assert_eq!(Verb::parse("Approve"), None);
        let names: std::collections::BTreeSet<_> = Verb::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(names.len(), Verb::ALL.len(), "verbs are unique");
    }
}
