//! The phases of an `#[autotest] impl`, resolved from the syntax tree, borrowing
//! its nodes for spans.

use syn::{Attribute, Expr, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, Lit, Pat, Type};

use harness_names::PHASES;

use crate::errors::Errors;
use crate::valid;

/// What a phase method receives, in order, after `&mut self`.
pub(crate) enum Input {
    /// `ctx: &mut TestContext`.
    Context,
    /// A named parameter (index into `PhaseFn::params`).
    Param(usize),
    /// `#[args] all: &Args`.
    AllArgs,
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
}

/// A method that is a phase.
pub(crate) struct PhaseFn<'a> {
    pub(crate) method: &'a ImplItemFn,
    pub(crate) inputs: Vec<Input>,
    pub(crate) params: Vec<Param<'a>>,
}

impl PhaseFn<'_> {
    pub(crate) fn name(&self) -> &Ident {
        &self.method.sig.ident
    }

    pub(crate) fn accepts_all(&self) -> bool {
        self.inputs.iter().any(|input| matches!(input, Input::AllArgs))
    }
}

/// The resolved impl: its type and phases.
pub(crate) struct TestImpl<'a> {
    pub(crate) item: &'a ItemImpl,
    pub(crate) phases: Vec<PhaseFn<'a>>,
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
    valid::phase_takes_mut_self(method, errors);
    valid::phase_is_not_generic_or_async(method, errors);
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
            valid::context_first_and_mutable(position, mutable, typed, errors);
            phase.inputs.push(Input::Context);
            continue;
        }
        if let Some(attr) = all {
            valid::all_args_is_a_reference(attr, typed, arg, errors);
            phase.inputs.push(Input::AllArgs);
            continue;
        }
        let arg = arg.map(|attr| parse_arg_attr(attr, errors)).unwrap_or_default();
        valid::not_an_engine_argument(ident, errors);
        let inner = option_inner(&typed.ty);
        let kind = match (arg.default, inner) {
            (Some((_, span)), Some(_)) => {
                errors.at(span, "`#[arg(default = ...)]` on an `Option` parameter: an `Option` is already optional (absent is `None`); drop the default or the `Option`");
                ParamKind::Optional
            }
            (Some((expr, _)), None) => ParamKind::Default(expr),
            (None, Some(_)) => ParamKind::Optional,
            (None, None) => ParamKind::Required,
        };
        phase.inputs.push(Input::Param(phase.params.len()));
        phase.params.push(Param { ident, ty: &typed.ty, value_ty: inner.unwrap_or(&typed.ty), kind, doc: arg.doc });
    }
    phase
}

/// Resolves the phases of `item`, recording every problem.
pub(crate) fn build<'a>(item: &'a ItemImpl, errors: &mut Errors) -> TestImpl<'a> {
    valid::impl_is_inherent_and_not_generic(item, errors);
    let mut phases = Vec::new();
    let mut typos = false;
    for member in &item.items {
        let ImplItem::Fn(method) = member else { continue };
        let name = method.sig.ident.to_string();
        if PHASES.contains(&name.as_str()) {
            phases.push(build_phase(method, errors));
        } else {
            typos |= valid::not_a_phase_typo(method, errors);
        }
    }
    let model = TestImpl { item, phases };
    valid::same_name_same_type(&model, errors);
    // A misspelt `run_once` is reported as such, not as a missing one.
    if !typos {
        valid::has_run_once_or_execute(&model, errors);
    }
    model
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
