//! Partner satisfaction (PSAT) survey rounds: one 0–10 answer per partner user per round, and
//! the results managers read (response rate, NPS, average, per partner and per partner type,
//! trend against earlier rounds). Pure functions.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The question every round asks.
pub const QUESTION: &str = "How likely are you to recommend our partner program to a peer?";

/// Why a survey action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SurveyRefusal {
    #[error("A survey round is already open; it must close before the next one.")]
    RoundOpen,
    #[error("No survey round yet: a manager can open one now with the survey command.")]
    NoRound,
    /// An answer to a round that is closed, or that the person was not asked.
    #[error("This survey round is closed (or was not sent to you). Thanks all the same!")]
    Closed,
    #[error("Write a comment of up to {0} characters.")]
    CommentLength(usize),
    #[error("Choose a score first; then add your comment.")]
    ScoreFirst,
    #[error("That follow-up was already handled.")]
    FollowupHandled,
}

/// A valid score, 0 to 10.
pub fn parse_score(text: &str) -> Option<u8> {
    text.trim().parse::<u8>().ok().filter(|s| *s <= 10)
}

/// Detractors (0–6) get a follow-up from their partner manager.
pub fn is_detractor(score: u8) -> bool {
    score <= 6
}

/// One invited user's answer, if any, with their partner and its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub partner: String,
    pub partner_type: String,
    pub score: Option<u8>,
}

/// Figures for one group of responses.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub invited: usize,
    pub answered: usize,
    /// Answered / invited, 0..=1.
    pub response_rate: Option<Decimal>,
    /// % promoters (9–10) minus % detractors (0–6), -100..=100, over answers.
    pub nps: Option<Decimal>,
    pub average: Option<Decimal>,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
}

/// Computes the figures of a set of responses.
pub fn figures<'a>(responses: impl IntoIterator<Item = &'a Response>) -> Figures {
    let (mut invited, mut scores) = (0, Vec::new());
    for r in responses {
        invited += 1;
        scores.extend(r.score);
    }
    let answered = scores.len();
    let promoters = scores.iter().filter(|s| **s >= 9).count();
    let detractors = scores.iter().filter(|s| is_detractor(**s)).count();
    let pct = |n: usize| Decimal::from(n) * Decimal::ONE_HUNDRED / Decimal::from(answered);
    Figures {
        invited,
        answered,
        response_rate: (invited > 0)
            .then(|| (Decimal::from(answered) / Decimal::from(invited)).round_dp(4)),
        nps: (answered > 0).then(|| (pct(promoters) - pct(detractors)).round_dp(1)),
        average: (answered > 0).then(|| {
            (Decimal::from(scores.iter().map(|s| u32::from(*s)).sum::<u32>())
                / Decimal::from(answered))
            .round_dp(2)
        }),
        promoters,
        passives: answered - promoters - detractors,
        detractors,
    }
}

/// A round's results: overall, per partner, per partner type.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub overall: Figures,
    pub by_partner: BTreeMap<String, Figures>,
    pub by_type: BTreeMap<String, Figures>,
}

/// Groups a round's responses.
pub fn results(responses: &[Response]) -> Results {
    let group = |key: fn(&Response) -> &str| {
        let mut groups: BTreeMap<String, Vec<&Response>> = BTreeMap::new();
        for r in responses {
            groups.entry(key(r).to_string()).or_default().push(r);
        }
        groups.into_iter().map(|(k, rs)| (k, figures(rs))).collect()
    };
    Results {
        overall: figures(responses),
        by_partner: group(|r| &r.partner),
        by_type: group(|r| &r.partner_type),
    }
}

/// NPS change against the previous round that had answers ("+12.5", "-3", "first round").
pub fn trend(current: Option<Decimal>, previous: &[Option<Decimal>]) -> String {
    match (current, previous.iter().rev().flatten().next()) {
        (Some(now), Some(before)) => {
            let delta = (now - before).normalize();
            if delta.is_sign_negative() {
                delta.to_string()
            } else {
                format!("+{delta}")
            }
        }
        (Some(_), None) => "first round with answers".into(),
        (None, _) => "no answers yet".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(partner: &str, kind: &str, score: Option<u8>) -> Response {
        Response {
            partner: partner.into(),
            partner_type: kind.into(),
            score,
        }
    }

    #[test]
    fn nps_matches_a_hand_computation() {
        // 10 invited, 8 answered: promoters 10, 9, 9 (3); passives 8, 7 (2); detractors 6, 3, 0 (3).
        let responses = vec![
            r("Globex", "reseller", Some(10)),
            r("Globex", "reseller", Some(9)),
            r("Globex", "reseller", Some(6)),
            r("Globex", "reseller", None),
            r("Initech", "referral", Some(9)),
            r("Initech", "referral", Some(8)),
            r("Initech", "referral", Some(3)),
            r("Hooli", "reseller", Some(7)),
            r("Hooli", "reseller", Some(0)),
            r("Hooli", "reseller", None),
        ];
        let res = results(&responses);
        let o = &res.overall;
        assert_eq!(
            (o.invited, o.answered, o.promoters, o.passives, o.detractors),
            (10, 8, 3, 2, 3)
        );
        assert_eq!(o.response_rate, Some(Decimal::new(8, 1)));
        assert_eq!(
            o.nps,
            Some(Decimal::ZERO),
            "37.5% promoters − 37.5% detractors"
        );
        assert_eq!(o.average, Some(Decimal::new(65, 1)), "52 / 8");
        assert_eq!(
            res.by_partner["Globex"].nps,
            Some(Decimal::new(333, 1)),
            "2 promoters, 1 detractor of 3: 66.7 − 33.3"
        );
        assert_eq!(res.by_type["referral"].nps, Some(Decimal::ZERO));
        assert_eq!(res.by_type["reseller"].answered, 5);
    }

    #[test]
    fn trends_compare_with_the_last_round_that_had_answers() {
        assert_eq!(
            trend(Some(Decimal::new(125, 1)), &[Some(Decimal::from(10)), None]),
            "+2.5"
        );
        assert_eq!(
            trend(Some(Decimal::from(-5)), &[Some(Decimal::from(10))]),
            "-15"
        );
        assert_eq!(
            trend(Some(Decimal::from(5)), &[]),
            "first round with answers"
        );
        assert_eq!(trend(None, &[Some(Decimal::ONE)]), "no answers yet");
    }

    #[test]
    fn scores_are_whole_numbers_from_0_to_10() {
        assert_eq!(
            (
                parse_score("0"),
                parse_score("10"),
                parse_score("11"),
                parse_score("7.5")
            ),
            (Some(0), Some(10), None, None)
        );
        assert!(is_detractor(6) && !is_detractor(7));
    }
}
