//! [`Job`]: a handle on one job's result directory, settings, hooks,
//! profilers and observers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::files::JobFiles;
use crate::args::Args;
use crate::cancel::CancelToken;
use crate::definition::Autotest;
use crate::engine::{self, Isolate, JobCore, Prepared, Ran};
use crate::error::Result;
use crate::names::Naming;
use crate::plan::PlannedRun;
use crate::profiler::ProfilerSet;
use crate::results::formats::rollup::Line;
use crate::results::{JobExit, JobSummary, StatusCode, StatusEntry, TestRecord, write_keyval};
use crate::settings::JobSettings;
use crate::status::Status;

pub(crate) struct JobInner {
    core: Arc<JobCore>,
    /// Where registered tests' bodies run; `None`: in this process.
    isolation: Option<Box<dyn Isolate>>,
    /// The records of the tests run so far (their subtests inside them).
    records: Mutex<Vec<Arc<TestRecord>>>,
    /// The writer of `results.json` and `junit.xml` (none for a job attached to another process's).
    files: Option<Arc<JobFiles>>,
    /// Whether this job writes its own START and END (not a child's job).
    owns_group: bool,
    started: chrono::DateTime<chrono::Utc>,
    completed: AtomicBool,
}

impl JobInner {
    pub(crate) fn new(
        core: Arc<JobCore>,
        isolation: Option<Box<dyn Isolate>>,
        files: Option<Arc<JobFiles>>,
        owns_group: bool,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        JobInner {
            core,
            isolation,
            records: Mutex::new(Vec::new()),
            files,
            owns_group,
            started,
            completed: AtomicBool::new(false),
        }
    }
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
            .field("resultdir", &self.settings().resultdir)
            .field("tag", &self.settings().tag)
            .finish_non_exhaustive()
    }
}

impl Job {
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
        self.run(PlannedRun::named(name, args)?).map(|record| record.status)
    }

    /// Like [`run_test`](Self::run_test), returning the whole record (autotest's
    /// `run_test_detail`).
    ///
    /// # Errors
    ///
    /// As [`run_test`](Self::run_test).
    pub fn run_test_detail(&self, name: &str, args: Args) -> Result<TestRecord> {
        // A copy: the job keeps its own for `complete` (`records()` shares it).
        self.run(PlannedRun::named(name, args)?).map(Arc::unwrap_or_clone)
    }

    /// Runs a test instance that need not be registered (always in this process).
    ///
    /// # Errors
    ///
    /// As [`run_test`](Self::run_test).
    pub fn run_test_with(&self, test: impl Autotest, args: Args) -> Result<TestRecord> {
        let planned = PlannedRun::instance(&test, args);
        self.run_with(planned, Box::new(test)).map(Arc::unwrap_or_clone)
    }

    /// Runs a planned run of a registered test: the one way into the engine
    /// for every front end. The job keeps the record.
    pub(crate) fn run(&self, planned: PlannedRun) -> Result<Arc<TestRecord>> {
        match planned.registration() {
            Some(registration) => self.run_with(planned, registration.make()),
            None => Err(crate::error::Error::UnknownTest {
                name: planned.info().name().to_owned(),
                suggestions: Vec::new(),
            }),
        }
    }

    fn run_with(&self, planned: PlannedRun, test: Box<dyn Autotest>) -> Result<Arc<TestRecord>> {
        let record = engine::run(&self.inner.core, planned, test, self.inner.isolation.as_deref())?;
        self.inner.records.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&record));
        Ok(record)
    }

    /// As [`run`](Self::run), for a run planned and checked before the job
    /// began: one that cannot start even so (the disk, a race) is recorded as
    /// ERROR with the reason (written under `subdir`), so it is counted.
    ///
    /// # Errors
    ///
    /// Status lines the job's log cannot take.
    #[cfg(feature = "cli")]
    pub(crate) fn run_counted(&self, planned: PlannedRun, subdir: &str) -> Result<Arc<TestRecord>> {
        match self.run(planned.clone()) {
            Ok(record) => Ok(record),
            Err(error) => {
                let record = engine::unrunnable(&self.inner.core, &planned, subdir, &error.to_string())?;
                self.inner.records.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&record));
                Ok(record)
            }
        }
    }

    /// In a test's child process: the body of `planned` run on `test` (which
    /// the child drops only once it has sent the result), whose START the
    /// parent wrote, named `naming`, in `outputdir`; how it ended, and the
    /// status lines it wrote (for the parent's roll-up).
    pub(crate) fn run_body(
        &self,
        planned: PlannedRun,
        test: &mut dyn Autotest,
        naming: Naming,
        outputdir: PathBuf,
    ) -> (Ran, Vec<Line>) {
        let core = &self.inner.core;
        let prepared = Prepared::resume(planned, naming, outputdir);
        let ran = engine::body(core, test, &prepared);
        (ran, core.logger.take_lines())
    }

    /// Writes a status line (autotest's `job.record`): `INFO` or a status, with an
    /// optional subdir and operation.
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] for a subdir or operation with a tab or line break, I/O errors.
    pub fn record(&self, code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<()> {
        self.inner.core.record(code, subdir, operation, message)
    }

    /// The profilers the profiled iteration runs.
    pub fn profilers(&self) -> MutexGuard<'_, ProfilerSet> {
        self.inner.core.profilers()
    }

    /// The records of the tests run so far.
    #[must_use]
    pub fn records(&self) -> Vec<Arc<TestRecord>> {
        self.inner.records.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The result directory (absolute).
    #[must_use]
    pub fn resultdir(&self) -> &Path {
        &self.settings().resultdir
    }

    /// The job's scratch directory (`.testlock` and per-test tmpdirs).
    #[must_use]
    pub fn tmpdir(&self) -> &Path {
        &self.settings().tmpdir
    }

    /// The root of the tests' `bindir`s (`<testdir>/<name>/src` is a test's srcdir).
    #[must_use]
    pub fn testdir(&self) -> &Path {
        &self.settings().testdir
    }

    /// The job's tag.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.settings().tag.as_deref()
    }

    /// How often an iteration failing with `fail_retry` is run again.
    #[must_use]
    pub fn test_retry(&self) -> u32 {
        self.settings().test_retry
    }

    /// The token that interrupts and timeouts cancel.
    #[must_use]
    pub fn cancel_token(&self) -> &CancelToken {
        &self.inner.core.cancel
    }

    /// Turns off a kind of warning (autotest's `disable_warnings`, used for
    /// `network_destabilizing` tests with "NETWORK").
    pub fn disable_warnings(&self, kind: &str) {
        self.inner.core.view.disable_warnings(kind);
    }

    /// Turns a kind of warning back on.
    pub fn enable_warnings(&self, kind: &str) {
        self.inner.core.view.enable_warnings(kind);
    }

    /// Whether a kind of warning is turned off.
    #[must_use]
    pub fn warnings_disabled(&self, kind: &str) -> bool {
        self.inner.core.view.warnings_disabled(kind)
    }

    pub(crate) fn settings(&self) -> &JobSettings {
        &self.inner.core.settings
    }

    /// Ends the job: the closing `END` line of `status.log`, `job_finished` in the
    /// job keyval, `results.json` and `junit.xml`. Later calls do nothing more.
    ///
    /// # Errors
    ///
    /// I/O errors writing the files.
    pub fn complete(&self) -> Result<JobSummary> {
        let first = !self.inner.completed.swap(true, Ordering::SeqCst);
        let core = &self.inner.core;
        let aborted = matches!(core.cancel.reason(), Some((Status::Abort, _)));
        // The job's own END line is autotest's: GOOD unless the job was
        // interrupted; its tests' verdicts are in their own groups.
        let status = if aborted { Status::Abort } else { Status::Good };
        let finished = chrono::Utc::now();
        let summary = JobSummary::new(
            self.records(),
            aborted,
            self.resultdir().to_owned(),
            self.settings().tag.clone(),
            (self.inner.started, finished),
        );
        if first && self.inner.owns_group {
            let message = match core.cancel.reason() {
                Some((Status::Abort, reason)) => reason,
                _ => String::new(),
            };
            self.record(StatusCode::End(status), None, None, &message)?;
            write_keyval(self.resultdir(), [("job_finished", finished.timestamp())], None)?;
            core.emit(&crate::event::Event::JobFinished(&summary));
            let exit = if aborted {
                JobExit::Signalled(crate::signal::last_interrupt().unwrap_or(nix::libc::SIGINT))
            } else {
                JobExit::Exited(u8::from(summary.has_failures()))
            };
            crate::results::write_finished(self.resultdir(), exit)?;
            if let Some(files) = &self.inner.files {
                files.take_error()?;
            }
        }
        Ok(summary)
    }
}

impl Drop for JobInner {
    /// A job dropped before `complete`: the groups it left open (a test whose
    /// END was never written) close as ABORT, never GOOD, and so does the job
    /// when one was open.
    fn drop(&mut self) {
        if self.completed.load(Ordering::SeqCst) {
            return;
        }
        let logger = &self.core.logger;
        let base = usize::from(self.owns_group);
        let tests_open = logger.open_groups() > base;
        if !self.owns_group {
            logger.abort_open_groups("the job ended while the test was running");
            return;
        }
        if tests_open {
            logger.abort_open_groups("the job ended while a test was running");
        } else if let Ok(entry) = StatusEntry::new(StatusCode::End(Status::Good), None, None, "") {
            let _ = logger.record(&entry);
        }
    }
}
