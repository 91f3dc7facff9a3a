//! Grading name evidence: how strong the agreement of two names is, weighing each agreeing word
//! by its distinctiveness in the book, and saying why in words.

use super::evidence::{align, Alignment, Distinctiveness, Link};
use super::{domain_label, Candidate, Strength};

/// Distinctiveness the agreeing words must add up to before a name can block: one rare word,
/// or two fairly rare ones; never generic or ordinary words alone.
const DISTINCT: f64 = 0.75;
/// Share of each name's distinctiveness that must agree for a medium match when words are left
/// over ("Anker" / "Anker Innovations": the leftover "Innovations" weighs little).
const SHARE_MEDIUM: f64 = 0.75;
/// Distinctiveness the rarest agreeing word needs when words are left over: "Bell" (held by
/// nine records) does not identify "Bell Atlantic".
const RARE_LEFTOVER: f64 = 0.9;
/// Distinctiveness of a head from which a short name contained in a longer one is medium:
/// a word only that record of the book holds.
const HEAD_RARE: f64 = 0.97;
/// Distinctiveness above which a word the longer name adds to a contained short one makes it
/// another company ("Taiyo" / "Taiyo Yuden").
const LEFTOVER_MAX: f64 = 0.9;
/// How much a word typed short counts ("Talkwa" for "Talkware").
const TRUNCATED_FACTOR: f64 = 0.5;
/// What each typo takes off the score.
const TYPO_FACTOR: f64 = 0.95;
/// Acronym lengths backed by a domain ("UPS" with ups.com).
const ACRONYM_LEN: std::ops::RangeInclusive<usize> = 3..=5;

/// What the names alone say: a strength (none when nothing agrees), a score in 0..=1 and the
/// evidence in words.
pub(super) struct NameEvidence {
    pub strength: Option<Strength>,
    pub score: f64,
    pub reasons: Vec<String>,
    pub by_acronym: bool,
}

/// Grades the names of an incoming and an existing record; see the module documentation.
pub(super) fn name_evidence(a: &Candidate, b: &Candidate, stats: &Distinctiveness) -> NameEvidence {
    let al = align(&a.tokens, &b.tokens, stats);
    if al.links.is_empty() {
        return acronym(a, b, stats).unwrap_or(NameEvidence {
            strength: None,
            score: 0.0,
            reasons: Vec::new(),
            by_acronym: false,
        });
    }
    // A word typed short counts half: the rest must carry most of the evidence.
    let truncated = |side: usize, k: usize| {
        al.links
            .iter()
            .any(|&(i, j, l)| l == Link::Truncated && if side == 0 { i == k } else { j == k })
    };
    // Each word's distinctiveness, on side 0 (`a`) or 1 (`b`).
    let weights = |side: usize, tokens: &[String]| -> Vec<f64> {
        tokens
            .iter()
            .enumerate()
            .map(|(k, token)| {
                let w = stats.weight(token);
                if truncated(side, k) {
                    w * TRUNCATED_FACTOR
                } else {
                    w
                }
            })
            .collect()
    };
    let wa = weights(0, &a.tokens);
    let wb = weights(1, &b.tokens);
    let linked = |w: &[f64], on: &[bool]| -> f64 {
        w.iter()
            .zip(on)
            .filter(|(_, on)| **on)
            .map(|(w, _)| w)
            .sum()
    };
    let (total_a, total_b) = (wa.iter().sum::<f64>(), wb.iter().sum::<f64>());
    let (agree_a, agree_b) = (linked(&wa, &al.a_linked), linked(&wb, &al.b_linked));
    let share_a = agree_a / total_a.max(f64::EPSILON);
    let share_b = agree_b / total_b.max(f64::EPSILON);
    let typos = al
        .links
        .iter()
        .filter(|(_, _, l)| matches!(l, Link::Typo(_)))
        .count();
    let score = ((agree_a + agree_b) / (total_a + total_b).max(f64::EPSILON)).min(1.0)
        * TYPO_FACTOR.powi(typos as i32);
    let all_a = al.a_linked.iter().all(|l| *l);
    let all_b = al.b_linked.iter().all(|l| *l);
    let exact = a.tokens == b.tokens;
    let legal = jurisdictions_differ(a, b);
    let mut reasons = vec![super::name_reason(a, b, exact, score)];
    reasons.extend(link_reasons(a, b, &al, stats));
    // A typo is only trusted when nothing else differs: "AiNET" is not "Airnet Communications".
    let typo = al.links.iter().any(|(_, _, l)| matches!(l, Link::Typo(_)));
    let loose = typo || al.links.iter().any(|(_, _, l)| *l == Link::Truncated);
    // Rarity of a head is the book's word: without a book, "Wayne" in "Wayne Foods" says nothing.
    let head = head_contained(&al, a, b, &wb).filter(|_| !loose && !legal && stats.knows_book());
    // "Paramount Global" / "Paramount Group", "Air Canada" / "Air China": both names carry a
    // qualifier, and no qualifier is common to them.
    let qualified_apart = !a.qualifiers.is_empty()
        && !b.qualifiers.is_empty()
        && !a.qualifiers.iter().any(|q| b.qualifiers.contains(q));
    let rarest = al
        .links
        .iter()
        .map(|(_, j, _)| wb[*j])
        .fold(0.0_f64, f64::max);
    let strength = if agree_b.min(agree_a) < DISTINCT {
        reasons.push("but the words they share are common, so the names alone cannot tell".into());
        Strength::Weak
    } else if qualified_apart {
        reasons.push(format!(
            "but they are qualified differently ({} / {})",
            a.qualifiers.join(" "),
            b.qualifiers.join(" ")
        ));
        Strength::Weak
    } else if exact && !legal {
        reasons.push("no domain contradicts it".into());
        Strength::Strong
    } else if typo && legal && !al.backed {
        // "Logisol Kft." / "Logosol, Inc.": one slip of the finger and a company of another
        // country are two differences; a typo is only trusted when nothing else differs, or
        // when another distinctive word of the name agrees.
        reasons.push(format!(
            "but besides the typo their legal forms are from different countries ({} / {})",
            a.jurisdictions.join(","),
            b.jurisdictions.join(",")
        ));
        Strength::Weak
    } else if all_a && all_b {
        Strength::Medium
    } else if (all_a || all_b)
        && share_a.min(share_b) >= SHARE_MEDIUM
        && rarest >= RARE_LEFTOVER
        && !typo
        && stats.knows_book()
    {
        reasons.push("the words that differ are generic".into());
        Strength::Medium
    } else if let Some(why) = head {
        reasons.push(why);
        Strength::Medium
    } else {
        reasons[0] = format!("names overlap: {}", reasons[0]);
        Strength::Weak
    };
    if typo && legal && !al.backed {
        // Said above.
    } else if legal && strength >= Strength::Medium {
        reasons.push(format!(
            "legal forms are from different countries ({} / {}), but the name is distinctive",
            a.jurisdictions.join(","),
            b.jurisdictions.join(",")
        ));
    } else if legal {
        reasons.push(format!(
            "and their legal forms are from different countries ({} / {})",
            a.jurisdictions.join(","),
            b.jurisdictions.join(",")
        ));
    }
    NameEvidence {
        strength: Some(strength),
        score,
        reasons,
        by_acronym: false,
    }
}

/// When all of one name is the head of the other and that head is a word only one record of
/// the book holds ("Anker" in "Anker Innovations Limited"), why that is medium evidence.
fn head_contained(al: &Alignment, a: &Candidate, b: &Candidate, wb: &[f64]) -> Option<String> {
    // Only the incoming name may be the short one: a partner typing "Anker" for the book's
    // "Anker Innovations". A longer incoming name ("Wartsila Voyage") adds words the book's
    // record does not have, and may well be another company.
    if al.a_linked.len() >= al.b_linked.len() {
        return None;
    }
    let (short, long, short_linked, long_linked) = (a, b, &al.a_linked, &al.b_linked);
    let head_len = long_linked.iter().take_while(|l| **l).count();
    let rarest = al
        .links
        .iter()
        .map(|(_, j, _)| wb[*j])
        .fold(0.0_f64, f64::max);
    // What the longer name adds must be generic: "Taiyo" is not "Taiyo Yuden", "Hikari" not
    // "Hikari Alphax" (a distinctive word makes another company of the same family name).
    let plain_rest = long_linked
        .iter()
        .zip(wb)
        .all(|(linked, w)| *linked || *w < LEFTOVER_MAX);
    (short_linked.iter().all(|l| *l)
        && head_len >= short.tokens.len()
        && rarest >= HEAD_RARE
        && plain_rest)
        .then(|| {
            format!(
                "“{}” is the distinctive head of “{}”",
                short.name, long.name
            )
        })
}

/// The evidence of each agreeing word, in words.
fn link_reasons(
    a: &Candidate,
    b: &Candidate,
    al: &Alignment,
    stats: &Distinctiveness,
) -> Vec<String> {
    let mut out = Vec::new();
    for &(i, j, link) in &al.links {
        let (ta, tb) = (&a.tokens[i], &b.tokens[j]);
        out.push(match link {
            Link::Same if stats.knows_book() => format!(
                "{} word “{tb}” (held by {} of {} records)",
                rarity(stats.weight(tb)),
                stats.holding(tb),
                stats.records()
            ),
            Link::Same => format!("{} word “{tb}”", rarity(stats.weight(tb))),
            Link::Typo(d) => format!(
                "typo “{ta}” ≈ “{tb}” ({d} edit{})",
                if d > 1 { "s" } else { "" }
            ),
            Link::Joined => format!("joined or split words “{ta}” / “{tb}”"),
            Link::LeadingThe => format!("run-together “The”: “{ta}” / “{tb}”"),
            Link::Truncated => format!("abbreviated word “{ta}” / “{tb}”"),
        });
    }
    for (written, full) in a.expanded.iter().chain(&b.expanded) {
        let reason = format!("abbreviation “{written}” = “{full}”");
        if !out.contains(&reason) {
            out.push(reason);
        }
    }
    out
}

fn rarity(weight: f64) -> &'static str {
    if weight >= 0.9 {
        "rare"
    } else if weight >= 0.5 {
        "uncommon"
    } else {
        "common"
    }
}

/// An incoming "UPS" with ups.com against "United Parcel Service": the acronym is the initials
/// of the existing name, and its own domain says so: medium (the other record's domain must not
/// contradict it). When several records of a check match one acronym, the check shows them all
/// as weak (`Match::by_acronym`).
fn acronym(short: &Candidate, long: &Candidate, stats: &Distinctiveness) -> Option<NameEvidence> {
    let [token] = short.tokens.as_slice() else {
        return None;
    };
    let domain = short.domain.as_deref()?;
    if !ACRONYM_LEN.contains(&token.len()) || domain_label(domain) != token {
        return None;
    }
    if initials(long).as_deref() != Some(token.as_str()) {
        return None;
    }
    let sharing = stats.holding(&format!("a:{token}"));
    let mut reasons = vec![format!(
        "acronym “{}” of “{}”, backed by its domain {domain}",
        short.name, long.name
    )];
    if stats.knows_book() && sharing > 1 {
        reasons.push(format!("{sharing} records of the book have those initials"));
    }
    Some(NameEvidence {
        strength: Some(Strength::Medium),
        score: 0.5,
        reasons,
        by_acronym: true,
    })
}

/// Initials of a name of 3 to 5 words ("united parcel service" → "ups"), without "and", "of".
pub(super) fn initials(c: &Candidate) -> Option<String> {
    let words: Vec<&String> = c
        .words
        .iter()
        .filter(|w| !matches!(w.as_str(), "and" | "of" | "the" | "und" | "et"))
        .collect();
    (ACRONYM_LEN.contains(&words.len())
        && words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_alphabetic())))
    .then(|| words.iter().filter_map(|w| w.chars().next()).collect())
}

/// True when both names carry legal forms and no jurisdiction is common to them: "Merck & Co.,
/// Inc." (US) and "Merck KGaA" (Germany) are different legal entities unless the rest agrees on
/// distinctive words.
pub(super) fn jurisdictions_differ(a: &Candidate, b: &Candidate) -> bool {
    !a.jurisdictions.is_empty()
        && !b.jurisdictions.is_empty()
        && !a.jurisdictions.iter().any(|j| b.jurisdictions.contains(j))
}
