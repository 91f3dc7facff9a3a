//! What Slack ids look like, checked where they come in.

/// True for Slack ids such as `C0123ABCD`: a known prefix then upper-case letters and digits.
pub fn is_slack_id(id: &str, prefixes: &[char]) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if prefixes.contains(&c))
        && id.len() >= 3
        && id.len() <= 24
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}
