//! What `#[autotest]` expansions need. Not public API: no stability promises.

pub use ::core::option::Option;
pub use ::core::result::Result;
pub use ::inventory;
pub use ::serde_json::Value;
pub use ::std::boxed::Box;

pub use crate::args::Args;
pub use crate::context::TestContext;
pub use crate::definition::Autotest;
pub use crate::failure::{Failure, TestResult};
pub use crate::phase::Phase;
pub use crate::registry::Registration;
pub use crate::schema::{Param, ParamKind, PhaseTable, Requirement, TestInfo, Variant, Version, decoder};

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
pub trait Phases {
    /// Every named parameter: name, type as written, and the kind of value it takes.
    const PARAMS: &'static [(&'static str, &'static str, ValueKind)] = &[];
    /// Whether a phase takes every argument (`#[args]`).
    const ACCEPTS_ALL: bool = false;
    /// The parameters for messages: `size_mb (usize), block_kb (u32)`.
    const PARAM_LIST: &'static str = "";
}

/// What a parameter's type takes, or what an argument's expression is, as far
/// as the macro can tell from the syntax: a compile-time check of
/// `cargo_test(name = value)` refuses only what can never deserialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Anything (a type or expression the macro cannot classify).
    Any,
    /// Text: `String`, `PathBuf`, a string literal.
    Str,
    /// An integer type or literal.
    Int,
    /// A float type or literal (a float parameter also takes integers).
    Float,
    /// `bool`.
    Bool,
    /// A list: `Vec`, an array, `vec![...]`.
    Seq,
    /// A map: `HashMap`, `BTreeMap`.
    Map,
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// What is wrong with `cargo_test(name = <a value of kind value>)` for a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgProblem {
    /// Nothing.
    Fine,
    /// No parameter has the name.
    Unknown,
    /// The parameter's type (given) cannot take the value.
    WrongType(&'static str),
    /// The parameter's integer type (given) cannot hold the literal.
    OutOfRange(&'static str),
}

/// What is wrong with `name = <a value of kind value>` for the test `T`.
#[must_use]
pub const fn arg_problem<T: Phases>(name: &str, value: ValueKind) -> ArgProblem {
    let mut i = 0;
    while i < T::PARAMS.len() {
        let (param, type_name, kind) = T::PARAMS[i];
        if same(param, name) {
            let fits = match (kind, value) {
                (ValueKind::Any, _) | (_, ValueKind::Any) | (ValueKind::Float, ValueKind::Int) => true,
                (a, b) => a as u8 == b as u8,
            };
            return if fits { ArgProblem::Fine } else { ArgProblem::WrongType(type_name) };
        }
        i += 1;
    }
    if T::ACCEPTS_ALL { ArgProblem::Fine } else { ArgProblem::Unknown }
}

/// Whether `text` ends with `suffix`.
const fn ends_with(text: &str, suffix: &str) -> bool {
    let (text, suffix) = (text.as_bytes(), suffix.as_bytes());
    if suffix.len() > text.len() {
        return false;
    }
    let mut i = 0;
    while i < suffix.len() {
        if text[text.len() - suffix.len() + i] != suffix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The values an integer type named `type_name` (as written: `u32`,
/// `std::num::NonZeroU8`) holds; `None` for any other type.
const fn int_range(type_name: &str) -> Option<(i128, i128)> {
    // Longest names first: `NonZeroU8` before `u8`.
    let ranges: [(&str, i128, i128); 24] = [
        ("NonZeroUsize", 1, usize::MAX as i128),
        ("NonZeroIsize", isize::MIN as i128, isize::MAX as i128),
        ("NonZeroU128", 1, i128::MAX),
        ("NonZeroI128", i128::MIN, i128::MAX),
        ("NonZeroU64", 1, u64::MAX as i128),
        ("NonZeroI64", i64::MIN as i128, i64::MAX as i128),
        ("NonZeroU32", 1, u32::MAX as i128),
        ("NonZeroI32", i32::MIN as i128, i32::MAX as i128),
        ("NonZeroU16", 1, u16::MAX as i128),
        ("NonZeroI16", i16::MIN as i128, i16::MAX as i128),
        ("NonZeroU8", 1, u8::MAX as i128),
        ("NonZeroI8", i8::MIN as i128, i8::MAX as i128),
        ("usize", 0, usize::MAX as i128),
        ("isize", isize::MIN as i128, isize::MAX as i128),
        ("u128", 0, i128::MAX),
        ("i128", i128::MIN, i128::MAX),
        ("u64", 0, u64::MAX as i128),
        ("i64", i64::MIN as i128, i64::MAX as i128),
        ("u32", 0, u32::MAX as i128),
        ("i32", i32::MIN as i128, i32::MAX as i128),
        ("u16", 0, u16::MAX as i128),
        ("i16", i16::MIN as i128, i16::MAX as i128),
        ("u8", 0, u8::MAX as i128),
        ("i8", i8::MIN as i128, i8::MAX as i128),
    ];
    let mut i = 0;
    while i < ranges.len() {
        let (name, low, high) = ranges[i];
        let exact = same(type_name, name);
        let path = ends_with(type_name, name) && type_name.len() > name.len() + 1 && {
            let bytes = type_name.as_bytes();
            bytes[bytes.len() - name.len() - 1] == b':'
        };
        if exact || path {
            return Some((low, high));
        }
        i += 1;
    }
    None
}

/// What is wrong with `name = <the integer literal value>` for the test `T`,
/// once its kind fits: a literal its integer type cannot hold.
#[must_use]
pub const fn int_problem<T: Phases>(name: &str, value: i128) -> ArgProblem {
    let mut i = 0;
    while i < T::PARAMS.len() {
        let (param, type_name, _) = T::PARAMS[i];
        if same(param, name) {
            return match int_range(type_name) {
                Some((low, high)) if value < low || value > high => ArgProblem::OutOfRange(type_name),
                _ => ArgProblem::Fine,
            };
        }
        i += 1;
    }
    ArgProblem::Fine
}

/// The bytes of `parts` joined, for a compile-time message (`N` is their total length).
#[must_use]
pub const fn concat<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut p = 0;
    while p < parts.len() {
        let bytes = parts[p].as_bytes();
        let mut i = 0;
        while i < bytes.len() && at < N {
            out[at] = bytes[i];
            at += 1;
            i += 1;
        }
        p += 1;
    }
    out
}

/// The total length of `parts`.
#[must_use]
pub const fn total_len(parts: &[&str]) -> usize {
    let mut n = 0;
    let mut p = 0;
    while p < parts.len() {
        n += parts[p].len();
        p += 1;
    }
    n
}

/// Bytes made by [`concat`] as text.
#[must_use]
pub const fn as_str(bytes: &[u8]) -> &str {
    match ::core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => "",
    }
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

/// A fresh test of type `T`, boxed: what a registration builds. One generic
/// function, so a test costs the compiler no constructor of its own to check.
pub fn make<T: BuildWithDefault + Autotest>() -> Box<dyn Autotest> {
    Box::new(T::__harness_build())
}

/// A `cargo_test(arg = value)` value as JSON.
///
/// # Panics
///
/// When the value cannot be represented as JSON (a map with non-string keys).
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| panic!("a cargo_test argument cannot be written as JSON: {e}"))
}

/// The `#[test]` that `#[autotest(cargo_test)]` adds (in module `module`): runs
/// the test once in a job of its own under `target/harness-results/<binary>/<test>/`
/// (or `HARNESS_RESULTS_DIR`) and fails with the status and reason unless it
/// ends GOOD, WARN or TEST_NA.
///
/// # Panics
///
/// When the test does not end GOOD, its job cannot be created, or two tests
/// share its name.
pub fn run_cargo_test(name: &str, module: &str) {
    if let Err(error) = crate::registry::check() {
        panic!("{error}");
    }
    let registration = crate::registry::find(name).unwrap_or_else(|| panic!("{name} is not registered"));
    crate::libtest::run_cargo_test(registration, module);
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

impl<E> IntoTestResult for Result<(), E>
where
    Failure: From<E>,
{
    /// The failure is placed where the dispatcher calls this: the phase's
    /// return type, in the test's own source (`Failure::from` tracks its
    /// caller, and so does this; `map_err(Into::into)` would place it in the
    /// standard library's closure shim).
    #[track_caller]
    fn into_test_result(self) -> TestResult {
        match self {
            Ok(()) => Ok(()),
            Err(error) => Err(Failure::from(error)),
        }
    }
}
