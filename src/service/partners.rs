//! Onboarding partners: linking a shared channel to a partner organisation.

use super::{Actor, Service, ServiceResult};
use crate::chat::{Conversation, Via};
use crate::domain::partner::validate_partner_name;
use crate::domain::tier::Tier;
use crate::domain::{DealError, Partner, PartnerType};
use crate::notice::Notice;
use crate::store::{AuditEntry, NewPartner, OutboxMessage, StoreError};

/// Who asks to link a partner: the command line (an operator) or a person in a chat.
#[derive(Debug, Clone)]
pub enum Requester {
    Cli,
    Chat(Actor),
}

/// The tier a new partner starts at (`registered` unless given), if it is one.
fn starting_tier(tier: Option<&str>) -> Result<Tier, DealError> {
    let Some(name) = tier else {
        return Ok(Tier::Registered);
    };
    Tier::parse(name).ok_or_else(|| {
        DealError::BadCommand(format!(
            "“{}” is not a tier: use one of {}",
            name.trim(),
            Tier::names()
        ))
    })
}

/// What a new partner is linked with.
#[derive(Debug, Clone)]
pub struct PartnerLink<'a> {
    pub name: &'a str,
    /// reseller, referral, …
    pub partner_type: &'a str,
    /// The conversation shared with the partner.
    pub conversation: &'a Conversation,
    /// The partner's own workspace or tenant.
    pub workspace: Option<String>,
    /// A starting tier (registered, silver, gold, platinum); registered when none.
    pub tier: Option<&'a str>,
}

impl Service {
    /// Who the audit names for a manager's command, and from which surface: the command line,
    /// or a manager in a chat (anyone else is refused).
    pub(super) fn managing(
        &self,
        requester: &Requester,
    ) -> Result<(String, &'static str), DealError> {
        match requester {
            Requester::Cli => Ok(("cli".to_string(), "cli")),
            Requester::Chat(a) if self.is_manager(&a.user) => {
                Ok((a.user.clone(), a.surface(Via::Command)))
            }
            Requester::Chat(_) => Err(DealError::NotManager),
        }
    }

    /// Links a conversation to a new partner and posts a welcome there. People in a chat must be
    /// managers. The ids were checked by the adapter they came through.
    #[tracing::instrument(skip_all, fields(partner_name = %link.name, conversation = %link.conversation))]
    pub async fn add_partner(
        &self,
        requester: &Requester,
        link: PartnerLink<'_>,
    ) -> ServiceResult<Partner> {
        let PartnerLink {
            name,
            partner_type,
            conversation,
            workspace,
            tier,
        } = link;
        let tier = starting_tier(tier)?;
        let (actor, surface) = self.managing(requester)?;
        let name = validate_partner_name(name).map_err(DealError::BadCommand)?;
        let partner_type: PartnerType = partner_type.parse().map_err(DealError::BadCommand)?;
        let new = NewPartner {
            name,
            partner_type,
            conversation: conversation.clone(),
            workspace,
            tier,
            manager_user: match requester {
                Requester::Chat(a) => Some(a.user.clone()),
                Requester::Cli => None,
            },
        };
        let audit = AuditEntry {
            actor: &actor,
            surface,
            entity: "partner",
            action: "partner_added",
            detail: serde_json::json!({ "name": new.name, "type": partner_type.as_str(), "platform": conversation.platform.as_str(), "channel": conversation.id, "team": new.workspace }),
        };
        let welcome = |partner: &Partner| -> anyhow::Result<Vec<OutboxMessage>> {
            Ok(vec![super::message_to(
                "partner_linked",
                &partner.conversation,
                Notice::PartnerLinked {
                    partner: partner.clone(),
                },
            )])
        };
        match self
            .store
            .add_partner(&new, &audit, self.clock.now_ms(), welcome)
            .await
        {
            Ok(partner) => {
                tracing::info!(partner_id = partner.id.0, "partner linked");
                self.wake_delivery();
                Ok(partner)
            }
            Err(StoreError::Duplicate(msg)) => Err(DealError::BadCommand(msg).into()),
            Err(StoreError::Other(e)) => Err(e.into()),
        }
    }
}
