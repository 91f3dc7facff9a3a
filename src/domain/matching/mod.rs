//! Explainable matching of customer records (registrations, direct accounts): does an incoming
//! registration refer to a customer someone already holds? Every match says why, and how strong
//! the evidence is. Pure functions: no I/O.
//!
//! Evidence, strongest first:
//! - the same registrable domain (`shop.acme.co.uk` and `acme.co.uk` are both `acme.co.uk`);
//! - the same normalised name (legal forms, accents, punctuation, `&`/`and`, a leading "The",
//!   noise, corporate words and regional qualifiers removed, abbreviations expanded) made of
//!   distinctive words, with no contradicting domains;
//! - names whose distinctive words agree up to typos, joined or split words and generic words
//!   ("Anker" / "Anker Innovations Limited"), an acronym backed by its domain ("UPS" with
//!   ups.com / "United Parcel Service"), or the same domain name on another suffix plus a
//!   similar name (medium);
//! - agreement on common words only, or partial overlap (weak: shown, never blocking).
//!
//! How much an agreeing word counts depends on how many records of the book hold it
//! ([`Distinctiveness`]): agreeing on "Anker" is strong evidence, on "Global" or "Systems" weak.
//! Two records whose domains are both known and different are different companies unless their
//! names are identical: that keeps Delta Air Lines (delta.com) and Delta Faucet (deltafaucet.com)
//! apart.

mod evidence;
#[cfg(test)]
mod evidence_tests;
mod grade;
mod normalise;
mod words;

pub use evidence::{typo as typo_distance, typo_probes, typo_variants, Distinctiveness, MIN_BOOK};

use super::deal::normalise_domain;
use grade::{initials, jurisdictions_differ, name_evidence};
use std::fmt;

/// How much a match should be trusted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Partial name overlap only: a "possible match" for a person to look at.
    Weak,
    /// Strong name evidence, or the same domain name on another suffix with a similar name.
    Medium,
    /// The same registrable domain, or the same normalised name with no contradicting domain.
    Strong,
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strength::Weak => "weak",
            Strength::Medium => "medium",
            Strength::Strong => "strong",
        })
    }
}

/// A match between two records, with its evidence in words.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub strength: Strength,
    /// Name similarity in 0..=1 (1 for identical normalised names), weighted by distinctiveness.
    pub score: f64,
    pub reasons: Vec<String>,
    /// The only evidence is an acronym backed by a domain: a check that finds several records
    /// with those initials shows them all as weak.
    #[serde(skip)]
    pub by_acronym: bool,
}

/// A record prepared for matching: its name normalised once, its domain reduced to the
/// registrable domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The name as people wrote it (for reasons).
    pub name: String,
    /// Normalised distinctive name tokens, e.g. `["procter", "gamble"]`.
    pub tokens: Vec<String>,
    /// The registrable domain (`acme.co.uk`), when one was given and is valid.
    pub domain: Option<String>,
    /// Jurisdictions of the legal forms the name carried ("de" for GmbH, "us" for Inc.).
    pub jurisdictions: Vec<&'static str>,
    /// Every word of the name after legal forms were removed, abbreviations expanded (for
    /// acronyms: "united parcel service").
    pub words: Vec<String>,
    /// Abbreviations expanded, as written and as understood (`("sys", "systems")`).
    pub expanded: Vec<(String, String)>,
    /// Qualifiers removed from the name: corporate words, regions, "group" ("global",
    /// "north_america"). Two names qualified in different ways are different entities.
    pub qualifiers: Vec<String>,
}

/// Name score from which the same domain name on another suffix makes a medium match.
const SUFFIX_FAMILY_SCORE: f64 = 0.80;
/// Name score from which the name is worth citing next to a domain match.
const CITE_SCORE: f64 = 0.5;
/// Token similarity (Jaro-Winkler) at which two tokens count as the same word in
/// [`name_score`]: catches typos such as "Proctor"/"Procter" but not "Motors"/"Mills".
const TOKEN_MATCH: f64 = 0.92;

impl Candidate {
    /// Prepares a record; an invalid or missing domain counts as unknown.
    pub fn new(name: &str, domain: Option<&str>) -> Candidate {
        let analysed = normalise::analyse_name(name);
        Candidate {
            name: name.trim().to_string(),
            tokens: analysed.tokens,
            domain: domain.and_then(registrable_domain),
            jurisdictions: analysed.jurisdictions,
            words: analysed.words,
            expanded: analysed.expanded,
            qualifiers: analysed.qualifiers,
        }
    }

    /// The normalised name as one string ("procter gamble").
    pub fn normalised_name(&self) -> String {
        self.tokens.join(" ")
    }

    fn compact(&self) -> String {
        self.tokens.concat()
    }
}

/// The registrable domain of anything typed as a website, e-mail or host:
/// `https://shop.acme.co.uk/x` → `acme.co.uk`. `None` when it is not a domain.
pub fn registrable_domain(raw: &str) -> Option<String> {
    let host = normalise_domain(raw).ok()?;
    Some(psl::domain_str(&host).unwrap_or(&host).to_string())
}

/// The part of a registrable domain before its public suffix: `acme.co.uk` → `acme`.
pub fn domain_label(registrable: &str) -> &str {
    match psl::suffix_str(registrable) {
        Some(suffix) if registrable.len() > suffix.len() + 1 => {
            &registrable[..registrable.len() - suffix.len() - 1]
        }
        _ => registrable.split('.').next().unwrap_or(registrable),
    }
}

/// Normalised tokens of a company name: ASCII-folded, lower case, `&` as "and", dotted
/// abbreviations joined ("S.p.A." → "spa"), abbreviations expanded, then legal forms, noise,
/// corporate words and regional qualifiers removed, as long as a word is left.
pub fn name_tokens(raw: &str) -> Vec<String> {
    normalise::analyse_name(raw).tokens
}

/// True when every word of one name is in the other ("Costco" in "Costco Wholesale").
fn contained(a: &Candidate, b: &Candidate) -> bool {
    let (short, long) = if a.tokens.len() <= b.tokens.len() {
        (a, b)
    } else {
        (b, a)
    };
    !short.tokens.is_empty() && short.tokens.iter().all(|t| long.tokens.contains(t))
}

/// True when either name is a single ordinary word ("Delta", "Nationwide").
fn common_word_name(a: &Candidate, b: &Candidate) -> bool {
    [a, b]
        .iter()
        .any(|c| c.tokens.len() == 1 && words::common_words().contains(c.tokens[0].as_str()))
}

/// Generic top-level domains: the same label on two of them (pandora.com, pandora.net) is often
/// two owners; on a generic and a country suffix (siemens.com, siemens.de) it is usually one
/// brand's country site.
fn is_generic_suffix(domain: &str) -> bool {
    matches!(
        psl::suffix_str(domain),
        Some("com" | "net" | "org" | "info" | "biz" | "io" | "co")
    )
}

/// Token-aware name similarity in 0..=1, blind to the book: identical names score 1, names
/// equal once spaces are removed ("Coca-Cola"/"CocaCola") 0.98, otherwise the share of words
/// (fuzzy-matched one to one) the two names have in common.
pub fn name_score(a: &Candidate, b: &Candidate) -> f64 {
    if a.tokens.is_empty() || b.tokens.is_empty() {
        return 0.0;
    }
    if a.tokens == b.tokens {
        return 1.0;
    }
    if a.compact() == b.compact() {
        return 0.98;
    }
    let mut used = vec![false; b.tokens.len()];
    let mut matched = 0.0;
    for ta in &a.tokens {
        let best = b
            .tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, tb)| (i, token_similarity(ta, tb)))
            .filter(|(_, s)| *s >= TOKEN_MATCH)
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, s)) = best {
            used[i] = true;
            matched += s;
        }
    }
    2.0 * matched / (a.tokens.len() + b.tokens.len()) as f64
}

fn token_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        1.0
    } else if a.len() < 4 || b.len() < 4 {
        // Short words and acronyms only count when identical ("GE" is not "GM").
        0.0
    } else {
        strsim::jaro_winkler(a, b)
    }
}

/// Compares an incoming record with an existing one, knowing no book (word tables only);
/// `None` when nothing suggests they are the same customer.
pub fn compare(incoming: &Candidate, existing: &Candidate) -> Option<Match> {
    compare_with(incoming, existing, &Distinctiveness::default())
}

/// Compares an incoming record with an existing one, weighing agreeing words by their
/// distinctiveness in the book; `None` when nothing suggests they are the same customer.
pub fn compare_with(
    incoming: &Candidate,
    existing: &Candidate,
    stats: &Distinctiveness,
) -> Option<Match> {
    let found = |strength, score, reasons| {
        Some(Match {
            strength,
            score,
            reasons,
            by_acronym: false,
        })
    };
    match (&incoming.domain, &existing.domain) {
        (Some(a), Some(b)) if a == b => {
            let score = name_score(incoming, existing);
            let mut reasons = vec![format!("same domain {a}")];
            if score >= CITE_SCORE {
                reasons.push(name_reason(incoming, existing, score >= 1.0, score));
            }
            found(Strength::Strong, score, reasons)
        }
        (Some(a), Some(b)) if domain_label(a) == domain_label(b) => {
            let score = name_score(incoming, existing);
            let family = format!(
                "same domain name “{}” on another suffix ({a}, {b})",
                domain_label(a)
            );
            let country_site = !(is_generic_suffix(a) && is_generic_suffix(b));
            let similar = score >= SUFFIX_FAMILY_SCORE || contained(incoming, existing);
            let name_only_weak =
                jurisdictions_differ(incoming, existing) || common_word_name(incoming, existing);
            let name = name_reason(incoming, existing, score >= 1.0, score);
            match (similar, country_site && !name_only_weak) {
                (true, true) => found(Strength::Medium, score, vec![family, name]),
                (true, false) => found(Strength::Weak, score, vec![family, name]),
                (false, _) => found(Strength::Weak, score, vec![family, "names differ".into()]),
            }
        }
        (Some(a), Some(b)) => {
            let score = name_score(incoming, existing);
            (score >= 1.0).then(|| Match {
                strength: Strength::Weak,
                by_acronym: false,
                score,
                reasons: vec![
                    name_reason(incoming, existing, score >= 1.0, score),
                    format!("but the domains differ ({a}, {b})"),
                ],
            })
        }
        _ => {
            let evidence = name_evidence(incoming, existing, stats);
            Some(Match {
                strength: evidence.strength?,
                score: evidence.score,
                reasons: evidence.reasons,
                by_acronym: evidence.by_acronym,
            })
        }
    }
}

/// "same name …" when the names are the same once normalised (`same`), else the score.
pub(super) fn name_reason(a: &Candidate, b: &Candidate, same: bool, score: f64) -> String {
    if same {
        format!(
            "same name “{}” ≈ “{}” (normalised “{}”)",
            a.name,
            b.name,
            b.normalised_name()
        )
    } else {
        format!("name “{}” ≈ “{}”, score {score:.2}", a.name, b.name)
    }
}

/// Keys used to find candidates in an index without scanning every record: a record is a
/// candidate when it shares its registrable domain, its domain label, a name token, its
/// compact name, or an acronym (its initials, or its one word backed by its domain).
pub fn index_keys(candidate: &Candidate) -> Vec<String> {
    let mut keys: Vec<String> = candidate.tokens.iter().map(|t| format!("t:{t}")).collect();
    if let Some(d) = &candidate.domain {
        keys.push(format!("d:{d}"));
        keys.push(format!("l:{}", domain_label(d)));
        if let [token] = candidate.tokens.as_slice() {
            if domain_label(d) == token {
                keys.push(format!("a:{token}"));
            }
        }
    }
    if let Some(acronym) = initials(candidate) {
        keys.push(format!("a:{acronym}"));
    }
    keys.push(format!("c:{}", candidate.compact()));
    keys.sort();
    keys.dedup();
    keys
}

/// Of [`index_keys`], those exact evidence shares: the registrable domain (`d:`), the domain
/// label (`l:`) and the whole normalised name (`c:`). Registrations lock these, so two that match
/// by domain or by the same name are decided one after the other; single words are left out,
/// since common ones ("systems", "global") would make unrelated customers queue.
pub fn exact_keys(keys: &[String]) -> Vec<String> {
    keys.iter()
        .filter(|k| k.starts_with("d:") || k.starts_with("l:") || k.starts_with("c:"))
        .cloned()
        .collect()
}

/// [`index_keys`] plus what only a lookup needs: a word run together with "The" or with a
/// generic word is looked up without it too ("TheJFE" as "jfe", "Lightworks" as "light").
pub fn lookup_keys(candidate: &Candidate) -> Vec<String> {
    let mut keys = index_keys(candidate);
    for token in &candidate.tokens {
        if let Some(rest) = token.strip_prefix("the").filter(|r| r.len() >= 2) {
            keys.push(format!("t:{rest}"));
        }
        if let Some(head) = normalise::joined_head(token) {
            keys.push(format!("t:{head}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// What a key of [`index_keys`] counts as in the distinctiveness statistics: a name token
/// (`t:anker` → `anker`), or an acronym, kept whole (`a:ups`) so that the book can say how many
/// records share it.
pub fn key_token(key: &str) -> Option<&str> {
    key.strip_prefix("t:")
        .or_else(|| key.starts_with("a:").then_some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_fold_subdomains_urls_emails_and_multi_part_suffixes() {
        let cases = [
            ("shop.acme.co.uk", "acme.co.uk"),
            ("https://www.acme.co.uk/about?x=1", "acme.co.uk"),
            ("sales@eu.acme.com", "acme.com"),
            ("ACME.COM.", "acme.com"),
            ("acme.com:443", "acme.com"),
            ("store.acme.com.au", "acme.com.au"),
            ("www.toyota.co.jp", "toyota.co.jp"),
            ("loja.natura.com.br", "natura.com.br"),
            ("mail.acme.de", "acme.de"),
        ];
        for (raw, want) in cases {
            assert_eq!(registrable_domain(raw).as_deref(), Some(want), "{raw}");
        }
        assert_eq!(registrable_domain("acme"), None);
        assert_eq!(domain_label("acme.co.uk"), "acme");
        assert_eq!(domain_label("acme.com"), "acme");
    }

    #[test]
    fn names_normalise_across_countries_legal_forms() {
        let cases = [
            ("Acme, Inc.", "acme"),                          // United States
            ("ACME Corporation", "acme"),                    // United States
            ("Acme Widgets LLC", "acme widgets"),            // United States
            ("Tesco PLC", "tesco"),                          // United Kingdom
            ("Rolls-Royce Holdings plc", "rolls royce"),     // United Kingdom
            ("Siemens AG", "siemens"),                       // Germany
            ("Robert Bosch GmbH", "robert bosch"),           // Germany
            ("Würth GmbH & Co. KG", "wurth"),                // Germany
            ("Société Générale S.A.", "societe generale"),   // France
            ("Doctolib SAS", "doctolib"),                    // France
            ("Ferrero S.p.A.", "ferrero"),                   // Italy
            ("Luxottica S.r.l.", "luxottica"),               // Italy
            ("ASML Holding N.V.", "asml"),                   // Netherlands
            ("Booking.com B.V.", "booking"),                 // Netherlands
            ("Atlassian Pty Ltd", "atlassian"),              // Australia
            ("Toyota Motor Co., Ltd.", "toyota motor"),      // Japan
            ("Sony Group K.K.", "sony"),                     // Japan
            ("Kabushiki Kaisha Toshiba", "toshiba"),         // Japan
            ("Volvo AB", "volvo"),                           // Sweden
            ("Equinor ASA", "equinor"),                      // Norway
            ("Maersk A/S", "maersk"),                        // Denmark
            ("Nokia Oyj", "nokia"),                          // Finland
            ("Inditex S.L.", "inditex"),                     // Spain
            ("Natura Cosméticos Ltda", "natura cosmeticos"), // Brazil
            ("Grupo Bimbo, S.A.B. de C.V.", "bimbo"),        // Mexico
            ("Allegro Sp. z o.o.", "allegro"),               // Poland
            ("Grab Holdings Pte. Ltd.", "grab"),             // Singapore
            ("PT Astra International Tbk", "astra"),         // Indonesia
            ("The Procter & Gamble Company", "procter gamble"),
            ("AT&T Inc.", "at t"),
            ("Nestlé S.A.", "nestle"),
            ("Salesforce.com, Inc.", "salesforce"),
            ("Koninklijke Philips N.V.", "philips"), // Netherlands
            ("Telefonaktiebolaget LM Ericsson", "lm ericsson"), // Sweden
            ("Wärtsilä Oyj Abp", "wartsila"),        // Finland
        ];
        for (raw, want) in cases {
            assert_eq!(Candidate::new(raw, None).normalised_name(), want, "{raw}");
        }
    }

    #[test]
    fn a_name_made_only_of_noise_keeps_its_words() {
        assert_eq!(
            Candidate::new("The Group", None).normalised_name(),
            "the group"
        );
        assert_eq!(Candidate::new("Inc", None).normalised_name(), "inc");
    }

    fn strength(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> Option<Strength> {
        compare(&Candidate::new(a.0, a.1), &Candidate::new(b.0, b.1)).map(|m| m.strength)
    }

    #[test]
    fn matches_are_graded_by_their_evidence() {
        use Strength::*;
        let cases = [
            (
                ("Acme Corporation", Some("acme.com")),
                ("ACME Corp.", Some("shop.acme.com")),
                Some(Strong),
            ),
            (
                ("Totally Different", Some("acme.com")),
                ("Acme", Some("https://acme.com")),
                Some(Strong),
            ),
            (
                ("Acme Corporation", None),
                ("ACME Corp.", Some("acme.com")),
                Some(Strong),
            ),
            (
                ("Procter & Gamble", None),
                ("Proctor and Gamble Co", None),
                Some(Medium),
            ),
            (
                ("Acme", Some("acme.de")),
                ("Acme Inc", Some("acme.com")),
                Some(Medium),
            ),
            (
                ("Costco", Some("costco.ca")),
                ("Costco Wholesale Corporation", Some("costco.com")),
                Some(Medium),
            ),
            (
                ("Pandora", Some("pandora.net")),
                ("Pandora", Some("pandora.com")),
                Some(Weak),
            ),
            (
                ("Acme GmbH", Some("acme.de")),
                ("Acme Inc", Some("acme.com")),
                Some(Weak),
            ),
            (
                ("Merck & Co., Inc.", None),
                ("Merck KGaA", None),
                Some(Medium),
            ),
            (
                ("Southern Company", None),
                ("Southern NV", None),
                Some(Weak),
            ),
            (
                ("Siemens AG", None),
                ("Siemens Aktiengesellschaft", None),
                Some(Strong),
            ),
            (
                ("Acme GmbH", Some("acme.de")),
                ("Zenith Inc", Some("acme.com")),
                Some(Weak),
            ),
            (
                ("Delta Air Lines", Some("delta.com")),
                ("Delta Faucet", Some("deltafaucet.com")),
                None,
            ),
            (
                ("Delta Air Lines", None),
                ("Delta Faucet", None),
                Some(Weak),
            ),
            (
                ("American Airlines", None),
                ("American Express", None),
                Some(Weak),
            ),
            (
                ("General Motors", Some("gm.com")),
                ("General Mills", Some("generalmills.com")),
                None,
            ),
            (
                ("Coca-Cola", None),
                ("CocaCola Company", None),
                Some(Medium),
            ),
            (
                ("Acme", Some("acme.com")),
                ("Acme", Some("acme-rockets.com")),
                Some(Weak),
            ),
            (("Initech", None), ("Globex", None), None),
        ];
        for (a, b, want) in cases {
            assert_eq!(strength(a, b), want, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn every_match_explains_itself() {
        let m = compare(
            &Candidate::new("Acme Corporation", Some("acme.com")),
            &Candidate::new("ACME Corp.", Some("acme.com")),
        )
        .expect("match");
        assert_eq!(m.reasons[0], "same domain acme.com");
        assert!(
            m.reasons[1].contains("“Acme Corporation” ≈ “ACME Corp.”"),
            "{:?}",
            m.reasons
        );
        let m = compare(
            &Candidate::new("Procter & Gamble", None),
            &Candidate::new("Proctor and Gamble", None),
        )
        .expect("match");
        assert!(m.reasons[0].contains("score 0.9"), "{:?}", m.reasons);
        assert!(
            m.reasons
                .iter()
                .any(|r| r == "typo “procter” ≈ “proctor” (1 edit)"),
            "{:?}",
            m.reasons
        );
    }

    #[test]
    fn index_keys_cover_domain_label_and_name_tokens() {
        let keys = index_keys(&Candidate::new("Acme Rockets GmbH", Some("shop.acme.de")));
        assert_eq!(
            keys,
            [
                "c:acmerockets",
                "d:acme.de",
                "l:acme",
                "t:acme",
                "t:rockets"
            ]
        );
    }
}
