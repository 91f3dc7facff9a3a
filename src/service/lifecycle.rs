//! What the scheduled jobs do to registrations: escalate decisions waiting past the SLA, remind
//! partners before protection ends, and expire registrations whose protection ended. Each
//! change is guarded in the store, so running a job twice announces nothing twice. `now` is the
//! business time the job runs as of (`jobs run --at`); writes are stamped with the real clock so
//! their messages are due at once.

use super::Service;
use crate::domain::engagement::{business_days_between, due_reminder};
use crate::domain::{Deal, DealStatus, Partner};
use crate::notice::Notice;
use crate::store::{AuditEntry, DealChange};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

/// The audit row of a change a scheduled job made to a deal.
fn job_audit(action: &str, detail: serde_json::Value) -> AuditEntry<'_> {
    AuditEntry {
        actor: "system",
        surface: "job",
        entity: "deal",
        action,
        detail,
    }
}

impl Service {
    /// Escalates, once each, registrations waiting for a decision for more business days than
    /// the SLA. Returns how many were escalated by this run.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let sla = self.program.rules.approval_sla_business_days;
        let mut escalated = 0;
        for id in self
            .store
            .deal_ids_in(&[DealStatus::PendingReview, DealStatus::Conflict])
            .await?
        {
            let Some(deal) = self.store.deal(id).await? else {
                continue;
            };
            let waited = business_days_between(deal.created_at.date_naive(), now.date_naive());
            if waited <= i64::from(sla) || self.store.lifecycle_marks(id).await?.0.is_some() {
                continue;
            }
            let partner_name = self
                .store
                .partner(deal.partner_id)
                .await?
                .map(|p| p.name)
                .unwrap_or_default();
            let payload = self.in_thread(
                "review_card",
                Notice::Escalation {
                    deal: deal.clone(),
                    partner_name,
                    waited,
                    sla,
                },
            );
            let message = self.deal_message(
                &deal,
                "escalation",
                &self.program.managers_conversation(),
                payload,
            );
            let audit = job_audit("escalated", json!({ "business_days": waited }));
            if self
                .store
                .change_deal_once(
                    id,
                    DealChange::Escalate,
                    &audit,
                    &[message],
                    self.clock.now_ms(),
                )
                .await?
            {
                escalated += 1;
            }
        }
        self.wake_delivery();
        Ok(escalated)
    }

    /// Reminds partners before protection ends and expires registrations whose protection ended.
    /// Returns (expired, reminded) by this run.
    pub async fn expire_and_remind(&self, now: DateTime<Utc>) -> anyhow::Result<(usize, usize)> {
        let today = now.date_naive();
        let marks: Vec<i64> = self
            .program
            .rules
            .expiry_reminder_days
            .iter()
            .map(|d| i64::from(*d))
            .collect();
        let (mut expired, mut reminded) = (0, 0);
        for id in self.store.deal_ids_in(&[DealStatus::Approved]).await? {
            let Some(deal) = self.store.deal(id).await? else {
                continue;
            };
            let Some(until) = deal.protected_until else {
                continue;
            };
            let partner = self
                .store
                .partner(deal.partner_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("deal {id} has no partner"))?;
            if until < today {
                expired += usize::from(self.expire(&deal, &partner, until).await?);
            } else {
                let days_left = (until - today).num_days();
                reminded += usize::from(self.remind(&deal, &partner, days_left, &marks).await?);
            }
        }
        self.wake_delivery();
        Ok((expired, reminded))
    }

    /// Expires `deal` (protected until `until`), telling its partner and the managers; false
    /// when an earlier run already did.
    async fn expire(
        &self,
        deal: &Deal,
        partner: &Partner,
        until: NaiveDate,
    ) -> anyhow::Result<bool> {
        let expired_for = |partner_name| Notice::ProtectionNotice {
            deal: deal.clone(),
            days_left: 0,
            expired: true,
            partner_name,
            extension: None,
        };
        let to_partner = self.in_thread("deal_confirmation", expired_for(None));
        let to_managers = self.in_thread("review_card", expired_for(Some(partner.name.clone())));
        let managers = &self.program.managers_conversation();
        let messages = [
            self.deal_message(deal, "expiry_notice", &partner.conversation, to_partner),
            self.deal_message(deal, "expiry_notice", managers, to_managers),
        ];
        let audit = job_audit("expired", json!({ "protected_until": until.to_string() }));
        self.store
            .change_deal_once(
                deal.id,
                DealChange::Transition {
                    from: DealStatus::Approved,
                    to: DealStatus::Expired,
                },
                &audit,
                &messages,
                self.clock.now_ms(),
            )
            .await
    }

    /// Reminds the partner that protection ends in `days_left` days when that is one of the
    /// `marks` not reminded yet; false when no reminder was due (or an earlier run sent it).
    async fn remind(
        &self,
        deal: &Deal,
        partner: &Partner,
        days_left: i64,
        marks: &[i64],
    ) -> anyhow::Result<bool> {
        let sent_text = self.store.lifecycle_marks(deal.id).await?.1;
        let sent: Vec<i64> = sent_text
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect();
        let Some(mark) = due_reminder(days_left, marks, &sent) else {
            return Ok(false);
        };
        let payload = self.in_thread(
            "deal_confirmation",
            Notice::ProtectionNotice {
                deal: deal.clone(),
                days_left,
                expired: false,
                partner_name: None,
                extension: self.extension_offer(deal),
            },
        );
        let message = self.deal_message(deal, "expiry_reminder", &partner.conversation, payload);
        let after = if sent_text.is_empty() {
            mark.to_string()
        } else {
            format!("{sent_text},{mark}")
        };
        let audit = job_audit("reminded", json!({ "days_left": days_left }));
        let now = self.clock.now_ms();
        let change = DealChange::Remind {
            before: &sent_text,
            after: &after,
        };
        self.store
            .change_deal_once(deal.id, change, &audit, &[message], now)
            .await
    }

    /// Days an extension would add, when the deal may still ask for one.
    fn extension_offer(&self, deal: &Deal) -> Option<u32> {
        let rules = &self.program.rules;
        (deal.extensions < rules.max_extensions && deal.extension_request.is_none())
            .then_some(rules.extension_days)
    }
}
