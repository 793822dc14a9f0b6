//! [`ConstraintError`]: constraint text that does not parse, with where.

/// A constraint that does not parse: the text, the column (1-based, in
/// characters) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("could not parse constraint `{constraint}`: {message} at column {column}")]
pub struct ConstraintError {
    constraint: String,
    column: usize,
    message: String,
}

impl ConstraintError {
    /// The error of `text`, which stopped parsing at `byte`.
    pub(super) fn at(text: &str, byte: usize, message: impl Into<String>) -> Self {
        // Long input is shortened so that an error message stays readable.
        let constraint = match text.char_indices().nth(100) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_owned(),
        };
        ConstraintError {
            constraint,
            column: text[..byte.min(text.len())].chars().count() + 1,
            message: message.into(),
        }
    }

    /// The constraint as given (its first 100 characters and `...` when longer).
    #[must_use]
    pub fn constraint(&self) -> &str {
        &self.constraint
    }

    /// The 1-based column (in characters) where parsing stopped.
    #[must_use]
    pub fn column(&self) -> usize {
        self.column
    }
}
