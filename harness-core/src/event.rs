//! What a job tells the world as it runs. The engine and the supervisor emit
//! [`Event`]s and never print; observers (the console reporter, the progress
//! bar, the writer of `results.json` and `junit.xml`, a caller's own) consume
//! them. A job has any number of observers, each told every event in order.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::results::EventBody;
pub use crate::results::IterationValues;
use crate::results::JobSummary;
pub use crate::results::NoticeKind;
use crate::results::StatusEntry;
use crate::results::TestRecord;

/// One thing that happened in a job.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The job started: its result directory is claimed and its keyval written.
    JobStarted {
        /// The result directory.
        resultdir: &'a Path,
        /// The job's tag, if any.
        tag: Option<&'a str>,
        /// The machine and build (`sysinfo-*` of the job keyval, without the prefix).
        sysinfo: &'a BTreeMap<String, String>,
    },
    /// A test's START line was written.
    TestStarted {
        /// The test's name.
        test: &'a str,
        /// Its output directory, relative to the result directory.
        subdir: &'a str,
        /// How deep it runs: 1 for a test of the job, 2 for a subtest of one, ...
        depth: usize,
    },
    /// An iteration of `run_once` ended.
    IterationFinished {
        /// The test's output directory, relative to the result directory.
        subdir: &'a str,
        /// The iteration's number.
        iteration: u64,
        /// The planned number of iterations, if there is one.
        planned: Option<u64>,
        /// The planned `test_length` in seconds, for a timed run.
        test_length: Option<f64>,
        /// In a timed run, the time since the first measured iteration
        /// started (by the job's clock); `None` in a counted run, whose loop
        /// reads no clock.
        elapsed: Option<Duration>,
        /// What the iteration recorded: its keyvals and perf values.
        values: &'a IterationValues,
    },
    /// A status line (`INFO`, `WARN`, a test's status, ...) was recorded.
    StatusRecorded(&'a StatusEntry),
    /// The engine asked the profilers whether they are `active` or `present`,
    /// at the points autotest's `execute` asks.
    ProfilersQueried {
        /// What it asked.
        query: ProfilerQuery,
        /// The answer.
        answer: bool,
    },
    /// Something about a running test a person should know now: what the
    /// supervisor waits for, a test killed, processes left behind.
    Notice {
        /// The test's output directory.
        subdir: &'a str,
        /// What it is about.
        kind: NoticeKind,
        /// What happened, as a sentence.
        text: &'a str,
    },
    /// A test ended (its END line is written).
    TestFinished {
        /// How it went.
        record: &'a TestRecord,
        /// How deep it ran: 1 for a test of the job, 2 for a subtest of one, ...
        depth: usize,
    },
    /// The job ended: [`Job::complete`](crate::job::Job::complete) ran.
    JobFinished(&'a JobSummary),
}

/// What the engine asks of the profilers (autotest's `job.profilers.active()`
/// and `present()`); shown as `active` and `present`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfilerQuery {
    /// Whether the profilers are running now.
    Active,
    /// Whether the job has any profiler.
    Present,
}

impl std::fmt::Display for ProfilerQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProfilerQuery::Active => "active",
            ProfilerQuery::Present => "present",
        })
    }
}

/// Watches a job: told every [`Event`], in order, on the thread that caused it.
///
/// ```
/// use harness_core::event::{Event, Observer};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Default)]
/// struct Finished(Mutex<Vec<String>>);
///
/// impl Observer for Finished {
///     fn on_event(&self, event: &Event<'_>) {
///         if let Event::TestFinished { record, .. } = event {
///             self.0.lock().unwrap().push(format!("{} {}", record.subdir, record.status));
///         }
///     }
/// }
///
/// let finished = Arc::new(Finished::default());
/// let dir = tempfile::tempdir()?;
/// let job = harness_core::Job::builder(dir.path().join("r")).observer(finished.clone()).build()?;
/// job.complete()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Observer: Send + Sync {
    /// One event.
    fn on_event(&self, event: &Event<'_>);
}

impl<'a> Event<'a> {
    /// The line body of an event; `None` for what the stream leaves out (the
    /// profiler queries, internal to the engine).
    pub(crate) fn body(&self) -> Option<EventBody<'a>> {
        Some(match *self {
            Event::JobStarted { resultdir, tag, sysinfo } => EventBody::JobStarted {
                resultdir: Cow::Borrowed(resultdir),
                tag: tag.map(Cow::Borrowed),
                sysinfo: Cow::Borrowed(sysinfo),
            },
            Event::TestStarted { test, subdir, depth } => {
                EventBody::TestStarted { test: test.into(), subdir: subdir.into(), depth }
            }
            Event::IterationFinished { subdir, iteration, planned, test_length, elapsed, values } => {
                EventBody::IterationFinished {
                    subdir: subdir.into(),
                    iteration,
                    planned,
                    test_length,
                    elapsed: elapsed.map(|e| e.as_secs_f64()),
                    values: Cow::Borrowed(values),
                }
            }
            Event::StatusRecorded(entry) => {
                let mut message = entry.message().to_owned();
                for line in entry.extra_lines() {
                    message.push('\n');
                    message.push_str(line);
                }
                EventBody::Status {
                    code: entry.code().to_string().into(),
                    subdir: entry.subdir().map(Cow::Borrowed),
                    operation: entry.operation().map(Cow::Borrowed),
                    fields: Cow::Borrowed(entry.fields()),
                    message: message.into(),
                }
            }
            Event::Notice { subdir, kind, text } => {
                EventBody::Notice { subdir: subdir.into(), kind, text: text.into() }
            }
            Event::TestFinished { record, depth } => EventBody::TestFinished { depth, record: Cow::Borrowed(record) },
            Event::JobFinished(summary) => {
                let mut counts = BTreeMap::new();
                for record in summary.records() {
                    *counts.entry(record.status.to_string()).or_insert(0) += 1;
                }
                let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let (start, end) = summary.times();
                EventBody::JobFinished {
                    status: summary.status(),
                    counts,
                    start: time(start).into(),
                    end: time(end).into(),
                }
            }
            Event::ProfilersQueried { .. } => return None,
        })
    }
}
