//! The one place that spells the paths generated code uses.

use proc_macro2::Span;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// `::harness_core::__private`: everything expansions name goes through it, so
/// users depend on `harness-core` alone and local items cannot shadow anything.
pub(crate) fn private() -> TokenStream {
    quote!(::harness_core::__private)
}

/// [`private`] with every token at `span`, for bounds whose failure should be
/// reported there.
pub(crate) fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::harness_core::__private)
}
