//! The charts, drawn with plotters as inline SVG: a metric's values in
//! iteration order (one series per variant), a baseline beside a run, and a
//! metric over runs.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use harness_core::stats::{Summary, significant};

use crate::history::store::Point;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;
/// The colour of values (the browser test looks for it), then one per further variant.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x33, 0x66, 0xcc),
    RGBColor(0xdd, 0x77, 0x22),
    RGBColor(0x22, 0x99, 0x55),
    RGBColor(0xaa, 0x33, 0x99),
    RGBColor(0x88, 0x66, 0x22),
    RGBColor(0x44, 0x99, 0xaa),
];
const BLUE: RGBColor = PALETTE[0];
const ORANGE: RGBColor = PALETTE[1];
const BAND: RGBColor = RGBColor(0xd6, 0xe2, 0xf5);

/// A short number for ticks and tooltips, as every console of harness shows numbers.
pub(super) fn label(value: f64) -> String {
    significant(value)
}

/// The y range of `values`, padded so that flat data still has a height.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    let pad = if (high - low).abs() < f64::EPSILON * high.abs().max(1.0) {
        if low == 0.0 { 1.0 } else { low.abs() * 0.1 }
    } else {
        (high - low) * 0.08
    };
    (low - pad, high + pad)
}

/// Draws on an SVG of the chart size; returns the SVG (empty on a drawing error).
fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        if root.fill(&WHITE).is_err() || draw(&root).is_err() || root.present().is_err() {
            return String::new();
        }
    }
    out
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// An SVG chart with axes over `x` and `y`, which `draw` fills.
fn plot(
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_label_area: u32,
    draw: impl FnOnce(&mut Chart<'_, '_>) -> Result<(), String>,
) -> String {
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(x_label_area)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        draw(&mut chart)
    })
}

/// Every iteration's value of each series (a test, or each variant of one),
/// in iteration order; with one series, its median (dashed) and interquartile
/// range (band) too; with several, each named at its first point.
pub(super) fn series_chart(series: &[(String, &[f64])], units: &str) -> String {
    let longest = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0).max(1);
    let (low, high) = y_range(series.iter().flat_map(|(_, v)| v.iter().copied()).filter(|v| v.is_finite()));
    #[allow(clippy::cast_precision_loss, reason = "counts of perf values")]
    let n = longest as f64;
    plot(0.5..n + 0.5, low..high, 40, |chart| {
        chart
            .configure_mesh()
            .x_desc("value, in the order recorded")
            .y_desc(units)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .x_labels(longest.clamp(2, 10))
            .y_labels(6)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| label(*y))
            .draw()
            .map_err(err)?;
        if let [(_, values)] = series
            && !values.is_empty()
        {
            let summary = Summary::of(values);
            chart
                .draw_series(std::iter::once(Rectangle::new([(0.5, summary.q1), (n + 0.5, summary.q3)], BAND.filled())))
                .map_err(err)?;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.5, summary.median), (n + 0.5, summary.median)],
                    6,
                    4,
                    BLUE.into(),
                ))
                .map_err(err)?;
        }
        for (at, (name, values)) in series.iter().enumerate() {
            let colour = PALETTE[at % PALETTE.len()];
            #[allow(clippy::cast_precision_loss, reason = "indexes of perf values")]
            let points: Vec<(f64, f64)> =
                values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| ((i + 1) as f64, *v)).collect();
            if points.len() > 1 {
                chart.draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2))).map_err(err)?;
            }
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled()))).map_err(err)?;
            // Each series named at its first point, in its colour.
            if series.len() > 1
                && let Some(first) = points.first()
            {
                let style = TextStyle::from(("sans-serif", 13).into_font()).color(&colour);
                chart.draw_series(std::iter::once(Text::new(format!(" {name}"), *first, style))).map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Both distributions side by side: each value, the median and the quartiles.
pub(super) fn pair_chart(base: &[f64], new: &[f64], base_name: &str, units: &str) -> String {
    let (low, high) = y_range(base.iter().chain(new).copied());
    let x_desc = format!("baseline {base_name} (left), this run (right)");
    plot(0.0..2.0, low..high, 40, |chart| {
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(2)
            .x_label_formatter(&|_: &f64| String::new())
            .x_desc(x_desc.as_str())
            .y_desc(units)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .y_labels(6)
            .y_label_formatter(&|y| label(*y))
            .draw()
            .map_err(err)?;
        for (center, values, colour) in [(0.5, base, ORANGE), (1.5, new, BLUE)] {
            let s = Summary::of(values);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(center - 0.3, s.q1), (center + 0.3, s.q3)],
                    colour.mix(0.2).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    [(center - 0.3, s.median), (center + 0.3, s.median)],
                    colour.stroke_width(2),
                ))
                .map_err(err)?;
            #[allow(clippy::cast_precision_loss, reason = "indexes of perf values")]
            let spread = |i: usize| center - 0.2 + 0.4 * (i as f64 + 0.5) / values.len().max(1) as f64;
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| Circle::new((spread(i), *v), 3, colour.filled())))
                .map_err(err)?;
        }
        Ok(())
    })
}

/// A metric over runs: each run's median (a line through them) and
/// interquartile range (a bar), and each change point (a red line before the
/// run where the new level starts, with its change), runs labelled below.
pub(super) fn history_chart(points: &[Point], labels: &[String], units: &str, changes: &[(usize, String)]) -> String {
    let (low, high) = y_range(points.iter().flat_map(|p| [p.q1, p.q3, p.value]).filter(|v| v.is_finite()));
    #[allow(clippy::cast_precision_loss, reason = "counts of runs")]
    let n = points.len().max(1) as f64;
    let name_of = |x: &f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "run positions")]
        let at = x.round() as usize;
        if (x - x.round()).abs() > 1e-9 || at == 0 {
            String::new()
        } else {
            labels.get(at - 1).cloned().unwrap_or_default()
        }
    };
    plot(0.5..n + 0.5, low..high, 44, |chart| {
        chart
            .configure_mesh()
            .x_desc("run (oldest first)")
            .y_desc(units)
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .x_labels(points.len().clamp(1, 12))
            .x_label_formatter(&name_of)
            .y_labels(6)
            .y_label_formatter(&|y| label(*y))
            .draw()
            .map_err(err)?;
        #[allow(clippy::cast_precision_loss, reason = "indexes of runs")]
        let at = |i: usize| (i + 1) as f64;
        for (index, change) in changes {
            let x = at(*index) - 0.5;
            chart.draw_series(LineSeries::new([(x, low), (x, high)], RED.stroke_width(2))).map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    change.clone(),
                    (x, high),
                    ("sans-serif", 12).into_font().color(&RED),
                )))
                .map_err(err)?;
        }
        for (i, p) in points.iter().enumerate() {
            chart
                .draw_series(LineSeries::new([(at(i), p.q1), (at(i), p.q3)], BLUE.mix(0.5).stroke_width(6)))
                .map_err(err)?;
        }
        let medians: Vec<(f64, f64)> = points.iter().enumerate().map(|(i, p)| (at(i), p.value)).collect();
        chart.draw_series(LineSeries::new(medians.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        chart.draw_series(medians.iter().map(|p| Circle::new(*p, 3, BLUE.filled()))).map_err(err)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_plot_every_value_with_median_and_quartiles() {
        let svg = series_chart(&[("a<b".to_owned(), &[1.0, 2.0, 4.0])], "ms");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("<polyline"));
        assert!(svg.contains(">\nvalue, in the order recorded\n</text>"), "{svg}");
        // Readable ticks, not only the ends.
        assert!(svg.matches("<text").count() >= 8, "{svg}");
        let flat = series_chart(&[("flat".to_owned(), &[5.0, 5.0])], "ms");
        assert!(!flat.contains("NaN") && !flat.contains("inf"), "{flat}");
        assert_eq!(series_chart(&[("one".to_owned(), &[0.0])], "ms").matches("<circle").count(), 1);
        // Variants on one chart, each named in the legend.
        let both = series_chart(&[("small".to_owned(), &[1.0, 2.0]), ("large".to_owned(), &[8.0, 9.0, 7.0])], "ms");
        assert_eq!(both.matches("<circle").count(), 5, "{both}");
        assert!(both.contains(">\n small\n</text>") && both.contains(">\n large\n</text>"), "{both}");
        let pair = pair_chart(&[1.0, 2.0], &[3.0, 4.0, 5.0], "main", "ms");
        assert_eq!(pair.matches("<circle").count(), 5);
        assert!(pair.contains("baseline main (left)"), "{pair}");
        let labels = ["12-01 a1b2c3d".to_owned(), "12-02".to_owned(), "12-03".to_owned()];
        let point = |value: f64| Point {
            run: String::new(),
            start: String::new(),
            git_commit: None,
            value,
            q1: value - 0.5,
            q3: value + 0.5,
            n: 3,
        };
        let points = [point(1.5), point(1.6), point(3.0)];
        let history = history_chart(&points, &labels, "ms", &[(2, "+88%".to_owned())]);
        assert_eq!(history.matches("<circle").count(), 3);
        assert!(history.contains(">\n12-01 a1b2c3d\n</text>"), "{history}");
        assert!(history.contains(">\n+88%\n</text>"), "the change is marked: {history}");
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label(1.5), "1.5");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(212.7288), "212.7");
        assert_eq!(label(1_234_567.0), "1.235e6");
    }
}
