//! Which tests to run: a boolean expression over their names and attributes,
//! as `--select` and `HARNESS_SELECT` take it. Tast's attribute expressions
//! and nextest's filtersets are the models.
//!
//! ```text
//! expr    = or
//! or      = and { "||" and }
//! and     = not { "&&" not }
//! not     = "!" not | primary
//! primary = "(" expr ")" | "name(" PATTERN ")" | "attr(" PATTERN ")" | ATTR
//! ```
//!
//! `ATTR` is an attribute, bare (`disk`, `group:perf`) or quoted
//! (`"group:perf"`); it and the patterns may hold the globs `*`, `?` and
//! `[...]`. `name(...)` matches the name a test runs as (`disk_write.small`
//! for a variant).
//!
//! ```
//! use harness_core::select::Selection;
//!
//! let selection = Selection::parse("\"group:perf\" && !informational || name(disk_*)")?;
//! assert!(selection.matches("throughput", &["group:perf"]));
//! assert!(!selection.matches("throughput", &["group:perf", "informational"]));
//! assert!(selection.matches("disk_write.small", &[]));
//!
//! let err = Selection::parse("disk && (perf").unwrap_err();
//! assert_eq!(err.to_string(), "invalid selection: expected `)` at column 14\n  disk && (perf\n               ^");
//! # Ok::<(), harness_core::select::SelectError>(())
//! ```

use std::fmt;

/// The longest expression accepted (which also bounds how deep it nests).
const MAX_LEN: usize = 4096;

/// How deep parentheses and `!` may nest.
const MAX_DEPTH: usize = 64;

/// A parsed selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    text: String,
    expr: Expr,
}

/// A selection that does not parse: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SelectError {
    text: String,
    /// Byte offset of the problem in `text`.
    at: usize,
    message: String,
}

impl SelectError {
    /// The 1-based column (in characters) of the problem.
    #[must_use]
    pub fn column(&self) -> usize {
        self.text[..self.at].chars().count() + 1
    }

    /// What was expected, without the position.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SelectError {
    /// `invalid selection: <what> at column N`, then the expression and a
    /// caret under the column (control characters shown as spaces).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.text.chars().take(120).map(|c| if c.is_control() { ' ' } else { c }).collect();
        let column = self.column();
        write!(f, "invalid selection: {} at column {column}\n  {shown}", self.message)?;
        if column <= 121 {
            write!(f, "\n  {:>column$}", "^")?;
        }
        Ok(())
    }
}

/// The expression tree.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    /// A test with an attribute matching the pattern.
    Attr(Glob),
    /// A test whose name matches the pattern.
    Name(Glob),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A glob pattern, and the text it was written as.
#[derive(Debug, Clone)]
struct Glob {
    text: String,
    pattern: glob::Pattern,
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Glob {
    fn matches(&self, text: &str) -> bool {
        self.pattern.matches_with(text, glob::MatchOptions { require_literal_separator: false, ..Default::default() })
    }
}

impl Expr {
    fn matches(&self, name: &str, attrs: &[&str]) -> bool {
        match self {
            Expr::Attr(glob) => attrs.iter().any(|attr| glob.matches(attr)),
            Expr::Name(glob) => glob.matches(name),
            Expr::Not(inner) => !inner.matches(name, attrs),
            Expr::And(a, b) => a.matches(name, attrs) && b.matches(name, attrs),
            Expr::Or(a, b) => a.matches(name, attrs) || b.matches(name, attrs),
        }
    }
}

impl Selection {
    /// Parses a selection.
    ///
    /// # Errors
    ///
    /// [`SelectError`] naming the column and what was expected there.
    pub fn parse(text: &str) -> Result<Self, SelectError> {
        if text.len() > MAX_LEN {
            let at = text.char_indices().map(|(i, _)| i).take_while(|i| *i <= MAX_LEN).last().unwrap_or(0);
            return Err(SelectError {
                text: text.to_owned(),
                at,
                message: format!("selections are limited to {MAX_LEN} bytes"),
            });
        }
        let mut parser = Parser { text, at: 0, depth: 0 };
        let expr = parser.or()?;
        parser.skip_space();
        if parser.at < text.len() {
            return Err(parser.error("expected `&&`, `||` or the end"));
        }
        Ok(Selection { text: text.to_owned(), expr })
    }

    /// A selection of one name pattern (`disk_*`, `sleeptest`).
    ///
    /// # Errors
    ///
    /// [`SelectError`] for a pattern that is not a glob.
    pub fn name(pattern: &str) -> Result<Self, SelectError> {
        let glob = glob_at(pattern, pattern, 0)?;
        Ok(Selection { text: format!("name({pattern})"), expr: Expr::Name(glob) })
    }

    /// Whether a test called `name` with attributes `attrs` is selected.
    #[must_use]
    pub fn matches(&self, name: &str, attrs: &[&str]) -> bool {
        self.expr.matches(name, attrs)
    }

    /// The expression as given.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Selection {
    type Err = SelectError;

    fn from_str(text: &str) -> Result<Self, SelectError> {
        Selection::parse(text)
    }
}

fn glob_at(source: &str, pattern: &str, at: usize) -> Result<Glob, SelectError> {
    glob::Pattern::new(pattern).map(|compiled| Glob { text: pattern.to_owned(), pattern: compiled }).map_err(|e| {
        // `pos` counts characters; a quoted pattern may be shorter than its source.
        let within = pattern.char_indices().nth(e.pos).map_or(pattern.len(), |(byte, _)| byte);
        let mut at = (at + within).min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        SelectError { text: source.to_owned(), at, message: format!("bad pattern: {}", e.msg) }
    })
}

/// Characters of a bare attribute or a pattern inside `name(...)`/`attr(...)`.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || "_-.:/*?[]!".contains(c)
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SelectError {
        SelectError { text: self.text.to_owned(), at: self.at, message: message.to_owned() }
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn nest(&mut self) -> Result<(), SelectError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, SelectError> {
        let mut expr = self.and()?;
        while self.eat("||") {
            expr = Expr::Or(Box::new(expr), Box::new(self.and()?));
        }
        Ok(expr)
    }

    fn and(&mut self) -> Result<Expr, SelectError> {
        let mut expr = self.not()?;
        while self.eat("&&") {
            expr = Expr::And(Box::new(expr), Box::new(self.not()?));
        }
        Ok(expr)
    }

    fn not(&mut self) -> Result<Expr, SelectError> {
        if self.eat("!") {
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SelectError> {
        self.skip_space();
        if self.eat("(") {
            self.nest()?;
            let inner = self.or()?;
            self.depth -= 1;
            if !self.eat(")") {
                self.skip_space();
                return Err(self.error("expected `)`"));
            }
            return Ok(inner);
        }
        if self.rest().starts_with('"') {
            let (text, start) = self.quoted()?;
            return Ok(Expr::Attr(glob_at(self.text, &text, start)?));
        }
        let start = self.at;
        let word: String = self.rest().chars().take_while(|c| word_char(*c)).collect();
        if word.is_empty() {
            let message = if self.rest().is_empty() {
                "expected an attribute, `name(...)`, `attr(...)`, `!` or `(`, found the end"
            } else {
                "expected an attribute, `name(...)`, `attr(...)`, `!` or `(`"
            };
            return Err(self.error(message));
        }
        self.at += word.len();
        if (word == "name" || word == "attr") && self.rest().starts_with('(') {
            self.at += 1;
            self.skip_space();
            let (pattern, pattern_at) = if self.rest().starts_with('"') {
                self.quoted()?
            } else {
                let at = self.at;
                let pattern: String = self.rest().chars().take_while(|c| word_char(*c)).collect();
                self.at += pattern.len();
                (pattern, at)
            };
            if pattern.is_empty() {
                return Err(self.error(&format!("expected a pattern in `{word}(...)`")));
            }
            if !self.eat(")") {
                self.skip_space();
                return Err(self.error(&format!("expected `)` after the pattern of `{word}(...)`")));
            }
            let glob = glob_at(self.text, &pattern, pattern_at)?;
            return Ok(if word == "name" { Expr::Name(glob) } else { Expr::Attr(glob) });
        }
        Ok(Expr::Attr(glob_at(self.text, &word, start)?))
    }

    /// A `"..."` string (`\"` and `\\` escaped), and where its text starts.
    fn quoted(&mut self) -> Result<(String, usize), SelectError> {
        let open = self.at;
        self.at += 1;
        let start = self.at;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok((out, start));
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.at = open;
        Err(self.error("this string is not closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn error(text: &str) -> String {
        Selection::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn precedence_and_forms() {
        let s = Selection::parse("a || b && !c").unwrap();
        assert!(s.matches("t", &["a", "c"]));
        assert!(s.matches("t", &["b"]));
        assert!(!s.matches("t", &["b", "c"]));
        let s = Selection::parse("(a || b) && !c").unwrap();
        assert!(!s.matches("t", &["a", "c"]));
        let s = Selection::parse("name(disk_*) || attr(\"group:*\")").unwrap();
        assert!(s.matches("disk_write.small", &[]));
        assert!(s.matches("x", &["group:perf"]));
        assert!(!s.matches("x", &["perf"]));
        assert!(Selection::parse("  \"group:perf\"  ").unwrap().matches("x", &["group:perf"]));
        assert!(Selection::parse("name").unwrap().matches("x", &["name"]), "a bare `name` is an attribute");
        assert!(Selection::name("sleep*").unwrap().matches("sleeptest", &[]));
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(
            error("disk &&"),
            "invalid selection: expected an attribute, `name(...)`, `attr(...)`, `!` or `(`, found the end at column 8\n  disk &&\n         ^"
        );
        assert_eq!(error("a b"), "invalid selection: expected `&&`, `||` or the end at column 3\n  a b\n    ^");
        assert_eq!(
            error("name(x"),
            "invalid selection: expected `)` after the pattern of `name(...)` at column 7\n  name(x\n        ^"
        );
        assert_eq!(error("\"open"), "invalid selection: this string is not closed at column 1\n  \"open\n  ^");
        assert_eq!(error("a & b"), "invalid selection: expected `&&`, `||` or the end at column 3\n  a & b\n    ^");
        assert!(error("name([)").starts_with("invalid selection: bad pattern:"));
        // The pattern's error position counts characters, not bytes.
        let wide = Selection::parse("name(éß𠈝[)").unwrap_err();
        assert_eq!(wide.column(), 9, "{wide}");
        let quoted = Selection::parse("\"é\\\"𠈝[\"").unwrap_err();
        assert!(quoted.column() <= 8, "{quoted}");
        assert!(error(&"(".repeat(100)).contains("nested more than 64 deep"));
        assert!(error(&"a".repeat(5000)).contains("limited to 4096 bytes"));
    }
}
