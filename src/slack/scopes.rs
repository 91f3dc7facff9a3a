//! The bot scopes partnerbot uses, what each is for, and the start-up check that names any the
//! installed app lacks. `manifest.yaml` asks for exactly these.

/// Each scope the bot needs and what breaks without it.
pub const NEEDED: &[(&str, &str)] = &[
    ("app_mentions:read", "@partnerbot mentions are not answered"),
    ("channels:read", "`/partners add` cannot tell which organisation shares a public channel"),
    ("groups:read", "`/partners add` cannot tell which organisation shares a private channel"),
    ("channels:history", "a message whose first attempt timed out cannot be looked for in a public channel, so it may be posted twice"),
    ("groups:history", "a message whose first attempt timed out cannot be looked for in a private channel (the managers' channel), so it may be posted twice"),
    ("chat:write", "nothing can be posted: no confirmations, review cards or notices"),
    ("commands", "`/deal` and `/partners` do not reach the bot"),
    ("im:history", "direct messages to the bot are not answered"),
    ("files:write", "the digest's chart cannot be uploaded, so digests go out without it"),
    ("users:read", "digests and nudges cannot follow the time zones people set in Slack (the program file's or its default apply)"),
    ("users:read.email", "`partnerbot accounts import` cannot resolve owners given by e-mail"),
];

/// The scope a Web API method needs, for the emulator to refuse like Slack (conversation methods
/// depend on the kind of conversation: C public, G private, D direct message).
pub fn needed_for(method: &str, channel: &str) -> Option<&'static str> {
    let kind = channel.chars().next().unwrap_or('C');
    Some(match method {
        "chat.postMessage" | "chat.postEphemeral" | "chat.update" => "chat:write",
        "conversations.history" => match kind {
            'G' => "groups:history",
            'D' => "im:history",
            _ => "channels:history",
        },
        "conversations.info" => match kind {
            'G' => "groups:read",
            'D' => "im:read",
            _ => "channels:read",
        },
        "conversations.open" => "im:write",
        "files.getUploadURLExternal" | "files.completeUploadExternal" => "files:write",
        "users.lookupByEmail" => "users:read.email",
        "users.info" => "users:read",
        _ => return None,
    })
}

/// The needed scopes missing from `granted` (Slack's comma-separated `x-oauth-scopes`), each
/// with what breaks.
pub fn missing(granted: &str) -> Vec<(&'static str, &'static str)> {
    let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
    NEEDED
        .iter()
        .filter(|(scope, _)| !granted.contains(scope))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_asks_for_exactly_the_needed_scopes() {
        let manifest = include_str!("../../manifest.yaml");
        let mut in_bot = false;
        let mut declared = Vec::new();
        for line in manifest.lines() {
            let trimmed = line.trim();
            if trimmed == "bot:" {
                in_bot = true;
            } else if in_bot && trimmed.starts_with("- ") {
                declared.push(trimmed.trim_start_matches("- ").to_string());
            } else if in_bot && !trimmed.starts_with('#') && !trimmed.is_empty() {
                in_bot = false;
            }
        }
        let mut needed: Vec<String> = NEEDED.iter().map(|(s, _)| s.to_string()).collect();
        declared.sort();
        needed.sort();
        assert_eq!(declared, needed);
    }

    #[test]
    fn missing_scopes_are_named_with_what_they_break() {
        let all: Vec<&str> = NEEDED.iter().map(|(s, _)| *s).collect();
        assert!(missing(&all.join(",")).is_empty());
        let without_files = all
            .iter()
            .filter(|s| **s != "files:write")
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let gaps = missing(&without_files);
        assert_eq!(gaps.len(), 1);
        assert!(gaps[0].1.contains("chart"));
    }
}
