//! Moving a deal's stage, and extending protection: the first extension is automatic when the
//! stage advanced since registration, otherwise (and for the second) the managers decide.

use super::progress::form_metadata;
use super::{Actor, Answer, Service, ServiceResult};
use crate::chat::Via;
use crate::domain::engagement::{extension_outcome, ExtensionOutcome, ExtensionRefusal};
use crate::domain::{Deal, DealError, DealId};
use crate::notice::{ExtensionDetails, ExtensionStep, Notice};
use crate::store::{AuditEntry, DealChange};
use chrono::Duration;
use serde_json::json;

/// The extension notice of `step` about `deal`.
fn extension(step: ExtensionStep, deal: &Deal, details: ExtensionDetails) -> Notice {
    Notice::Extension {
        step,
        deal: deal.clone(),
        details,
    }
}

/// An extension granted without the managers, because the stage advanced since registration.
fn automatic(deal: &Deal, days: u32) -> ExtensionDetails {
    ExtensionDetails {
        automatic: true,
        from_stage: Some(deal.registered_stage.map_or("-", |s| s.as_str()).into()),
        to_stage: Some(deal.stage.as_str().into()),
        days,
        ..ExtensionDetails::default()
    }
}

impl Service {
    /// A deal the actor may act on as its partner (or as a manager).
    pub(super) async fn own_deal(&self, actor: &Actor, id: DealId) -> ServiceResult<Deal> {
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        if self.is_manager(&actor.user) {
            return Ok(deal);
        }
        match self.partner_of(actor).await {
            Ok(p) if p.id == deal.partner_id => Ok(deal),
            _ => Err(DealError::NotFound(id).into()),
        }
    }

    /// The deal a partner asks to extend, checked before the justification form opens.
    pub async fn deal_for_extension(&self, actor: &Actor, deal_id: DealId) -> ServiceResult<Deal> {
        let deal = self.own_deal(actor, deal_id).await?;
        let asked = self.extension_of(&deal, deal.extension_request.is_some());
        asked.map_err(DealError::from)?;
        Ok(deal)
    }

    /// How extending `deal` would go under the program's rules (`waiting`: a request is
    /// already waiting), or why it cannot be asked for.
    pub(super) fn extension_of(
        &self,
        deal: &Deal,
        waiting: bool,
    ) -> Result<ExtensionOutcome, ExtensionRefusal> {
        extension_outcome(
            deal.status,
            deal.extensions,
            self.program.rules.max_extensions,
            deal.registered_stage,
            deal.stage,
            waiting,
        )
    }

    /// The justification modal for an extension request.
    pub async fn extension_form(&self, actor: &Actor, deal_id: DealId) -> ServiceResult<Answer> {
        let deal = self.deal_for_extension(actor, deal_id).await?;
        Ok(Answer::ExtensionForm {
            metadata: form_metadata(&deal, actor),
            deal,
            days: self.program.rules.extension_days,
        })
    }

    /// A partner asks for more protection, with a justification.
    pub async fn request_extension(
        &self,
        actor: &Actor,
        deal_id: DealId,
        justification: &str,
    ) -> ServiceResult<String> {
        let justification = justification.trim();
        if justification.chars().count() < 3 {
            return Err(DealError::from(ExtensionRefusal::NoJustification).into());
        }
        let deal = self.deal_for_extension(actor, deal_id).await?;
        let outcome = self.extension_of(&deal, false).map_err(DealError::from)?;
        let partner = self.partner_of_deal(&deal).await?;
        let now = self.clock.now_ms();
        if outcome == ExtensionOutcome::Automatic {
            let context = automatic(&deal, self.program.rules.extension_days);
            return self
                .grant(
                    &deal,
                    &partner,
                    (&actor.user, actor.surface(Via::Form)),
                    justification,
                    context,
                    now,
                )
                .await;
        }
        let messages = self.request_messages(&deal, &partner, justification);
        let audit = AuditEntry {
            actor: &actor.user,
            surface: actor.surface(Via::Form),
            entity: "deal",
            action: "extension_requested",
            detail: json!({ "justification": justification }),
        };
        if !self
            .store
            .change_deal_once(
                deal.id,
                DealChange::RequestExtension { justification },
                &audit,
                &messages,
                now,
            )
            .await?
        {
            return Err(DealError::from(ExtensionRefusal::RequestedMeanwhile).into());
        }
        self.wake_delivery();
        Ok(format!(
            "Your request to extend {} went to the partner managers.",
            deal.id
        ))
    }

    /// The managers' card asking them to decide a request, and the partner's note that it went.
    fn request_messages(
        &self,
        deal: &Deal,
        partner: &crate::domain::Partner,
        justification: &str,
    ) -> [crate::store::OutboxMessage; 2] {
        let rules = &self.program.rules;
        let card = ExtensionDetails {
            partner_name: Some(partner.name.clone()),
            days: rules.extension_days,
            number: deal.extensions + 1,
            max: rules.max_extensions,
            justification: justification.to_string(),
            ..ExtensionDetails::default()
        };
        let to_managers = self.in_thread(
            "review_card",
            extension(ExtensionStep::RequestCard, deal, card),
        );
        let to_partner = self.in_thread(
            "deal_confirmation",
            extension(ExtensionStep::Requested, deal, ExtensionDetails::default()),
        );
        let managers = &self.program.managers_conversation();
        [
            self.deal_message(deal, "extension_request", managers, to_managers),
            self.deal_message(
                deal,
                "extension_requested",
                &partner.conversation,
                to_partner,
            ),
        ]
    }

    /// A manager grants or declines the waiting extension request.
    pub async fn decide_extension(
        &self,
        actor: &Actor,
        id: DealId,
        grant: bool,
    ) -> ServiceResult<String> {
        let (user, surface) = (actor.user.as_str(), actor.surface(Via::Button));
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        let Some(justification) = deal.extension_request.clone() else {
            return Err(DealError::from(ExtensionRefusal::NoneWaiting(id)).into());
        };
        let partner = self.partner_of_deal(&deal).await?;
        let now = self.clock.now_ms();
        if grant {
            let context = ExtensionDetails {
                by: Some(user.to_string()),
                days: self.program.rules.extension_days,
                ..ExtensionDetails::default()
            };
            return self
                .grant(
                    &deal,
                    &partner,
                    (user, surface),
                    &justification,
                    context,
                    now,
                )
                .await;
        }
        if !self.decline(&deal, &partner, (user, surface), now).await? {
            return Err(DealError::from(ExtensionRefusal::AlreadyDecided(id)).into());
        }
        self.wake_delivery();
        Ok(format!("Declined the extension of {id}."))
    }

    /// Declines the waiting request and tells the partner; false when it was already decided.
    async fn decline(
        &self,
        deal: &Deal,
        partner: &crate::domain::Partner,
        (user, surface): (&str, &str),
        now: i64,
    ) -> anyhow::Result<bool> {
        let declined = ExtensionDetails {
            by: Some(user.to_string()),
            ..ExtensionDetails::default()
        };
        let notice = self.in_thread(
            "deal_confirmation",
            extension(ExtensionStep::Declined, deal, declined),
        );
        let audit = AuditEntry {
            actor: user,
            surface,
            entity: "deal",
            action: "extension_declined",
            detail: json!({}),
        };
        let message = self.deal_message(deal, "extension_declined", &partner.conversation, notice);
        self.store
            .change_deal_once(
                deal.id,
                DealChange::DeclineExtension,
                &audit,
                &[message],
                now,
            )
            .await
    }

    /// The partner's and the managers' notices of a granted extension.
    fn granted_messages(
        &self,
        extended: &Deal,
        partner: &crate::domain::Partner,
        context: ExtensionDetails,
    ) -> [crate::store::OutboxMessage; 2] {
        let internal = ExtensionDetails {
            partner_name: Some(partner.name.clone()),
            ..context.clone()
        };
        let to_partner = self.in_thread(
            "deal_confirmation",
            extension(ExtensionStep::Granted, extended, context),
        );
        let to_managers = self.in_thread(
            "review_card",
            extension(ExtensionStep::Granted, extended, internal),
        );
        let managers = &self.program.managers_conversation();
        [
            self.deal_message(
                extended,
                "extension_granted",
                &partner.conversation,
                to_partner,
            ),
            self.deal_message(extended, "extension_granted", managers, to_managers),
        ]
    }

    async fn grant(
        &self,
        deal: &Deal,
        partner: &crate::domain::Partner,
        (actor, surface): (&str, &str),
        justification: &str,
        context: ExtensionDetails,
        now: i64,
    ) -> ServiceResult<String> {
        let days = i64::from(self.program.rules.extension_days);
        let base = deal
            .protected_until
            .ok_or_else(|| anyhow::anyhow!("approved deal without protection date"))?;
        let until = base + Duration::days(days);
        let mut extended = deal.clone();
        extended.protected_until = Some(until);
        let messages = self.granted_messages(&extended, partner, context);
        let audit = AuditEntry {
            actor,
            surface,
            entity: "deal",
            action: "extended",
            detail: json!({ "until": until.to_string(), "justification": justification, "extension": deal.extensions + 1 }),
        };
        if !self
            .store
            .change_deal_once(
                deal.id,
                DealChange::Extend {
                    until: &until.to_string(),
                    seen_extensions: deal.extensions,
                },
                &audit,
                &messages,
                now,
            )
            .await?
        {
            return Err(DealError::ChangedMeanwhile(deal.id).into());
        }
        self.wake_delivery();
        Ok(format!("{} is protected until {until}.", deal.id))
    }
}
