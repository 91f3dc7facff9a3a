//! Message templates from `templates/`, compiled into the binary and parsed at start-up so a
//! broken template stops the bot before it takes traffic.
//!
//! Templates are Block Kit JSON. Every `{{ value }}` is escaped for where it lands: strings get
//! Slack's mrkdwn escaping (`&`, `<`, `>`) and then JSON string escaping, so user text can never
//! ping `<!channel>`, forge a link or break the JSON. `|plain` skips the mrkdwn step for
//! `plain_text` fields (it still JSON-escapes); other values are written as JSON.

use anyhow::Context;
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, Output, State};
use serde::Serialize;

/// Every template, by name: `<folder>/<file>` under `templates/`.
const SOURCES: &[(&str, &str)] = &[
    (
        "registration_modal/view.json",
        include_str!("../templates/registration_modal/view.json"),
    ),
    (
        "registration_done/view.json",
        include_str!("../templates/registration_done/view.json"),
    ),
    (
        "unknown_form/view.json",
        include_str!("../templates/unknown_form/view.json"),
    ),
    (
        "deal_confirmation/message.json",
        include_str!("../templates/deal_confirmation/message.json"),
    ),
    (
        "review_card/message.json",
        include_str!("../templates/review_card/message.json"),
    ),
    (
        "partner_linked/message.json",
        include_str!("../templates/partner_linked/message.json"),
    ),
    (
        "ae_alert/message.json",
        include_str!("../templates/ae_alert/message.json"),
    ),
    (
        "ae_choice/message.json",
        include_str!("../templates/ae_choice/message.json"),
    ),
    (
        "help/message.json",
        include_str!("../templates/help/message.json"),
    ),
    (
        "deal_registered/reply.json",
        include_str!("../templates/deal_registered/reply.json"),
    ),
    (
        "validation_errors/reply.json",
        include_str!("../templates/validation_errors/reply.json"),
    ),
    (
        "deal_list/reply.json",
        include_str!("../templates/deal_list/reply.json"),
    ),
    (
        "deal_detail/reply.json",
        include_str!("../templates/deal_detail/reply.json"),
    ),
    (
        "partner_list/reply.json",
        include_str!("../templates/partner_list/reply.json"),
    ),
    (
        "match_list/reply.json",
        include_str!("../templates/match_list/reply.json"),
    ),
    (
        "accounts_summary/reply.json",
        include_str!("../templates/accounts_summary/reply.json"),
    ),
    (
        "decision_modal/view.json",
        include_str!("../templates/decision_modal/view.json"),
    ),
    (
        "decision_notice/message.json",
        include_str!("../templates/decision_notice/message.json"),
    ),
    (
        "already_ours/reply.json",
        include_str!("../templates/already_ours/reply.json"),
    ),
    (
        "already_ours/view.json",
        include_str!("../templates/already_ours/view.json"),
    ),
    (
        "delivery_failure/message.json",
        include_str!("../templates/delivery_failure/message.json"),
    ),
    (
        "escalation/message.json",
        include_str!("../templates/escalation/message.json"),
    ),
    (
        "protection_notice/message.json",
        include_str!("../templates/protection_notice/message.json"),
    ),
    (
        "extension/message.json",
        include_str!("../templates/extension/message.json"),
    ),
    (
        "extension_modal/view.json",
        include_str!("../templates/extension_modal/view.json"),
    ),
    (
        "commission_notice/message.json",
        include_str!("../templates/commission_notice/message.json"),
    ),
    (
        "commission_totals/reply.json",
        include_str!("../templates/commission_totals/reply.json"),
    ),
    (
        "stats/reply.json",
        include_str!("../templates/stats/reply.json"),
    ),
    (
        "deal_update/view.json",
        include_str!("../templates/deal_update/view.json"),
    ),
    (
        "psat_invite/message.json",
        include_str!("../templates/psat_invite/message.json"),
    ),
    (
        "psat_followup/message.json",
        include_str!("../templates/psat_followup/message.json"),
    ),
    (
        "psat_comment/view.json",
        include_str!("../templates/psat_comment/view.json"),
    ),
    (
        "nudge/message.json",
        include_str!("../templates/nudge/message.json"),
    ),
    (
        "digest/message.json",
        include_str!("../templates/digest/message.json"),
    ),
    (
        "digest/chart.json",
        include_str!("../templates/digest/chart.json"),
    ),
    (
        "home_partner/view.json",
        include_str!("../templates/home_partner/view.json"),
    ),
    (
        "home_manager/view.json",
        include_str!("../templates/home_manager/view.json"),
    ),
    (
        "home_ae/view.json",
        include_str!("../templates/home_ae/view.json"),
    ),
    (
        "home_intro/view.json",
        include_str!("../templates/home_intro/view.json"),
    ),
    (
        "notice/reply.json",
        include_str!("../templates/notice/reply.json"),
    ),
];

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

/// Escapes text for Slack mrkdwn: `&`, `<` and `>` become entities, nothing else changes.
pub fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn json_inner(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn format_value(out: &mut Output<'_>, _state: &State<'_, '_>, value: &Value) -> Result<(), Error> {
    let text = if let Some(s) = value.as_str() {
        if value.is_safe() {
            json_inner(s)
        } else {
            json_inner(&escape_mrkdwn(s))
        }
    } else if value.is_undefined() || value.is_none() {
        String::new()
    } else {
        serde_json::to_string(value)
            .map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))?
    };
    out.write_str(&text).map_err(Error::from)
}

/// `|clip(n)`: at most `n` characters *once escaped for mrkdwn* (`&` becomes `&amp;`), with an
/// ellipsis when cut, so a text full of `&<>` still fits the Block Kit limit it was sized for.
fn clip(text: String, max: usize) -> String {
    let cost = |c: char| match c {
        '&' => 5,
        '<' | '>' => 4,
        _ => 1,
    };
    if text.chars().map(cost).sum::<usize>() <= max {
        return text;
    }
    let mut used = 0;
    let mut cut = String::new();
    for c in text.chars() {
        if used + cost(c) > max.saturating_sub(1) {
            break;
        }
        used += cost(c);
        cut.push(c);
    }
    cut.push('…');
    cut
}

impl Templates {
    /// Parses every template; fails on the first syntax error, naming the template.
    pub fn load() -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_formatter(format_value);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_filter("plain", |s: String| Value::from_safe_string(s));
        env.add_filter("clip", clip);
        for (name, source) in SOURCES {
            env.add_template(name, source)
                .with_context(|| format!("parsing template {name}"))?;
        }
        Ok(Templates { env })
    }

    /// Renders `name` with `context` and parses the result as JSON.
    pub fn render(&self, name: &str, context: impl Serialize) -> anyhow::Result<serde_json::Value> {
        let template = self
            .env
            .get_template(name)
            .with_context(|| format!("no template {name}"))?;
        let text = template
            .render(context)
            .with_context(|| format!("rendering template {name}"))?;
        serde_json::from_str(&text)
            .with_context(|| format!("template {name} did not produce valid JSON"))
    }

    /// Names of all templates (tests render each one).
    pub fn names() -> impl Iterator<Item = &'static str> {
        SOURCES.iter().map(|(name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_escaping_neutralises_mentions_links_and_entities() {
        assert_eq!(
            escape_mrkdwn("<!channel> & <@U123> >"),
            "&lt;!channel&gt; &amp; &lt;@U123&gt; &gt;"
        );
        assert_eq!(escape_mrkdwn("*bold* _it_"), "*bold* _it_");
    }

    #[test]
    fn values_are_escaped_for_mrkdwn_and_json_unless_marked_plain() {
        let mut env = Environment::new();
        env.set_formatter(format_value);
        env.add_filter("plain", |s: String| Value::from_safe_string(s));
        let rendered = env
            .render_str(
                r#"{"a": "{{ v }}", "b": "{{ v|plain }}", "n": {{ n }}}"#,
                minijinja::context! { v => "<!here> \"q\"\n&", n => 5 },
            )
            .expect("renders");
        let json: serde_json::Value = serde_json::from_str(&rendered).expect("valid JSON");
        assert_eq!(json["a"], "&lt;!here&gt; \"q\"\n&amp;");
        assert_eq!(json["b"], "<!here> \"q\"\n&");
        assert_eq!(json["n"], 5);
    }

    #[test]
    fn every_template_parses() {
        Templates::load().expect("templates load");
    }

    #[test]
    fn clip_shortens_long_text_with_an_ellipsis() {
        assert_eq!(clip("abcdef".into(), 4), "abc…");
        assert_eq!(clip("abc".into(), 4), "abc");
        // Sized for the escaped text: "&&&&" is 20 characters once escaped.
        assert_eq!(clip("&&&&".into(), 12), "&&…");
        let clipped = escape_mrkdwn(&clip("<&>".repeat(1_000), 2_000));
        assert!((1_990..=2_000).contains(&clipped.chars().count()));
    }
}
