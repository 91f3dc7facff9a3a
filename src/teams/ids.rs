//! What Teams ids look like, checked where they come in (the program file, the command line).

/// 8-4-4-4-12 hexadecimal digits: app ids, tenant ids and users' Entra object ids.
pub fn is_guid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A person as Teams names them: an Entra object id (a GUID), or a Bot Framework user id
/// (`29:` then an opaque part with no spaces).
pub fn is_user_id(value: &str) -> bool {
    let opaque = value.strip_prefix("29:").unwrap_or_default();
    is_guid(value)
        || (!opaque.is_empty()
            && opaque.len() <= 200
            && opaque
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
}

/// A channel or group chat id as Teams writes it: `19:` then an opaque part ending in
/// `@thread.tacv2`, `@thread.skype` or `@thread.v2`, with no spaces and no `;` (a `;messageid=`
/// suffix names a reply chain, not a conversation).
pub fn is_conversation_id(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("19:") else {
        return false;
    };
    let opaque = ["@thread.tacv2", "@thread.skype", "@thread.v2"]
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix));
    matches!(opaque, Some(o) if !o.is_empty() && o.len() <= 200
        && o.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_channel_ids_are_recognised_and_reply_chains_are_not() {
        assert!(is_conversation_id(
            "19:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@thread.tacv2"
        ));
        assert!(is_conversation_id("19:meeting_abc@thread.v2"));
        for bad in [
            "",
            "19:@thread.tacv2",
            "C0123ABCD",
            "19:abc@thread.tacv2;messageid=1",
            "19:abc def@thread.tacv2",
            "29:1abc",
        ] {
            assert!(!is_conversation_id(bad), "{bad}");
        }
    }

    #[test]
    fn teams_user_ids_are_guids_or_bot_framework_ids() {
        assert!(is_user_id("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(is_user_id("29:1AbC-dEf_g"));
        for bad in [
            "",
            "29:",
            "29:a b",
            "28:bot",
            "U0ALICE",
            "19:x@thread.tacv2",
        ] {
            assert!(!is_user_id(bad), "{bad}");
        }
    }

    #[test]
    fn guids_have_five_hex_groups() {
        assert!(is_guid("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(!is_guid("72f988bf86f141af91ab2d7cd011db47"));
        assert!(!is_guid("zzf988bf-86f1-41af-91ab-2d7cd011db47"));
    }
}
