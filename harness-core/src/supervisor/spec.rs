//! What a parent tells the child it starts for one test ([`ChildSpec`]), what
//! the child reports back ([`ChildResult`]), the messages between them, and
//! the private directory each child gets ([`ChildDir`], in its job's
//! [`ChildRoot`]).

use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::names::Naming;
use crate::plan::WirePlan;
use crate::results::formats::iteration_keyval::BlockKind;
use crate::results::formats::rollup::Line;
use crate::results::outputs::record::Ending;
use crate::settings::JobSettings;

/// The environment variable that makes a harness process a test's child: it
/// names the child's private directory.
pub(crate) const CHILD_DIR_ENV: &str = "HARNESS_CHILD_DIR";

/// Everything a child needs to run one test's body.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildSpec {
    /// A number only this child was told; its result must carry it.
    pub(crate) nonce: String,
    /// The supervising process, as this child sees it.
    pub(crate) parent: i32,
    /// The run, planned and checked by the parent.
    pub(crate) planned: WirePlan,
    pub(crate) naming: Naming,
    pub(crate) outputdir: PathBuf,
    pub(crate) settings: JobSettings,
    /// The nesting of the test's status lines.
    pub(crate) indent: usize,
    /// The cgroup to join before anything else, or why there is none.
    pub(crate) holding: super::cgroup::Holding,
}

/// What a child reports: how its test ended (with the subtests it ran), the
/// status lines it wrote inside its test's group (for the parent's roll-up)
/// and what wrote each keyval block.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ChildResult {
    /// The nonce of the spec it answers.
    pub(crate) nonce: String,
    pub(crate) ending: Ending,
    #[serde(default)]
    pub(crate) lines: Vec<Line>,
    #[serde(default)]
    pub(crate) kinds: Vec<(BlockKind, u64)>,
}

impl ChildResult {
    /// A child that did not report: `ending`, nothing else.
    pub(crate) fn failed(nonce: &str, ending: Ending) -> Self {
        ChildResult { nonce: nonce.to_owned(), ending, lines: Vec::new(), kinds: Vec::new() }
    }
}

/// From a child to its parent, one JSON line each on their channel.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ChildMessage {
    /// An iteration of the test ended.
    Iteration {
        /// The test's output directory.
        subdir: String,
        /// Its number.
        iteration: u64,
        /// The planned count, if any.
        planned: Option<u64>,
        /// The planned test length, for a timed run.
        test_length: Option<f64>,
        /// Milliseconds since the first iteration started, in a timed run.
        elapsed_ms: Option<u64>,
        /// What it recorded.
        values: crate::event::IterationValues,
    },
    /// A line the child wrote to `events.jsonl`, for the parent's copy on its stdout.
    EventLine(String),
    /// Something a person should know now ([`Event::Notice`](crate::event::Event::Notice)).
    Notice {
        /// The test's output directory.
        subdir: String,
        /// What it is about.
        kind: crate::event::NoticeKind,
        /// What happened.
        text: String,
    },
}

/// From a parent to its child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ParentMessage {
    /// The job was interrupted: end with ABORT and this reason.
    Interrupt(String),
    /// The test ran past its `timeout`: end with ERROR "Test timeout expired".
    Timeout,
}

/// This job's directory of child directories, `<tmpdir>/children/run-*`: made
/// under a hidden name, locked for as long as the job lives, then renamed into
/// view, so that another run cleaning stale directories never sees it
/// unlocked. Removed when dropped; one left by a killed run is found by its
/// free lock and removed by the next run.
#[derive(Debug)]
pub(crate) struct ChildRoot {
    dir: PathBuf,
    _lock: File,
    next: AtomicU64,
}

const LOCK: &str = "lock";

impl ChildRoot {
    /// A new, locked directory under `root` (`<tmpdir>/children`), after
    /// removing the stale ones of dead runs.
    pub(crate) fn create(root: &Path) -> Result<ChildRoot> {
        fs::create_dir_all(root).map_err(|e| Error::io("create", root, e))?;
        clean_stale(root);
        let hidden =
            tempfile::Builder::new().prefix(".new-").tempdir_in(root).map_err(|e| Error::io("create", root, e))?;
        let lock_path = hidden.path().join(LOCK);
        let lock = File::create(&lock_path).map_err(|e| Error::io("create", &lock_path, e))?;
        lock.try_lock().map_err(|e| Error::io("lock", &lock_path, std::io::Error::other(e.to_string())))?;
        let name =
            hidden.path().file_name().map(|n| n.to_string_lossy().replacen(".new-", "run-", 1)).unwrap_or_default();
        let dir = root.join(name);
        fs::rename(hidden.path(), &dir).map_err(|e| Error::io("rename", hidden.path(), e))?;
        // The directory is ours to remove from here on, under its new name.
        let _ = hidden.keep();
        Ok(ChildRoot { dir, _lock: lock, next: AtomicU64::new(0) })
    }

    /// A fresh directory for one child: an exclusive `mkdir`, mode `0700`.
    pub(crate) fn child(&self) -> Result<ChildDir> {
        let dir = self.dir.join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        fs::DirBuilder::new().mode(0o700).create(&dir).map_err(|e| Error::io("create", &dir, e))?;
        Ok(ChildDir { dir })
    }
}

impl Drop for ChildRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One child's private directory, holding its spec and its result. Removed
/// when dropped.
#[derive(Debug)]
pub(crate) struct ChildDir {
    dir: PathBuf,
}

impl ChildDir {
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn spec(&self) -> PathBuf {
        spec_path(&self.dir)
    }

    pub(crate) fn result(&self) -> PathBuf {
        result_path(&self.dir)
    }
}

impl Drop for ChildDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn spec_path(dir: &Path) -> PathBuf {
    dir.join("spec.json")
}

pub(crate) fn result_path(dir: &Path) -> PathBuf {
    dir.join("result.json")
}

/// Writes `bytes` to a new file at `path` in a child's directory, which
/// nobody else writes to: no temporary file and rename needed. A reader that
/// finds it cut short (the writer died) cannot parse it, and believes nothing.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = File::options().write(true).create_new(true).open(path).and_then(|mut f| f.write_all(bytes));
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Removes the run directories under `root` whose job is gone: their lock is
/// free. A live job holds its lock, in this pid namespace or another.
fn clean_stale(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_name().to_string_lossy().starts_with("run-") {
            continue;
        }
        let Ok(lock) = File::open(path.join(LOCK)) else { continue };
        if lock.try_lock().is_ok() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// A random number, in hex, no other child shares.
pub(crate) fn nonce() -> String {
    let mut bytes = [0u8; 16];
    let random = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        // Unlikely; time and place still make it unique to this run.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes[..8].copy_from_slice(&now.as_nanos().to_le_bytes()[..8]);
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The largest result a parent reads from its child: a result past it is not
/// believed, so a test cannot make its parent read without bound.
pub(crate) const MAX_RESULT: u64 = 64 << 20;

/// The child's result, if there is one that answers this spec (and is at most
/// [`MAX_RESULT`] bytes).
pub(crate) fn read_result(path: &Path, nonce: &str) -> Option<ChildResult> {
    let mut bytes = Vec::new();
    File::open(path).ok()?.take(MAX_RESULT + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MAX_RESULT {
        return None;
    }
    let result: ChildResult = serde_json::from_slice(&bytes).ok()?;
    (result.nonce == nonce).then_some(result)
}
