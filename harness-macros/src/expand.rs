//! From the parsed attribute and the resolved model to tokens.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Item, ItemImpl, ItemStruct, LitStr};

use crate::attr::{VersionAttr, check_name, parse_test_attrs, snake_case};
use crate::errors::Errors;
use crate::fallback;
use crate::model::{self, Input, ParamKind, PhaseFn, TestImpl};
use crate::paths::private;
use crate::valid::type_text;

/// `#[autotest(...)]` on anything: a struct (the test) or its inherent impl (the phases).
pub(crate) fn autotest(args: TokenStream, input: TokenStream) -> TokenStream {
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
        Item::Struct(item) => expand_struct(args, &item),
        Item::Impl(item) if item.trait_.is_none() => expand_impl(args, &item),
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

/// The struct's doc comment, as rustdoc shows it.
fn description(item: &ItemStruct) -> String {
    let mut lines = Vec::new();
    for attr in &item.attrs {
        if let syn::Meta::NameValue(meta) = &attr.meta
            && meta.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &meta.value
        {
            let text = text.value();
            lines.push(text.strip_prefix(' ').unwrap_or(&text).trim_end().to_owned());
        }
    }
    lines.join("\n").trim().to_owned()
}

fn expand_struct(args: TokenStream, item: &ItemStruct) -> TokenStream {
    let mut errors = Errors::default();
    let attrs = parse_test_attrs(args, &mut errors);
    let ident = &item.ident;
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "an `#[autotest]` test cannot be generic: the engine builds it with `Default` from its name alone",
        );
    }
    let name = match &attrs.name {
        Some(name) => LitStr::new(&name.value(), name.span()),
        None => LitStr::new(&snake_case(&ident.to_string()), ident.span()),
    };
    check_name(&name.value(), name.span(), &mut errors);
    let p = private();
    let version = match &attrs.version {
        Some(VersionAttr::Int(int)) => match int.base10_parse::<i64>() {
            Ok(_) => quote!(#p::Version::Int(#int)),
            Err(error) => {
                errors.push(error);
                quote!()
            }
        },
        Some(VersionAttr::Str(text)) => quote!(#p::Version::Str(#text)),
        None => {
            errors.at(
                Span::call_site(),
                "missing `version`: every test has one, and setup runs again when it changes; add `version = 1`",
            );
            quote!()
        }
    };
    if !errors.is_empty() {
        return fallback::test_struct(item, errors);
    }
    let description = description(item);
    let (preserve, postprocess, network) =
        (attrs.preserve_srcdir, attrs.postprocess_profiled_run, attrs.network_destabilizing);
    let phases = quote_spanned!(ident.span()=> <#ident as #p::Phases>::TABLES);
    let build = quote_spanned!(ident.span()=> <#ident as #p::BuildWithDefault>::__harness_build());
    let (default_args, cargo_test) = match &attrs.cargo_test {
        Some(cargo_test) => {
            let fn_name = format_ident!("autotest_{}", name.value().replace('-', "_"));
            let names = cargo_test.args.iter().map(|(n, _)| n.to_string());
            let values = cargo_test.args.iter().map(|(_, v)| v);
            let default_args = quote! {
                .with_default_args({
                    fn __harness_default_args() -> #p::Args {
                        #p::Args::new() #(.with(#names, #p::to_value(&(#values))))*
                    }
                    __harness_default_args
                })
            };
            let test = quote! {
                #[cfg(test)]
                #[test]
                fn #fn_name() {
                    #p::run_cargo_test::<#ident>();
                }
            };
            (Some(default_args), Some(test))
        }
        None => (None, None),
    };
    quote! {
        #item
        const _: () = {
            static __HARNESS_INFO: #p::TestInfo = #p::TestInfo::new(#name, #version)
                .with_description(#description)
                .with_preserve_srcdir(#preserve)
                .with_postprocess_profiled_run(#postprocess)
                .with_network_destabilizing(#network)
                .with_phases(#phases)
                #default_args
                .with_location(::core::file!(), ::core::line!());

            #[automatically_derived]
            impl #p::Autotest for #ident {
                fn info(&self) -> &'static #p::TestInfo {
                    &__HARNESS_INFO
                }

                fn run_phase(
                    &mut self,
                    phase: #p::Phase,
                    ctx: &mut #p::TestContext,
                    args: &#p::Args,
                ) -> #p::TestResult {
                    <#ident as #p::Phases>::__harness_run_phase(self, phase, ctx, args)
                }
            }

            fn __harness_make() -> #p::Box<dyn #p::Autotest> {
                #p::Box::new(#build)
            }

            #p::inventory::submit! {
                #p::Registration::new(&__HARNESS_INFO, __harness_make)
            }
        };
        #cargo_test
    }
}

fn phase_variant(name: &str) -> syn::Ident {
    let camel: String = name
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    format_ident!("{}", camel)
}

fn table(phase: &PhaseFn<'_>) -> TokenStream {
    let p = private();
    let variant = phase_variant(&phase.name().to_string());
    let params = phase.params.iter().map(|param| {
        let name = param.ident.to_string();
        let name = name.trim_start_matches("r#");
        let value_ty = param.value_ty;
        let text = type_text(param.ty);
        let kind = match &param.kind {
            ParamKind::Required => quote!(#p::ParamKind::Required),
            ParamKind::Optional => quote!(#p::ParamKind::Optional),
            ParamKind::Default(expr) => {
                let default = type_text(expr);
                quote!(#p::ParamKind::Default(#default))
            }
        };
        // The same `decode::<T>` as the dispatcher, on the same span: a type that
        // cannot be deserialized is reported once.
        let check = quote_spanned!(value_ty.span()=> |value| #p::decode::<#value_ty>(value).map(::core::mem::drop));
        let entry = quote!(#p::Param::new(#name, #text, #kind, #check));
        match &param.doc {
            Some(doc) => quote!(#entry.with_doc(#doc)),
            None => entry,
        }
    });
    let all = phase.accepts_all().then(|| quote!(.accepting_all()));
    quote!(#p::PhaseTable::new(#p::Phase::#variant, &[#(#params),*]) #all)
}

fn dispatch_arm(phase: &PhaseFn<'_>) -> TokenStream {
    let p = private();
    let method = phase.name();
    let phase_name = method.to_string();
    let variant = phase_variant(&phase_name);
    let bindings = phase.params.iter().enumerate().map(|(i, param)| {
        let binding = format_ident!("__harness_arg{}", i);
        let name = param.ident.to_string();
        let name = name.trim_start_matches("r#");
        let value_ty = param.value_ty;
        let ty = param.ty;
        let text = type_text(param.ty);
        let fetch = match &param.kind {
            ParamKind::Required => quote_spanned!(value_ty.span()=>
                #p::required(__harness_args, #name, #text, __harness_test, #phase_name, #p::decode::<#value_ty>)?
            ),
            ParamKind::Optional => quote_spanned!(value_ty.span()=>
                #p::optional(__harness_args, #name, #text, __harness_test, #phase_name, #p::decode::<#value_ty>)?
            ),
            ParamKind::Default(expr) => quote_spanned!(value_ty.span()=>
                match #p::optional(__harness_args, #name, #text, __harness_test, #phase_name, #p::decode::<#value_ty>)? {
                    #p::Option::Some(value) => value,
                    #p::Option::None => #expr,
                }
            ),
        };
        quote!(let #binding: #ty = #fetch;)
    });
    let inputs = phase.inputs.iter().map(|input| match input {
        Input::Context => quote!(__harness_ctx),
        Input::AllArgs => quote!(__harness_args),
        Input::Param(i) => {
            let binding = format_ident!("__harness_arg{}", i);
            quote!(#binding)
        }
    });
    let test_name = (!phase.params.is_empty()).then(|| quote!(let __harness_test = #p::Autotest::info(self).name();));
    let result_span = match &phase.method.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => method.span(),
    };
    // The result gets the return type's span, so a wrong type is reported there.
    let result = syn::Ident::new("__harness_result", result_span);
    let convert = quote_spanned!(result_span=> #p::IntoTestResult::into_test_result(#result));
    quote! {
        #p::Phase::#variant => {
            #test_name
            #(#bindings)*
            let #result = Self::#method(self, #(#inputs),*);
            #convert
        }
    }
}

fn expand_impl(args: TokenStream, item: &ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors
            .spanned(&args, "`#[autotest]` on an impl takes no arguments; put them on the struct's `#[autotest(...)]`");
    }
    let model: TestImpl<'_> = model::build(item, &mut errors);
    let stripped = model::strip_markers(item);
    if !errors.is_empty() {
        return fallback::test_impl(&stripped, errors);
    }
    let p = private();
    let self_ty = &item.self_ty;
    let tables = model.phases.iter().map(table);
    let arms = model.phases.iter().map(dispatch_arm);
    // The struct must carry `#[autotest(...)]` too, or the phases would never run.
    let is_test = quote_spanned!(self_ty.span()=> __harness_is_test::<#self_ty>);
    quote! {
        #stripped
        const _: () = {
            fn __harness_is_test<T: #p::Autotest>() {}
            const _: fn() = #is_test;

            #[automatically_derived]
            impl #p::Phases for #self_ty {
                const TABLES: &'static [#p::PhaseTable] = &[#(#tables),*];

                #[allow(unused_variables, clippy::used_underscore_binding)]
                fn __harness_run_phase(
                    &mut self,
                    __harness_phase: #p::Phase,
                    __harness_ctx: &mut #p::TestContext,
                    __harness_args: &#p::Args,
                ) -> #p::TestResult {
                    match __harness_phase {
                        #(#arms)*
                        _ => #p::Result::Ok(()),
                    }
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_variants() {
        assert_eq!(phase_variant("run_once"), "RunOnce");
        assert_eq!(phase_variant("postprocess_iteration"), "PostprocessIteration");
        assert_eq!(phase_variant("setup"), "Setup");
    }

    #[test]
    fn descriptions_read_like_rustdoc() {
        let item: ItemStruct = syn::parse_quote! {
            /// Sleeps for `seconds`.
            ///
            /// More text.
            #[derive(Default)]
            struct S;
        };
        assert_eq!(description(&item), "Sleeps for `seconds`.\n\nMore text.");
    }

    #[test]
    fn misplaced_attributes_keep_the_item() {
        let out = autotest(
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
