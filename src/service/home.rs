//! The Home tab's content for one person, as typed data the platform adapter renders: a
//! partner's own deals, the managers' review queue with the program figures, or an AE's alerts.
//! Who sees what follows `/deal list` and `/deal show`: a partner's users see their partner's
//! deals only, managers see every partner's, an AE only the alerts that were sent to them.

use super::{Actor, Service, ServiceError, ServiceResult};
use crate::chat::Conversation;
use crate::domain::deal::DealFilter;
use crate::domain::engagement::business_days_between;
use crate::domain::engagement::AeChoice;
use crate::domain::{Deal, DealError, DealStatus, PartnerId};
use crate::intent::StatsPeriod;
use std::collections::HashMap;

/// Deals per group (expiring, open, won) on one page of a partner's Home tab. Each deal takes
/// two blocks (its line and its buttons): three full groups stay far below Slack's 100.
pub const DEALS_PER_GROUP: i64 = 8;
/// Registrations per page of the managers' queue (two blocks each, plus group headings).
pub const QUEUE_PER_PAGE: i64 = 20;
/// Alerts per page of an AE's Home tab (two blocks each).
pub const ALERTS_PER_PAGE: i64 = 20;
/// The period of the program figures managers see.
const FIGURES_DAYS: i64 = 30;

/// What one person's Home tab shows.
#[derive(Debug, Clone)]
pub enum HomeView {
    /// A partner's user: their partner's deals.
    Partner(PartnerHome),
    /// A partner manager: the review queue and the program figures.
    Manager(ManagerHome),
    /// An account executive: the partner registrations of their accounts.
    Ae(AeHome),
    /// Anyone else: what partnerbot is, in a few words.
    Intro,
}

/// A partner's page of deals, grouped.
#[derive(Debug, Clone)]
pub struct PartnerHome {
    pub partner_name: String,
    /// The partner's shared channel, where a registration started here is confirmed.
    pub conversation: Conversation,
    pub page: u32,
    /// Expiring soon, open, won, in that order.
    pub groups: Vec<DealGroup>,
    /// The next page, when any group has more.
    pub next_page: Option<u32>,
}

/// One group of a partner's deals: `total` in all, `deals` on this page.
#[derive(Debug, Clone)]
pub struct DealGroup {
    pub filter: DealFilter,
    pub total: i64,
    pub deals: Vec<HomeDeal>,
}

/// A deal with what its owner may do with it from here.
#[derive(Debug, Clone)]
pub struct HomeDeal {
    pub deal: Deal,
    /// Still in play, so it can be updated.
    pub can_update: bool,
    /// Protection can be extended (or an extension requested) now.
    pub can_extend: bool,
    /// Returned for information: it can be corrected and resubmitted.
    pub returned: bool,
}

/// The managers' page of the review queue.
#[derive(Debug, Clone)]
pub struct ManagerHome {
    pub page: u32,
    /// Registrations waiting in all.
    pub total: i64,
    pub items: Vec<QueueItem>,
    /// The program figures, formatted for people (the keys `/partners stats` shows).
    pub figures: serde_json::Value,
    pub next_page: Option<u32>,
}

/// A registration waiting for the managers, and why.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub deal: Deal,
    pub partner_name: String,
    pub reason: QueueReason,
}

/// Why a registration is in the queue; the groups are shown in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueReason {
    /// Waiting for a decision for more business days than the SLA.
    PastSla { waited: i64 },
    /// In conflict review.
    Conflict,
    /// Waiting for a decision, within the SLA.
    Pending,
    /// Approved, with an extension request to grant or decline.
    Extension,
}

/// An AE's page of alerts.
#[derive(Debug, Clone)]
pub struct AeHome {
    pub page: u32,
    pub total: i64,
    pub alerts: Vec<AeAlert>,
    pub next_page: Option<u32>,
}

/// A partner registration that matched an account of the AE, and their latest answer.
#[derive(Debug, Clone)]
pub struct AeAlert {
    pub deal: Deal,
    pub partner_name: String,
    /// The label of the AE's latest answer (`Propose co-sell`), if they answered.
    pub answer: Option<&'static str>,
}

/// The next page number when `offset + shown` items of `total` have been seen.
fn next_page(page: u32, offset: i64, shown: usize, total: i64) -> Option<u32> {
    (offset + (shown as i64) < total).then_some(page + 1)
}

impl Service {
    /// Page `page` (from 1) of `actor`'s Home tab. Managers come first, then a partner's users,
    /// then AEs who were alerted; anyone else sees the introduction. The actor is the person
    /// outside any channel: their partner is the one they act for.
    #[tracing::instrument(skip_all, fields(chat_user = %actor.user, page))]
    pub async fn home(&self, actor: &Actor, page: u32) -> ServiceResult<HomeView> {
        let page = page.max(1);
        let user = actor.user.as_str();
        if self.is_manager(user) {
            return self.manager_home(user, page).await.map(HomeView::Manager);
        }
        // The same lookup `/deal list` makes outside a partner channel.
        match self.partner_of(actor).await {
            Ok(partner) => {
                let home = self
                    .partner_home(partner.id, partner.name, partner.conversation, page)
                    .await?;
                return Ok(HomeView::Partner(home));
            }
            Err(ServiceError::Rejected(DealError::NotLinked)) => {}
            Err(e) => return Err(e),
        }
        let ae = self.ae_home(user, page).await?;
        Ok(match ae.total {
            0 => HomeView::Intro,
            _ => HomeView::Ae(ae),
        })
    }

    async fn partner_home(
        &self,
        partner: PartnerId,
        partner_name: String,
        conversation: Conversation,
        page: u32,
    ) -> ServiceResult<PartnerHome> {
        let today = self.clock.now().date_naive();
        let offset = i64::from(page - 1) * DEALS_PER_GROUP;
        let mut groups = Vec::new();
        let mut next = None;
        for filter in [DealFilter::Expiring, DealFilter::Open, DealFilter::Won] {
            let (deals, total) = self
                .store
                .list_deals(Some(partner), filter, today, DEALS_PER_GROUP, offset)
                .await?;
            next = next.or(next_page(page, offset, deals.len(), total));
            let deals = deals.into_iter().map(|d| self.home_deal(d)).collect();
            groups.push(DealGroup {
                filter,
                total,
                deals,
            });
        }
        Ok(PartnerHome {
            partner_name,
            conversation,
            page,
            groups,
            next_page: next,
        })
    }

    /// What a partner may do with `deal`, by the same rules the buttons' handlers apply.
    fn home_deal(&self, deal: Deal) -> HomeDeal {
        let can_extend = self
            .extension_of(&deal, deal.extension_request.is_some())
            .is_ok();
        HomeDeal {
            can_update: matches!(
                deal.status,
                DealStatus::Submitted
                    | DealStatus::PendingReview
                    | DealStatus::Conflict
                    | DealStatus::Approved
            ),
            returned: deal.status == DealStatus::Returned,
            can_extend,
            deal,
        }
    }

    async fn manager_home(&self, user: &str, page: u32) -> ServiceResult<ManagerHome> {
        let offset = i64::from(page - 1) * QUEUE_PER_PAGE;
        let (deals, total) = self.store.review_queue(QUEUE_PER_PAGE, offset).await?;
        let next = next_page(page, offset, deals.len(), total);
        let today = self.clock.now().date_naive();
        let sla = i64::from(self.program.rules.approval_sla_business_days);
        let names = self.partner_names().await?;
        let mut items: Vec<QueueItem> = deals
            .into_iter()
            .map(|deal| {
                let waited = business_days_between(deal.created_at.date_naive(), today);
                let reason = match deal.status {
                    DealStatus::Approved => QueueReason::Extension,
                    _ if waited > sla => QueueReason::PastSla { waited },
                    DealStatus::Conflict => QueueReason::Conflict,
                    _ => QueueReason::Pending,
                };
                let partner_name = names.get(&deal.partner_id).cloned().unwrap_or_default();
                QueueItem {
                    deal,
                    partner_name,
                    reason,
                }
            })
            .collect();
        // Groups in order; within one, the longest wait first (the queue is oldest first).
        items.sort_by_key(|i| (group_of(i.reason), i.deal.id.0));
        let figures = match self
            .partner_stats(user, "", StatsPeriod::Days(FIGURES_DAYS))
            .await?
        {
            super::Answer::Stats(figures) => figures,
            _ => serde_json::Value::Null,
        };
        Ok(ManagerHome {
            page,
            total,
            items,
            figures,
            next_page: next,
        })
    }

    async fn partner_names(&self) -> anyhow::Result<HashMap<PartnerId, String>> {
        Ok(self
            .store
            .partners()
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    }

    async fn ae_home(&self, user: &str, page: u32) -> ServiceResult<AeHome> {
        let offset = i64::from(page - 1) * ALERTS_PER_PAGE;
        let (deals, total) = self
            .store
            .deals_alerted_to(user, ALERTS_PER_PAGE, offset)
            .await?;
        if total == 0 {
            return Ok(AeHome {
                page,
                total,
                alerts: Vec::new(),
                next_page: None,
            });
        }
        let next = next_page(page, offset, deals.len(), total);
        let actions: Vec<&str> = AeChoice::ALL.iter().map(|c| c.action()).collect();
        // Oldest first, so the latest answer to a deal wins.
        let answers: HashMap<i64, &'static str> = self
            .store
            .ae_answers_of(user, &actions)
            .await?
            .into_iter()
            .filter_map(|(deal, action)| Some((deal, AeChoice::from_action(&action)?.label())))
            .collect();
        let names = self.partner_names().await?;
        let alerts = deals
            .into_iter()
            .map(|deal| AeAlert {
                partner_name: names.get(&deal.partner_id).cloned().unwrap_or_default(),
                answer: answers.get(&deal.id.0).copied(),
                deal,
            })
            .collect();
        Ok(AeHome {
            page,
            total,
            alerts,
            next_page: next,
        })
    }
}

/// The position of a reason's group (the SLA breaches first, whatever their wait).
fn group_of(reason: QueueReason) -> u8 {
    match reason {
        QueueReason::PastSla { .. } => 0,
        QueueReason::Conflict => 1,
        QueueReason::Pending => 2,
        QueueReason::Extension => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_page_exists_only_while_items_remain() {
        assert_eq!(next_page(1, 0, 8, 9), Some(2));
        assert_eq!(next_page(1, 0, 8, 8), None);
        assert_eq!(next_page(3, 16, 0, 8), None, "past the end");
    }

    #[test]
    fn sla_breaches_come_before_conflicts_pending_and_extensions() {
        let mut reasons = [
            QueueReason::Extension,
            QueueReason::Pending,
            QueueReason::PastSla { waited: 3 },
            QueueReason::Conflict,
        ];
        reasons.sort_by_key(|r| group_of(*r));
        assert_eq!(
            reasons,
            [
                QueueReason::PastSla { waited: 3 },
                QueueReason::Conflict,
                QueueReason::Pending,
                QueueReason::Extension
            ]
        );
    }
}
