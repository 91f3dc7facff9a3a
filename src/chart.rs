//! The digest's chart: partner-sourced pipeline and wins over the last 12 weeks, by partner type,
//! drawn with plotters into memory and encoded as PNG. The font is bundled (DejaVu Sans), so the
//! chart looks the same on any machine.

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

/// Draws the chart for `weeks` (labels, oldest first) and returns the PNG bytes.
pub fn weekly_chart(
    weeks: &[String],
    series: &[Series],
    currency: &str,
) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        panel(
            &top,
            &format!("Partner-sourced pipeline registered per week ({currency})"),
            weeks,
            series,
            |s| &s.pipeline,
        )?;
        panel(
            &bottom,
            &format!("Partner wins per week ({currency})"),
            weeks,
            series,
            |s| &s.wins,
        )?;
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

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    weeks: &[String],
    series: &[Series],
    values: impl Fn(&Series) -> &Vec<f64>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let max = series
        .iter()
        .flat_map(|s| values(s).iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.15;
    let n = weeks.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(70)
        .build_cartesian_2d(0..n - 1, 0.0..max)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|i| weeks.get(*i).cloned().unwrap_or_default())
        .y_label_formatter(&|v| {
            if *v >= 1000.0 {
                format!("{:.0}k", v / 1000.0)
            } else {
                format!("{v:.0}")
            }
        })
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (i, s) in series.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let points: Vec<(usize, f64)> = values(s).iter().copied().enumerate().collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(s.partner_type.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
            });
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if !series.is_empty() {
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
        let png = weekly_chart(&weeks, &series, "USD").expect("draws");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
    }
}
