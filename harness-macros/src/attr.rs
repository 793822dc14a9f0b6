//! The arguments of `#[autotest(...)]` on a struct, parsed into plain values with
//! their spans. Every problem is collected; parsing goes on after an error.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser as _};
use syn::{Expr, ExprLit, Ident, Lit, LitInt, LitStr, Token};

use crate::errors::Errors;

/// The valid arguments, for the "unknown argument" message.
pub(crate) const ARGUMENTS: [&str; 6] =
    ["name", "version", "preserve_srcdir", "postprocess_profiled_run", "network_destabilizing", "cargo_test"];

/// A test's version: an integer or a string literal.
pub(crate) enum VersionAttr {
    Int(LitInt),
    Str(LitStr),
}

/// `cargo_test` or `cargo_test(name = value, ...)`.
pub(crate) struct CargoTest {
    pub(crate) args: Vec<(Ident, Expr)>,
}

/// The parsed `#[autotest(...)]` of a struct.
#[derive(Default)]
pub(crate) struct TestAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) version: Option<VersionAttr>,
    /// `version = ...` was written, valid or not (so a bad one is one error).
    pub(crate) version_given: bool,
    pub(crate) preserve_srcdir: bool,
    pub(crate) postprocess_profiled_run: bool,
    pub(crate) network_destabilizing: bool,
    pub(crate) cargo_test: Option<CargoTest>,
}

/// Skips what follows an argument name (`= value` or `(...)`), so parsing can
/// continue after an unknown or duplicate argument.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

/// Parses the struct attribute's arguments, recording every problem in `errors`.
pub(crate) fn parse_test_attrs(args: TokenStream, errors: &mut Errors) -> TestAttrs {
    let mut attrs = TestAttrs::default();
    let mut seen: Vec<String> = Vec::new();
    let parser = |input: ParseStream<'_>| -> syn::Result<()> {
        while !input.is_empty() {
            let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let key = ident.to_string();
            if seen.contains(&key) && ARGUMENTS.contains(&key.as_str()) {
                errors.at(ident.span(), format!("duplicate `#[autotest]` argument `{key}`"));
                skip_value(input)?;
            } else {
                seen.push(key.clone());
                parse_argument(&ident, input, &mut attrs, errors)?;
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    attrs
}

fn parse_argument(
    ident: &Ident,
    input: ParseStream<'_>,
    attrs: &mut TestAttrs,
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = ident.to_string();
    match key.as_str() {
        "name" | "version" => {
            attrs.version_given |= key == "version";
            if !input.peek(Token![=]) {
                errors.at(ident.span(), format!("`{key}` needs a value: `{key} = ...`"));
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            match (key.as_str(), literal(&value)) {
                ("name", Some(Lit::Str(name))) => attrs.name = Some(name.clone()),
                ("name", _) => errors.spanned(&value, "`name` must be a string literal: `name = \"sleeptest\"`"),
                (_, Some(Lit::Int(int))) => attrs.version = Some(VersionAttr::Int(int.clone())),
                (_, Some(Lit::Str(text))) => attrs.version = Some(VersionAttr::Str(text.clone())),
                _ => errors.spanned(
                    &value,
                    "`version` must be an integer or a string literal: `version = 1` or `version = \"2.0\"`",
                ),
            }
        }
        "preserve_srcdir" | "postprocess_profiled_run" | "network_destabilizing" => {
            if input.peek(Token![=]) || input.peek(syn::token::Paren) {
                errors.at(ident.span(), format!("`{key}` is a flag and takes no value: write `{key}`"));
                skip_value(input)?;
            }
            match key.as_str() {
                "preserve_srcdir" => attrs.preserve_srcdir = true,
                "postprocess_profiled_run" => attrs.postprocess_profiled_run = true,
                _ => attrs.network_destabilizing = true,
            }
        }
        "cargo_test" => {
            let mut cargo_test = CargoTest { args: Vec::new() };
            if input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in input);
                while !content.is_empty() {
                    let name: Ident = content.call(syn::ext::IdentExt::parse_any)?;
                    content.parse::<Token![=]>()?;
                    let value: Expr = content.parse()?;
                    if cargo_test.args.iter().any(|(n, _)| *n == name) {
                        errors.at(name.span(), format!("duplicate `cargo_test` argument `{name}`"));
                    } else {
                        cargo_test.args.push((name, value));
                    }
                    if content.is_empty() {
                        break;
                    }
                    content.parse::<Token![,]>()?;
                }
            } else if input.peek(Token![=]) {
                errors.at(ident.span(), "`cargo_test` takes arguments in parentheses: `cargo_test(seconds = 0.1)`");
                skip_value(input)?;
            }
            attrs.cargo_test = Some(cargo_test);
        }
        _ => {
            let valid: Vec<String> = ARGUMENTS.iter().map(|a| format!("`{a}`")).collect();
            errors.at(
                ident.span(),
                format!("unknown `#[autotest]` argument `{key}`; expected one of {}", valid.join(", ")),
            );
            skip_value(input)?;
        }
    }
    Ok(())
}

/// A struct name in snake case: `SleepTest` -> `sleep_test`, `HTTPLoad` -> `http_load`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (previous.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> (TestAttrs, Vec<String>) {
        let mut errors = Errors::default();
        let attrs = parse_test_attrs(tokens, &mut errors);
        let messages = match errors.into_compile_errors().to_string() {
            text if text.is_empty() => Vec::new(),
            text => text.split("compile_error !").skip(1).map(|m| m.trim().to_owned()).collect(),
        };
        (attrs, messages)
    }

    #[test]
    fn all_arguments() {
        let (attrs, errors) = parse(quote!(
            name = "sleeptest",
            version = "2.0",
            preserve_srcdir,
            postprocess_profiled_run,
            network_destabilizing,
            cargo_test(seconds = 0.5, iterations = 2)
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.name.unwrap().value(), "sleeptest");
        assert!(matches!(attrs.version, Some(VersionAttr::Str(v)) if v.value() == "2.0"));
        assert!(attrs.preserve_srcdir && attrs.postprocess_profiled_run && attrs.network_destabilizing);
        let names: Vec<String> = attrs.cargo_test.unwrap().args.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(names, ["seconds", "iterations"]);
    }

    #[test]
    fn every_error_is_reported() {
        let (attrs, errors) =
            parse(quote!(version = 1, bogus = 3, version = 2, name = 5, preserve_srcdir = true, cargo_test));
        assert!(matches!(attrs.version, Some(VersionAttr::Int(_))));
        assert!(attrs.cargo_test.is_some());
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].contains("unknown `#[autotest]` argument `bogus`; expected one of `name`, `version`"));
        assert!(errors[1].contains("duplicate `#[autotest]` argument `version`"));
        assert!(errors[2].contains("`name` must be a string literal"));
        assert!(errors[3].contains("`preserve_srcdir` is a flag"));
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("SleepTest"), "sleep_test");
        assert_eq!(snake_case("HTTPLoad"), "http_load");
        assert_eq!(snake_case("Fio2Test"), "fio2_test");
        assert_eq!(snake_case("plain"), "plain");
        assert_eq!(snake_case("dummy_Pass"), "dummy_pass");
    }
}
