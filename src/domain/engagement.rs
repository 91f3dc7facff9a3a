//! Rules of engagement: what an incoming registration's matches mean for its status.

use super::matching::Strength;
use super::DealStatus;

/// Whom a match points at, from the incoming partner's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A protected (pending or approved) registration of another partner.
    OtherPartner,
    /// A direct account owned by an AE.
    Direct,
}

/// The outcome of the conflict check, decided within the registration request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched: the registration goes to review.
    Clear,
    /// Only weak (name-only) matches: review, with a "possible match" note for the managers.
    PossibleMatch,
    /// Another partner holds the customer: the newcomer becomes a co-sell candidate.
    PartnerConflict,
    /// An AE owns the customer: the AE is alerted and a manager decides.
    DirectConflict,
}

impl Verdict {
    /// Decides from the strength of each match and whom it points at. A direct account outranks
    /// another partner (an AE must hear about it); weak matches never block.
    pub fn decide(matches: &[(Holder, Strength)]) -> Verdict {
        let blocking = |holder| {
            matches
                .iter()
                .any(|(h, s)| *h == holder && *s >= Strength::Medium)
        };
        if blocking(Holder::Direct) {
            Verdict::DirectConflict
        } else if blocking(Holder::OtherPartner) {
            Verdict::PartnerConflict
        } else if matches.is_empty() {
            Verdict::Clear
        } else {
            Verdict::PossibleMatch
        }
    }

    /// The status the new registration takes.
    pub fn status(self) -> DealStatus {
        match self {
            Verdict::Clear | Verdict::PossibleMatch => DealStatus::PendingReview,
            Verdict::PartnerConflict | Verdict::DirectConflict => DealStatus::Conflict,
        }
    }
}

/// Registrations that hold a customer against later ones: the first complete registration keeps
/// protection while it is under review, in conflict review, returned for information, or approved.
pub fn is_protected(status: DealStatus) -> bool {
    matches!(
        status,
        DealStatus::PendingReview
            | DealStatus::Conflict
            | DealStatus::Returned
            | DealStatus::Approved
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Holder::*;
    use Strength::*;

    #[test]
    fn verdicts_follow_the_strongest_blocking_match() {
        let cases: [(&[(Holder, Strength)], Verdict); 6] = [
            (&[], Verdict::Clear),
            (
                &[(OtherPartner, Weak), (Direct, Weak)],
                Verdict::PossibleMatch,
            ),
            (&[(OtherPartner, Medium)], Verdict::PartnerConflict),
            (
                &[(OtherPartner, Strong), (Direct, Weak)],
                Verdict::PartnerConflict,
            ),
            (
                &[(OtherPartner, Strong), (Direct, Medium)],
                Verdict::DirectConflict,
            ),
            (&[(Direct, Strong)], Verdict::DirectConflict),
        ];
        for (matches, want) in cases {
            assert_eq!(Verdict::decide(matches), want, "{matches:?}");
        }
        assert_eq!(Verdict::PossibleMatch.status(), DealStatus::PendingReview);
        assert_eq!(Verdict::DirectConflict.status(), DealStatus::Conflict);
    }

    #[test]
    fn only_live_registrations_are_protected() {
        assert!(is_protected(DealStatus::Approved));
        assert!(is_protected(DealStatus::PendingReview));
        for s in [
            DealStatus::Rejected,
            DealStatus::Expired,
            DealStatus::Won,
            DealStatus::Lost,
            DealStatus::Withdrawn,
        ] {
            assert!(!is_protected(s), "{s:?}");
        }
    }
}

/// Why a manager's decision, or a partner's correction, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    /// A reject or return without words for the partner.
    #[error("Write a few words for the partner: they will see them.")]
    NoteMissing,
    #[error("Keep it under {0} characters.")]
    NoteTooLong(usize),
    /// The registration is no longer waiting for `decision`.
    #[error("{} is already {}, so it cannot be {} now.", .deal, .status.label(), .decision.verb())]
    AlreadyDecided {
        deal: super::DealId,
        status: DealStatus,
        decision: Decision,
    },
    #[error("Someone else just decided this registration.")]
    DecidedMeanwhile,
    /// The correction form of a registration that was not returned for information.
    #[error("Only a registration returned for information can be resubmitted; {} is {}.", .0, .1.label())]
    NotReturned(super::DealId, DealStatus),
    /// A correction of a registration that is no longer returned.
    #[error("{} is {}, so it cannot be resubmitted.", .0, .1.label())]
    CannotResubmit(super::DealId, DealStatus),
    #[error("{0} is no longer waiting for corrections.")]
    NoLongerReturned(super::DealId),
}

/// A manager's decision on a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Return,
}

impl Decision {
    /// The status a decision moves a registration to.
    pub fn target(self) -> DealStatus {
        match self {
            Decision::Approve => DealStatus::Approved,
            Decision::Reject => DealStatus::Rejected,
            Decision::Return => DealStatus::Returned,
        }
    }

    /// The statuses a decision may be taken from: only registrations still waiting for one.
    pub fn allowed_from(self) -> &'static [DealStatus] {
        match self {
            Decision::Approve | Decision::Reject => &[
                DealStatus::PendingReview,
                DealStatus::Conflict,
                DealStatus::Returned,
            ],
            Decision::Return => &[DealStatus::PendingReview, DealStatus::Conflict],
        }
    }

    /// The verb for audit rows and messages.
    pub fn verb(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
            Decision::Return => "returned for information",
        }
    }

    /// Checks the move and explains a refusal ("D-4 is already approved").
    pub fn check(self, current: DealStatus, deal: super::DealId) -> Result<(), super::DealError> {
        if self.allowed_from().contains(&current) {
            Ok(())
        } else {
            Err(ReviewRefusal::AlreadyDecided {
                deal,
                status: current,
                decision: self,
            }
            .into())
        }
    }
}

/// An account executive's answer to an alert that a partner registered a customer they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeChoice {
    Acknowledge,
    CoSell,
    Dispute,
}

impl AeChoice {
    /// Every answer, in the order they are offered.
    pub const ALL: [AeChoice; 3] = [AeChoice::Acknowledge, AeChoice::CoSell, AeChoice::Dispute];

    /// The action recorded in the audit trail (stored: never rename).
    pub fn action(self) -> &'static str {
        match self {
            AeChoice::Acknowledge => "ae_acknowledge",
            AeChoice::CoSell => "ae_cosell",
            AeChoice::Dispute => "ae_dispute",
        }
    }

    /// The answer recorded as `action`, if it is one.
    pub fn from_action(action: &str) -> Option<AeChoice> {
        AeChoice::ALL.into_iter().find(|c| c.action() == action)
    }

    /// The answer in words, as the buttons name it.
    pub fn label(self) -> &'static str {
        match self {
            AeChoice::Acknowledge => "Acknowledge",
            AeChoice::CoSell => "Propose co-sell",
            AeChoice::Dispute => "Dispute",
        }
    }
}

#[cfg(test)]
mod decision_tests {
    use super::*;
    use crate::domain::DealId;

    #[test]
    fn decisions_apply_only_to_registrations_waiting_for_one() {
        assert!(Decision::Approve
            .check(DealStatus::Conflict, DealId(1))
            .is_ok());
        assert!(Decision::Approve
            .check(DealStatus::Returned, DealId(1))
            .is_ok());
        assert!(Decision::Return
            .check(DealStatus::Returned, DealId(1))
            .is_err());
        let refusal = Decision::Reject
            .check(DealStatus::Approved, DealId(4))
            .expect_err("refused");
        assert_eq!(
            refusal.to_string(),
            "D-4 is already approved, so it cannot be rejected now."
        );
        for d in [Decision::Approve, Decision::Reject, Decision::Return] {
            for s in [
                DealStatus::Won,
                DealStatus::Lost,
                DealStatus::Expired,
                DealStatus::Withdrawn,
                DealStatus::Rejected,
            ] {
                assert!(d.check(s, DealId(1)).is_err(), "{d:?} from {s:?}");
            }
        }
    }
}

/// Weekdays (Monday to Friday) after `start` up to and including `end`: how many business days a
/// registration submitted on `start` has waited by `end`.
pub fn business_days_between(start: chrono::NaiveDate, end: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    if end <= start {
        return 0;
    }
    let days = (end - start).num_days();
    let (weeks, rest) = (days / 7, days % 7);
    let mut count = weeks * 5;
    let mut day = start + chrono::Duration::days(weeks * 7);
    for _ in 0..rest {
        day += chrono::Duration::days(1);
        if day.weekday().number_from_monday() <= 5 {
            count += 1;
        }
    }
    count
}

/// Which reminder (days before protection ends) is due now and not yet sent, if any: the
/// smallest mark not below `days_left`, so a job that missed the 14-day mark still sends one
/// reminder rather than two at once.
pub fn due_reminder(days_left: i64, marks: &[i64], sent: &[i64]) -> Option<i64> {
    marks
        .iter()
        .copied()
        .filter(|m| days_left <= *m && !sent.contains(m))
        .min()
        .filter(|m| {
            // Once a smaller mark is sent, larger ones are moot.
            !sent.iter().any(|s| s < m)
        })
}

#[cfg(test)]
mod schedule_tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).expect("date") // 2026-11-20 is a Friday
    }

    #[test]
    fn business_days_skip_weekends() {
        assert_eq!(business_days_between(d(20), d(20)), 0);
        assert_eq!(business_days_between(d(20), d(22)), 0, "Friday to Sunday");
        assert_eq!(business_days_between(d(20), d(23)), 1, "Friday to Monday");
        assert_eq!(business_days_between(d(20), d(24)), 2);
        assert_eq!(business_days_between(d(16), d(30)), 10, "two whole weeks");
    }

    #[test]
    fn one_reminder_per_mark_and_never_two_at_once() {
        assert_eq!(due_reminder(20, &[14, 3], &[]), None);
        assert_eq!(due_reminder(14, &[14, 3], &[]), Some(14));
        assert_eq!(due_reminder(10, &[14, 3], &[14]), None);
        assert_eq!(due_reminder(3, &[14, 3], &[14]), Some(3));
        assert_eq!(
            due_reminder(2, &[14, 3], &[]),
            Some(3),
            "a late job sends the nearest reminder only"
        );
        assert_eq!(due_reminder(1, &[14, 3], &[3]), None);
    }
}

/// What happens to a partner's request to extend protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionOutcome {
    /// Granted at once: the first extension, and the deal's stage advanced since registration.
    Automatic,
    /// Sent to the managers for a decision.
    ToManagers,
}

/// Why an extension was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionRefusal {
    #[error("Only approved registrations can be extended; this one is {}.", .0.label())]
    NotApproved(DealStatus),
    /// The program's most extensions (`0`) were granted already.
    #[error("This registration already had {0} extensions, the most the program allows.")]
    MostGranted(u32),
    #[error(
        "An extension request for this registration is already waiting for the partner managers."
    )]
    AlreadyWaiting,
    /// A second request stored at the same moment as another.
    #[error("An extension request for this registration is already waiting.")]
    RequestedMeanwhile,
    #[error("Say in a few words why the deal needs more time.")]
    NoJustification,
    #[error("There is no extension request waiting for {0}.")]
    NoneWaiting(super::DealId),
    #[error("The extension request for {0} was already decided.")]
    AlreadyDecided(super::DealId),
}

/// Decides an extension request, or says why it cannot be made.
pub fn extension_outcome(
    status: DealStatus,
    extensions_so_far: u32,
    max_extensions: u32,
    registered_stage: Option<super::Stage>,
    stage: super::Stage,
    pending_request: bool,
) -> Result<ExtensionOutcome, ExtensionRefusal> {
    if status != DealStatus::Approved {
        return Err(ExtensionRefusal::NotApproved(status));
    }
    if extensions_so_far >= max_extensions {
        return Err(ExtensionRefusal::MostGranted(max_extensions));
    }
    if pending_request {
        return Err(ExtensionRefusal::AlreadyWaiting);
    }
    let advanced = registered_stage.is_some_and(|r| stage_rank(stage) > stage_rank(r));
    Ok(if extensions_so_far == 0 && advanced {
        ExtensionOutcome::Automatic
    } else {
        ExtensionOutcome::ToManagers
    })
}

fn stage_rank(stage: super::Stage) -> usize {
    super::Stage::ALL
        .iter()
        .position(|s| *s == stage)
        .unwrap_or(0)
}

#[cfg(test)]
mod extension_tests {
    use super::*;
    use crate::domain::Stage;

    #[test]
    fn the_first_extension_is_automatic_only_when_the_stage_advanced() {
        let ok = |n, reg, now| extension_outcome(DealStatus::Approved, n, 2, Some(reg), now, false);
        assert_eq!(
            ok(0, Stage::Qualified, Stage::Proposal),
            Ok(ExtensionOutcome::Automatic)
        );
        assert_eq!(
            ok(0, Stage::Qualified, Stage::Qualified),
            Ok(ExtensionOutcome::ToManagers)
        );
        assert_eq!(
            ok(1, Stage::Qualified, Stage::Negotiation),
            Ok(ExtensionOutcome::ToManagers),
            "the second always goes to managers"
        );
        assert!(
            ok(2, Stage::Qualified, Stage::Negotiation).is_err(),
            "at most two"
        );
        assert!(
            extension_outcome(DealStatus::Expired, 0, 2, None, Stage::Qualified, false).is_err()
        );
        assert!(
            extension_outcome(DealStatus::Approved, 0, 2, None, Stage::Qualified, true).is_err(),
            "one request at a time"
        );
    }

    #[test]
    fn every_refusal_reads_as_it_always_has() {
        use crate::domain::survey::SurveyRefusal;
        use crate::domain::{DealError, DealId};
        let d4 = DealId(4);
        let cases: Vec<(DealError, &str)> = vec![
            (DealError::ChangedMeanwhile(d4), "D-4 changed meanwhile; look at it again."),
            (DealError::NotACurrency("EURO".into()), "“EURO” is not an ISO-4217 currency code"),
            (DealError::NotADate("31/12".into()), "“31/12” is not a date: use YYYY-MM-DD"),
            (ExtensionRefusal::NotApproved(DealStatus::Expired).into(), "Only approved registrations can be extended; this one is expired."),
            (ExtensionRefusal::MostGranted(2).into(), "This registration already had 2 extensions, the most the program allows."),
            (ExtensionRefusal::AlreadyWaiting.into(), "An extension request for this registration is already waiting for the partner managers."),
            (ExtensionRefusal::RequestedMeanwhile.into(), "An extension request for this registration is already waiting."),
            (ExtensionRefusal::NoJustification.into(), "Say in a few words why the deal needs more time."),
            (ExtensionRefusal::NoneWaiting(d4).into(), "There is no extension request waiting for D-4."),
            (ExtensionRefusal::AlreadyDecided(d4).into(), "The extension request for D-4 was already decided."),
            (ReviewRefusal::NoteMissing.into(), "Write a few words for the partner: they will see them."),
            (ReviewRefusal::NoteTooLong(2000).into(), "Keep it under 2000 characters."),
            (ReviewRefusal::DecidedMeanwhile.into(), "Someone else just decided this registration."),
            (ReviewRefusal::NotReturned(d4, DealStatus::Approved).into(), "Only a registration returned for information can be resubmitted; D-4 is approved."),
            (ReviewRefusal::CannotResubmit(d4, DealStatus::Rejected).into(), "D-4 is rejected, so it cannot be resubmitted."),
            (ReviewRefusal::NoLongerReturned(d4).into(), "D-4 is no longer waiting for corrections."),
            (SurveyRefusal::RoundOpen.into(), "A survey round is already open; it must close before the next one."),
            (SurveyRefusal::NoRound.into(), "No survey round yet: a manager can open one now with the survey command."),
            (SurveyRefusal::Closed.into(), "This survey round is closed (or was not sent to you). Thanks all the same!"),
            (SurveyRefusal::CommentLength(2000).into(), "Write a comment of up to 2000 characters."),
            (SurveyRefusal::ScoreFirst.into(), "Choose a score first; then add your comment."),
            (SurveyRefusal::FollowupHandled.into(), "That follow-up was already handled."),
        ];
        for (refusal, expected) in cases {
            assert_eq!(refusal.to_string(), expected, "{refusal:?}");
        }
    }
}
