//! Registering, listing and showing deals.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::domain::deal::Surface;
use crate::domain::matching::{index_keys, Candidate};
use crate::domain::{Deal, DealDraft, DealError, DealId, DealStatus, Partner};
use crate::store::{Created, OutboxMessage, Registration};
use serde_json::{json, Value};

/// How many deals `/deal list` shows before "…and N older".
const LIST_LIMIT: i64 = 20;

/// A registration that was stored (or found, for a repeated submission).
#[derive(Debug, Clone)]
pub struct Registered {
    pub deal: Deal,
    pub partner: Partner,
    pub repeated: bool,
}

/// What the registration modal carries through Slack and back.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ModalMetadata {
    /// The channel `/deal` was typed in.
    pub channel: String,
}

impl Service {
    /// The registration modal for `actor`, or a refusal when they act for no partner.
    pub async fn registration_form(&self, actor: &Actor) -> ServiceResult<Value> {
        let partner = self.partner_of(actor).await?;
        let channel = actor
            .channel
            .clone()
            .unwrap_or_else(|| partner.slack_channel.clone());
        let metadata =
            serde_json::to_string(&ModalMetadata { channel }).map_err(anyhow::Error::from)?;
        Ok(self.render.registration_modal(
            &partner.name,
            &metadata,
            self.clock.now().date_naive(),
        )?)
    }

    /// Validates and stores a registration with its audit row, the partner's confirmation and
    /// the managers' review card, atomically. `key` makes a repeated submission idempotent.
    #[tracing::instrument(skip_all, fields(slack_user = %actor.user, partner_id, deal_id))]
    pub async fn register(
        &self,
        actor: &Actor,
        draft: &DealDraft,
        surface: Surface,
        key: Option<String>,
    ) -> ServiceResult<Registered> {
        let partner = self.partner_of(actor).await?;
        tracing::Span::current().record("partner_id", partner.id.0);
        let now = self.clock.now();
        let deal = draft
            .validate(
                now.date_naive(),
                &self.program.program.default_currency,
                surface,
            )
            .map_err(DealError::Invalid)?;
        let customer = Candidate::new(&deal.company, deal.domain.as_deref());
        let registration = Registration {
            partner_id: partner.id,
            deal,
            status: DealStatus::PendingReview,
            user: actor.user.clone(),
            user_team: actor.team.clone(),
            channel: actor
                .channel
                .clone()
                .unwrap_or_else(|| partner.slack_channel.clone()),
            surface: match surface {
                Surface::Modal => "slack_modal",
                Surface::OneLine => "slack_command",
            }
            .into(),
            idempotency_key: key,
            match_keys: index_keys(&customer),
        };
        let managers_channel = self.program.managers.slack_channel.clone();
        let (deal, created) = self
            .store
            .register_deal(&registration, now.timestamp_millis(), |deal| {
                Ok(vec![
                    OutboxMessage {
                        kind: "deal_confirmation".into(),
                        channel: partner.slack_channel.clone(),
                        ephemeral_user: None,
                        payload: self.render.deal_confirmation(deal)?,
                        deal_id: Some(deal.id.0),
                    },
                    OutboxMessage {
                        kind: "review_card".into(),
                        channel: managers_channel,
                        ephemeral_user: None,
                        payload: self.render.review_card(deal, &partner)?,
                        deal_id: Some(deal.id.0),
                    },
                ])
            })
            .await?;
        tracing::Span::current().record("deal_id", deal.id.0);
        let repeated = created == Created::AlreadyRegistered;
        if repeated {
            tracing::info!("repeated submission: returning the deal it already created");
        } else {
            tracing::info!(status = deal.status.as_str(), "deal registered");
            self.wake_delivery();
        }
        Ok(Registered {
            deal,
            partner,
            repeated,
        })
    }

    /// `/deal list`: the caller's partner's deals; for a manager outside a partner channel,
    /// the latest deals of every partner.
    pub async fn list_deals(&self, actor: &Actor) -> ServiceResult<Value> {
        match self.partner_of(actor).await {
            Ok(partner) => {
                let (deals, total) = self.store.deals_of_partner(partner.id, LIST_LIMIT).await?;
                let title = format!(
                    "{} deal{} registered by {}",
                    total,
                    if total == 1 { "" } else { "s" },
                    partner.name
                );
                Ok(self
                    .render
                    .deal_list(&title, &deals, total - deals.len() as i64)?)
            }
            Err(ServiceError::Rejected(DealError::NotLinked)) if self.is_manager(&actor.user) => {
                let (deals, total) = self.store.recent_deals(LIST_LIMIT).await?;
                let title = format!("Latest deals of all partners ({total} in all)");
                Ok(self
                    .render
                    .deal_list(&title, &deals, total - deals.len() as i64)?)
            }
            Err(e) => Err(e),
        }
    }

    /// `/deal show ID`: one deal, only to its own partner's users and to managers. Anyone else
    /// gets the same answer as for a deal that does not exist, so ids reveal nothing.
    pub async fn show_deal(&self, actor: &Actor, id_text: &str) -> ServiceResult<Value> {
        let id: DealId = id_text.parse()?;
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        if self.is_manager(&actor.user) {
            let partner_name = self.store.partner(deal.partner_id).await?.map(|p| p.name);
            return Ok(self.render.deal_detail(&deal, partner_name.as_deref())?);
        }
        match self.partner_of(actor).await {
            Ok(partner) if partner.id == deal.partner_id => {
                Ok(self.render.deal_detail(&deal, None)?)
            }
            Ok(_) | Err(ServiceError::Rejected(DealError::NotLinked)) => {
                tracing::warn!(
                    deal_id = id.0,
                    "refused to show a deal to a user of another partner"
                );
                Err(DealError::NotFound(id).into())
            }
            Err(e) => Err(e),
        }
    }

    /// The payload Slack expects after a modal submission succeeded.
    pub fn registration_done_view(&self, registered: &Registered) -> ServiceResult<Value> {
        let view = self.render.registration_done(&registered.deal)?;
        Ok(json!({ "response_action": "update", "view": view }))
    }
}

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        ServiceError::Internal(e.into())
    }
}
