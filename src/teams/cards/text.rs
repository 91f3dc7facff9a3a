//! Text on cards: user text escaped for the Adaptive Card TextBlock markdown subset, clipped,
//! and the few card elements (text blocks, fact sets, containers) every card is built from.
//!
//! Teams renders a subset of Markdown in `TextBlock` (and `FactSet` values): bold, italic,
//! links, lists and headings, plus `{{DATE(…)}}`/`{{TIME(…)}}` functions. [`escape`] makes any
//! user text show as typed: Markdown punctuation gets a backslash (CommonMark escapes any ASCII
//! punctuation this way), an ordered-list marker (`1. ` at the start of a line) loses its
//! meaning, and braces are escaped so no date function can be forged. Our own wording adds
//! `**bold**` around escaped text, never around raw text.

use serde_json::{json, Value};

/// Characters Markdown (or Teams' date functions, or HTML-ish mentions) give a meaning to.
const SPECIAL: &[char] = &[
    '\\', '*', '_', '[', ']', '(', ')', '#', '>', '<', '-', '+', '`', '~', '!', '|', '{', '}',
];

/// `text` as it must appear in a TextBlock to show exactly as typed.
pub fn escape(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(line, &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    // "12. item" starts an ordered list: escape the dot after leading digits.
    let indent = line.len() - line.trim_start().len();
    let digits = line[indent..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    let list_dot =
        (digits > 0 && line[indent + digits..].starts_with('.')).then_some(indent + digits);
    for (at, c) in line.char_indices() {
        if SPECIAL.contains(&c) || Some(at) == list_dot {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `text` cut to at most `max` characters, with `…` when cut (before escaping).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// [`escape`] of [`clip`].
pub fn user(text: &str, max: usize) -> String {
    escape(&clip(text, max))
}

/// `**text**`, `text` escaped.
pub fn bold(text: &str) -> String {
    format!("**{}**", escape(text))
}

/// A person by their platform id (escaped); "someone" when unknown.
pub fn person(id: &str) -> String {
    match id.trim() {
        "" | "-" => "someone".into(),
        id => escape(id),
    }
}

/// A wrapping TextBlock of markdown `md` (already escaped).
pub fn block(md: impl Into<String>) -> Value {
    json!({ "type": "TextBlock", "text": md.into(), "wrap": true })
}

/// A card's title line (already escaped).
pub fn title(md: impl Into<String>) -> Value {
    json!({ "type": "TextBlock", "text": md.into(), "wrap": true, "size": "Medium", "weight": "Bolder" })
}

/// A small, subtle TextBlock (the context line under a card).
pub fn context(md: impl Into<String>) -> Value {
    json!({ "type": "TextBlock", "text": md.into(), "wrap": true, "isSubtle": true, "size": "Small", "spacing": "Small" })
}

/// A TextBlock in the attention colour (warnings, refusals).
pub fn warning(md: impl Into<String>) -> Value {
    json!({ "type": "TextBlock", "text": md.into(), "wrap": true, "color": "Attention" })
}

/// A FactSet; titles and values are escaped here (Teams reads both as markdown).
pub fn facts(pairs: &[(&str, String)]) -> Value {
    let facts: Vec<Value> = pairs
        .iter()
        .map(|(t, v)| json!({ "title": escape(t), "value": escape(v) }))
        .collect();
    json!({ "type": "FactSet", "facts": facts })
}

/// A quoted note (a reason, a justification, a comment), escaped, clipped, in a container.
pub fn quote(text: &str, max: usize) -> Value {
    json!({ "type": "Container", "style": "emphasis", "items": [block(user(text, max))] })
}

/// "…and N more", for lists cut to fit.
pub fn and_more(n: usize, what: &str) -> Value {
    context(format!("…and {n} more {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_punctuation_is_escaped() {
        assert_eq!(escape("*Acme* & _Sons_"), r"\*Acme\* & \_Sons\_");
        assert_eq!(
            escape("[click](https://evil.example)"),
            r"\[click\]\(https://evil.example\)"
        );
        assert_eq!(escape("# heading > quote"), r"\# heading \> quote");
        assert_eq!(escape(r"a\b `c` ~d~"), r"a\\b \`c\` \~d\~");
        assert_eq!(escape("<at>Bob</at>"), r"\<at\>Bob\</at\>");
    }

    #[test]
    fn list_markers_at_the_start_of_a_line_lose_their_meaning() {
        assert_eq!(
            escape("- one\n+ two\n* three"),
            "\\- one\n\\+ two\n\\* three"
        );
        assert_eq!(
            escape("1. first\n  12. twelfth"),
            "1\\. first\n  12\\. twelfth"
        );
        assert_eq!(
            escape("version 2.5 of 3."),
            "version 2.5 of 3.",
            "dots mid-line stay"
        );
    }

    #[test]
    fn date_functions_cannot_be_forged() {
        let forged = escape("{{DATE(2027-01-01T00:00:00Z, SHORT)}}");
        assert!(!forged.contains("{{"), "{forged}");
        assert_eq!(forged, r"\{\{DATE\(2027\-01\-01T00:00:00Z, SHORT\)\}\}");
    }

    #[test]
    fn plain_text_and_line_breaks_are_kept() {
        assert_eq!(escape("Initech, 50 seats"), "Initech, 50 seats");
        assert_eq!(escape("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(escape("Zürich 東京 🎉"), "Zürich 東京 🎉");
    }

    #[test]
    fn clipping_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("éééé", 2), "é…");
        assert_eq!(user("**bold**", 5), r"\*\*bo…");
    }

    #[test]
    fn people_are_named_by_their_escaped_id() {
        assert_eq!(person("29:1a-b"), r"29:1a\-b");
        assert_eq!(person(""), "someone");
    }
}
