//! The job-level files today's tools read, `results.json` and `junit.xml`:
//! written atomically when the job ends, and rebuilt from `status.log` and the
//! test directories for a job that died before writing them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::events_replay::Replay;
use super::job_results::{JobInfo, JobResults};
use super::record::{Ending, RecordData, RunIdentity, TestRecord, Times};
use crate::error::{Error, Result};
use crate::files::write_atomic;
use crate::results::formats::iteration_keyval::BlockKind;
use crate::status::Status;

/// The results of the job in `resultdir`: its `results.json`, or rebuilt from
/// its files (with `junit.xml`) when the job died before writing it; with,
/// for a rebuilt job, the note to show (what it was rebuilt from, and where
/// its files disagreed).
///
/// # Errors
///
/// [`Error::NotResults`] for a directory that holds neither file; what
/// [`JobResults::read`] and [`rebuild_job_files`] return.
pub fn read_or_rebuild(resultdir: impl AsRef<Path>) -> Result<(JobResults, Option<String>)> {
    let resultdir = resultdir.as_ref();
    let path = resultdir.join("results.json");
    if path.is_file() {
        return Ok((JobResults::read(&path)?, None));
    }
    if !resultdir.join("status.log").is_file() {
        return Err(Error::NotResults { path: resultdir.to_owned() });
    }
    let (results, replay) = rebuild(resultdir)?;
    let mut note = format!(
        "{} has no results.json; rebuilt it (and junit.xml) from status.log{}",
        resultdir.display(),
        if replay.read { " and events.jsonl" } else { "" }
    );
    for said in &replay.notes {
        note.push_str("\n  ");
        note.push_str(said);
    }
    Ok((results, Some(note)))
}

/// Rebuilds `results.json` and `junit.xml` of a job from its `status.log`,
/// test directories and `events.jsonl`, for a job that died before writing
/// them. Tests left open in the log are ABORT ("Job aborted unexpectedly"), as
/// TKO reads them, with the iterations the events say ended; a test that
/// finished has its record from the events where its verdict agrees with the
/// log, and one the log does not hold at all is added from them.
///
/// # Errors
///
/// [`Error::Io`] or [`Error::StatusLog`] when `status.log` cannot be read, I/O
/// errors writing the files.
pub fn rebuild_job_files(resultdir: impl AsRef<Path>) -> Result<JobResults> {
    rebuild(resultdir.as_ref()).map(|(results, _)| results)
}

/// [`rebuild_job_files`], with what the events added.
fn rebuild(resultdir: &Path) -> Result<(JobResults, Replay)> {
    let log = crate::results::formats::status_reader::StatusLog::read(resultdir.join("status.log"))?;
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
        let outputdir = resultdir.join(&subdir);
        let Identity { test, variant, tag, args } = identity(group, &outputdir);
        let start = time(group.started);
        // A test the job did not finish ended when it last wrote something.
        let end = time(group.finished).or_else(|| last_written(&outputdir)).or(start);
        let data = RecordData::read(&outputdir, &[]);
        let mut ending = Ending::of(group.status, group.reason.clone());
        #[allow(clippy::cast_precision_loss, reason = "milliseconds of a test run")]
        let duration = match (start, end) {
            (Some(s), Some(e)) => (e - s).num_milliseconds().max(0) as f64 / 1000.0,
            _ => 0.0,
        };
        ending.times = Times { start, end, duration };
        ending.iterations = data.blocks.len() as u64;
        let run = RunIdentity { test, variant, tag, subdir, outputdir, attrs: Vec::new(), contacts: Vec::new(), args };
        open.push((group.depth, TestRecord::new(run, ending, data)));
    }
    close_deeper(&mut open, &mut records, 0);
    let mut replay = Replay::read(resultdir);
    let records = replay.apply(records);
    let job = log.groups.first();
    let started = job.and_then(|g| time(g.started)).unwrap_or_else(chrono::Utc::now);
    let finished = job.and_then(|g| time(g.finished)).or_else(|| last_written(resultdir)).unwrap_or(started);
    let signalled =
        matches!(super::exit_status::read_job_exit(resultdir), Ok(Some(super::exit_status::JobExit::Signalled(_))));
    let aborted = signalled || job.is_none_or(|g| g.closed_by_reader || g.status == Status::Abort);
    let status = if aborted { Status::Abort } else { Status::of_job(records.iter().map(|r| r.status)) };
    let keyval = crate::results::formats::keyval::read_keyval(resultdir, None).unwrap_or_default();
    let tag = keyval.get("label").map(ToString::to_string);
    write_job_files(resultdir, tag.as_deref(), status, started, finished, &records.iter().collect::<Vec<_>>())?;
    Ok((JobResults::read(resultdir.join("results.json"))?, replay))
}

/// What a rebuilt record knows of the run besides its verdict.
struct Identity {
    test: String,
    variant: Option<String>,
    tag: Option<String>,
    args: serde_json::Map<String, serde_json::Value>,
}

/// The test, variant, tag and arguments of the run of `group`: the test is
/// the operation up to its first `.` (a test's name holds none), the tag the
/// rest, the variant the START line's `variant=` field, and the arguments
/// come from the test keyval's `param-<name>` lines, the START line's
/// `timeout` and the tag. Of the job's own arguments, `run_cleanup`,
/// `test_attributes`, `subdir_tag` and `master_testpath` are not in the files.
fn identity(group: &crate::results::formats::status_reader::GroupStatus, outputdir: &Path) -> Identity {
    let field = |key: &str| group.start_fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let operation = group.operation.clone().unwrap_or_default();
    let (test, tag) = match operation.split_once('.') {
        Some((test, tag)) => (test.to_owned(), Some(tag.to_owned())),
        None => (operation.clone(), None),
    };
    let mut args = serde_json::Map::new();
    for (key, value) in crate::results::formats::keyval::read_raw(outputdir) {
        if let (Some(name), Some(value)) =
            (key.strip_prefix("param-"), crate::results::formats::pyliteral::parse_literal(&value))
        {
            args.insert(name.to_owned(), value);
        }
    }
    if let Some(timeout) = field("timeout").and_then(|t| t.parse::<f64>().ok()) {
        let number = if timeout.fract() == 0.0 && timeout.abs() < 1e15 {
            #[allow(clippy::cast_possible_truncation, reason = "a whole number below 1e15")]
            serde_json::Value::from(timeout as i64)
        } else {
            serde_json::Value::from(timeout)
        };
        args.insert("timeout".to_owned(), number);
    }
    if let Some(tag) = &tag {
        args.insert("tag".to_owned(), tag.clone().into());
    }
    Identity { test, variant: field("variant"), tag, args }
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

/// The job keyval keys (`noise-1`, `noise-2`, ...) that say what makes the
/// job's numbers noisy; results.json's `job.noise` lists their texts.
pub(crate) const NOISE_KEY: &str = "noise-";

/// What the job keyval says made the job's numbers noisy, in order.
fn noise_of(keyval: &BTreeMap<String, crate::results::formats::keyval::KeyvalValue>) -> Vec<String> {
    let mut said: Vec<(u32, String)> = keyval
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(NOISE_KEY)?.parse().ok()?, value.to_string())))
        .collect();
    said.sort();
    said.into_iter().map(|(_, text)| text).collect()
}

/// Writes `results.json` and `junit.xml` into `resultdir`, atomically, for a
/// job with these records (a merged job, or one rebuilt from its files; a job
/// writes its own when it completes). The job's machine is read from the job
/// keyval's `sysinfo-*` lines.
///
/// # Errors
///
/// I/O errors writing either file.
pub fn write_job_files(
    resultdir: &Path,
    tag: Option<&str>,
    status: Status,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
    records: &[&TestRecord],
) -> Result<()> {
    let keyval = crate::results::formats::keyval::read_keyval(resultdir, None).unwrap_or_default();
    let mut counts = std::collections::BTreeMap::new();
    for record in records {
        *counts.entry(record.status.to_string()).or_insert(0) += 1;
    }
    let job = JobInfo {
        tag: tag.map(str::to_owned),
        status,
        start: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        end: finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        counts,
        sysinfo: super::sysinfo::from_keyval(&keyval),
        noise: noise_of(&keyval),
    };
    // Streamed into the file from the records as they are: no copy of them,
    // and no document in memory.
    write_atomic(&resultdir.join("results.json"), |out| super::results_json::write_results(out, &job, records))?;
    #[allow(clippy::cast_precision_loss, reason = "milliseconds of a job")]
    let seconds = (finished - started).num_milliseconds().max(0) as f64 / 1000.0;
    write_atomic(&resultdir.join("junit.xml"), |out| super::junit::write_junit(out, resultdir, tag, seconds, records))
}

/// For each test and subtest of `results` (by output directory), the median
/// of each perf keyval over its keyval blocks: what `baseline(name)` means in
/// a constraint.
pub(crate) fn baseline_medians(results: &JobResults) -> BTreeMap<String, BTreeMap<String, f64>> {
    fn walk(tests: &[TestRecord], out: &mut BTreeMap<String, BTreeMap<String, f64>>) {
        for test in tests {
            let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            // Measured iterations only: the profiled one ran under the profilers.
            for block in test.keyval_blocks.iter().filter(|b| b.kind != BlockKind::Profiled) {
                for (key, value) in &block.perf {
                    values.entry(key.clone()).or_default().push(*value);
                }
            }
            for (key, value) in &test.perf_keyvals {
                values.entry(key.clone()).or_insert_with(|| vec![*value]);
            }
            let medians = values.into_iter().map(|(k, v)| (k, crate::stats::Summary::of(&v).median)).collect();
            out.insert(test.subdir.clone(), medians);
            walk(&test.subtests, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&results.tests, &mut out);
    out
}
