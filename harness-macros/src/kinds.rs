//! What the syntax tells about values: the kind of value a parameter's type takes,
//! the kind of an argument's expression, and a literal default as JSON. Used for
//! compile-time checks of `cargo_test(...)` arguments and for listing defaults.

use syn::{Expr, Lit, Type};

/// A `__private::ValueKind` variant name.
pub(crate) type Kind = &'static str;

fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(group) => last_ident(&group.elem),
        Type::Paren(paren) => last_ident(&paren.elem),
        _ => None,
    }
}

/// The kind of value `ty` deserializes from (`Any` when the syntax does not say).
pub(crate) fn type_kind(ty: &Type) -> Kind {
    if matches!(ty, Type::Array(_) | Type::Slice(_)) {
        return "Seq";
    }
    let Some(name) = last_ident(ty) else { return "Any" };
    match name.as_str() {
        "String" | "PathBuf" | "OsString" | "Cow" => "Str",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "Int",
        name if name.starts_with("NonZero") => "Int",
        "f32" | "f64" => "Float",
        "bool" => "Bool",
        "Vec" | "VecDeque" | "HashSet" | "BTreeSet" | "BinaryHeap" | "LinkedList" => "Seq",
        "HashMap" | "BTreeMap" | "IndexMap" => "Map",
        _ => "Any",
    }
}

/// A string literal, or a string literal turned into an owned string
/// (`"x".to_string()`, `"x".to_owned()`, `"x".into()`, `String::from("x")`).
fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(text) => Some(text.value()),
            _ => None,
        },
        Expr::Group(group) => string_literal(&group.expr),
        Expr::Paren(paren) => string_literal(&paren.expr),
        Expr::MethodCall(call)
            if call.args.is_empty()
                && matches!(call.method.to_string().as_str(), "to_string" | "to_owned" | "into") =>
        {
            string_literal(&call.receiver)
        }
        Expr::Call(call) if call.args.len() == 1 => {
            let Expr::Path(path) = &*call.func else { return None };
            let segments: Vec<String> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
            match segments.iter().rev().take(2).map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["from", "String" | "PathBuf" | "OsString"] => string_literal(&call.args[0]),
                _ => None,
            }
        }
        _ => None,
    }
}

/// How a kind reads in messages (as `ValueKind::describe`).
pub(crate) fn describe(kind: Kind) -> &'static str {
    match kind {
        "Str" => "a string",
        "Int" => "an integer",
        "Float" => "a float",
        "Bool" => "a bool",
        "Seq" => "a list",
        "Map" => "a map",
        _ => "a value",
    }
}

/// Whether `expr` is a plain string literal (it then converts into the
/// parameter's type with `Into`).
pub(crate) fn is_str_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(lit) => matches!(lit.lit, Lit::Str(_)),
        Expr::Group(group) => is_str_literal(&group.expr),
        _ => false,
    }
}

/// The value of an integer literal (`5`, `-5`, `0x10`), when `expr` is one.
pub(crate) fn int_literal(expr: &Expr) -> Option<i128> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => int.base10_parse::<i128>().ok(),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => int_literal(&unary.expr)?.checked_neg(),
        Expr::Group(group) => int_literal(&group.expr),
        Expr::Paren(paren) => int_literal(&paren.expr),
        _ => None,
    }
}

/// The kind of value `expr` is.
pub(crate) fn expr_kind(expr: &Expr) -> Kind {
    if string_literal(expr).is_some() {
        return "Str";
    }
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(_) => "Int",
            Lit::Float(_) => "Float",
            Lit::Bool(_) => "Bool",
            _ => "Any",
        },
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => match expr_kind(&unary.expr) {
            kind @ ("Int" | "Float") => kind,
            _ => "Any",
        },
        Expr::Group(group) => expr_kind(&group.expr),
        Expr::Paren(paren) => expr_kind(&paren.expr),
        Expr::Array(_) => "Seq",
        Expr::Macro(mac) if mac.mac.path.is_ident("vec") => "Seq",
        _ => "Any",
    }
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `expr` as JSON text, when it is a literal value (or a list of them).
pub(crate) fn json_value(expr: &Expr) -> Option<String> {
    if let Some(text) = string_literal(expr) {
        return Some(json_string(&text));
    }
    let list = |items: Vec<&Expr>| -> Option<String> {
        let items: Option<Vec<String>> = items.into_iter().map(json_value).collect();
        Some(format!("[{}]", items?.join(", ")))
    };
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(int) => Some(int.base10_digits().to_owned()),
            Lit::Float(float) => float.base10_parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| format!("{f:?}")),
            Lit::Bool(b) => Some(b.value.to_string()),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => {
            json_value(&unary.expr).filter(|v| v.starts_with(|c: char| c.is_ascii_digit())).map(|v| format!("-{v}"))
        }
        Expr::Group(group) => json_value(&group.expr),
        Expr::Paren(paren) => json_value(&paren.expr),
        Expr::Array(array) => list(array.elems.iter().collect()),
        Expr::Macro(mac) if mac.mac.path.is_ident("vec") => {
            let items = mac.mac.parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated);
            items.ok().and_then(|items| list(items.iter().collect()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn defaults_as_json() {
        let cases: [(Expr, Option<&str>); 11] = [
            (parse_quote!("/dev/loop0".to_string()), Some("\"/dev/loop0\"")),
            (parse_quote!("fast"), Some("\"fast\"")),
            (parse_quote!(String::from("a\"b")), Some("\"a\\\"b\"")),
            (parse_quote!(64), Some("64")),
            (parse_quote!(-3), Some("-3")),
            (parse_quote!(1.0), Some("1.0")),
            (parse_quote!(2.5e3), Some("2500.0")),
            (parse_quote!(true), Some("true")),
            (parse_quote!(vec![1, 2]), Some("[1, 2]")),
            (parse_quote!(["a", "b"]), Some("[\"a\", \"b\"]")),
            (parse_quote!(Mode::Fast), None),
        ];
        for (expr, json) in cases {
            assert_eq!(json_value(&expr).as_deref(), json, "{}", quote::quote!(#expr));
        }
    }

    #[test]
    fn kinds_of_types_and_values() {
        let types: [(Type, Kind); 7] = [
            (parse_quote!(String), "Str"),
            (parse_quote!(std::path::PathBuf), "Str"),
            (parse_quote!(u32), "Int"),
            (parse_quote!(f64), "Float"),
            (parse_quote!(Vec<u8>), "Seq"),
            (parse_quote!([u8; 4]), "Seq"),
            (parse_quote!(Mode), "Any"),
        ];
        for (ty, kind) in types {
            assert_eq!(type_kind(&ty), kind, "{}", quote::quote!(#ty));
        }
        let values: [(Expr, Kind); 6] = [
            (parse_quote!("x"), "Str"),
            (parse_quote!(4), "Int"),
            (parse_quote!(-4.5), "Float"),
            (parse_quote!(false), "Bool"),
            (parse_quote!(vec![1]), "Seq"),
            (parse_quote!(compute()), "Any"),
        ];
        for (expr, kind) in values {
            assert_eq!(expr_kind(&expr), kind, "{}", quote::quote!(#expr));
        }
    }
}
