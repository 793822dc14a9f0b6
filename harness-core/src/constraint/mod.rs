//! Perf constraints: a small, safe expression language over an iteration's perf keys.
//!
//! autotest `eval`s constraint strings as Python. harness parses them: numbers,
//! names, `+ - * /`, comparisons (chained as in Python: `1 < x < 5`), `and`, `or`,
//! `not`, `True`, `False` and parentheses. Nothing is ever executed, and a
//! constraint that does not parse is refused before any test runs.
//!
//! ```
//! use harness_core::constraint::Constraint;
//! use std::collections::HashMap;
//!
//! let c = Constraint::parse("throughput > 10 and latency_ms < 2 * 5")?;
//! let perf = HashMap::from([("throughput".to_owned(), 12.0), ("latency_ms".to_owned(), 3.0)]);
//! assert_eq!(c.check(&perf), None);
//!
//! let slow = HashMap::from([("throughput".to_owned(), 5.0), ("latency_ms".to_owned(), 3.0)]);
//! assert_eq!(c.check(&slow).unwrap(), "throughput > 10 and latency_ms < 2 * 5: constraint was not met");
//!
//! let missing = Constraint::parse("bogus_name > 1")?;
//! assert_eq!(missing.check(&slow).unwrap(), "could not evaluate constraint: bogus_name > 1");
//!
//! let err = Constraint::parse("x >").unwrap_err();
//! assert_eq!(err.to_string(), "could not parse constraint `x >`: expected a number, a name or `(`, found the end at column 4");
//! # Ok::<(), harness_core::constraint::ConstraintError>(())
//! ```

mod error;
mod parsed;
mod syntax;

pub use error::ConstraintError;
pub use parsed::Constraint;
