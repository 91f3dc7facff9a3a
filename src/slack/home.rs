//! The Home tab as Block Kit: each [`HomeView`] rendered to a `home` view for `views.publish`,
//! through the `home_*` templates. The buttons carry the same action ids and values as the
//! messages they mirror (review cards, AE alerts, deal confirmations), so the same handlers
//! answer them; `home_page` turns the page.

use super::render::{DealView, Renderer};
use crate::chat::Platform;
use crate::domain::deal::DealFilter;
use crate::service::home::{AeHome, ManagerHome, PartnerHome, QueueItem, QueueReason};
use crate::service::HomeView;
use serde_json::{json, Value};

/// `action_id` of the Home tab's paging buttons; the value is the page to show.
pub const PAGE_ACTION: &str = "home_page";

impl Renderer {
    /// The Home tab view for `home`, with `note` (the answer to the person's last click there,
    /// which has no channel to be shown in) at the top.
    pub fn home(&self, home: &HomeView, note: Option<&str>) -> anyhow::Result<Value> {
        let (name, mut context) = match home {
            HomeView::Partner(p) => ("home_partner/view.json", partner_context(p)),
            HomeView::Manager(m) => ("home_manager/view.json", manager_context(m)),
            HomeView::Ae(a) => ("home_ae/view.json", ae_context(a)),
            HomeView::Intro => ("home_intro/view.json", json!({})),
        };
        context["note"] = json!(note);
        context["program_name"] = json!(self.program_name);
        self.render_fit(name, context)
    }
}

fn group_title(filter: DealFilter) -> &'static str {
    match filter {
        DealFilter::Expiring => "Expiring soon",
        DealFilter::Open => "Open",
        DealFilter::Won => "Won",
        DealFilter::All => "All deals",
    }
}

fn partner_context(p: &PartnerHome) -> Value {
    let groups: Vec<Value> = p
        .groups
        .iter()
        .map(|g| {
            let deals: Vec<Value> = g
                .deals
                .iter()
                .map(|d| {
                    json!({ "deal": DealView::from(&d.deal), "number": d.deal.id.0, "can_update": d.can_update,
                            "can_extend": d.can_extend, "returned": d.returned })
                })
                .collect();
            let before = i64::from(p.page - 1) * crate::service::home::DEALS_PER_GROUP;
            let more = (g.total - before - deals.len() as i64).max(0);
            json!({ "title": group_title(g.filter), "total": g.total, "deals": deals, "more": more })
        })
        .collect();
    // A registration started here is confirmed in the partner's channel, when it is in Slack.
    let channel = (p.conversation.platform == Platform::Slack).then_some(&p.conversation.id);
    json!({ "partner_name": p.partner_name, "channel": channel, "page": p.page, "next_page": p.next_page, "groups": groups })
}

fn reason_title(reason: QueueReason) -> &'static str {
    match reason {
        QueueReason::PastSla { .. } => "Past the SLA",
        QueueReason::Conflict => "Conflicts",
        QueueReason::Pending => "Pending review",
        QueueReason::Extension => "Extensions to decide",
    }
}

fn queue_item(i: &QueueItem) -> Value {
    let waited = match i.reason {
        QueueReason::PastSla { waited } => Some(waited),
        _ => None,
    };
    json!({ "deal": DealView::from(&i.deal), "number": i.deal.id.0, "partner_name": i.partner_name, "waited": waited,
            "extension": i.reason == QueueReason::Extension,
            "justification": i.deal.extension_request.clone().unwrap_or_default() })
}

fn manager_context(m: &ManagerHome) -> Value {
    // Items arrive grouped (see `service::home`); consecutive items of one reason make a group.
    let mut groups: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for item in &m.items {
        let title = reason_title(item.reason);
        match groups.last_mut() {
            Some((last, items)) if *last == title => items.push(queue_item(item)),
            _ => groups.push((title, vec![queue_item(item)])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(title, items)| json!({ "title": title, "items": items }))
        .collect();
    let figures = (!m.figures.is_null()).then(|| m.figures.clone());
    json!({ "total": m.total, "page": m.page, "next_page": m.next_page, "groups": groups, "figures": figures })
}

fn ae_context(a: &AeHome) -> Value {
    let alerts: Vec<Value> = a
        .alerts
        .iter()
        .map(|x| {
            json!({ "deal": DealView::from(&x.deal), "number": x.deal.id.0, "partner_name": x.partner_name, "answer": x.answer })
        })
        .collect();
    json!({ "total": a.total, "page": a.page, "next_page": a.next_page, "alerts": alerts })
}

#[cfg(test)]
mod tests {
    use super::super::limits::{check, Surface, VIEW_BLOCKS};
    use super::super::render_limits::{deal, nasty, renderer};
    use crate::domain::deal::DealFilter;
    use crate::domain::DealStatus;
    use crate::service::home::*;

    fn full_partner_home() -> HomeView {
        let group = |filter| DealGroup {
            filter,
            total: 500,
            deals: (0..DEALS_PER_GROUP)
                .map(|_| HomeDeal {
                    deal: deal(DealStatus::Returned),
                    can_update: true,
                    can_extend: true,
                    returned: true,
                })
                .collect(),
        };
        HomeView::Partner(PartnerHome {
            partner_name: nasty(120),
            conversation: crate::chat::Conversation::new(
                crate::chat::Platform::Slack,
                "C0123456789",
            ),
            page: 7,
            groups: vec![
                group(DealFilter::Expiring),
                group(DealFilter::Open),
                group(DealFilter::Won),
            ],
            next_page: Some(8),
        })
    }

    fn full_manager_home() -> HomeView {
        let reasons = [
            QueueReason::PastSla { waited: 999 },
            QueueReason::Conflict,
            QueueReason::Pending,
            QueueReason::Extension,
        ];
        let items = (0..QUEUE_PER_PAGE as usize)
            .map(|i| QueueItem {
                deal: deal(DealStatus::Conflict),
                partner_name: nasty(120),
                reason: reasons[i * reasons.len() / QUEUE_PER_PAGE as usize],
            })
            .collect();
        let long = nasty(3_000);
        HomeView::Manager(ManagerHome {
            page: 3,
            total: 10_000,
            items,
            figures: serde_json::json!({ "title": long, "sourced_revenue": long, "revenue_per_active": long,
                "registrations": 1, "registration_rate": long, "average_deal": long, "win_rate": long,
                "active": 1, "activation": long, "first_win": long, "note": long }),
            next_page: Some(4),
        })
    }

    fn full_ae_home() -> HomeView {
        HomeView::Ae(AeHome {
            page: 2,
            total: 10_000,
            alerts: (0..ALERTS_PER_PAGE)
                .map(|_| AeAlert {
                    deal: deal(DealStatus::Conflict),
                    partner_name: nasty(120),
                    answer: Some("Propose co-sell"),
                })
                .collect(),
            next_page: Some(3),
        })
    }

    #[test]
    fn full_home_tabs_with_extreme_text_stay_within_slacks_view_limits_without_clipping_blocks() {
        let r = renderer();
        for home in [
            full_partner_home(),
            full_manager_home(),
            full_ae_home(),
            HomeView::Intro,
        ] {
            let view = r.home(&home, Some(&nasty(3_000))).expect("renders");
            assert_eq!(check(Surface::View, &view), Ok(()), "{home:?}");
            let blocks = view["blocks"].as_array().map_or(0, Vec::len);
            assert!(blocks <= VIEW_BLOCKS, "{blocks} blocks");
            assert!(
                !view.to_string().contains("not shown here"),
                "a full page fits without the limiter dropping blocks: {blocks} blocks"
            );
            assert_eq!(view["type"], "home");
        }
    }
}
