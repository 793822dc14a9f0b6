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
//! let comparison = compare(&run, &run, Knobs { alpha: 0.05, noise: 0.02 });
//! assert!(!comparison.regressed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::results::formats::perf_value::threshold_key;
use crate::results::{JobResults, PerfRecord, TestRecord};
use crate::stats::{Summary, mann_whitney_p, shift_interval, significant};

/// The statistical knobs: significance level and noise threshold.
#[derive(Debug, Clone, Copy)]
pub struct Knobs {
    /// The significance level of the Mann-Whitney U test.
    pub alpha: f64,
    /// Changes smaller than this fraction are noise (a metric's
    /// `regression_threshold` keyval wins for regressions).
    pub noise: f64,
}

/// One metric of one test in both runs.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct MetricRow {
    /// The test's subdir.
    pub test: String,
    /// `graph.description`, or the description.
    pub metric: String,
    /// The units (NEW's).
    pub units: Option<String>,
    /// `up` (higher is better) or `down`.
    pub direction: String,
    /// BASE's values, summarised.
    pub base: SideStats,
    /// NEW's values, summarised.
    pub new: SideStats,
    /// The Hodges-Lehmann shift relative to the base median, in percent.
    pub change_percent: f64,
    /// Its `1 - alpha` confidence interval, in percent.
    pub ci_percent: [f64; 2],
    /// The two-sided Mann-Whitney U p-value.
    pub p: f64,
    /// The change beyond which a significant worsening is a regression, in percent.
    pub threshold_percent: f64,
    /// `regressed`, `improved` or `no change`.
    pub verdict: &'static str,
}

/// One side's values of a metric, summarised.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct SideStats {
    /// How many values.
    pub n: usize,
    /// Their median.
    pub median: f64,
    /// Their mean.
    pub mean: f64,
    /// The first quartile.
    pub q1: f64,
    /// The third quartile.
    pub q3: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The coefficient of variation, in percent.
    pub cv_percent: f64,
}

impl From<Summary> for SideStats {
    fn from(s: Summary) -> Self {
        SideStats {
            n: s.n,
            median: s.median,
            mean: s.mean,
            q1: s.q1,
            q3: s.q3,
            min: s.min,
            max: s.max,
            cv_percent: s.cv_percent,
        }
    }
}

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
}

impl Comparison {
    /// Whether a metric regressed.
    #[must_use]
    pub fn regressed(&self) -> bool {
        self.regressions > 0
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

fn metric_name(perf: &PerfRecord) -> String {
    match &perf.graph {
        Some(graph) => format!("{graph}.{}", perf.description),
        None => perf.description.clone(),
    }
}

/// Compares two runs.
#[must_use]
pub fn compare(base: &JobResults, new: &JobResults, knobs: Knobs) -> Comparison {
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
    };
    for (subdir, old) in &old_tests {
        let Some(now) = new_tests.get(subdir) else { continue };
        if !old.status.is_failure() && now.status.is_failure() {
            comparison.now_failing.push(format!("{subdir} ({} {})", now.status, now.summary));
        }
        for perf in &old.perf_values {
            let name = metric_name(perf);
            let Some(other) = now.perf_values.iter().find(|p| metric_name(p) == name) else { continue };
            let row = metric(subdir, &name, perf, other, now, knobs);
            comparison.regressions += usize::from(row.verdict == "regressed");
            comparison.metrics.push(row);
        }
    }
    comparison
}

fn metric(
    subdir: &str,
    name: &str,
    old: &PerfRecord,
    new: &PerfRecord,
    record: &TestRecord,
    knobs: Knobs,
) -> MetricRow {
    let (base, now) = (Summary::of(&old.values), Summary::of(&new.values));
    let scale = if base.median == 0.0 { f64::NAN } else { 100.0 / base.median.abs() };
    let (shift, low, high) = shift_interval(&old.values, &new.values, knobs.alpha).unwrap_or((0.0, 0.0, 0.0));
    let p = mann_whitney_p(&old.values, &new.values);
    let change = shift * scale;
    let threshold = record.keyvals.get(&threshold_key(name)).and_then(|t| t.parse::<f64>().ok()).unwrap_or(knobs.noise);
    let higher_is_better = new.improvement_direction == "up";
    let worse = if higher_is_better { change < 0.0 } else { change > 0.0 };
    let significant = p < knobs.alpha;
    let verdict = if significant && worse && change.abs() > threshold * 100.0 {
        "regressed"
    } else if significant && !worse && change.abs() > knobs.noise * 100.0 {
        "improved"
    } else {
        "no change"
    };
    MetricRow {
        test: subdir.to_owned(),
        metric: name.to_owned(),
        units: new.units.clone(),
        direction: new.improvement_direction.to_string(),
        base: base.into(),
        new: now.into(),
        change_percent: change,
        ci_percent: [low * scale, high * scale],
        p,
        threshold_percent: threshold * 100.0,
        verdict,
    }
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
        "{:<width$} {:>7} {:>12} {:>12} {:>8} {:>19} {:>7}  VERDICT",
        "METRIC", "N", "BASE", "NEW", "CHANGE", "CI", "P"
    );
    for m in &comparison.metrics {
        let units = m.units.as_deref().unwrap_or("");
        let interval = format!("[{:+.1}%, {:+.1}%]", m.ci_percent[0], m.ci_percent[1]);
        let _ = writeln!(
            out,
            "{:<width$} {:>7} {:>12} {:>12} {:>7.1}% {:>19} {:>7.3}  {}",
            format!("{}/{}", m.test, m.metric),
            format!("{}/{}", m.base.n, m.new.n),
            format!("{} {units}", significant(m.base.median)).trim_end(),
            format!("{} {units}", significant(m.new.median)).trim_end(),
            m.change_percent,
            interval,
            m.p,
            m.verdict,
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
    let _ = writeln!(
        out,
        "{} regression{} (alpha {}, noise {}%)",
        comparison.regressions,
        if comparison.regressions == 1 { "" } else { "s" },
        comparison.alpha,
        comparison.noise * 100.0
    );
    out
}

/// Where baselines live: `baselines/` in the results root.
pub const BASELINES: &str = "baselines";

/// Where baseline `name` of the results root `root` is kept:
/// `<root>/baselines/<name>.json`.
///
/// # Errors
///
/// [`Error::InvalidName`] for a name that is not letters, digits, `_`, `-`
/// and `.` (not first).
pub fn baseline_path(root: &Path, name: &str) -> Result<PathBuf> {
    let fine = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !fine {
        return Err(Error::InvalidName {
            what: "baseline name",
            value: crate::text::shown(name),
            reason: "use letters, digits, `_`, `-` and `.` (not first)",
        });
    }
    Ok(root.join(BASELINES).join(format!("{name}.json")))
}

/// A run to compare with, as a user names it: a results directory (its
/// `results.json`, or rebuilt from its `status.log`), a `results.json`, or
/// the name of a baseline kept under the results root `root`; and whether it
/// was rebuilt.
///
/// # Errors
///
/// [`Error::NoSuchRun`] when `text` is none of these; what
/// [`read_or_rebuild`](crate::results::read_or_rebuild) and
/// [`JobResults::read`] return.
pub fn load_run(root: &Path, text: &str) -> Result<(JobResults, bool)> {
    let path = Path::new(text);
    if path.is_dir() {
        return crate::results::read_or_rebuild(path);
    }
    if path.is_file() {
        return Ok((JobResults::read(path)?, false));
    }
    let no_such_run = || Error::NoSuchRun { what: text.to_owned() };
    let baseline = baseline_path(root, text).map_err(|_| no_such_run())?;
    if baseline.is_file() { Ok((JobResults::read(&baseline)?, false)) } else { Err(no_such_run()) }
}

/// Keeps the run in `resultdir` as baseline `name` of the results root
/// `root` (its `results.json`: every value of every iteration, with the
/// machine's sysinfo), replacing one of that name; returns where.
///
/// # Errors
///
/// A name [`baseline_path`] refuses; I/O errors.
pub fn save_baseline(root: &Path, resultdir: &Path, name: &str) -> Result<PathBuf> {
    let path = baseline_path(root, name)?;
    let results = resultdir.join("results.json");
    let bytes = std::fs::read(&results).map_err(|e| Error::io("read", &results, e))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    crate::files::write_bytes_atomic(&path, &bytes)?;
    Ok(path)
}
