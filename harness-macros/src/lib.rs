//! `#[autotest]`, the attribute of [harness-core](https://docs.rs/harness-core).
//! Depend on `harness-core`, which re-exports it; nothing here is meant to be
//! named directly.
//!
//! On a struct, `#[autotest(name = "...", version = ..., preserve_srcdir,
//! postprocess_profiled_run, network_destabilizing, cargo_test(arg = value, ...))]`
//! says what the test is and registers it. On the struct's inherent impl,
//! `#[autotest]` turns the methods named after phases into compile-time
//! parameter tables and a dispatcher that gives each phase exactly its own
//! arguments. Every mistake is a compile error on the smallest span.

//!
//! Each half goes through the same steps, in this order: `attr` parses the
//! struct attribute, `model` builds the test from the syntax tree, `valid`
//! checks the finished model, and `expand` writes its tokens (or, when
//! anything was wrong, `fallback` writes the errors and a stand-in). An impl's
//! function bodies never go through `syn` (`bodies`).

mod attr;
mod bodies;
mod errors;
mod expand;
mod fallback;
mod kinds;
mod model;
mod paths;
mod valid;

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned as _;
use syn::{Item, ItemImpl, ItemStruct};

use crate::errors::Errors;

/// Declares an autotest-style test (on a struct) and its phases (on the
/// struct's inherent impl). See harness-core's documentation.
#[proc_macro_attribute]
pub fn autotest(args: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    autotest_on(args.into(), item.into()).into()
}

/// `#[autotest(...)]` on anything: a struct (the test) or its inherent impl (the
/// phases). An impl is parsed without its function bodies, which go back into
/// the expansion as they came (see `bodies`).
fn autotest_on(args: TokenStream, input: TokenStream) -> TokenStream {
    if let Some((light, bodies)) = bodies::take(&input)
        && let Ok(Item::Impl(item)) = syn::parse2::<Item>(light)
        && item.trait_.is_none()
        && let Some(out) = bodies::put_back(test_impl(args.clone(), &item), bodies)
    {
        return out;
    }
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        // The compiler reports the syntax error itself.
        Err(_) => return input,
    };
    let misplaced = |span: Span, what: &str| {
        let error = syn::Error::new(
            span,
            format!("`#[autotest]` goes on a struct (the test) and on its inherent `impl` (the phases), not on {what}"),
        );
        let mut out = error.to_compile_error();
        out.extend(input.clone());
        out
    };
    match item {
        Item::Struct(item) => test_struct(args, &item),
        Item::Impl(item) if item.trait_.is_none() => test_impl(args, &item),
        Item::Impl(item) => {
            let span = item.trait_.as_ref().map_or_else(Span::call_site, |(path, _)| path.span());
            misplaced(span, "a trait impl")
        }
        Item::Enum(item) => misplaced(item.enum_token.span, "an enum"),
        Item::Fn(item) => misplaced(
            item.sig.ident.span(),
            "a function; write the test as a struct whose impl has a `run_once` method",
        ),
        Item::Trait(item) => misplaced(item.ident.span(), "a trait"),
        other => misplaced(other.span(), "this item"),
    }
}

/// The struct: parse, model, check, expand.
fn test_struct(args: TokenStream, item: &ItemStruct) -> TokenStream {
    let mut errors = Errors::default();
    let model = model::test_struct(args, item, &mut errors);
    valid::test_struct(&model, &mut errors);
    if !errors.is_empty() {
        return fallback::test_struct(item, errors);
    }
    expand::test_struct(&model)
}

/// The impl: model, check, expand.
fn test_impl(args: TokenStream, item: &ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors
            .spanned(&args, "`#[autotest]` on an impl takes no arguments; put them on the struct's `#[autotest(...)]`");
    }
    let model = model::test_impl(item, &mut errors);
    valid::test_impl(&model, &mut errors);
    let stripped = model::strip_markers(item);
    if !errors.is_empty() {
        return fallback::test_impl(&stripped, errors);
    }
    expand::test_impl(&model, &stripped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn misplaced_attributes_keep_the_item() {
        let out = autotest_on(
            TokenStream::new(),
            quote!(
                enum E {
                    A,
                }
            ),
        );
        let text = out.to_string();
        assert!(text.contains("not on an enum"), "{text}");
        assert!(text.contains("enum E"), "{text}");
    }
}
