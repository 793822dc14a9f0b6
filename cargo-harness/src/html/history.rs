//! Each metric over the runs of the history, with its change points.

use std::fmt::Write as _;

use html_escape::encode_text as text;

use super::charts::{history_chart, label};
use super::{figure, head, when};
use crate::history::SeriesChanges;
use crate::history::store::RunRow;

/// A page of the history: its runs (oldest first), then each series (a
/// metric of a test on a machine) drawn over its runs, each run labelled
/// with its date and commit, each change point marked with its change; the
/// changes listed under their chart.
#[must_use]
pub fn history_page(runs: &[RunRow], found: &[SeriesChanges]) -> String {
    let mut out = head("harness history");
    out.push_str("<ol>");
    for run in runs {
        let name = std::path::Path::new(&run.source)
            .file_name()
            .map_or(run.source.clone(), |n| n.to_string_lossy().into_owned());
        let commit = run.git_commit.as_deref().map(|c| format!(", commit {}", short(c))).unwrap_or_default();
        let _ = write!(
            out,
            "<li>{} ({}{}, {})</li>",
            text(&name),
            text(&when(&run.start)),
            text(&commit),
            text(&run.status)
        );
    }
    out.push_str("</ol>\n");
    let total: usize = found.iter().map(|s| s.changes.len()).sum();
    let _ = writeln!(out, "<p>{total} change{} in {} series.</p>", if total == 1 { "" } else { "s" }, found.len());
    out.push_str(r#"<div class="charts">"#);
    for (at, s) in found.iter().enumerate() {
        let series = &s.series;
        let units = series.units.clone().unwrap_or_default();
        let labels: Vec<String> = series
            .points
            .iter()
            .map(|p| {
                let date = when(&p.start).get(5..16).unwrap_or_default().to_owned();
                match &p.git_commit {
                    Some(commit) => format!("{date} {}", short(commit)),
                    None => date,
                }
            })
            .collect();
        let marks: Vec<(usize, String)> =
            s.changes.iter().map(|c| (c.point.index, format!("{:+.1}%", c.point.change_percent))).collect();
        let medians: Vec<String> = series.points.iter().map(|p| label(p.value)).collect();
        let name = format!("{}: {}", series.test, series.metric);
        let caption = format!("{name} ({units}) on {}: medians {}", series.machine, medians.join(", "));
        let mut changes = String::new();
        if !s.changes.is_empty() {
            changes.push_str("<ul class=\"changes\">");
            for c in &s.changes {
                let commit = c.git_commit.as_deref().map(short).unwrap_or("-");
                let _ = write!(
                    changes,
                    "<li>{} at run {} ({}, {}): {} &rarr; {} {}, {:+.1}%, p {}</li>",
                    c.verdict,
                    c.point.index,
                    text(&when(&c.start)),
                    text(commit),
                    label(c.point.mean_before),
                    label(c.point.mean_after),
                    text(&units),
                    c.point.change_percent,
                    label(c.point.pvalue),
                );
            }
            changes.push_str("</ul>");
        }
        out.push_str(&figure(
            &format!("history-{}", at + 1),
            &series.metric,
            &caption,
            &(history_chart(&series.points, &labels, &units, &marks) + &changes),
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
