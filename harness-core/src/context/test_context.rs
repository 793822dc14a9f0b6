//! [`TestContext`] itself: its directories, iteration, hooks, subtests and
//! the job it sees; its keyval and perf-value writers are in `keyvals.rs`.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::job_view::JobView;
use crate::args::Args;
use crate::error::Result;
use crate::failure::{Failure, TestResult};
use crate::phase::Phase;
use crate::results::formats::chart_file::ChartFile;
use crate::results::formats::iteration_keyval::IterationKeyvals;
use crate::results::outputs::record::TestRecord;
use crate::schema::{TestInfo, Version};
use crate::status::Status;

/// A hook run with a test's context: around the test (the job's) or around
/// each iteration (the job's, and those a test registers).
pub(crate) type Hook = Arc<dyn Fn(&mut TestContext) -> TestResult + Send + Sync>;

/// The directories of one test run.
#[derive(Debug, Clone)]
pub(crate) struct TestDirs {
    pub(crate) outputdir: PathBuf,
    pub(crate) resultsdir: PathBuf,
    pub(crate) profdir: PathBuf,
    pub(crate) debugdir: PathBuf,
    pub(crate) bindir: PathBuf,
    pub(crate) srcdir: PathBuf,
    /// Where the test's tmpdir is made, on first use, and its name's suffix.
    pub(crate) tmp_parent: PathBuf,
    pub(crate) tmp_suffix: String,
}

/// Everything a phase can reach while its test runs: directories, the iteration
/// number, the keyval and perf-value writers, iteration hooks and subtests.
///
/// Every phase may take `ctx: &mut TestContext` after `&mut self`.
pub struct TestContext {
    pub(super) job: JobView,
    pub(super) info: &'static TestInfo,
    pub(super) tagged_testname: String,
    pub(super) subdir: String,
    pub(super) dirs: TestDirs,
    pub(crate) iteration: u64,
    /// The phase running now (set by the engine around each call).
    pub(crate) phase: Option<Phase>,
    /// Whether the current iteration is the extra profiled one.
    pub(crate) profiled_run: bool,
    /// The extra profiled iteration's number, once it ran.
    pub(crate) profiled_iteration: Option<u64>,
    /// Whether the current iteration is a warm-up one: what it records is
    /// checked and thrown away.
    pub(crate) warmup: bool,
    /// How many warm-up iterations ran.
    pub(crate) warmup_iterations: u64,
    /// `results/keyval`, with the perf values of its last block.
    pub(crate) iteration_keyvals: IterationKeyvals,
    /// What the current measured iteration recorded, for its
    /// [`Event::IterationFinished`](crate::event::Event::IterationFinished).
    pub(crate) this_iteration: crate::event::IterationValues,
    tmpdir: std::cell::OnceCell<PathBuf>,
    /// `results/` and `profiling/` are made when first used.
    made_resultsdir: std::cell::Cell<bool>,
    made_profdir: std::cell::Cell<bool>,
    /// `results/results-chart.json`, kept in memory.
    pub(crate) chart: ChartFile,
    /// `results/profiled-chart.json`: the extra profiled iteration's values.
    pub(crate) profiled_chart: ChartFile,
    /// What the test keyval holds, as written.
    pub(crate) test_keyvals: std::collections::BTreeMap<String, String>,
    pub(crate) before_hooks: Vec<Hook>,
    pub(crate) after_hooks: Vec<Hook>,
    /// The data-loss warnings already given (see `data_loss`).
    pub(super) warned: std::collections::BTreeSet<String>,
    /// The records of the subtests this test ran, in order: its ending takes them.
    subtests: Vec<TestRecord>,
}

impl fmt::Debug for TestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestContext")
            .field("test", &self.info.name())
            .field("tagged_testname", &self.tagged_testname)
            .field("outputdir", &self.dirs.outputdir)
            .field("iteration", &self.iteration)
            .finish_non_exhaustive()
    }
}

impl TestContext {
    pub(crate) fn new(
        job: JobView,
        flush_interval: Duration,
        info: &'static TestInfo,
        (tagged_testname, subdir): (String, String),
        dirs: TestDirs,
    ) -> Self {
        TestContext {
            iteration_keyvals: IterationKeyvals::new(dirs.resultsdir.join("keyval")),
            job,
            info,
            tagged_testname,
            subdir,
            dirs,
            this_iteration: crate::event::IterationValues::default(),
            iteration: 0,
            phase: None,
            profiled_run: false,
            profiled_iteration: None,
            warmup: false,
            warmup_iterations: 0,
            tmpdir: std::cell::OnceCell::new(),
            made_resultsdir: std::cell::Cell::new(false),
            made_profdir: std::cell::Cell::new(false),
            test_keyvals: std::collections::BTreeMap::new(),
            chart: ChartFile::new(flush_interval),
            profiled_chart: ChartFile::new(flush_interval),
            before_hooks: Vec::new(),
            after_hooks: Vec::new(),
            warned: std::collections::BTreeSet::new(),
            subtests: Vec::new(),
        }
    }

    /// What the test sees of the job running it: its directories, tag,
    /// cancellation and turned-off warnings.
    #[must_use]
    pub fn job(&self) -> &JobView {
        &self.job
    }

    /// The test's static description.
    #[must_use]
    pub fn info(&self) -> &'static TestInfo {
        self.info
    }

    /// Where the data `path` the test declares (`#[autotest(data("tests/data"))]`)
    /// is: in the bundle's data (`$HARNESS_BUNDLE_DATA`) when run from a
    /// bundle (`run --bundle`, `run --remote`), else in the crate's
    /// directory on the machine that built it.
    #[must_use]
    pub fn data(&self, path: &str) -> PathBuf {
        match std::env::var_os("HARNESS_BUNDLE_DATA").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir).join(path),
            None => self.info.data_source(path),
        }
    }

    /// The test's name.
    #[must_use]
    pub fn test_name(&self) -> &'static str {
        self.info.name()
    }

    /// The test's version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.info.version()
    }

    /// `<name>[.<tag>]`: the basename of the output directory.
    #[must_use]
    pub fn tagged_testname(&self) -> &str {
        &self.tagged_testname
    }

    /// The output directory relative to the job's result directory
    /// (`<parent>/<tagged name>` for subtests).
    #[must_use]
    pub fn subdir(&self) -> &str {
        &self.subdir
    }

    /// `<resultdir>/<tagged name>`: keyval, status.log and the folders below.
    #[must_use]
    pub fn outputdir(&self) -> &Path {
        &self.dirs.outputdir
    }

    /// `<outputdir>/results`: iteration keyvals and `results-chart.json`, made
    /// when first used.
    #[must_use]
    pub fn resultsdir(&self) -> &Path {
        made(&self.dirs.resultsdir, &self.made_resultsdir)
    }

    /// `<outputdir>/profiling`: profiler output, made when first used.
    #[must_use]
    pub fn profdir(&self) -> &Path {
        made(&self.dirs.profdir, &self.made_profdir)
    }

    /// `<outputdir>/debug`: the debug log.
    #[must_use]
    pub fn debugdir(&self) -> &Path {
        &self.dirs.debugdir
    }

    /// `<job testdir>/<name>`: where the test's files live between runs.
    #[must_use]
    pub fn bindir(&self) -> &Path {
        &self.dirs.bindir
    }

    /// `<bindir>/src`: what `setup` builds, kept while the version stays the
    /// same. A test whose `setup` takes arguments builds each distinct set in
    /// a srcdir of its own, `<bindir>/src.<hash of the arguments>`.
    #[must_use]
    pub fn srcdir(&self) -> &Path {
        &self.dirs.srcdir
    }

    /// A scratch directory for this run (`<job tmpdir>/tmpXXXXXX_<tagged name>`),
    /// made on first use and removed when the test ends.
    #[must_use]
    pub fn tmpdir(&self) -> &Path {
        self.tmpdir.get_or_init(|| {
            let made =
                tempfile::Builder::new().prefix("tmp").suffix(&self.dirs.tmp_suffix).tempdir_in(&self.dirs.tmp_parent);
            match made {
                Ok(dir) => dir.keep(),
                Err(e) => {
                    // The test sees the I/O error when it uses the path.
                    crate::debuglog::note(&format!(
                        "cannot create a tmpdir in {}: {e}",
                        self.dirs.tmp_parent.display()
                    ));
                    self.dirs.tmp_parent.join(format!("tmp-{}{}", std::process::id(), self.dirs.tmp_suffix))
                }
            }
        })
    }

    /// The tmpdir, if the test made one.
    pub(crate) fn made_tmpdir(&self) -> Option<&Path> {
        self.tmpdir.get().map(PathBuf::as_path)
    }

    /// The current iteration: 1..=N while iterating, N+1 in the profiled run and
    /// in `postprocess` (as in autotest); 0 before the first iteration.
    #[must_use]
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Whether this is the extra profiled iteration that follows the others when
    /// profilers are present (autotest's `run_once_profiling`): its keyvals and
    /// perf values are recorded like any iteration's, so a test may want to
    /// leave them out. False in `profile_only` runs, where every iteration is
    /// profiled and none is extra.
    #[must_use]
    pub fn is_profiled_run(&self) -> bool {
        self.profiled_run
    }

    /// Whether this iteration is a warm-up one (`warmup_iterations`,
    /// `warmup_time`): run before the measured iterations, with their hooks,
    /// and thrown away: keyvals and perf values it records are checked and
    /// not kept, constraints are not checked. [`iteration`](Self::iteration)
    /// is 0 during warm-up.
    #[must_use]
    pub fn is_warmup(&self) -> bool {
        self.warmup
    }

    /// Registers a hook run before every iteration, in registration order.
    pub fn register_before_iteration_hook(
        &mut self,
        hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static,
    ) {
        self.before_hooks.push(Arc::new(hook));
    }

    /// Registers a hook run after every iteration, even a failed one; the last
    /// registered runs first.
    pub fn register_after_iteration_hook(
        &mut self,
        hook: impl Fn(&mut TestContext) -> TestResult + Send + Sync + 'static,
    ) {
        self.after_hooks.push(Arc::new(hook));
    }

    /// Runs another registered test with its output under this test's output
    /// directory (autotest's `runsubtest`); `profile_only` defaults to false.
    ///
    /// # Errors
    ///
    /// As [`Job::run_test`](crate::job::Job::run_test): an unknown test, bad tag,
    /// or existing output directory.
    pub fn runsubtest(&mut self, name: &str, mut args: Args) -> Result<Status> {
        if !args.contains("profile_only") {
            args.set("profile_only", false);
        }
        args.set("master_testpath", self.subdir.clone());
        let record = self.job.run_subtest(name, args)?;
        let status = record.status;
        self.subtests.push(record);
        Ok(status)
    }

    /// The records of the subtests run so far, taken out.
    pub(crate) fn take_subtests(&mut self) -> Vec<TestRecord> {
        std::mem::take(&mut self.subtests)
    }

    /// Whether the job asked this test to stop (interrupt or timeout).
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.job.cancel_token().is_cancelled()
    }

    /// Sleeps for `duration`, returning early with the job's ABORT (interrupt) or
    /// ERROR (timeout) failure when the test is asked to stop.
    ///
    /// # Errors
    ///
    /// The cancellation's failure.
    pub fn sleep(&self, duration: Duration) -> TestResult {
        let token = self.job.cancel_token();
        if token.sleep(duration) {
            Ok(())
        } else {
            Err(token.failure().unwrap_or_else(|| Failure::abort("Interrupted")))
        }
    }
}

/// `dir`, made the first time it is asked for. A failure to make it surfaces
/// when the directory is used.
fn made<'a>(dir: &'a Path, made: &std::cell::Cell<bool>) -> &'a Path {
    if !made.get() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            crate::debuglog::note(&format!("cannot create {}: {e}", dir.display()));
        }
        made.set(true);
    }
    dir
}

/// Formats `args` for the debug log: `a=1, b='x'`.
pub(crate) fn describe_args(args: &Args) -> String {
    let mut out = String::new();
    for (i, (name, value)) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{name}={}", crate::results::formats::pyfmt::value_repr(value));
    }
    out
}
