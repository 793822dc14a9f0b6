//! [`Failure`]: how the test under test went wrong, and what status that gives.

use std::fmt;
use std::panic::Location;

use crate::phase::Phase;
use crate::status::Status;

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
/// use harness_core::{Failure, FailureKind, Status, TestResult};
/// use harness_core::definition::Phase;
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
///
/// A failure is one pointer wide, so that `TestResult` costs the engine's loop
/// and every `?` next to nothing on the path that does not fail.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure(Box<Inner>);

/// What a [`Failure`] holds.
#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: FailureKind,
    message: String,
    details: Vec<String>,
    location: Option<&'static Location<'static>>,
    /// Where a panic happened (`file:line:col`), for a failure made from one.
    panicked_at: Option<String>,
    /// What a person reads when it says more than the reason (constraints).
    summary: Option<String>,
    phase: Option<Phase>,
}

impl Failure {
    #[track_caller]
    fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure(Box::new(Inner {
            kind,
            message: message.into(),
            details: Vec::new(),
            location: Some(Location::caller()),
            panicked_at: None,
            summary: None,
            phase: None,
        }))
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
        let mut failure = Failure::unhandled(format!("Unhandled panic: {message}"));
        failure.0.location = None;
        if let Some(location) = location {
            failure.0.details.push(format!("panicked at {location}"));
            failure.0.panicked_at = Some(location.to_owned());
        }
        failure
    }

    /// Sets what a person reads instead of the reason (the status log keeps the reason).
    pub(crate) fn with_summary(mut self, summary: String) -> Self {
        self.0.summary = Some(summary);
        self
    }

    /// Forgets where the failure was made, for failures the engine makes on a
    /// test's behalf (a constraint's verdict), whose place is not a line of code.
    pub(crate) fn without_location(mut self) -> Self {
        self.0.location = None;
        self
    }

    /// What a person reads: the reason, or a fuller sentence where the engine has
    /// one (`iteration 2: write_mb_s > 50000 not met (write_mb_s = 812.4)` for a
    /// constraint, where the reason keeps autotest's text).
    #[must_use]
    pub fn summary(&self) -> &str {
        self.0.summary.as_deref().unwrap_or(&self.0.message)
    }

    /// Where the failure was raised, as `file:line:column`: the place of
    /// `Failure::fail(..)` (or the `?`), or where a phase panicked.
    #[must_use]
    pub fn raised_at(&self) -> Option<String> {
        match self.0.location {
            Some(location) => Some(format!("{}:{}:{}", location.file(), location.line(), location.column())),
            None => self.0.panicked_at.clone(),
        }
    }

    /// Adds a detail line (shown under the reason in `status.log` and the debug log).
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.details.push(detail.into());
        self
    }

    /// Which outcome this failure stands for.
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        self.0.kind
    }

    /// The reason: the first line of the status, as autotest writes `str(exception)`.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Further lines: the chain of error sources, or where a panic happened.
    #[must_use]
    pub fn details(&self) -> &[String] {
        &self.0.details
    }

    /// Where the failure was created, for `Failure::fail(..)` and friends.
    #[must_use]
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.0.location
    }

    /// The phase the failure came out of, once the engine has seen it (for
    /// example `run_once`, where the status is decided by the enclosing `execute`).
    #[must_use]
    pub fn phase(&self) -> Option<Phase> {
        self.0.phase
    }

    pub(crate) fn in_phase(mut self, phase: Phase) -> Self {
        self.0.phase.get_or_insert(phase);
        self
    }

    /// Whether the engine retries the iteration that produced this failure.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.0.kind == FailureKind::FailRetry
    }

    /// The status this failure gives when it escapes `phase`.
    ///
    /// Explicit outcomes keep their status everywhere; unhandled failures follow
    /// autotest's table: ERROR in initialize, setup and cleanup, FAIL in warmup and
    /// everything under execute.
    #[must_use]
    pub fn status_in(&self, phase: Phase) -> Status {
        match self.0.kind {
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
        let mut text = self.0.message.clone();
        for detail in &self.0.details {
            text.push('\n');
            text.push_str(detail);
        }
        text
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Failure");
        debug.field("kind", &self.0.kind).field("message", &self.0.message);
        if !self.0.details.is_empty() {
            debug.field("details", &self.0.details);
        }
        if let Some(location) = self.0.location {
            debug.field("location", &format_args!("{location}"));
        }
        debug.finish()
    }
}

/// `?` on any error: anything that displays converts (every `std::error::Error`,
/// `Box<dyn Error>`, `Box<dyn Error + Send + Sync>`, `anyhow::Error`, `String`,
/// `&str`) into an unhandled failure, `Unhandled <Type>: <message>`, as autotest
/// reports unclassified exceptions. The source chain of a boxed error (and, with
/// the `anyhow` feature, of an `anyhow::Error`) becomes detail lines; for a typed
/// error, [`Failure::from_error`] keeps its chain.
impl<E: fmt::Display + 'static> From<E> for Failure {
    #[track_caller]
    fn from(error: E) -> Self {
        // harness failing to write the test's own result files (a full disk) is
        // the harness's trouble, not the system under test's: ERROR in any phase.
        if let Some(crate::error::Error::Io { .. }) =
            (&error as &dyn std::any::Any).downcast_ref::<crate::error::Error>()
        {
            return Failure::new(FailureKind::Error, error.to_string());
        }
        let mut failure =
            Failure::new(FailureKind::Unhandled, format!("Unhandled {}: {error}", shown_type_name::<E>()));
        failure.0.details = source_chain(&error);
        failure
    }
}

impl Failure {
    /// An unhandled failure from a typed error, its source chain kept as detail
    /// lines (`caused by: ...`): `.map_err(Failure::from_error)?`.
    #[track_caller]
    pub fn from_error<E: std::error::Error + 'static>(error: E) -> Self {
        let mut failure =
            Failure::new(FailureKind::Unhandled, format!("Unhandled {}: {error}", shown_type_name::<E>()));
        failure.0.details = causes(error.source());
        failure
    }
}

fn causes(mut source: Option<&(dyn std::error::Error + 'static)>) -> Vec<String> {
    let mut details = Vec::new();
    while let Some(cause) = source {
        details.push(format!("caused by: {cause}"));
        source = cause.source();
    }
    details
}

/// The causes of the error types whose chain can be reached without knowing
/// their concrete type: boxed errors, and `anyhow::Error` with the feature.
fn source_chain<E: 'static>(error: &E) -> Vec<String> {
    use std::error::Error as StdError;
    let any: &dyn std::any::Any = error;
    if let Some(boxed) = any.downcast_ref::<Box<dyn StdError + Send + Sync>>() {
        return causes(boxed.source());
    }
    if let Some(boxed) = any.downcast_ref::<Box<dyn StdError + Send>>() {
        return causes(boxed.source());
    }
    if let Some(boxed) = any.downcast_ref::<Box<dyn StdError>>() {
        return causes(boxed.source());
    }
    #[cfg(feature = "anyhow")]
    if let Some(error) = any.downcast_ref::<anyhow::Error>() {
        return error.chain().skip(1).map(|cause| format!("caused by: {cause}")).collect();
    }
    Vec::new()
}

/// The name a reader recognises, as Python prints an exception's class name;
/// `error` for plain text, `Box<dyn Error>` for a boxed error.
fn shown_type_name<E: 'static>() -> String {
    let full = std::any::type_name::<E>();
    if full == "&str" || full == "alloc::string::String" || full.starts_with("alloc::borrow::Cow<") {
        return "error".to_owned();
    }
    if full.starts_with("alloc::boxed::Box<dyn ") {
        return "Box<dyn Error>".to_owned();
    }
    short_type_name(full)
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
    fn question_mark_works_on_every_common_error_type() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let outer = || Outer(std::io::Error::other("inner"));
        fn typed(e: Outer) -> TestResult {
            Err(e)?;
            Ok(())
        }
        let failure = typed(outer()).unwrap_err();
        assert_eq!(failure.message(), "Unhandled Outer: outer");
        assert_eq!(failure.location().map(|l| l.file()), Some(file!()));
        let failure = Failure::from_error(outer());
        assert_eq!(failure.full_text(), "Unhandled Outer: outer\ncaused by: inner");
        fn boxed(e: Box<dyn std::error::Error>) -> TestResult {
            Err(e)?;
            Ok(())
        }
        assert_eq!(
            boxed(Box::new(outer())).unwrap_err().full_text(),
            "Unhandled Box<dyn Error>: outer\ncaused by: inner"
        );
        fn sync(e: Box<dyn std::error::Error + Send + Sync>) -> TestResult {
            Err(e)?;
            Ok(())
        }
        assert_eq!(
            sync(Box::new(outer())).unwrap_err().full_text(),
            "Unhandled Box<dyn Error>: outer\ncaused by: inner"
        );
        fn text() -> TestResult {
            Err("no device")?;
            Err(String::from("unreachable"))?;
            Ok(())
        }
        assert_eq!(text().unwrap_err().message(), "Unhandled error: no device");
        fn returned() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Err("returned".into())
        }
        let failure: Failure = returned().unwrap_err().into();
        assert_eq!(failure.message(), "Unhandled Box<dyn Error>: returned");
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
