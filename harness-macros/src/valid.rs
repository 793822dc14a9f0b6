//! The rules a test must follow, checked on its finished model: one function
//! per rule, each reporting on the smallest span it can, and one entry point
//! for the struct and one for the impl.

use proc_macro2::Span;
use syn::{Attribute, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, PatType};

use harness_names::{ENGINE_ARGS, PHASES};

use crate::attr::VersionAttr;
use crate::errors::Errors;
use crate::model::{Input, ParamKind, TestImpl, TestStruct, type_text};

/// Every rule of the struct and its attribute.
pub(crate) fn test_struct(model: &TestStruct<'_>, errors: &mut Errors) {
    let item = model.item;
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "an `#[autotest]` test cannot be generic: the engine builds it with `Default` from its name alone",
        );
    }
    check_name(&model.name.value(), model.name.span(), errors);
    match &model.attrs.version {
        Some(VersionAttr::Int(int)) => {
            if let Err(error) = int.base10_parse::<i64>() {
                errors.push(error);
            }
        }
        Some(VersionAttr::Str(_)) => {}
        // A `version` that is not a literal was reported when it was parsed.
        None if model.attrs.version_given => {}
        None => errors.at(
            Span::call_site(),
            "missing `version`: every test has one, and setup runs again when it changes; add `version = 1`",
        ),
    }
}

/// Every rule of the impl, in the order its methods are written.
pub(crate) fn test_impl(model: &TestImpl<'_>, errors: &mut Errors) {
    impl_is_inherent_and_not_generic(model.item, errors);
    let mut typos = false;
    for member in &model.item.items {
        let ImplItem::Fn(method) = member else { continue };
        let Some(phase) = model.phase_of(method) else {
            typos |= not_a_phase_typo(method, errors);
            continue;
        };
        phase_takes_mut_self(method, errors);
        phase_is_not_generic_or_async(method, errors);
        for input in &phase.inputs {
            match input {
                Input::Context { position, mutable, typed } => {
                    context_first_and_mutable(*position, *mutable, typed, errors);
                }
                Input::AllArgs { attr, typed, arg } => all_args_is_a_reference(attr, typed, *arg, errors),
                Input::Param(i) => {
                    let param = &phase.params[*i];
                    not_an_engine_argument(param.ident, errors);
                    if let Some(span) = param.default_on_option {
                        errors.at(span, "`#[arg(default = ...)]` on an `Option` parameter: an `Option` is already optional (absent is `None`); drop the default or the `Option`");
                    }
                }
            }
        }
    }
    same_name_same_type(model, errors);
    // A misspelt `run_once` is reported as such, not as a missing one.
    if !typos {
        has_run_once_or_execute(model, errors);
    }
}

/// Test names become directory names and `status.log` columns.
fn check_name(name: &str, span: Span, errors: &mut Errors) {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        errors.at(
            span,
            format!("invalid test name {name:?}: a test name may only hold ASCII letters, digits, `_` and `-`"),
        );
    }
}

/// A phase takes `&mut self`: the engine calls it on the test.
fn phase_takes_mut_self(method: &ImplItemFn, errors: &mut Errors) {
    let name = &method.sig.ident;
    match method.sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) if matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, Some(_))) => {}
        Some(FnArg::Receiver(receiver)) => {
            errors.spanned(
                receiver,
                format!("phase `{name}` must take `&mut self`: the engine calls every phase on the same test"),
            );
        }
        _ => errors.spanned(&method.sig, format!("phase `{name}` must take `&mut self` as its first parameter")),
    }
}

/// Phases are plain methods: no generics, not async, not const.
fn phase_is_not_generic_or_async(method: &ImplItemFn, errors: &mut Errors) {
    let sig = &method.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            format!("phase `{}` cannot be generic: its parameters are filled from named arguments", sig.ident),
        );
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(asyncness, format!("phase `{}` cannot be async", sig.ident));
    }
}

/// `ctx: &mut TestContext` comes right after `&mut self`.
fn context_first_and_mutable(position: usize, mutable: bool, typed: &PatType, errors: &mut Errors) {
    if !mutable {
        errors.spanned(&typed.ty, "take the context as `&mut TestContext`");
    } else if position != 1 {
        errors.spanned(typed, "the context parameter must come right after `&mut self`");
    }
}

/// `#[args] all: &Args` takes a reference and no `#[arg]`.
fn all_args_is_a_reference(attr: &Attribute, typed: &PatType, arg: Option<&Attribute>, errors: &mut Errors) {
    if !matches!(&*typed.ty, syn::Type::Reference(r) if r.mutability.is_none()) {
        errors.spanned(&typed.ty, "an `#[args]` parameter takes every argument as `&Args`");
    }
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        errors.spanned(attr, "`#[args]` takes no arguments");
    }
    if let Some(arg) = arg {
        errors.spanned(arg, "`#[arg]` does not apply to an `#[args]` parameter");
    }
}

/// No parameter is named like an engine argument: the engine consumes those.
fn not_an_engine_argument(ident: &Ident, errors: &mut Errors) {
    let name = ident.to_string();
    let name = name.trim_start_matches("r#");
    if ENGINE_ARGS.contains(&name) {
        errors.at(
            ident.span(),
            format!("parameter `{name}` is named like an engine argument: the engine consumes `{name}` itself, so no phase can receive it; rename the parameter"),
        );
    }
}

/// The impl is an inherent impl of a non-generic type.
fn impl_is_inherent_and_not_generic(item: &ItemImpl, errors: &mut Errors) {
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "an `#[autotest]` test cannot be generic: the engine builds it with `Default` from its name alone",
        );
    }
}

/// A method one edit away from a phase name is almost certainly that phase,
/// misspelt. Returns whether it was reported.
fn not_a_phase_typo(method: &ImplItemFn, errors: &mut Errors) -> bool {
    let name = method.sig.ident.to_string();
    let close = PHASES.iter().find(|phase| {
        let distance = strsim::osa_distance(&name, phase);
        distance == 1 || (distance == 2 && phase.len() >= 10) || name.eq_ignore_ascii_case(phase)
    });
    if let Some(phase) = close {
        errors.at(method.sig.ident.span(), format!("`{name}` is not a phase; did you mean `{phase}`?"));
    }
    close.is_some()
}

/// One argument feeds every phase that names it, so every phase must give it the
/// same type (optionality may differ), and a default must be the same default
/// everywhere: otherwise phases would see different values for one argument.
fn same_name_same_type(model: &TestImpl<'_>, errors: &mut Errors) {
    let mut seen: Vec<(String, String, Option<String>, &Ident)> = Vec::new();
    for phase in &model.phases {
        for param in &phase.params {
            let name = param.ident.to_string();
            let ty = type_text(param.value_ty);
            let default = match &param.kind {
                ParamKind::Default(expr) => Some(type_text(expr)),
                _ => None,
            };
            match seen.iter().find(|(n, ..)| *n == name) {
                Some((_, first_ty, _, first_phase)) if *first_ty != ty => errors.spanned(
                    param.ty,
                    format!("parameter `{name}` is `{ty}` here but `{first_ty}` in `{first_phase}`; one argument feeds every phase that takes it, so the types must match"),
                ),
                Some((_, _, first_default, first_phase)) if *first_default != default => {
                    let describe = |d: &Option<String>| d.as_ref().map_or_else(|| "no default".to_owned(), |d| format!("the default `{d}`"));
                    errors.at(
                        param.ident.span(),
                        format!(
                            "parameter `{name}` has {} here but {} in `{first_phase}`; one argument feeds every phase that takes it, so give it the same default everywhere (or take it in one phase and keep it in `self`)",
                            describe(&default),
                            describe(first_default)
                        ),
                    );
                }
                Some(_) => {}
                None => seen.push((name, ty, default, phase.name())),
            }
        }
    }
}

/// A test iterates `run_once`, or drives its own loop in `execute`.
fn has_run_once_or_execute(model: &TestImpl<'_>, errors: &mut Errors) {
    let has = |name: &str| model.phases.iter().find(|p| p.name() == name);
    match (has("run_once"), has("execute")) {
        (None, None) => errors.spanned(
            &model.item.self_ty,
            "an `#[autotest]` test needs a `run_once` method (one iteration), or an `execute` method that drives its own loop",
        ),
        (Some(_), Some(execute)) => errors.at(
            execute.name().span(),
            "a test has `run_once` (iterated by the engine) or `execute` (its own loop), not both",
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn check(item: ItemImpl) -> Vec<String> {
        let mut errors = Errors::default();
        let model = crate::model::test_impl(&item, &mut errors);
        test_impl(&model, &mut errors);
        let text = errors.into_compile_errors().to_string();
        text.split("compile_error !").skip(1).map(|m| m.trim().to_owned()).collect()
    }

    #[test]
    fn a_correct_impl_passes() {
        let item: ItemImpl = parse_quote! {
            impl T {
                fn initialize(&mut self, ctx: &mut TestContext, host: String, arg1: Option<String>) {}
                fn run_once(&mut self, #[arg(default = 3, doc = "how many")] count: u32, host: String) -> TestResult { Ok(()) }
                fn cleanup(&mut self, #[args] all: &Args) {}
                fn helper(&self) {}
            }
        };
        assert_eq!(check(item), Vec::<String>::new());
    }

    #[test]
    fn every_rule_reports() {
        let item: ItemImpl = parse_quote! {
            impl T {
                fn run_onec(&mut self) {}
                fn initialize(&self) {}
                fn warmup(&mut self, iterations: u32) {}
                fn setup(&mut self, x: u32) {}
                fn postprocess(&mut self, x: f64) {}
                fn cleanup(&mut self, #[arg(default = 1)] y: Option<u32>) {}
                fn postprocess_iteration<G>(&mut self) {}
            }
        };
        let errors = check(item);
        let expected = [
            "`run_onec` is not a phase; did you mean `run_once`?",
            "phase `initialize` must take `&mut self`",
            "parameter `iterations` is named like an engine argument",
            "parameter `x` is `f64` here but `u32` in `setup`",
            "`#[arg(default = ...)]` on an `Option` parameter",
            "phase `postprocess_iteration` cannot be generic",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for message in expected {
            assert!(errors.iter().any(|e| e.contains(message)), "missing {message:?} in {errors:#?}");
        }
    }
}
