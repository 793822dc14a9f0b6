//! Two runs side by side, metric by metric: the statistics of
//! [`crate::stats`], and a verdict that knows each metric's direction. Used by
//! `run --baseline` and by the results tools (`cargo harness compare`, the
//! report page); also where baselines are kept ([`baseline_path`],
//! [`save_baseline`]).
//!
//! ```
//! use harness_core::compare::{Knobs, compare};
//! # let dir = tempfile::tempdir()?;
//! # let job = harness_core::Job::builder(dir.path().join("r")).build()?;
//! # let _ = job.complete()?;
//! let run = harness_core::results::JobResults::read(dir.path().join("r/results.json"))?;
//! let comparison = compare(&run, &run, &Knobs::default());
//! assert!(!comparison.regressed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod baselines;
mod noise;
mod verdict;

use std::collections::BTreeMap;

use serde::Serialize;

pub use baselines::{BASELINES, baseline_path, load_run, save_baseline};
pub use noise::{
    NOISE_FACTOR, NOISE_MIN_RUNS, NOISE_RUNS, NoiseFigure, NoiseFigures, TOO_NOISY, history_path, machine_id,
};
pub use verdict::{Knobs, MIN_VALUES, MetricRow, SideStats, Verdict};

use crate::results::{JobResults, TestRecord};
use crate::stats::significant;

/// A sysinfo key whose values differ.
#[derive(Debug, Serialize)]
struct ContextDiff {
    key: String,
    base: Option<String>,
    new: Option<String>,
}

/// The whole comparison (what `--json` prints).
#[derive(Debug, Serialize)]
pub struct Comparison {
    alpha: f64,
    noise: f64,
    context: Vec<ContextDiff>,
    metrics: Vec<MetricRow>,
    /// Tests of BASE that NEW does not have.
    missing: Vec<String>,
    /// Tests of NEW that BASE does not have.
    added: Vec<String>,
    /// Tests that passed in BASE and fail in NEW, with their status and reason.
    now_failing: Vec<String>,
    regressions: usize,
    /// Metrics judged `inconclusive`.
    inconclusive: usize,
    /// Metrics judged at all (neither side missing, units and direction alike).
    compared: usize,
}

impl Comparison {
    /// Whether a metric regressed.
    #[must_use]
    pub fn regressed(&self) -> bool {
        self.regressions > 0
    }

    /// The tests that passed in BASE and fail in NEW (`test (STATUS reason)`).
    #[must_use]
    pub fn now_failing(&self) -> &[String] {
        &self.now_failing
    }

    /// How many metrics were judged `inconclusive`.
    #[must_use]
    pub fn inconclusive(&self) -> usize {
        self.inconclusive
    }

    /// How many metrics could be judged (not `not comparable`).
    #[must_use]
    pub fn compared(&self) -> usize {
        self.compared
    }

    /// Every metric both runs have, test by test.
    #[must_use]
    pub fn metrics(&self) -> &[MetricRow] {
        &self.metrics
    }

    /// The comparison as a table, as `compare` prints it.
    #[must_use]
    pub fn table(&self) -> String {
        table(self)
    }
}

/// Every test and subtest by its subdir.
fn by_subdir(tests: &[TestRecord], out: &mut BTreeMap<String, TestRecord>) {
    for test in tests {
        out.insert(test.subdir.clone(), test.clone());
        by_subdir(&test.subtests, out);
    }
}

/// Compares two runs.
#[must_use]
pub fn compare(base: &JobResults, new: &JobResults, knobs: &Knobs) -> Comparison {
    let (mut old_tests, mut new_tests) = (BTreeMap::new(), BTreeMap::new());
    by_subdir(&base.tests, &mut old_tests);
    by_subdir(&new.tests, &mut new_tests);
    let mut comparison = Comparison {
        alpha: knobs.alpha,
        noise: knobs.noise,
        context: context(base, new),
        metrics: Vec::new(),
        missing: old_tests.keys().filter(|k| !new_tests.contains_key(*k)).cloned().collect(),
        added: new_tests.keys().filter(|k| !old_tests.contains_key(*k)).cloned().collect(),
        now_failing: Vec::new(),
        regressions: 0,
        inconclusive: 0,
        compared: 0,
    };
    let (machine, _) = machine_id(&new.job.sysinfo);
    for (subdir, old) in &old_tests {
        let Some(now) = new_tests.get(subdir) else { continue };
        if !old.status.is_failure() && now.status.is_failure() {
            comparison.now_failing.push(format!("{subdir} ({} {})", now.status, now.summary));
        }
        for perf in &old.perf_values {
            let Some(other) = now.perf_values.iter().find(|p| p.name() == perf.name()) else { continue };
            let row = verdict::judge(subdir, perf, other, now, knobs, &machine);
            comparison.regressions += usize::from(row.verdict == Verdict::Regressed);
            comparison.inconclusive += usize::from(row.verdict == Verdict::Inconclusive);
            comparison.compared += usize::from(row.verdict != Verdict::NotComparable);
            comparison.metrics.push(row);
        }
    }
    comparison
}

/// The sysinfo keys that differ (the load average aside: it always does).
fn context(base: &JobResults, new: &JobResults) -> Vec<ContextDiff> {
    let (a, b) = (&base.job.sysinfo, &new.job.sysinfo);
    crate::results::sysinfo::SYSINFO_KEYS
        .iter()
        .filter(|key| **key != "load_average")
        .filter(|key| a.get(**key) != b.get(**key))
        .map(|key| ContextDiff { key: (*key).to_owned(), base: a.get(*key).cloned(), new: b.get(*key).cloned() })
        .collect()
}

fn table(comparison: &Comparison) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for diff in &comparison.context {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unknown)".to_owned());
        let _ = writeln!(out, "context differs: {}: {} -> {}", diff.key, shown(&diff.base), shown(&diff.new));
    }
    let width = comparison.metrics.iter().map(|m| m.test.len() + 1 + m.metric.len()).max().unwrap_or(6).max(6);
    let _ = writeln!(
        out,
        "{:<width$} {:>7} {:>12} {:>12} {:>10} {:>21} {:>7}  VERDICT",
        "METRIC", "N", "BASE", "NEW", "CHANGE", "CI", "P"
    );
    for m in &comparison.metrics {
        let units = m.units.as_deref().unwrap_or("");
        let interval = match m.ci_percent {
            Some([low, high]) => format!("[{low:+.1}%, {high:+.1}%]"),
            None => format!("[{}, {}]", significant(m.ci[0]), significant(m.ci[1])),
        };
        let verdict = match &m.why {
            Some(why) => format!("{} ({why})", m.verdict.as_str()),
            None => m.verdict.as_str().to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<width$} {:>7} {:>12} {:>12} {:>10} {:>21} {:>7.3}  {verdict}",
            format!("{}/{}", m.test, m.metric),
            format!("{}/{}", m.base.n, m.new.n),
            format!("{} {units}", significant(m.base.median)).trim_end(),
            format!("{} {units}", significant(m.new.median)).trim_end(),
            m.shown_change(),
            interval,
            m.p,
        );
    }
    for (label, list) in [
        ("missing in NEW", &comparison.missing),
        ("new in NEW", &comparison.added),
        ("now failing", &comparison.now_failing),
    ] {
        for item in list {
            let _ = writeln!(out, "{label}: {item}");
        }
    }
    let from_history = comparison.metrics.iter().filter(|m| m.threshold_from == "history").count();
    let thresholds = if from_history == 0 {
        format!("noise {}%", comparison.noise * 100.0)
    } else {
        format!(
            "noise {NOISE_FACTOR} x the history's for {from_history} metric{}, else {}%",
            if from_history == 1 { "" } else { "s" },
            comparison.noise * 100.0
        )
    };
    let _ = writeln!(
        out,
        "{} regression{}, {} inconclusive, {} compared (alpha {}, {thresholds})",
        comparison.regressions,
        if comparison.regressions == 1 { "" } else { "s" },
        comparison.inconclusive,
        comparison.compared,
        comparison.alpha,
    );
    out
}
