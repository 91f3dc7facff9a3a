//! The Home tab as Block Kit: each [`HomeView`] rendered to a `home` view for `views.publish`,
//! through the `home_*` templates. The buttons carry the same action ids and values as the
//! messages they mirror (review cards, AE alerts, deal confirmations), so the same handlers
//! answer them; `home_page` turns the page.

use super::render::{DealView, Renderer};
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
    json!({ "partner_name": p.partner_name, "channel": p.channel, "page": p.page, "next_page": p.next_page, "groups": groups })
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
