//! `list` and `list --json`: the tests of the binary and their parameter tables.

use serde::Serialize;

use crate::registry;
use crate::schema::ParamKind;

/// The version of the `list --json` layout.
pub(crate) const LIST_SCHEMA_VERSION: u32 = 2;

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
    phases: Vec<PhaseJson>,
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
pub(crate) fn json() -> String {
    let tests = registry::all()
        .map(|registration| {
            let info = registration.info();
            TestJson {
                name: info.name(),
                version: info.version().to_string(),
                description: info.description(),
                location: info.location(),
                preserve_srcdir: info.preserve_srcdir(),
                postprocess_profiled_run: info.postprocess_profiled_run(),
                network_destabilizing: info.network_destabilizing(),
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
pub(crate) fn text() -> String {
    let mut out = String::new();
    for registration in registry::all() {
        let info = registration.info();
        let summary = info.description().split("\n\n").next().unwrap_or("").replace('\n', " ");
        out.push_str(&format!("{} (version {})", info.name(), info.version()));
        if !summary.is_empty() {
            out.push_str(&format!(": {summary}"));
        }
        out.push('\n');
        for table in info.phases() {
            if table.params().is_empty() && !table.accepts_all() {
                continue;
            }
            out.push_str(&format!("    {}", table.phase().name()));
            if table.accepts_all() {
                out.push_str(" (takes every argument)");
            }
            out.push('\n');
            for param in table.params() {
                let kind =
                    param.default_text().map_or_else(|| kind(param.kind()).to_owned(), |d| format!("default {d}"));
                out.push_str(&format!("        {}: {} ({kind})", param.name(), param.type_name()));
                if !param.doc().is_empty() {
                    out.push_str(&format!("  {}", param.doc()));
                }
                out.push('\n');
            }
        }
    }
    out
}
