//! [`JobBuilder`]: the settings of a job, then [`JobBuilder::build`] claims its
//! result directory and writes the job's START.

use std::fmt;
use std::fs;
use std::io;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::files::JobFiles;
use super::handle::{Job, JobInner};
use crate::cancel::CancelToken;
use crate::context::TestContext;
use crate::engine::{CacheDropper, Clock, CoreParts, Isolate, JobCore, JobHooks};
use crate::error::{Error, Result};
use crate::event::{Event, Observer};
use crate::failure::TestResult;
use crate::files::{absolute, private_dir};
use crate::profiler::{Profiler, ProfilerSet};
use crate::results::formats::keyval::format_keyval;
use crate::results::formats::status_entry::StatusCode;
use crate::results::formats::status_log::StatusLogWriter;
use crate::results::outputs::events::EventLog;
use crate::settings::{Isolation, JobSettings};

/// Builds a [`Job`].
///
/// Defaults: `tmpdir` and `testdir` are `tmp` and `tests` in the binary's state
/// directory (`$HARNESS_STATE_DIR`, else `~/.cache/harness/<binary>`), so every
/// run of a binary shares its builds and their lock and nothing is written
/// beside the result directory; no retries; caches are not dropped;
/// `profile_only` off; cleanup on; perf values flushed at most every second.
#[must_use]
pub struct JobBuilder {
    settings: JobSettings,
    tmpdir: Option<PathBuf>,
    testdir: Option<PathBuf>,
    /// The directory holding both, when one is named or used by default.
    state_root: Option<PathBuf>,
    hooks: JobHooks,
    profilers: Vec<Box<dyn Profiler>>,
    clock: Option<Clock>,
    cache_dropper: Option<CacheDropper>,
    cancel: Option<CancelToken>,
    observers: Vec<Arc<dyn Observer>>,
    attach_indent: Option<usize>,
    isolation: Isolation,
    /// How a child sends its event lines to its parent.
    forward: Option<crate::results::outputs::events::Forward>,
}

impl fmt::Debug for JobBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobBuilder").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Job {
    /// A builder for a job writing into `resultdir`.
    pub fn builder(resultdir: impl Into<PathBuf>) -> JobBuilder {
        JobBuilder::new(resultdir.into())
    }
}

impl JobBuilder {
    pub(crate) fn new(resultdir: PathBuf) -> Self {
        JobBuilder {
            settings: JobSettings::new(resultdir),
            tmpdir: None,
            testdir: None,
            state_root: None,
            hooks: JobHooks::default(),
            profilers: Vec::new(),
            clock: None,
            cache_dropper: None,
            cancel: None,
            observers: Vec::new(),
            attach_indent: None,
            isolation: Isolation::InProcess,
            forward: None,
        }
    }

    /// A builder for the job a child process runs its test in: the parent's
    /// settings, nesting its status lines at `indent` and writing no START,
    /// END or job files of its own.
    pub(crate) fn attached(settings: JobSettings, indent: usize) -> Self {
        let mut builder = JobBuilder::new(PathBuf::new());
        builder.tmpdir = Some(settings.tmpdir.clone());
        builder.testdir = Some(settings.testdir.clone());
        builder.settings = settings;
        builder.attach_indent = Some(indent);
        builder
    }

    /// Both state directories at once: `tmpdir` is `<dir>/tmp`, `testdir` `<dir>/tests`.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.state_root = Some(dir.clone());
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
        self.settings.tag = Some(tag.into());
        self
    }

    /// How often an iteration failing with `fail_retry` runs again (default 0).
    pub fn test_retry(mut self, retries: u32) -> Self {
        self.settings.test_retry = retries;
        self
    }

    /// Drop the page cache before every iteration (default false).
    pub fn drop_caches_between_iterations(mut self, drop: bool) -> Self {
        self.settings.drop_caches_between_iterations = drop;
        self
    }

    /// Run every iteration profiled instead of one extra profiled iteration (default false).
    pub fn default_profile_only(mut self, profile_only: bool) -> Self {
        self.settings.default_profile_only = profile_only;
        self
    }

    /// Run `cleanup` after each test (default true; `run_cleanup=false` overrides per test).
    pub fn run_test_cleanup(mut self, cleanup: bool) -> Self {
        self.settings.run_test_cleanup = cleanup;
        self
    }

    /// Add `_01_`, `_02_`, ... to every test's tag (autotest's `use_sequence_number`).
    pub fn use_sequence_number(mut self, on: bool) -> Self {
        self.settings.use_sequence_number = on;
        self
    }

    /// A tag part added to every test's tag (autotest's `automatic_test_tag`).
    pub fn automatic_test_tag(mut self, tag: impl Into<String>) -> Self {
        let tag = tag.into();
        self.settings.automatic_test_tag = (!tag.is_empty()).then_some(tag);
        self
    }

    /// How often, at most, `results-chart.json` is rewritten while values arrive (default 1 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.settings.flush_interval = interval;
        self
    }

    /// Adds a profiler.
    pub fn profiler(mut self, profiler: impl Profiler + 'static) -> Self {
        self.profilers.push(Box::new(profiler));
        self
    }

    /// Adds a profiler that a test's child process builds from its description.
    #[cfg(feature = "cli")]
    pub(crate) fn profiler_spec(mut self, spec: crate::profiler::ProfilerSpec) -> Self {
        self.settings.profilers.push(spec);
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

    /// The run that `baseline(metric)` in a constraint refers to: for each
    /// test (by output directory), the median of each perf keyval over the
    /// baseline's keyval blocks. Without it, such a constraint cannot be
    /// evaluated, and says so.
    pub fn baseline(mut self, results: &crate::results::JobResults) -> Self {
        self.settings.baseline = crate::results::outputs::job_files::baseline_medians(results);
        self
    }
    /// Writes the job's event lines to `copy` too, besides its result
    /// directory's `events.jsonl`: stdout (`--events -`) or another file,
    /// which any number of jobs may share (`HARNESS_EVENTS`).
    pub fn events_copy(mut self, copy: crate::results::EventsCopy) -> Self {
        self.settings.events_copy = Some(copy);
        self
    }

    /// Records that the job runs shard `shard` of a suite: `shard=K/N` and
    /// `shard_source` in the job keyval, which `report --merge` checks for
    /// completeness.
    pub fn shard(mut self, shard: &crate::shard::Shard) -> Self {
        self.settings.shard = Some((shard.to_string(), shard.source().to_owned()));
        self
    }

    /// How a child process sends its event lines to its parent's copy on stdout.
    pub(crate) fn forward_events(mut self, forward: crate::results::outputs::events::Forward) -> Self {
        self.forward = Some(forward);
        self
    }

    /// Adds an observer: told every [`Event`](crate::event::Event) of the job.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Runs each test's body in a child process of this binary.
    pub(crate) fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// Creates the directories, writes the job keyval and the job's START line.
    ///
    /// The result directory is claimed exclusively: it is created if missing
    /// (with its parents), and the job keyval is created with `O_EXCL`, so of two
    /// jobs started on one directory at once, one fails and writes nothing. The
    /// state directories must be private to this user.
    ///
    /// # Errors
    ///
    /// [`Error::ResultDirExists`] when the result directory holds files,
    /// [`Error::UnsafeDir`] for a state directory others could plant links in,
    /// [`Error::Profiler`] for a profiler that cannot run here, I/O errors.
    pub fn build(self) -> Result<Job> {
        crate::debuglog::install();
        let owns_group = self.attach_indent.is_none();
        let mut settings = self.settings;
        if self.isolation != Isolation::InProcess && !self.hooks.is_empty() {
            return Err(Error::Profiler {
                name: "hooks".to_owned(),
                reason: "job hooks run with the test's context, so a job with hooks runs its tests in this process"
                    .to_owned(),
            });
        }
        let mut profilers = ProfilerSet::new();
        for profiler in self.profilers {
            profilers.add_boxed(profiler)?;
        }
        for spec in &settings.profilers {
            spec.build()?;
        }
        let started = chrono::Utc::now();
        let sysinfo = owns_group.then(|| {
            crate::results::sysinfo::collect(crate::registry::crates().iter().copied())
                .into_iter()
                .filter(|(_, v)| !v.chars().any(char::is_control))
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<std::collections::BTreeMap<String, String>>()
        });
        // The result directory first: a run refused there leaves nothing behind.
        let claimed = match &sysinfo {
            Some(sysinfo) => Some(claim(&settings.resultdir, &job_keyval(&settings, started, sysinfo))?),
            None => None,
        };
        let defaults_used = self.tmpdir.is_none() || self.testdir.is_none();
        let default_root = if defaults_used { crate::state::default_state_dir() } else { None };
        let root = self.state_root.clone().or_else(|| default_root.clone());
        let state = |leaf: &str| match &default_root {
            Some(root) => root.join(leaf),
            None => settings.resultdir.join(".harness").join(leaf),
        };
        let tmpdir = absolute(&self.tmpdir.unwrap_or_else(|| state("tmp")));
        let testdir = absolute(&self.testdir.unwrap_or_else(|| state("tests")));
        let dirs = root
            .iter()
            .map(|r| (r, "state directory"))
            .chain([(&tmpdir, "scratch directory"), (&testdir, "directory of test builds")]);
        for (dir, what) in dirs {
            if let Err(e) = private_dir(dir, what) {
                if let Some(claimed) = claimed {
                    claimed.undo(&settings.resultdir);
                }
                return Err(e);
            }
        }
        if owns_group {
            settings.resultdir = absolute(&settings.resultdir);
            if let Err(e) = crate::results::outputs::exit_status::write_started(&settings.resultdir)
                .and_then(|()| crate::results::sysinfo::write_dir(&settings.resultdir))
            {
                if let Some(claimed) = claimed {
                    claimed.undo(&settings.resultdir);
                }
                return Err(e);
            }
        }
        let events = match EventLog::open(&settings.resultdir, settings.events_copy.as_ref(), self.forward) {
            Ok(events) => events,
            Err(e) => {
                if let Some(claimed) = claimed {
                    claimed.undo(&settings.resultdir);
                }
                return Err(e);
            }
        };
        settings.tmpdir = tmpdir;
        settings.testdir = testdir;
        let origin = Instant::now();
        let files = owns_group.then(|| Arc::new(JobFiles::default()));
        let mut observers: Vec<Arc<dyn Observer>> = Vec::new();
        if let Some(files) = &files {
            observers.push(files.clone());
        }
        observers.extend(self.observers);
        let isolation: Option<Box<dyn Isolate>> = match self.isolation {
            Isolation::InProcess => None,
            Isolation::Process { grace, child_args } => {
                Some(Box::new(crate::supervisor::ProcessIsolation::new(grace, child_args)))
            }
            #[cfg(feature = "cli")]
            Isolation::Remote { devices, ssh_config, device_wait, bundle, entry } => Some(Box::new(
                crate::supervisor::RemoteIsolation::new(&devices, ssh_config, device_wait, bundle, entry)
                    .map_err(|e| Error::io("create", std::env::temp_dir(), e))?,
            )),
        };
        let core = JobCore::new(CoreParts {
            logger: StatusLogWriter::new(settings.resultdir.clone(), self.attach_indent.unwrap_or(0)),
            settings,
            hooks: self.hooks,
            profilers,
            clock: self.clock.unwrap_or_else(|| Arc::new(move || origin.elapsed().as_secs_f64())),
            cache_dropper: self.cache_dropper.unwrap_or_else(|| Arc::new(crate::caches::drop_caches)),
            cancel: self.cancel.unwrap_or_default(),
            observers,
            events,
        });
        if let Some(sysinfo) = &sysinfo {
            let (resultdir, tag) = (&core.settings.resultdir, core.settings.tag.as_deref());
            core.emit(&Event::JobStarted { resultdir, tag, sysinfo });
        }
        let inner = JobInner::new(core, isolation, files, owns_group, started);
        let job = Job { inner: Arc::new(inner) };
        if sysinfo.is_some() {
            job.record(StatusCode::Start, None, None, "")?;
        }
        Ok(job)
    }
}

/// The job keyval: `status_version=1`, start, hostname, user, harness version, label.
fn job_keyval(
    settings: &JobSettings,
    started: chrono::DateTime<chrono::Utc>,
    sysinfo: &std::collections::BTreeMap<String, String>,
) -> String {
    let host = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    let mut keyval: Vec<(&str, String)> = vec![
        ("status_version", "1".to_owned()),
        ("job_started", started.timestamp().to_string()),
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
    if let Some(tag) = &settings.tag {
        keyval.push(("label", tag.clone()));
    }
    if let Some((shard, source)) = &settings.shard {
        keyval.push(("shard", shard.clone()));
        keyval.push(("shard_source", source.clone()));
    }
    let sysinfo: Vec<(String, String)> = sysinfo.iter().map(|(k, v)| (format!("sysinfo-{k}"), v.clone())).collect();
    keyval.extend(sysinfo.iter().map(|(k, v)| (k.as_str(), v.clone())));
    format_keyval(keyval).unwrap_or_default()
}

/// A result directory this job claimed.
#[derive(Debug, Clone, Copy)]
struct Claimed {
    made_dir: bool,
}

impl Claimed {
    /// Gives the directory back as it was (for a job that then fails to start).
    fn undo(self, dir: &Path) {
        let _ = fs::remove_file(dir.join("keyval"));
        let _ = fs::remove_file(dir.join(crate::results::outputs::exit_status::EXIT_STATUS_FILE));
        let _ = fs::remove_dir_all(dir.join("sysinfo"));
        let _ = fs::remove_file(dir.join(crate::results::EVENTS_FILE));
        if self.made_dir {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Makes `dir` this job's: created if missing, refused if it holds files, and
/// claimed by creating its keyval with `O_EXCL`, the one step two racing jobs
/// cannot both take.
fn claim(dir: &Path, keyval: &str) -> Result<Claimed> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    let made_dir = match fs::create_dir(dir) {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && !dir.is_dir() => return Err(Error::io("create", dir, e)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let occupied = fs::read_dir(dir).map_err(|e| Error::io("create", dir, e))?.next().is_some();
            if occupied {
                return Err(Error::ResultDirExists { path: dir.to_owned() });
            }
            false
        }
        Err(e) => return Err(Error::io("create", dir, e)),
    };
    let path = dir.join("keyval");
    let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(Error::ResultDirExists { path: dir.to_owned() });
        }
        Err(e) => return Err(Error::io("create", &path, e)),
    };
    let claimed = Claimed { made_dir };
    if let Err(e) = file.write_all(keyval.as_bytes()) {
        // A full disk: nothing of this run stays, so the same directory can be used again.
        drop(file);
        claimed.undo(dir);
        return Err(Error::io("write", &path, e));
    }
    Ok(claimed)
}
