//! [`TestRecord`]: what one test run did, for `results.json`, `junit.xml` and callers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Status;
use crate::results::PerfChart;

/// One perf value of a finished test, as `results-chart.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PerfRecord {
    /// The graph, when the value was recorded with one.
    pub graph: Option<String>,
    /// The (sanitised) description.
    pub description: String,
    /// The units.
    pub units: Option<String>,
    /// Every value recorded, in order.
    pub values: Vec<f64>,
    /// `"up"` or `"down"`.
    pub improvement_direction: String,
}

impl PerfRecord {
    pub(crate) fn from_chart(chart: &PerfChart) -> Vec<PerfRecord> {
        chart
            .entries()
            .map(|(top, sub, entry)| {
                let (graph, description) = if sub == "summary" { (None, top) } else { (Some(top.to_owned()), sub) };
                PerfRecord {
                    graph,
                    description: description.to_owned(),
                    units: entry.units().map(str::to_owned),
                    values: entry.values().to_vec(),
                    improvement_direction: entry.improvement_direction().to_owned(),
                }
            })
            .collect()
    }
}

/// What one `run_test` did: the test, its tag and directory, status and reason,
/// times, iterations, perf values and test keyvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestRecord {
    /// The test's name.
    pub test: String,
    /// The tag (the part of the tagged name after the test name), if any.
    pub tag: Option<String>,
    /// The output directory relative to the job's result directory.
    pub subdir: String,
    /// How it ended.
    pub status: Status,
    /// The reason: `completed successfully`, or the failure's first line, as
    /// `status.log` holds it.
    pub reason: String,
    /// Further lines of the reason (error sources, panic location).
    pub details: Vec<String>,
    /// What a person reads: the reason, or a fuller sentence where harness has one
    /// (a failed constraint names the value measured, where `status.log` keeps
    /// autotest's text). Rebuilt results have the reason here.
    #[serde(default)]
    pub summary: String,
    /// Where the failure was raised in the test's code (`file:line:col`): the
    /// `Failure::fail(..)`, the `?`, or the panic.
    #[serde(default)]
    pub raised_at: Option<String>,
    /// The number of the extra profiled iteration, when one ran (its keyval
    /// block and perf values are mixed in with the others, as autotest does).
    #[serde(default)]
    pub profiled_iteration: Option<u64>,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// Seconds from start to end.
    pub duration: f64,
    /// Iterations of `run_once` started (the profiled one not counted).
    pub iterations: u64,
    /// The output directory.
    pub outputdir: PathBuf,
    /// The perf values of `results-chart.json`.
    pub perf_values: Vec<PerfRecord>,
    /// The test keyval (`version`, `param-*`, test attributes).
    pub keyvals: BTreeMap<String, String>,
    /// The perf keyvals of the last iteration that wrote any.
    pub perf_keyvals: BTreeMap<String, f64>,
}
