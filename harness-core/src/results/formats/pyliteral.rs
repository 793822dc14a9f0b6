//! Reading back what [`super::pyfmt::value_repr`] writes: the Python literals
//! of a test keyval's `param-<name>` lines (`None`, `True`, `3`, `0.25`,
//! `'text'`, `[1, 'two']`, `{'k': 'v'}`), as JSON values, so a run rebuilt from
//! its files knows the arguments it was given.

use serde_json::{Map, Number, Value};

/// The deepest nesting read; deeper text is refused (`None`), never a crash.
const MAX_DEPTH: usize = 64;

/// The JSON value of a Python literal as `value_repr` writes it, or `None`
/// when `text` is not one (or nests deeper than 64).
pub(crate) fn parse_literal(text: &str) -> Option<Value> {
    let mut parser = Parser { rest: text.trim(), depth: 0 };
    let value = parser.value()?;
    parser.rest.trim_start().is_empty().then_some(value)
}

struct Parser<'a> {
    rest: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    fn eat(&mut self, prefix: &str) -> bool {
        self.skip_spaces();
        match self.rest.strip_prefix(prefix) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_spaces();
        for (word, value) in [("None", Value::Null), ("True", Value::Bool(true)), ("False", Value::Bool(false))] {
            if self.eat(word) {
                return Some(value);
            }
        }
        match self.rest.chars().next()? {
            '[' => self.nested(|p| p.list()),
            '{' => self.nested(|p| p.dict()),
            '\'' | '"' => self.string().map(Value::String),
            _ => self.number(),
        }
    }

    fn nested(&mut self, read: impl FnOnce(&mut Self) -> Option<Value>) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn list(&mut self) -> Option<Value> {
        self.eat("[");
        let mut items = Vec::new();
        if self.eat("]") {
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat("]") {
                return Some(Value::Array(items));
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn dict(&mut self) -> Option<Value> {
        self.eat("{");
        let mut map = Map::new();
        if self.eat("}") {
            return Some(Value::Object(map));
        }
        loop {
            self.skip_spaces();
            let key = self.string()?;
            if !self.eat(":") {
                return None;
            }
            map.insert(key, self.value()?);
            if self.eat("}") {
                return Some(Value::Object(map));
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    /// A quoted string with the escapes `str_repr` writes.
    fn string(&mut self) -> Option<String> {
        let mut chars = self.rest.char_indices();
        let (_, quote) = chars.next().filter(|(_, q)| matches!(q, '\'' | '"'))?;
        let mut out = String::new();
        while let Some((at, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.rest = &self.rest[at + c.len_utf8()..];
                    return Some(out);
                }
                '\\' => {
                    let (_, escape) = chars.next()?;
                    let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<char> {
                        let digits: String = (0..n).map(|_| chars.next().map(|(_, d)| d)).collect::<Option<_>>()?;
                        char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
                    };
                    out.push(match escape {
                        '\\' | '\'' | '"' => escape,
                        't' => '\t',
                        'n' => '\n',
                        'r' => '\r',
                        'x' => hex(&mut chars, 2)?,
                        'u' => hex(&mut chars, 4)?,
                        'U' => hex(&mut chars, 8)?,
                        _ => return None,
                    });
                }
                c => out.push(c),
            }
        }
        None
    }

    /// An integer (`-3`), or a float as Python prints one (`0.25`, `1e+16`, `-inf`).
    fn number(&mut self) -> Option<Value> {
        let end = self.rest.find([',', ']', '}', ':', ' ']).unwrap_or(self.rest.len());
        let (text, rest) = self.rest.split_at(end);
        self.rest = rest;
        if let Ok(int) = text.parse::<i64>() {
            return Some(Value::Number(int.into()));
        }
        if let Ok(int) = text.parse::<u64>() {
            return Some(Value::Number(int.into()));
        }
        let float = text.parse::<f64>().ok().filter(|_| text.bytes().all(|b| b"0123456789.e+-".contains(&b)))?;
        Number::from_f64(float).map(Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::results::formats::pyfmt::value_repr;

    #[test]
    fn what_value_repr_writes_reads_back() {
        for value in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-12),
            json!(u64::MAX),
            json!(0.25),
            json!(1e16),
            json!(-1e-5),
            json!(10.0),
            json!(""),
            json!("it's \"quoted\"\t\\ \n\r\u{1}\u{85}é\u{1F600}"),
            json!([1, "two", 3.0, [], {}]),
            json!({"k": "v", "n": [null, {"deep": [true]}]}),
        ] {
            assert_eq!(parse_literal(&value_repr(&value)), Some(value.clone()), "{}", value_repr(&value));
        }
    }

    #[test]
    fn what_is_not_a_literal_is_refused() {
        for text in ["", "none", "[1,", "{'k' 1}", "'open", "1 2", "0x10", "__import__('os')", "'\\q'"] {
            assert_eq!(parse_literal(text), None, "{text}");
        }
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(parse_literal(&deep), None);
        let fine = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse_literal(&fine).is_some());
    }
}
