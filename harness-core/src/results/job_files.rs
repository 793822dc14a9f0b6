//! The job-level files today's tools read: `results.json` and `junit.xml`, written
//! atomically when the job ends.

use std::fs;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};

use super::record::{Outcome, RecordData, TestRecord};
use crate::error::{Error, Result};
use crate::files::write_bytes_atomic;
use crate::status::Status;

/// The version of the `results.json` layout; bumped on incompatible changes.
pub const RESULTS_SCHEMA_VERSION: u32 = 1;

/// The whole `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobResults {
    /// [`RESULTS_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The harness version that wrote the file.
    pub harness_version: String,
    /// The job.
    pub job: JobInfo,
    /// Every test run, in order.
    pub tests: Vec<TestRecord>,
}

/// The job part of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// The job's tag, if any.
    pub tag: Option<String>,
    /// GOOD, or ABORT when interrupted.
    pub status: Status,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// How many tests ended with each status.
    pub counts: std::collections::BTreeMap<String, usize>,
}

impl JobResults {
    /// Reads a `results.json`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Json`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_owned(), source })
    }
}

/// Rebuilds `results.json` and `junit.xml` of a job from its `status.log` and
/// test directories, for a job that died before writing them. Tests left open
/// in the log are ABORT ("Job aborted unexpectedly"), as TKO reads them.
///
/// # Errors
///
/// [`Error::Io`] or [`Error::StatusLog`] when `status.log` cannot be read, I/O
/// errors writing the files.
pub fn rebuild_job_files(resultdir: impl AsRef<Path>) -> Result<JobResults> {
    let resultdir = resultdir.as_ref();
    let log = super::StatusLog::read(resultdir.join("status.log"))?;
    let time = |ts: Option<i64>| ts.and_then(|t| chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0));
    // Tests by depth: a group nested in another is its subtest.
    let mut open: Vec<(usize, TestRecord)> = Vec::new();
    let mut records = Vec::new();
    let close_deeper = |open: &mut Vec<(usize, TestRecord)>, records: &mut Vec<TestRecord>, depth: usize| {
        while open.last().is_some_and(|(d, _)| *d >= depth) {
            let Some((_, record)) = open.pop() else { break };
            match open.last_mut() {
                Some((_, parent)) => parent.subtests.push(record),
                None => records.push(record),
            }
        }
    };
    for group in log.tests() {
        close_deeper(&mut open, &mut records, group.depth);
        let subdir = group.subdir.clone().unwrap_or_default();
        let operation = group.operation.clone().unwrap_or_default();
        let (test, tag) = match operation.split_once('.') {
            Some((test, tag)) => (test.to_owned(), Some(tag.to_owned())),
            None => (operation.clone(), None),
        };
        let outputdir = resultdir.join(&subdir);
        let start = time(group.started);
        // A test the job did not finish ended when it last wrote something.
        let end = time(group.finished).or_else(|| last_written(&outputdir)).or(start);
        let data = RecordData::read(&outputdir, &[]);
        let outcome = Outcome {
            test,
            tag,
            status: group.status,
            reason: group.reason.clone(),
            summary: None,
            raised_at: None,
            profiled_iteration: None,
            start,
            end,
            #[allow(clippy::cast_precision_loss, reason = "milliseconds of a test run")]
            duration: match (start, end) {
                (Some(s), Some(e)) => (e - s).num_milliseconds().max(0) as f64 / 1000.0,
                _ => 0.0,
            },
            iterations: data.blocks.len() as u64,
            outputdir,
            subdir,
            subtests: Vec::new(),
        };
        open.push((group.depth, TestRecord::new(outcome, data)));
    }
    close_deeper(&mut open, &mut records, 0);
    let job = log.groups.first();
    let started = job.and_then(|g| time(g.started)).unwrap_or_else(chrono::Utc::now);
    let finished = job.and_then(|g| time(g.finished)).or_else(|| last_written(resultdir)).unwrap_or(started);
    let signalled = matches!(super::read_job_exit(resultdir), Ok(Some(super::JobExit::Signalled(_))));
    let aborted = signalled || job.is_none_or(|g| g.closed_by_reader || g.status == Status::Abort);
    let status = if aborted { Status::Abort } else { Status::of_job(records.iter().map(|r| r.status)) };
    let keyval = super::read_keyval(resultdir, None).unwrap_or_default();
    let tag = keyval.get("label").map(ToString::to_string);
    write_job_files(resultdir, tag.as_deref(), status, started, finished, &records)?;
    JobResults::read(resultdir.join("results.json"))
}

/// When anything under `dir` was last written (the newest modification time).
fn last_written(dir: &Path) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut newest: Option<std::time::SystemTime> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(modified) = meta.modified() {
                newest = Some(newest.map_or(modified, |n| n.max(modified)));
            }
        }
    }
    newest.map(chrono::DateTime::<chrono::Utc>::from)
}

/// Writes `results.json` and `junit.xml` into `resultdir`.
pub(crate) fn write_job_files(
    resultdir: &Path,
    tag: Option<&str>,
    status: Status,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
    records: &[TestRecord],
) -> Result<()> {
    let mut counts = std::collections::BTreeMap::new();
    for record in records {
        *counts.entry(record.status.to_string()).or_insert(0) += 1;
    }
    let results = JobResults {
        schema_version: RESULTS_SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        job: JobInfo {
            tag: tag.map(str::to_owned),
            status,
            start: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            end: finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            counts,
        },
        tests: records.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&results)
        .map_err(|e| Error::io("serialize", resultdir.join("results.json"), e.into()))?;
    write_bytes_atomic(&resultdir.join("results.json"), &json)?;
    let junit = junit_report(resultdir, tag, started, finished, records);
    write_bytes_atomic(&resultdir.join("junit.xml"), junit.as_bytes())
}

/// The last `max` bytes of a test's debug log, cut at a line start.
fn debug_tail(resultdir: &Path, record: &TestRecord, max: usize) -> Option<String> {
    let tagged = record.subdir.rsplit('/').next().unwrap_or(&record.subdir);
    let text = fs::read(resultdir.join(&record.subdir).join("debug").join(format!("{tagged}.DEBUG"))).ok()?;
    let mut start = text.len().saturating_sub(max);
    if start > 0 {
        start += text[start..].iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
    }
    let tail = String::from_utf8_lossy(&text[start..]).into_owned();
    (!tail.is_empty()).then_some(tail)
}

/// One `<testcase>` per test: FAIL as failure, ERROR and ABORT as error, TEST_NA
/// as skipped; perf values and keyvals as properties; the reason and the tail of
/// the debug log as output.
pub(crate) fn junit_report(
    resultdir: &Path,
    tag: Option<&str>,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
    records: &[TestRecord],
) -> String {
    let name = tag.unwrap_or("harness");
    let mut suite = TestSuite::new(name);
    suite.set_timestamp(started);
    suite.set_time((finished - started).to_std().unwrap_or_default());
    for record in records {
        let mut status = match record.status {
            Status::Good | Status::Warn => TestCaseStatus::success(),
            Status::TestNa => TestCaseStatus::skipped(),
            Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
            _ => TestCaseStatus::non_success(NonSuccessKind::Error),
        };
        if record.status != Status::Good {
            status.set_message(record.reason.clone());
            status.set_type(record.status.as_str());
            if !record.details.is_empty() {
                status.set_description(record.details.join("\n"));
            }
        }
        let mut case = TestCase::new(record.subdir.clone(), status);
        case.set_classname(record.test.clone());
        case.set_time(Duration::from_secs_f64(record.duration.max(0.0)));
        case.add_property(Property::new("status", record.status.as_str()));
        case.add_property(Property::new("iterations", record.iterations.to_string()));
        for perf in &record.perf_values {
            let name = match &perf.graph {
                Some(graph) => format!("perf:{graph}/{}", perf.description),
                None => format!("perf:{}", perf.description),
            };
            let values: Vec<String> = perf.values.iter().map(|v| crate::results::pyfmt::float_repr(*v)).collect();
            let units = perf.units.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            case.add_property(Property::new(
                name,
                format!("[{}]{units} ({})", values.join(", "), perf.improvement_direction),
            ));
        }
        for (key, value) in &record.perf_keyvals {
            case.add_property(Property::new(format!("perf_keyval:{key}"), crate::results::pyfmt::float_repr(*value)));
        }
        for (key, value) in &record.keyvals {
            case.add_property(Property::new(format!("keyval:{key}"), value.clone()));
        }
        let mut out = format!("{} {}\n", record.status, record.reason);
        for detail in &record.details {
            out.push_str(detail);
            out.push('\n');
        }
        if let Some(tail) = debug_tail(resultdir, record, 8 * 1024) {
            out.push_str("--- debug log (tail) ---\n");
            out.push_str(&tail);
        }
        case.set_system_out(out);
        suite.add_test_case(case);
    }
    let mut report = Report::new(name);
    report.set_timestamp(started);
    report.add_test_suite(suite);
    report.to_string().unwrap_or_default()
}
