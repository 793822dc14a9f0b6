//! [`Failure`]: how the test under test went wrong, and what status that gives.

use std::fmt;
use std::panic::Location;

use crate::{Phase, Status};

/// The result of a lifecycle phase: `Ok(())` or a [`Failure`].
pub type TestResult<T = ()> = Result<T, Failure>;

/// Which outcome a [`Failure`] stands for (autotest's exception classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// `TestFail`: the status is FAIL.
    Fail,
    /// `TestError`: the status is ERROR.
    Error,
    /// `TestNAError`: the status is TEST_NA.
    NotApplicable,
    /// `TestWarn`: the status is WARN.
    Warn,
    /// `TestFailRetry`: FAIL, but the iteration is retried up to `test_retry` times.
    FailRetry,
    /// Anything else that escaped a phase (an error through `?`, a panic): FAIL in
    /// warmup and everything under execute, ERROR in initialize, setup and cleanup.
    Unhandled,
    /// The job was interrupted while the test ran: ABORT.
    Abort,
}

/// How a test failed: the outcome (fail, error, not applicable, warn, retry) and its
/// reason, which becomes the reason in `status.log`.
///
/// `?` converts any [`std::error::Error`] into an unhandled failure, reported as
/// autotest reports unclassified exceptions: `Unhandled <Type>: <message>`, FAIL
/// when it escapes warmup or anything under execute, ERROR when it escapes
/// initialize, setup or cleanup.
///
/// ```
/// use harness_core::{Failure, FailureKind, Phase, Status, TestResult};
///
/// fn parse(text: &str) -> TestResult<f64> {
///     Ok(text.parse::<f64>()?)
/// }
///
/// let failure = parse("abc").unwrap_err();
/// assert_eq!(failure.kind(), FailureKind::Unhandled);
/// assert_eq!(failure.message(), "Unhandled ParseFloatError: invalid float literal");
/// assert_eq!(failure.status_in(Phase::RunOnce), Status::Fail);
/// assert_eq!(failure.status_in(Phase::Setup), Status::Error);
///
/// let skip = Failure::not_applicable("needs a GPU");
/// assert_eq!(skip.status_in(Phase::RunOnce), Status::TestNa);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    kind: FailureKind,
    message: String,
    details: Vec<String>,
    location: Option<&'static Location<'static>>,
    phase: Option<Phase>,
}

impl Failure {
    #[track_caller]
    fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into(), details: Vec::new(), location: Some(Location::caller()), phase: None }
    }

    /// A test failure (`TestFail`): the status is FAIL.
    #[track_caller]
    pub fn fail(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Fail, message)
    }

    /// A test error (`TestError`): the status is ERROR.
    #[track_caller]
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Error, message)
    }

    /// The test does not apply here (`TestNAError`): the status is TEST_NA.
    #[track_caller]
    pub fn not_applicable(message: impl Into<String>) -> Self {
        Self::new(FailureKind::NotApplicable, message)
    }

    /// A warning that ends the test (`TestWarn`): the status is WARN.
    #[track_caller]
    pub fn warn(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Warn, message)
    }

    /// A failure worth retrying (`TestFailRetry`): the iteration runs again, up to
    /// the job's `test_retry` times; if every try fails the status is FAIL.
    #[track_caller]
    pub fn fail_retry(message: impl Into<String>) -> Self {
        Self::new(FailureKind::FailRetry, message)
    }

    /// An unclassified failure with this message, as if an error had escaped the
    /// phase: FAIL or ERROR depending on the phase.
    #[track_caller]
    pub fn unhandled(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Unhandled, message)
    }

    /// The job was interrupted (SIGINT, SIGTERM): the status is ABORT.
    #[track_caller]
    pub fn abort(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Abort, message)
    }

    /// A panic caught in a phase: `Unhandled panic: <message>`, with the place it
    /// panicked as a detail line.
    pub(crate) fn from_panic(message: &str, location: Option<&str>) -> Self {
        let mut failure = Failure {
            kind: FailureKind::Unhandled,
            message: format!("Unhandled panic: {message}"),
            details: Vec::new(),
            location: None,
            phase: None,
        };
        if let Some(location) = location {
            failure.details.push(format!("panicked at {location}"));
        }
        failure
    }

    /// Adds a detail line (shown under the reason in `status.log` and the debug log).
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    /// Which outcome this failure stands for.
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The reason: the first line of the status, as autotest writes `str(exception)`.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Further lines: the chain of error sources, or where a panic happened.
    #[must_use]
    pub fn details(&self) -> &[String] {
        &self.details
    }

    /// Where the failure was created, for `Failure::fail(..)` and friends.
    #[must_use]
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.location
    }

    /// The phase the failure came out of, once the engine has seen it (for
    /// example `run_once`, where the status is decided by the enclosing `execute`).
    #[must_use]
    pub fn phase(&self) -> Option<Phase> {
        self.phase
    }

    pub(crate) fn in_phase(mut self, phase: Phase) -> Self {
        self.phase.get_or_insert(phase);
        self
    }

    /// Whether the engine retries the iteration that produced this failure.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind == FailureKind::FailRetry
    }

    /// The status this failure gives when it escapes `phase`.
    ///
    /// Explicit outcomes keep their status everywhere; unhandled failures follow
    /// autotest's table: ERROR in initialize, setup and cleanup, FAIL in warmup and
    /// everything under execute.
    #[must_use]
    pub fn status_in(&self, phase: Phase) -> Status {
        match self.kind {
            FailureKind::Fail | FailureKind::FailRetry => Status::Fail,
            FailureKind::Error => Status::Error,
            FailureKind::NotApplicable => Status::TestNa,
            FailureKind::Warn => Status::Warn,
            FailureKind::Abort => Status::Abort,
            FailureKind::Unhandled => phase.unhandled_status(),
        }
    }

    /// The message and its detail lines, one per line.
    #[must_use]
    pub fn full_text(&self) -> String {
        let mut text = self.message.clone();
        for detail in &self.details {
            text.push('\n');
            text.push_str(detail);
        }
        text
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Failure");
        debug.field("kind", &self.kind).field("message", &self.message);
        if !self.details.is_empty() {
            debug.field("details", &self.details);
        }
        if let Some(location) = self.location {
            debug.field("location", &format_args!("{location}"));
        }
        debug.finish()
    }
}

impl<E: std::error::Error> From<E> for Failure {
    #[track_caller]
    fn from(error: E) -> Self {
        let mut failure = Failure::new(
            FailureKind::Unhandled,
            format!("Unhandled {}: {}", short_type_name(std::any::type_name::<E>()), error),
        );
        let mut source = error.source();
        while let Some(cause) = source {
            failure.details.push(format!("caused by: {cause}"));
            source = cause.source();
        }
        failure
    }
}

/// `std::io::error::Error` -> `io::Error`, `core::num::ParseIntError` -> `ParseIntError`:
/// the name a reader recognises, as Python prints an exception's class name.
fn short_type_name(full: &str) -> String {
    let path = full.split('<').next().unwrap_or(full);
    let segments: Vec<&str> = path.split("::").collect();
    let Some((last, rest)) = segments.split_last() else {
        return full.to_owned();
    };
    if *last != "Error" {
        return (*last).to_owned();
    }
    match rest.iter().rev().find(|segment| **segment != "error") {
        Some(module) => format!("{module}::{last}"),
        None => (*last).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_read_like_exception_classes() {
        assert_eq!(short_type_name("std::io::error::Error"), "io::Error");
        assert_eq!(short_type_name("core::num::dec2flt::ParseFloatError"), "ParseFloatError");
        assert_eq!(short_type_name("serde_json::error::Error"), "serde_json::Error");
        assert_eq!(short_type_name("anyhow::Error"), "anyhow::Error");
        assert_eq!(short_type_name("my::Wrapper<alloc::string::String>"), "Wrapper");
        assert_eq!(short_type_name("Error"), "Error");
    }

    #[test]
    fn question_mark_keeps_the_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        fn f() -> TestResult {
            Err(Outer(std::io::Error::other("inner")))?;
            Ok(())
        }
        let failure = f().unwrap_err();
        assert_eq!(failure.message(), "Unhandled Outer: outer");
        assert_eq!(failure.details(), ["caused by: inner"]);
        assert_eq!(failure.full_text(), "Unhandled Outer: outer\ncaused by: inner");
        assert_eq!(failure.location().map(|l| l.file()), Some(file!()));
    }

    #[test]
    fn statuses_per_kind_and_phase() {
        let cases = [
            (Failure::fail("x"), Status::Fail, Status::Fail),
            (Failure::fail_retry("x"), Status::Fail, Status::Fail),
            (Failure::error("x"), Status::Error, Status::Error),
            (Failure::not_applicable("x"), Status::TestNa, Status::TestNa),
            (Failure::warn("x"), Status::Warn, Status::Warn),
            (Failure::abort("x"), Status::Abort, Status::Abort),
            (Failure::unhandled("x"), Status::Fail, Status::Error),
        ];
        for (failure, in_run_once, in_cleanup) in cases {
            assert_eq!(failure.status_in(Phase::RunOnce), in_run_once, "{failure:?}");
            assert_eq!(failure.status_in(Phase::Cleanup), in_cleanup, "{failure:?}");
        }
        assert!(Failure::fail_retry("x").is_retryable());
        assert!(!Failure::fail("x").is_retryable());
    }

    #[test]
    fn panics_report_message_and_place() {
        let failure = Failure::from_panic("boom", Some("src/lib.rs:3:5"));
        assert_eq!(failure.full_text(), "Unhandled panic: boom\npanicked at src/lib.rs:3:5");
        assert_eq!(failure.status_in(Phase::Warmup), Status::Fail);
        assert_eq!(failure.status_in(Phase::Initialize), Status::Error);
    }
}
