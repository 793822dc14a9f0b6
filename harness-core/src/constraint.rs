//! Perf constraints: a small, safe expression language over an iteration's perf keys.
//!
//! autotest `eval`s constraint strings as Python. harness parses them: numbers,
//! names, `+ - * /`, comparisons (chained as in Python: `1 < x < 5`), `and`, `or`,
//! `not`, `True`, `False` and parentheses. Nothing is ever executed, and a
//! constraint that does not parse is refused before any test runs.
//!
//! ```
//! use harness_core::Constraint;
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
//! # Ok::<(), harness_core::ConstraintError>(())
//! ```

use std::collections::HashMap;
use std::fmt;

/// How deep parentheses, `not` and unary signs may nest.
const MAX_DEPTH: usize = 64;

/// The longest constraint accepted, which also bounds how deep evaluation recurses.
const MAX_LEN: usize = 4096;

/// A parsed constraint, ready to be checked against each iteration's perf keyvals.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    text: String,
    expr: Expr,
}

/// A constraint that does not parse: the text, the column (1-based, in
/// characters) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not parse constraint `{constraint}`: {message} at column {column}")]
pub struct ConstraintError {
    constraint: String,
    column: usize,
    message: String,
}

impl ConstraintError {
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Number(f64),
    Name(usize, usize),
    True,
    False,
    And,
    Or,
    Not,
    Plus,
    Minus,
    Star,
    Slash,
    Cmp(CmpOp),
    Open,
    Close,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Bool(bool),
    Name(String),
    Neg(Box<Expr>),
    Pos(Box<Expr>),
    Not(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `a < b <= c`: each comparison against the previous operand, all must hold.
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A Python value as constraints produce them: numbers and booleans.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Number(f64),
    Bool(bool),
}

impl Value {
    fn number(self) -> f64 {
        match self {
            Value::Number(n) => n,
            Value::Bool(b) => f64::from(u8::from(b)),
        }
    }

    fn truthy(self) -> bool {
        match self {
            Value::Number(n) => n != 0.0,
            Value::Bool(b) => b,
        }
    }
}

/// Why a constraint could not be evaluated (a missing name, a division by zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EvalError;

struct Lexer<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
}

fn error(text: &str, byte: usize, message: impl Into<String>) -> ConstraintError {
    // Long input is shortened so that an error message stays readable.
    let constraint = match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    };
    ConstraintError { constraint, column: text[..byte.min(text.len())].chars().count() + 1, message: message.into() }
}

impl<'a> Lexer<'a> {
    fn run(text: &'a str) -> Result<Vec<(Token, usize)>, ConstraintError> {
        let mut lexer = Lexer { text, tokens: Vec::new() };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            let token = match c {
                b' ' | b'\t' => {
                    i += 1;
                    continue;
                }
                b'0'..=b'9' | b'.' => {
                    i = lexer.number_end(i)?;
                    let literal = &text[start..i];
                    let value = literal
                        .parse::<f64>()
                        .map_err(|_| error(text, start, format!("invalid number `{literal}`")))?;
                    Token::Number(value)
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                        i += 1;
                    }
                    match &text[start..i] {
                        "and" => Token::And,
                        "or" => Token::Or,
                        "not" => Token::Not,
                        "True" => Token::True,
                        "False" => Token::False,
                        word if is_python_keyword(word) => {
                            return Err(error(text, start, format!("`{word}` is not supported in constraints")));
                        }
                        _ => Token::Name(start, i),
                    }
                }
                b'+' | b'-' | b'/' | b'(' | b')' => {
                    i += 1;
                    match c {
                        b'+' => Token::Plus,
                        b'-' => Token::Minus,
                        b'/' if bytes.get(i) == Some(&b'/') => {
                            return Err(error(text, start, "`//` is not supported in constraints; use `/`"));
                        }
                        b'/' => Token::Slash,
                        b'(' => Token::Open,
                        _ => Token::Close,
                    }
                }
                b'*' => {
                    if bytes.get(i + 1) == Some(&b'*') {
                        return Err(error(text, start, "`**` is not supported in constraints"));
                    }
                    i += 1;
                    Token::Star
                }
                b'<' | b'>' | b'=' | b'!' => {
                    let two = bytes.get(i + 1) == Some(&b'=');
                    let op = match (c, two) {
                        (b'<', false) => CmpOp::Lt,
                        (b'<', true) => CmpOp::Le,
                        (b'>', false) => CmpOp::Gt,
                        (b'>', true) => CmpOp::Ge,
                        (b'=', true) => CmpOp::Eq,
                        (b'!', true) => CmpOp::Ne,
                        (b'=', false) => return Err(error(text, start, "`=` is not a comparison; use `==`")),
                        _ => return Err(error(text, start, "unexpected `!`; use `not` or `!=`")),
                    };
                    i += if two { 2 } else { 1 };
                    Token::Cmp(op)
                }
                _ => {
                    let found = text[start..].chars().next().unwrap_or('?');
                    return Err(error(text, start, format!("unexpected character {found:?}")));
                }
            };
            lexer.tokens.push((token, start));
        }
        lexer.tokens.push((Token::End, text.len()));
        Ok(lexer.tokens)
    }

    /// The end of a Python float literal starting at `i`: `12`, `1.5`, `.5`, `1.`, `1e-3`.
    fn number_end(&self, mut i: usize) -> Result<usize, ConstraintError> {
        let bytes = self.text.as_bytes();
        let start = i;
        let digits = |mut i: usize| {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        i = digits(i);
        if i < bytes.len() && bytes[i] == b'.' {
            i = digits(i + 1);
        }
        if i == start + 1 && bytes[start] == b'.' {
            return Err(error(self.text, start, "unexpected `.`"));
        }
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            let mut j = i + 1;
            if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                j += 1;
            }
            let end = digits(j);
            if end == j {
                return Err(error(self.text, i, "invalid exponent in number"));
            }
            i = end;
        }
        if i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            return Err(error(self.text, start, format!("invalid number `{}`", &self.text[start..=i])));
        }
        Ok(i)
    }
}

fn is_python_keyword(word: &str) -> bool {
    matches!(
        word,
        "None"
            | "as"
            | "assert"
            | "async"
            | "await"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.tokens[self.pos].0
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if token != Token::End {
            self.pos += 1;
        }
        token
    }

    fn fail<T>(&self, expected: &str) -> Result<T, ConstraintError> {
        let (token, at) = self.tokens[self.pos];
        let found = match token {
            Token::End => "the end".to_owned(),
            _ => {
                let next = self.tokens.get(self.pos + 1).map_or(self.text.len(), |t| t.1);
                format!("`{}`", self.text[at..next].trim_end())
            }
        };
        Err(error(self.text, at, format!("expected {expected}, found {found}")))
    }

    fn nest(&mut self) -> Result<(), ConstraintError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // Point at the token that opened one level too many.
            let at = self.tokens[self.pos.saturating_sub(1)].1;
            return Err(error(self.text, at, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ConstraintError> {
        let mut left = self.and()?;
        while self.peek() == Token::Or {
            self.advance();
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ConstraintError> {
        let mut left = self.not()?;
        while self.peek() == Token::And {
            self.advance();
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ConstraintError> {
        if self.peek() == Token::Not {
            self.advance();
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ConstraintError> {
        let first = self.sum()?;
        let mut rest = Vec::new();
        while let Token::Cmp(op) = self.peek() {
            self.advance();
            rest.push((op, self.sum()?));
        }
        Ok(if rest.is_empty() { first } else { Expr::Compare(Box::new(first), rest) })
    }

    fn sum(&mut self) -> Result<Expr, ConstraintError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Token::Plus => ArithOp::Add,
                Token::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.advance();
            left = Expr::Arith(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, ConstraintError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Token::Star => ArithOp::Mul,
                Token::Slash => ArithOp::Div,
                _ => return Ok(left),
            };
            self.advance();
            left = Expr::Arith(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ConstraintError> {
        let wrap: fn(Box<Expr>) -> Expr = match self.peek() {
            Token::Minus => Expr::Neg,
            Token::Plus => Expr::Pos,
            _ => return self.atom(),
        };
        self.advance();
        self.nest()?;
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(wrap(Box::new(inner)))
    }

    fn atom(&mut self) -> Result<Expr, ConstraintError> {
        match self.peek() {
            Token::Number(value) => {
                self.advance();
                Ok(Expr::Number(value))
            }
            Token::True | Token::False => Ok(Expr::Bool(self.advance() == Token::True)),
            Token::Name(start, end) => {
                self.advance();
                Ok(Expr::Name(self.text[start..end].to_owned()))
            }
            Token::Open => {
                self.advance();
                self.nest()?;
                let inner = self.or()?;
                self.depth -= 1;
                if self.peek() != Token::Close {
                    return self.fail("`)`");
                }
                self.advance();
                Ok(inner)
            }
            _ => self.fail("a number, a name or `(`"),
        }
    }
}

impl Expr {
    fn eval(&self, env: &dyn Fn(&str) -> Option<f64>) -> Result<Value, EvalError> {
        Ok(match self {
            Expr::Number(n) => Value::Number(*n),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Name(name) => Value::Number(env(name).ok_or(EvalError)?),
            Expr::Neg(inner) => Value::Number(-inner.eval(env)?.number()),
            Expr::Pos(inner) => Value::Number(inner.eval(env)?.number()),
            Expr::Not(inner) => Value::Bool(!inner.eval(env)?.truthy()),
            Expr::Arith(op, left, right) => {
                let (a, b) = (left.eval(env)?.number(), right.eval(env)?.number());
                Value::Number(match op {
                    ArithOp::Add => a + b,
                    ArithOp::Sub => a - b,
                    ArithOp::Mul => a * b,
                    ArithOp::Div if b == 0.0 => return Err(EvalError),
                    ArithOp::Div => a / b,
                })
            }
            Expr::Compare(first, rest) => {
                let mut left = first.eval(env)?.number();
                for (op, operand) in rest {
                    let right = operand.eval(env)?.number();
                    let holds = match op {
                        CmpOp::Lt => left < right,
                        CmpOp::Le => left <= right,
                        CmpOp::Gt => left > right,
                        CmpOp::Ge => left >= right,
                        CmpOp::Eq => left == right,
                        CmpOp::Ne => left != right,
                    };
                    if !holds {
                        return Ok(Value::Bool(false));
                    }
                    left = right;
                }
                Value::Bool(true)
            }
            // Python's `and`/`or` return an operand and skip the right one when they can.
            Expr::And(left, right) => {
                let left = left.eval(env)?;
                if left.truthy() { right.eval(env)? } else { left }
            }
            Expr::Or(left, right) => {
                let left = left.eval(env)?;
                if left.truthy() { left } else { right.eval(env)? }
            }
        })
    }
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
        let tokens = Lexer::run(text)?;
        let mut parser = Parser { text, tokens, pos: 0, depth: 0 };
        let expr = parser.or()?;
        if parser.peek() != Token::End {
            return parser.fail("an operator or the end");
        }
        Ok(Constraint { text: text.to_owned(), expr })
    }

    /// The constraint as written.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The perf keys the constraint reads, each once, in the order written.
    ///
    /// ```
    /// let c = harness_core::Constraint::parse("read > 0.9 * write and write > 10").unwrap();
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

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
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
