//! The digest's chart: partner-sourced pipeline and wins over the last 12 weeks, by partner type,
//! as bars per week with each panel's total, dated weeks on the axis, drawn with plotters into
//! memory and encoded as PNG. Amounts are in the reporting currency; a currency without a
//! configured rate is never silently dropped: the chart names it and what it left out. The font
//! is bundled (DejaVu Sans), so the chart looks the same on any machine.

use anyhow::Context;
use plotters::prelude::*;
use std::sync::Once;

/// Chart size in pixels.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 600;

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The bundled font is valid; should registration ever fail, text falls back to nothing drawn.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../assets/DejaVuSans.ttf"),
        );
    });
}

/// One partner type's weekly values (12 weeks, oldest first) in the reporting currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub partner_type: String,
    pub pipeline: Vec<f64>,
    pub wins: Vec<f64>,
}

/// Amounts in a currency that has no conversion rate: left out of the bars, named on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Unconverted {
    pub currency: String,
    pub pipeline: f64,
    pub wins: f64,
}

fn amount(v: f64) -> String {
    let whole = v.round() as i64;
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if whole < 0 {
        grouped.insert(0, '-');
    }
    grouped
}

/// Draws the chart for `weeks` (labels, oldest first) and returns the PNG bytes.
pub fn weekly_chart(
    weeks: &[String],
    series: &[Series],
    currency: &str,
    unconverted: &[Unconverted],
) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let footer = if unconverted.is_empty() {
            0
        } else {
            26 * unconverted.len() as u32
        };
        let (charts, notes) = root.split_vertically(HEIGHT - footer);
        let (top, bottom) = charts.split_vertically((HEIGHT - footer) / 2);
        let total =
            |f: fn(&Series) -> &Vec<f64>| series.iter().flat_map(|s| f(s).iter()).sum::<f64>();
        let pipeline: fn(&Series) -> &Vec<f64> = |s| &s.pipeline;
        let wins: fn(&Series) -> &Vec<f64> = |s| &s.wins;
        for (area, what, values, empty) in [
            (
                &top,
                "Partner-sourced pipeline registered",
                pipeline,
                "No registrations",
            ),
            (&bottom, "Partner wins", wins, "No wins"),
        ] {
            let title = format!(
                "{what} per week ({currency}) · total {}",
                amount(total(values))
            );
            let empty = format!("{empty} in the last 12 weeks");
            panel(area, &title, weeks, series, values, &empty)?;
        }
        for (i, u) in unconverted.iter().enumerate() {
            let text = format!(
                "{} not converted, left out above: {} pipeline, {} won. Add {} to [tiers.rates] in the program file.",
                u.currency, amount(u.pipeline), amount(u.wins), u.currency
            );
            notes
                .draw(&Text::new(
                    text,
                    (16, 6 + 26 * i as i32),
                    ("sans-serif", 15).into_font().color(&RED),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, buffer)
        .context("chart buffer has the wrong size")?;
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageOutputFormat::Png)
        .context("encoding the chart as PNG")?;
    Ok(png.into_inner())
}

/// A rounded-up axis maximum with whole steps, so an empty panel does not show "0 0 0 1 1 1".
fn axis_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1_000.0;
    }
    let magnitude = 10f64.powf((max * 1.1).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|s| *s >= max * 1.1)
        .unwrap_or(10.0 * magnitude);
    step.max(10.0)
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    weeks: &[String],
    series: &[Series],
    values: impl Fn(&Series) -> &Vec<f64>,
    empty: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let peak = (0..weeks.len())
        .map(|w| {
            series
                .iter()
                .map(|s| values(s).get(w).copied().unwrap_or(0.0))
                .fold(0.0, f64::max)
        })
        .fold(0.0_f64, f64::max);
    let max = axis_max(peak);
    let n = weeks.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..max)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => weeks.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_labels(5)
        .y_label_formatter(&|v| {
            if max >= 10_000.0 {
                format!("{:.0}k", v / 1000.0)
            } else {
                format!("{v:.0}")
            }
        })
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let kinds = series.len().max(1) as f64;
    for (k, s) in series.iter().enumerate() {
        let colour = Palette99::pick(k).to_rgba();
        let bars = values(s)
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(w, v)| {
                // Each partner type gets its slice of the week's slot.
                let left = w as f64 + 0.1 + 0.8 * k as f64 / kinds;
                let right = left + 0.8 / kinds;
                (left, right, *v)
            });
        let area = chart.plotting_area();
        // Week w's slot runs from the left edge of segment w to that of segment w + 1.
        // map_coordinate answers in the backend's pixels; drawing is relative to the area.
        let (origin_x, origin_y) = area.get_base_pixel();
        let pixel = |x: f64, y: f64| {
            let (left, _) = area.map_coordinate(&(SegmentValue::Exact(0), y));
            let (next, py) = area.map_coordinate(&(SegmentValue::Exact(1), y));
            (
                left + (f64::from(next - left) * x) as i32 - origin_x,
                py - origin_y,
            )
        };
        for (left, right, v) in bars {
            let (x0, y0) = pixel(left, v);
            let (x1, y1) = pixel(right, 0.0);
            area.strip_coord_spec()
                .draw(&Rectangle::new([(x0, y0), (x1, y1)], colour.filled()))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        // An invisible point carries the legend entry.
        chart
            .draw_series(std::iter::once(Circle::new(
                (SegmentValue::Exact(0), 0.0),
                0,
                colour.filled(),
            )))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(s.partner_type.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
    }
    if peak <= 0.0 {
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            empty.to_string(),
            (w as i32 / 2 - 130, h as i32 / 2),
            ("sans-serif", 18).into_font().color(&BLACK.mix(0.6)),
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    } else if !series.is_empty() {
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_a_png_of_the_expected_size() {
        let weeks: Vec<String> = (1..=12).map(|w| format!("W{w:02}")).collect();
        let series = vec![
            Series {
                partner_type: "reseller".into(),
                pipeline: (0..12).map(|i| f64::from(i) * 10_000.0).collect(),
                wins: vec![0.0; 12],
            },
            Series {
                partner_type: "referral".into(),
                pipeline: vec![5_000.0; 12],
                wins: (0..12).map(|i| f64::from(i % 3) * 7_000.0).collect(),
            },
        ];
        let png = weekly_chart(&weeks, &series, "USD", &[]).expect("draws");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
        let empty = weekly_chart(
            &weeks,
            &[],
            "USD",
            &[Unconverted {
                currency: "EUR".into(),
                pipeline: 20_000.0,
                wins: 0.0,
            }],
        )
        .expect("an empty chart with a note draws too");
        assert_eq!(&empty[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn axes_end_on_round_numbers_and_amounts_are_grouped() {
        assert_eq!(axis_max(0.0), 1_000.0);
        assert_eq!(axis_max(1.0), 10.0);
        assert_eq!(axis_max(80_000.0), 100_000.0);
        assert_eq!(axis_max(130_000.0), 200_000.0);
        assert_eq!(amount(1_234_567.4), "1,234,567");
        assert_eq!(amount(999.0), "999");
    }
}
