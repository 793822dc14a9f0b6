//! A finished run as one self-contained HTML page (no scripts, no external
//! resources): the job and its machine, a table of the tests with links to
//! each one's debug log and keyvals, and one SVG chart per perf metric drawn
//! with plotters: every iteration's value, the median and the interquartile
//! range. Given a baseline, each metric also shows both distributions side by
//! side with `compare`'s verdict; [`history_page`] draws each metric over
//! many runs. Text is escaped with `html-escape`.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use harness_core::Status;
use harness_core::compare::{Comparison, Knobs, MetricRow, compare};
use harness_core::results::{JobResults, PerfRecord, TestRecord};
use harness_core::stats::Summary;

const WIDTH: u32 = 520;
const HEIGHT: u32 = 240;
/// The colour of values (the browser test looks for it).
const BLUE: RGBColor = RGBColor(0x33, 0x66, 0xcc);
const ORANGE: RGBColor = RGBColor(0xdd, 0x77, 0x22);
const BAND: RGBColor = RGBColor(0xd6, 0xe2, 0xf5);

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Good => "good",
        Status::Warn => "warn",
        Status::TestNa => "na",
        _ => "bad",
    }
}

/// Control characters never reach the page.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{FFFD}' } else { c }).collect()
}

/// A short number for tooltips: four significant digits.
fn label(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e6).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a small count of decimals")]
    let decimals = if magnitude == 0.0 { 0 } else { (3.0 - magnitude.log10().floor()).clamp(0.0, 6.0) as usize };
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
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

fn metric_name(perf: &PerfRecord) -> String {
    match &perf.graph {
        Some(graph) => format!("{graph} / {}", perf.description),
        None => perf.description.clone(),
    }
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
    draw: impl FnOnce(&mut Chart<'_, '_>) -> Result<(), String>,
) -> String {
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        draw(&mut chart)
    })
}

/// Every iteration's value, the median (dashed) and the interquartile range (band).
fn series_chart(perf: &PerfRecord) -> String {
    let values: Vec<f64> = perf.values.iter().copied().filter(|v| v.is_finite()).collect();
    let summary = Summary::of(&values);
    let (low, high) = y_range(values.iter().copied());
    #[allow(clippy::cast_precision_loss, reason = "counts of perf values")]
    let n = values.len().max(1) as f64;
    let units = perf.units.clone().unwrap_or_else(|| "value".to_owned());
    plot(0.5..n + 0.5, low..high, |chart| {
        chart
            .configure_mesh()
            .x_desc("value (iteration order)")
            .y_desc(units.as_str())
            .x_labels(values.len().clamp(2, 10))
            .y_labels(6)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| label(*y))
            .draw()
            .map_err(err)?;
        if !values.is_empty() {
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
        #[allow(clippy::cast_precision_loss, reason = "indexes of perf values")]
        let points: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| ((i + 1) as f64, *v)).collect();
        if points.len() > 1 {
            chart.draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        }
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, BLUE.filled()))).map_err(err)?;
        Ok(())
    })
}

/// Both distributions side by side: each value, the median and the quartiles.
fn pair_chart(base: &[f64], new: &[f64], units: &str) -> String {
    let (low, high) = y_range(base.iter().chain(new).copied());
    plot(0.0..2.0, low..high, |chart| {
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(2)
            .x_label_formatter(&|_: &f64| String::new())
            .x_desc("baseline (left), this run (right)")
            .y_desc(units)
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

/// One metric over runs: the median of each, with its interquartile range.
fn history_chart(runs: &[Summary], units: &str) -> String {
    let (low, high) = y_range(runs.iter().flat_map(|s| [s.q1, s.q3, s.median]).filter(|v| v.is_finite()));
    #[allow(clippy::cast_precision_loss, reason = "counts of runs")]
    let n = runs.len().max(1) as f64;
    plot(0.5..n + 0.5, low..high, |chart| {
        chart
            .configure_mesh()
            .x_desc("run")
            .y_desc(units)
            .x_labels(runs.len().clamp(2, 12))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels(6)
            .y_label_formatter(&|y| label(*y))
            .draw()
            .map_err(err)?;
        #[allow(clippy::cast_precision_loss, reason = "indexes of runs")]
        let at = |i: usize| (i + 1) as f64;
        for (i, s) in runs.iter().enumerate().filter(|(_, s)| s.n > 0) {
            chart
                .draw_series(LineSeries::new([(at(i), s.q1), (at(i), s.q3)], BLUE.mix(0.5).stroke_width(6)))
                .map_err(err)?;
        }
        let medians: Vec<(f64, f64)> =
            runs.iter().enumerate().filter(|(_, s)| s.n > 0).map(|(i, s)| (at(i), s.median)).collect();
        chart.draw_series(LineSeries::new(medians.iter().copied(), BLUE.stroke_width(2))).map_err(err)?;
        chart.draw_series(medians.iter().map(|p| Circle::new(*p, 3, BLUE.filled()))).map_err(err)?;
        Ok(())
    })
}

fn figure(name: &str, caption: &str, body: &str, tooltip: &str) -> String {
    format!(
        r#"<figure class="chart" data-metric="{}"><figcaption>{}</figcaption><div title="{}">{body}</div></figure>"#,
        attr(name),
        text(caption),
        attr(tooltip)
    )
}

fn style() -> &'static str {
    r"body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
.status { font-weight: bold; border-radius: 3px; padding: 1px 6px; }
.good { background: #d8f0d8; } .warn { background: #fff0c0; } .na { background: #e4e4e4; } .bad { background: #f8d0d0; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure.chart { margin: 0; } figcaption { font-weight: 600; }
.verdict-regressed { color: #b00; } .verdict-improved { color: #070; }
dl.sysinfo { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dl.sysinfo dt { color: #666; }"
}

/// What the page may load or run: its own inline styles, nothing else (no
/// script at all; the charts are inline SVG).
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\"><title>{}</title>\n<style>\n{}\n</style></head><body>\n<h1>{}</h1>\n",
        text(title),
        style(),
        text(title)
    )
}

/// A link to `path` (relative to the page, `/`-separated) that is always a
/// relative path: every byte but letters, digits, `-._~` and `/` is
/// percent-encoded, and a path that does not start with `../` gets `./`, so
/// no name from the results (`javascript:...`) can become a scheme.
fn link(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    if !path.starts_with("../") {
        out.push_str("./");
    }
    for byte in path.trim_start_matches('/').bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Every test and subtest, parents first.
fn flat(tests: &[TestRecord]) -> Vec<&TestRecord> {
    let mut out = Vec::new();
    for test in tests {
        out.push(test);
        out.extend(flat(&test.subtests));
    }
    out
}

/// The report page for a run.
///
/// ```
/// use cargo_harness::html::html_page;
/// # let dir = tempfile::tempdir()?;
/// # let job = harness_core::Job::builder(dir.path().join("r")).build()?;
/// # let _ = job.complete()?;
/// let results = harness_core::results::JobResults::read(dir.path().join("r/results.json"))?;
/// let page = html_page(&results);
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn html_page(results: &JobResults) -> String {
    page(results, None, "")
}

/// The page, with `baseline` (and its name) compared metric by metric, and
/// links to each test's files through `links` (the results directory as the
/// page sees it: `""` when the page is in it).
pub(crate) fn page(results: &JobResults, baseline: Option<(&str, &JobResults)>, links: &str) -> String {
    let title = format!("harness run{}", results.job.tag.as_deref().map(|t| format!(" {t}")).unwrap_or_default());
    let mut out = head(&title);
    let counts: Vec<String> = results.job.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        out,
        r#"<p>Job status <span class="status {}">{}</span>; {} to {}; {}.</p>"#,
        status_class(results.job.status),
        results.job.status,
        text(&results.job.start),
        text(&results.job.end),
        text(&counts.join(", "))
    );
    if !results.job.sysinfo.is_empty() {
        out.push_str("<details open><summary>Machine</summary><dl class=\"sysinfo\">");
        for (key, value) in &results.job.sysinfo {
            let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", text(key), text(&clean(value)));
        }
        out.push_str("</dl></details>\n");
    }
    let comparison: Option<Comparison> =
        baseline.map(|(_, base)| compare(base, results, Knobs { alpha: 0.05, noise: 0.02 }));
    out.push_str("<table><thead><tr><th>status</th><th>test</th><th>time</th><th>iterations</th><th>reason</th><th>files</th></tr></thead><tbody>\n");
    let prefix = if links.is_empty() || links.ends_with('/') { links.to_owned() } else { format!("{links}/") };
    for test in flat(&results.tests) {
        let tagged = test.subdir.rsplit('/').next().unwrap_or(&test.subdir);
        let here = format!("{prefix}{}", test.subdir);
        let _ = writeln!(
            out,
            r#"<tr id="{}"><td><span class="status {}">{}</span></td><td>{}</td><td>{:.2} s</td><td>{}</td><td>{}</td><td><a href="{}">debug log</a> · <a href="{}">keyval</a> · <a href="{}">iterations</a></td></tr>"#,
            attr(&test.subdir),
            status_class(test.status),
            test.status,
            text(&test.subdir),
            test.duration,
            test.iterations,
            text(&clean(if test.status == Status::Good { "" } else { &test.reason })),
            attr(&link(&format!("{here}/debug/{tagged}.DEBUG"))),
            attr(&link(&format!("{here}/keyval"))),
            attr(&link(&format!("{here}/results/keyval"))),
        );
    }
    out.push_str("</tbody></table>\n");
    if let Some((name, _)) = baseline {
        let _ = writeln!(
            out,
            "<p>Compared with baseline <b>{}</b> (Mann-Whitney U, alpha 0.05, noise 2%).</p>",
            text(name)
        );
    }
    for test in flat(&results.tests).into_iter().filter(|t| !t.perf_values.is_empty()) {
        let _ = writeln!(out, r#"<section class="test"><h2>{}</h2><div class="charts">"#, text(&test.subdir));
        for perf in &test.perf_values {
            let name = metric_name(perf);
            let units = perf.units.clone().unwrap_or_default();
            // The one summary every console and page shows.
            let caption = perf.describe();
            let tooltip: Vec<String> =
                perf.values.iter().enumerate().map(|(i, v)| format!("{}: {}", i + 1, label(*v))).collect();
            out.push_str(&figure(&name, &caption, &series_chart(perf), &tooltip.join(", ")));
            let row = comparison.as_ref().and_then(|c| {
                let key = match &perf.graph {
                    Some(graph) => format!("{graph}.{}", perf.description),
                    None => perf.description.clone(),
                };
                c.metrics().iter().find(|m| m.test == test.subdir && m.metric == key)
            });
            if let (Some(row), Some((_, base))) = (row, baseline) {
                out.push_str(&pair_figure(&name, row, base, perf, &units));
            }
            out.push('\n');
        }
        out.push_str("</div></section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn pair_figure(name: &str, row: &MetricRow, base: &JobResults, perf: &PerfRecord, units: &str) -> String {
    let old: Vec<f64> = flat(&base.tests)
        .into_iter()
        .find(|t| t.subdir == row.test)
        .and_then(|t| t.perf_values.iter().find(|p| metric_name(p) == metric_name(perf)))
        .map(|p| p.values.clone())
        .unwrap_or_default();
    let caption = format!(
        "{name}: baseline vs this run: {:+.1}% [{:+.1}%, {:+.1}%], p = {:.3}: {}",
        row.change_percent, row.ci_percent[0], row.ci_percent[1], row.p, row.verdict
    );
    format!(
        r#"<figure class="chart pair verdict-{}" data-metric="{} (vs baseline)"><figcaption>{}</figcaption>{}</figure>"#,
        row.verdict.replace(' ', "-"),
        attr(name),
        text(&caption),
        pair_chart(&old, &perf.values, units)
    )
}

/// A page of each metric over `runs` (oldest first, each with its name): the
/// median of every run with its interquartile range.
#[must_use]
pub fn history_page(runs: &[(String, JobResults)]) -> String {
    let mut out = head("harness history");
    out.push_str("<ol>");
    for (name, run) in runs {
        let _ = write!(out, "<li>{} ({}, {})</li>", text(name), text(&run.job.start), run.job.status);
    }
    out.push_str("</ol>\n");
    // Every (test, metric) seen in any run, in first-seen order.
    let mut metrics: Vec<(String, String, String)> = Vec::new();
    for (_, run) in runs {
        for test in flat(&run.tests) {
            for perf in &test.perf_values {
                let key = (test.subdir.clone(), metric_name(perf), perf.units.clone().unwrap_or_default());
                if !metrics.iter().any(|m| m.0 == key.0 && m.1 == key.1) {
                    metrics.push(key);
                }
            }
        }
    }
    out.push_str(r#"<div class="charts">"#);
    for (subdir, metric, units) in metrics {
        let summaries: Vec<Summary> = runs
            .iter()
            .map(|(_, run)| {
                let values = flat(&run.tests)
                    .into_iter()
                    .find(|t| t.subdir == subdir)
                    .and_then(|t| t.perf_values.iter().find(|p| metric_name(p) == metric))
                    .map(|p| p.values.clone())
                    .unwrap_or_default();
                Summary::of(&values)
            })
            .collect();
        let medians: Vec<String> =
            summaries.iter().map(|s| if s.n == 0 { "-".to_owned() } else { label(s.median) }).collect();
        let name = format!("{subdir} / {metric}");
        let caption = format!("{name} ({units}): medians {}", medians.join(", "));
        out.push_str(&figure(&name, &caption, &history_chart(&summaries, &units), ""));
        out.push('\n');
    }
    out.push_str("</div></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_and_encoded() {
        assert_eq!(link("t.quick/debug/t.quick.DEBUG"), "./t.quick/debug/t.quick.DEBUG");
        assert_eq!(link("../r/t/keyval"), "../r/t/keyval");
        assert_eq!(link("javascript:alert(1)//x"), "./javascript%3Aalert%281%29//x");
        assert_eq!(link("/abs/x y"), "./abs/x%20y");
        assert_eq!(link("é\"<"), "./%C3%A9%22%3C");
    }

    fn perf(description: &str, values: &[f64]) -> PerfRecord {
        serde_json::from_value(serde_json::json!({
            "graph": null, "description": description, "units": "ms", "values": values,
            "improvement_direction": "down",
        }))
        .unwrap()
    }

    #[test]
    fn charts_plot_every_value_with_median_and_quartiles() {
        let svg = series_chart(&perf("a<b", &[1.0, 2.0, 4.0]));
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("value (iteration order)"));
        // Readable ticks, not only the ends.
        assert!(svg.matches("<text").count() >= 8, "{svg}");
        let flat = series_chart(&perf("flat", &[5.0, 5.0]));
        assert!(!flat.contains("NaN") && !flat.contains("inf"), "{flat}");
        assert_eq!(series_chart(&perf("one", &[0.0])).matches("<circle").count(), 1);
        let pair = pair_chart(&[1.0, 2.0], &[3.0, 4.0, 5.0], "ms");
        assert_eq!(pair.matches("<circle").count(), 5);
        let history = history_chart(&[Summary::of(&[1.0, 2.0]), Summary::of(&[]), Summary::of(&[3.0])], "ms");
        assert_eq!(history.matches("<circle").count(), 2);
    }

    #[test]
    fn labels_are_short_and_text_is_escaped() {
        assert_eq!(label(1.5), "1.5");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(212.7288), "212.7");
        assert_eq!(label(1234567.0), "1.235e6");
        assert_eq!(
            figure("a\"<", "x<y", "", "t'"),
            "<figure class=\"chart\" data-metric=\"a&quot;&lt;\"><figcaption>x&lt;y</figcaption><div title=\"t'\"></div></figure>"
        );
        assert_eq!(clean("a\u{0}b"), "a\u{FFFD}b");
    }
}
