//! Name evidence: how distinctive each token is in the book the bot holds, and how two names'
//! tokens line up (the same word, a typo, words joined or split, a run-together "The").

use super::words::{canonical, common_words, corporate, generic, noise, regions};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Weight of a word that says what a company does ("Systems") or where ("Deutschland").
const GENERIC_WEIGHT: f64 = 0.15;
/// Weight of an ordinary word companies are named after ("Delta", "American").
const COMMON_WEIGHT: f64 = 0.25;
/// Weight of a one- or two-letter token ("AT&T" is "at t"): identical ones agree, but weakly.
const SHORT_WEIGHT: f64 = 0.5;
/// Fewer records than this and the book says little about words: the tables alone decide.
pub const MIN_BOOK: u64 = 50;
/// Shortest token a typo is tolerated on (edit distance 1), and from which 2 edits are.
const TYPO_MIN_LEN: usize = 5;
const TYPO2_MIN_LEN: usize = 8;
/// Weight of an agreeing word that backs up a vowel typo in another word of the name.
const BACKING_WEIGHT: f64 = 0.5;
/// Shortest last word typed short that still counts ("Aud" for "Audio").
const MIN_TRUNCATED: usize = 3;
/// Shortest truncation of a generic word that still counts as it ("Grou" for "Group").
const MIN_TRUNCATION: usize = 4;

/// How many records of the book hold each normalised token, and how many records there are:
/// the distinctiveness (an IDF weight) of each word. [`Distinctiveness::default`] knows no book
/// and relies on the word tables only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distinctiveness {
    records: u64,
    holding: HashMap<String, u64>,
}

impl Distinctiveness {
    /// Statistics of a book of `records` records, `holding[token]` of which hold `token`.
    pub fn new(records: u64, holding: HashMap<String, u64>) -> Distinctiveness {
        Distinctiveness { records, holding }
    }

    /// Records in the book.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Records of the book holding `token` (0 when unknown).
    pub fn holding(&self, token: &str) -> u64 {
        self.holding.get(token).copied().unwrap_or(0)
    }

    /// True when the book is large enough for its counts to mean something.
    pub(super) fn knows_book(&self) -> bool {
        self.records >= MIN_BOOK
    }

    /// Distinctiveness of a token in 0..=1: 1 for a word the book holds once (or never), less
    /// the more records hold it (log-scaled), and at most a low cap for generic, regional and
    /// ordinary words whatever the book holds.
    pub fn weight(&self, token: &str) -> f64 {
        let held = self.holding(token);
        let cap = if held == 0 && truncations().contains(token) {
            // "Grou" is "Group" typed short, unless the book holds it as a word.
            GENERIC_WEIGHT
        } else {
            table_weight(token)
        };
        if !self.knows_book() || held <= 1 {
            return cap;
        }
        let idf = 1.0 - (held as f64).ln() / ((self.records + 1) as f64).ln();
        cap.min(idf.max(0.0))
    }
}

/// The weight the word tables give a token.
fn table_weight(token: &str) -> f64 {
    if token.len() <= 2 {
        SHORT_WEIGHT
    } else if generic().contains(token) || corporate().contains(token) || noise().contains(token) {
        GENERIC_WEIGHT
    } else if common_words().contains(token) {
        COMMON_WEIGHT
    } else {
        1.0
    }
}

/// Every truncation of a generic or corporate word ("grou", "syste").
fn truncations() -> &'static HashSet<String> {
    static CELL: OnceLock<HashSet<String>> = OnceLock::new();
    CELL.get_or_init(|| {
        generic()
            .iter()
            .chain(noise().iter())
            .chain(corporate().iter())
            .chain(regions().iter())
            .flat_map(|w| (MIN_TRUNCATION..w.len()).map(move |n| w[..n].to_string()))
            .collect()
    })
}

/// Spellings one deletion away from a distinctive token (`"anker"` → `"nker"`, `"aker"`, …):
/// stored for every word of the book so that a typo of it can be looked up. Empty for short or
/// non-alphabetic tokens.
pub fn typo_variants(token: &str) -> Vec<String> {
    if token.len() < TYPO_MIN_LEN || !token.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let mut out: Vec<String> = (0..token.len())
        .map(|i| format!("{}{}", &token[..i], &token[i + 1..]))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What to look up for a word the book does not hold, to find the word it may be a typo of:
/// itself and its own one-deletion spellings (matched against [`typo_variants`] and against
/// the book's words).
pub fn typo_probes(token: &str) -> Vec<String> {
    if token.len() + 1 < TYPO_MIN_LEN || !token.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let mut out: Vec<String> = (0..token.len())
        .map(|i| format!("{}{}", &token[..i], &token[i + 1..]))
        .filter(|v| v.len() + 1 >= TYPO_MIN_LEN)
        .collect();
    out.push(token.to_string());
    out.sort();
    out.dedup();
    out
}

/// How one token of the incoming name lines up with one of the existing name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    Same,
    /// A typo of a distinctive word, with its edit distance.
    Typo(usize),
    /// One side's word is two adjacent words of the other ("RedHat" / "Red Hat").
    Joined,
    /// "TheJFE" / "JFE".
    LeadingThe,
    /// The last word typed short ("Cedar Aud" / "Cedar Audio").
    Truncated,
}

/// The tokens of two names lined up: (incoming index, existing index, link); a joined word
/// links to each of its parts.
#[derive(Debug, Clone, Default)]
pub(super) struct Alignment {
    pub links: Vec<(usize, usize, Link)>,
    pub a_linked: Vec<bool>,
    pub b_linked: Vec<bool>,
    /// A distinctive word of the existing name agrees exactly: a typo elsewhere in the name is
    /// backed up by it.
    pub backed: bool,
}

/// Lines up the tokens of two names, exact agreements first.
pub(super) fn align(a: &[String], b: &[String], stats: &Distinctiveness) -> Alignment {
    let mut al = Alignment {
        links: Vec::new(),
        a_linked: vec![false; a.len()],
        b_linked: vec![false; b.len()],
        backed: false,
    };
    for (i, ta) in a.iter().enumerate() {
        if let Some(j) = (0..b.len()).find(|&j| !al.b_linked[j] && b[j] == *ta) {
            al.link(i, j, Link::Same);
        }
    }
    link_joined(&mut al, a, b, false);
    link_joined(&mut al, b, a, true);
    // A vowel spelled differently is a typo when another distinctive word agrees ("Proctor and
    // Gamble"); in a name that is nothing else, it is as likely another brand ("Velux" /
    // "Velex", "Sunix" / "Sanix"), and only slips of the finger count.
    al.backed = al
        .links
        .iter()
        .any(|&(_, j, l)| l == Link::Same && stats.weight(&b[j]) >= BACKING_WEIGHT);
    let vowels = al.backed;
    for (i, ta) in a.iter().enumerate() {
        for (j, tb) in b.iter().enumerate() {
            if al.a_linked[i] || al.b_linked[j] {
                continue;
            }
            if leading_the(ta, tb, stats) || leading_the(tb, ta, stats) {
                al.link(i, j, Link::LeadingThe);
            } else if with_tld(ta, tb, false) || with_tld(tb, ta, true) {
                al.link(i, j, Link::Joined);
            } else if let Some(d) = typo_with(ta, tb, stats, vowels) {
                al.link(i, j, Link::Typo(d));
            }
        }
    }
    link_truncated(&mut al, a, b);
    link_compact(&mut al, a, b, stats);
    al
}

impl Alignment {
    fn link(&mut self, i: usize, j: usize, link: Link) {
        self.a_linked[i] = true;
        self.b_linked[j] = true;
        self.links.push((i, j, link));
    }
}

/// Links a word of `x` to two adjacent unlinked words of `y` when it is them run together.
fn link_joined(al: &mut Alignment, x: &[String], y: &[String], swapped: bool) {
    for (i, word) in x.iter().enumerate() {
        let x_free = if swapped {
            !al.b_linked[i]
        } else {
            !al.a_linked[i]
        };
        if !x_free {
            continue;
        }
        for j in 0..y.len().saturating_sub(1) {
            let y_free = |k: usize| {
                if swapped {
                    !al.a_linked[k]
                } else {
                    !al.b_linked[k]
                }
            };
            // The second word may be written short or long ("ifaksystem" / "ifak systems").
            let joined = word
                .strip_prefix(y[j].as_str())
                .is_some_and(|rest| rest == y[j + 1] || canonical(rest) == y[j + 1]);
            if y_free(j) && y_free(j + 1) && joined {
                for k in [j, j + 1] {
                    if swapped {
                        al.link(k, i, Link::Joined);
                    } else {
                        al.link(i, k, Link::Joined);
                    }
                }
                break;
            }
        }
    }
}

/// Links the last word of one name to a longer word of the other it begins ("aud" / "audio").
fn link_truncated(al: &mut Alignment, a: &[String], b: &[String]) {
    let (Some(i), Some(j)) = (a.len().checked_sub(1), b.len().checked_sub(1)) else {
        return;
    };
    let prefix =
        |x: &str, y: &str| x.len() >= MIN_TRUNCATED && y.len() > x.len() && y.starts_with(x);
    for (ia, jb) in [(i, None), (usize::MAX, Some(j))] {
        if let Some(jb) = jb {
            if let Some(k) =
                (0..a.len()).find(|&k| !al.a_linked[k] && !al.b_linked[jb] && prefix(&b[jb], &a[k]))
            {
                al.link(k, jb, Link::Truncated);
            }
        } else if let Some(k) =
            (0..b.len()).find(|&k| !al.b_linked[k] && !al.a_linked[ia] && prefix(&a[ia], &b[k]))
        {
            al.link(ia, k, Link::Truncated);
        }
    }
}

/// Links what is left of both names when, run together, it is the same word or a typo of it
/// ("proto poxel" / "protopixel", "thesangblzae" / "sanblaze").
fn link_compact(al: &mut Alignment, a: &[String], b: &[String], stats: &Distinctiveness) {
    let left = |w: &[String], on: &[bool]| -> (Vec<usize>, String) {
        let idx: Vec<usize> = (0..w.len()).filter(|&k| !on[k]).collect();
        let joined = idx.iter().map(|&k| w[k].as_str()).collect();
        (idx, joined)
    };
    let (ia, ca) = left(a, &al.a_linked);
    let (ib, cb) = left(b, &al.b_linked);
    if ia.is_empty()
        || ib.is_empty()
        || (ia.len() == 1 && ib.len() == 1 && ca != cb && !ca.starts_with("the"))
    {
        return;
    }
    let bare = ca.strip_prefix("the").filter(|r| r.len() >= TYPO_MIN_LEN);
    let link = if ca == cb || bare == Some(cb.as_str()) {
        Some(Link::Joined)
    } else {
        [Some(ca.as_str()), bare]
            .into_iter()
            .flatten()
            .find_map(|x| typo_with(x, &cb, stats, false))
            .map(Link::Typo)
    };
    if let Some(link) = link {
        for (n, &i) in ia.iter().enumerate() {
            let j = ib[n.min(ib.len() - 1)];
            al.a_linked[i] = true;
            al.b_linked[j] = true;
            al.links.push((i, j, link));
        }
        for &j in &ib {
            if !al.b_linked[j] {
                al.b_linked[j] = true;
                al.links.push((ia[0], j, link));
            }
        }
    }
}

/// True when `x` is "the" run into `y` ("thejfe" / "jfe"), unless the book holds `x` as a
/// word of its own ("theater" is not "the ater").
fn leading_the(x: &str, y: &str, stats: &Distinctiveness) -> bool {
    x.len() > 4 && x.starts_with("the") && &x[3..] == y && stats.holding(x) == 0
}

/// True when `x` is `y` with the dot of its web address dropped ("carscom" / "cars") or, when
/// `x` is the book's word (`generic_tail`), a generic word run into it ("xingtuxinkeelectronic"
/// / "xingtuxinke": the partner typed the head of the book's name). An incoming word that runs
/// a generic word into a book name is another name built on it ("Recovision" is not "Reco",
/// "Clovertech" not "Clover"), as a longer incoming name is (see `grade::head_contained`).
fn with_tld(x: &str, y: &str, generic_tail: bool) -> bool {
    x.strip_prefix(y).is_some_and(|tail| {
        y.len() >= 3
            && (matches!(tail, "com" | "net" | "org" | "io" | "ai")
                || (generic_tail && super::normalise::joined_head(x) == Some(y)))
    })
}

/// The edit distance between two spellings of one distinctive word, when it is small enough
/// to be a typo: 1 edit on words of 5+ characters, 2 on 8+; never on generic or ordinary words,
/// nor on the first letter, nor when the book holds both spellings (then they are two names,
/// "Sitronix" / "Sitronics").
///
/// This is the lenient form the lookup uses to find what a word may be a typo of; grading
/// counts a vowel spelled differently only when another word backs the name up.
pub fn typo(a: &str, b: &str, stats: &Distinctiveness) -> Option<usize> {
    typo_with(a, b, stats, true)
}

fn typo_with(a: &str, b: &str, stats: &Distinctiveness, vowels: bool) -> Option<usize> {
    let (shorter, longer) = (a.len().min(b.len()), a.len().max(b.len()));
    if longer < TYPO_MIN_LEN || shorter + 2 < longer || a.starts_with(b) || b.starts_with(a) {
        return None;
    }
    // People rarely get the first letter wrong; names that differ there are other names
    // ("Citronix" / "SciTronix").
    if a.as_bytes().first() != b.as_bytes().first() {
        return None;
    }
    // Nor is a last consonant changed a slip, unless another word backs the name up: it is
    // how brands are coined apart ("Pycon" / "Pycom", "Digitrol" / "Digitron"); a last vowel
    // slips ("Vivendu").
    let consonant = |c: u8| !matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    if !vowels
        && a.len() == b.len()
        && a[..a.len() - 1] == b[..b.len() - 1]
        && consonant(a.as_bytes()[a.len() - 1])
        && consonant(b.as_bytes()[b.len() - 1])
    {
        return None;
    }
    if table_weight(a) < 1.0 || table_weight(b) < 1.0 {
        return None;
    }
    if stats.knows_book() && stats.holding(a) > 0 && stats.holding(b) > 0 {
        return None;
    }
    let allowed = if shorter >= TYPO2_MIN_LEN { 2 } else { 1 };
    let d = keyboard_distance(a.as_bytes(), b.as_bytes(), allowed, vowels);
    (d <= allowed).then_some(d)
}

/// Cost of an edit that is no slip of the finger: above any edit budget.
const NOT_A_SLIP: usize = 3;

/// Optimal-string-alignment distance from the typed `a` to the word `b` counting only slips of
/// the finger: a substitution costs 1 between neighbouring keys of a QWERTY keyboard or, with
/// `vowels`, between two vowels ("Proctor" / "Procter"); a letter typed in excess costs 1 when
/// it doubles or neighbours a letter next to it ("Vivendii", "Vivrendi"); a dropped letter or
/// two letters swapped cost 1. Anything else is another name, not a typo ("Seartech" is not
/// "Geartech", "Sigpro" not "Sipro", "Airware" not "Aiware"), and costs [`NOT_A_SLIP`]. Stops
/// counting above `limit`.
fn keyboard_distance(a: &[u8], b: &[u8], limit: usize, vowels: bool) -> usize {
    // A letter typed in excess at `k` of `a`: the same key twice, or a neighbouring key.
    let slipped = |k: usize| {
        let near = |c: u8| c == a[k] || neighbours(c, a[k]);
        (k > 0 && near(a[k - 1])) || a.get(k + 1).is_some_and(|c| near(*c))
    };
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        let mut best = usize::MAX;
        for j in 1..=m {
            let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
            let sub = if a[i - 1] == b[j - 1] {
                0
            } else if neighbours(a[i - 1], b[j - 1])
                || (vowels && vowel(a[i - 1]) && vowel(b[j - 1]))
            {
                1
            } else {
                NOT_A_SLIP
            };
            let extra = if slipped(i - 1) { 1 } else { NOT_A_SLIP };
            let mut v = (d[i - 1][j] + extra)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + sub);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
            best = best.min(v);
        }
        if best > limit {
            return best;
        }
    }
    d[n][m]
}

/// True when two keys touch on a QWERTY keyboard: side by side, or on the rows above and below,
/// which are staggered (a key touches the key above it and the one above to its right: "s"
/// touches "w" and "e", not "q").
fn neighbours(x: u8, y: u8) -> bool {
    const ROWS: [&[u8]; 4] = [b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];
    let at = |c: u8| {
        ROWS.iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(|k| *k == c).map(|p| (r, p)))
    };
    match (at(x), at(y)) {
        (Some((r1, p1)), Some((r2, p2))) => {
            let below = |(ru, pu): (usize, usize), (rl, pl): (usize, usize)| {
                rl == ru + 1 && (pl == pu || pl + 1 == pu)
            };
            (r1 == r2 && p1.abs_diff(p2) == 1)
                || below((r1, p1), (r2, p2))
                || below((r2, p2), (r1, p1))
        }
        _ => false,
    }
}
