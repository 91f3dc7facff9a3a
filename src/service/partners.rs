//! Onboarding partners: linking a shared channel to a partner organisation.

use super::{Actor, Service, ServiceResult};
use crate::domain::partner::validate_partner_name;
use crate::domain::{DealError, Partner, PartnerType};
use crate::notice::Notice;
use crate::store::{AuditEntry, NewPartner, OutboxMessage, StoreError};

/// Partner tiers, lowest first; "registered" until tiers are computed from revenue.
pub const TIERS: [&str; 5] = ["registered", "inactive", "silver", "gold", "platinum"];

/// Who asks to link a partner: the command line (an operator) or a Slack user.
#[derive(Debug, Clone)]
pub enum Requester {
    Cli,
    Slack(Actor),
}

/// The tier a new partner starts at (`registered` unless given), if it is one.
fn starting_tier(tier: Option<&str>) -> Result<String, DealError> {
    let tier = tier.unwrap_or("registered").trim().to_ascii_lowercase();
    if TIERS.contains(&tier.as_str()) {
        return Ok(tier);
    }
    Err(DealError::BadCommand(format!(
        "“{tier}” is not a tier: use one of {}",
        TIERS.join(", ")
    )))
}

/// Refuses a channel or partner team that is not a Slack id (a wrong team would lock every one
/// of the partner's users out).
fn check_ids(channel: &str, team: Option<&str>) -> Result<(), DealError> {
    if !crate::config::is_slack_id(channel, &['C', 'G']) {
        return Err(DealError::BadCommand(format!(
            "“{channel}” is not a Slack channel id like C0123ABCD"
        )));
    }
    match team.filter(|t| !crate::config::is_slack_id(t, &['T', 'E'])) {
        Some(team) => Err(DealError::BadCommand(format!(
            "“{team}” is not a Slack team id like T0123ABCD (the partner's workspace id; leave it out if unsure)"
        ))),
        None => Ok(()),
    }
}

impl Service {
    /// Links `channel` to a new partner and posts a welcome there. Slack users must be managers.
    pub async fn add_partner(
        &self,
        requester: &Requester,
        name: &str,
        partner_type: &str,
        channel: &str,
        team: Option<String>,
    ) -> ServiceResult<Partner> {
        self.add_partner_with_tier(requester, name, partner_type, channel, team, None)
            .await
    }

    /// [`Service::add_partner`] with a starting tier (registered, silver, gold, platinum).
    #[tracing::instrument(skip_all, fields(partner_name = %name, slack_channel = %channel))]
    pub async fn add_partner_with_tier(
        &self,
        requester: &Requester,
        name: &str,
        partner_type: &str,
        channel: &str,
        team: Option<String>,
        tier: Option<&str>,
    ) -> ServiceResult<Partner> {
        let tier = starting_tier(tier)?;
        let (actor, surface) = match requester {
            Requester::Cli => ("cli".to_string(), "cli"),
            Requester::Slack(a) if self.is_manager(&a.user) => (a.user.clone(), "slack_command"),
            Requester::Slack(_) => return Err(DealError::NotManager.into()),
        };
        let name = validate_partner_name(name).map_err(DealError::BadCommand)?;
        let partner_type: PartnerType = partner_type.parse().map_err(DealError::BadCommand)?;
        check_ids(channel, team.as_deref())?;
        let new = NewPartner {
            name,
            partner_type,
            slack_channel: channel.to_string(),
            slack_team: team,
            tier,
            manager_user: match requester {
                Requester::Slack(a) => Some(a.user.clone()),
                Requester::Cli => None,
            },
        };
        let audit = AuditEntry {
            actor: &actor,
            surface,
            entity: "partner",
            action: "partner_added",
            detail: serde_json::json!({ "name": new.name, "type": partner_type.as_str(), "channel": channel, "team": new.slack_team }),
        };
        let welcome = |partner: &Partner| -> anyhow::Result<Vec<OutboxMessage>> {
            Ok(vec![super::message_to(
                "partner_linked",
                &partner.slack_channel,
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

    /// Every partner; managers only (and the command line).
    pub async fn list_partners(&self, requester: &Requester) -> ServiceResult<Vec<Partner>> {
        if let Requester::Slack(a) = requester {
            if !self.is_manager(&a.user) {
                return Err(DealError::NotManager.into());
            }
        }
        Ok(self.store.partners().await?)
    }
}
