//! Python's `repr()` of JSON values and floats, as autotest writes them into keyvals
//! (`param-a_list=[1, 'two', 3.0]`, `param-a_big_float=1e+16`).

use std::fmt::Write as _;

use serde_json::Value;

/// Python's `repr(float)`: the shortest digits that round-trip, fixed notation for
/// exponents in `-4..16`, otherwise `d.ddde+XX`; integral values keep `.0`.
pub(crate) fn float_repr(value: f64) -> String {
    let mut out = String::with_capacity(24);
    write_float_repr(&mut out, value);
    out
}

/// [`float_repr`] appended to `out`, without allocating.
pub(crate) fn write_float_repr(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("nan");
        return;
    }
    if value.is_infinite() {
        out.push_str(if value > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // Whole numbers below 1e15 are exact as integers: "42.0", as Python prints them.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        if value == 0.0 && value.is_sign_negative() {
            out.push('-');
        }
        #[allow(clippy::cast_possible_truncation, reason = "whole numbers below 1e15 fit in i64 exactly")]
        let whole = value as i64;
        out.push_str(itoa::Buffer::new().format(whole));
        out.push_str(".0");
        return;
    }
    // Short decimals ("1.5", "12.25", "0.125") are exact from an integer: with the
    // fewest decimals k for which round(v * 10^k) / 10^k gives v back, that string
    // round-trips, and below 1e9 no other k-digit decimal does (10^-k is wider than
    // the float's spacing), so it is the shortest repr.
    if (1e-4..1e9).contains(&value.abs()) {
        for (decimals, scale) in [(1, 10.0), (2, 100.0), (3, 1000.0)] {
            let scaled = (value * scale).round();
            if scaled / scale == value {
                #[allow(clippy::cast_possible_truncation, reason = "below 1e12, exact in i64")]
                let scaled = scaled as i64;
                let magnitude = scaled.unsigned_abs();
                let unit = 10u64.pow(decimals);
                if value < 0.0 {
                    out.push('-');
                }
                let mut digits = itoa::Buffer::new();
                out.push_str(digits.format(magnitude / unit));
                out.push('.');
                let fraction = digits.format(magnitude % unit);
                out.extend(std::iter::repeat_n('0', decimals as usize - fraction.len()));
                out.push_str(fraction);
                return;
            }
        }
    }
    // ryu gives the shortest round-trip digits in its own layout ("1e16",
    // "0.0001", "10.0", "-1.5e-7"); take the digits and the exponent, and lay them
    // out as Python does.
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    // ryu writes plain decimals exactly as Python does ("12.5", "10.0", "0.001",
    // "-0.0"), except below 1e-4, where Python switches to an exponent.
    if !text.contains('e') && (value == 0.0 || value.abs() >= 1e-4) {
        out.push_str(text);
        return;
    }
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = [0u8; 40];
    let mut count = 0;
    for byte in whole.bytes().chain(fraction.bytes()) {
        if count < digits.len() {
            digits[count] = byte;
            count += 1;
        }
    }
    let leading = digits[..count].iter().take_while(|d| **d == b'0').count();
    if negative {
        out.push('-');
    }
    if leading == count {
        out.push_str("0.0");
        return;
    }
    let significant = &digits[leading..count];
    let trailing = significant.iter().rev().take_while(|d| **d == b'0').count();
    let significant = std::str::from_utf8(&significant[..significant.len() - trailing]).unwrap_or("0");
    #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation, reason = "at most 40 digits")]
    let exponent = whole.len() as i32 - leading as i32 - 1 + exponent;
    lay_out(out, significant, exponent);
}

/// Python's layout of `digits` × 10^`exponent` (the first digit's place).
fn lay_out(out: &mut String, digits: &str, exponent: i32) {
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(digits);
        } else {
            let point = point.unsigned_abs() as usize;
            if digits.len() <= point {
                out.push_str(digits);
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
            (100.5, "100.5"),
            (1e-4 + 1e-20, "0.00010000000000000002"),
            (0.00012, "0.00012"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
            (1e22, "1e+22"),
            (-2.5e-7, "-2.5e-07"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (f64::from_bits(4_832_693_105_371_000_749), "1208576207457259.2"),
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

    /// Bit patterns and what Python 3.11's `repr` printed for them.
    #[test]
    fn random_floats_match_python() {
        let cases: [(u64, &str); 48] = [
            (0x6513270e269e0d37, "7.761117632285041e+178"),
            (0xc0211a409ee4c4d8, "-8.551274266649145"),
            (0xe8e25d940ed90475, "-1.7160537630466207e+197"),
            (0xc235897b3cd79a5f, "-92500868311.60301"),
            (0x1738f7d93d9c1724, "8.350439972224182e-197"),
            (0xc021a2b55adda11a, "-8.817789878420218"),
            (0x4371f386243e6b34, "8.084531301310138e+16"),
            (0xc2005268bbca37b0, "-8762759033.277191"),
            (0x0becd7b03898d190, "3.147219420523724e-251"),
            (0xc23114e59ea7add2, "-73365036711.67899"),
            (0x922766581e27a1c0, "-3.2367190832119987e-221"),
            (0xae97ba94d0eda82f, "-3.0536383926309363e-84"),
            (0x923a736994e3bf91, "-7.317495976062606e-221"),
            (0xbfd05546fe70eca4, "-0.25520491454853755"),
            (0x42815173ec95789c, "2380191863471.076"),
            (0xc16b9f105bb74015, "-14481538.866119424"),
            (0x7403e430ec66a787, "7.120838469404787e+250"),
            (0xcb5c74273f98e277, "-1.0901301243108798e+55"),
            (0x3e7d1bfbc7a2ea20, "1.084406323928777e-07"),
            (0x867347214cdd2055, "-1.3593855381697515e-277"),
            (0xbabced2057ee05cd, "-9.346583470705478e-26"),
            (0xfaecbd389be4bcfc, "-1.3354873312811948e+284"),
            (0x6b0a18e8830e07bc, "4.189310710358099e+207"),
            (0x26e875555790f82e, "2.9599107635242675e-121"),
            (0xc373b1f85f195939, "-8.869927780807976e+16"),
            (0x436cf03ae62a81af, "6.5163480865705336e+16"),
            (0x418e5c4c63c9a73f, "63670668.47346353"),
            (0x4245f8e20c7104bb, "188739754210.03696"),
            (0xf1d69ed617f5e837, "-2.3567736845445426e+240"),
            (0xaa05e11ab2715945, "-2.981159638324064e-106"),
            (0xb394fb36bb2d420f, "-3.2641743650562687e-60"),
            (0xfe3b890b93f448b3, "-1.1525135242434574e+300"),
            (0xc1d03347c3bed1fb, "-1087184654.9815662"),
            (0xc374c2abc04b4a9c, "-9.349667928910483e+16"),
            (0xc366e613205149bb, "-5.156335446879791e+16"),
            (0xc05f88f78b274b33, "-126.1401088603714"),
            (0xc0f2193f4a1f4ea7, "-74131.95559626316"),
            (0xdf1582b0eab477d2, "-1.100192313608194e+150"),
            (0x72fdf2022a96fb1a, "8.178728811144149e+245"),
            (0xe22571594720771f, "-6.174026694114651e+164"),
            (0xdd2e16096e36aab0, "-7.16561744613332e+140"),
            (0x41b89aba4afe3581, "412793418.9930039"),
            (0xc0d759ef5b522e14, "-23911.739948792456"),
            (0x26bb7dbd2d1c9af0, "4.1586747791282524e-122"),
            (0x0316909e3bbbe9ea, "8.832790543982714e-294"),
            (0x2eae05cf96d0cc5f, "7.7271785554382585e-84"),
            (0x254b0c4e010c4759, "4.877621251706118e-129"),
            (0x9c1caaf75e8766ed, "-2.8977267740353203e-173"),
        ];
        for (bits, expected) in cases {
            assert_eq!(float_repr(f64::from_bits(bits)), expected, "{bits:#x}");
        }
    }

    /// The layout from Rust's own `{:e}` digits: slower, and independent of ryu.
    fn reference_repr(value: f64) -> String {
        let sci = format!("{value:e}");
        let (mantissa, exponent) = sci.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |rest| ("-", rest));
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let mut out = sign.to_owned();
        if digits.bytes().all(|d| d == b'0') {
            out.push_str("0.0");
        } else {
            lay_out(&mut out, &digits, exponent);
        }
        out
    }

    /// Our text reads back as the same float, with as few characters as the
    /// reference. (On an exact tie between two shortest strings, Python and ryu
    /// round half to even and Rust's formatter does not, so the text itself may
    /// differ; `random_floats_match_python` pins Python's choices.)
    fn same_as_reference(value: f64) -> Result<(), proptest::test_runner::TestCaseError> {
        let ours = float_repr(value);
        let reference = reference_repr(value);
        proptest::prop_assert_eq!(
            ours.parse::<f64>().map(f64::to_bits),
            Ok(value.to_bits()),
            "{} for {:e}",
            ours,
            value
        );
        proptest::prop_assert_eq!(ours.len(), reference.len(), "{} vs {}", ours, reference);
        proptest::prop_assert_eq!(ours.contains('e'), reference.contains('e'));
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn short_decimals_match_rusts_own(whole in -1_000_000_000i64..1_000_000_000, fraction in 0u32..1000, decimals in 1u32..4) {
            let scale = 10f64.powi(i32::try_from(decimals).unwrap());
            #[allow(clippy::cast_precision_loss, reason = "test values")]
            let value = whole as f64 + f64::from(fraction % 10u32.pow(decimals)) / scale;
            same_as_reference(value)?;
            same_as_reference(-value)?;
        }

        #[test]
        fn ryu_digits_match_rusts_own(bits in proptest::num::u64::ANY) {
            let value = f64::from_bits(bits);
            proptest::prop_assume!(value.is_finite());
            same_as_reference(value)?;
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
