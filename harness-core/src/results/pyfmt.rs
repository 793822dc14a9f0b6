//! Python's `repr()` of JSON values and floats, as autotest writes them into keyvals
//! (`param-a_list=[1, 'two', 3.0]`, `param-a_big_float=1e+16`).

use std::fmt::Write as _;

use serde_json::Value;

/// Python's `repr(float)`: the shortest digits that round-trip, fixed notation for
/// exponents in `-4..16`, otherwise `d.ddde+XX`; integral values keep `.0`.
pub(crate) fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // `{:e}` gives Rust's shortest round-trip digits: "1.2345e-7", "1e16", "-0e0".
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if digits.len() <= point {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', point - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.unsigned_abs());
    }
    out
}

/// Python's `repr(str)`: single quotes unless the text holds a `'` and no `"`;
/// backslashes, the quote, `\t`, `\n`, `\r` and other control characters escaped.
pub(crate) fn str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let code = u32::from(c);
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of the value a JSON document decodes to: `None`, `True`,
/// `1`, `0.1`, `'text'`, `[1, 'two']`, `{'k': 'v'}`.
pub(crate) fn value_repr(value: &Value) -> String {
    let mut out = String::new();
    write_value_repr(&mut out, value);
    out
}

fn write_value_repr(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                let _ = write!(out, "{int}");
            } else if let Some(int) = number.as_u64() {
                let _ = write!(out, "{int}");
            } else {
                out.push_str(&float_repr(number.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::String(text) => out.push_str(&str_repr(text)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&str_repr(key));
                out.push_str(": ");
                write_value_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// Python's `str()` of a decoded JSON value: strings bare, everything else as `repr`.
pub(crate) fn value_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => value_repr(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_python_repr() {
        let cases = [
            (0.1, "0.1"),
            (10.0, "10.0"),
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.5, "-0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (6284572591505.0, "6284572591505.0"),
            (1234567890123456.0, "1234567890123456.0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1.5e-300, "1.5e-300"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_repr(value), expected, "{value:e}");
        }
    }

    #[test]
    fn strings_pick_quotes_as_python_does() {
        assert_eq!(str_repr("fail"), "'fail'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("say \"hi\""), "'say \"hi\"'");
        assert_eq!(str_repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(str_repr("tab\tnl\nback\\nul\0"), "'tab\\tnl\\nback\\\\nul\\x00'");
        assert_eq!(str_repr("é"), "'é'");
    }

    #[test]
    fn values_match_the_conformance_keyval() {
        assert_eq!(value_repr(&json!([1, "two", 3.0])), "[1, 'two', 3.0]");
        assert_eq!(value_repr(&json!({"k": "v"})), "{'k': 'v'}");
        assert_eq!(value_repr(&json!(null)), "None");
        assert_eq!(value_repr(&json!(true)), "True");
        assert_eq!(value_repr(&json!(-5)), "-5");
        assert_eq!(value_repr(&json!(1e16)), "1e+16");
        assert_eq!(value_repr(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(value_str(&json!("me")), "me");
        assert_eq!(value_str(&json!(0.1)), "0.1");
    }
}
