//! The weekly digest's text: sections built from facts the service gathers, each with a way to
//! act on it, and empty sections left out. Pure.

/// One line item of a section.
pub type Line = String;

/// The facts of one digest (one manager's partners, one week).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestFacts {
    pub manager: String,
    /// "2027-W09".
    pub week: String,
    pub partners: usize,
    pub new_registrations: Vec<Line>,
    /// "value per currency" of the new registrations, e.g. ["150,000.00 USD", "20,000.00 EUR"].
    pub new_value: Vec<String>,
    pub open_conflicts: Vec<Line>,
    pub waiting_past_sla: Vec<Line>,
    pub expiring_soon: Vec<Line>,
    pub wins: Vec<Line>,
    pub commissions: Vec<String>,
    pub tier_changes: Vec<Line>,
    pub quiet: Vec<Line>,
    /// (nudged, re-activated) over the last 90 days.
    pub reactivation: (i64, i64),
    pub psat: Option<Line>,
    pub top_partners: Vec<Line>,
}

/// A digest section: title, lines, and what to do about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub title: String,
    pub lines: Vec<Line>,
    pub action: NextStep,
}

/// What a manager can do about a digest section; each chat platform words it in its commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// List the deals, and decide on the cards in the managers' conversation.
    ListDealsAndDecide,
    /// Check a customer to see every match and its reasons.
    CheckCustomer,
    /// Approve, reject or return the waiting registrations on their cards.
    DecideOnCards,
    /// Partners may ask to extend protection.
    PartnersMayExtend,
    /// See the commission ledger (and export it).
    CommissionLedger,
    /// Look at a partner's figures to see what drove a tier change.
    PartnerStats,
    /// Quiet partners are nudged automatically; a call works better.
    CallQuietPartners,
    /// See the survey results in detail.
    SurveyResults,
    /// See the program's figures.
    ProgramStats,
}

/// Builds the sections that have something to say, in reading order.
pub fn sections(f: &DigestFacts) -> Vec<Section> {
    let mut out = Vec::new();
    let mut add = |title: String, lines: Vec<Line>, action: NextStep| {
        if !lines.is_empty() {
            out.push(Section {
                title,
                lines,
                action,
            });
        }
    };
    let value = if f.new_value.is_empty() {
        String::new()
    } else {
        format!(", worth {}", f.new_value.join(" + "))
    };
    add(
        format!("New registrations: {}{value}", f.new_registrations.len()),
        f.new_registrations.clone(),
        NextStep::ListDealsAndDecide,
    );
    add(
        format!("Open conflicts: {}", f.open_conflicts.len()),
        f.open_conflicts.clone(),
        NextStep::CheckCustomer,
    );
    add(
        format!(
            "Waiting past the approval SLA: {}",
            f.waiting_past_sla.len()
        ),
        f.waiting_past_sla.clone(),
        NextStep::DecideOnCards,
    );
    add(
        format!(
            "Protection ending in the next 14 days: {}",
            f.expiring_soon.len()
        ),
        f.expiring_soon.clone(),
        NextStep::PartnersMayExtend,
    );
    let mut wins = f.wins.clone();
    if !f.commissions.is_empty() {
        wins.push(format!("Commissions earned: {}", f.commissions.join(" + ")));
    }
    add(
        format!("Wins: {}", f.wins.len()),
        wins,
        NextStep::CommissionLedger,
    );
    add(
        format!("Tier changes: {}", f.tier_changes.len()),
        f.tier_changes.clone(),
        NextStep::PartnerStats,
    );
    let mut quiet = f.quiet.clone();
    if f.reactivation.0 > 0 {
        quiet.push(format!(
            "Re-activated after a nudge (last 90 days): {} of {}",
            f.reactivation.1, f.reactivation.0
        ));
    }
    let quiet_title = if f.quiet.is_empty() {
        "Re-activation after nudges".to_string()
    } else {
        format!("Quiet partners: {}", f.quiet.len())
    };
    add(quiet_title, quiet, NextStep::CallQuietPartners);
    add(
        "Partner satisfaction".into(),
        f.psat.iter().cloned().collect(),
        NextStep::SurveyResults,
    );
    add(
        "Top partners by sourced revenue (12 months)".into(),
        f.top_partners.clone(),
        NextStep::ProgramStats,
    );
    out
}

/// The digest as plain text (for `partnerbot digest --print`), each next step in the words
/// `say` gives it.
pub fn text(f: &DigestFacts, say: impl Fn(NextStep) -> &'static str) -> String {
    let mut out = format!(
        "Weekly partner digest {} for {} ({} partner{})",
        f.week,
        f.manager,
        f.partners,
        if f.partners == 1 { "" } else { "s" }
    );
    let sections = sections(f);
    if sections.is_empty() {
        out.push_str("\nA quiet week: nothing needs you.");
    }
    for s in sections {
        out.push_str(&format!("\n\n{}\n", s.title));
        for line in &s.lines {
            out.push_str(&format!("  • {line}\n"));
        }
        out.push_str(&format!("  → {}", say(s.action)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sections_are_left_out_and_filled_ones_keep_their_order() {
        let facts = DigestFacts {
            manager: "U0M".into(),
            week: "2027-W09".into(),
            partners: 3,
            new_registrations: vec!["D-3 · Acme".into()],
            new_value: vec!["50,000.00 USD".into()],
            tier_changes: vec!["Globex: silver → gold".into()],
            ..DigestFacts::default()
        };
        let titles: Vec<String> = sections(&facts).into_iter().map(|s| s.title).collect();
        assert_eq!(
            titles,
            [
                "New registrations: 1, worth 50,000.00 USD",
                "Tier changes: 1"
            ]
        );
        let t = text(&facts, |_| "next");
        assert!(
            t.starts_with("Weekly partner digest 2027-W09 for U0M (3 partners)")
                && !t.contains("Open conflicts"),
            "{t}"
        );
    }

    #[test]
    fn a_week_without_news_says_so() {
        assert!(text(&DigestFacts::default(), |_| "next").contains("A quiet week"));
    }
}
