//! What a job is set to do, as one value: the builder fills it, the job keeps
//! it, and a test's child process receives it to rebuild the same job.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::profiler::ProfilerSpec;

/// The settings of a job that can travel to another process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct JobSettings {
    /// Where results go (absolute).
    pub(crate) resultdir: PathBuf,
    /// The setup lock and per-test scratch directories (absolute).
    pub(crate) tmpdir: PathBuf,
    /// The root of the tests' bindirs (absolute).
    pub(crate) testdir: PathBuf,
    /// The job's tag.
    pub(crate) tag: Option<String>,
    /// How often an iteration failing with `fail_retry` runs again.
    pub(crate) test_retry: u32,
    /// Drop the page cache before every iteration.
    pub(crate) drop_caches_between_iterations: bool,
    /// Profile every iteration instead of one extra.
    pub(crate) default_profile_only: bool,
    /// Run `cleanup` unless a test says otherwise.
    pub(crate) run_test_cleanup: bool,
    /// Add `_01_`, `_02_`, ... to every test's tag.
    pub(crate) use_sequence_number: bool,
    /// A tag part added to every test's tag.
    pub(crate) automatic_test_tag: Option<String>,
    /// How often, at most, `results-chart.json` is rewritten while values arrive.
    pub(crate) flush_interval: Duration,
    /// The profilers a test's child process builds for itself.
    pub(crate) profilers: Vec<ProfilerSpec>,
    /// What `baseline(name)` in a constraint is: per test subdir, the median of
    /// each perf keyval over the baseline's blocks.
    pub(crate) baseline: std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
    /// Where the job's event lines go besides `events.jsonl`.
    #[serde(default)]
    pub(crate) events_copy: Option<crate::results::EventsCopy>,
    /// The shard the job runs (`2/4`) and who said so (`GitLab`), for the job keyval.
    #[serde(default)]
    pub(crate) shard: Option<(String, String)>,
}

impl JobSettings {
    pub(crate) fn new(resultdir: PathBuf) -> Self {
        JobSettings {
            resultdir,
            tmpdir: PathBuf::new(),
            testdir: PathBuf::new(),
            tag: None,
            test_retry: 0,
            drop_caches_between_iterations: false,
            default_profile_only: false,
            run_test_cleanup: true,
            use_sequence_number: false,
            automatic_test_tag: None,
            flush_interval: Duration::from_secs(1),
            profilers: Vec::new(),
            baseline: std::collections::BTreeMap::new(),
            events_copy: None,
            shard: None,
        }
    }
}

/// Where a test's body runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Isolation {
    /// In this process, on the calling thread.
    InProcess,
    /// In a child process of this binary, supervised: a crash is the test's
    /// ERROR, a timeout ends it after `grace`, whatever the test does.
    Process {
        /// How long a timed-out or interrupted test may take to clean up.
        grace: Duration,
        /// The arguments that make the binary run a child (for a libtest binary,
        /// the one `#[test]` to run).
        child_args: Vec<String>,
    },
    /// On devices over SSH, from a bundle of this binary.
    #[cfg(feature = "cli")]
    Remote {
        /// `[user@]host[:port]` of each device.
        devices: Vec<String>,
        /// An ssh config file (`ssh -F`).
        ssh_config: Option<std::path::PathBuf>,
        /// How long to wait for a device to come back when none is ready.
        device_wait: Duration,
        /// The bundle pushed to each device, and its harness binary's path in it.
        bundle: std::path::PathBuf,
        entry: String,
    },
}
