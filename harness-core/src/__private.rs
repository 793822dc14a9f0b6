//! What `#[autotest]` expansions need. Not public API: no stability promises.

pub use ::inventory;
pub use ::serde_json::Value;

pub use crate::registry::Registration;
pub use crate::{Args, Autotest, Failure, Param, Phase, PhaseTable, TestContext, TestInfo, TestResult, Version};

use serde::de::DeserializeOwned;

/// A required argument of `place` (`test.phase`), deserialized.
///
/// # Errors
///
/// An ERROR failure naming the argument when it is missing or of the wrong type.
pub fn required<T: DeserializeOwned>(args: &Args, name: &str, type_name: &str, place: &str) -> TestResult<T> {
    match optional(args, name, type_name, place)? {
        Some(value) => Ok(value),
        None => Err(Failure::error(format!("missing required argument `{name}` for {place} ({type_name})"))),
    }
}

/// An optional argument of `place`; `None` when absent or null.
///
/// # Errors
///
/// An ERROR failure naming the argument when it has the wrong type.
pub fn optional<T: DeserializeOwned>(args: &Args, name: &str, type_name: &str, place: &str) -> TestResult<Option<T>> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value).map(Some).map_err(|_| {
            Failure::error(format!("`{name}` of {place} expects {type_name}, got {}", crate::args::shown(value)))
        }),
    }
}

/// Converts what a phase returned into its result.
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
