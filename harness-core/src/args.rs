//! Named arguments ([`Args`]), and what can be wrong with them ([`ArgError`],
//! [`ArgErrors`]).

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::constraint::ConstraintError;

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

/// One problem with an argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ArgError {
    /// No phase declares the name and none takes every argument.
    #[error("Unknown parameter: {} ({})", crate::text::shown(name), accepted_text(test, accepted, suggestion.as_deref()))]
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
    #[error("`{}`{}{place} expects {expected}, got {got}", crate::text::shown(name), if place.is_empty() { "" } else { " of " })]
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
        expected: std::borrow::Cow<'static, str>,
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
    /// A value nested deeper than harness keeps (32 levels of lists and objects).
    #[error(
        "`{}` nests lists and objects more than 32 levels deep; harness keeps arguments at most 32 levels deep",
        crate::text::shown(name)
    )]
    TooDeep {
        /// The argument.
        name: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
