//! Nudging quiet partners: who gets a friendly nudge, who gets escalated to their manager, and
//! when sending is allowed (weekdays, the partner's working hours, at most once per cap period).

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// What to do about one partner now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NudgeAction {
    Nothing,
    /// Quiet for the nudge threshold: a friendly message in their channel.
    Nudge,
    /// Quiet for the alert threshold: their manager is told instead.
    AlertManager,
}

/// The rules, from `[nudges]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NudgeRules {
    pub after_days: i64,
    pub alert_after_days: i64,
    pub cap_days: i64,
    pub work_start: NaiveTime,
    pub work_end: NaiveTime,
}

/// True on a weekday inside working hours in `tz`.
pub fn sendable(now: DateTime<Utc>, tz: Tz, rules: &NudgeRules) -> bool {
    let local = now.with_timezone(&tz);
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let time = local.time();
    weekday && time >= rules.work_start && time < rules.work_end
}

/// Decides for one partner: `quiet_days` since its last registration or deal update,
/// `last_sent_days` since its last nudge or alert (if any), whether it is paused.
pub fn decide(
    quiet_days: i64,
    last_sent_days: Option<i64>,
    paused: bool,
    rules: &NudgeRules,
) -> NudgeAction {
    if paused || quiet_days < rules.after_days || last_sent_days.is_some_and(|d| d < rules.cap_days)
    {
        return NudgeAction::Nothing;
    }
    if quiet_days >= rules.alert_after_days {
        NudgeAction::AlertManager
    } else {
        NudgeAction::Nudge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> NudgeRules {
        NudgeRules {
            after_days: 60,
            alert_after_days: 90,
            cap_days: 30,
            work_start: NaiveTime::from_hms_opt(9, 0, 0).expect("t"),
            work_end: NaiveTime::from_hms_opt(17, 0, 0).expect("t"),
        }
    }

    #[test]
    fn quiet_partners_are_nudged_then_escalated_and_never_more_than_once_per_cap() {
        let r = rules();
        let cases = [
            (59, None, false, NudgeAction::Nothing),
            (60, None, false, NudgeAction::Nudge),
            (60, None, true, NudgeAction::Nothing),
            (75, Some(15), false, NudgeAction::Nothing),
            (89, Some(29), false, NudgeAction::Nothing),
            (90, Some(30), false, NudgeAction::AlertManager),
            (120, None, false, NudgeAction::AlertManager),
        ];
        for (quiet, last, paused, want) in cases {
            assert_eq!(
                decide(quiet, last, paused, &r),
                want,
                "{quiet} {last:?} {paused}"
            );
        }
    }

    #[test]
    fn only_weekdays_in_the_partners_working_hours() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let r = rules();
        let cases = [
            ("2027-03-03T10:00:00Z", Tz::UTC, true, "Wednesday 10:00 UTC"),
            ("2027-03-06T10:00:00Z", Tz::UTC, false, "Saturday"),
            ("2027-03-03T18:00:00Z", Tz::UTC, false, "after hours"),
            (
                "2027-03-03T10:00:00Z",
                Tz::Asia__Tokyo,
                false,
                "19:00 in Tokyo",
            ),
            (
                "2027-03-03T01:00:00Z",
                Tz::Asia__Tokyo,
                true,
                "10:00 in Tokyo",
            ),
            (
                "2027-03-05T23:30:00Z",
                Tz::Asia__Tokyo,
                false,
                "Saturday morning in Tokyo, Friday night in UTC",
            ),
        ];
        for (time, tz, want, why) in cases {
            assert_eq!(sendable(at(time), tz, &r), want, "{why}");
        }
    }
}
