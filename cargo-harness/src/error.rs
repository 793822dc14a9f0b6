//! What the results tools refuse: [`CliError`].

use std::path::PathBuf;

use harness_core::Error;

/// A command that cannot do its work as asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// `report --merge --shards N` with another number of shards.
    #[error("--shards {expected}: {got} shard director{} given; a shard is missing or one too many", if *got == 1 { "y" } else { "ies" })]
    ShardCount { expected: usize, got: usize },
    /// `report` of several directories without `--merge`.
    #[error("{0}")]
    ReportUsage(&'static str),
    /// `--expect` given something that is not nextest's list.
    #[error("cannot read the expected tests in `{}`: {reason}", path.display())]
    Expect { path: PathBuf, reason: String },
    /// `--alpha` or `--noise` out of range.
    #[error("{option} must be {expected}, got {value}")]
    Knob { option: &'static str, value: f64, expected: &'static str },
    /// `report --merge`: a shard's test directory that is not a plain path inside its job.
    #[error("refusing the test directory `{subdir}` of {}: {reason}", job.display())]
    UnsafeTestDir { subdir: String, job: PathBuf, reason: String },
    /// `--into` holds files already.
    #[error("`{}` already exists and is not empty; a merge writes a new job, never over another", path.display())]
    IntoNotEmpty { path: PathBuf },
    /// A file or directory that cannot be read or written.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// `--test` given a pattern that is not a glob.
    #[error("--test: {0}")]
    Select(String),
    /// The history store said no.
    #[error(transparent)]
    Store(#[from] crate::history::store::StoreError),
    /// `confirm` could not run a build.
    #[error("{0}")]
    Confirm(String),
    /// What the library refused or could not do (reading, writing, a directory that holds no run).
    #[error(transparent)]
    Harness(#[from] Error),
}

impl CliError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io { action, path: path.into(), source }
    }
}
