//! Managers' decisions on registrations: approve (starts protection), reject with a reason,
//! return with a question. The card is updated in place and the partner is told.

use super::{Service, ServiceResult};
use crate::chat::Via;
use crate::domain::engagement::{Decision, ReviewRefusal};
use crate::domain::{Deal, DealError, DealId, DealStatus, Partner};
use crate::notice::{MatchedRecord, MessageRef, NoteAbout, Notice};
use crate::store::{AuditEntry, OutboxMessage};
use chrono::Duration;
use serde_json::json;

/// Longest reason or question a manager may write (well within every platform's text limits).
const MAX_NOTE: usize = 2000;

/// The manager's words, trimmed: required to reject or return (the partner sees them), and short.
fn checked_note(decision: Decision, note: &str) -> Result<&str, DealError> {
    let note = note.trim();
    if decision != Decision::Approve && note.is_empty() {
        return Err(ReviewRefusal::NoteMissing.into());
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ReviewRefusal::NoteTooLong(MAX_NOTE).into());
    }
    Ok(note)
}

impl Service {
    /// The deal a manager is about to decide on (for the reason modal); refuses non-managers.
    pub async fn deal_for_decision(
        &self,
        user: &str,
        id: DealId,
        decision: Decision,
    ) -> ServiceResult<Deal> {
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        decision.check(deal.status, id)?;
        Ok(deal)
    }

    /// The managers' review card of a registration as it stands now (after a decision, who
    /// decided what; while it waits, the buttons). Managers only.
    pub async fn review_notice(&self, user: &str, id: DealId) -> ServiceResult<Notice> {
        if !self.is_manager(user) {
            return Err(DealError::NotManager.into());
        }
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        let partner = self.partner_of_deal(&deal).await?;
        let matches = self
            .conflicting_records(&partner, &deal.company, deal.domain.as_deref())
            .await?;
        let views = self.match_views(&matches).await?;
        let rule = self.conflict_rule(&deal, &matches);
        Ok(review_card(&deal, &partner, &views, rule))
    }

    /// Records a decision. Only managers decide; rejections and returns need the manager's words,
    /// which the partner sees. A decision on a registration already decided is refused, even when
    /// two managers click at the same moment.
    #[tracing::instrument(skip_all, fields(user = %actor.user, deal_id = %deal_id, decision = ?decision))]
    pub async fn decide(
        &self,
        actor: &super::Actor,
        deal_id: DealId,
        decision: Decision,
        note: &str,
    ) -> ServiceResult<Deal> {
        let user = actor.user.as_str();
        let deal = self.deal_for_decision(user, deal_id, decision).await?;
        let note = checked_note(decision, note)?;
        let partner = self.partner_of_deal(&deal).await?;
        let now = self.clock.now();
        let protected_until = (decision == Decision::Approve).then(|| {
            now.date_naive() + Duration::days(i64::from(self.program.rules.protection_days))
        });
        let matches = self
            .conflicting_records(&partner, &deal.company, deal.domain.as_deref())
            .await?;
        let views = self.match_views(&matches).await?;
        let has_card = self.has_review_card(deal.id).await?;
        let audit = AuditEntry {
            actor: user,
            surface: actor.surface(Via::Button),
            entity: "deal",
            action: decision.verb(),
            detail: json!({ "from": deal.status.as_str(), "note": note, "protected_until": protected_until.map(|d| d.to_string()) }),
        };
        let rule = self.conflict_rule(&deal, &matches);
        let decided = self
            .store
            .decide_deal(
                deal.id,
                decision.allowed_from(),
                decision.target(),
                user,
                note,
                protected_until,
                &audit,
                now.timestamp_millis(),
                |d| self.decision_messages(d, &partner, &views, rule, has_card),
            )
            .await?;
        let Some(decided) = decided else {
            return Err(self.decided_meanwhile(&deal, decision).await);
        };
        tracing::info!(status = decided.status.as_str(), "registration decided");
        self.wake_delivery();
        Ok(decided)
    }

    /// Why a decision found the registration no longer waiting: what it is now.
    async fn decided_meanwhile(&self, deal: &Deal, decision: Decision) -> super::ServiceError {
        let current = match self.store.deal(deal.id).await {
            Ok(found) => found.map_or(deal.status, |d| d.status),
            Err(e) => return e.into(),
        };
        decision
            .check(current, deal.id)
            .err()
            .unwrap_or(ReviewRefusal::DecidedMeanwhile.into())
            .into()
    }

    /// The rule of engagement a conflicting registration falls under (none when it is clear).
    fn conflict_rule(&self, deal: &Deal, matches: &[super::accounts::FoundMatch]) -> Option<&str> {
        let direct = matches
            .iter()
            .any(|m| m.record.kind == crate::store::RecordKind::DirectAccount);
        match (deal.status == DealStatus::Conflict, direct) {
            (false, _) => None,
            (true, true) => Some(self.program.rules.direct_conflict.as_str()),
            (true, false) => Some(self.program.rules.partner_conflict.as_str()),
        }
    }

    /// True when a review card was queued for the deal (its thread keeps the deal's history).
    async fn has_review_card(&self, deal: DealId) -> anyhow::Result<bool> {
        let managers = &self.program.managers_conversation();
        self.store
            .message_sent_to(deal, "review_card", &managers.id)
            .await
    }

    fn decision_messages(
        &self,
        deal: &Deal,
        partner: &Partner,
        views: &[MatchedRecord],
        rule: Option<&str>,
        has_card: bool,
    ) -> anyhow::Result<Vec<OutboxMessage>> {
        let managers = self.program.managers_conversation();
        let card = review_card(deal, partner, views, rule);
        let notice = Notice::DecisionNotice { deal: deal.clone() };
        // The card is updated in place once it is delivered (a new card if it never was); the
        // partner's notice goes in the thread of their confirmation.
        let mut messages = vec![
            self.deal_message(deal, "review_card_update", &managers, card)
                .replacing(MessageRef::deal("review_card")),
            self.deal_message(deal, "decision_notice", &partner.conversation, notice)
                .in_thread(MessageRef::deal("deal_confirmation")),
        ];
        // The decision also goes in the card's thread, where the deal's whole history is kept.
        if has_card {
            let by = deal.decided_by.as_deref().unwrap_or("-");
            let mut text = format!("decided {}: {}", deal.id, deal.status.label());
            if let Some(until) = deal.protected_until {
                text.push_str(&format!(", protected until {until}"));
            }
            if !deal.decision_note.is_empty() {
                text.push_str(&format!(": {}", deal.decision_note));
            }
            let note = Notice::note(NoteAbout::Decision, Some(by), text);
            messages.push(
                self.deal_message(deal, "decision_history", &managers, note)
                    .in_thread(MessageRef::deal("review_card")),
            );
        }
        Ok(messages)
    }
}

/// Refuses a resubmission of a registration no longer returned for information.
fn still_returned(deal: &Deal) -> Result<(), DealError> {
    if deal.status == DealStatus::Returned {
        return Ok(());
    }
    Err(ReviewRefusal::CannotResubmit(deal.id, deal.status).into())
}

/// The managers' card for `deal` as it stands.
pub(super) fn review_card(
    deal: &Deal,
    partner: &Partner,
    matches: &[MatchedRecord],
    rule: Option<&str>,
) -> Notice {
    Notice::ReviewCard {
        deal: deal.clone(),
        partner: partner.clone(),
        matches: matches.to_vec(),
        rule: rule.map(str::to_string),
    }
}

impl Service {
    /// The managers' card updated in place and the partner's note, after a resubmission by `by`.
    fn resubmitted_messages(
        &self,
        d: &Deal,
        partner: &Partner,
        views: &[MatchedRecord],
        rule: Option<&str>,
        by: &str,
    ) -> Vec<OutboxMessage> {
        let card = review_card(d, partner, views, rule);
        let text = format!(
            "resubmitted {} with corrected details; it is back with the partner managers ({}).",
            d.id,
            d.status.label()
        );
        let notice = Notice::note(NoteAbout::Resubmitted, Some(by), text);
        let managers = &self.program.managers_conversation();
        vec![
            self.deal_message(d, "review_card_update", managers, card)
                .replacing(MessageRef::deal("review_card")),
            self.deal_message(d, "resubmitted", &partner.conversation, notice)
                .in_thread(MessageRef::deal("deal_confirmation")),
        ]
    }

    /// The registration form filled with a returned registration, for its partner to correct.
    pub async fn resubmission_form(
        &self,
        actor: &super::Actor,
        deal_id: DealId,
    ) -> ServiceResult<super::Answer> {
        let deal = self.own_deal(actor, deal_id).await?;
        if deal.status != DealStatus::Returned {
            let refusal = ReviewRefusal::NotReturned(deal.id, deal.status);
            return Err(DealError::from(refusal).into());
        }
        let partner = self.partner_of_deal(&deal).await?;
        let channel = actor
            .channel
            .clone()
            .unwrap_or_else(|| partner.conversation.id.clone());
        let metadata = serde_json::to_string(&super::deals::ModalMetadata {
            channel,
            deal: Some(deal.id.0),
            source: None,
        })
        .map_err(anyhow::Error::from)?;
        Ok(super::Answer::RegistrationForm {
            partner_name: partner.name,
            metadata,
            today: self.clock.now().date_naive(),
            prefill: Some(deal),
            suggested: None,
        })
    }

    /// The partner's corrected registration: validated like a new one, checked for conflicts
    /// again, and put back in front of the managers with the card updated in place.
    pub async fn resubmit(
        &self,
        actor: &super::Actor,
        deal_id: DealId,
        draft: &crate::domain::DealDraft,
    ) -> ServiceResult<super::deals::Registered> {
        use crate::domain::deal::Surface;
        use crate::domain::matching::{index_keys, Candidate};
        let deal = self.own_deal(actor, deal_id).await?;
        still_returned(&deal)?;
        let partner = self.partner_of_deal(&deal).await?;
        let today = self.clock.now().date_naive();
        let currency = &self.program.program.default_currency;
        let corrected = draft
            .validate(today, currency, Surface::Modal)
            .map_err(DealError::Invalid)?;
        let matches = self
            .conflicting_records(&partner, &corrected.company, corrected.domain.as_deref())
            .await?;
        let verdict = super::deals::verdict_of(&matches);
        let views = self.match_views(&matches).await?;
        let keys = index_keys(&Candidate::new(
            &corrected.company,
            corrected.domain.as_deref(),
        ));
        let rule = self.rule_for(verdict);
        let audit = AuditEntry {
            actor: &actor.user,
            surface: actor.surface(Via::Form),
            entity: "deal",
            action: "resubmitted",
            detail: json!({ "status": verdict.status().as_str() }),
        };
        let updated = self
            .store
            .resubmit_deal(
                deal.id,
                &corrected,
                verdict.status(),
                &keys,
                &audit,
                self.clock.now_ms(),
                |d| Ok(self.resubmitted_messages(d, &partner, &views, rule, &actor.user)),
            )
            .await?
            .ok_or(ReviewRefusal::NoLongerReturned(deal.id))
            .map_err(DealError::from)?;
        self.wake_delivery();
        Ok(super::deals::Registered {
            deal: updated,
            partner,
            repeated: false,
            own_duplicate: false,
        })
    }
}
