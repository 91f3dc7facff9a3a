//! Explainable matching of customer records (registrations, direct accounts): does an incoming
//! registration refer to a customer someone already holds? Every match says why, and how strong
//! the evidence is. Pure functions: no I/O.
//!
//! Evidence, strongest first:
//! - the same registrable domain (`shop.acme.co.uk` and `acme.co.uk` are both `acme.co.uk`);
//! - the same normalised name (legal forms, accents, punctuation, `&`/`and`, a leading "The" and
//!   noise words removed) with no contradicting domains;
//! - a high token-aware name similarity with no contradicting domains, or the same domain name on
//!   another suffix (`acme.de` / `acme.com`) plus a similar name;
//! - partial name overlap only (weak: shown, never blocking).
//!
//! Two records whose domains are both known and different are different companies unless their
//! names are identical: that keeps Delta Air Lines (delta.com) and Delta Faucet (deltafaucet.com)
//! apart.

use super::deal::normalise_domain;
use std::fmt;

/// How much a match should be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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
    /// Name similarity in 0..=1 (1 for identical normalised names).
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A record prepared for matching: its name normalised once, its domain reduced to the
/// registrable domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The name as people wrote it (for reasons).
    pub name: String,
    /// Normalised name tokens, e.g. `["procter", "gamble"]`.
    pub tokens: Vec<String>,
    /// The registrable domain (`acme.co.uk`), when one was given and is valid.
    pub domain: Option<String>,
}

/// Token similarity (Jaro-Winkler) at which two tokens count as the same word: catches typos
/// such as "Proctor"/"Procter" but not "Motors"/"Mills".
const TOKEN_MATCH: f64 = 0.92;
/// Name score from which, without contradicting domains, a match is medium.
const MEDIUM_SCORE: f64 = 0.90;
/// Name score from which the same domain name on another suffix makes a medium match.
const SUFFIX_FAMILY_SCORE: f64 = 0.80;
/// Name score from which the name is worth citing next to a domain match.
const CITE_SCORE: f64 = 0.5;

impl Candidate {
    /// Prepares a record; an invalid or missing domain counts as unknown.
    pub fn new(name: &str, domain: Option<&str>) -> Candidate {
        Candidate {
            name: name.trim().to_string(),
            tokens: name_tokens(name),
            domain: domain.and_then(registrable_domain),
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

/// Legal forms, as token sequences, removed from the end of a name (repeatedly).
const LEGAL_SUFFIXES: &[&[&str]] = &[
    &["public", "limited", "company"],
    &["sp", "z", "oo"],
    &["sa", "de", "cv"],
    &["s", "de", "rl", "de", "cv"],
    &["sab", "de", "cv"],
    &["kabushiki", "kaisha"],
    &["a", "s"],
    &["s", "a"],
    &["inc"],
    &["incorporated"],
    &["corp"],
    &["corporation"],
    &["co"],
    &["company"],
    &["cos"],
    &["llc"],
    &["llp"],
    &["lp"],
    &["lllp"],
    &["pllc"],
    &["ltd"],
    &["limited"],
    &["plc"],
    &["gmbh"],
    &["ag"],
    &["se"],
    &["kg"],
    &["kgaa"],
    &["ug"],
    &["ev"],
    &["sa"],
    &["sas"],
    &["sasu"],
    &["sarl"],
    &["sca"],
    &["snc"],
    &["spa"],
    &["srl"],
    &["sl"],
    &["slu"],
    &["bv"],
    &["nv"],
    &["vof"],
    &["cv"],
    &["pty"],
    &["kk"],
    &["gk"],
    &["yk"],
    &["ltda"],
    &["lda"],
    &["sab"],
    &["ab"],
    &["asa"],
    &["as"],
    &["aps"],
    &["oy"],
    &["oyj"],
    &["hf"],
    &["ehf"],
    &["sro"],
    &["kft"],
    &["zrt"],
    &["nyrt"],
    &["doo"],
    &["ooo"],
    &["pjsc"],
    &["jsc"],
    &["ojsc"],
    &["pte"],
    &["bhd"],
    &["sdn"],
    &["tbk"],
    &["llc"],
    &["fze"],
    &["fzco"],
    &["wll"],
];

/// Legal forms written before the name ("Kabushiki Kaisha Toshiba", "PT Astra", "OOO Yandex").
const LEGAL_PREFIXES: &[&[&str]] = &[
    &["kabushiki", "kaisha"],
    &["pt"],
    &["ooo"],
    &["zao"],
    &["oao"],
    &["pao"],
];

/// Words that do not distinguish one company from another.
const NOISE: &[&str] = &[
    "the",
    "and",
    "et",
    "und",
    "y",
    "e",
    "group",
    "groupe",
    "gruppe",
    "grupo",
    "gruppo",
    "holding",
    "holdings",
    "international",
    "intl",
    "worldwide",
];

/// Top-level domains people put in company names ("Salesforce.com").
const NAME_TLDS: &[&str] = &["com", "net", "org", "io", "ai", "co"];

/// Normalised tokens of a company name: ASCII-folded, lower case, `&` as "and", dotted
/// abbreviations joined ("S.p.A." → "spa"), then legal forms and noise words removed, as long as
/// a word is left.
pub fn name_tokens(raw: &str) -> Vec<String> {
    let folded = deunicode::deunicode(raw)
        .to_lowercase()
        .replace(['&', '+'], " and ")
        .replace('\'', "");
    let mut tokens: Vec<String> = Vec::new();
    for word in
        folded.split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '(' || c == ')')
    {
        tokens.extend(split_word(word));
    }
    strip_affixes(&mut tokens);
    let kept: Vec<String> = tokens
        .iter()
        .filter(|t| !NOISE.contains(&t.as_str()))
        .cloned()
        .collect();
    let mut tokens = if kept.is_empty() { tokens } else { kept };
    strip_affixes(&mut tokens);
    tokens
}

/// One whitespace-separated word into tokens: dotted abbreviations ("s.a.", "j.p.") are joined,
/// dotted names ("salesforce.com") split with the TLD dropped, other punctuation splits.
fn split_word(word: &str) -> Vec<String> {
    let parts: Vec<&str> = word.split('.').filter(|p| !p.is_empty()).collect();
    let pieces: Vec<String> = if parts.len() > 1 && parts.iter().all(|p| p.chars().count() <= 2) {
        vec![parts.concat()]
    } else if parts.len() > 1 && NAME_TLDS.contains(&parts[parts.len() - 1]) {
        parts[..parts.len() - 1]
            .iter()
            .map(|p| p.to_string())
            .collect()
    } else {
        parts.iter().map(|p| p.to_string()).collect()
    };
    pieces
        .iter()
        .flat_map(|p| {
            p.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn strip_affixes(tokens: &mut Vec<String>) {
    loop {
        let before = tokens.len();
        for form in LEGAL_SUFFIXES {
            if tokens.len() > form.len()
                && tokens[tokens.len() - form.len()..]
                    .iter()
                    .zip(form.iter())
                    .all(|(t, f)| t == f)
            {
                tokens.truncate(tokens.len() - form.len());
                break;
            }
        }
        for form in LEGAL_PREFIXES {
            if tokens.len() > form.len()
                && tokens[..form.len()]
                    .iter()
                    .zip(form.iter())
                    .all(|(t, f)| t == f)
            {
                tokens.drain(..form.len());
                break;
            }
        }
        if tokens.len() == before {
            return;
        }
    }
}

/// Token-aware name similarity in 0..=1: identical names score 1, names equal once spaces are
/// removed ("Coca-Cola"/"CocaCola") 0.98, otherwise the share of words (fuzzy-matched one to one)
/// the two names have in common.
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

/// Compares an incoming record with an existing one; `None` when nothing suggests they are the
/// same customer.
pub fn compare(incoming: &Candidate, existing: &Candidate) -> Option<Match> {
    let score = name_score(incoming, existing);
    let name_reason = || {
        if score >= 1.0 {
            format!(
                "same name “{}” ≈ “{}” (normalised “{}”)",
                incoming.name,
                existing.name,
                existing.normalised_name()
            )
        } else {
            format!(
                "name “{}” ≈ “{}”, score {score:.2}",
                incoming.name, existing.name
            )
        }
    };
    let found = |strength, reasons| {
        Some(Match {
            strength,
            score,
            reasons,
        })
    };
    match (&incoming.domain, &existing.domain) {
        (Some(a), Some(b)) if a == b => {
            let mut reasons = vec![format!("same domain {a}")];
            if score >= CITE_SCORE {
                reasons.push(name_reason());
            }
            found(Strength::Strong, reasons)
        }
        (Some(a), Some(b)) if domain_label(a) == domain_label(b) => match score {
            s if s >= SUFFIX_FAMILY_SCORE => found(
                Strength::Medium,
                vec![
                    format!(
                        "same domain name “{}” on another suffix ({a}, {b})",
                        domain_label(a)
                    ),
                    name_reason(),
                ],
            ),
            _ => found(
                Strength::Weak,
                vec![format!(
                    "same domain name “{}” on another suffix ({a}, {b}), names differ",
                    domain_label(a)
                )],
            ),
        },
        (Some(a), Some(b)) if score >= 1.0 => found(
            Strength::Medium,
            vec![name_reason(), format!("but the domains differ ({a}, {b})")],
        ),
        (Some(_), Some(_)) => None,
        _ if score >= 1.0 => found(
            Strength::Strong,
            vec![name_reason(), "no domain contradicts it".into()],
        ),
        _ if score >= MEDIUM_SCORE => found(Strength::Medium, vec![name_reason()]),
        // Any shared word is a partial overlap worth showing (never blocking).
        _ if score > 0.0 => found(
            Strength::Weak,
            vec![format!("names overlap: {}", name_reason())],
        ),
        _ => None,
    }
}

/// Word trigrams and tokens used to find candidates in an index without scanning every record:
/// a record is a candidate when it shares its registrable domain, its domain label, or a name
/// token with the incoming one.
pub fn index_keys(candidate: &Candidate) -> Vec<String> {
    let mut keys: Vec<String> = candidate.tokens.iter().map(|t| format!("t:{t}")).collect();
    if let Some(d) = &candidate.domain {
        keys.push(format!("d:{d}"));
        keys.push(format!("l:{}", domain_label(d)));
    }
    keys.push(format!("c:{}", candidate.compact()));
    keys.sort();
    keys.dedup();
    keys
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
                ("Acme GmbH", Some("acme.de")),
                ("Acme Inc", Some("acme.com")),
                Some(Medium),
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
                Some(Medium),
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
