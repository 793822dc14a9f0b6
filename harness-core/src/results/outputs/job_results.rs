//! [`JobResults`]: the whole of `results.json`, and how it is read.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::results::outputs::record::TestRecord;
use crate::status::Status;

/// The version of the `results.json` layout; bumped on incompatible changes.
pub const RESULTS_SCHEMA_VERSION: u32 = 1;

/// The whole `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobResults {
    /// [`RESULTS_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The harness version that wrote the file.
    pub harness_version: String,
    /// The job.
    pub job: JobInfo,
    /// Every test run, in order.
    pub tests: Vec<TestRecord>,
}

/// The job part of `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// The job's tag, if any.
    pub tag: Option<String>,
    /// GOOD, or ABORT when interrupted.
    pub status: Status,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// How many tests ended with each status.
    pub counts: std::collections::BTreeMap<String, usize>,
    /// The machine and build the job ran on (`sysinfo-*` of the job keyval,
    /// without the prefix; see docs/file-formats.md).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sysinfo: std::collections::BTreeMap<String, String>,
    /// What made the job's numbers noisy, as the job said before its first
    /// measuring test (a debug build, the CPU governor, turbo, the load).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub noise: Vec<String>,
}

impl JobResults {
    /// Reads a `results.json`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] or [`Error::Json`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_owned(), source })
    }
}
