//! A finished run as one self-contained HTML page: a table of the tests and one
//! SVG chart per perf metric (values per iteration, units, direction). No
//! scripts, no external resources.

use std::fmt::Write as _;

use super::job_files::JobResults;
use super::record::PerfRecord;
use crate::status::Status;

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Good => "good",
        Status::Warn => "warn",
        Status::TestNa => "na",
        _ => "bad",
    }
}

/// A short number for axis labels: four significant digits.
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

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// One chart: the values in order, on a y axis from their minimum to maximum.
fn chart(perf: &PerfRecord) -> String {
    let values: Vec<f64> = perf.values.iter().copied().filter(|v| v.is_finite()).collect();
    let (mut low, mut high) =
        values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if values.is_empty() {
        (low, high) = (0.0, 1.0);
    }
    if (high - low).abs() < f64::EPSILON * high.abs().max(1.0) {
        let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
        low -= pad;
        high += pad;
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    #[allow(clippy::cast_precision_loss, reason = "indexes of perf values")]
    let x = |i: usize| {
        if values.len() <= 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (values.len() - 1) as f64 }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - (v - low) / (high - low));
    let name = match &perf.graph {
        Some(graph) => format!("{graph} / {}", perf.description),
        None => perf.description.clone(),
    };
    let units = perf.units.clone().unwrap_or_default();
    let direction = if perf.improvement_direction == "up" { "higher is better" } else { "lower is better" };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<figure class="chart" data-metric="{}"><figcaption>{} <span class="units">({}{}{})</span></figcaption>"#,
        escape(&name),
        escape(&name),
        escape(&units),
        if units.is_empty() { "" } else { ", " },
        direction
    );
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(&name)
    );
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>"##
    );
    for step in 0..=2 {
        let value = low + (high - low) * f64::from(step) / 2.0;
        let py = y(value);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            py + 4.0,
            escape(&label(value))
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="axis">iteration (value 1 to {})</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 8.0,
        values.len()
    );
    let _ = write!(
        svg,
        r#"<text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle" class="axis">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(if units.is_empty() { "value" } else { &units })
    );
    if values.len() > 1 {
        let points: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
        let _ =
            write!(svg, r##"<polyline fill="none" stroke="#3366cc" stroke-width="2" points="{}"/>"##, points.join(" "));
    }
    for (i, v) in values.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#3366cc"><title>{}: {} {}</title></circle>"##,
            x(i),
            y(*v),
            i + 1,
            escape(&label(*v)),
            escape(&units)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The report page for a run.
///
/// ```
/// use harness_core::results::html_page;
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
    let title = format!("harness run{}", results.job.tag.as_deref().map(|t| format!(" {t}")).unwrap_or_default());
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }}
.status {{ font-weight: bold; border-radius: 3px; padding: 1px 6px; }}
.good {{ background: #d8f0d8; }} .warn {{ background: #fff0c0; }} .na {{ background: #e4e4e4; }} .bad {{ background: #f8d0d0; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1em; }}
figure.chart {{ margin: 0; }} figcaption {{ font-weight: 600; }} .units {{ font-weight: normal; color: #666; }}
.tick, .axis {{ font-size: 11px; fill: #555; }}
</style></head><body>
<h1>{}</h1>
<p>Job status <span class="status {}">{}</span>; {} to {}; {}.</p>
<table><thead><tr><th>status</th><th>test</th><th>time</th><th>iterations</th><th>reason</th></tr></thead><tbody>
"#,
        escape(&title),
        escape(&title),
        status_class(results.job.status),
        results.job.status,
        escape(&results.job.start),
        escape(&results.job.end),
        escape(&results.job.counts.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")),
    );
    for test in &results.tests {
        let _ = writeln!(
            page,
            r#"<tr><td><span class="status {}">{}</span></td><td>{}</td><td>{:.2} s</td><td>{}</td><td>{}</td></tr>"#,
            status_class(test.status),
            test.status,
            escape(&test.subdir),
            test.duration,
            test.iterations,
            escape(if test.status == Status::Good { "" } else { &test.reason })
        );
    }
    page.push_str("</tbody></table>\n");
    for test in results.tests.iter().filter(|t| !t.perf_values.is_empty()) {
        let _ = writeln!(page, r#"<section class="test"><h2>{}</h2><div class="charts">"#, escape(&test.subdir));
        for perf in &test.perf_values {
            page.push_str(&chart(perf));
            page.push('\n');
        }
        page.push_str("</div></section>\n");
    }
    page.push_str("</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perf(description: &str, values: &[f64]) -> PerfRecord {
        let chart = {
            let mut chart = crate::results::PerfChart::new();
            chart.add(&crate::results::PerfValue::new(description, values.to_vec()).units("ms")).unwrap();
            chart
        };
        PerfRecord::from_chart(&chart).remove(0)
    }

    #[test]
    fn charts_escape_names_and_plot_every_value() {
        let svg = chart(&perf("a<b", &[1.0, 2.0, 4.0]));
        assert!(svg.contains(r#"data-metric="a_b""#), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<polyline"));
        let flat = chart(&perf("flat", &[5.0, 5.0]));
        assert!(!flat.contains("NaN") && !flat.contains("inf"), "{flat}");
        let one = chart(&perf("one", &[0.0]));
        assert_eq!(one.matches("<circle").count(), 1);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label(1.5), "1.5");
        assert_eq!(label(2.0), "2");
        assert_eq!(label(212.7288), "212.7");
        assert_eq!(label(0.33), "0.33");
        assert_eq!(label(12345.0), "12345");
        assert_eq!(label(1234567.0), "1.235e6");
        assert_eq!(label(0.0), "0");
        assert_eq!(escape("<a href='x'>&\u{0}"), "&lt;a href=&#39;x&#39;&gt;&amp;\u{FFFD}");
    }
}
