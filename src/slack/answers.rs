//! The service's inline answers in Slack's words: each [`Answer`] rendered to a Block Kit
//! reply or modal view, and each [`Hint`] worded as the slash command that does it.

use super::render::MatchView;
use super::Renderer;
use crate::domain::Deal;
use crate::service::{Answer, Hint};
use serde_json::{json, Value};

/// The Slack reply or view for `answer`.
pub fn render(render: &Renderer, answer: &Answer) -> anyhow::Result<Value> {
    match answer {
        Answer::RegistrationForm {
            partner_name,
            metadata,
            today,
            prefill,
            suggested,
        } => render.registration_modal(
            partner_name,
            metadata,
            *today,
            prefill.as_ref(),
            suggested.as_ref(),
        ),
        Answer::DealList {
            title,
            deals,
            more,
            next,
        } => render.deal_list(title, deals, *more, next.map(command).as_deref()),
        Answer::DealDetail {
            deal,
            partner_name,
            history,
        } => render.deal_detail(deal, partner_name.as_deref(), history),
        Answer::ExtensionForm {
            deal,
            metadata,
            days,
        } => render.extension_modal(deal, metadata, *days),
        Answer::UpdateForm {
            deal,
            metadata,
            internal,
        } => render.deal_update_modal(deal, metadata, *internal),
        Answer::CommissionTotals { title, rows } => {
            let rows: Vec<_> = rows
                .iter()
                .map(|r| {
                    let (c, pe, pa, pd) = (&r.currency, &r.pending, &r.payable, &r.paid);
                    (c.clone(), pe.clone(), pa.clone(), pd.clone())
                })
                .collect();
            render.commission_totals(title, &rows)
        }
        Answer::SurveyResults { text } => render.notice(":bar_chart:", text),
        Answer::Stats(figures) => render.stats(figures.clone()),
        Answer::MatchList {
            name,
            domain,
            matches,
        } => {
            let views: Vec<MatchView> = matches.iter().map(|m| render.match_view(m)).collect();
            render.match_list(name, domain.as_deref(), &views)
        }
        Answer::AccountsSummary {
            total,
            open,
            owners,
        } => render.accounts_summary(*total, *open, owners),
    }
}

/// The registration modal's final view: the deal registered, or the one the partner's team
/// already holds for that customer.
pub fn registration_done(
    render: &Renderer,
    deal: &Deal,
    already_ours: bool,
) -> anyhow::Result<Value> {
    let view = match already_ours {
        true => render.already_ours_view(deal)?,
        false => render.registration_done(deal)?,
    };
    Ok(json!({ "response_action": "update", "view": view }))
}

/// The slash command that does what `hint` suggests.
pub fn command(hint: Hint) -> String {
    format!("/{}", crate::intent::wording::hint_words(hint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deal::DealFilter;

    #[test]
    fn hints_are_slash_commands() {
        let hint = Hint::ListDeals {
            filter: DealFilter::Open,
            page: 3,
        };
        assert_eq!(command(hint), "/deal list open page 3");
    }
}
