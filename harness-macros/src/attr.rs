//! The arguments of `#[autotest(...)]` on a struct, parsed into plain values with
//! their spans. Every problem is collected; parsing goes on after an error.

use proc_macro2::TokenStream;
use syn::parse::{Parse as _, ParseStream, Parser as _};
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Ident, Lit, LitInt, LitStr, Token};

use crate::errors::Errors;

/// The valid arguments, for the "unknown argument" message.
pub(crate) const ARGUMENTS: [&str; 17] = [
    "name",
    "version",
    "preserve_srcdir",
    "postprocess_profiled_run",
    "network_destabilizing",
    "parallel",
    "cargo_test",
    "attrs",
    "contacts",
    "data",
    "timeout",
    "retries",
    "warmup_iterations",
    "warmup_time",
    "cpus",
    "requires",
    "variants",
];

/// The kinds of `requires(...)`, for the "unknown requirement" message.
const REQUIREMENTS: [&str; 7] =
    ["file(\"PATH\")", "command(\"NAME\")", "root", "env(\"VAR\")", "cpus(N)", "memory_gb(N)", "fn(path::to::check)"];

/// A test's version: an integer or a string literal.
pub(crate) enum VersionAttr {
    Int(LitInt),
    Str(LitStr),
}

/// `cargo_test` or `cargo_test(name = value, ...)`.
pub(crate) struct CargoTest {
    pub(crate) args: Vec<(Ident, Expr)>,
}

/// One entry of `requires(...)`.
pub(crate) enum RequireAttr {
    File(LitStr),
    Command(LitStr),
    Root,
    Env(LitStr),
    Cpus(LitInt),
    MemoryGb(LitInt),
    Check(syn::Path),
}

/// One entry of `variants(...)`: `small(block_kb = 4)`.
pub(crate) struct VariantAttr {
    pub(crate) name: Ident,
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
    /// Runs beside other tests: no machine-wide lock.
    pub(crate) parallel: bool,
    pub(crate) cargo_test: Option<CargoTest>,
    pub(crate) attrs: Vec<LitStr>,
    pub(crate) contacts: Vec<LitStr>,
    /// Files and directories the test reads, relative to its crate.
    pub(crate) data: Vec<LitStr>,
    /// Seconds, as an `f64` literal.
    pub(crate) timeout: Option<syn::LitFloat>,
    /// Retries of an iteration that fails with `fail_retry`.
    pub(crate) retries: Option<syn::LitInt>,
    /// Iterations run first and thrown away, as a `u64` literal.
    pub(crate) warmup_iterations: Option<syn::LitInt>,
    /// Seconds of warm-up, as an `f64` literal.
    pub(crate) warmup_time: Option<syn::LitFloat>,
    /// The CPUs the test runs on, as written (`"0-3,6"`).
    pub(crate) cpus: Option<LitStr>,
    pub(crate) requires: Vec<RequireAttr>,
    pub(crate) variants: Vec<VariantAttr>,
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
        "preserve_srcdir" | "postprocess_profiled_run" | "network_destabilizing" | "parallel" => {
            if input.peek(Token![=]) || input.peek(syn::token::Paren) {
                errors.at(ident.span(), format!("`{key}` is a flag and takes no value: write `{key}`"));
                skip_value(input)?;
            }
            match key.as_str() {
                "preserve_srcdir" => attrs.preserve_srcdir = true,
                "postprocess_profiled_run" => attrs.postprocess_profiled_run = true,
                "parallel" => attrs.parallel = true,
                _ => attrs.network_destabilizing = true,
            }
        }
        "cargo_test" => {
            let mut cargo_test = CargoTest { args: Vec::new() };
            if input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in input);
                cargo_test.args = assignments(&content, "cargo_test", errors)?;
            } else if input.peek(Token![=]) {
                errors.at(ident.span(), "`cargo_test` takes arguments in parentheses: `cargo_test(seconds = 0.1)`");
                skip_value(input)?;
            }
            attrs.cargo_test = Some(cargo_test);
        }
        "attrs" | "contacts" | "data" => {
            let Some(content) = list(ident, input, errors, "(\"group:perf\", \"disk\")")? else { return Ok(()) };
            let mut items: Vec<LitStr> = Vec::new();
            for item in content.parse_terminated(Expr::parse, Token![,])? {
                match literal(&item) {
                    Some(Lit::Str(text)) => {
                        let value = text.value();
                        let problem = match key.as_str() {
                            "attrs" => bad_attr(&value),
                            "data" => bad_data(&value),
                            _ => bad_contact(&value),
                        };
                        if let Some(problem) = problem {
                            errors.spanned(&item, format!("`{key}` entry {value:?} {problem}"));
                        } else if items.iter().any(|known| known.value() == value) {
                            errors.spanned(&item, format!("duplicate `{key}` entry {value:?}"));
                        } else {
                            items.push(text.clone());
                        }
                    }
                    _ => errors.spanned(&item, format!("`{key}` takes string literals: `{key}(\"...\", \"...\")`")),
                }
            }
            match key.as_str() {
                "attrs" => attrs.attrs = items,
                "data" => attrs.data = items,
                _ => attrs.contacts = items,
            }
        }
        "timeout" => {
            if !input.peek(Token![=]) {
                errors.at(ident.span(), "`timeout` needs a value in seconds: `timeout = 120`");
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            let seconds = match literal(&value) {
                Some(Lit::Int(int)) => int.base10_parse::<u64>().ok().map(|s| s as f64),
                Some(Lit::Float(float)) => float.base10_parse::<f64>().ok(),
                _ => None,
            };
            match seconds {
                Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                    attrs.timeout = Some(syn::LitFloat::new(&format!("{seconds:?}f64"), value.span()));
                }
                _ => errors.spanned(&value, "`timeout` must be a positive number of seconds: `timeout = 120`"),
            }
        }
        "retries" => {
            if !input.peek(Token![=]) {
                errors.at(ident.span(), "`retries` needs a number: `retries = 2`");
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            match literal(&value).and_then(|lit| match lit {
                Lit::Int(int) => int.base10_parse::<u32>().ok(),
                _ => None,
            }) {
                Some(retries) => attrs.retries = Some(syn::LitInt::new(&format!("{retries}u32"), value.span())),
                None => errors.spanned(&value, "`retries` must be a whole number from 0 to 4294967295: `retries = 2`"),
            }
        }
        "warmup_iterations" => {
            if !input.peek(Token![=]) {
                errors.at(ident.span(), "`warmup_iterations` needs a number: `warmup_iterations = 2`");
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            match literal(&value).and_then(|lit| match lit {
                Lit::Int(int) => int.base10_parse::<u64>().ok(),
                _ => None,
            }) {
                Some(n) => attrs.warmup_iterations = Some(syn::LitInt::new(&format!("{n}u64"), value.span())),
                None => errors.spanned(&value, "`warmup_iterations` must be a whole number: `warmup_iterations = 2`"),
            }
        }
        "warmup_time" => {
            if !input.peek(Token![=]) {
                errors.at(ident.span(), "`warmup_time` needs a value in seconds: `warmup_time = 0.5`");
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            let seconds = match literal(&value) {
                Some(Lit::Int(int)) => int.base10_parse::<u64>().ok().map(|s| s as f64),
                Some(Lit::Float(float)) => float.base10_parse::<f64>().ok(),
                _ => None,
            };
            match seconds {
                Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                    attrs.warmup_time = Some(syn::LitFloat::new(&format!("{seconds:?}f64"), value.span()));
                }
                _ => errors.spanned(&value, "`warmup_time` must be a number of seconds: `warmup_time = 0.5`"),
            }
        }
        "cpus" => {
            if !input.peek(Token![=]) {
                errors.at(ident.span(), "`cpus` needs a CPU list: `cpus = \"0-3\"`");
                return skip_value(input);
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            match literal(&value) {
                Some(Lit::Str(text))
                    if !text.value().is_empty()
                        && text.value().chars().all(|c| c.is_ascii_digit() || c == ',' || c == '-' || c == ' ') =>
                {
                    attrs.cpus = Some(text.clone());
                }
                _ => errors.spanned(&value, "`cpus` takes a CPU list as a string: `cpus = \"0-3,6\"`"),
            }
        }
        "requires" => {
            let Some(content) = list(ident, input, errors, "(file(\"/dev/kvm\"), cpus(4))")? else { return Ok(()) };
            while !content.is_empty() {
                if let Some(requirement) = requirement(&content, errors)? {
                    attrs.requires.push(requirement);
                }
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
        }
        "variants" => {
            let Some(content) = list(ident, input, errors, "(small(block_kb = 4), large(block_kb = 1024))")? else {
                return Ok(());
            };
            while !content.is_empty() {
                let name: Ident = content.call(syn::ext::IdentExt::parse_any)?;
                let args = if content.peek(syn::token::Paren) {
                    let inner;
                    syn::parenthesized!(inner in content);
                    assignments(&inner, &format!("variants({name}(...))"), errors)?
                } else {
                    Vec::new()
                };
                if attrs.variants.iter().any(|v| v.name == name) {
                    errors.at(name.span(), format!("duplicate variant `{name}`"));
                } else {
                    attrs.variants.push(VariantAttr { name, args });
                }
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
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

/// `name = value, ...` inside the parentheses of `what`, each name once.
fn assignments(content: ParseStream<'_>, what: &str, errors: &mut Errors) -> syn::Result<Vec<(Ident, Expr)>> {
    let mut args: Vec<(Ident, Expr)> = Vec::new();
    while !content.is_empty() {
        let name: Ident = content.call(syn::ext::IdentExt::parse_any)?;
        content.parse::<Token![=]>()?;
        let value: Expr = content.parse()?;
        if args.iter().any(|(n, _)| *n == name) {
            errors.at(name.span(), format!("duplicate `{what}` argument `{name}`"));
        } else {
            args.push((name, value));
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(args)
}

/// The parenthesized list after `ident`, or an error saying how to write it.
fn list<'a>(
    ident: &Ident,
    input: ParseStream<'a>,
    errors: &mut Errors,
    example: &str,
) -> syn::Result<Option<syn::parse::ParseBuffer<'a>>> {
    if !input.peek(syn::token::Paren) {
        errors.at(ident.span(), format!("`{ident}` takes a list in parentheses: `{ident}{example}`"));
        skip_value(input)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in input);
    Ok(Some(content))
}

/// Why an attribute string cannot be one: `--select` must be able to name it.
fn bad_attr(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if !value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c)) {
        Some("may hold only letters, digits and `_-.:/`")
    } else {
        None
    }
}

/// Why a contact cannot be one: it is written in the test keyval, comma-separated.
/// What is wrong with a `data` path: it must name something inside the
/// crate (relative, no `..`), as a bundle packs it.
fn bad_data(value: &str) -> Option<&'static str> {
    let path = std::path::Path::new(value);
    if value.trim().is_empty() {
        Some("is empty")
    } else if path.is_absolute() {
        Some("is absolute; give it relative to the crate (`tests/data/pattern.bin`)")
    } else if path.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)) {
        Some("may not leave the crate (`..`)")
    } else if value.chars().any(char::is_control) {
        Some("may not hold a control character")
    } else {
        None
    }
}

fn bad_contact(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("is empty")
    } else if value.chars().any(|c| c.is_control() || c == ',') {
        Some("may not hold a comma or a control character")
    } else {
        None
    }
}

/// One entry of `requires(...)`.
fn requirement(content: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Option<RequireAttr>> {
    let kind: Ident = content.call(syn::ext::IdentExt::parse_any)?;
    let name = kind.to_string();
    if name == "root" {
        return Ok(Some(RequireAttr::Root));
    }
    let known = ["file", "command", "env", "cpus", "memory_gb", "fn"];
    if !known.contains(&name.as_str()) || !content.peek(syn::token::Paren) {
        let message = if known.contains(&name.as_str()) {
            format!("`{name}` takes its argument in parentheses; requirements are {}", REQUIREMENTS.join(", "))
        } else {
            format!("unknown requirement `{name}`; expected one of {}", REQUIREMENTS.join(", "))
        };
        errors.at(kind.span(), message);
        skip_value(content)?;
        return Ok(None);
    }
    let inner;
    syn::parenthesized!(inner in content);
    if name == "fn" {
        return Ok(Some(RequireAttr::Check(inner.parse()?)));
    }
    let value: Expr = inner.parse()?;
    let requirement = match (name.as_str(), literal(&value)) {
        ("file", Some(Lit::Str(text))) if !text.value().is_empty() => RequireAttr::File(text.clone()),
        ("command", Some(Lit::Str(text))) if !text.value().is_empty() => RequireAttr::Command(text.clone()),
        ("env", Some(Lit::Str(text))) if !text.value().is_empty() => RequireAttr::Env(text.clone()),
        ("cpus", Some(Lit::Int(int))) if int.base10_parse::<u32>().is_ok_and(|n| n > 0) => {
            RequireAttr::Cpus(int.clone())
        }
        ("memory_gb", Some(Lit::Int(int))) if int.base10_parse::<u32>().is_ok_and(|n| n > 0) => {
            RequireAttr::MemoryGb(int.clone())
        }
        ("file" | "command" | "env", _) => {
            errors.spanned(&value, format!("`{name}` takes a non-empty string literal: `{name}(\"...\")`"));
            return Ok(None);
        }
        _ => {
            errors.spanned(&value, format!("`{name}` takes a positive integer literal: `{name}(4)`"));
            return Ok(None);
        }
    };
    Ok(Some(requirement))
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
