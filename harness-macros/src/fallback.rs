//! The error path: the user's item is emitted with the errors, plus a stand-in
//! for what the other half of the test expects, so one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemImpl, ItemStruct};

use crate::errors::Errors;
use crate::paths::private;

/// The struct, the errors, and the `Meta` the impl's expansion reads (none for a
/// generic struct: its error says it cannot be a test at all).
pub(crate) fn test_struct(item: &ItemStruct, errors: Errors) -> TokenStream {
    let p = private();
    let ident = &item.ident;
    let errors = errors.into_compile_errors();
    if !item.generics.params.is_empty() {
        return quote!(#errors #item);
    }
    quote! {
        #errors
        #item
        #[automatically_derived]
        impl #p::Meta for #ident {
            const META: #p::TestInfo = #p::TestInfo::new("", #p::Version::Int(0));
        }
    }
}

/// The impl (markers stripped), the errors, and the `Phases` the struct's
/// expansion needs (none for a generic impl: it cannot be a test).
pub(crate) fn test_impl(item: &ItemImpl, errors: Errors) -> TokenStream {
    let p = private();
    let self_ty = &item.self_ty;
    let errors = errors.into_compile_errors();
    if !item.generics.params.is_empty() {
        return quote!(#errors #item);
    }
    quote! {
        #errors
        #item
        #[automatically_derived]
        impl #p::Phases for #self_ty {
            const PARAMS: &'static [(&'static str, &'static str, #p::ValueKind)] = &[];
            // Nothing more to say about `cargo_test` arguments of a broken impl.
            const ACCEPTS_ALL: bool = true;
            const PARAM_LIST: &'static str = "";
        }
    }
}
