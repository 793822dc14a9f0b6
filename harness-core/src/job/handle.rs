//! [`Job`]: a handle on one job's result directory, settings, hooks,
//! profilers and observers.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::builder::JobBuilder;
use super::files::JobFiles;
use super::settings::{Isolation, JobSettings};
use super::test_builder::TestBuilder;
use crate::cancel::CancelToken;
use crate::definition::Autotest;
use crate::engine;
use crate::error::{Error, Result};
use crate::event::{Event, Observer};
use crate::profiler::ProfilerSet;
use crate::results::{JobSummary, TestRecord};
use crate::results::{StatusCode, StatusEntry, StatusLogger, write_keyval};
use crate::{Args, Status, TestContext, TestResult};

/// A job-level hook, run for every test with its context.
pub type TestHook = Arc<dyn Fn(&mut TestContext) -> TestResult + Send + Sync>;

#[derive(Default, Clone)]
pub(crate) struct JobHooks {
    pub(crate) before_test: Vec<TestHook>,
    pub(crate) after_test: Vec<TestHook>,
    pub(crate) before_iteration: Vec<TestHook>,
    pub(crate) after_iteration: Vec<TestHook>,
}

impl JobHooks {
    pub(crate) fn is_empty(&self) -> bool {
        self.before_test.is_empty()
            && self.after_test.is_empty()
            && self.before_iteration.is_empty()
            && self.after_iteration.is_empty()
    }
}

pub(crate) type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;
pub(crate) type CacheDropper = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

#[derive(Default)]
pub(crate) struct JobState {
    pub(crate) sequence: u32,
    pub(crate) records: Vec<TestRecord>,
    completed: bool,
    disabled_warnings: BTreeSet<String>,
}

pub(crate) struct JobInner {
    pub(crate) settings: JobSettings,
    pub(crate) isolation: Isolation,
    pub(crate) hooks: JobHooks,
    pub(crate) profilers: Mutex<ProfilerSet>,
    pub(crate) logger: StatusLogger,
    pub(crate) clock: Clock,
    pub(crate) cache_dropper: CacheDropper,
    pub(crate) warned_drop_caches: AtomicBool,
    pub(crate) cancel: CancelToken,
    pub(crate) observers: Vec<Arc<dyn Observer>>,
    /// The writer of `results.json` and `junit.xml` (none for a job attached to another process's).
    pub(crate) files: Option<Arc<JobFiles>>,
    pub(crate) owns_group: bool,
    pub(crate) state: Mutex<JobState>,
    pub(crate) started: chrono::DateTime<chrono::Utc>,
    /// The directory of this job's test subprocesses, made for the first one.
    pub(crate) children: Mutex<Option<Arc<crate::supervisor::ChildRoot>>>,
}

/// A job: where results go and the settings, hooks and profilers its tests share.
/// Cloning gives another handle to the same job.
///
/// ```
/// use harness_core::prelude::*;
/// use harness_core::Job;
///
/// /// Counts its iterations.
/// #[autotest(version = 1)]
/// #[derive(Default)]
/// struct Counting {
///     runs: u32,
/// }
///
/// #[autotest]
/// impl Counting {
///     fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
///         self.runs += 1;
///         ctx.write_perf_keyval([("runs", self.runs)])?;
///         Ok(())
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let job = Job::builder(dir.path().join("results")).state_dir(dir.path().join("state")).build()?;
/// let status = job.run_test("counting", Args::new().with("iterations", 3))?;
/// assert_eq!(status, Status::Good);
/// let summary = job.complete()?;
/// assert_eq!(summary.records()[0].perf_keyvals["runs"], 3.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Job {
    pub(crate) inner: Arc<JobInner>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("resultdir", &self.inner.settings.resultdir)
            .field("tag", &self.inner.settings.tag)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A builder for a job writing into `resultdir`.
    pub fn builder(resultdir: impl Into<PathBuf>) -> JobBuilder {
        JobBuilder::new(resultdir.into())
    }

    /// Runs a registered test by name (autotest's `job.run_test`), mixing engine
    /// arguments (`iterations`, `tag`, ...) and test arguments in one [`Args`].
    ///
    /// A test failure is a status, not an error: the error cases are those where
    /// nothing could be recorded.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownTest`] (with close names), [`Error::InvalidName`] or
    /// [`Error::Args`] for a tag that cannot be a directory name,
    /// [`Error::OutputDirExists`], and I/O errors on the result directory.
    pub fn run_test(&self, name: &str, args: Args) -> Result<Status> {
        self.run_test_detail(name, args).map(|record| record.status)
    }

    /// Like [`run_test`](Self::run_test), returning the whole record (autotest's
    /// `run_test_detail`).
    ///
    /// # Errors
    ///
    /// As [`run_test`](Self::run_test).
    pub fn run_test_detail(&self, name: &str, args: Args) -> Result<TestRecord> {
        let registration = crate::registry::find(name).ok_or_else(|| Error::UnknownTest {
            name: name.to_owned(),
            suggestions: crate::registry::suggestions(name),
        })?;
        engine::run(self, registration.make(), args)
    }

    /// Runs a test instance that need not be registered (always in this process).
    ///
    /// # Errors
    ///
    /// As [`run_test`](Self::run_test).
    pub fn run_test_with(&self, test: impl Autotest, args: Args) -> Result<TestRecord> {
        engine::run(self, Box::new(test), args)
    }

    /// A typed builder for one run: `job.test("sleeptest").tag("quick").iterations(3).arg("seconds", 0.1).run()`.
    pub fn test(&self, name: &str) -> TestBuilder<'_> {
        TestBuilder::new(self, name)
    }

    /// Writes a status line (autotest's `job.record`): `INFO` or a status, with an
    /// optional subdir and operation.
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] for a subdir or operation with a tab or line break, I/O errors.
    pub fn record(&self, code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<()> {
        let entry = StatusEntry::new(code, subdir, operation, message)?;
        self.inner.logger.record(&entry)?;
        self.emit(&Event::StatusRecorded(&entry));
        Ok(())
    }

    /// Tells every observer.
    pub(crate) fn emit(&self, event: &Event<'_>) {
        for observer in &self.inner.observers {
            observer.on_event(event);
        }
    }

    /// The profilers the profiled iteration runs.
    pub fn profilers(&self) -> MutexGuard<'_, ProfilerSet> {
        self.inner.profilers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// autotest's `job.profilers.active()` / `present()`, told to the observers.
    pub(crate) fn profilers_query(&self, query: &'static str) -> bool {
        let answer = match query {
            "active" => self.profilers().active(),
            _ => self.profilers().present(),
        };
        self.emit(&Event::ProfilersQueried { query, answer });
        answer
    }

    /// The records of the tests run so far.
    #[must_use]
    pub fn records(&self) -> Vec<TestRecord> {
        self.state().records.clone()
    }

    /// The result directory (absolute).
    #[must_use]
    pub fn resultdir(&self) -> &Path {
        &self.inner.settings.resultdir
    }

    /// The job's scratch directory (`.testlock` and per-test tmpdirs).
    #[must_use]
    pub fn tmpdir(&self) -> &Path {
        &self.inner.settings.tmpdir
    }

    /// The root of the tests' `bindir`s (`<testdir>/<name>/src` is a test's srcdir).
    #[must_use]
    pub fn testdir(&self) -> &Path {
        &self.inner.settings.testdir
    }

    /// The job's tag.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.inner.settings.tag.as_deref()
    }

    /// How often an iteration failing with `fail_retry` is run again.
    #[must_use]
    pub fn test_retry(&self) -> u32 {
        self.inner.settings.test_retry
    }

    /// The token that interrupts and timeouts cancel.
    #[must_use]
    pub fn cancel_token(&self) -> &CancelToken {
        &self.inner.cancel
    }

    /// Turns off a kind of warning (autotest's `disable_warnings`, used for
    /// `network_destabilizing` tests with "NETWORK").
    pub fn disable_warnings(&self, kind: &str) {
        self.state().disabled_warnings.insert(kind.to_owned());
    }

    /// Turns a kind of warning back on.
    pub fn enable_warnings(&self, kind: &str) {
        self.state().disabled_warnings.remove(kind);
    }

    /// Whether a kind of warning is turned off.
    #[must_use]
    pub fn warnings_disabled(&self, kind: &str) -> bool {
        self.state().disabled_warnings.contains(kind)
    }

    pub(crate) fn settings(&self) -> &JobSettings {
        &self.inner.settings
    }

    pub(crate) fn isolation(&self) -> &Isolation {
        &self.inner.isolation
    }

    pub(crate) fn now(&self) -> f64 {
        (self.inner.clock)()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, JobState> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the page cache; without permission, warns once and carries on.
    pub(crate) fn drop_caches(&self) {
        if let Err(error) = (self.inner.cache_dropper)()
            && !self.inner.warned_drop_caches.swap(true, Ordering::Relaxed)
        {
            log::warn!(target: "harness", "cannot drop caches ({error}); iterations run with warm caches");
        }
    }

    /// Ends the job: the closing `END` line of `status.log`, `job_finished` in the
    /// job keyval, `results.json` and `junit.xml`. Later calls do nothing more.
    ///
    /// # Errors
    ///
    /// I/O errors writing the files.
    pub fn complete(&self) -> Result<JobSummary> {
        let (records, first) = {
            let mut state = self.state();
            let first = !state.completed;
            state.completed = true;
            (state.records.clone(), first)
        };
        let status = match self.inner.cancel.reason() {
            Some((Status::Abort, _)) => Status::Abort,
            _ => Status::Good,
        };
        let finished = chrono::Utc::now();
        let summary = JobSummary::new(
            records,
            status,
            self.resultdir().to_owned(),
            self.inner.settings.tag.clone(),
            (self.inner.started, finished),
        );
        if first && self.inner.owns_group {
            let message = match self.inner.cancel.reason() {
                Some((Status::Abort, reason)) => reason,
                _ => String::new(),
            };
            self.record(StatusCode::End(status), None, None, &message)?;
            write_keyval(self.resultdir(), [("job_finished", finished.timestamp())], None)?;
            self.emit(&Event::JobFinished(&summary));
            if let Some(files) = &self.inner.files {
                files.take_error()?;
            }
        }
        Ok(summary)
    }

    pub(crate) fn indent(&self) -> usize {
        self.inner.logger.indent()
    }

    pub(crate) fn push_record(&self, record: TestRecord) {
        self.state().records.push(record);
    }
}

impl Drop for JobInner {
    /// A job dropped before `complete`: the groups it left open (a test whose
    /// END was never written) close as ABORT, never GOOD, and so does the job
    /// when one was open.
    fn drop(&mut self) {
        let completed = self.state.lock().unwrap_or_else(PoisonError::into_inner).completed;
        if completed {
            return;
        }
        let base = usize::from(self.owns_group);
        let tests_open = self.logger.open_groups() > base;
        if !self.owns_group {
            self.logger.abort_open_groups("the job ended while the test was running");
            return;
        }
        if tests_open {
            self.logger.abort_open_groups("the job ended while a test was running");
        } else if let Ok(entry) = StatusEntry::new(StatusCode::End(Status::Good), None, None, "") {
            let _ = self.logger.record(&entry);
        }
    }
}
