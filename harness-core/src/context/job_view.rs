//! [`JobView`]: what a running test sees of its job. A narrow handle: the
//! job's directories and tag, its cancellation, the kinds of warning it has
//! turned off, and a way to run subtests; never the job itself.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::args::Args;
use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::status::Status;

/// Runs a registered test by name inside the job (autotest's `runsubtest`).
/// The job's engine implements it; the context only holds it.
pub(crate) trait SubtestRunner: Send + Sync {
    /// Runs `name` with `args` and returns how it ended.
    fn run_subtest(self: Arc<Self>, name: &str, args: Args) -> Result<Status>;
}

/// What a test sees of the job running it: `ctx.job()`.
#[derive(Clone)]
pub struct JobView {
    inner: Arc<ViewInner>,
}

struct ViewInner {
    resultdir: PathBuf,
    tmpdir: PathBuf,
    tag: Option<String>,
    cancel: CancelToken,
    disabled_warnings: Mutex<BTreeSet<String>>,
    subtests: Weak<dyn SubtestRunner>,
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
        (resultdir, tmpdir): (PathBuf, PathBuf),
        tag: Option<String>,
        cancel: CancelToken,
        subtests: Weak<dyn SubtestRunner>,
    ) -> Self {
        let inner = ViewInner { resultdir, tmpdir, tag, cancel, disabled_warnings: Mutex::default(), subtests };
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

    /// Runs a subtest in the job.
    pub(crate) fn run_subtest(&self, name: &str, args: Args) -> Result<Status> {
        let runner = self.inner.subtests.upgrade().ok_or(Error::JobEnded)?;
        runner.run_subtest(name, args)
    }
}
