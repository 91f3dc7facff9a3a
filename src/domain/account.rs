//! Direct accounts as imported from a CSV: validation of one row, with the reason a row is refused.

use super::matching::registrable_domain;
use crate::chat::ChatUser;

/// One CSV row as typed (already split into columns).
#[derive(Debug, Clone, Default)]
pub struct AccountRow {
    pub name: String,
    /// Domains separated by `;`.
    pub domains: String,
    /// A chat user id or an e-mail address.
    pub owner: String,
    pub territory: String,
    /// yes/no (also true/false, y/n, 1/0; empty means no).
    pub open_opportunity: String,
    pub crm_id: String,
}

/// Who owns the account, before an e-mail is resolved to a chat user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(ChatUser),
    Email(String),
}

/// A row that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAccount {
    pub name: String,
    pub domains: Vec<String>,
    pub owner: Owner,
    pub territory: String,
    pub open_opportunity: bool,
    pub crm_id: Option<String>,
}

impl AccountRow {
    /// Checks the row; the error names the column and what is wrong.
    pub fn validate(&self) -> Result<ValidAccount, String> {
        let name = self.name.trim();
        if name.chars().count() < 2 {
            return Err("account name: needs at least 2 characters".into());
        }
        let mut domains = Vec::new();
        for raw in self
            .domains
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let domain = registrable_domain(raw)
                .ok_or_else(|| format!("domains: “{raw}” is not a domain"))?;
            if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        let owner = self.owner.trim();
        let owner = if let Some(user) = ChatUser::parse_id(owner) {
            Owner::User(user)
        } else if owner.contains('@') && owner.split('@').nth(1).is_some_and(|d| d.contains('.')) {
            Owner::Email(owner.to_lowercase())
        } else if owner.is_empty() {
            return Err(
                "owner: missing (a user id like U0123ABCD, an Entra object id, or an e-mail address)".into(),
            );
        } else {
            return Err(format!(
                "owner: “{owner}” is neither a user id (U0123ABCD, an Entra object id) nor an e-mail address"
            ));
        };
        let open_opportunity = match self.open_opportunity.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => true,
            "no" | "n" | "false" | "0" | "" => false,
            other => return Err(format!("open opportunity: “{other}” is not yes or no")),
        };
        let crm_id = Some(self.crm_id.trim().to_string()).filter(|c| !c.is_empty());
        Ok(ValidAccount {
            name: name.to_string(),
            domains,
            owner,
            territory: self.territory.trim().to_string(),
            open_opportunity,
            crm_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, domains: &str, owner: &str, open: &str) -> AccountRow {
        AccountRow {
            name: name.into(),
            domains: domains.into(),
            owner: owner.into(),
            open_opportunity: open.into(),
            ..AccountRow::default()
        }
    }

    #[test]
    fn good_rows_normalise_domains_and_owners() {
        let ok = row(
            "Acme Corp",
            "https://www.acme.com; shop.acme.co.uk ;acme.com",
            "U0AE1",
            "yes",
        )
        .validate()
        .expect("valid");
        assert_eq!(ok.domains, ["acme.com", "acme.co.uk"]);
        assert!(matches!(ok.owner, Owner::User(ref u) if u.id == "U0AE1"));
        assert!(ok.open_opportunity);
        let ok = row("Globex", "", "Hank@Globex.com", "")
            .validate()
            .expect("valid");
        assert_eq!(
            (ok.owner, ok.open_opportunity, ok.domains.len()),
            (Owner::Email("hank@globex.com".into()), false, 0)
        );
    }

    #[test]
    fn bad_rows_say_which_column_is_wrong() {
        let cases = [
            (row("A", "acme.com", "U0AE1", "no"), "account name"),
            (row("Acme", "acme", "U0AE1", "no"), "domains: “acme”"),
            (row("Acme", "acme.com", "", "no"), "owner: missing"),
            (row("Acme", "acme.com", "bob", "no"), "owner: “bob”"),
            (
                row("Acme", "acme.com", "U0AE1", "maybe"),
                "open opportunity: “maybe”",
            ),
        ];
        for (r, want) in cases {
            let err = r.validate().expect_err(want);
            assert!(err.starts_with(want), "{err}");
        }
    }
}
