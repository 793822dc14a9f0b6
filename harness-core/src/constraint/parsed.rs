//! [`Constraint`]: parsed from its text, checked against an iteration's perf keys.

use std::collections::HashMap;
use std::fmt;

use super::error::ConstraintError;
use super::syntax::{Expr, Value, error};

/// The longest constraint accepted, which also bounds how deep evaluation recurses.
const MAX_LEN: usize = 4096;

/// A parsed constraint, ready to be checked against each iteration's perf keyvals.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    text: String,
    expr: Expr,
}

impl Constraint {
    /// Parses a constraint.
    ///
    /// # Errors
    ///
    /// [`ConstraintError`] naming the column and what was expected there.
    pub fn parse(text: &str) -> Result<Self, ConstraintError> {
        if text.len() > MAX_LEN {
            let at = text.char_indices().nth(MAX_LEN).map_or(text.len(), |(i, _)| i);
            return Err(error(text, at.min(MAX_LEN), format!("constraints are limited to {MAX_LEN} bytes")));
        }
        Ok(Constraint { text: text.to_owned(), expr: super::syntax::parse(text)? })
    }

    /// The constraint as written.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The perf keys the constraint reads, each once, in the order written.
    ///
    /// ```
    /// let c = harness_core::constraint::Constraint::parse("read > 0.9 * write and write > 10").unwrap();
    /// assert_eq!(c.names().collect::<Vec<_>>(), ["read", "write"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        fn walk<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
            match expr {
                Expr::Number(_) | Expr::Bool(_) => {}
                Expr::Name(name) => {
                    if !out.contains(&name.as_str()) {
                        out.push(name);
                    }
                }
                Expr::Neg(e) | Expr::Pos(e) | Expr::Not(e) => walk(e, out),
                Expr::Arith(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Compare(first, rest) => {
                    walk(first, out);
                    for (_, e) in rest {
                        walk(e, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.expr, &mut out);
        out.into_iter()
    }

    /// Evaluates the constraint with names looked up in `env`: `Some(true)` when it
    /// holds, `Some(false)` when not, `None` when it cannot be evaluated (a name
    /// `env` does not know, a division by zero).
    #[must_use]
    pub fn evaluate(&self, env: &dyn Fn(&str) -> Option<f64>) -> Option<bool> {
        self.expr.eval(env).ok().map(Value::truthy)
    }

    /// Checks the constraint against an iteration's perf keyvals; `None` when it
    /// holds, else autotest's message: `<c>: constraint was not met` or
    /// `could not evaluate constraint: <c>`.
    #[must_use]
    pub fn check(&self, perf: &HashMap<String, f64>) -> Option<String> {
        match self.evaluate(&|name| perf.get(name).copied()) {
            Some(true) => None,
            Some(false) => Some(format!("{}: constraint was not met", self.text)),
            None => Some(format!("could not evaluate constraint: {}", self.text)),
        }
    }
}

/// A constraint travels as its text (to a test's child process): the text
/// is what it was parsed from, and parses again to the same constraint.
impl serde::Serialize for Constraint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Constraint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Constraint::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax::MAX_DEPTH;
    use super::*;

    fn eval(text: &str, vars: &[(&str, f64)]) -> Option<bool> {
        let env: HashMap<String, f64> = vars.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        Constraint::parse(text).unwrap().evaluate(&|n| env.get(n).copied())
    }

    #[test]
    fn python_semantics() {
        let x = [("x", 5.0), ("y", 0.0)];
        let cases = [
            ("x > 1", Some(true)),
            ("x > 10", Some(false)),
            ("1 < x < 10", Some(true)),
            ("1 < x < 3", Some(false)),
            ("10 < x < z", Some(false)),
            ("-x * 2 == -10", Some(true)),
            ("x - 1 - 1 == 3", Some(true)),
            ("x / 2 == 2.5", Some(true)),
            ("2 + 3 * 4 == 14", Some(true)),
            ("(2 + 3) * 4 == 20", Some(true)),
            ("not x > 10", Some(true)),
            ("not not x", Some(true)),
            ("y", Some(false)),
            ("x", Some(true)),
            ("x > 1 and y == 0", Some(true)),
            ("x > 10 or y == 0", Some(true)),
            ("x > 10 and bogus", Some(false)),
            ("x > 1 or bogus", Some(true)),
            ("True + 1 == 2", Some(true)),
            ("False", Some(false)),
            ("1e3 > .5e1", Some(true)),
            ("1. == 1", Some(true)),
            ("bogus > 1", None),
            ("x / y > 1", None),
            ("x > 1 and bogus", None),
            ("+x == 5", Some(true)),
        ];
        for (text, expected) in cases {
            assert_eq!(eval(text, &x), expected, "{text}");
        }
    }

    #[test]
    fn autotest_messages() {
        let perf = HashMap::from([("throughput".to_owned(), 5.0)]);
        let c = |t: &str| Constraint::parse(t).unwrap().check(&perf);
        assert_eq!(c("throughput > 10").unwrap(), "throughput > 10: constraint was not met");
        assert_eq!(c("throughput < 100"), None);
        assert_eq!(c("bogus_name > 1").unwrap(), "could not evaluate constraint: bogus_name > 1");
    }

    #[test]
    fn parse_errors_name_the_column() {
        let cases = [
            ("", "expected a number, a name or `(`, found the end at column 1"),
            ("x >", "expected a number, a name or `(`, found the end at column 4"),
            ("(x > 1", "expected `)`, found the end at column 7"),
            ("x > 1)", "expected an operator or the end, found `)` at column 6"),
            ("x y", "expected an operator or the end, found `y` at column 3"),
            ("x = 1", "`=` is not a comparison; use `==` at column 3"),
            ("x ** 2", "`**` is not supported in constraints at column 3"),
            ("x // 2", "`//` is not supported in constraints; use `/` at column 3"),
            ("__import__('os')", "unexpected character '\\'' at column 12"),
            ("x if y else z", "`if` is not supported in constraints at column 3"),
            ("x % 2", "unexpected character '%' at column 3"),
            ("1e > 2", "invalid exponent in number at column 2"),
            ("1x > 2", "invalid number `1x` at column 1"),
            ("é > 1", "unexpected character 'é' at column 1"),
            ("x > !1", "unexpected `!`; use `not` or `!=` at column 5"),
            ("a.b > 1", "unexpected `.` at column 2"),
        ];
        for (text, message) in cases {
            let err = Constraint::parse(text).unwrap_err();
            assert_eq!(err.to_string(), format!("could not parse constraint `{text}`: {message}"), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}x{}", "(".repeat(2_000), ")".repeat(2_000));
        let err = Constraint::parse(&deep).unwrap_err();
        assert_eq!(err.column(), MAX_DEPTH + 1);
        assert!(
            err.to_string().ends_with(&format!("nested deeper than {MAX_DEPTH} levels at column {}", MAX_DEPTH + 1))
        );
        assert!(
            Constraint::parse(&"not ".repeat(1_000)).unwrap_err().to_string().contains("nested deeper than 64 levels")
        );
        assert!(
            Constraint::parse(&"-".repeat(4_000)).unwrap_err().to_string().contains("nested deeper than 64 levels")
        );
        let fine = format!("{}x{} > 1", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Constraint::parse(&fine).is_ok());
        let long = "x + ".repeat(2000) + "x > 1";
        assert!(
            Constraint::parse(&long)
                .unwrap_err()
                .to_string()
                .ends_with("constraints are limited to 4096 bytes at column 4097")
        );
    }
}
