//! The weekly digest as one card: a FactSet with each section's headline, then each section's
//! lines and next step, and the chart as a data-URI PNG `Image` (Teams has no file upload in
//! channels). The chart is shrunk until the whole card fits the budget, and left out (saying
//! so) when even a small one would not.

use super::text::{and_more, block, bold, context, escape, title, user};
use super::{card_size, Card, Room, CARD_BUDGET_BYTES};
use crate::domain::digest::{NextStep, Section};
use anyhow::Context;
use base64::Engine;
use serde_json::{json, Value};

/// Lines shown per section before "…and N more" (as on Slack).
const LINES_SHOWN: usize = 10;

/// Widths the chart is tried at, largest first, when the original does not fit.
const CHART_WIDTHS: [u32; 6] = [720, 600, 480, 400, 320, 240];

/// The digest card; `chart` (base64 PNG) embedded when given and it fits.
pub(super) fn digest_card(
    week: &str,
    partners: usize,
    sections: &[Section],
    chart: Option<&str>,
    room: Room,
) -> anyhow::Result<Card> {
    let mut card = Card::new(format!("Weekly partner digest {week}"));
    card.push(title(format!("Weekly partner digest {}", escape(week))));
    let plural = if partners == 1 { "" } else { "s" };
    let follows = match chart {
        Some(_) => "",
        None => " · the chart of pipeline and wins follows",
    };
    card.push(context(format!("{partners} partner{plural}{follows}")));
    if sections.is_empty() {
        card.push(block("A quiet week: nothing needs you."));
    } else {
        card.push(headlines(sections));
    }
    for s in sections {
        card.push(section(s, room));
    }
    if let Some(png) = chart {
        push_chart(&mut card, week, png)?;
    }
    Ok(card)
}

/// The chart alone, as its own card.
pub(super) fn chart_card(week: &str, png_base64: &str, _room: Room) -> anyhow::Result<Card> {
    let mut card = Card::new(format!("Partner pipeline and wins, 12 weeks to {week}"));
    push_chart(&mut card, week, png_base64)?;
    Ok(card)
}

/// One fact per section: its headline ("New registrations: 3, worth …").
fn headlines(sections: &[Section]) -> Value {
    let pairs: Vec<(&str, String)> = sections
        .iter()
        .map(|s| match s.title.split_once(": ") {
            Some((name, figure)) => (name, figure.to_string()),
            None => (s.title.as_str(), String::new()),
        })
        .collect();
    super::text::facts(&pairs)
}

fn section(s: &Section, room: Room) -> Value {
    let shown = room.items(LINES_SHOWN).min(s.lines.len());
    let mut items = vec![block(bold(&s.title))];
    if shown > 0 {
        let list: Vec<String> = s.lines[..shown]
            .iter()
            .map(|l| format!("- {}", user(l, room.text(300))))
            .collect();
        items.push(block(list.join("\n")));
    }
    if s.lines.len() > shown {
        items.push(and_more(s.lines.len() - shown, "lines"));
    }
    items.push(context(format!("→ {}", next_step(s.action))));
    json!({ "type": "Container", "separator": true, "items": items })
}

/// A digest section's next step, in Teams' commands.
pub fn next_step(step: NextStep) -> &'static str {
    match step {
        NextStep::ListDealsAndDecide => {
            "**deal list** shows them all; decide on the cards in the managers' channel"
        }
        NextStep::CheckCustomer => "**partners check** *company* shows every match and its reasons",
        NextStep::DecideOnCards => "Approve, reject or return them on their cards",
        NextStep::PartnersMayExtend => "Partners can ask to extend with **deal extend D\\-…**",
        NextStep::CommissionLedger => {
            "**deal commissions** and **partnerbot export commissions** for the ledger"
        }
        NextStep::PartnerStats => "**partners stats** *partner* shows what drove them",
        NextStep::CallQuietPartners => {
            "They get a nudge automatically; a call from you works better"
        }
        NextStep::SurveyResults => "**partners survey results** for the detail",
        NextStep::ProgramStats => "**partners stats** for the program's figures",
    }
}

/// Adds the chart, as large as the rest of the card leaves room for, or says it was left out.
fn push_chart(card: &mut Card, week: &str, png_base64: &str) -> anyhow::Result<()> {
    let alt = format!("Partner pipeline and wins, 12 weeks to {week}");
    let image =
        |url: &str| json!({ "type": "Image", "url": url, "altText": alt, "size": "Stretch" });
    let without = card_size(&card.content()) + card_size(&image("")) + 16;
    let room = CARD_BUDGET_BYTES.saturating_sub(without);
    match fit_chart(png_base64, room)? {
        Some(uri) => card.push(image(&uri)),
        None => card.push(context(
            "The chart is too large to show in Teams this week; **partnerbot digest** prints it.",
        )),
    };
    Ok(())
}

/// The chart as a `data:image/png;base64,…` URI of at most `max_bytes`: the original when it
/// fits, else scaled down to the largest of [`CHART_WIDTHS`] that fits; `None` when none does.
pub fn fit_chart(png_base64: &str, max_bytes: usize) -> anyhow::Result<Option<String>> {
    const PREFIX: &str = "data:image/png;base64,";
    let uri = |b64: &str| format!("{PREFIX}{b64}");
    if PREFIX.len() + png_base64.len() <= max_bytes {
        return Ok(Some(uri(png_base64)));
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let png = engine
        .decode(png_base64)
        .context("the chart is not base64")?;
    let chart = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .context("the chart is not a PNG")?;
    for width in CHART_WIDTHS.into_iter().filter(|w| *w < chart.width()) {
        let height =
            (u64::from(chart.height()) * u64::from(width) / u64::from(chart.width().max(1))) as u32;
        let small = chart.resize_exact(width, height.max(1), image::imageops::FilterType::Triangle);
        let mut out = std::io::Cursor::new(Vec::new());
        small
            .write_to(&mut out, image::ImageOutputFormat::Png)
            .context("encoding the scaled chart")?;
        let b64 = engine.encode(out.into_inner());
        if PREFIX.len() + b64.len() <= max_bytes {
            return Ok(Some(uri(&b64)));
        }
    }
    Ok(None)
}
