//! Matching quality on the labelled pair set in `tests/data/matching/pairs.csv`: precision and
//! recall of "the bot calls it strong or medium" (what blocks a registration) and of "any match"
//! (what a manager is shown). Run with `-- --nocapture` to see the figures.

use partnerbot::domain::matching::{compare, Candidate, Strength};

#[derive(Debug, serde::Deserialize)]
struct Pair {
    name_a: String,
    domain_a: String,
    name_b: String,
    domain_b: String,
    same: u8,
    note: String,
}

#[derive(Default, Debug)]
struct Confusion {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Confusion {
    fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
}

fn optional(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

#[test]
fn precision_on_blocking_matches_is_at_least_99_percent() {
    let mut reader =
        csv::Reader::from_path("tests/data/matching/pairs.csv").expect("labelled pairs");
    let pairs: Vec<Pair> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("pairs parse");
    assert!(pairs.len() >= 300, "the set has {} pairs", pairs.len());
    let (mut blocking, mut any) = (Confusion::default(), Confusion::default());
    let (mut by_strength, mut mistakes) = (std::collections::BTreeMap::new(), Vec::new());
    for p in &pairs {
        let m = compare(
            &Candidate::new(&p.name_a, optional(&p.domain_a)),
            &Candidate::new(&p.name_b, optional(&p.domain_b)),
        );
        let strength = m.as_ref().map(|m| m.strength);
        let same = p.same == 1;
        blocking.add(strength >= Some(Strength::Medium), same);
        any.add(strength.is_some(), same);
        *by_strength.entry((strength, same)).or_insert(0) += 1;
        if (strength >= Some(Strength::Medium)) != same {
            mistakes.push(format!(
                "  {:?} for same={}: {} [{}] vs {} [{}] ({})",
                strength, p.same, p.name_a, p.domain_a, p.name_b, p.domain_b, p.note
            ));
        }
    }
    println!(
        "{} labelled pairs ({} same, {} different)",
        pairs.len(),
        blocking.tp + blocking.fn_,
        blocking.fp + blocking.tn
    );
    println!(
        "strong or medium (blocks): precision {:.3}, recall {:.3} ({:?})",
        blocking.precision(),
        blocking.recall(),
        blocking
    );
    println!(
        "any match (shown):         precision {:.3}, recall {:.3} ({:?})",
        any.precision(),
        any.recall(),
        any
    );
    for ((strength, same), n) in &by_strength {
        println!("  {:<14} same={:<5} {n}", format!("{strength:?}"), same);
    }
    println!(
        "disagreements with the labels at strong/medium:\n{}",
        mistakes.join("\n")
    );
    assert!(
        blocking.precision() >= 0.99,
        "precision {:.3} < 0.99",
        blocking.precision()
    );
}
