//! Named arguments ([`Args`]), the parameter tables of each phase, and the
//! validation that replaces autotest's `_validate_args` / `_cherry_pick_args`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::constraint::{Constraint, ConstraintError};
use crate::definition::{Phase, TestInfo};

/// Arguments the engine consumes itself; no phase may declare a parameter named
/// like one of these.
pub const ENGINE_ARGS: [&str; 11] = [
    "iterations",
    "test_length",
    "profile_only",
    "postprocess_profiled_run",
    "constraints",
    "tag",
    "run_cleanup",
    "test_attributes",
    "timeout",
    "subdir_tag",
    "master_testpath",
];

/// The engine arguments autotest's `job.run_test`, `runtest` and `_exec` remove
/// before any phase sees the arguments; never written as `param-<name>` keyvals.
pub(crate) const JOB_ARGS: [&str; 6] =
    ["tag", "subdir_tag", "timeout", "master_testpath", "run_cleanup", "test_attributes"];

/// The engine arguments autotest's base `execute` consumes: `run_once` and the
/// phases around each iteration never see them.
pub(crate) const EXECUTE_ARGS: [&str; 5] =
    ["iterations", "test_length", "profile_only", "postprocess_profiled_run", "constraints"];

/// Named argument values, in the order they were given, as a control file's
/// `args` object or `job.run_test(name, **dargs)` holds them. Engine arguments
/// (`iterations`, `tag`, ...) and test arguments live side by side.
///
/// ```
/// use harness_core::Args;
///
/// let args = Args::new().with("seconds", 0.5).with("mode", "fast").with("iterations", 3);
/// assert_eq!(args.get_as::<f64>("seconds")?, Some(0.5));
/// assert_eq!(args.get_as::<String>("missing")?, None);
/// assert_eq!(args.get_as::<u32>("mode").unwrap_err().to_string(), "`mode` expects u32, got \"fast\"");
/// # Ok::<(), harness_core::ArgError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Args(Map<String, Value>);

impl Args {
    /// No arguments.
    #[must_use]
    pub fn new() -> Self {
        Args(Map::new())
    }

    /// Adds (or replaces) an argument.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// Sets an argument, returning the value it replaces.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(name.into(), value.into())
    }

    /// Arguments from a JSON value: an object of named arguments.
    ///
    /// # Errors
    ///
    /// [`ArgError::Positional`] (autotest's message) for an array, and
    /// [`ArgError::NotAnObject`] for anything else but an object or null.
    pub fn from_json(value: Value) -> Result<Self, ArgError> {
        match value {
            Value::Object(map) => Ok(Args(map)),
            Value::Null => Ok(Args::new()),
            Value::Array(_) => Err(ArgError::Positional),
            other => Err(ArgError::NotAnObject { got: shown(&other) }),
        }
    }

    /// The value of an argument.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The value of an argument, deserialized; `None` when absent or null.
    ///
    /// # Errors
    ///
    /// [`ArgError::WrongType`] when the value does not deserialize as `T`.
    pub fn get_as<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ArgError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|_| ArgError::WrongType {
                name: name.to_owned(),
                place: String::new(),
                expected: std::any::type_name::<T>().rsplit("::").next().unwrap_or("?").to_owned(),
                got: shown(value),
            }),
        }
    }

    /// Removes an argument, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.shift_remove(name)
    }

    /// Whether an argument is given.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The arguments in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many arguments there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The arguments without the names in `lists`.
    pub(crate) fn without(&self, lists: &[&[&str]]) -> Args {
        Args(
            self.0
                .iter()
                .filter(|(k, _)| !lists.iter().any(|l| l.contains(&k.as_str())))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// The arguments as a JSON object.
    #[must_use]
    pub fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Args {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Args(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

/// Whether a parameter must be given, may be left out, or has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// `name: T`: must be given.
    Required,
    /// `name: Option<T>`: may be left out (or null).
    Optional,
    /// `#[arg(default = expr)] name: T`: the default's source text.
    Default(&'static str),
}

/// Deserializes a parameter's value, type-erased so that one function pointer per
/// type serves both validation and the dispatcher.
pub type Decoder = fn(&Value) -> Result<Box<dyn std::any::Any>, String>;

/// The [`Decoder`] of `T`.
///
/// # Errors
///
/// The deserializer's message.
pub fn decoder<T: DeserializeOwned + 'static>(value: &Value) -> Result<Box<dyn std::any::Any>, String> {
    T::deserialize(value).map(|v| Box::new(v) as Box<dyn std::any::Any>).map_err(|e| e.to_string())
}

/// One named parameter of a phase: name, Rust type, kind and documentation.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    name: &'static str,
    type_name: &'static str,
    kind: ParamKind,
    doc: &'static str,
    default_value: Option<&'static str>,
    decode: Decoder,
}

impl Param {
    /// A parameter whose values `decode` reads (what `#[autotest]` generates,
    /// with [`decoder`]).
    #[must_use]
    pub const fn new(name: &'static str, type_name: &'static str, kind: ParamKind, decode: Decoder) -> Self {
        Param { name, type_name, kind, doc: "", default_value: None, decode }
    }

    /// A required parameter of type `T`, spelled `type_name` in messages and listings.
    #[must_use]
    pub const fn required<T: DeserializeOwned + 'static>(name: &'static str, type_name: &'static str) -> Self {
        Param::new(name, type_name, ParamKind::Required, decoder::<T>)
    }

    /// An optional parameter; `T` is the value type (without the `Option`).
    #[must_use]
    pub const fn optional<T: DeserializeOwned + 'static>(name: &'static str, type_name: &'static str) -> Self {
        Param::new(name, type_name, ParamKind::Optional, decoder::<T>)
    }

    /// A parameter with a default, shown as `default` in listings.
    #[must_use]
    pub const fn with_default<T: DeserializeOwned + 'static>(
        name: &'static str,
        type_name: &'static str,
        default: &'static str,
    ) -> Self {
        Param::new(name, type_name, ParamKind::Default(default), decoder::<T>)
    }

    /// Adds documentation.
    #[must_use]
    pub const fn with_doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }

    /// The default as JSON text (`"fast"`, `64`, `[1, 2]`), when it is a value
    /// rather than an expression only the compiler can evaluate; `#[autotest]`
    /// sets it for literal defaults.
    #[must_use]
    pub const fn with_default_value(mut self, json: &'static str) -> Self {
        self.default_value = Some(json);
        self
    }

    /// The default as a JSON value, if it is known as one.
    #[must_use]
    pub fn default_value(&self) -> Option<Value> {
        self.default_value.and_then(|json| serde_json::from_str(json).ok())
    }

    /// The default as a person reads it: its JSON value when known (`"/dev/loop0"`),
    /// else the expression as written.
    #[must_use]
    pub fn default_text(&self) -> Option<&'static str> {
        match self.kind {
            ParamKind::Default(expr) => Some(self.default_value.unwrap_or(expr)),
            _ => None,
        }
    }

    /// The name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The Rust type as written (`f64`, `Option<String>`, `Vec<u32>`).
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Required, optional or defaulted.
    #[must_use]
    pub const fn kind(&self) -> ParamKind {
        self.kind
    }

    /// The documentation (`#[arg(doc = "...")]`).
    #[must_use]
    pub const fn doc(&self) -> &'static str {
        self.doc
    }

    /// Whether the value `value` deserializes as the parameter's type (null counts
    /// as absent for optional and defaulted parameters).
    ///
    /// # Errors
    ///
    /// The deserializer's message.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if value.is_null() && self.kind != ParamKind::Required {
            return Ok(());
        }
        (self.decode)(value).map(drop)
    }

    /// The value of this parameter in `args`, deserialized; `None` when absent or
    /// null.
    ///
    /// # Errors
    ///
    /// An ERROR failure naming the parameter, the phase and the value when it does
    /// not deserialize as `T` (which must be the parameter's type).
    pub fn value<T: 'static>(&self, args: &Args, test: &str, phase: &str) -> Result<Option<T>, crate::Failure> {
        let wrong = |value: &Value| {
            crate::Failure::error(format!(
                "`{}` of {test}.{phase} expects {}, got {}",
                self.name,
                self.type_name,
                shown(value)
            ))
        };
        match args.get(self.name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => match (self.decode)(value) {
                Ok(decoded) => decoded.downcast::<T>().map(|v| Some(*v)).map_err(|_| wrong(value)),
                Err(_) => Err(wrong(value)),
            },
        }
    }
}

/// The parameters of one phase.
#[derive(Debug, Clone, Copy)]
pub struct PhaseTable {
    phase: Phase,
    params: &'static [Param],
    accepts_all: bool,
}

impl PhaseTable {
    /// A phase taking exactly `params`.
    #[must_use]
    pub const fn new(phase: Phase, params: &'static [Param]) -> Self {
        PhaseTable { phase, params, accepts_all: false }
    }

    /// Marks a phase that takes every argument (`#[args] all: &Args`, autotest's `**dargs`).
    #[must_use]
    pub const fn accepting_all(mut self) -> Self {
        self.accepts_all = true;
        self
    }

    /// The phase.
    #[must_use]
    pub const fn phase(&self) -> Phase {
        self.phase
    }

    /// Its named parameters.
    #[must_use]
    pub const fn params(&self) -> &'static [Param] {
        self.params
    }

    /// Whether it takes every argument.
    #[must_use]
    pub const fn accepts_all(&self) -> bool {
        self.accepts_all
    }
}

/// One problem with an argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgError {
    /// No phase declares the name and none takes every argument.
    #[error("Unknown parameter: {name} ({})", accepted_text(test, accepted, suggestion.as_deref()))]
    Unknown {
        /// The argument's name.
        name: String,
        /// The test.
        test: String,
        /// The names the test accepts.
        accepted: Vec<String>,
        /// The closest accepted name, if one is close.
        suggestion: Option<String>,
    },
    /// A required parameter was not given.
    #[error("missing required argument `{name}` for {place} ({type_name})")]
    Missing {
        /// The parameter.
        name: String,
        /// `test.phase`.
        place: String,
        /// Its type.
        type_name: String,
    },
    /// A value that does not deserialize as the parameter's type.
    #[error("`{name}`{}{place} expects {expected}, got {got}", if place.is_empty() { "" } else { " of " })]
    WrongType {
        /// The parameter.
        name: String,
        /// `test.phase`, or empty.
        place: String,
        /// The expected type.
        expected: String,
        /// The value given, as JSON.
        got: String,
    },
    /// An engine argument of the wrong kind.
    #[error("`{name}` expects {expected}, got {got}")]
    Engine {
        /// The engine argument.
        name: String,
        /// What it takes.
        expected: &'static str,
        /// The value given, as JSON.
        got: String,
    },
    /// Arguments given by position (autotest's message).
    #[error("Unnamed arguments not accepted. Please call job.run_test with named args only")]
    Positional,
    /// Arguments that are not an object of named values.
    #[error("arguments must be an object of named values, got {got}")]
    NotAnObject {
        /// The value given, as JSON.
        got: String,
    },
    /// A constraint that does not parse.
    #[error(transparent)]
    Constraint(#[from] ConstraintError),
}

fn accepted_text(test: &str, accepted: &[String], suggestion: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(suggestion) = suggestion {
        text.push_str(&format!("did you mean `{suggestion}`? "));
    }
    if accepted.is_empty() {
        text.push_str(&format!("{test} takes no parameters"));
    } else {
        text.push_str(&format!("{test} accepts: {}", accepted.join(", ")));
    }
    text
}

/// Every problem with a test's arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ArgErrors {
    test: String,
    errors: Vec<ArgError>,
}

impl ArgErrors {
    pub(crate) fn new(test: &str, errors: Vec<ArgError>) -> Self {
        ArgErrors { test: test.to_owned(), errors }
    }

    /// The test whose arguments were checked.
    #[must_use]
    pub fn test(&self) -> &str {
        &self.test
    }

    /// The problems, in argument order, then missing parameters.
    #[must_use]
    pub fn errors(&self) -> &[ArgError] {
        &self.errors
    }
}

impl fmt::Display for ArgErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// A value as JSON for messages, shortened past 100 characters.
pub(crate) fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// The engine's own arguments, parsed and checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct EngineArgs {
    pub(crate) iterations: Option<u64>,
    pub(crate) test_length: Option<f64>,
    pub(crate) profile_only: Option<bool>,
    pub(crate) postprocess_profiled_run: Option<bool>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) tag: Option<String>,
    pub(crate) subdir_tag: Option<String>,
    pub(crate) run_cleanup: Option<bool>,
    pub(crate) test_attributes: Map<String, Value>,
    pub(crate) timeout: Option<f64>,
    pub(crate) master_testpath: Option<String>,
}

impl EngineArgs {
    /// Parses the engine arguments of `args`, collecting every problem.
    pub(crate) fn parse(args: &Args, errors: &mut Vec<ArgError>) -> EngineArgs {
        let mut engine = EngineArgs::default();
        for (name, value) in args.iter() {
            if value.is_null() {
                continue;
            }
            let bad = |expected: &'static str| ArgError::Engine { name: name.to_owned(), expected, got: shown(value) };
            let result = match name {
                "iterations" => {
                    value.as_u64().map(|n| engine.iterations = Some(n)).ok_or_else(|| bad("a non-negative integer"))
                }
                "test_length" => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| engine.test_length = Some(s))
                    .ok_or_else(|| bad("a non-negative number of seconds")),
                "timeout" => value
                    .as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(|s| engine.timeout = Some(s))
                    .ok_or_else(|| bad("a positive number of seconds")),
                "profile_only" => {
                    value.as_bool().map(|b| engine.profile_only = Some(b)).ok_or_else(|| bad("true or false"))
                }
                "postprocess_profiled_run" => value
                    .as_bool()
                    .map(|b| engine.postprocess_profiled_run = Some(b))
                    .ok_or_else(|| bad("true or false")),
                "run_cleanup" => {
                    value.as_bool().map(|b| engine.run_cleanup = Some(b)).ok_or_else(|| bad("true or false"))
                }
                "test_attributes" => value
                    .as_object()
                    .map(|map| engine.test_attributes = map.clone())
                    .ok_or_else(|| bad("an object of attributes")),
                "tag" | "subdir_tag" | "master_testpath" => {
                    let text = match value {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    let slot = match name {
                        "tag" => &mut engine.tag,
                        "subdir_tag" => &mut engine.subdir_tag,
                        _ => &mut engine.master_testpath,
                    };
                    *slot = text;
                    if slot.is_some() { Ok(()) } else { Err(bad("a string")) }
                }
                "constraints" => parse_constraints(value, &mut engine.constraints)
                    .map_err(|e| e.unwrap_or_else(|| bad("a list of constraint strings"))),
                _ => Ok(()),
            };
            if let Err(error) = result {
                errors.push(error);
            }
        }
        engine
    }
}

fn parse_constraints(value: &Value, out: &mut Vec<Constraint>) -> Result<(), Option<ArgError>> {
    let texts: Vec<&str> = match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().map(Value::as_str).collect::<Option<_>>().ok_or(None)?,
        _ => return Err(None),
    };
    for text in texts {
        out.push(Constraint::parse(text).map_err(|e| Some(ArgError::Constraint(e)))?);
    }
    Ok(())
}

/// Checks `args` against `info`'s tables; returns the parsed engine arguments.
pub(crate) fn validate(info: &TestInfo, args: &Args) -> Result<EngineArgs, ArgErrors> {
    let mut errors = Vec::new();
    let engine = EngineArgs::parse(args, &mut errors);
    let accepts_all = info.phases().iter().any(PhaseTable::accepts_all);
    let accepted: Vec<String> = info.params().map(|(_, p)| p.name().to_owned()).collect();
    for (name, value) in args.iter() {
        if ENGINE_ARGS.contains(&name) {
            continue;
        }
        let declared = info.params().find(|(_, param)| param.name() == name);
        match declared {
            Some((phase, param)) => {
                // null is "not given": a required parameter is then reported as missing.
                if !value.is_null() && param.check(value).is_err() {
                    errors.push(ArgError::WrongType {
                        name: name.to_owned(),
                        place: format!("{}.{}", info.name(), phase.name()),
                        expected: param.type_name().to_owned(),
                        got: shown(value),
                    });
                }
            }
            None if accepts_all => {}
            None => {
                let candidates = accepted.iter().map(String::as_str).chain(ENGINE_ARGS);
                let suggestion = candidates
                    .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
                    .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
                    .min_by_key(|(distance, _)| *distance)
                    .map(|(_, candidate)| candidate.to_owned());
                errors.push(ArgError::Unknown {
                    name: name.to_owned(),
                    test: info.name().to_owned(),
                    accepted: accepted.clone(),
                    suggestion,
                });
            }
        }
    }
    for table in info.phases() {
        for param in table.params() {
            let missing = matches!(args.get(param.name()), None | Some(Value::Null));
            let reported = errors.iter().any(|e| matches!(e, ArgError::Missing { name, .. } if name == param.name()));
            if param.kind() == ParamKind::Required && missing && !reported {
                errors.push(ArgError::Missing {
                    name: param.name().to_owned(),
                    place: format!("{}.{}", info.name(), table.phase().name()),
                    type_name: param.type_name().to_owned(),
                });
            }
        }
    }
    if errors.is_empty() { Ok(engine) } else { Err(ArgErrors::new(info.name(), errors)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Version;
    use serde_json::json;

    static SLEEP: TestInfo = TestInfo::new("sleeptest", Version::Int(1)).with_phases(&[
        PhaseTable::new(Phase::Initialize, &[Param::optional::<String>("mode", "Option<String>")]),
        PhaseTable::new(
            Phase::RunOnce,
            &[
                Param::required::<f64>("seconds", "f64"),
                Param::with_default::<u32>("count", "u32", "1").with_doc("how many"),
            ],
        ),
    ]);

    fn errors(args: Args) -> Vec<String> {
        match validate(&SLEEP, &args) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn valid_arguments_pass() {
        assert_eq!(errors(Args::new().with("seconds", 0.5)), Vec::<String>::new());
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("mode", Value::Null).with("count", 3)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_missing_and_wrong_types() {
        assert_eq!(
            errors(Args::new().with("secnds", 1)),
            [
                "Unknown parameter: secnds (did you mean `seconds`? sleeptest accepts: mode, seconds, count)",
                "missing required argument `seconds` for sleeptest.run_once (f64)"
            ]
        );
        assert_eq!(
            errors(Args::new().with("seconds", "abc")),
            ["`seconds` of sleeptest.run_once expects f64, got \"abc\""]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("count", -1)),
            ["`count` of sleeptest.run_once expects u32, got -1"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("bogus", 1)),
            ["Unknown parameter: bogus (sleeptest accepts: mode, seconds, count)"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", Value::Null)),
            ["missing required argument `seconds` for sleeptest.run_once (f64)"]
        );
        assert_eq!(
            errors(Args::new().with("seconds", 1).with("iteratons", 1))[0],
            "Unknown parameter: iteratons (did you mean `iterations`? sleeptest accepts: mode, seconds, count)"
        );
    }

    #[test]
    fn engine_arguments_are_checked() {
        let bad = errors(
            Args::new()
                .with("seconds", 1)
                .with("iterations", -1)
                .with("test_length", "x")
                .with("timeout", 0)
                .with("profile_only", 1)
                .with("tag", json!([1]))
                .with("test_attributes", 3)
                .with("constraints", json!(["x >"])),
        );
        assert_eq!(
            bad,
            [
                "`iterations` expects a non-negative integer, got -1",
                "`test_length` expects a non-negative number of seconds, got \"x\"",
                "`timeout` expects a positive number of seconds, got 0",
                "`profile_only` expects true or false, got 1",
                "`tag` expects a string, got [1]",
                "`test_attributes` expects an object of attributes, got 3",
                "could not parse constraint `x >`: expected a number, a name or `(`, found the end at column 4",
            ]
        );
        let engine = validate(
            &SLEEP,
            &Args::new().with("seconds", 1).with("constraints", "x > 1").with("tag", 7).with("iterations", 0),
        )
        .unwrap();
        assert_eq!(engine.constraints.len(), 1);
        assert_eq!(engine.tag.as_deref(), Some("7"));
        assert_eq!(engine.iterations, Some(0));
    }

    #[test]
    fn accepting_all_takes_unknown_names() {
        static ALL: TestInfo =
            TestInfo::new("all", Version::Int(1)).with_phases(&[PhaseTable::new(Phase::Cleanup, &[]).accepting_all()]);
        assert!(validate(&ALL, &Args::new().with("anything", 1)).is_ok());
        static NONE: TestInfo = TestInfo::new("none", Version::Int(1));
        let err = validate(&NONE, &Args::new().with("x", 1)).unwrap_err();
        assert_eq!(err.to_string(), "Unknown parameter: x (none takes no parameters)");
    }

    #[test]
    fn positional_arguments_get_autotests_message() {
        assert_eq!(
            Args::from_json(json!([1, 2])).unwrap_err().to_string(),
            "Unnamed arguments not accepted. Please call job.run_test with named args only"
        );
        assert_eq!(
            Args::from_json(json!(3)).unwrap_err().to_string(),
            "arguments must be an object of named values, got 3"
        );
        assert_eq!(Args::from_json(json!(null)).unwrap(), Args::new());
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let message = &errors(Args::new().with("seconds", long.as_str()))[0];
        assert!(message.len() < 200, "{message}");
        assert!(message.ends_with("..."), "{message}");
    }
}
