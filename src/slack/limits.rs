//! Slack's published Block Kit limits, checked the way Slack checks them: the emulator refuses a
//! payload that breaks one (`invalid_blocks` for messages, `invalid_arguments` for views), and
//! tests check every rendered message against them.
//!
//! Sources: <https://api.slack.com/reference/block-kit/blocks>,
//! <https://api.slack.com/reference/block-kit/block-elements>,
//! <https://api.slack.com/reference/surfaces/views>.

use serde_json::Value;

/// Blocks in one message.
pub const MESSAGE_BLOCKS: usize = 50;
/// Blocks in one modal or Home tab.
pub const VIEW_BLOCKS: usize = 100;
/// Characters of a section's text.
pub const SECTION_TEXT: usize = 3_000;
/// Fields of a section, and characters of each.
pub const SECTION_FIELDS: usize = 10;
pub const FIELD_TEXT: usize = 2_000;
/// Characters of a header's text.
pub const HEADER_TEXT: usize = 150;
/// Characters of a button's text and value.
pub const BUTTON_TEXT: usize = 75;
pub const BUTTON_VALUE: usize = 2_000;
/// Elements of an actions block, and of a context block.
pub const ACTIONS_ELEMENTS: usize = 25;
pub const CONTEXT_ELEMENTS: usize = 10;
/// Characters of a confirmation dialog's title, its text, and its confirm and deny buttons.
pub const CONFIRM_TITLE: usize = 100;
pub const CONFIRM_TEXT: usize = 300;
pub const CONFIRM_BUTTON: usize = 30;
/// Characters of a modal's title, submit and close texts.
pub const VIEW_TITLE: usize = 24;
/// Characters of a view's `private_metadata`.
pub const PRIVATE_METADATA: usize = 3_000;
/// Characters of a `block_id` or `action_id`.
pub const ID: usize = 255;
/// Characters of a message's top-level `text`.
pub const MESSAGE_TEXT: usize = 40_000;
/// Characters of an image block's `alt_text` and title, and of its `image_url`.
pub const IMAGE_ALT_TEXT: usize = 2_000;
pub const IMAGE_TITLE: usize = 2_000;
pub const IMAGE_URL: usize = 3_000;

/// Where a payload is shown: a message, or a view (modal, Home tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Message,
    View,
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn over(what: &str, value: &Value, max: usize) -> Result<(), String> {
    let n = chars(value);
    if n > max {
        return Err(format!("{what} has {n} characters, more than {max}"));
    }
    Ok(())
}

/// The first limit `payload` breaks, if any, described as Slack's error details would.
pub fn check(surface: Surface, payload: &Value) -> Result<(), String> {
    let max_blocks = match surface {
        Surface::Message => {
            over("text", &payload["text"], MESSAGE_TEXT)?;
            MESSAGE_BLOCKS
        }
        Surface::View => {
            for key in ["title", "submit", "close"] {
                over(key, &payload[key]["text"], VIEW_TITLE)?;
            }
            over(
                "private_metadata",
                &payload["private_metadata"],
                PRIVATE_METADATA,
            )?;
            VIEW_BLOCKS
        }
    };
    let blocks = items(payload, "blocks", max_blocks)?;
    for (i, block) in blocks.iter().enumerate() {
        check_block(block).map_err(|e| format!("blocks[{i}]: {e}"))?;
    }
    Ok(())
}

/// The list `value[key]` (empty when absent), refused when it holds more than `max` items.
fn items<'a>(value: &'a Value, key: &str, max: usize) -> Result<&'a [Value], String> {
    let list = value[key].as_array().map_or(&[][..], Vec::as_slice);
    if list.len() > max {
        return Err(format!("{} {key}, more than {max}", list.len()));
    }
    Ok(list)
}

fn check_block(block: &Value) -> Result<(), String> {
    over("block_id", &block["block_id"], ID)?;
    match block["type"].as_str().unwrap_or_default() {
        "section" => {
            over("text", &block["text"]["text"], SECTION_TEXT)?;
            for field in items(block, "fields", SECTION_FIELDS)? {
                over("field", &field["text"], FIELD_TEXT)?;
            }
            if let Some(accessory) = block.get("accessory") {
                check_element(accessory)?;
            }
        }
        "header" => over("header", &block["text"]["text"], HEADER_TEXT)?,
        "actions" => {
            items(block, "elements", ACTIONS_ELEMENTS)?
                .iter()
                .try_for_each(check_element)?;
        }
        "context" => {
            for element in items(block, "elements", CONTEXT_ELEMENTS)? {
                over("context text", &element["text"], SECTION_TEXT)?;
            }
        }
        "input" => {
            over("label", &block["label"]["text"], 2_000)?;
            check_element(&block["element"])?;
        }
        "image" => check_image(block)?,
        _ => {}
    }
    Ok(())
}

/// An image block: a plain-text `alt_text` (required), exactly one of `image_url` and
/// `slack_file`, a Slack file named by exactly one of `id` and `url`, an optional plain-text
/// title. Whether the named file exists is for Slack (the emulator) to say.
fn check_image(block: &Value) -> Result<(), String> {
    if block["alt_text"].as_str().is_none_or(str::is_empty) {
        return Err("missing required field: alt_text".into());
    }
    over("alt_text", &block["alt_text"], IMAGE_ALT_TEXT)?;
    match (block.get("image_url"), block.get("slack_file")) {
        (Some(url), None) => over("image_url", url, IMAGE_URL)?,
        (None, Some(file)) => {
            let by_id = file["id"].as_str().is_some_and(|id| !id.is_empty());
            let by_url = file["url"].as_str().is_some_and(|u| !u.is_empty());
            if by_id == by_url {
                return Err("slack_file must have exactly one of id and url".into());
            }
        }
        _ => return Err("must provide exactly one of image_url and slack_file".into()),
    }
    if let Some(title) = block.get("title") {
        if title["type"] != "plain_text" {
            return Err("title must be a plain_text text object".into());
        }
        over("title", &title["text"], IMAGE_TITLE)?;
    }
    Ok(())
}

fn check_element(element: &Value) -> Result<(), String> {
    over("action_id", &element["action_id"], ID)?;
    if element["type"] == "button" {
        over("button text", &element["text"]["text"], BUTTON_TEXT)?;
        over("button value", &element["value"], BUTTON_VALUE)?;
    }
    if let Some(confirm) = element.get("confirm") {
        check_confirm(confirm).map_err(|e| format!("confirm: {e}"))?;
    }
    Ok(())
}

/// A confirmation dialog: a plain-text title, confirm and deny, a plain-text or mrkdwn text,
/// all required and within their lengths, and an optional `primary` or `danger` style.
fn check_confirm(confirm: &Value) -> Result<(), String> {
    if !confirm.is_object() {
        return Err("must be an object".into());
    }
    for (key, max, kinds) in [
        ("title", CONFIRM_TITLE, &["plain_text"][..]),
        ("text", CONFIRM_TEXT, &["plain_text", "mrkdwn"][..]),
        ("confirm", CONFIRM_BUTTON, &["plain_text"][..]),
        ("deny", CONFIRM_BUTTON, &["plain_text"][..]),
    ] {
        let object = &confirm[key];
        let kind = object["type"].as_str().unwrap_or_default();
        if !kinds.contains(&kind) {
            return Err(format!(
                "{key} must be a {} text object",
                kinds.join(" or ")
            ));
        }
        if object["text"].as_str().is_none_or(str::is_empty) {
            return Err(format!("{key} has no text"));
        }
        over(key, &object["text"], max)?;
    }
    match confirm.get("style").map(|s| s.as_str()) {
        None | Some(Some("primary" | "danger")) => Ok(()),
        Some(_) => Err("style must be primary or danger".into()),
    }
}

/// Clips mrkdwn `text` to at most `max` characters with an ellipsis, never cutting inside an
/// entity (`&amp;`) or a mention or link (`<@U123>`, `<https://…|…>`).
pub fn clip_mrkdwn(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = cut.rfind('&') {
        if cut[amp..].find(';').is_none() {
            cut.truncate(amp);
        }
    }
    if let Some(open) = cut.rfind('<') {
        if cut[open..].find('>').is_none() {
            cut.truncate(open);
        }
    }
    cut.push('…');
    cut
}

fn fit_text(value: &mut Value, max: usize) {
    if let Some(text) = value.as_str() {
        if text.chars().count() > max {
            *value = Value::String(clip_mrkdwn(text, max));
        }
    }
}

/// Makes `payload` fit Slack's limits whatever went into it: over-long texts are clipped (safely
/// for mrkdwn), and a message with too many blocks keeps its first ones, a note saying how many
/// were left out, and its buttons. Templates are written to stay within the limits; this is the
/// guarantee for data nobody foresaw, so Slack never refuses a message outright.
pub fn fit(surface: Surface, payload: &mut Value) {
    fit_text(&mut payload["text"], MESSAGE_TEXT);
    let max_blocks = match surface {
        Surface::Message => MESSAGE_BLOCKS,
        Surface::View => VIEW_BLOCKS,
    };
    let Some(blocks) = payload.get_mut("blocks").and_then(Value::as_array_mut) else {
        return;
    };
    for block in blocks.iter_mut() {
        match block["type"].as_str().unwrap_or_default() {
            "section" => {
                fit_text(&mut block["text"]["text"], SECTION_TEXT);
                if let Some(fields) = block.get_mut("fields").and_then(Value::as_array_mut) {
                    fields.truncate(SECTION_FIELDS);
                    fields
                        .iter_mut()
                        .for_each(|f| fit_text(&mut f["text"], FIELD_TEXT));
                }
            }
            "header" => fit_text(&mut block["text"]["text"], HEADER_TEXT),
            "image" => {
                fit_text(&mut block["alt_text"], IMAGE_ALT_TEXT);
                if block.get("title").is_some() {
                    fit_text(&mut block["title"]["text"], IMAGE_TITLE);
                }
            }
            "context" => {
                if let Some(elements) = block.get_mut("elements").and_then(Value::as_array_mut) {
                    elements.truncate(CONTEXT_ELEMENTS);
                    elements
                        .iter_mut()
                        .for_each(|e| fit_text(&mut e["text"], SECTION_TEXT));
                }
            }
            _ => {}
        }
    }
    if blocks.len() > max_blocks {
        // Images (the digest's chart) and buttons are kept; text gives way.
        let always = |b: &Value| b["type"] == "actions" || b["type"] == "image";
        let actions: Vec<Value> = blocks.iter().filter(|b| always(b)).cloned().collect();
        let keep = max_blocks.saturating_sub(1 + actions.len());
        let left_out = blocks.len() - keep - actions.len();
        let mut kept: Vec<Value> = blocks
            .iter()
            .filter(|b| !always(b))
            .take(keep)
            .cloned()
            .collect();
        kept.push(serde_json::json!({ "type": "context", "elements": [
            { "type": "mrkdwn", "text": format!("…and {left_out} more not shown here.") } ] }));
        kept.extend(actions);
        *blocks = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn section(text: &str) -> Value {
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
    }

    #[test]
    fn clipping_never_cuts_an_entity_or_a_mention() {
        assert_eq!(clip_mrkdwn("abcdef", 4), "abc…");
        assert_eq!(clip_mrkdwn("ab&amp;cd", 5), "ab…");
        assert_eq!(clip_mrkdwn("ab <@U123> cd", 7), "ab …");
        assert_eq!(clip_mrkdwn("ab&amp;cd", 8), "ab&amp;…");
    }

    fn button_confirming(confirm: Value) -> Value {
        json!({ "text": "t", "blocks": [{ "type": "actions", "elements": [{
            "type": "button", "action_id": "a", "text": { "type": "plain_text", "text": "Approve" },
            "confirm": confirm }] }] })
    }

    fn plain(text: &str) -> Value {
        json!({ "type": "plain_text", "text": text })
    }

    #[test]
    fn a_confirmation_dialog_within_the_limits_is_accepted() {
        let confirm = json!({ "title": plain("Approve D-1?"), "text": section("Sure?")["text"],
            "confirm": plain("Approve"), "deny": plain("Cancel"), "style": "primary" });
        assert_eq!(check(Surface::Message, &button_confirming(confirm)), Ok(()));
    }

    #[test]
    fn a_malformed_confirmation_dialog_is_refused_naming_what_is_wrong() {
        let good = json!({ "title": plain("Approve?"), "text": plain("Sure?"),
            "confirm": plain("Approve"), "deny": plain("Cancel") });
        let cases = [
            (
                "title",
                json!(null),
                "title must be a plain_text text object",
            ),
            (
                "title",
                plain(&"t".repeat(101)),
                "title has 101 characters, more than 100",
            ),
            (
                "text",
                plain(&"t".repeat(301)),
                "text has 301 characters, more than 300",
            ),
            (
                "text",
                json!({ "type": "markdown", "text": "x" }),
                "text must be a plain_text or mrkdwn",
            ),
            (
                "confirm",
                plain(&"c".repeat(31)),
                "confirm has 31 characters, more than 30",
            ),
            ("deny", plain(""), "deny has no text"),
            ("deny", json!(null), "deny must be a plain_text"),
            ("style", json!("loud"), "style must be primary or danger"),
        ];
        for (key, value, error) in cases {
            let mut confirm = good.clone();
            confirm[key] = value;
            if confirm[key].is_null() {
                confirm.as_object_mut().map(|o| o.remove(key));
            }
            let refused = check(Surface::Message, &button_confirming(confirm));
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains(error) && e.contains("confirm")),
                "{key}: {refused:?}"
            );
        }
        assert!(check(Surface::Message, &button_confirming(json!("yes"))).is_err());
    }

    #[test]
    fn fit_keeps_the_buttons_of_an_overlong_message() {
        let mut blocks: Vec<Value> = (0..80).map(|_| section(&"&amp;".repeat(1_000))).collect();
        blocks.push(json!({ "type": "actions", "elements": [{ "type": "button", "text": { "text": "Approve" }, "action_id": "a" }] }));
        let mut payload = json!({ "text": "t", "blocks": blocks });
        fit(Surface::Message, &mut payload);
        assert_eq!(check(Surface::Message, &payload), Ok(()));
        let kept = payload["blocks"].as_array().expect("blocks");
        assert_eq!(kept.len(), 50);
        assert_eq!(kept[49]["type"], "actions");
        assert!(kept[48]["elements"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("32 more")));
    }

    #[test]
    fn an_image_block_needs_alt_text_and_exactly_one_source() {
        let image = |extra: Value| {
            let mut block = json!({ "type": "image", "alt_text": "A chart" });
            if let (Some(b), Some(e)) = (block.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            check(Surface::Message, &json!({ "text": "t", "blocks": [block] }))
        };
        assert_eq!(
            image(json!({ "slack_file": { "id": "F0123ABCD" } })),
            Ok(())
        );
        assert_eq!(
            image(json!({ "image_url": "https://example.com/c.png" })),
            Ok(())
        );
        let refused = [
            (json!({}), "exactly one of image_url and slack_file"),
            (
                json!({ "image_url": "https://e.com/c.png", "slack_file": { "id": "F0123ABCD" } }),
                "exactly one of image_url and slack_file",
            ),
            (json!({ "slack_file": {} }), "exactly one of id and url"),
            (
                json!({ "slack_file": { "id": "F0123ABCD", "url": "https://e.com" } }),
                "exactly one of id and url",
            ),
            (
                json!({ "slack_file": { "id": "F0123ABCD" }, "alt_text": "" }),
                "missing required field: alt_text",
            ),
            (
                json!({ "slack_file": { "id": "F0123ABCD" }, "alt_text": "a".repeat(2_001) }),
                "alt_text has 2001 characters",
            ),
            (
                json!({ "slack_file": { "id": "F0123ABCD" }, "title": { "type": "mrkdwn", "text": "t" } }),
                "title must be a plain_text",
            ),
        ];
        for (extra, error) in refused {
            let answer = image(extra.clone());
            assert!(
                answer.as_ref().is_err_and(|e| e.contains(error)),
                "{extra}: {answer:?}"
            );
        }
        let mut no_alt =
            json!({ "blocks": [{ "type": "image", "slack_file": { "id": "F0123ABCD" } }] });
        assert!(check(Surface::Message, &no_alt).is_err());
        no_alt["blocks"][0]["alt_text"] = json!("A chart");
        assert_eq!(check(Surface::Message, &no_alt), Ok(()));
    }

    #[test]
    fn fit_keeps_the_image_of_an_overlong_message() {
        let mut blocks: Vec<Value> = (0..60).map(|_| section("a")).collect();
        blocks.push(json!({ "type": "image", "alt_text": "x".repeat(2_500), "slack_file": { "id": "F0123ABCD" } }));
        let mut payload = json!({ "text": "t", "blocks": blocks });
        fit(Surface::Message, &mut payload);
        assert_eq!(check(Surface::Message, &payload), Ok(()));
        assert_eq!(payload["blocks"][49]["type"], "image");
    }

    #[test]
    fn messages_within_the_limits_pass() {
        let blocks: Vec<Value> = (0..50).map(|_| section(&"a".repeat(3_000))).collect();
        assert_eq!(
            check(Surface::Message, &json!({ "text": "t", "blocks": blocks })),
            Ok(())
        );
    }

    #[test]
    fn each_limit_is_refused_with_what_broke_it() {
        let too_many: Vec<Value> = (0..51).map(|_| section("a")).collect();
        let cases = [
            (Surface::Message, json!({ "blocks": too_many }), "51 blocks"),
            (
                Surface::Message,
                json!({ "blocks": [section(&"&".repeat(3_001))] }),
                "3001 characters",
            ),
            (
                Surface::Message,
                json!({ "blocks": [{ "type": "header", "text": { "text": "h".repeat(151) } }] }),
                "header",
            ),
            (
                Surface::Message,
                json!({ "blocks": [{ "type": "actions", "elements": [{ "type": "button", "text": { "text": "b".repeat(76) }, "action_id": "x" }] }] }),
                "button text",
            ),
            (
                Surface::View,
                json!({ "title": { "text": "t".repeat(25) }, "blocks": [] }),
                "title",
            ),
            (
                Surface::View,
                json!({ "private_metadata": "m".repeat(3_001), "blocks": [] }),
                "private_metadata",
            ),
        ];
        for (surface, payload, expected) in cases {
            let refused = check(surface, &payload).expect_err(expected);
            assert!(refused.contains(expected), "{refused}");
        }
    }
}
