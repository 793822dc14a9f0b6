//! `history changes`: where each series' level changed, found by
//! [`crate::changes::detect`] over its run medians.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use harness_core::compare::NoiseFigure;
use harness_core::console::print_out;
use harness_core::select::Selection;
use harness_core::stats::significant;

use super::store::{Point, Series};
use crate::changes::{ChangePoint, Options, detect};
use crate::error::CliError;

/// What `history changes` was asked.
#[derive(Debug, Clone)]
pub(crate) struct ChangesArgs {
    /// The store, when not the default.
    pub(crate) history: Option<PathBuf>,
    /// Only the tests whose directory matches this glob.
    pub(crate) test: Option<String>,
    /// Only this metric.
    pub(crate) metric: Option<String>,
    /// Only this machine.
    pub(crate) machine: Option<String>,
    /// Otava's window length.
    pub(crate) window: usize,
    /// Otava's largest p-value.
    pub(crate) max_pvalue: f64,
    /// Otava's smallest change; by default k times the series' noise.
    pub(crate) min_magnitude: Option<f64>,
    /// Print JSON.
    pub(crate) json: bool,
    /// Draw the series and their changes into this page.
    pub(crate) html: Option<PathBuf>,
}

impl ChangesArgs {
    /// Every series, on Otava's defaults (the smallest change k times the noise).
    pub(crate) fn defaults() -> ChangesArgs {
        let options = Options::default();
        ChangesArgs {
            history: None,
            test: None,
            metric: None,
            machine: None,
            window: options.window_len,
            max_pvalue: options.max_pvalue,
            min_magnitude: None,
            json: false,
            html: None,
        }
    }
}

/// A change point with the run it is at.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Its position, the run, the means and the significance.
    #[serde(flatten)]
    pub point: ChangePoint,
    /// The run where the new level starts.
    pub run: String,
    /// Its start.
    pub start: String,
    /// Its commit.
    pub git_commit: Option<String>,
    /// `regressed` or `improved`, by the metric's direction.
    pub verdict: &'static str,
}

/// One series and its changes.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesChanges {
    /// The series.
    #[serde(flatten)]
    pub series: Series,
    /// The smallest change kept, as a fraction, and where it comes from.
    pub min_magnitude: f64,
    /// `flag` (given), `history` (k times the noise) or `none`.
    pub min_magnitude_from: &'static str,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
}

/// The changes of every series `args` selects.
pub(crate) fn find(series: Vec<Series>, args: &ChangesArgs) -> Result<Vec<SeriesChanges>, CliError> {
    let test = args.test.as_deref().map(Selection::name).transpose().map_err(|e| CliError::Select(e.to_string()))?;
    let mut out = Vec::new();
    for series in series {
        let wanted = test.as_ref().is_none_or(|t| t.matches(&series.test, &[]))
            && args.metric.as_ref().is_none_or(|m| *m == series.metric)
            && args.machine.as_ref().is_none_or(|m| *m == series.machine);
        if !wanted {
            continue;
        }
        let values: Vec<f64> = series.points.iter().map(|p| p.value).collect();
        let noise = NoiseFigure::of(&series.test, &series.metric, &series.machine, &values);
        let (min_magnitude, from) = match (args.min_magnitude, noise) {
            (Some(given), _) => (given, "flag"),
            (None, Some(noise)) => (noise.threshold(), "history"),
            (None, None) => (0.0, "none"),
        };
        let options = Options { window_len: args.window, max_pvalue: args.max_pvalue, min_magnitude };
        let changes = detect(&values, options)
            .into_iter()
            .map(|point| {
                let Point { run, start, git_commit, .. } = series.points[point.index].clone();
                let worse = if series.direction == "up" {
                    point.mean_after < point.mean_before
                } else {
                    point.mean_after > point.mean_before
                };
                Change { point, run, start, git_commit, verdict: if worse { "regressed" } else { "improved" } }
            })
            .collect();
        out.push(SeriesChanges { series, min_magnitude, min_magnitude_from: from, changes });
    }
    Ok(out)
}

/// The changes as `history changes` prints them.
pub(crate) fn table(found: &[SeriesChanges]) -> String {
    let mut out = String::new();
    for s in found {
        let series = &s.series;
        let units = series.units.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "{}: {} ({}, {}) on {}: {} run{}, {} change{} (at least {}%{})",
            series.test,
            series.metric,
            if units.is_empty() { "no units" } else { units },
            if series.direction == "up" { "higher is better" } else { "lower is better" },
            series.machine,
            series.points.len(),
            if series.points.len() == 1 { "" } else { "s" },
            s.changes.len(),
            if s.changes.len() == 1 { "" } else { "s" },
            significant(s.min_magnitude * 100.0),
            match s.min_magnitude_from {
                "history" => ", k x noise",
                _ => "",
            },
        );
        for change in &s.changes {
            let commit = change.git_commit.as_deref().map_or("-", |c| c.get(..7).unwrap_or(c));
            let _ = writeln!(
                out,
                "  #{:<4} {}  {:<7}  {} -> {} {units}  {:+.1}%  p {}  {}",
                change.point.index,
                change.start.get(..16).unwrap_or(&change.start).replace('T', " "),
                commit,
                significant(change.point.mean_before),
                significant(change.point.mean_after),
                change.point.change_percent,
                significant(change.point.pvalue),
                change.verdict,
            );
        }
    }
    let total: usize = found.iter().map(|s| s.changes.len()).sum();
    let _ = writeln!(out, "{total} change{} in {} series", if total == 1 { "" } else { "s" }, found.len());
    out
}

/// `history changes`: the table, the JSON or the page; exit 0, 2 on an error.
pub(crate) fn changes(args: &ChangesArgs) -> i32 {
    if args.window < 2 || !(args.max_pvalue > 0.0 && args.max_pvalue <= 1.0) {
        return crate::usage_error(&CliError::Knob {
            option: if args.window < 2 { "--window" } else { "--max-pvalue" },
            value: if args.window < 2 { f64::from(u32::try_from(args.window).unwrap_or(0)) } else { args.max_pvalue },
            expected: if args.window < 2 { "at least 2" } else { "between 0 and 1" },
        });
    }
    if let Some(m) = args.min_magnitude.filter(|m| !(m.is_finite() && *m >= 0.0)) {
        return crate::usage_error(&CliError::Knob { option: "--min-magnitude", value: m, expected: "at least 0" });
    }
    let found = super::open(args.history.as_deref())
        .and_then(|(store, _)| Ok((store.series()?, store.run_rows()?)))
        .and_then(|(series, runs)| Ok((find(series, args)?, runs)));
    let (found, runs) = match found {
        Ok(found) => found,
        Err(e) => return crate::usage_error(&e),
    };
    if args.json {
        print_out(&(serde_json::to_string_pretty(&found).unwrap_or_default() + "\n"));
    } else {
        print_out(&table(&found));
    }
    if let Some(out) = &args.html {
        let page = crate::html::history_page(&runs, &found);
        if let Err(e) = std::fs::write(out, page) {
            return crate::usage_error(&CliError::io("write", out, e));
        }
        eprintln!("page: {}", out.display());
    }
    crate::EXIT_OK
}
