//! What a job and its tests did ([`JobSummary`], [`TestRecord`],
//! [`PerfRecord`]), for `results.json`, `junit.xml`, reports and callers.
//!
//! A record is built one way, [`TestRecord::new`], from which run it is
//! ([`RunIdentity`]), how it ended ([`Ending`], the one shape of an ending)
//! and its data ([`RecordData`]): from memory for a run in this process, read
//! from its output directory for a run in a child process and for a job
//! rebuilt from its files.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::results::formats::chart::PerfChart;
use crate::results::formats::chart_entry::ChartEntry;
use crate::results::formats::iteration_keyval::BlockKind;
use crate::results::formats::keyval::{read_iterations, read_raw};
use crate::results::formats::perf_value::PerfData;
use crate::results::formats::status_entry::split_lines;
use crate::stats::{Summary, significant};
use crate::status::Status;

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
    /// Every value recorded outside the extra profiled iteration, in order:
    /// what statistics are taken over (warm-up iterations record nothing).
    pub values: Vec<f64>,
    /// The values the extra profiled iteration recorded (it runs under the
    /// profilers, slower): kept apart, in `results/profiled-chart.json`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiled: Vec<f64>,
    /// `"up"` or `"down"`.
    pub improvement_direction: Cow<'static, str>,
}

impl PerfRecord {
    /// The metric's name: `graph.description`, or the description alone.
    #[must_use]
    pub fn name(&self) -> String {
        match &self.graph {
            Some(graph) => format!("{graph}.{}", self.description),
            None => self.description.clone(),
        }
    }

    /// Whether higher values are better.
    #[must_use]
    pub fn higher_is_better(&self) -> bool {
        self.improvement_direction == "up"
    }

    /// The summary of the measured values (never the profiled iteration's).
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary::of(&self.values)
    }

    /// The metric as every console of harness shows it:
    /// `read: median 7143 MB_per_sec, IQR 7045-7243, CV 2.771%, n=3, higher is better`,
    /// and the profiled iteration's values apart when it ran.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut line =
            format!("{}: {}", self.name(), self.summary().describe(self.units.as_deref(), self.higher_is_better()));
        if !self.profiled.is_empty() {
            let shown: Vec<String> = self.profiled.iter().map(|v| significant(*v)).collect();
            line.push_str(&format!("; profiled iteration (not counted): {}", shown.join(", ")));
        }
        line
    }
}

/// One block of a test's `results/keyval`: what TKO loads as one iteration,
/// its `{attr}` and `{perf}` keyvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyvalBlock {
    /// What wrote it.
    pub kind: BlockKind,
    /// The iteration that wrote it, for an iteration or the profiled run
    /// (`None` for other blocks and when not known).
    pub iteration: Option<u64>,
    /// The `{attr}` keyvals, as text.
    pub attr: BTreeMap<String, String>,
    /// The `{perf}` keyvals.
    pub perf: BTreeMap<String, f64>,
}

/// What one `run_test` did: the test, its tag and directory, status and reason,
/// times, iterations, perf values and test keyvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TestRecord {
    /// The test's name.
    pub test: String,
    /// The variant run (`small` of `file_io.small`), if any; its name also
    /// starts the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
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
    /// block is marked `profiled`, its perf values are apart in each
    /// [`PerfRecord::profiled`]).
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
    /// Warm-up iterations run before them and thrown away.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup_iterations: u64,
    /// The output directory.
    pub outputdir: PathBuf,
    /// The perf values of `results-chart.json`.
    pub perf_values: Vec<PerfRecord>,
    /// The test keyval (`version`, `param-*`, test attributes).
    pub keyvals: BTreeMap<String, String>,
    /// The perf keyvals of the last block of `results/keyval` that held any.
    pub perf_keyvals: BTreeMap<String, f64>,
    /// Every block of `results/keyval`, in order, with what wrote it.
    #[serde(default)]
    pub keyval_blocks: Vec<KeyvalBlock>,
    /// The subtests it ran (`ctx.runsubtest`), each with its own record, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtests: Vec<TestRecord>,
    /// The test's attributes (`#[autotest(attrs(...))]`), empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attrs: Vec<String>,
    /// Who owns the test (`#[autotest(contacts(...))]`), empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// The arguments the run was given, engine arguments and `tag` included
    /// (what `run --rerun-failed` gives again); empty in a rebuilt report.
    #[serde(default)]
    pub args: serde_json::Map<String, serde_json::Value>,
}

/// How a run ended: its status and reason (with detail lines), what a person
/// reads, where it was raised, when, how many iterations began, the profiled
/// one, and the records of the subtests it ran. The one shape of an ending:
/// the body of a run returns it (in this process or a child's), the status
/// lines are written from it, and a record is made of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ending {
    pub(crate) status: Status,
    /// The reason with its detail lines, as the status log gets it.
    pub(crate) reason: String,
    /// What a person reads, when it differs from the reason's first line.
    pub(crate) summary: Option<String>,
    /// Where the failure was raised in the test's code (`file:line:col`).
    pub(crate) raised_at: Option<String>,
    /// When the run started and ended, and how long it took: the job that
    /// wrote its START and END says (a child's own times are not kept).
    #[serde(skip)]
    pub(crate) times: Times,
    /// Iterations of `run_once` begun.
    pub(crate) iterations: u64,
    /// Warm-up iterations run and thrown away.
    #[serde(default)]
    pub(crate) warmup_iterations: u64,
    /// The extra profiled iteration's number, if it ran.
    pub(crate) profiled_iteration: Option<u64>,
    /// The records of the subtests it ran, in order.
    pub(crate) subtests: Vec<TestRecord>,
}

/// When a run started and ended, and its duration in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Times {
    pub(crate) start: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) end: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) duration: f64,
}

impl Ending {
    /// A run that ended with `status` and `reason` before or outside the
    /// test's own code (a crash, a timeout, a test that could not start).
    pub(crate) fn of(status: Status, reason: impl Into<String>) -> Self {
        Ending {
            status,
            reason: reason.into(),
            summary: None,
            raised_at: None,
            times: Times::default(),
            iterations: 0,
            warmup_iterations: 0,
            profiled_iteration: None,
            subtests: Vec::new(),
        }
    }
}

/// Which run a record is of: the test, its variant and tag, its directory,
/// its metadata and the arguments it was given.
#[derive(Debug, Clone)]
pub(crate) struct RunIdentity {
    pub(crate) test: String,
    pub(crate) variant: Option<String>,
    pub(crate) tag: Option<String>,
    pub(crate) subdir: String,
    pub(crate) outputdir: PathBuf,
    /// The test's attributes and contacts.
    pub(crate) attrs: Vec<String>,
    pub(crate) contacts: Vec<String>,
    pub(crate) args: serde_json::Map<String, serde_json::Value>,
}

/// The perf values and keyvals of a finished run.
#[derive(Debug, Default)]
pub(crate) struct RecordData {
    pub(crate) chart: PerfChart,
    /// The values of the extra profiled iteration.
    pub(crate) profiled_chart: PerfChart,
    /// The test keyval, as written.
    pub(crate) keyvals: BTreeMap<String, String>,
    /// The perf keyvals of the last iteration that wrote any.
    pub(crate) perf_keyvals: BTreeMap<String, f64>,
    /// Every block of `results/keyval`.
    pub(crate) blocks: Vec<KeyvalBlock>,
}

impl RecordData {
    /// The same, read from a test's output directory (a run in another
    /// process, or a job rebuilt from its files). `kinds` says what wrote
    /// each block, when the writer told; otherwise each is [`BlockKind::Unknown`].
    pub(crate) fn read(outputdir: &Path, kinds: &[(BlockKind, u64)]) -> Self {
        let blocks = read_blocks(outputdir, kinds);
        RecordData {
            chart: PerfChart::read(outputdir.join("results/results-chart.json")).unwrap_or_default(),
            profiled_chart: PerfChart::read(outputdir.join(PROFILED_CHART)).unwrap_or_default(),
            keyvals: read_raw(outputdir),
            perf_keyvals: blocks.iter().rev().find(|b| !b.perf.is_empty()).map(|b| b.perf.clone()).unwrap_or_default(),
            blocks,
        }
    }
}

/// The blocks of `<outputdir>/results/keyval` with what wrote them: the kinds
/// apply when there is one per block (a file written by this harness).
pub(crate) fn read_blocks(outputdir: &Path, kinds: &[(BlockKind, u64)]) -> Vec<KeyvalBlock> {
    let iterations = read_iterations(outputdir.join("results")).unwrap_or_default();
    let known = kinds.len() == iterations.len();
    iterations
        .into_iter()
        .enumerate()
        .map(|(at, block)| {
            let (kind, iteration) = if known { (kinds[at].0, Some(kinds[at].1)) } else { (BlockKind::Unknown, None) };
            let iteration = iteration.filter(|_| matches!(kind, BlockKind::Iteration | BlockKind::Profiled));
            KeyvalBlock { kind, iteration, attr: block.attr, perf: block.perf }
        })
        .collect()
}

/// Every entry of `chart` as a record, moving its strings and values, with
/// the values of `profiled` (the extra profiled iteration's) apart: the
/// graph is `None` for a description's own `"summary"` entry.
pub(crate) fn perf_records(chart: PerfChart, profiled: PerfChart) -> Vec<PerfRecord> {
    let mut out = Vec::new();
    let mut add = |top: String, sub: Cow<'static, str>, entry: ChartEntry, measured: bool| {
        let values = match entry.data {
            PerfData::Scalar(value) => vec![value],
            PerfData::List(values) => values,
        };
        let (graph, description) = if sub == "summary" { (None, top) } else { (Some(top), sub.into_owned()) };
        if !measured
            && let Some(known) =
                out.iter_mut().find(|r: &&mut PerfRecord| r.graph == graph && r.description == description)
        {
            known.profiled = values;
            return;
        }
        let direction = if entry.higher_is_better { "up" } else { "down" };
        let (values, profiled) = if measured { (values, Vec::new()) } else { (Vec::new(), values) };
        out.push(PerfRecord {
            graph,
            description,
            units: entry.units,
            values,
            profiled,
            improvement_direction: Cow::Borrowed(direction),
        });
    };
    chart.drain_into(|top, sub, entry| add(top, sub, entry, true));
    profiled.drain_into(|top, sub, entry| add(top, sub, entry, false));
    out
}

/// Where the extra profiled iteration's perf values are kept, in a test's
/// output directory: apart from `results-chart.json`, which the dashboard reads.
pub(crate) const PROFILED_CHART: &str = "results/profiled-chart.json";

/// For `skip_serializing_if`.
#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde passes a reference")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn rfc3339(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}

impl TestRecord {
    /// The record of a run: its reason split into lines as the status log
    /// splits them.
    pub(crate) fn new(run: RunIdentity, ending: Ending, data: RecordData) -> TestRecord {
        let mut lines = split_lines(&ending.reason).into_iter().map(str::to_owned);
        let reason = lines.next().unwrap_or_default();
        TestRecord {
            test: run.test,
            variant: run.variant,
            tag: run.tag,
            subdir: run.subdir,
            status: ending.status,
            summary: ending.summary.unwrap_or_else(|| reason.clone()),
            reason,
            details: lines.collect(),
            raised_at: ending.raised_at,
            profiled_iteration: ending.profiled_iteration,
            start: rfc3339(ending.times.start),
            end: rfc3339(ending.times.end),
            duration: ending.times.duration,
            iterations: ending.iterations,
            warmup_iterations: ending.warmup_iterations,
            outputdir: run.outputdir,
            perf_values: perf_records(data.chart, data.profiled_chart),
            keyvals: data.keyvals,
            perf_keyvals: data.perf_keyvals,
            keyval_blocks: data.blocks,
            subtests: ending.subtests,
            attrs: run.attrs,
            contacts: run.contacts,
            args: run.args,
        }
    }
}

/// What a finished job did.
#[derive(Debug, Clone)]
#[must_use]
pub struct JobSummary {
    records: Vec<Arc<TestRecord>>,
    status: Status,
    resultdir: PathBuf,
    tag: Option<String>,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
}

impl JobSummary {
    pub(crate) fn new(
        records: Vec<Arc<TestRecord>>,
        aborted: bool,
        resultdir: PathBuf,
        tag: Option<String>,
        (started, finished): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    ) -> Self {
        let status = if aborted { Status::Abort } else { Status::of_job(records.iter().map(|record| record.status)) };
        JobSummary { records, status, resultdir, tag, started, finished }
    }

    /// Every test run, in order (shared with the job, which keeps them too).
    pub fn records(&self) -> &[Arc<TestRecord>] {
        &self.records
    }

    /// The job's status: ABORT when it was interrupted, else the worst status
    /// of its tests as [`Status::of_job`] ranks them (a failure before WARN,
    /// WARN before TEST_NA, else GOOD). Each test's status is already rolled
    /// up over its subtests.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether any test ended FAIL, ERROR or ABORT, or the job was aborted.
    pub fn has_failures(&self) -> bool {
        self.status.is_failure()
    }

    /// The result directory.
    pub fn resultdir(&self) -> &Path {
        &self.resultdir
    }

    /// The job's tag.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// When the job started and ended.
    pub fn times(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        (self.started, self.finished)
    }
}
