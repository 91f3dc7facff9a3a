//! Deal ids as links: every `D-42` in a rendered message's mrkdwn text becomes
//! `<permalink|D-42>`, opening the deal's thread. Works on the finished Block Kit, so every
//! template, digest line and note is covered alike; text inside an existing `<…>` (a link, a
//! mention) and the notification fallback `text` are left alone. The adapter resolves the
//! permalinks (see `delivery::slack`); this module only finds and rewrites.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The deal numbers named in `payload`'s mrkdwn texts.
pub fn deal_ids(payload: &Value) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    each_mrkdwn(payload, &mut |text| {
        for (_, _, id) in mentions(text) {
            ids.insert(id);
        }
    });
    ids
}

/// `payload` with each deal id that has a link in `links` written as a link to it.
pub fn link_deal_ids(payload: &Value, links: &HashMap<i64, String>) -> Value {
    let mut linked = payload.clone();
    rewrite_mrkdwn(&mut linked, &|text| {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end, id) in mentions(text) {
            if let Some(url) = links.get(&id).filter(|u| is_safe_url(u)) {
                out.push_str(&text[last..start]);
                out.push_str(&format!("<{url}|{}>", &text[start..end]));
                last = end;
            }
        }
        out.push_str(&text[last..]);
        out
    });
    linked
}

/// A URL that cannot break out of `<url|label>`.
fn is_safe_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '|'))
}

/// `(start, end, number)` of each `D-<digits>` outside `<…>` and code, standing as a word of
/// its own.
fn mentions(text: &str) -> Vec<(usize, usize, i64)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                i = text[i..].find('>').map_or(bytes.len(), |n| i + n + 1);
                continue;
            }
            // Slack shows a link inside `code` as its raw text: leave code spans alone.
            b'`' => {
                let fence = if text[i..].starts_with("```") {
                    "```"
                } else {
                    "`"
                };
                let from = i + fence.len();
                if let Some(n) = text[from..].find(fence) {
                    i = from + n + fence.len();
                    continue;
                }
            }
            b'D' if bytes.get(i + 1) == Some(&b'-') && starts_word(bytes, i) => {
                let digits = bytes[i + 2..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let end = i + 2 + digits;
                let ends_word = bytes
                    .get(end)
                    .is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-' && *b != b'_');
                if digits > 0 && ends_word {
                    if let Ok(id) = text[i + 2..end].parse::<i64>() {
                        found.push((i, end, id));
                    }
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

fn starts_word(bytes: &[u8], i: usize) -> bool {
    i == 0 || {
        let before = bytes[i - 1];
        !before.is_ascii_alphanumeric() && !matches!(before, b'-' | b'_' | b'/' | b'|' | b'.')
    }
}

/// Calls `f` on the text of every mrkdwn text object.
fn each_mrkdwn(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let (Some("mrkdwn"), Some(Value::String(text))) =
                (map.get("type").and_then(Value::as_str), map.get("text"))
            {
                f(text);
            }
            map.values().for_each(|v| each_mrkdwn(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| each_mrkdwn(v, f)),
        _ => {}
    }
}

/// Replaces the text of every mrkdwn text object with `f` of it.
fn rewrite_mrkdwn(value: &mut Value, f: &impl Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                if let Some(Value::String(text)) = map.get_mut("text") {
                    *text = f(text);
                }
            }
            map.values_mut().for_each(|v| rewrite_mrkdwn(v, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_mrkdwn(v, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn section(text: &str) -> Value {
        json!({ "text": "D-1 fallback", "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "header", "text": { "type": "plain_text", "text": "D-9" } }
        ] })
    }

    #[test]
    fn deal_ids_are_found_in_mrkdwn_only_and_as_words_of_their_own() {
        let payload = section("*D-42* and D-7, not XD-3, D-4x, D-, <https://x|D-5> or <@D-6>");
        assert_eq!(deal_ids(&payload), BTreeSet::from([7, 42]));
        let code = section("`/deal show D-1` and ```D-2``` but D-3, and a lone ` D-4");
        assert_eq!(deal_ids(&code), BTreeSet::from([3, 4]));
    }

    #[test]
    fn known_ids_become_links_and_the_rest_stays_as_it_was() {
        let links = HashMap::from([
            (42, "https://acme.slack.com/archives/C1/p1".to_string()),
            (8, "javascript:alert(1)".to_string()),
        ]);
        let linked = link_deal_ids(&section("*D-42* (D-42), D-7 and D-8"), &links);
        assert_eq!(
            linked["blocks"][0]["text"]["text"],
            "*<https://acme.slack.com/archives/C1/p1|D-42>* (<https://acme.slack.com/archives/C1/p1|D-42>), D-7 and D-8"
        );
        assert_eq!(linked["text"], "D-1 fallback", "the fallback stays plain");
        assert_eq!(linked["blocks"][1]["text"]["text"], "D-9");
    }

    #[test]
    fn text_without_ids_or_with_unbalanced_brackets_is_untouched() {
        let links = HashMap::from([(1, "https://x/p1".to_string())]);
        for text in ["", "no ids here", "a &lt; D-1 b", "<unclosed D-1"] {
            let linked = link_deal_ids(&section(text), &links);
            let expected = if text == "a &lt; D-1 b" {
                "a &lt; <https://x/p1|D-1> b"
            } else {
                text
            };
            assert_eq!(linked["blocks"][0]["text"]["text"], expected);
        }
    }
}
