//! What `events.jsonl` adds to a job rebuilt from its files: a test that
//! finished has its full record there (arguments, attributes, warm-up counts,
//! every perf value), a test the job was in when it died has its ended
//! iterations, and a test whose status lines the disk did not take is there
//! at all. `status.log` stays the record of every verdict it holds: an event
//! that disagrees with it is reported and not taken.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use super::events::{EVENTS_FILE, EventBody, IterationValues, read_events};
use super::record::{KeyvalBlock, PerfRecord, TestRecord};
use crate::results::formats::iteration_keyval::BlockKind;
use crate::status::Status;

/// The tests and iterations one job's `events.jsonl` says ended.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// Records of the job's tests that finished, by subdir, in order.
    finished: BTreeMap<String, VecDeque<TestRecord>>,
    /// The subdirs of the job's tests (depth 1) that finished, in order: those
    /// no run in `status.log` takes are added after its own.
    order: Vec<String>,
    /// The iterations that ended in each subdir's last run, in order.
    iterations: BTreeMap<String, Vec<IterationValues>>,
    /// What the rebuild should say: disagreements, an unreadable file.
    pub(crate) notes: Vec<String>,
    /// Whether the file was there and read.
    pub(crate) read: bool,
}

impl Replay {
    /// The replay of `<resultdir>/events.jsonl`; empty when there is none,
    /// and empty with a note when it cannot be read.
    pub(crate) fn read(resultdir: &Path) -> Replay {
        let path = resultdir.join(EVENTS_FILE);
        let mut replay = Replay::default();
        if !path.is_file() {
            return replay;
        }
        let read = match read_events(&path) {
            Ok(read) => read,
            Err(error) => {
                replay.notes.push(format!("{EVENTS_FILE} not used: {error}"));
                return replay;
            }
        };
        replay.read = true;
        for line in read.lines {
            match line.event {
                EventBody::TestStarted { subdir, .. } => {
                    replay.iterations.insert(subdir.into_owned(), Vec::new());
                }
                EventBody::IterationFinished { subdir, values, .. } => {
                    replay.iterations.entry(subdir.into_owned()).or_default().push(values.into_owned());
                }
                EventBody::TestFinished { depth, record } => {
                    let record = record.into_owned();
                    if depth == 1 {
                        replay.order.push(record.subdir.clone());
                    }
                    replay.finished.entry(record.subdir.clone()).or_default().push_back(record);
                }
                _ => {}
            }
        }
        replay
    }

    /// `records` (rebuilt from `status.log`, each run of a subdir in order)
    /// with what the events add: a finished run's record where the verdicts
    /// agree, the ended iterations of a run left open, then the job's
    /// finished tests `status.log` does not hold.
    pub(crate) fn apply(&mut self, records: Vec<TestRecord>) -> Vec<TestRecord> {
        let mut out: Vec<TestRecord> = records.into_iter().map(|r| self.patch(r)).collect();
        for subdir in std::mem::take(&mut self.order) {
            if let Some(record) = self.finished.get_mut(&subdir).and_then(VecDeque::pop_front) {
                self.notes.push(format!(
                    "{subdir}: not in status.log; its record ({}) is taken from {EVENTS_FILE}",
                    record.status
                ));
                out.push(record);
            }
        }
        out
    }

    /// One run as `status.log` tells it, made whole from the events.
    fn patch(&mut self, mut record: TestRecord) -> TestRecord {
        let finished = self.finished.get_mut(&record.subdir).and_then(VecDeque::pop_front);
        match finished {
            Some(event) if event.status == record.status || open(&record) => {
                if event.status != record.status {
                    self.notes.push(format!(
                        "{}: status.log left it open; {EVENTS_FILE} says it ended {}",
                        record.subdir, event.status
                    ));
                }
                return event;
            }
            Some(event) => self.notes.push(format!(
                "{}: {EVENTS_FILE} says it ended {}, status.log {}; status.log is the record",
                record.subdir, event.status, record.status
            )),
            None => {
                if let Some(ended) = self.iterations.remove(&record.subdir) {
                    add_iterations(&mut record, ended);
                }
            }
        }
        record.subtests = std::mem::take(&mut record.subtests).into_iter().map(|r| self.patch(r)).collect();
        record
    }
}

/// Whether the rebuilt record is of a run `status.log` left open (the job
/// died in it).
fn open(record: &TestRecord) -> bool {
    record.status == Status::Abort && record.reason == crate::results::formats::status_reader::ABORTED_UNEXPECTEDLY
}

/// Adds to a run the job died in the iterations its events say ended beyond
/// those its keyval file holds.
fn add_iterations(record: &mut TestRecord, ended: Vec<IterationValues>) {
    let ended_count = ended.len() as u64;
    if ended_count <= record.iterations {
        return;
    }
    let kept = record.keyval_blocks.iter().filter(|b| b.kind != BlockKind::Profiled).count();
    for (at, values) in ended.iter().enumerate().skip(kept) {
        if values.attr.is_empty() && values.perf.is_empty() {
            continue;
        }
        record.keyval_blocks.push(KeyvalBlock {
            kind: BlockKind::Iteration,
            iteration: Some(u64::try_from(at).unwrap_or(u64::MAX).saturating_add(1)),
            attr: values.attr.clone(),
            perf: values.perf.clone(),
        });
    }
    if let Some(last) = ended.iter().rev().find(|v| !v.perf.is_empty()) {
        record.perf_keyvals.clone_from(&last.perf);
    }
    // Per metric, the events' values when they hold more than the chart.
    let mut from_events: Vec<PerfRecord> = Vec::new();
    for value in ended.into_iter().flat_map(|v| v.perf_values) {
        match from_events.iter_mut().find(|r| r.name() == value.name()) {
            Some(known) => known.values.extend(value.values),
            None => from_events.push(value),
        }
    }
    for metric in from_events {
        match record.perf_values.iter_mut().find(|r| r.name() == metric.name()) {
            Some(known) if known.values.len() < metric.values.len() => known.values = metric.values,
            Some(_) => {}
            None => record.perf_values.push(metric),
        }
    }
    record.iterations = ended_count;
}
