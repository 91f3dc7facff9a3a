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
    /// Jurisdictions of the legal forms the name carried ("de" for GmbH, "us" for Inc.).
    pub jurisdictions: Vec<&'static str>,
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
        let (tokens, jurisdictions) = analyse_name(name);
        Candidate {
            name: name.trim().to_string(),
            tokens,
            domain: domain.and_then(registrable_domain),
            jurisdictions,
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

/// Legal forms, as token sequences removed from the end of a name (repeatedly), each with the
/// jurisdiction it belongs to ("" for forms used in many countries, such as Ltd or Co.). Two
/// names whose legal forms belong to different jurisdictions are different legal entities.
const LEGAL_SUFFIXES: &[(&[&str], &str)] = &[
    (&["public", "limited", "company"], "uk"),
    (&["gesellschaft", "mit", "beschrankter", "haftung"], "de"),
    (&["sp", "z", "oo"], "pl"),
    (&["sa", "de", "cv"], "mx"),
    (&["s", "de", "rl", "de", "cv"], "mx"),
    (&["sab", "de", "cv"], "mx"),
    (&["societe", "anonyme"], "fr"),
    (&["societa", "per", "azioni"], "it"),
    (&["naamloze", "vennootschap"], "nl"),
    (&["besloten", "vennootschap"], "nl"),
    (&["kabushiki", "kaisha"], "jp"),
    (&["oy", "ab"], "fi"),
    (&["oyj", "abp"], "fi"),
    (&["sa", "nv"], "be"),
    (&["a", "s"], "dk"),
    (&["s", "a"], "fr"),
    (&["inc"], "us"),
    (&["incorporated"], "us"),
    (&["corp"], "us"),
    (&["corporation"], "us"),
    (&["llc"], "us"),
    (&["llp"], ""),
    (&["lp"], ""),
    (&["lllp"], "us"),
    (&["pllc"], "us"),
    (&["co"], ""),
    (&["company"], ""),
    (&["cos"], ""),
    (&["ltd"], ""),
    (&["limited"], ""),
    (&["plc"], "uk"),
    (&["gmbh"], "de"),
    (&["ag"], "de"),
    (&["aktiengesellschaft"], "de"),
    (&["se"], ""),
    (&["kg"], "de"),
    (&["kgaa"], "de"),
    (&["ug"], "de"),
    (&["ev"], "de"),
    (&["kommanditgesellschaft"], "de"),
    (&["sa"], "fr"),
    (&["sas"], "fr"),
    (&["sasu"], "fr"),
    (&["sarl"], "fr"),
    (&["sca"], "fr"),
    (&["snc"], "fr"),
    (&["spa"], "it"),
    (&["srl"], "it"),
    (&["sl"], "es"),
    (&["slu"], "es"),
    (&["bv"], "nl"),
    (&["nv"], "nl"),
    (&["vof"], "nl"),
    (&["cv"], "nl"),
    (&["pty"], "au"),
    (&["kk"], "jp"),
    (&["gk"], "jp"),
    (&["yk"], "jp"),
    (&["ltda"], "br"),
    (&["lda"], "pt"),
    (&["sab"], "mx"),
    (&["ab"], "se"),
    (&["aktiebolag"], "se"),
    (&["aktiebolaget"], "se"),
    (&["asa"], "no"),
    (&["as"], "no"),
    (&["aps"], "dk"),
    (&["aktieselskab"], "dk"),
    (&["oy"], "fi"),
    (&["oyj"], "fi"),
    (&["abp"], "fi"),
    (&["osakeyhtio"], "fi"),
    (&["hf"], "is"),
    (&["ehf"], "is"),
    (&["sro"], "cz"),
    (&["kft"], "hu"),
    (&["zrt"], "hu"),
    (&["nyrt"], "hu"),
    (&["doo"], "rs"),
    (&["ooo"], "ru"),
    (&["pjsc"], "ru"),
    (&["jsc"], "ru"),
    (&["ojsc"], "ru"),
    (&["pte"], "sg"),
    (&["bhd"], "my"),
    (&["sdn"], "my"),
    (&["tbk"], "id"),
    (&["fze"], "ae"),
    (&["fzco"], "ae"),
    (&["wll"], "bh"),
];

/// Legal forms written before the name ("Kabushiki Kaisha Toshiba", "PT Astra", "OOO Yandex").
const LEGAL_PREFIXES: &[(&[&str], &str)] = &[
    (&["kabushiki", "kaisha"], "jp"),
    (&["telefonaktiebolaget"], "se"),
    (&["koninklijke"], ""),
    (&["pt"], "id"),
    (&["ooo"], "ru"),
    (&["zao"], "ru"),
    (&["oao"], "ru"),
    (&["pao"], "ru"),
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
    "groep",
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
    analyse_name(raw).0
}

/// [`name_tokens`] plus the jurisdictions of the legal forms that were removed.
fn analyse_name(raw: &str) -> (Vec<String>, Vec<&'static str>) {
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
    let mut jurisdictions = Vec::new();
    strip_affixes(&mut tokens, &mut jurisdictions);
    let kept: Vec<String> = tokens
        .iter()
        .filter(|t| !NOISE.contains(&t.as_str()))
        .cloned()
        .collect();
    let mut tokens = if kept.is_empty() { tokens } else { kept };
    strip_affixes(&mut tokens, &mut jurisdictions);
    jurisdictions.retain(|j| !j.is_empty());
    jurisdictions.sort_unstable();
    jurisdictions.dedup();
    (tokens, jurisdictions)
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

fn strip_affixes(tokens: &mut Vec<String>, jurisdictions: &mut Vec<&'static str>) {
    let ends_with = |tokens: &[String], form: &[&str]| {
        tokens.len() > form.len()
            && tokens[tokens.len() - form.len()..]
                .iter()
                .zip(form)
                .all(|(t, f)| t == f)
    };
    let starts_with = |tokens: &[String], form: &[&str]| {
        tokens.len() > form.len() && tokens[..form.len()].iter().zip(form).all(|(t, f)| t == f)
    };
    loop {
        let before = tokens.len();
        if let Some((form, j)) = LEGAL_SUFFIXES
            .iter()
            .find(|(form, _)| ends_with(tokens, form))
        {
            tokens.truncate(tokens.len() - form.len());
            jurisdictions.push(j);
        }
        if let Some((form, j)) = LEGAL_PREFIXES
            .iter()
            .find(|(form, _)| starts_with(tokens, form))
        {
            tokens.drain(..form.len());
            jurisdictions.push(j);
        }
        if tokens.len() == before {
            return;
        }
    }
}

/// True when both names carry legal forms and no jurisdiction is common to them: "Merck & Co.,
/// Inc." (US) and "Merck KGaA" (Germany) are different legal entities.
fn jurisdictions_differ(a: &Candidate, b: &Candidate) -> bool {
    !a.jurisdictions.is_empty()
        && !b.jurisdictions.is_empty()
        && !a.jurisdictions.iter().any(|j| b.jurisdictions.contains(j))
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

/// Ordinary words companies are often named after. A name that is only one of these cannot
/// identify a company by itself: without the same registrable domain, such a match stays weak.
const COMMON_WORD_NAMES: &[&str] = &[
    "advance",
    "alliance",
    "allied",
    "alpha",
    "american",
    "anchor",
    "apex",
    "apollo",
    "atlantic",
    "atlas",
    "beacon",
    "bridge",
    "capital",
    "central",
    "compass",
    "continental",
    "cornerstone",
    "crown",
    "delta",
    "dominion",
    "dynamic",
    "eagle",
    "eastern",
    "echo",
    "elite",
    "empire",
    "fidelity",
    "first",
    "frontier",
    "fusion",
    "gateway",
    "general",
    "genesis",
    "global",
    "guardian",
    "harbor",
    "harbour",
    "heritage",
    "horizon",
    "imperial",
    "infinity",
    "insight",
    "keystone",
    "legacy",
    "liberty",
    "matrix",
    "mercury",
    "meridian",
    "metro",
    "national",
    "nationwide",
    "northern",
    "nova",
    "omega",
    "orion",
    "pacific",
    "pandora",
    "phoenix",
    "pinnacle",
    "pioneer",
    "polaris",
    "premier",
    "prime",
    "progressive",
    "puma",
    "quantum",
    "royal",
    "sage",
    "southern",
    "spectrum",
    "standard",
    "star",
    "summit",
    "sun",
    "synergy",
    "titan",
    "united",
    "universal",
    "vanguard",
    "vertex",
    "vista",
    "western",
    "zenith",
];

/// True when either name is a single ordinary word ("Delta", "Nationwide").
fn common_word_name(a: &Candidate, b: &Candidate) -> bool {
    [a, b]
        .iter()
        .any(|c| c.tokens.len() == 1 && COMMON_WORD_NAMES.contains(&c.tokens[0].as_str()))
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
    // Name evidence that cannot carry a blocking match on its own: legal forms from different
    // countries, or a name that is just an ordinary word.
    let legal_conflict = jurisdictions_differ(incoming, existing);
    let name_only_weak = legal_conflict || common_word_name(incoming, existing);
    let legal_reason = || {
        format!(
            "but their legal forms are from different countries ({} / {})",
            incoming.jurisdictions.join(","),
            existing.jurisdictions.join(",")
        )
    };
    match (&incoming.domain, &existing.domain) {
        (Some(a), Some(b)) if a == b => {
            let mut reasons = vec![format!("same domain {a}")];
            if score >= CITE_SCORE {
                reasons.push(name_reason());
            }
            found(Strength::Strong, reasons)
        }
        (Some(a), Some(b)) if domain_label(a) == domain_label(b) => {
            let family = format!(
                "same domain name “{}” on another suffix ({a}, {b})",
                domain_label(a)
            );
            let country_site = !(is_generic_suffix(a) && is_generic_suffix(b));
            let similar = score >= SUFFIX_FAMILY_SCORE || contained(incoming, existing);
            match (similar, country_site && !name_only_weak) {
                (true, true) => found(Strength::Medium, vec![family, name_reason()]),
                (true, false) => found(Strength::Weak, vec![family, name_reason()]),
                (false, _) => found(Strength::Weak, vec![family, "names differ".into()]),
            }
        }
        (Some(a), Some(b)) if score >= 1.0 => found(
            Strength::Weak,
            vec![name_reason(), format!("but the domains differ ({a}, {b})")],
        ),
        (Some(_), Some(_)) => None,
        _ if score >= MEDIUM_SCORE && legal_conflict => {
            found(Strength::Weak, vec![name_reason(), legal_reason()])
        }
        _ if score >= MEDIUM_SCORE && name_only_weak => found(
            Strength::Weak,
            vec![
                name_reason(),
                "but the name is an ordinary word, so a name alone cannot tell".into(),
            ],
        ),
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
