//! Each metric over runs, in the order they ran.

use std::fmt::Write as _;

use html_escape::encode_text as text;

use harness_core::results::JobResults;
use harness_core::stats::Summary;

use super::charts::{history_chart, label};
use super::{figure, flat, head, when};

/// A page of each metric over `runs` (each with its name), oldest first
/// whatever the order given: the median of every run with its interquartile
/// range, each run labelled with its date and commit.
#[must_use]
pub fn history_page(runs: &[(String, JobResults)]) -> String {
    let mut runs: Vec<&(String, JobResults)> = runs.iter().collect();
    runs.sort_by(|a, b| a.1.job.start.cmp(&b.1.job.start));
    let mut out = head("harness history");
    out.push_str("<ol>");
    for (name, run) in &runs {
        let commit = run.job.sysinfo.get("git_commit").map(|c| format!(", commit {}", short(c))).unwrap_or_default();
        let _ = write!(
            out,
            "<li>{} ({}{}, {})</li>",
            text(name),
            text(&when(&run.job.start)),
            text(&commit),
            run.job.status
        );
    }
    out.push_str("</ol>\n");
    let labels: Vec<String> = runs
        .iter()
        .map(|(_, run)| {
            let date = when(&run.job.start).get(5..16).unwrap_or_default().to_owned();
            match run.job.sysinfo.get("git_commit") {
                Some(commit) => format!("{date} {}", short(commit)),
                None => date,
            }
        })
        .collect();
    // Every (test, metric) seen in any run, in first-seen order.
    let mut metrics: Vec<(String, String, String)> = Vec::new();
    for (_, run) in &runs {
        for test in flat(&run.tests) {
            for perf in &test.perf_values {
                let key = (test.subdir.clone(), perf.name(), perf.units.clone().unwrap_or_default());
                if !metrics.iter().any(|m| m.0 == key.0 && m.1 == key.1) {
                    metrics.push(key);
                }
            }
        }
    }
    out.push_str(r#"<div class="charts">"#);
    for (at, (subdir, metric, units)) in metrics.iter().enumerate() {
        let summaries: Vec<Summary> = runs
            .iter()
            .map(|(_, run)| {
                let values = flat(&run.tests)
                    .into_iter()
                    .find(|t| t.subdir == *subdir)
                    .and_then(|t| t.perf_values.iter().find(|p| p.name() == *metric))
                    .map(|p| p.values.clone())
                    .unwrap_or_default();
                Summary::of(&values)
            })
            .collect();
        let medians: Vec<String> =
            summaries.iter().map(|s| if s.n == 0 { "-".to_owned() } else { label(s.median) }).collect();
        let name = format!("{subdir}: {metric}");
        let caption = format!("{name} ({units}): medians {}", medians.join(", "));
        out.push_str(&figure(
            &format!("history-{}", at + 1),
            metric,
            &caption,
            &history_chart(&summaries, &labels, units),
            "",
        ));
        out.push('\n');
    }
    out.push_str("</div></body></html>\n");
    out
}

/// A commit as people quote it: its first 7 characters.
fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}
