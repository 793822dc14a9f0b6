//! The constraint language's lexer, parser and evaluator: text to tokens to an
//! expression tree, and the tree evaluated with Python's rules.

use super::error::ConstraintError;

/// How deep parentheses, `not` and unary signs may nest.
pub(super) const MAX_DEPTH: usize = 64;

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
pub(super) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
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
pub(super) enum Value {
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

    pub(super) fn truthy(self) -> bool {
        match self {
            Value::Number(n) => n != 0.0,
            Value::Bool(b) => b,
        }
    }
}

/// Why a constraint could not be evaluated (a missing name, a division by zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EvalError;

struct Lexer<'a> {
    text: &'a str,
    tokens: Vec<(Token, usize)>,
}

pub(super) fn error(text: &str, byte: usize, message: impl Into<String>) -> ConstraintError {
    ConstraintError::at(text, byte, message)
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
                let name = &self.text[start..end];
                if name != "baseline" || self.peek() != Token::Open {
                    return Ok(Expr::Name(name.to_owned()));
                }
                // `baseline(metric)`: the metric's value in the baseline run, a
                // name like any other for the evaluator.
                self.advance();
                let Token::Name(start, end) = self.peek() else { return self.fail("a perf key name") };
                self.advance();
                if self.peek() != Token::Close {
                    return self.fail("`)`");
                }
                self.advance();
                Ok(Expr::Name(format!("baseline({})", &self.text[start..end])))
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
    pub(super) fn eval(&self, env: &dyn Fn(&str) -> Option<f64>) -> Result<Value, EvalError> {
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

/// Parses a whole constraint into its expression.
pub(super) fn parse(text: &str) -> Result<Expr, ConstraintError> {
    let tokens = Lexer::run(text)?;
    let mut parser = Parser { text, tokens, pos: 0, depth: 0 };
    let expr = parser.or()?;
    if parser.peek() != Token::End {
        return parser.fail("an operator or the end");
    }
    Ok(expr)
}
