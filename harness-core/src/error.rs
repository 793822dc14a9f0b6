//! [`Error`]: trouble in the harness itself, as opposed to a test's [`Failure`](crate::failure::Failure).

use std::io;
use std::path::PathBuf;

use crate::args::ArgErrors;
use crate::constraint::ConstraintError;
use crate::text::shown;

/// A `Result` whose error is the harness [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something went wrong in the harness: result files, invalid keys or perf values,
/// unknown tests, bad arguments, existing output directories.
///
/// Messages that autotest's files and logs carry are kept verbatim (`Invalid key: x`,
/// `The description must be at most 256 characters.`); the rest name the culprit
/// and say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file or directory failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done: "create", "write", "read", ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A test (a subtest of a subtest of ...) that would nest deeper than 32
    /// levels.
    #[error(
        "`{test}` would run {depth} levels deep: harness runs tests at most 32 levels deep (a test, its subtests, theirs, ...)"
    )]
    TooDeep {
        /// The test asked for.
        test: String,
        /// The level it would run at (1 for a test of the job).
        depth: usize,
    },
    /// A keyval key does not match autotest's key pattern (`[-.\w]+`, plus the
    /// `{attr}`/`{perf}` suffix for iteration keyvals).
    #[error("Invalid key: {}", shown(key))]
    InvalidKey {
        /// The offending key, as given.
        key: String,
    },
    /// A keyval value cannot be written as one `key=value` line.
    #[error("invalid value for key `{key}`: {reason}")]
    InvalidValue {
        /// The key whose value was refused.
        key: String,
        /// Why.
        reason: String,
    },
    /// A keyval file holds a line that is not `key=value`.
    #[error("Invalid format line: {line}")]
    InvalidFormatLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line_number: usize,
        /// The line, without its newline.
        line: String,
    },
    /// `output_perf_value` refused its input (autotest's messages).
    #[error("{message}")]
    PerfValue {
        /// The description as given.
        description: String,
        /// What is wrong, in autotest's words where it has them.
        message: String,
    },
    /// A test name, tag or directory component would be unsafe as a path.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        /// "tag", "test name", "subdir_tag", ...
        what: &'static str,
        /// The offending value (escaped for display).
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The test's output directory exists already (autotest's message).
    #[error("{subdir} already exists; multiple tests cannot run with the same subdirectory")]
    OutputDirExists {
        /// The subdirectory of the job's result directory.
        subdir: String,
    },
    /// The job's result directory exists and holds files.
    #[error("results directory `{}` already exists and is not empty; choose another one, results are never written over an earlier run", path.display())]
    ResultDirExists {
        /// The result directory.
        path: PathBuf,
    },
    /// A directory that holds no run.
    #[error("`{}` is not a result directory: it holds neither results.json nor status.log", path.display())]
    NotResults {
        /// The directory.
        path: PathBuf,
    },
    /// A run to compare with that is neither a results directory, a
    /// `results.json` nor a kept baseline.
    #[error("`{what}` is neither a results directory, a results.json nor a baseline in results/baselines/")]
    NoSuchRun {
        /// What was given.
        what: String,
    },
    /// No registered test has this name.
    #[error("unknown test `{name}`{}", suggest(suggestions))]
    UnknownTest {
        /// The name asked for.
        name: String,
        /// Registered names close to it.
        suggestions: Vec<String>,
    },
    /// Arguments that do not fit the test's parameter tables.
    #[error(transparent)]
    Args(#[from] ArgErrors),
    /// A constraint that does not parse.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
    /// A profiler could not be added, started, stopped or asked for its report.
    #[error("profiler `{name}`: {reason}")]
    Profiler {
        /// The profiler's name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// A status-log entry that cannot be written or parsed.
    #[error("invalid status log entry: {0}")]
    StatusLog(String),
    /// A JSON file that does not parse.
    #[error("invalid JSON in `{}`: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Two tests were registered under one name.
    #[error(
        "test name `{name}` is registered twice: at {first} and at {second}; rename one of them with #[autotest(name = \"...\")]"
    )]
    DuplicateTest {
        /// The name.
        name: String,
        /// Where the first one is defined.
        first: String,
        /// Where the second one is defined.
        second: String,
    },
    /// A directory harness keeps state in is not private to this user.
    #[error("refusing the {what} `{}`: {reason}", path.display())]
    UnsafeDir {
        /// Which directory: "state directory", ...
        what: &'static str,
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Test registration did not run on this platform (see `registry::self_check`).
    #[error(
        "test registration is not working on this platform: harness's own canary test was not registered, so no #[autotest] test can be found (inventory needs life-before-main support from the linker)"
    )]
    RegistrationBroken,
    /// A subtest was asked for after its job was dropped.
    #[error("the job of this test has ended; no subtest can run in it")]
    JobEnded,
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => {
            let names: Vec<String> = many.iter().map(|s| format!("`{s}`")).collect();
            format!("; did you mean one of {}?", names.join(", "))
        }
    }
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    pub(crate) fn perf(description: &str, message: impl Into<String>) -> Self {
        Error::PerfValue { description: description.to_owned(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_test_suggests_close_names() {
        let none = Error::UnknownTest { name: "x".into(), suggestions: vec![] };
        assert_eq!(none.to_string(), "unknown test `x`");
        let one = Error::UnknownTest { name: "sleeptst".into(), suggestions: vec!["sleeptest".into()] };
        assert_eq!(one.to_string(), "unknown test `sleeptst`; did you mean `sleeptest`?");
        let two = Error::UnknownTest { name: "a".into(), suggestions: vec!["ab".into(), "ac".into()] };
        assert_eq!(two.to_string(), "unknown test `a`; did you mean one of `ab`, `ac`?");
    }

    #[test]
    fn autotest_messages_are_verbatim() {
        assert_eq!(Error::InvalidKey { key: "b c{perf}".into() }.to_string(), "Invalid key: b c{perf}");
        assert_eq!(Error::InvalidKey { key: "a\nb\0".into() }.to_string(), "Invalid key: a\\nb\\0");
        let long = Error::InvalidKey { key: "k".repeat(1 << 20) }.to_string();
        assert_eq!(long, format!("Invalid key: {}...", "k".repeat(100)));
        assert_eq!(
            Error::OutputDirExists { subdir: "sleeptest.quick".into() }.to_string(),
            "sleeptest.quick already exists; multiple tests cannot run with the same subdirectory"
        );
    }
}
