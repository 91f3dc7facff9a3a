//! Company names into normalised tokens: ASCII-folded, lower case, `&`/`+` as "and", dotted
//! abbreviations joined, legal forms (with their countries) removed, abbreviations expanded to
//! one canonical word, words run together with a corporate word split ("ExpediaGroup"), and
//! noise, corporate words and regional qualifiers removed, as long as a word is left.

use super::words::{
    abbreviations, canonical, corporate, dotted_abbreviations, generic, noise, regions,
    LEGAL_PREFIXES, LEGAL_SUFFIXES,
};

/// Top-level domains people put in company names ("Salesforce.com").
const NAME_TLDS: &[&str] = &["com", "net", "org", "io", "ai", "co"];

/// Shortest distinctive part left when a corporate word is split off a joined word: "abgroup"
/// stays whole, "expediagroup" is "expedia group".
const MIN_JOINED_HEAD: usize = 3;

/// Legal forms found run into a name ("AudooLimited").
const JOINED_LEGAL: &[&str] = &[
    "ltd",
    "inc",
    "llc",
    "corp",
    "limited",
    "gmbh",
    "company",
    "corporation",
];

/// A name taken apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Analysed {
    /// Distinctive tokens, in order.
    pub tokens: Vec<String>,
    /// Every word after legal forms were removed, in order (for acronyms).
    pub words: Vec<String>,
    /// Jurisdictions of the legal forms the name carried.
    pub jurisdictions: Vec<&'static str>,
    /// Abbreviations expanded: (as written, canonical word).
    pub expanded: Vec<(String, String)>,
    /// Qualifiers removed: corporate words, regions, noise such as "group".
    pub qualifiers: Vec<String>,
}

/// Takes a company name apart; see the module documentation.
pub(super) fn analyse_name(raw: &str) -> Analysed {
    let folded = deunicode::deunicode(raw)
        .to_lowercase()
        .replace(['&', '+'], " and ")
        .replace(['\'', '\u{2019}'], "");
    let mut tokens: Vec<String> = Vec::new();
    let mut expanded = Vec::new();
    for word in
        folded.split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '(' || c == ')')
    {
        let stem = word.trim_end_matches('.');
        match dotted_abbreviations().get(stem) {
            Some(full) if word.ends_with('.') && stem.len() + 1 == word.len() => {
                expanded.push((stem.to_string(), full.to_string()));
                tokens.push(full.to_string());
            }
            _ => tokens.extend(split_word(word)),
        }
    }
    let mut jurisdictions = Vec::new();
    strip_affixes(&mut tokens, &mut jurisdictions);
    let mut words = Vec::with_capacity(tokens.len());
    for token in tokens {
        for part in split_joined(&token) {
            let full = canonical(&part);
            if full != part {
                expanded.push((part.clone(), full.to_string()));
            }
            words.push(full.to_string());
        }
    }
    let (mut tokens, qualifiers) = distinctive(&words);
    strip_affixes(&mut tokens, &mut jurisdictions);
    jurisdictions.retain(|j| !j.is_empty());
    jurisdictions.sort_unstable();
    jurisdictions.dedup();
    Analysed {
        tokens,
        words,
        jurisdictions,
        expanded,
        qualifiers,
    }
}

/// The words without noise anywhere, and without corporate words and regional qualifiers after
/// the first word ("Taiga Motors (North America)" is "taiga motors", "America Movil" keeps its
/// first word); all of them when nothing would be left.
/// Returns the kept words and the qualifiers removed (noise other than connectors, corporate
/// words, regions).
fn distinctive(words: &[String]) -> (Vec<String>, Vec<String>) {
    let mut kept: Vec<String> = Vec::with_capacity(words.len());
    let mut removed = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        if i > 0 && i + 1 < words.len() {
            let pair = format!("{word}_{}", words[i + 1]);
            if regions().contains(pair.as_str()) {
                removed.push(pair);
                i += 2;
                continue;
            }
        }
        let after_of = i > 0 && words[i - 1] == "of";
        let qualifier = !kept.is_empty()
            && !after_of
            && (corporate().contains(word) || regions().contains(word));
        if noise().contains(word) || qualifier {
            if !CONNECTORS.contains(&word) {
                removed.push(word.to_string());
            }
        } else {
            kept.push(word.to_string());
        }
        i += 1;
    }
    if kept.is_empty() {
        (words.to_vec(), Vec::new())
    } else {
        (kept, removed)
    }
}

/// Noise words that qualify nothing.
const CONNECTORS: &[&str] = &["the", "and", "et", "und", "y", "e"];

/// A word run together with a legal form, noise or corporate word at its end split in two
/// ("expediagroup" → "expedia", "group"; "albanyinternational" → "albany", "international";
/// "audoolimited" → "audoo", "limited"). Generic words stay joined ("Lightworks" is one name):
/// alignment links those (see `evidence`).
fn split_joined(token: &str) -> Vec<String> {
    if token.len() < MIN_JOINED_HEAD + 5 || abbreviations().contains_key(token) || is_word(token) {
        return vec![token.to_string()];
    }
    let found = (MIN_JOINED_HEAD..token.len() - 2).find(|&i| {
        let tail = &token[i..];
        JOINED_LEGAL.contains(&tail)
            || (tail.len() >= 5 && (noise().contains(tail) || corporate().contains(tail)))
    });
    match found {
        Some(i) if token.is_char_boundary(i) => {
            vec![token[..i].to_string(), token[i..].to_string()]
        }
        _ => vec![token.to_string()],
    }
}

/// True for a word of the tables (noise, corporate, generic).
fn is_word(token: &str) -> bool {
    let full = canonical(token);
    noise().contains(full) || corporate().contains(full) || generic().contains(full)
}

/// The distinctive part of a word run together with a generic word ("lightworks" → "light",
/// "xingtuxinkeelectronic" → "xingtuxinke"), for lookups; `None` for other words.
pub(super) fn joined_head(token: &str) -> Option<&str> {
    if token.len() < MIN_JOINED_HEAD + 4 || is_word(token) {
        return None;
    }
    (MIN_JOINED_HEAD..token.len() - 3)
        .filter(|&i| token.is_char_boundary(i))
        .find(|&i| is_word(&token[i..]))
        .map(|i| &token[..i])
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
