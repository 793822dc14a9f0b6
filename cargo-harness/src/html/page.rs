//! The report page of one run: title, failures, the summary of every metric,
//! the tests, and the charts.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use harness_core::Status;
use harness_core::compare::{Comparison, Knobs, MetricRow, compare};
use harness_core::results::{JobResults, PerfRecord, TestRecord};
use harness_core::stats::significant;

use super::charts::{label, pair_chart, series_chart};
use super::{clean, figure, flat, head, link, status_class, when};

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

/// One chart: a metric of a test, or of every variant of one test.
struct Group<'r> {
    id: String,
    /// The test (`file_io` for its variants), or the test's directory.
    test: String,
    metric: String,
    /// Each series: its label (the variant, or the test's directory), its
    /// record and its metric.
    series: Vec<(String, &'r TestRecord, &'r PerfRecord)>,
}

/// The charts of a run: a test's metric alone, or the same metric of every
/// variant of one test together, in the order the tests ran.
fn groups(results: &JobResults) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for record in flat(&results.tests) {
        for perf in &record.perf_values {
            let (test, series) = match &record.variant {
                Some(variant) => (record.test.clone(), variant.clone()),
                None => (record.subdir.clone(), record.subdir.clone()),
            };
            let metric = perf.name();
            match groups.iter_mut().find(|g| g.test == test && g.metric == metric) {
                Some(group) => group.series.push((series, record, perf)),
                None => {
                    let id = format!("chart-{}", groups.len() + 1);
                    groups.push(Group { id, test, metric, series: vec![(series, record, perf)] });
                }
            }
        }
    }
    groups
}

/// The page, with `baseline` (and its name) compared metric by metric, and
/// links to each test's files through `links` (the results directory as the
/// page sees it: `""` when the page is in it).
pub(crate) fn page(results: &JobResults, baseline: Option<(&str, &JobResults)>, links: &str) -> String {
    let name = results.job.tag.clone().unwrap_or_else(|| "harness run".to_owned());
    let mut out = head(&format!("{name} · {}", when(&results.job.start)));
    let counts: Vec<String> = results.job.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        out,
        r#"<p class="when">Job <span class="status {}">{}</span> · {} · from {} to {}</p>"#,
        status_class(results.job.status),
        results.job.status,
        text(&counts.join(", ")),
        text(&results.job.start),
        text(&results.job.end),
    );
    for noise in &results.job.noise {
        let _ = writeln!(out, r#"<p class="noise">warning: {}</p>"#, text(&clean(noise)));
    }
    failures(&mut out, results);
    let comparison: Option<Comparison> = baseline.map(|(_, base)| compare(base, results, &Knobs::default()));
    let row_of = |record: &TestRecord, perf: &PerfRecord| {
        comparison
            .as_ref()
            .and_then(|c| c.metrics().iter().find(|m| m.test == record.subdir && m.metric == perf.name()))
    };
    let groups = groups(results);
    summary(&mut out, &groups, baseline.map(|(name, _)| name), &row_of);
    tests(&mut out, results, links);
    if let Some((name, _)) = baseline {
        let _ = writeln!(
            out,
            "<p>Compared with baseline <b>{}</b> (Mann-Whitney U, alpha 0.05, noise 2%).</p>",
            text(name)
        );
    }
    if !groups.is_empty() {
        out.push_str("<h2>Charts</h2>\n<div class=\"charts\">\n");
    }
    for group in &groups {
        let units = group.series[0].2.units.clone().unwrap_or_default();
        let values: Vec<(String, &[f64])> =
            group.series.iter().map(|(s, _, p)| (s.clone(), p.values.as_slice())).collect();
        let caption = match group.series.as_slice() {
            [(_, record, perf)] => format!("{}: {}", record.subdir, perf.describe()),
            [(_, _, first), ..] => format!(
                "{}: {} ({}{}), one line per variant",
                group.test,
                group.metric,
                if units.is_empty() { String::new() } else { format!("{units}, ") },
                if first.higher_is_better() { "higher is better" } else { "lower is better" }
            ),
            [] => String::new(),
        };
        let tooltip: Vec<String> = group
            .series
            .iter()
            .map(|(s, _, p)| format!("{s}: {}", p.values.iter().map(|v| label(*v)).collect::<Vec<_>>().join(", ")))
            .collect();
        out.push_str(&figure(&group.id, &group.metric, &caption, &series_chart(&values, &units), &tooltip.join("; ")));
        for (_, record, perf) in &group.series {
            if let (Some(row), Some((base_name, base))) = (row_of(record, perf), baseline) {
                out.push_str(&pair_figure(row, base_name, base, perf, &units));
            }
        }
        out.push('\n');
    }
    if !groups.is_empty() {
        out.push_str("</div>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// The tests that failed, each with its reason and the place that raised it.
fn failures(out: &mut String, results: &JobResults) {
    let failed: Vec<&TestRecord> = flat(&results.tests).into_iter().filter(|t| t.status.is_failure()).collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("<section class=\"failures\"><h2>Failures</h2><ul>\n");
    for test in failed {
        let reason = if test.summary.is_empty() { &test.reason } else { &test.summary };
        let place = test.raised_at.as_deref().map(|at| format!(" <span class=\"place\">raised at {}</span>", text(at)));
        let _ = writeln!(
            out,
            r##"<li><span class="status {}">{}</span> <a href="#test-{}">{}</a>: {}{}</li>"##,
            status_class(test.status),
            test.status,
            attr(&test.subdir),
            text(&test.subdir),
            text(&clean(reason)),
            place.unwrap_or_default()
        );
    }
    out.push_str("</ul></section>\n");
}

/// Every metric in one table, each linking to its chart; with a baseline,
/// the change and the verdict.
fn summary<'r>(
    out: &mut String,
    groups: &[Group<'r>],
    baseline: Option<&str>,
    row_of: &dyn Fn(&TestRecord, &PerfRecord) -> Option<&'r MetricRow>,
) {
    if groups.is_empty() {
        return;
    }
    out.push_str("<h2>Summary</h2>\n<table class=\"summary\"><thead><tr><th>test</th><th>metric</th><th>median</th><th>IQR</th><th>CV</th><th>n</th><th>units</th>");
    if let Some(name) = baseline {
        let _ = write!(out, "<th>change vs {}</th><th>verdict</th>", text(name));
    }
    out.push_str("</tr></thead><tbody>\n");
    for group in groups {
        for (_, record, perf) in &group.series {
            let s = perf.summary();
            let direction = if perf.higher_is_better() { "higher is better" } else { "lower is better" };
            let _ = write!(
                out,
                r##"<tr><td>{}</td><td><a href="#{}">{}</a></td><td class="num">{}</td><td class="num">{}–{}</td><td class="num">{}</td><td class="num">{}</td><td title="{}">{}</td>"##,
                text(&record.subdir),
                attr(&group.id),
                text(&group.metric),
                significant(s.median),
                significant(s.q1),
                significant(s.q3),
                if s.cv_percent.is_nan() { "-".to_owned() } else { format!("{}%", significant(s.cv_percent)) },
                s.n,
                direction,
                text(perf.units.as_deref().unwrap_or("")),
            );
            if baseline.is_some() {
                match row_of(record, perf) {
                    Some(row) => {
                        let _ = write!(
                            out,
                            r#"<td class="num">{}</td><td class="verdict-{}">{}</td>"#,
                            text(&row.shown_change()),
                            row.verdict.as_str().replace(' ', "-"),
                            row.verdict.as_str()
                        );
                    }
                    None => out.push_str("<td></td><td>not in the baseline</td>"),
                }
            }
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</tbody></table>\n");
}

/// The tests, each with its status, reason, place and links to its files.
fn tests(out: &mut String, results: &JobResults, links: &str) {
    out.push_str("<h2>Tests</h2>\n<table><thead><tr><th>status</th><th>test</th><th>time</th><th>iterations</th><th>reason</th><th>files</th></tr></thead><tbody>\n");
    let prefix = if links.is_empty() || links.ends_with('/') { links.to_owned() } else { format!("{links}/") };
    for test in flat(&results.tests) {
        let tagged = test.subdir.rsplit('/').next().unwrap_or(&test.subdir);
        let here = format!("{prefix}{}", test.subdir);
        let reason = if test.status == Status::Good { String::new() } else { clean(&test.reason) };
        let place = match (&test.raised_at, test.status == Status::Good) {
            (Some(at), false) => format!(" <span class=\"place\">raised at {}</span>", text(at)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            r#"<tr id="test-{}"><td><span class="status {}">{}</span></td><td>{}</td><td class="num">{:.2} s</td><td class="num">{}</td><td>{}{place}</td><td><a href="{}">debug log</a> · <a href="{}">keyval</a> · <a href="{}">iterations</a></td></tr>"#,
            attr(&test.subdir),
            status_class(test.status),
            test.status,
            text(&test.subdir),
            test.duration,
            test.iterations,
            text(&reason),
            attr(&link(&format!("{here}/debug/{tagged}.DEBUG"))),
            attr(&link(&format!("{here}/keyval"))),
            attr(&link(&format!("{here}/results/keyval"))),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn pair_figure(row: &MetricRow, base_name: &str, base: &JobResults, perf: &PerfRecord, units: &str) -> String {
    let old: Vec<f64> = flat(&base.tests)
        .into_iter()
        .find(|t| t.subdir == row.test)
        .and_then(|t| t.perf_values.iter().find(|p| p.name() == perf.name()))
        .map(|p| p.values.clone())
        .unwrap_or_default();
    let interval = match row.ci_percent {
        Some([low, high]) => format!("[{low:+.1}%, {high:+.1}%]"),
        None => format!("[{}, {}]", label(row.ci[0]), label(row.ci[1])),
    };
    let why = row.why.as_ref().map(|why| format!(" ({why})")).unwrap_or_default();
    let caption = format!(
        "{}: {}: baseline {base_name} vs this run: {} {interval}, p = {:.3}: {}{why}",
        row.test,
        row.metric,
        row.shown_change(),
        row.p,
        row.verdict.as_str()
    );
    format!(
        r#"<figure class="chart pair verdict-{}" data-metric="{} (vs baseline)"><figcaption>{}</figcaption>{}</figure>"#,
        row.verdict.as_str().replace(' ', "-"),
        attr(&perf.name()),
        text(&caption),
        pair_chart(&old, &perf.values, base_name, units)
    )
}
