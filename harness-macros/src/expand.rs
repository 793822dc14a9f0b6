//! From a checked model to tokens: nothing here reports an error.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{ItemImpl, ItemStruct};

use harness_names::ENGINE_ARGS;

use crate::attr::{RequireAttr, VersionAttr};
use crate::kinds;
use crate::model::{Input, ParamKind, PhaseFn, TestImpl, TestStruct, type_text};
use crate::paths::{private, private_at};

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

/// The struct's expansion: the struct, its `Meta` (the `TestInfo` without
/// phases) and, with `cargo_test`, its `#[test]` and the compile-time checks
/// of its arguments.
pub(crate) fn test_struct(model: &TestStruct<'_>) -> TokenStream {
    let TestStruct { item, attrs, name } = model;
    let ident = &item.ident;
    let p = private();
    let version = match &attrs.version {
        Some(VersionAttr::Int(int)) => quote!(#p::Version::Int(#int)),
        Some(VersionAttr::Str(text)) => quote!(#p::Version::Str(#text)),
        None => quote!(),
    };
    let description = description(item);
    let (preserve, postprocess, network) =
        (attrs.preserve_srcdir, attrs.postprocess_profiled_run, attrs.network_destabilizing);
    let (default_args, cargo_test) = match &attrs.cargo_test {
        Some(cargo_test) => {
            let fn_name = format_ident!("autotest_{}", name.value().replace('-', "_"));
            let names = cargo_test.args.iter().map(|(n, _)| n.to_string());
            let values = cargo_test.args.iter().map(|(_, v)| v);
            // Defined in a library or binary (not an integration test target), the
            // `#[test]` below runs in that crate's unit tests.
            let default_args = quote! {
                .with_unit_test(::core::option_env!("CARGO_TARGET_TMPDIR").is_none())
                .with_default_args({
                    fn __harness_default_args() -> #p::Args {
                        #p::Args::new() #(.with(#names, #p::to_value(&(#values))))*
                    }
                    __harness_default_args
                })
            };
            let checks = cargo_test.args.iter().map(|(arg, value)| cargo_test_check(ident, &name.value(), arg, value));
            let test = quote! {
                #(#checks)*
                #[cfg(test)]
                #[test]
                fn #fn_name() {
                    #p::run_cargo_test(#name, ::core::module_path!());
                }
            };
            (Some(default_args), Some(test))
        }
        None => (None, None),
    };
    let (metadata, variant_checks) = metadata(model);
    // Only what differs from `TestInfo::new`'s defaults: each call is one more
    // const evaluation per test for the compiler.
    let description = (!description.is_empty()).then(|| quote!(.with_description(#description)));
    let preserve = preserve.then(|| quote!(.with_preserve_srcdir(true)));
    let postprocess = postprocess.then(|| quote!(.with_postprocess_profiled_run(true)));
    let network = network.then(|| quote!(.with_network_destabilizing(true)));
    let meta = quote! {
        #p::TestInfo::new(#name, #version)
            #description
            #preserve
            #postprocess
            #network
            #default_args
            #metadata
            .with_location(::core::file!(), ::core::line!())
            .with_crate(::core::env!("CARGO_PKG_NAME"), ::core::env!("CARGO_PKG_VERSION"), ::core::env!("CARGO_MANIFEST_DIR"))
    };
    // The impl is spanned at the name: without an `#[autotest] impl`, its bound
    // `T: Phases` fails there, with the trait's message.
    let at = private_at(ident.span());
    let meta_impl = quote_spanned! {ident.span()=>
        #[automatically_derived]
        impl #p::Meta for #ident where #ident: #at::Phases {
            const META: #p::TestInfo = #meta;
        }
    };
    quote! {
        #item
        #meta_impl
        #cargo_test
        #(#variant_checks)*
    }
}

/// `attrs`, `contacts`, `data`, `timeout`, `retries`, the warm-up, `parallel`, `requires` and `variants` as `TestInfo`
/// builder calls, and the compile-time checks of each variant's arguments.
fn metadata(model: &TestStruct<'_>) -> (TokenStream, Vec<TokenStream>) {
    let TestStruct { item, attrs, name } = model;
    let p = private();
    let mut calls = TokenStream::new();
    if !attrs.attrs.is_empty() {
        let list = &attrs.attrs;
        calls.extend(quote!(.with_attrs(&[#(#list),*])));
    }
    if !attrs.contacts.is_empty() {
        let list = &attrs.contacts;
        calls.extend(quote!(.with_contacts(&[#(#list),*])));
    }
    if !attrs.data.is_empty() {
        let list = &attrs.data;
        calls.extend(quote!(.with_data(&[#(#list),*], ::core::env!("CARGO_MANIFEST_DIR"))));
    }
    if let Some(timeout) = &attrs.timeout {
        calls.extend(quote!(.with_timeout(#timeout)));
    }
    if let Some(retries) = &attrs.retries {
        calls.extend(quote!(.with_retries(#retries)));
    }
    if let Some(iterations) = &attrs.warmup_iterations {
        calls.extend(quote!(.with_warmup_iterations(#iterations)));
    }
    if let Some(seconds) = &attrs.warmup_time {
        calls.extend(quote!(.with_warmup_time(#seconds)));
    }
    if let Some(cpus) = &attrs.cpus {
        calls.extend(quote!(.with_cpus(#cpus)));
    }
    if attrs.parallel {
        calls.extend(quote!(.with_parallel(true)));
    }
    if !attrs.requires.is_empty() {
        let entries = attrs.requires.iter().map(|requirement| match requirement {
            RequireAttr::File(path) => quote!(#p::Requirement::File(#path)),
            RequireAttr::Command(command) => quote!(#p::Requirement::Command(#command)),
            RequireAttr::Root => quote!(#p::Requirement::Root),
            RequireAttr::Env(var) => quote!(#p::Requirement::Env(#var)),
            RequireAttr::Cpus(n) => quote!(#p::Requirement::Cpus(#n)),
            RequireAttr::MemoryGb(n) => quote!(#p::Requirement::MemoryGb(#n)),
            RequireAttr::Check(path) => {
                let text = quote!(#path).to_string().replace(' ', "");
                // Spanned at the path: a function of the wrong type is an error there.
                quote_spanned!(path.span()=> #p::Requirement::Check(#text, #path))
            }
        });
        calls.extend(quote!(.with_requirements(&[#(#entries),*])));
    }
    let mut checks = Vec::new();
    if !attrs.variants.is_empty() {
        let variants = attrs.variants.iter().map(|variant| {
            let tag = variant.name.to_string();
            let names = variant.args.iter().map(|(n, _)| n.to_string());
            let values = variant.args.iter().map(|(_, v)| v);
            for (arg, value) in &variant.args {
                let place = format!("variants({tag}({arg} = ...))");
                checks.push(arg_check(&item.ident, &name.value(), &place, arg, value));
            }
            quote! {
                #p::Variant::new(#tag, {
                    fn __harness_variant_args() -> #p::Args {
                        #p::Args::new() #(.with(#names, #p::to_value(&(#values))))*
                    }
                    __harness_variant_args
                })
            }
        });
        let variants: Vec<TokenStream> = variants.collect();
        calls.extend(quote!(.with_variants(&[#(#variants),*])));
    }
    (calls, checks)
}

/// A compile-time check that `cargo_test(arg = value)` names a parameter of the
/// test and that the value can be of its type; the error, at `arg`, lists the
/// test's parameters. Engine arguments (`iterations`, ...) are not parameters.
fn cargo_test_check(ident: &syn::Ident, test: &str, arg: &syn::Ident, value: &syn::Expr) -> TokenStream {
    arg_check(ident, test, &format!("cargo_test({arg} = ...)"), arg, value)
}

/// The same check for an argument written at `place` (`cargo_test(x = ...)`,
/// `variants(small(x = ...))`).
fn arg_check(ident: &syn::Ident, test: &str, place: &str, arg: &syn::Ident, value: &syn::Expr) -> TokenStream {
    let name = arg.to_string();
    if ENGINE_ARGS.contains(&name.as_str()) {
        return TokenStream::new();
    }
    let p = private_at(arg.span());
    let kind = format_ident!("{}", kinds::expr_kind(value));
    let unknown = format!("`{place}`: `{test}` has no parameter `{name}`; it takes ");
    let wrong = format!("`{place}`: `{name}` of `{test}` is `");
    let wrong_kind = format!("`, which cannot take {}", kinds::describe(kinds::expr_kind(value)));
    // An integer literal is checked against its type's range too: `-5` for a `u32`.
    let (problem, given) = match kinds::int_literal(value) {
        Some(literal) => {
            let out_of_range = format!("`, which cannot hold {literal}");
            (
                quote_spanned! {arg.span()=>
                    match #p::arg_problem::<#ident>(#name, #p::ValueKind::#kind) {
                        #p::ArgProblem::Fine => #p::int_problem::<#ident>(#name, #literal),
                        other => other,
                    }
                },
                quote_spanned! {arg.span()=>
                    match PROBLEM {
                        #p::ArgProblem::OutOfRange(_) => #out_of_range,
                        _ => #wrong_kind,
                    }
                },
            )
        }
        None => {
            (quote_spanned!(arg.span()=> #p::arg_problem::<#ident>(#name, #p::ValueKind::#kind)), quote!(#wrong_kind))
        }
    };
    quote_spanned! {arg.span()=>
        const _: () = {
            const PROBLEM: #p::ArgProblem = #problem;
            const TYPE: &str = match PROBLEM {
                #p::ArgProblem::WrongType(type_name) | #p::ArgProblem::OutOfRange(type_name) => type_name,
                _ => "",
            };
            const UNKNOWN: &[&str] = &[#unknown, <#ident as #p::Phases>::PARAM_LIST];
            const WRONG: &[&str] = &[#wrong, TYPE, #given];
            const UNKNOWN_LEN: usize = #p::total_len(UNKNOWN);
            const WRONG_LEN: usize = #p::total_len(WRONG);
            const UNKNOWN_TEXT: [u8; UNKNOWN_LEN] = #p::concat::<UNKNOWN_LEN>(UNKNOWN);
            const WRONG_TEXT: [u8; WRONG_LEN] = #p::concat::<WRONG_LEN>(WRONG);
            match PROBLEM {
                #p::ArgProblem::Unknown => ::core::panic!("{}", #p::as_str(&UNKNOWN_TEXT)),
                #p::ArgProblem::WrongType(_) | #p::ArgProblem::OutOfRange(_) => {
                    ::core::panic!("{}", #p::as_str(&WRONG_TEXT))
                }
                #p::ArgProblem::Fine => {}
            }
        };
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

/// The name of the const holding a phase's parameters.
fn params_const(phase: &PhaseFn<'_>) -> syn::Ident {
    format_ident!("__HARNESS_{}", phase.name().to_string().to_uppercase())
}

/// `const __HARNESS_RUN_ONCE: &[Param] = &[...];`: each entry holds the one
/// decoder of its type, used by validation and by the dispatcher alike.
fn params(phase: &PhaseFn<'_>) -> TokenStream {
    let p = private();
    let name = params_const(phase);
    let params = phase.params.iter().map(|param| {
        let param_name = param.ident.to_string();
        let param_name = param_name.trim_start_matches("r#");
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
        let decoder = quote_spanned!(value_ty.span()=> #p::decoder::<#value_ty>);
        let mut entry = quote!(#p::Param::new(#param_name, #text, #kind, #decoder));
        if let ParamKind::Default(expr) = &param.kind
            && let Some(json) = kinds::json_value(expr)
        {
            entry = quote!(#entry.with_default_value(#json));
        }
        match &param.doc {
            Some(doc) => quote!(#entry.with_doc(#doc)),
            None => entry,
        }
    });
    quote!(const #name: &[#p::Param] = &[#(#params),*];)
}

fn table(phase: &PhaseFn<'_>) -> TokenStream {
    let p = private();
    let variant = phase_variant(&phase.name().to_string());
    let params = params_const(phase);
    let all = phase.accepts_all().then(|| quote!(.accepting_all()));
    quote!(#p::PhaseTable::new(#p::Phase::#variant, #params) #all)
}

fn dispatch_arm(phase: &PhaseFn<'_>) -> TokenStream {
    let p = private();
    let method = phase.name();
    let phase_name = method.to_string();
    let variant = phase_variant(&phase_name);
    let table = params_const(phase);
    let bindings = phase.params.iter().enumerate().map(|(i, param)| {
        let binding = format_ident!("__harness_arg{}", i);
        let value_ty = param.value_ty;
        let ty = param.ty;
        // `match` rather than `?`: the same meaning, less for the compiler to solve.
        let fetch = |f: TokenStream| {
            quote! {
                match #p::#f::<#value_ty>(__harness_args, &#table[#i], &__HARNESS_INFO, #phase_name) {
                    #p::Result::Ok(value) => value,
                    #p::Result::Err(failure) => return #p::Result::Err(failure),
                }
            }
        };
        let fetch = match &param.kind {
            ParamKind::Required => fetch(quote!(required)),
            ParamKind::Optional => fetch(quote!(optional)),
            ParamKind::Default(expr) => {
                let optional = fetch(quote!(optional));
                // `default = "fast"` for a `String` (or `PathBuf`) parameter.
                let default = if kinds::is_str_literal(expr) {
                    quote_spanned!(expr.span()=> ::core::convert::Into::into(#expr))
                } else {
                    quote!(#expr)
                };
                quote! {
                    match #optional {
                        #p::Option::Some(value) => value,
                        #p::Option::None => #default,
                    }
                }
            }
        };
        quote!(let #binding: #ty = #fetch;)
    });
    let inputs = phase.inputs.iter().map(|input| match input {
        Input::Context { .. } => quote!(__harness_ctx),
        Input::AllArgs { .. } => quote!(__harness_args),
        Input::Param(i) => {
            let binding = format_ident!("__harness_arg{}", i);
            quote!(#binding)
        }
    });
    let result_span = match &phase.method.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => method.span(),
    };
    // The result gets the return type's span, so a wrong type is reported there.
    let result = syn::Ident::new("__harness_result", result_span);
    // Every token of the call at the return type, the path's too: the failure
    // an error returned through `?` becomes is placed there, in the test's
    // source (with the macro's own spans anywhere in the call, the compiler
    // would place it at the attribute).
    let at = private_at(result_span);
    let convert = quote_spanned!(result_span=> #at::IntoTestResult::into_test_result(#result));
    quote! {
        #p::Phase::#variant => {
            #(#bindings)*
            let #result = Self::#method(self, #(#inputs),*);
            #convert
        }
    }
}

/// Every distinct parameter as `(name, type, kind)` for the compile-time checks
/// of `cargo_test(...)`, and the list for their messages.
fn schema(model: &TestImpl<'_>) -> (Vec<TokenStream>, String) {
    let p = private();
    let mut seen: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    let mut list = Vec::new();
    for param in model.phases.iter().flat_map(|phase| &phase.params) {
        let name = param.ident.to_string().trim_start_matches("r#").to_owned();
        if seen.contains(&name) {
            continue;
        }
        let text = type_text(param.value_ty);
        let kind = format_ident!("{}", kinds::type_kind(param.value_ty));
        entries.push(quote!((#name, #text, #p::ValueKind::#kind)));
        list.push(format!("{name} ({text})"));
        seen.push(name);
    }
    let list = if list.is_empty() { "no parameters".to_owned() } else { list.join(", ") };
    (entries, list)
}

/// The impl's expansion: the impl (markers stripped), its parameter tables,
/// the `TestInfo`, the dispatcher, the `Phases` consts and the registration.
pub(crate) fn test_impl(model: &TestImpl<'_>, stripped: &ItemImpl) -> TokenStream {
    let item = model.item;
    let p = private();
    let self_ty = &item.self_ty;
    let params = model.phases.iter().map(params);
    let tables = model.phases.iter().map(table);
    let arms = model.phases.iter().map(dispatch_arm);
    let (schema, param_list) = schema(model);
    let accepts_all = model.phases.iter().any(PhaseFn::accepts_all);
    // Only what differs from the trait's defaults (no parameters, none taken).
    let mut phases_consts = TokenStream::new();
    if !schema.is_empty() {
        phases_consts.extend(quote! {
            const PARAMS: &'static [(&'static str, &'static str, #p::ValueKind)] = &[#(#schema),*];
            const PARAM_LIST: &'static str = #param_list;
        });
    }
    if accepts_all {
        phases_consts.extend(quote!(
            const ACCEPTS_ALL: bool = true;
        ));
    }
    // Spanned at the type, so a struct without `#[autotest(...)]` is reported there.
    let meta = quote_spanned!(self_ty.span()=> <#self_ty as #p::Meta>::META);
    let make = quote_spanned!(self_ty.span()=> #p::make::<#self_ty>);
    quote! {
        #stripped
        const _: () = {
            #(#params)*

            static __HARNESS_INFO: #p::TestInfo = #meta.with_phases(&[#(#tables),*]);

            #[automatically_derived]
            impl #p::Phases for #self_ty {
                #phases_consts
            }

            #[automatically_derived]
            impl #p::Autotest for #self_ty {
                fn info(&self) -> &'static #p::TestInfo {
                    &__HARNESS_INFO
                }

                #[allow(unused_variables, clippy::used_underscore_binding)]
                fn run_phase(
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

            #p::inventory::submit! {
                #p::Registration::new(&__HARNESS_INFO, #make)
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
}
