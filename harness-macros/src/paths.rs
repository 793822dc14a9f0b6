//! The one place that spells the paths generated code uses.

use proc_macro2::TokenStream;
use quote::quote;

/// `::harness_core::__private`: everything expansions name goes through it, so
/// users depend on `harness-core` alone and local items cannot shadow anything.
pub(crate) fn private() -> TokenStream {
    quote!(::harness_core::__private)
}
