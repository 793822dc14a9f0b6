//! The direction of flow inside harness-core and harness-macros, read from
//! their own source: every module's `crate::` paths, outside comments,
//! strings and unit tests. No module may import one of a higher layer, no two
//! modules may import each other through any chain, and no module imports the
//! crate root's re-exports (internal paths name the module an item lives in).
//! The layers are those of docs/design.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A crate's layers, lowest first; a module may import its own layer and those below.
type Layers = &'static [(&'static str, &'static [&'static str])];

/// harness-core's layers.
const LAYERS: Layers = &[
    (
        "foundation",
        &[
            "status",
            "phase",
            "constraint",
            "caches",
            "state",
            "args",
            "error",
            "files",
            "names",
            "text",
            "debuglog",
            "failure",
            "select",
            "stats",
        ],
    ),
    ("files and schema", &["results", "schema", "cancel", "signal", "event", "validate"]),
    ("what a test sees", &["context", "definition", "profiler", "registry", "settings"]),
    ("engine", &["engine"]),
    ("supervisor", &["supervisor"]),
    ("job", &["job"]),
    ("front ends", &["child", "cli", "libtest", "__private", "lib"]),
];

/// harness-macros' layers: parse -> model -> validate -> expand.
const MACRO_LAYERS: Layers = &[
    ("helpers", &["errors", "paths", "kinds", "bodies"]),
    ("parse", &["attr"]),
    ("model", &["model"]),
    ("validate", &["valid"]),
    ("expand", &["expand", "fallback"]),
    ("entry", &["lib"]),
];

/// Imports allowed against the layers, each with its reason: only where a
/// trait must be seen from below. None is needed today.
const ALLOWED_UPWARD: &[(&str, &str, &str)] = &[];

/// The names the crate root defines or re-exports, which no module inside
/// the crate may import through the root.
fn is_root_item(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        || ["main", "run_cli", "test_main", "results_root", "autotest", "prelude"].contains(&name)
}

/// `src` without comments, string contents and the unit tests at its end.
fn code_of(src: &str) -> String {
    let src = src.find("#[cfg(test)]\nmod tests").map_or(src, |at| &src[..at]);
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            i += 3 + raw.find("\"#").map_or(raw.len(), |end| end + 2);
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() && rest.as_bytes()[j] != b'"' {
                j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
            }
            i += (j + 1).min(rest.len());
            out.push_str("\"\"");
        } else if rest.starts_with('\'')
            && rest.len() > 2
            && (rest.as_bytes()[2] == b'\'' || rest.as_bytes()[1] == b'\\')
        {
            // A char literal such as '"' or '\n' (lifetimes have no closing quote).
            let end = rest[1..].find('\'').map_or(1, |e| e + 2);
            i += end;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The module a file belongs to: the first component under `src`.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    let stem = first.strip_suffix(".rs").unwrap_or(&first);
    stem.to_owned()
}

/// Every `crate::<segment>` the code names.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::B, c}`: the first segment of each item.
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(inner.split(',').map(|item| segment(item.trim())).filter(|s| !s.is_empty()));
        } else {
            found.push(segment(rest));
        }
    }
    found
}

fn segment(path: &str) -> String {
    path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The module graph of harness-core's `src`: module -> the modules it names.
fn graph(src: &Path) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut through_root = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            let module = module_of(relative);
            let code = code_of(&std::fs::read_to_string(&path).unwrap());
            let targets = edges.entry(module.clone()).or_default();
            for name in crate_paths(&code) {
                if is_root_item(&name) {
                    if module != "lib" {
                        through_root.push(format!("{}: crate::{name}", relative.display()));
                    }
                } else if name != module {
                    targets.insert(name);
                }
            }
        }
    }
    (edges, through_root)
}

/// A chain of imports that leads back to where it started, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

fn layer_of(layers: Layers, module: &str) -> Option<usize> {
    layers.iter().position(|(_, modules)| modules.contains(&module))
}

/// Every import against the layers: `from -> to` with both layers named.
fn upward(layers: Layers, edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in edges {
        for to in targets {
            let (Some(a), Some(b)) = (layer_of(layers, from), layer_of(layers, to)) else { continue };
            let allowed = ALLOWED_UPWARD.iter().any(|(f, t, _)| f == from && t == to);
            if b > a && !allowed {
                found.push(format!("{from} ({}) imports {to} ({})", layers[a].0, layers[b].0));
            }
        }
    }
    found
}

fn source_dir(krate: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("src")
}

#[test]
fn every_module_has_a_layer() {
    for (krate, layers) in [("harness-core", LAYERS), ("harness-macros", MACRO_LAYERS)] {
        let (edges, _) = graph(&source_dir(krate));
        let unplaced: Vec<&String> = edges.keys().filter(|m| layer_of(layers, m).is_none()).collect();
        assert!(
            unplaced.is_empty(),
            "{krate}: modules with no layer (add them here and to docs/design.md): {unplaced:?}"
        );
        for (_, modules) in layers {
            for module in *modules {
                assert!(edges.contains_key(*module), "the layers name `{module}`, which {krate}/src does not have");
            }
        }
    }
}

#[test]
fn imports_flow_one_way_without_circles() {
    for (krate, layers) in [("harness-core", LAYERS), ("harness-macros", MACRO_LAYERS)] {
        let (edges, through_root) = graph(&source_dir(krate));
        assert_eq!(find_cycle(&edges), None, "{krate}: a circle of imports");
        assert_eq!(
            upward(layers, &edges),
            Vec::<String>::new(),
            "{krate}: imports against the layers of docs/design.md"
        );
        assert_eq!(
            through_root,
            Vec::<String>::new(),
            "{krate}: internal imports must name their module, not the root"
        );
    }
    let (core, _) = graph(&source_dir("harness-core"));
    assert!(core["engine"].contains("context") && !core["engine"].contains("job"), "{:?}", core["engine"]);
    let (macros, _) = graph(&source_dir("harness-macros"));
    assert!(macros["valid"].contains("model") && !macros["model"].contains("valid"), "{:?}", macros["model"]);
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // A circle through three modules, and an import from a low layer upward.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("args".into()).or_default().insert("engine".into());
    edges.entry("engine".into()).or_default().insert("job".into());
    edges.entry("job".into()).or_default().insert("args".into());
    assert_eq!(find_cycle(&edges).unwrap(), ["args", "engine", "job", "args"]);
    assert_eq!(
        upward(LAYERS, &edges),
        ["args (foundation) imports engine (engine)", "engine (engine) imports job (job)"]
    );
    // What counts as an import, and what does not.
    let code = code_of(
        "use crate::results::{Keyval, x};\n// crate::job in a comment\nlet s = \"crate::cli\";\nuse crate::{Status, engine::run};\nfn f() { crate::job::Job::builder(); }\n#[cfg(test)]\nmod tests { use crate::cli; }",
    );
    assert_eq!(crate_paths(&code), ["results", "Status", "engine", "job"]);
}
