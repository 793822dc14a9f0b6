//! [`JobView`]: what a running test sees of its job. A narrow handle: the
//! job's directories and tag, its cancellation, the kinds of warning it has
//! turned off, its status log, and a way to run subtests; never the job itself.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::args::Args;
use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::event::NoticeKind;
use crate::results::formats::status_entry::StatusCode;
use crate::results::outputs::record::TestRecord;

/// What a test may ask of its job beyond data: run a subtest (autotest's
/// `runsubtest`) and write a status line (`job.record`). The job's engine
/// implements it; the context only holds it, weakly.
pub(crate) trait JobLink: Send + Sync {
    /// Runs `name` with `args` and returns its record.
    fn run_subtest(self: Arc<Self>, name: &str, args: Args) -> Result<TestRecord>;

    /// Writes a status line and tells the job's observers.
    fn record(&self, code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<()>;

    /// Tells the job's observers something a person should know now.
    fn notice(&self, subdir: &str, kind: NoticeKind, text: &str);
}

/// What a test sees of the job running it: `ctx.job()`.
#[derive(Clone)]
pub struct JobView {
    inner: Arc<ViewInner>,
}

struct ViewInner {
    resultdir: PathBuf,
    tmpdir: PathBuf,
    testdir: PathBuf,
    tag: Option<String>,
    cancel: CancelToken,
    disabled_warnings: Mutex<BTreeSet<String>>,
    link: Weak<dyn JobLink>,
}

impl fmt::Debug for JobView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobView")
            .field("resultdir", &self.inner.resultdir)
            .field("tag", &self.inner.tag)
            .finish_non_exhaustive()
    }
}

impl JobView {
    pub(crate) fn new(
        (resultdir, tmpdir, testdir): (PathBuf, PathBuf, PathBuf),
        tag: Option<String>,
        cancel: CancelToken,
        link: Weak<dyn JobLink>,
    ) -> Self {
        let disabled_warnings = Mutex::default();
        let inner = ViewInner { resultdir, tmpdir, testdir, tag, cancel, disabled_warnings, link };
        JobView { inner: Arc::new(inner) }
    }

    /// The job's result directory (absolute).
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

    /// The token that interrupts and timeouts cancel.
    #[must_use]
    pub fn cancel_token(&self) -> &CancelToken {
        &self.inner.cancel
    }

    /// Whether a kind of warning is turned off (autotest's `disable_warnings`;
    /// "NETWORK" while a `network_destabilizing` test runs).
    #[must_use]
    pub fn warnings_disabled(&self, kind: &str) -> bool {
        self.warnings().contains(kind)
    }

    pub(crate) fn disable_warnings(&self, kind: &str) {
        self.warnings().insert(kind.to_owned());
    }

    pub(crate) fn enable_warnings(&self, kind: &str) {
        self.warnings().remove(kind);
    }

    fn warnings(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.inner.disabled_warnings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes a status line in the job's `status.log` (autotest's
    /// `job.record`): `INFO` or a status, with an optional subdir and operation.
    ///
    /// # Errors
    ///
    /// [`Error::StatusLog`] for a subdir or operation with a tab or line
    /// break, I/O errors, [`Error::JobEnded`] once the job is gone.
    pub fn record(&self, code: StatusCode, subdir: Option<&str>, operation: Option<&str>, message: &str) -> Result<()> {
        self.inner.link.upgrade().ok_or(Error::JobEnded)?.record(code, subdir, operation, message)
    }

    /// Tells the job's observers (the console) something about test `subdir`.
    pub(crate) fn notice(&self, subdir: &str, kind: NoticeKind, text: &str) {
        if let Some(link) = self.inner.link.upgrade() {
            link.notice(subdir, kind, text);
        }
    }

    /// Runs a subtest in the job.
    pub(crate) fn run_subtest(&self, name: &str, args: Args) -> Result<TestRecord> {
        self.inner.link.upgrade().ok_or(Error::JobEnded)?.run_subtest(name, args)
    }
}
