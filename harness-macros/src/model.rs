//! The model of a test, built from the syntax tree and borrowing its nodes for
//! spans: the struct with its parsed attribute ([`TestStruct`]), and the impl
//! with its phases ([`TestImpl`]). Building records only what does not parse;
//! the rules are checked on the finished model by `valid`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Attribute, Expr, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, ItemStruct, Lit, LitStr, Pat, PatType, Type};

use harness_names::PHASES;

use crate::attr::{TestAttrs, parse_test_attrs, snake_case};
use crate::errors::Errors;

/// The test struct and what its `#[autotest(...)]` says.
pub(crate) struct TestStruct<'a> {
    pub(crate) item: &'a ItemStruct,
    pub(crate) attrs: TestAttrs,
    /// The test's name: `name = "..."`, or the struct's name in snake case.
    pub(crate) name: LitStr,
}

/// Parses the struct attribute.
pub(crate) fn test_struct<'a>(args: TokenStream, item: &'a ItemStruct, errors: &mut Errors) -> TestStruct<'a> {
    let attrs = parse_test_attrs(args, errors);
    let ident = &item.ident;
    let name = match &attrs.name {
        Some(name) => LitStr::new(&name.value(), name.span()),
        None => LitStr::new(&snake_case(&ident.to_string()), ident.span()),
    };
    TestStruct { item, attrs, name }
}

/// A type as text for messages and tables: `Option<u32>`, `Vec<String>`, `&str`.
pub(crate) fn type_text(ty: &impl ToTokens) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" :: ", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// What a phase method receives, in order, after `&mut self`.
pub(crate) enum Input<'a> {
    /// `ctx: &mut TestContext` (or `&TestContext`, which `valid` refuses), at
    /// its place among the method's inputs.
    Context { position: usize, mutable: bool, typed: &'a PatType },
    /// A named parameter (index into `PhaseFn::params`).
    Param(usize),
    /// `#[args] all: &Args`, with its attribute and any `#[arg]` beside it.
    AllArgs { attr: &'a Attribute, typed: &'a PatType, arg: Option<&'a Attribute> },
}

/// How a parameter gets its value.
pub(crate) enum ParamKind {
    Required,
    Optional,
    Default(Expr),
}

/// A named parameter of a phase.
pub(crate) struct Param<'a> {
    pub(crate) ident: &'a Ident,
    /// The declared type (`Option<u32>` for an optional one).
    pub(crate) ty: &'a Type,
    /// The type of the value (`u32` for `Option<u32>`).
    pub(crate) value_ty: &'a Type,
    pub(crate) kind: ParamKind,
    pub(crate) doc: Option<String>,
    /// Where `#[arg(default = ...)]` was written on an `Option` parameter
    /// (which `valid` refuses; the parameter stays optional).
    pub(crate) default_on_option: Option<Span>,
}

/// A method that is a phase.
pub(crate) struct PhaseFn<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) inputs: Vec<Input<'a>>,
    pub(crate) params: Vec<Param<'a>>,
}

impl PhaseFn<'_> {
    pub(crate) fn name(&self) -> &Ident {
        &self.method.sig.ident
    }

    pub(crate) fn accepts_all(&self) -> bool {
        self.inputs.iter().any(|input| matches!(input, Input::AllArgs { .. }))
    }
}

/// The resolved impl: its type and phases.
pub(crate) struct TestImpl<'a> {
    pub(crate) item: &'a ItemImpl,
    pub(crate) phases: Vec<PhaseFn<'a>>,
}

impl<'a> TestImpl<'a> {
    /// The phase built from `method`, if it is one.
    pub(crate) fn phase_of(&self, method: &ImplItemFn) -> Option<&PhaseFn<'a>> {
        self.phases.iter().find(|phase| std::ptr::eq(phase.method, method))
    }
}

/// `Option<T>` -> `T`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// Whether `ty` is `&mut TestContext` (or `&TestContext`, reported elsewhere).
fn context_type(ty: &Type) -> Option<bool> {
    let Type::Reference(reference) = ty else { return None };
    let Type::Path(path) = &*reference.elem else { return None };
    (path.path.segments.last()?.ident == "TestContext").then_some(reference.mutability.is_some())
}

/// The arguments of `#[arg(default = expr, doc = "...")]`.
#[derive(Default)]
struct ArgAttr {
    default: Option<(Expr, proc_macro2::Span)>,
    doc: Option<String>,
}

fn parse_arg_attr(attr: &Attribute, errors: &mut Errors) -> ArgAttr {
    let mut parsed = ArgAttr::default();
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("default") {
            let span = meta.path.get_ident().map_or_else(proc_macro2::Span::call_site, Ident::span);
            parsed.default = Some((meta.value()?.parse()?, span));
        } else if meta.path.is_ident("doc") {
            match meta.value()?.parse::<Lit>()? {
                Lit::Str(text) => parsed.doc = Some(text.value()),
                other => errors.spanned(other, "`doc` must be a string literal"),
            }
        } else {
            let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            errors.spanned(
                &meta.path,
                format!("unknown `#[arg]` argument `{name}`; expected `default = ...` or `doc = \"...\"`"),
            );
            if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<Expr>()?;
            }
        }
        Ok(())
    });
    if let Err(error) = result {
        errors.push(error);
    }
    parsed
}

fn build_phase<'a>(method: &'a ImplItemFn, errors: &mut Errors) -> PhaseFn<'a> {
    let mut phase = PhaseFn { method, inputs: Vec::new(), params: Vec::new() };
    for (position, input) in method.sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let Pat::Ident(binding) = &*typed.pat else {
            errors.spanned(&typed.pat, "phase parameters must be plain names: the name is the argument's name");
            continue;
        };
        let ident = &binding.ident;
        let all = typed.attrs.iter().find(|a| a.path().is_ident("args"));
        let arg = typed.attrs.iter().find(|a| a.path().is_ident("arg"));
        if let Some(mutable) = context_type(&typed.ty) {
            phase.inputs.push(Input::Context { position, mutable, typed });
            continue;
        }
        if let Some(attr) = all {
            phase.inputs.push(Input::AllArgs { attr, typed, arg });
            continue;
        }
        let arg = arg.map(|attr| parse_arg_attr(attr, errors)).unwrap_or_default();
        let inner = option_inner(&typed.ty);
        let mut default_on_option = None;
        let kind = match (arg.default, inner) {
            (Some((_, span)), Some(_)) => {
                default_on_option = Some(span);
                ParamKind::Optional
            }
            (Some((expr, _)), None) => ParamKind::Default(expr),
            (None, Some(_)) => ParamKind::Optional,
            (None, None) => ParamKind::Required,
        };
        phase.inputs.push(Input::Param(phase.params.len()));
        phase.params.push(Param {
            ident,
            ty: &typed.ty,
            value_ty: inner.unwrap_or(&typed.ty),
            kind,
            doc: arg.doc,
            default_on_option,
        });
    }
    phase
}

/// Resolves the phases of `item`, recording what does not parse.
pub(crate) fn test_impl<'a>(item: &'a ItemImpl, errors: &mut Errors) -> TestImpl<'a> {
    let phases = item
        .items
        .iter()
        .filter_map(|member| match member {
            ImplItem::Fn(method) if PHASES.contains(&method.sig.ident.to_string().as_str()) => {
                Some(build_phase(method, errors))
            }
            _ => None,
        })
        .collect();
    TestImpl { item, phases }
}

/// The impl as the user wrote it, minus the `#[arg]` and `#[args]` markers the
/// compiler would not know.
pub(crate) fn strip_markers(item: &ItemImpl) -> ItemImpl {
    let mut item = item.clone();
    for member in &mut item.items {
        let ImplItem::Fn(method) = member else { continue };
        if !PHASES.contains(&method.sig.ident.to_string().as_str()) {
            continue;
        }
        for input in &mut method.sig.inputs {
            if let FnArg::Typed(typed) = input {
                typed.attrs.retain(|a| !a.path().is_ident("arg") && !a.path().is_ident("args"));
            }
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn types_print_compactly() {
        let ty: syn::Type = parse_quote!(Option<Vec<(u32, String)>>);
        assert_eq!(type_text(&ty), "Option<Vec<(u32, String)>>");
        let ty: syn::Type = parse_quote!(&'static [u8; 4]);
        assert_eq!(type_text(&ty), "&'static [u8; 4]");
    }
}
