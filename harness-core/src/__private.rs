//! What `#[autotest]` expansions need. Not public API: no stability promises.

pub use ::core::option::Option;
pub use ::core::result::Result;
pub use ::inventory;
pub use ::serde_json::Value;
pub use ::std::boxed::Box;

pub use crate::registry::Registration;
pub use crate::{
    Args, Autotest, Failure, Param, ParamKind, Phase, PhaseTable, TestContext, TestInfo, TestResult, Version,
};

use serde::de::DeserializeOwned;

/// A required argument of phase `phase` of test `test`, deserialized.
///
/// # Errors
///
/// An ERROR failure naming the argument when it is missing or of the wrong type.
pub fn required<T>(
    args: &Args,
    name: &str,
    type_name: &str,
    test: &str,
    phase: &str,
    decode: fn(&Value) -> Result<T, String>,
) -> TestResult<T> {
    match optional(args, name, type_name, test, phase, decode)? {
        Some(value) => Ok(value),
        None => Err(Failure::error(format!("missing required argument `{name}` for {test}.{phase} ({type_name})"))),
    }
}

/// An optional argument; `None` when absent or null.
///
/// # Errors
///
/// An ERROR failure naming the argument when it has the wrong type.
pub fn optional<T>(
    args: &Args,
    name: &str,
    type_name: &str,
    test: &str,
    phase: &str,
    decode: fn(&Value) -> Result<T, String>,
) -> TestResult<Option<T>> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => decode(value).map(Some).map_err(|_| {
            Failure::error(format!("`{name}` of {test}.{phase} expects {type_name}, got {}", crate::args::shown(value)))
        }),
    }
}

/// Deserializes an argument's value as a parameter's type.
///
/// # Errors
///
/// The deserializer's message.
pub fn decode<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| e.to_string())
}

/// Links a struct's `#[autotest(...)]` to its `#[autotest] impl`: the impl
/// implements it with the phase tables and the dispatcher.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[autotest(...)]` but its phases are not declared",
    label = "no `#[autotest] impl` for this test",
    note = "add `#[autotest]` to the inherent `impl {Self}` block that holds `run_once` and the other phases"
)]
pub trait Phases {
    /// The parameter table of every phase the impl defines.
    const TABLES: &'static [PhaseTable];

    /// Runs one phase with its own arguments taken from `args`.
    ///
    /// # Errors
    ///
    /// The phase's failure, or an ERROR for an argument that does not deserialize.
    fn __harness_run_phase(&mut self, phase: Phase, ctx: &mut TestContext, args: &Args) -> TestResult;
}

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
/// When the test does not end GOOD, or its job cannot be created.
pub fn run_cargo_test<T: Autotest + Default>() {
    let test = T::default();
    let args = test.info().default_args();
    crate::libtest::run_cargo_test(Box::new(test), args);
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
