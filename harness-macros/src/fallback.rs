//! The error path: the user's item is emitted with the errors, plus a stand-in
//! for what the other half of the test expects, so one mistake gives one error.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemImpl, ItemStruct};

use crate::errors::Errors;
use crate::paths::private;

/// The struct, the errors, and an `Autotest` impl that is never registered (none
/// for a generic struct: its error says it cannot be a test at all).
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
        impl #p::Autotest for #ident {
            fn info(&self) -> &'static #p::TestInfo {
                static __HARNESS_INFO: #p::TestInfo = #p::TestInfo::new("", #p::Version::Int(0));
                &__HARNESS_INFO
            }

            fn run_phase(&mut self, _: #p::Phase, _: &mut #p::TestContext, _: &#p::Args) -> #p::TestResult {
                #p::Result::Ok(())
            }
        }
    }
}

/// The impl (markers stripped), the errors, and an empty `Phases` impl.
pub(crate) fn test_impl(item: &ItemImpl, errors: Errors) -> TokenStream {
    let p = private();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let errors = errors.into_compile_errors();
    quote! {
        #errors
        #item
        #[automatically_derived]
        impl #impl_generics #p::Phases for #self_ty #where_clause {
            const TABLES: &'static [#p::PhaseTable] = &[];

            fn __harness_run_phase(&mut self, _: #p::Phase, _: &mut #p::TestContext, _: &#p::Args) -> #p::TestResult {
                #p::Result::Ok(())
            }
        }
    }
}
