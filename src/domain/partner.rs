//! Partners: the organisations in the program and how they are classified.

use std::fmt;
use std::str::FromStr;

/// Database id of a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PartnerId(pub i64);

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P-{}", self.0)
    }
}

impl FromStr for PartnerId {
    type Err = ();

    /// `P-3`, `p3` or `3`: a positive number, with or without the `P-` people see.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let digits = s
            .strip_prefix(['P', 'p'])
            .map_or(s, |rest| rest.strip_prefix('-').unwrap_or(rest));
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(PartnerId(n)),
            _ => Err(()),
        }
    }
}

/// The kind of partnership; it drives commission rates and rules of engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerType {
    Referral,
    Reseller,
    Technology,
    Service,
    Strategic,
}

impl PartnerType {
    /// Every type, in the order they are listed to people.
    pub const ALL: [PartnerType; 5] = [
        PartnerType::Referral,
        PartnerType::Reseller,
        PartnerType::Technology,
        PartnerType::Service,
        PartnerType::Strategic,
    ];

    /// The stable name stored in the database and typed in commands.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerType::Referral => "referral",
            PartnerType::Reseller => "reseller",
            PartnerType::Technology => "technology",
            PartnerType::Service => "service",
            PartnerType::Strategic => "strategic",
        }
    }
}

impl fmt::Display for PartnerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PartnerType {
    type Err = String;

    /// Accepts the names and common synonyms ("si" and "services" for service, "tech" for technology).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "referral" => Ok(PartnerType::Referral),
            "reseller" | "var" => Ok(PartnerType::Reseller),
            "technology" | "tech" | "isv" => Ok(PartnerType::Technology),
            "service" | "services" | "si" => Ok(PartnerType::Service),
            "strategic" => Ok(PartnerType::Strategic),
            other => Err(format!(
                "“{other}” is not a partner type: use one of referral, reseller, technology, service, strategic"
            )),
        }
    }
}

/// A partner name as typed by a manager: trimmed, 2–120 characters, no control characters.
pub fn validate_partner_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let len = name.chars().count();
    if len < 2 {
        return Err("The partner name needs at least 2 characters".into());
    }
    if len > 120 {
        return Err(format!(
            "The partner name has {len} characters; the limit is 120"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("The partner name contains control characters".into());
    }
    Ok(name.to_string())
}

/// A partner organisation linked to the conversation shared with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub partner_type: PartnerType,
    pub tier: super::tier::Tier,
    /// The channel shared with the partner (a shared channel in either platform).
    pub conversation: crate::chat::Conversation,
    /// The partner's own workspace or tenant, when known: its people act from there.
    pub workspace: Option<String>,
    /// The partner manager responsible for this partner.
    pub manager_user: Option<String>,
    pub paused: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_types_parse_from_names_and_synonyms() {
        assert_eq!("SI".parse(), Ok(PartnerType::Service));
        assert_eq!("reseller".parse(), Ok(PartnerType::Reseller));
        for t in PartnerType::ALL {
            assert_eq!(t.as_str().parse(), Ok(t));
        }
        assert!("distributor".parse::<PartnerType>().is_err());
    }

    #[test]
    fn partner_names_are_trimmed_and_bounded() {
        assert_eq!(validate_partner_name("  Globex  "), Ok("Globex".into()));
        assert!(validate_partner_name("G").is_err());
        assert!(validate_partner_name(&"x".repeat(121)).is_err());
    }
}
