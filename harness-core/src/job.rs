//! [`Job`]: the result directory, job settings, hooks and profilers shared by the
//! tests it runs, and [`JobBuilder`] to make one.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::{self, TestRecord};
use crate::profiler::{Profiler, ProfilerSet};
use crate::results::{StatusCode, StatusEntry, StatusLogger, write_keyval};
use crate::{Args, Autotest, CancelToken, Error, Result, Status, TestContext, TestResult};

/// A job-level hook, run for every test with its context.
pub type TestHook = Arc<dyn Fn(&mut TestContext) -> TestResult + Send + Sync>;

/// Watches a job: the CLI draws its progress from these calls.
pub trait JobObserver: Send + Sync {
    /// A test is about to start.
    fn test_started(&self, _test: &str, _subdir: &str) {}
    /// An iteration ended: its number, the planned count (or the planned
    /// `test_length` in seconds) and the time since the first iteration started.
    fn iteration_finished(
        &self,
        _iteration: u64,
        _planned: Option<u64>,
        _test_length: Option<f64>,
        _elapsed: Duration,
    ) {
    }
    /// A test ended.
    fn test_finished(&self, _record: &TestRecord) {}
    /// A status line (`INFO`, `WARN`, ...) was recorded through [`Job::record`].
    fn status_recorded(&self, _entry: &StatusEntry) {}
    /// The engine asked the profilers whether they are `active` or `present`,
    /// at the points autotest's `execute` asks (for conformance checks).
    fn profilers_queried(&self, _query: &'static str, _answer: bool) {}
}

#[derive(Default, Clone)]
pub(crate) struct JobHooks {
    pub(crate) before_test: Vec<TestHook>,
    pub(crate) after_test: Vec<TestHook>,
    pub(crate) before_iteration: Vec<TestHook>,
    pub(crate) after_iteration: Vec<TestHook>,
}

type Clock = Arc<dyn Fn() -> f64 + Send + Sync>;
type CacheDropper = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

#[derive(Default)]
pub(crate) struct JobState {
    pub(crate) sequence: u32,
    pub(crate) records: Vec<TestRecord>,
    completed: bool,
    disabled_warnings: BTreeSet<String>,
}

pub(crate) struct JobInner {
    pub(crate) resultdir: PathBuf,
    pub(crate) tmpdir: PathBuf,
    pub(crate) testdir: PathBuf,
    tag: Option<String>,
    pub(crate) test_retry: u32,
    pub(crate) drop_caches_between_iterations: bool,
    pub(crate) default_profile_only: bool,
    pub(crate) run_test_cleanup: bool,
    pub(crate) use_sequence_number: bool,
    pub(crate) automatic_test_tag: Option<String>,
    flush_interval: Duration,
    pub(crate) hooks: JobHooks,
    profilers: Mutex<ProfilerSet>,
    pub(crate) logger: StatusLogger,
    clock: Clock,
    cache_dropper: CacheDropper,
    warned_drop_caches: AtomicBool,
    cancel: CancelToken,
    pub(crate) observer: Option<Arc<dyn JobObserver>>,
    owns_group: bool,
    pub(crate) state: Mutex<JobState>,
    started: chrono::DateTime<chrono::Utc>,
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
/// let job = Job::builder(dir.path().join("results")).build()?;
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
            .field("resultdir", &self.inner.resultdir)
            .field("tag", &self.inner.tag)
            .finish_non_exhaustive()
    }
}

/// What a finished job did.
#[derive(Debug, Clone)]
#[must_use]
pub struct JobSummary {
    records: Vec<TestRecord>,
    status: Status,
}

impl JobSummary {
    /// Every test run, in order.
    pub fn records(&self) -> &[TestRecord] {
        &self.records
    }

    /// GOOD, or ABORT when the job was interrupted.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether any test ended FAIL, ERROR or ABORT, or the job was aborted.
    pub fn has_failures(&self) -> bool {
        self.status.is_failure() || self.records.iter().any(|r| r.status.is_failure())
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

    /// Runs a test instance that need not be registered.
    ///
    /// # Errors
    ///
    /// As [`run_test`](Self::run_test).
    pub fn run_test_with(&self, test: impl Autotest, args: Args) -> Result<TestRecord> {
        engine::run(self, Box::new(test), args)
    }

    /// A typed builder for one run: `job.test("sleeptest").tag("quick").iterations(3).arg("seconds", 0.1).run()`.
    pub fn test(&self, name: &str) -> TestBuilder<'_> {
        TestBuilder { job: self, name: name.to_owned(), args: Args::new() }
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
        if let Some(observer) = &self.inner.observer {
            observer.status_recorded(&entry);
        }
        Ok(())
    }

    /// The profilers the profiled iteration runs.
    pub fn profilers(&self) -> MutexGuard<'_, ProfilerSet> {
        self.inner.profilers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// autotest's `job.profilers.active()` / `present()`, told to the observer.
    pub(crate) fn profilers_query(&self, query: &'static str) -> bool {
        let answer = match query {
            "active" => self.profilers().active(),
            _ => self.profilers().present(),
        };
        if let Some(observer) = &self.inner.observer {
            observer.profilers_queried(query, answer);
        }
        answer
    }

    /// The records of the tests run so far.
    #[must_use]
    pub fn records(&self) -> Vec<TestRecord> {
        self.state().records.clone()
    }

    /// The result directory.
    #[must_use]
    pub fn resultdir(&self) -> &Path {
        &self.inner.resultdir
    }

    /// The job's scratch directory (`.testlock` and per-test tmpdirs).
    #[must_use]
    pub fn tmpdir(&self) -> &Path {
        &self.inner.tmpdir
    }

    /// The root of the tests' `bindir`s (`<testdir>/<name>/src` is a test's srcdir).
    #[must_use]
    pub fn testdir(&self) -> &Path {
        &self.inner.testdir
    }

    /// The job's tag.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.inner.tag.as_deref()
    }

    /// How often an iteration failing with `fail_retry` is run again.
    #[must_use]
    pub fn test_retry(&self) -> u32 {
        self.inner.test_retry
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

    pub(crate) fn flush_interval(&self) -> Duration {
        self.inner.flush_interval
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
            {
                let message = format!("cannot drop caches ({error}); iterations run with warm caches");
                log::warn!(target: "harness", "{message}");
                eprintln!("harness: warning: {message}");
            }
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
        if first && self.inner.owns_group {
            let message = match self.inner.cancel.reason() {
                Some((Status::Abort, reason)) => reason,
                _ => String::new(),
            };
            self.record(StatusCode::End(status), None, None, &message)?;
            let finished = chrono::Utc::now();
            write_keyval(&self.inner.resultdir, [("job_finished", finished.timestamp())], None)?;
            crate::results::write_job_files(
                &self.inner.resultdir,
                self.inner.tag.as_deref(),
                status,
                self.inner.started,
                finished,
                &records,
            )?;
        }
        Ok(JobSummary { records, status })
    }

    #[cfg(feature = "cli")]
    pub(crate) fn indent(&self) -> usize {
        self.inner.logger.indent()
    }

    pub(crate) fn push_record(&self, record: TestRecord) {
        self.state().records.push(record);
    }
}

impl Drop for JobInner {
    fn drop(&mut self) {
        let completed = self.state.lock().unwrap_or_else(PoisonError::into_inner).completed;
        if !completed && self.owns_group {
            let end = StatusEntry::new(StatusCode::End(Status::Good), None, None, "");
            if let Ok(entry) = end {
                let _ = self.logger.record(&entry);
            }
        }
    }
}

/// Builds a [`Job`].
///
/// Defaults: `tmpdir` and `testdir` are `tmp` and `tests` in the binary's state
/// directory (`$HARNESS_STATE_DIR`, else `~/.cache/harness/<binary>`), so every
/// run of a binary shares its builds and their lock and nothing is written
/// beside the result directory; no retries; caches are not dropped;
/// `profile_only` off; cleanup on; perf values flushed at most every second.
#[must_use]
pub struct JobBuilder {
    resultdir: PathBuf,
    tmpdir: Option<PathBuf>,
    testdir: Option<PathBuf>,
    tag: Option<String>,
    test_retry: u32,
    drop_caches_between_iterations: bool,
    default_profile_only: bool,
    run_test_cleanup: bool,
    use_sequence_number: bool,
    automatic_test_tag: Option<String>,
    flush_interval: Duration,
    hooks: JobHooks,
    profilers: Vec<Box<dyn Profiler>>,
    clock: Option<Clock>,
    cache_dropper: Option<CacheDropper>,
    cancel: Option<CancelToken>,
    observer: Option<Arc<dyn JobObserver>>,
    attach_indent: Option<usize>,
}

impl fmt::Debug for JobBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobBuilder").field("resultdir", &self.resultdir).finish_non_exhaustive()
    }
}

impl JobBuilder {
    fn new(resultdir: PathBuf) -> Self {
        JobBuilder {
            resultdir,
            tmpdir: None,
            testdir: None,
            tag: None,
            test_retry: 0,
            drop_caches_between_iterations: false,
            default_profile_only: false,
            run_test_cleanup: true,
            use_sequence_number: false,
            automatic_test_tag: None,
            flush_interval: Duration::from_secs(1),
            hooks: JobHooks::default(),
            profilers: Vec::new(),
            clock: None,
            cache_dropper: None,
            cancel: None,
            observer: None,
            attach_indent: None,
        }
    }

    /// Both state directories at once: `tmpdir` is `<dir>/tmp`, `testdir` `<dir>/tests`.
    pub fn state_dir(self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.tmpdir(dir.join("tmp")).testdir(dir.join("tests"))
    }

    /// The scratch directory: `.testlock` (the setup lock) and per-test tmpdirs.
    /// Jobs that share a `testdir` should share it.
    pub fn tmpdir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tmpdir = Some(dir.into());
        self
    }

    /// The root of the tests' `bindir`s; `<testdir>/<name>/src` is what setup builds.
    pub fn testdir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.testdir = Some(dir.into());
        self
    }

    /// The job's tag (written as `label` in the job keyval).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// How often an iteration failing with `fail_retry` runs again (default 0).
    pub fn test_retry(mut self, retries: u32) -> Self {
        self.test_retry = retries;
        self
    }

    /// Drop the page cache before every iteration (default false).
    pub fn drop_caches_between_iterations(mut self, drop: bool) -> Self {
        self.drop_caches_between_iterations = drop;
        self
    }

    /// Run every iteration profiled instead of one extra profiled iteration (default false).
    pub fn default_profile_only(mut self, profile_only: bool) -> Self {
        self.default_profile_only = profile_only;
        self
    }

    /// Run `cleanup` after each test (default true; `run_cleanup=false` overrides per test).
    pub fn run_test_cleanup(mut self, cleanup: bool) -> Self {
        self.run_test_cleanup = cleanup;
        self
    }

    /// Add `_01_`, `_02_`, ... to every test's tag (autotest's `use_sequence_number`).
    pub fn use_sequence_number(mut self, on: bool) -> Self {
        self.use_sequence_number = on;
        self
    }

    /// A tag part added to every test's tag (autotest's `automatic_test_tag`).
    pub fn automatic_test_tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        self.automatic_test_tag = (!tag.is_empty()).then_some(tag);
        self
    }

    /// How often, at most, `results-chart.json` is rewritten while values arrive (default 1 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Adds a profiler.
    pub fn profiler(mut self, profiler: impl Profiler + 'static) -> Self {
        self.profilers.push(Box::new(profiler));
        self
    }

    /// A hook run when each test starts, before its keyval is written.
    pub fn before_test_hook(mut self, hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static) -> Self {
        self.hooks.before_test.push(Arc::new(hook));
        self
    }

    /// A hook run when each test ends, also after a failure.
    pub fn after_test_hook(mut self, hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static) -> Self {
        self.hooks.after_test.push(Arc::new(hook));
        self
    }

    /// A hook run before every iteration of every test (after the test's own).
    pub fn before_iteration_hook(
        mut self,
        hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static,
    ) -> Self {
        self.hooks.before_iteration.push(Arc::new(hook));
        self
    }

    /// A hook run after every iteration of every test (before the test's own).
    pub fn after_iteration_hook(
        mut self,
        hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static,
    ) -> Self {
        self.hooks.after_iteration.push(Arc::new(hook));
        self
    }

    /// The clock `test_length` is measured with, in seconds (for tests of timed runs).
    pub fn clock(mut self, clock: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// What dropping caches does (default: `sync` and `/proc/sys/vm/drop_caches`).
    pub fn cache_dropper(mut self, dropper: impl Fn() -> io::Result<()> + Send + Sync + 'static) -> Self {
        self.cache_dropper = Some(Arc::new(dropper));
        self
    }

    /// The token that stops running tests (the CLI cancels it on SIGINT).
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Watches the job's progress.
    pub fn observer(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Joins a job another process started: no START/END or job files are written
    /// and status lines nest at `indent`.
    #[cfg(feature = "cli")]
    pub(crate) fn attach(mut self, indent: usize) -> Self {
        self.attach_indent = Some(indent);
        self
    }

    /// Creates the directories, writes the job keyval and the job's START line.
    ///
    /// # Errors
    ///
    /// [`Error::ResultDirExists`] when the result directory holds files,
    /// [`Error::Profiler`] for a profiler that cannot run here, I/O errors.
    pub fn build(self) -> Result<Job> {
        crate::debuglog::install();
        let owns_group = self.attach_indent.is_none();
        let resultdir = self.resultdir;
        if owns_group {
            let occupied = fs::read_dir(&resultdir).is_ok_and(|mut entries| entries.next().is_some());
            if occupied {
                return Err(Error::ResultDirExists { path: resultdir });
            }
        }
        let state_root = || crate::state::default_state_dir().unwrap_or_else(|| resultdir.join(".harness"));
        let tmpdir = self.tmpdir.unwrap_or_else(|| state_root().join("tmp"));
        let testdir = self.testdir.unwrap_or_else(|| state_root().join("tests"));
        for dir in [&resultdir, &tmpdir, &testdir] {
            fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        let mut profilers = ProfilerSet::new();
        for profiler in self.profilers {
            profilers.add_boxed(profiler)?;
        }
        let origin = Instant::now();
        let inner = JobInner {
            logger: StatusLogger::new(resultdir.clone(), self.attach_indent.unwrap_or(0)),
            resultdir,
            tmpdir,
            testdir,
            tag: self.tag,
            test_retry: self.test_retry,
            drop_caches_between_iterations: self.drop_caches_between_iterations,
            default_profile_only: self.default_profile_only,
            run_test_cleanup: self.run_test_cleanup,
            use_sequence_number: self.use_sequence_number,
            automatic_test_tag: self.automatic_test_tag,
            flush_interval: self.flush_interval,
            hooks: self.hooks,
            profilers: Mutex::new(profilers),
            clock: self.clock.unwrap_or_else(|| Arc::new(move || origin.elapsed().as_secs_f64())),
            cache_dropper: self.cache_dropper.unwrap_or_else(|| Arc::new(crate::profiler::drop_caches)),
            warned_drop_caches: AtomicBool::new(false),
            cancel: self.cancel.unwrap_or_default(),
            observer: self.observer,
            owns_group,
            state: Mutex::new(JobState::default()),
            started: chrono::Utc::now(),
        };
        let job = Job { inner: Arc::new(inner) };
        if owns_group {
            let host = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
            let mut keyval: Vec<(&str, String)> = vec![
                ("status_version", "1".to_owned()),
                ("job_started", job.inner.started.timestamp().to_string()),
                ("harness_version", env!("CARGO_PKG_VERSION").to_owned()),
            ];
            if !host.is_empty() && !host.chars().any(char::is_control) {
                keyval.push(("hostname", host));
            }
            if let Ok(user) = std::env::var("USER")
                && !user.chars().any(char::is_control)
            {
                keyval.push(("user", user));
            }
            if let Some(tag) = &job.inner.tag {
                keyval.push(("label", tag.clone()));
            }
            write_keyval(&job.inner.resultdir, keyval, None)?;
            job.record(StatusCode::Start, None, None, "")?;
        }
        Ok(job)
    }
}

/// A typed way to build one run's [`Args`] and run it.
#[derive(Debug)]
#[must_use]
pub struct TestBuilder<'j> {
    job: &'j Job,
    name: String,
    args: Args,
}

impl TestBuilder<'_> {
    /// The tag: the output directory becomes `<name>.<tag>`.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        self.arg("tag", tag.into())
    }

    /// Runs `run_once` `n` times (default 1; 0 runs none).
    pub fn iterations(self, n: u64) -> Self {
        self.arg("iterations", n)
    }

    /// Runs `run_once` until at least `seconds` have passed (wins over `iterations`).
    pub fn test_length(self, seconds: f64) -> Self {
        self.arg("test_length", seconds)
    }

    /// Runs every iteration profiled.
    pub fn profile_only(self, on: bool) -> Self {
        self.arg("profile_only", on)
    }

    /// Adds a perf constraint checked after each iteration.
    pub fn constraint(mut self, constraint: impl Into<String>) -> Self {
        let constraint = Value::String(constraint.into());
        match self.args.get("constraints").cloned() {
            Some(Value::Array(mut list)) => {
                list.push(constraint);
                self.args.set("constraints", list);
            }
            _ => {
                self.args.set("constraints", vec![constraint]);
            }
        }
        self
    }

    /// Ends the test with ERROR "Test timeout expired" after `seconds` (enforced
    /// by the CLI, which runs tests in child processes; cooperative in-process).
    pub fn timeout(self, seconds: f64) -> Self {
        self.arg("timeout", seconds)
    }

    /// Whether `cleanup` runs.
    pub fn run_cleanup(self, on: bool) -> Self {
        self.arg("run_cleanup", on)
    }

    /// Adds an argument.
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.args.set(name, value);
        self
    }

    /// The arguments built so far.
    #[must_use]
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Runs the test.
    ///
    /// # Errors
    ///
    /// As [`Job::run_test`].
    pub fn run(self) -> Result<Status> {
        self.job.run_test(&self.name, self.args)
    }

    /// Runs the test and returns its record.
    ///
    /// # Errors
    ///
    /// As [`Job::run_test`].
    pub fn run_detail(self) -> Result<TestRecord> {
        self.job.run_test_detail(&self.name, self.args)
    }
}
