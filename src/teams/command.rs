//! A message typed to the bot, as a command: the text without the bot's @mention and without
//! the HTML Teams wraps text in, entities decoded, then split into the command family and the
//! rest (what `intent::parse` reads). Pure: no I/O.
//!
//! Teams sends a channel message that mentions the bot as `<at>partnerbot</at> deal list`, with
//! an entity `{type: "mention", mentioned: {id: <bot>}, text: "<at>partnerbot</at>"}`; some
//! clients wrap the text in `<p>`/`<div>` and write `&nbsp;`, `&amp;` and friends. The bot's
//! mentions are removed wherever they are; other people's mentions keep their name.

use crate::intent::wording::Syntax;
use crate::intent::Family;
use serde::Deserialize;
use serde_json::Value;

/// Teams' way of writing commands: typed to the bot, no slash, in bold on a card; user text
/// escaped for the card's markdown.
pub const TEAMS: Syntax = Syntax {
    prefix: "",
    code: |text| format!("**{}**", crate::teams::cards::text::escape(text)),
    user: crate::teams::cards::text::escape,
    strong: crate::teams::cards::text::bold,
};

/// The same wording as plain text (a card's summary, shown in notifications).
pub const TEAMS_PLAIN: Syntax = Syntax {
    prefix: "",
    code: str::to_string,
    user: str::to_string,
    strong: str::to_string,
};

/// The parts of a message activity a command is read from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MessageBody {
    pub text: Option<String>,
    pub entities: Vec<Value>,
    /// An `Action.Submit` from a card in a chat arrives as a message carrying `value`.
    pub value: Option<Value>,
    pub recipient: Option<crate::teams::activity::Account>,
}

impl MessageBody {
    /// Parses the parts of a message activity's body that matter here.
    pub fn parse(body: &[u8]) -> Result<MessageBody, String> {
        serde_json::from_slice(body)
            .map_err(|e| format!("the body is not a Bot Framework message: {e}"))
    }

    /// The command typed: the text without the bot's mentions and without HTML, decoded. In
    /// `partners admins …` each other person's mention stands for their id (their Entra
    /// object id when Teams gives it, else their `29:` id), as the command names people.
    pub fn command_text(&self) -> String {
        let bot = self.recipient.as_ref().map(|r| r.id.as_str());
        let mut text = self.text.clone().unwrap_or_default();
        let mut people = Vec::new();
        for mention in self.entities.iter().filter(|e| e["type"] == "mention") {
            let mentioned = &mention["mentioned"];
            let Some(id) = mentioned["id"].as_str() else {
                continue;
            };
            let shown = mention["text"].as_str().filter(|s| !s.is_empty());
            if Some(id) == bot || id.starts_with("28:") {
                if let Some(shown) = shown {
                    text = text.replace(shown, " ");
                }
            } else if let Some(shown) = shown {
                let aad = mentioned["aadObjectId"].as_str().filter(|a| !a.is_empty());
                people.push((shown, aad.unwrap_or(id)));
            }
        }
        let typed = plain_text(&leading_mention_removed(&text));
        if !names_admins(&typed) {
            return typed;
        }
        for (shown, id) in people {
            text = text.replace(shown, &format!(" {id} "));
        }
        plain_text(&leading_mention_removed(&text))
    }
}

/// Whether `typed` is a `partners admins` command (whose mentions name people by id).
fn names_admins(typed: &str) -> bool {
    let mut words = typed.split_whitespace();
    matches!((words.next(), words.next()), (Some(family), Some(sub))
        if family.eq_ignore_ascii_case("partners") && sub.eq_ignore_ascii_case("admins"))
}

/// Without an `<at>…</at>` the message starts with (the bot's, when Teams sent no entity).
fn leading_mention_removed(text: &str) -> String {
    let trimmed = strip_leading_blank_markup(text);
    if let Some(rest) = trimmed.strip_prefix("<at>") {
        if let Some(end) = rest.find("</at>") {
            return rest[end + "</at>".len()..].to_string();
        }
    }
    text.to_string()
}

/// `text` after any opening `<p>`/`<div>` tags and blanks at its start.
fn strip_leading_blank_markup(mut text: &str) -> &str {
    loop {
        let t = text.trim_start();
        let lower = t.get(..5).unwrap_or_default().to_ascii_lowercase();
        let skip = if lower.starts_with("<p>") {
            3
        } else if lower.starts_with("<div>") {
            5
        } else if let Some(rest) = t.strip_prefix("&nbsp;") {
            t.len() - rest.len()
        } else {
            return t;
        };
        text = &t[skip..];
    }
}

/// `html` as plain text: tags removed (a line break where a block ended), entities decoded,
/// runs of blanks (non-breaking spaces too) made one space, trimmed.
pub fn plain_text(html: &str) -> String {
    // A tag: block ends and line breaks separate words; other tags vanish. A lone `<` (say
    // "price < 5") is kept.
    let text = replace_marked(html, '<', |after| {
        let close = after.find('>').filter(|close| is_tag(&after[1..*close]))?;
        let inner = after[1..close].trim_start_matches('/').to_ascii_lowercase();
        let name = inner.split(|c: char| !c.is_ascii_alphanumeric()).next();
        let breaks = matches!(name, Some("br" | "p" | "div" | "li"));
        Some((breaks.then_some(' '), close + 1))
    });
    let decoded = decode_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` with each construct that starts with `mark` replaced: `read` gets the text from the
/// mark on and says what the construct stands for (a character, or nothing) and how long it
/// is; where it reads none, the mark is kept as typed.
fn replace_marked(
    text: &str,
    mark: char,
    read: impl Fn(&str) -> Option<(Option<char>, usize)>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(mark) {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match read(after) {
            Some((replacement, len)) => {
                out.extend(replacement);
                rest = &after[len..];
            }
            None => {
                out.push(mark);
                rest = &after[mark.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// True when `inner` (between `<` and `>`) reads as an HTML tag name.
fn is_tag(inner: &str) -> bool {
    let name = inner.trim_start_matches('/');
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !name.contains('<')
        && name.len() < 200
}

/// Decodes the HTML entities Teams writes: the named ones it uses and numeric ones. An
/// unknown entity is kept as typed.
pub fn decode_entities(text: &str) -> String {
    replace_marked(text, '&', |after| {
        let end = after.find(';').filter(|end| *end <= 10)?;
        entity(&after[1..end]).map(|c| (Some(c), end + 1))
    })
}

fn entity(name: &str) -> Option<char> {
    let numeric = |digits: &str, radix| u32::from_str_radix(digits, radix).ok();
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some('\u{a0}'),
        n if n.starts_with("#x") || n.starts_with("#X") => numeric(&n[2..], 16)?,
        n if n.starts_with('#') => numeric(&n[1..], 10)?,
        _ => return None,
    };
    char::from_u32(code).filter(|c| *c != '\0')
}

/// What a message asks, before its intent is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Nothing typed (a mention alone, or a card's submit).
    Nothing,
    /// `help` (or `hi`, `hello`): the bot introduces itself.
    Greeting,
    /// A command of `family`, with the text after its name.
    Command { family: Family, rest: String },
    /// Something else: its first word, lower-cased.
    Other(String),
}

/// Splits a command text: the family named by its first word (`deal`, `partners`; a leading
/// `/` as in Slack is accepted), and the rest.
pub fn split(text: &str) -> Typed {
    let text = text.trim();
    let (first, rest) = match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (text, ""),
    };
    let word = first.trim_start_matches('/').to_lowercase();
    let family = match word.as_str() {
        "" => return Typed::Nothing,
        "deal" | "deals" => Family::Deal,
        "partners" | "partner" => Family::Partners,
        "help" | "hi" | "hello" | "hey" | "?" => return Typed::Greeting,
        _ => return Typed::Other(word),
    };
    Typed::Command {
        family,
        rest: rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(activity: Value) -> String {
        MessageBody::parse(activity.to_string().as_bytes())
            .expect("parses")
            .command_text()
    }

    const BOT: &str = "28:6f1c2b7e-8a4d-4c1e-9f3a-2b5d7e9c1a20";

    fn mention(text: &str) -> Value {
        json!({
            "type": "message", "text": text, "recipient": { "id": BOT, "name": "partnerbot" },
            "entities": [
                { "type": "mention", "text": "<at>partnerbot</at>", "mentioned": { "id": BOT, "name": "partnerbot" } },
                { "type": "clientInfo", "locale": "en-US" },
            ],
        })
    }

    #[test]
    fn the_bots_mention_is_removed_wherever_it_is() {
        assert_eq!(typed(mention("<at>partnerbot</at> deal list")), "deal list");
        assert_eq!(
            typed(mention("deal show D-3 <at>partnerbot</at>")),
            "deal show D-3"
        );
        assert_eq!(
            typed(mention("<p><at>partnerbot</at>&nbsp;deal help</p>\n")),
            "deal help"
        );
    }

    #[test]
    fn a_leading_mention_goes_even_without_its_entity() {
        let bare =
            json!({ "type": "message", "text": "<div><at>Partner Bot</at> partners list</div>" });
        assert_eq!(typed(bare), "partners list");
    }

    #[test]
    fn other_peoples_mentions_keep_their_names() {
        let mut activity = mention("<at>partnerbot</at> partners check <at>Megan Bowen</at>");
        activity["entities"]
            .as_array_mut()
            .expect("array")
            .push(json!({ "type": "mention", "text": "<at>Megan Bowen</at>", "mentioned": { "id": "29:megan" } }));
        assert_eq!(typed(activity), "partners check Megan Bowen");
    }

    #[test]
    fn in_partners_admins_peoples_mentions_stand_for_their_ids() {
        let mut activity =
            mention("<at>partnerbot</at> partners admins P-3 <at>Megan Bowen</at> <at>Lee</at>");
        let entities = activity["entities"].as_array_mut().expect("array");
        entities.push(json!({ "type": "mention", "text": "<at>Megan Bowen</at>",
            "mentioned": { "id": "29:megan", "aadObjectId": "72f988bf-86f1-41af-91ab-2d7cd011db47" } }));
        entities.push(
            json!({ "type": "mention", "text": "<at>Lee</at>", "mentioned": { "id": "29:lee" } }),
        );
        assert_eq!(
            typed(activity),
            "partners admins P-3 72f988bf-86f1-41af-91ab-2d7cd011db47 29:lee"
        );
    }

    #[test]
    fn html_is_removed_and_entities_are_decoded() {
        let cases = [
            (
                "deal register <b>Smith &amp; Sons</b> smith.com 5000&nbsp;USD",
                "deal register Smith & Sons smith.com 5000 USD",
            ),
            (
                "<p>deal update D-3</p><p>stage=won</p>",
                "deal update D-3 stage=won",
            ),
            ("a&lt;b&gt; &quot;c&quot; &#39;d&#x27;", "a<b> \"c\" 'd'"),
            ("line<br>break<br/>again", "line break again"),
            // Decoded text is never read as markup.
            ("&lt;at&gt;not a tag&lt;/at&gt;", "<at>not a tag</at>"),
        ];
        for (html, want) in cases {
            assert_eq!(plain_text(html), want, "{html}");
        }
    }

    #[test]
    fn what_is_not_markup_is_kept() {
        for text in [
            "price < 5 & > 2",
            "AT&T &bogus; &#0; &#xZZ;",
            "Zürich 東京 🎉",
        ] {
            assert_eq!(plain_text(text), text);
        }
        assert_eq!(plain_text("  many   blanks\t\n "), "many blanks");
    }

    #[test]
    fn the_first_word_names_the_command_family() {
        let command = |family, rest: &str| Typed::Command {
            family,
            rest: rest.into(),
        };
        assert_eq!(split("deal list open"), command(Family::Deal, "list open"));
        assert_eq!(split("DEAL  show D-3"), command(Family::Deal, "show D-3"));
        assert_eq!(split("/deal"), command(Family::Deal, ""));
        assert_eq!(
            split("partners add Globex type=reseller"),
            command(Family::Partners, "add Globex type=reseller")
        );
        assert_eq!(split("help"), Typed::Greeting);
        assert_eq!(split("Hello"), Typed::Greeting);
        assert_eq!(split(""), Typed::Nothing);
        assert_eq!(split("approve D-3"), Typed::Other("approve".into()));
    }

    #[test]
    fn a_message_without_text_types_nothing() {
        let submit = json!({ "type": "message", "value": { "deal": 3 } });
        assert_eq!(split(&typed(submit)), Typed::Nothing);
    }

    #[test]
    fn refusals_are_worded_for_commands_typed_to_the_bot() {
        use crate::intent::wording::{refusal_text, unknown_intro};
        use crate::intent::{parse, Unknown};
        let refused = |family, text: &str| match parse(family, text) {
            Err(refusal) => (
                refusal_text(&refusal, &TEAMS),
                refusal_text(&refusal, &TEAMS_PLAIN),
            ),
            Ok(intent) => panic!("{text} parsed as {intent:?}"),
        };
        assert_eq!(
            refused(Family::Deal, "show"),
            (
                "Which deal? Use **deal show D\\-42**.".into(),
                "Which deal? Use deal show D-42.".into()
            )
        );
        let (card, plain) = refused(Family::Deal, "list page *x*");
        assert_eq!(
            card,
            "“\\*x\\*” is not a page number: try **deal list page 2**"
        );
        assert_eq!(plain, "“*x*” is not a page number: try deal list page 2");
        let (card, _) = refused(Family::Partners, "add Globex");
        assert_eq!(card, "Usage: **partners add \\<partner name\\> type=\\<referral\\|reseller\\|technology\\|service\\|strategic\\>**, inside the channel shared with the partner.");
        assert_eq!(
            unknown_intro(&Unknown::Deal("[x](y)".into()), &TEAMS),
            "I don't know “deal \\[x\\]\\(y\\)”. Here is what I can do:"
        );
    }

    /// The manifest's command menus list commands the bot knows, one list per scope, within
    /// the schema's 12 commands a list.
    #[test]
    fn every_command_in_the_manifest_is_one_the_bot_knows() {
        use crate::intent::{parse, Intent};
        let manifest: Value =
            serde_json::from_str(include_str!("../../teams/manifest.json")).expect("manifest");
        let lists = manifest["bots"][0]["commandLists"]
            .as_array()
            .expect("command lists");
        let mut scopes = Vec::new();
        for list in lists {
            for scope in list["scopes"].as_array().expect("scopes") {
                assert!(!scopes.contains(scope), "one list per scope: {scope}");
                scopes.push(scope.clone());
            }
            let commands = list["commands"].as_array().expect("commands");
            assert!(commands.len() <= 12, "{} commands", commands.len());
            for command in commands {
                let title = command["title"].as_str().expect("title");
                let Typed::Command { family, rest } = split(title) else {
                    panic!("{title} is not a deal or partners command");
                };
                if let Ok(Intent::Help { unknown: Some(u) }) = parse(family, &rest) {
                    panic!("the manifest lists {title}, which the bot does not know ({u:?})");
                }
            }
        }
        assert_eq!(scopes.len(), 3, "personal, team and groupChat");
    }
}
