//! `list` and `list --json`: the tests of the binary and their parameter tables.

use serde::Serialize;

use super::error::CliError;
use super::select;
use crate::registry::{self, Registration};
use crate::schema::{ParamKind, Variant};

/// The version of the `list --json` layout.
pub(crate) const LIST_SCHEMA_VERSION: u32 = 3;

/// A test to list, with those of its variants that were chosen.
pub(crate) struct Chosen {
    registration: &'static Registration,
    /// Whether the test itself was chosen (not only some variants).
    itself: bool,
    variants: Vec<&'static Variant>,
}

/// The tests `list TESTS --select EXPR [--runnable]` shows, in order.
///
/// # Errors
///
/// A bad glob or expression, a glob that matches nothing, an unknown name.
pub(crate) fn chosen(tests: &[String], select: Option<&str>, runnable: bool) -> Result<Vec<Chosen>, CliError> {
    let named = if tests.is_empty() {
        registry::names().collect()
    } else {
        let mut named = Vec::new();
        for name in select::names(tests)? {
            let Some((registration, variant)) = registry::resolve(&name) else {
                let suggestions = registry::suggestions(&name);
                return Err(crate::error::Error::UnknownTest { name, suggestions }.into());
            };
            named.push((name.into(), registration, variant));
        }
        named
    };
    let selection = select.map(select::selection).transpose()?;
    let mut out: Vec<Chosen> = Vec::new();
    // Where each test's entry is in `out`, by the registration's address.
    let mut index: std::collections::HashMap<*const registry::Registration, usize> = std::collections::HashMap::new();
    for (name, registration, variant) in named {
        if selection.as_ref().is_some_and(|s| !s.matches(&name, registration.info().attrs())) {
            continue;
        }
        if runnable && registration.info().check_requirements().is_err() {
            continue;
        }
        let at = *index.entry(std::ptr::from_ref(registration)).or_insert_with(|| {
            out.push(Chosen { registration, itself: false, variants: Vec::new() });
            out.len() - 1
        });
        match variant {
            Some(variant) => out[at].variants.push(variant),
            None => out[at].itself = true,
        }
    }
    // A test chosen by its own name shows all its variants.
    for chosen in &mut out {
        if chosen.itself && chosen.variants.is_empty() {
            chosen.variants = chosen.registration.info().variants().iter().collect();
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct ListJson {
    schema_version: u32,
    tests: Vec<TestJson>,
}

#[derive(Serialize)]
struct TestJson {
    name: &'static str,
    version: String,
    description: &'static str,
    location: String,
    preserve_srcdir: bool,
    postprocess_profiled_run: bool,
    network_destabilizing: bool,
    attrs: &'static [&'static str],
    contacts: &'static [&'static str],
    timeout: Option<f64>,
    warmup_iterations: Option<u64>,
    warmup_time: Option<f64>,
    cpus: Option<&'static str>,
    parallel: bool,
    requirements: Vec<String>,
    /// The first unmet requirement's reason, null when all are met (or none).
    unmet: Option<String>,
    /// Whether the test itself was chosen (else only some of its variants).
    listed: bool,
    variants: Vec<VariantJson>,
    phases: Vec<PhaseJson>,
}

#[derive(Serialize)]
struct VariantJson {
    name: String,
    args: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct PhaseJson {
    phase: &'static str,
    accepts_all: bool,
    params: Vec<ParamJson>,
}

#[derive(Serialize)]
struct ParamJson {
    name: &'static str,
    #[serde(rename = "type")]
    type_name: &'static str,
    kind: &'static str,
    /// The default as a JSON value; null when it is an expression only the
    /// compiler can evaluate (then `default_expr` holds it).
    default: Option<serde_json::Value>,
    /// The default as written in the source.
    default_expr: Option<&'static str>,
    doc: &'static str,
}

fn kind(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Required => "required",
        ParamKind::Optional => "optional",
        ParamKind::Default(_) => "default",
    }
}

fn default_expr(kind: ParamKind) -> Option<&'static str> {
    match kind {
        ParamKind::Default(expr) => Some(expr),
        _ => None,
    }
}

/// The list as JSON.
pub(crate) fn json(chosen: &[Chosen]) -> String {
    let tests = chosen
        .iter()
        .map(|chosen| {
            let info = chosen.registration.info();
            TestJson {
                name: info.name(),
                version: info.version().to_string(),
                description: info.description(),
                location: info.location(),
                preserve_srcdir: info.preserve_srcdir(),
                postprocess_profiled_run: info.postprocess_profiled_run(),
                network_destabilizing: info.network_destabilizing(),
                attrs: info.attrs(),
                contacts: info.contacts(),
                timeout: info.timeout(),
                warmup_iterations: info.warmup_iterations(),
                warmup_time: info.warmup_time(),
                cpus: info.cpus(),
                parallel: info.parallel(),
                requirements: info.requirements().iter().map(ToString::to_string).collect(),
                unmet: info.check_requirements().err(),
                listed: chosen.itself,
                variants: chosen
                    .variants
                    .iter()
                    .map(|v| VariantJson {
                        name: format!("{}.{}", info.name(), v.name()),
                        args: v.args().iter().map(|(k, v)| (k.to_owned(), v.clone())).collect(),
                    })
                    .collect(),
                phases: info
                    .phases()
                    .iter()
                    .map(|table| PhaseJson {
                        phase: table.phase().name(),
                        accepts_all: table.accepts_all(),
                        params: table
                            .params()
                            .iter()
                            .map(|p| ParamJson {
                                name: p.name(),
                                type_name: p.type_name(),
                                kind: kind(p.kind()),
                                default: p.default_value(),
                                default_expr: default_expr(p.kind()),
                                doc: p.doc(),
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&ListJson { schema_version: LIST_SCHEMA_VERSION, tests }).unwrap_or_default()
}

/// The list as text.
pub(crate) fn text(chosen: &[Chosen]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for chosen in chosen {
        let info = chosen.registration.info();
        let _ = write!(out, "{} (version {})", info.name(), info.version());
        let summary = info.description().split("\n\n").next().unwrap_or("");
        if !summary.is_empty() {
            let _ = write!(out, ": {}", summary.replace('\n', " "));
        }
        out.push('\n');
        let mut line = |label: &str, text: String| {
            if !text.is_empty() {
                let _ = writeln!(out, "    {label}: {text}");
            }
        };
        line("attrs", info.attrs().join(", "));
        line("contacts", info.contacts().join(", "));
        line("timeout", info.timeout().map(|t| format!("{t} s")).unwrap_or_default());
        let warmup = match (info.warmup_iterations(), info.warmup_time()) {
            (Some(n), Some(s)) => format!("{n} iteration{}, at least {s} s", if n == 1 { "" } else { "s" }),
            (Some(n), None) => format!("{n} iteration{}", if n == 1 { "" } else { "s" }),
            (None, Some(s)) => format!("{s} s"),
            (None, None) => String::new(),
        };
        line("warm-up", warmup);
        line("cpus", info.cpus().unwrap_or_default().to_owned());
        line("runs beside others", if info.parallel() { "yes (parallel)".to_owned() } else { String::new() });
        let requirements: Vec<String> = info.requirements().iter().map(ToString::to_string).collect();
        line("requires", requirements.join(", "));
        let variants: Vec<String> = chosen
            .variants
            .iter()
            .map(|v| {
                let args: Vec<String> = v.args().iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}.{} ({})", info.name(), v.name(), args.join(", "))
            })
            .collect();
        line("variants", variants.join(", "));
        for table in info.phases() {
            if table.params().is_empty() && !table.accepts_all() {
                continue;
            }
            let _ = write!(out, "    {}", table.phase().name());
            if table.accepts_all() {
                out.push_str(" (takes every argument)");
            }
            out.push('\n');
            for param in table.params() {
                let _ = write!(out, "        {}: {} (", param.name(), param.type_name());
                match param.default_text() {
                    Some(default) => {
                        let _ = write!(out, "default {default})");
                    }
                    None => {
                        let _ = write!(out, "{})", kind(param.kind()));
                    }
                }
                if !param.doc().is_empty() {
                    let _ = write!(out, "  {}", param.doc());
                }
                out.push('\n');
            }
        }
    }
    out
}
