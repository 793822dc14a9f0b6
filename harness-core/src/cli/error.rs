//! What can be wrong on the command line, in a control file or a result
//! directory: [`CliError`], and a [`Problem`] of a control file's entry.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::args::ArgError;
use crate::error::Error;

/// The largest control file read, in bytes.
pub(crate) const MAX_CONTROL_BYTES: u64 = 16 << 20;

/// One thing the command line refuses before anything runs, or a command
/// that could not do its work.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The control file cannot be opened or read.
    #[error("cannot read control file `{}`: {source}", path.display())]
    ReadControl { path: PathBuf, source: io::Error },
    /// The control file is over [`MAX_CONTROL_BYTES`].
    #[error("control file `{}` is {size} bytes; control files are limited to {MAX_CONTROL_BYTES} bytes", path.display())]
    ControlTooBig { path: PathBuf, size: String },
    /// The control file is not UTF-8.
    #[error("cannot read control file `{}`: stream did not contain valid UTF-8", path.display())]
    ControlNotUtf8 { path: PathBuf },
    /// The control file is a JSON array (a list of tests without the object around it).
    #[error(
        "invalid control file `{}`: its top level is an array; a control file is an object whose `tests` holds the list: {{\"tests\": [...]}}",
        path.display()
    )]
    ControlIsArray { path: PathBuf },
    /// The control file is not a valid control file (with the line and column).
    #[error("invalid control file `{}`: {source}", path.display())]
    InvalidControl { path: PathBuf, source: serde_json::Error },
    /// The control file lists no tests.
    #[error("the control file runs no tests")]
    NoTests,
    /// `run` with neither a test nor a control file.
    #[error(
        "nothing to run: name a test (`run sleeptest`; `list` shows them) or a control file (`run --control FILE`)"
    )]
    NothingToRun,
    /// `--select` does not parse.
    #[error("{source}")]
    Select { source: crate::select::SelectError },
    /// A glob on the command line matches no test.
    #[error("no test matches `{pattern}` (`list` shows them)")]
    NoMatch { pattern: String },
    /// `--select` leaves nothing to run.
    #[error("--select `{expr}` selects none of the tests")]
    NoneSelected { expr: String },
    /// `--arg` without `=`.
    #[error("invalid --arg `{}`: expected NAME=VALUE", crate::text::shown(text))]
    ArgWithoutValue { text: String },
    /// `--arg =value`.
    #[error("invalid --arg `{}`: the name is empty", crate::text::shown(text))]
    ArgWithoutName { text: String },
    /// `--arg` given twice for one name.
    #[error("--arg `{}` is given twice", crate::text::shown(name))]
    ArgTwice { name: String },
    /// A number of seconds that is not finite.
    #[error("{option} must be a finite number of seconds, got {seconds}")]
    SecondsNotFinite { option: &'static str, seconds: f64 },
    /// A number of seconds below what the option allows.
    #[error("{option} must be a {expected} number of seconds, got {seconds}")]
    SecondsOutOfRange { option: &'static str, expected: &'static str, seconds: f64 },
    /// A test entry has `tag` beside `args` and inside it.
    #[error("`tag` is given twice, beside `args` and inside it")]
    TagTwice,
    /// Two entries write to one output directory.
    #[error("writes to the same output directory as tests[{first}]; give one of them another `tag`")]
    SameOutputDir { first: usize },
    /// An `--export` that is not FORMAT=PATH of a known format.
    #[error("{0}")]
    Export(String),
    /// `--remote` that cannot start.
    #[error("{0}")]
    Remote(String),
    /// A shard that cannot be taken: a bad `--shard`, a shard file, scheduler variables.
    #[error("{0}")]
    Shard(String),
    /// A directory the command must make.
    #[error("cannot create `{}`: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    /// An argument refused by the test's tables.
    #[error(transparent)]
    Arg(#[from] ArgError),
    /// What the library refused (an unknown test, a name, a profiler, a directory).
    #[error(transparent)]
    Harness(#[from] Error),
}

/// A problem of a control file, with its place: `tests[2] (sleeptest): ...`,
/// `job: ...`, or nothing for `run TEST`.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) place: String,
    pub(crate) error: CliError,
}

impl Problem {
    pub(crate) fn at(place: impl Into<String>, error: impl Into<CliError>) -> Self {
        Problem { place: place.into(), error: error.into() }
    }
}

impl From<CliError> for Problem {
    fn from(error: CliError) -> Self {
        Problem { place: String::new(), error }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.place, self.error)
    }
}
