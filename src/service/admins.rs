//! A partner's admins: the people of the partner told privately, in the partner's channel,
//! about what only they should see (tier changes with their commission factors). Managers (and
//! the command line) name them; naming them replaces the list.

use super::{Requester, Service, ServiceResult};
use crate::chat::{ChatUser, Platform};
use crate::domain::{DealError, Partner, PartnerId};
use crate::store::AuditEntry;

/// A partner as the managers' list shows it: the partner and its admins (user ids on its
/// platform, by id).
#[derive(Debug, Clone, PartialEq)]
pub struct ListedPartner {
    pub partner: Partner,
    pub admins: Vec<String>,
}

/// Most admins a partner can have: each tier change is one private message per admin.
const MAX_ADMINS: usize = 20;

impl Service {
    /// Replaces `partner`'s admins with `users` (none clears the list), with an audit row;
    /// returns the partner and its admins. Each user must be a user id of the partner's
    /// platform.
    #[tracing::instrument(skip_all, fields(partner_id = partner.0))]
    pub async fn set_partner_admins(
        &self,
        requester: &Requester,
        partner: PartnerId,
        users: &[String],
    ) -> ServiceResult<(Partner, Vec<String>)> {
        let (actor, surface) = self.managing(requester)?;
        let Some(found) = self.store.partner(partner).await? else {
            return Err(DealError::BadCommand(format!("There is no partner {partner}.")).into());
        };
        let users = admin_ids(found.conversation.platform, users)?;
        let audit = AuditEntry {
            actor: &actor,
            surface,
            entity: "partner",
            action: "admins_set",
            detail: serde_json::json!({ "admins": users }),
        };
        self.store
            .set_partner_admins(partner, &users, &audit, self.clock.now_ms())
            .await?;
        tracing::info!(admins = users.len(), "partner admins named");
        Ok((found, users))
    }

    /// Every partner with its admins; managers only (and the command line).
    pub async fn list_partners(&self, requester: &Requester) -> ServiceResult<Vec<ListedPartner>> {
        self.managing(requester)?;
        let mut admins = self.store.all_partner_admins().await?;
        Ok(self
            .store
            .partners()
            .await?
            .into_iter()
            .map(|partner| ListedPartner {
                admins: admins.remove(&partner.id.0).unwrap_or_default(),
                partner,
            })
            .collect())
    }
}

/// `users` as user ids of `platform`, each once, or why one is not.
fn admin_ids(platform: Platform, users: &[String]) -> Result<Vec<String>, DealError> {
    let mut ids: Vec<String> = Vec::new();
    for user in users {
        if !ChatUser::is_user_id(platform, user) {
            return Err(DealError::BadCommand(format!(
                "“{user}” is not a user of the partner's platform ({platform}): mention the person, or give their user id."
            )));
        }
        if !ids.contains(user) {
            ids.push(user.clone());
        }
    }
    if ids.len() > MAX_ADMINS {
        return Err(DealError::BadCommand(format!(
            "A partner can have at most {MAX_ADMINS} admins."
        )));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_are_user_ids_of_the_partners_platform_each_kept_once() {
        let ids = |users: &[&str]| {
            let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
            admin_ids(Platform::Teams, &users)
        };
        let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        assert_eq!(
            ids(&[guid, "29:1lee", guid]),
            Ok(vec![guid.to_string(), "29:1lee".to_string()])
        );
        assert_eq!(
            ids(&["U1ABC"]),
            Err(DealError::BadCommand("“U1ABC” is not a user of the partner's platform (teams): mention the person, or give their user id.".into()))
        );
        let many: Vec<String> = (0..=MAX_ADMINS).map(|i| format!("29:{i}")).collect();
        assert!(admin_ids(Platform::Teams, &many).is_err());
    }
}
