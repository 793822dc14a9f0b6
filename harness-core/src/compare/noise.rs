//! Noise as data: how much a metric moves between runs of the same code on a
//! machine, measured over its history, and the threshold that follows.
//!
//! The results tools keep the history in SQLite (`results/history.sqlite`);
//! after every import they write the figures beside it as plain JSON
//! (`results/history.noise.json`, [`NoiseFigures`]), so that a harness
//! binary's `run --baseline` uses them without a database.
//!
//! A metric's figure is made of the medians of its last [`NOISE_RUNS`] runs on
//! one machine: their coefficient of variation, and their median absolute
//! deviation scaled to a standard deviation (`1.4826 * MAD`) relative to
//! their median, the *noise*: robust to the odd outlying run and to a level
//! that changed once. A change smaller than [`NOISE_FACTOR`] times the noise
//! is within what this machine does from one run to the next, however small
//! its p-value: Mann-Whitney on the iterations of two runs sees the noise
//! within a run only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How many of a metric's latest runs its noise is measured over.
pub const NOISE_RUNS: usize = 20;
/// The fewest runs a noise figure is made of.
pub const NOISE_MIN_RUNS: usize = 5;
/// A change is beyond the noise when larger than this many times it (`k`).
/// Two runs each carry the noise, so their difference varies by `sqrt(2)`
/// times it: beyond 3 times, a normal difference goes one way 1.7% of the
/// time, under the 5% people expect of alpha, with room for a noise figure
/// that is itself measured (`tests/tests/false_alarms.rs` measures it).
pub const NOISE_FACTOR: f64 = 3.0;
/// Above this noise (5%), a metric is too noisy to judge: its threshold, ten
/// percent or more, hides the regressions people look for.
pub const TOO_NOISY: f64 = 0.05;

/// Where the history store of the results root `root` is: `HARNESS_HISTORY`
/// when set, else `<root>/history.sqlite`.
#[must_use]
pub fn history_path(root: &Path) -> PathBuf {
    match std::env::var_os("HARNESS_HISTORY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => root.join("history.sqlite"),
    }
}

/// The noise of one metric of one test on one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFigure {
    /// The test's directory (`file_io.small`).
    pub test: String,
    /// The metric.
    pub metric: String,
    /// The machine's identity ([`machine_id`]).
    pub machine: String,
    /// How many runs it is measured over.
    pub runs: usize,
    /// The coefficient of variation of the runs' medians, in percent.
    pub cv_percent: f64,
    /// `1.4826 * MAD` of the runs' medians relative to their median, in percent.
    pub noise_percent: f64,
}

impl NoiseFigure {
    /// The figure of a metric's run medians, latest last; `None` below
    /// [`NOISE_MIN_RUNS`] runs (only the last [`NOISE_RUNS`] count).
    #[must_use]
    pub fn of(test: &str, metric: &str, machine: &str, medians: &[f64]) -> Option<NoiseFigure> {
        let recent = &medians[medians.len().saturating_sub(NOISE_RUNS)..];
        if recent.len() < NOISE_MIN_RUNS {
            return None;
        }
        let summary = crate::stats::Summary::of(recent);
        let deviations: Vec<f64> = recent.iter().map(|v| (v - summary.median).abs()).collect();
        let mad = crate::stats::Summary::of(&deviations).median;
        let noise_percent = if summary.median == 0.0 { 0.0 } else { 1.4826 * mad / summary.median.abs() * 100.0 };
        Some(NoiseFigure {
            test: test.to_owned(),
            metric: metric.to_owned(),
            machine: machine.to_owned(),
            runs: recent.len(),
            cv_percent: summary.cv_percent,
            noise_percent,
        })
    }

    /// The threshold this noise gives: [`NOISE_FACTOR`] times it, a fraction.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        NOISE_FACTOR * self.noise_percent / 100.0
    }

    /// Whether the metric is too noisy to judge ([`TOO_NOISY`]).
    #[must_use]
    pub fn too_noisy(&self) -> bool {
        self.noise_percent / 100.0 > TOO_NOISY
    }
}

/// Every noise figure of a history (`history.noise.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoiseFigures {
    /// The figures, by test, metric and machine.
    pub metrics: Vec<NoiseFigure>,
    #[serde(skip)]
    index: BTreeMap<(String, String, String), usize>,
}

impl NoiseFigures {
    /// The figures `metrics`.
    #[must_use]
    pub fn new(metrics: Vec<NoiseFigure>) -> NoiseFigures {
        let mut figures = NoiseFigures { metrics, index: BTreeMap::new() };
        figures.reindex();
        figures
    }

    fn reindex(&mut self) {
        self.index = (self.metrics.iter().enumerate())
            .map(|(at, f)| ((f.test.clone(), f.metric.clone(), f.machine.clone()), at))
            .collect();
    }

    /// The figure of `metric` of `test` on `machine`, when the history has one.
    #[must_use]
    pub fn get(&self, test: &str, metric: &str, machine: &str) -> Option<&NoiseFigure> {
        let key = (test.to_owned(), metric.to_owned(), machine.to_owned());
        self.index.get(&key).map(|&at| &self.metrics[at])
    }

    /// Where the figures of the store `store` are kept: beside it, as
    /// `<name>.noise.json` (`results/history.noise.json`).
    #[must_use]
    pub fn path_beside(store: &Path) -> PathBuf {
        let stem = store.file_stem().map_or_else(|| "history".into(), |s| s.to_string_lossy().into_owned());
        store.with_file_name(format!("{stem}.noise.json"))
    }

    /// The figures kept beside the store `store`, when there are any; figures
    /// that cannot be read are left out with a warning (the thresholds fall
    /// back to `--noise`).
    #[must_use]
    pub fn beside(store: &Path) -> Option<Arc<NoiseFigures>> {
        let path = NoiseFigures::path_beside(store);
        if !path.exists() {
            return None;
        }
        match NoiseFigures::read(&path) {
            Ok(figures) => Some(Arc::new(figures)),
            Err(e) => {
                eprintln!("warning: {e}; the noise threshold is --noise for every metric");
                None
            }
        }
    }

    /// Reads the figures at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] and [`Error::Json`].
    pub fn read(path: &Path) -> Result<NoiseFigures> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        let mut figures: NoiseFigures =
            serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_owned(), source })?;
        figures.reindex();
        Ok(figures)
    }

    /// Writes the figures to `path`, whole or not at all.
    ///
    /// # Errors
    ///
    /// [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        crate::files::write_bytes_atomic(path, text.as_bytes())
    }
}

/// The machine a run ran on, as the history knows it: an identity of 8 hex
/// digits made of its CPU model, CPU count and memory (what stays when the
/// kernel or the compiler changes), and the description it is made of.
#[must_use]
pub fn machine_id(sysinfo: &BTreeMap<String, String>) -> (String, String) {
    let field = |key: &str| sysinfo.get(key).map_or("?", String::as_str);
    let description = format!("{}, {} CPUs, {} kB", field("cpu_model"), field("cpus"), field("memory_kb"));
    let mut hash: u32 = 0x811c_9dc5;
    for byte in description.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (format!("{hash:08x}"), description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_is_the_scaled_mad_of_the_latest_runs() {
        // Medians 100, 101, 99, 102, 98 (and an old outlier left out by
        // NOISE_RUNS): median 100, MAD 1.
        let mut medians = vec![500.0];
        medians.extend(std::iter::repeat_n(100.0, NOISE_RUNS - 5));
        medians.extend([101.0, 99.0, 102.0, 98.0, 100.0]);
        let figure = NoiseFigure::of("t", "m", "x", &medians).unwrap();
        assert_eq!(figure.runs, NOISE_RUNS);
        // Deviations: 15 zeros, then 1, 1, 2, 2, 0: the median deviation is 0.
        assert_eq!(figure.noise_percent, 0.0);
        let figure = NoiseFigure::of("t", "m", "x", &[100.0, 101.0, 99.0, 102.0, 98.0]).unwrap();
        assert!((figure.noise_percent - 1.4826).abs() < 1e-9, "{figure:?}");
        assert!((figure.threshold() - 0.044_478).abs() < 1e-9);
        assert!(!figure.too_noisy());
        assert_eq!(NoiseFigure::of("t", "m", "x", &[1.0, 2.0, 3.0, 4.0]), None);
    }

    #[test]
    fn figures_are_found_by_test_metric_and_machine_after_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("history.sqlite");
        let path = NoiseFigures::path_beside(&store);
        assert_eq!(path, dir.path().join("history.noise.json"));
        let figure = NoiseFigure::of("t", "m", "x", &[10.0, 11.0, 9.0, 12.0, 8.0, 10.0]).unwrap();
        NoiseFigures::new(vec![figure.clone()]).write(&path).unwrap();
        let read = NoiseFigures::read(&path).unwrap();
        assert_eq!(read.get("t", "m", "x"), Some(&figure));
        assert_eq!(read.get("t", "m", "y"), None);
    }

    #[test]
    fn the_machine_is_known_by_cpu_and_memory_only() {
        let mut info: BTreeMap<String, String> =
            [("cpu_model", "Xeon"), ("cpus", "2"), ("memory_kb", "1000"), ("kernel", "6.1")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let (id, description) = machine_id(&info);
        assert_eq!(description, "Xeon, 2 CPUs, 1000 kB");
        assert_eq!(id.len(), 8);
        info.insert("kernel".into(), "6.2".into());
        assert_eq!(machine_id(&info).0, id);
        info.insert("cpus".into(), "4".into());
        assert_ne!(machine_id(&info).0, id);
    }
}
