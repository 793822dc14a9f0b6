//! What `#[autotest]` expansions need. Not public API: no stability promises.

pub use ::core::option::Option;
pub use ::core::result::Result;
pub use ::inventory;
pub use ::serde_json::Value;
pub use ::std::boxed::Box;

pub use crate::registry::Registration;
pub use crate::{
    Args, Autotest, Failure, Param, ParamKind, Phase, PhaseTable, TestContext, TestInfo, TestResult, Version, decoder,
};

/// A required argument, read through its table entry.
///
/// # Errors
///
/// An ERROR failure naming the argument when it is missing or of the wrong type.
pub fn required<T: 'static>(args: &Args, param: &Param, test: &TestInfo, phase: &str) -> TestResult<T> {
    let test = test.name();
    match param.value(args, test, phase)? {
        Some(value) => Ok(value),
        None => Err(Failure::error(format!(
            "missing required argument `{}` for {test}.{phase} ({})",
            param.name(),
            param.type_name()
        ))),
    }
}

/// An optional argument, read through its table entry; `None` when absent or null.
///
/// # Errors
///
/// An ERROR failure naming the argument when it has the wrong type.
pub fn optional<T: 'static>(args: &Args, param: &Param, test: &TestInfo, phase: &str) -> TestResult<Option<T>> {
    param.value(args, test.name(), phase)
}

/// What a struct's `#[autotest(...)]` says: everything of its `TestInfo` but the
/// phases, which the impl adds.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a test",
    label = "`{Self}` needs `#[autotest(version = ...)]`",
    note = "add `#[autotest(version = 1)]` (and `#[derive(Default)]`) to the struct `{Self}`"
)]
pub trait Meta {
    /// The test's description, without phases.
    const META: TestInfo;
}

/// Marks a struct whose `#[autotest] impl` exists; the struct's `Meta` requires it,
/// so a test without phases is a compile error at the struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[autotest(...)]` but its phases are not declared",
    label = "no `#[autotest] impl` for this test",
    note = "add `#[autotest]` to the inherent `impl {Self}` block that holds `run_once` and the other phases"
)]
pub trait Phases {}

/// How the engine builds a test: with `Default`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Default`: tests are built with `Default`",
    label = "tests are built with `Default`",
    note = "add `#[derive(Default)]` to `{Self}`, or implement `Default` for it"
)]
pub trait BuildWithDefault: Sized {
    /// A fresh test.
    fn __harness_build() -> Self;
}

impl<T: Default> BuildWithDefault for T {
    fn __harness_build() -> Self {
        T::default()
    }
}

/// A `cargo_test(arg = value)` value as JSON.
///
/// # Panics
///
/// When the value cannot be represented as JSON (a map with non-string keys).
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| panic!("a cargo_test argument cannot be written as JSON: {e}"))
}

/// The `#[test]` that `#[autotest(cargo_test)]` adds: runs the test once in a job
/// of its own under `target/harness-results/<binary>/<test>/` (or `HARNESS_RESULTS_DIR`)
/// and panics with the status and reason unless it ends GOOD.
///
/// # Panics
///
/// When the test does not end GOOD, its job cannot be created, or two tests
/// share its name.
pub fn run_cargo_test(name: &str) {
    if let Err(error) = crate::registry::check() {
        panic!("{error}");
    }
    let registration = crate::registry::find(name).unwrap_or_else(|| panic!("{name} is not registered"));
    crate::libtest::run_cargo_test(registration.make(), registration.info().default_args());
}

/// Converts what a phase returned into its result.
#[diagnostic::on_unimplemented(
    message = "a phase must return `TestResult`, `Result<(), E>` with `E` converting into `Failure`, or `()`; this one returns `{Self}`",
    label = "this return type is not a phase result"
)]
pub trait IntoTestResult {
    /// The phase's result.
    ///
    /// # Errors
    ///
    /// The phase's failure.
    fn into_test_result(self) -> TestResult;
}

impl IntoTestResult for () {
    fn into_test_result(self) -> TestResult {
        Ok(())
    }
}

impl<E: Into<Failure>> IntoTestResult for Result<(), E> {
    fn into_test_result(self) -> TestResult {
        self.map_err(Into::into)
    }
}
