//! The structure docs/design.md describes, held true. Every file of
//! harness-core and harness-macros is read, every path it names into its own
//! crate (`crate::`, `super::`, `self::`, and `harness_core::`, which `extern
//! crate self` makes valid inside harness-core) is resolved to the file it
//! lands in, and:
//! - the top-level modules import only their own layer and those below;
//! - no file or folder imports one that imports it back, at any level (the
//!   files of a folder among themselves, the folders of a crate among
//!   themselves);
//! - nothing inside the crate imports through the crate root's re-exports.
//!
//! Items under `#[cfg(test)]` are left out wherever they are. Each check is
//! shown to refuse what it looks for, on fixtures, by
//! `the_checks_catch_what_they_look_for`.

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
            "console",
            "debuglog",
            "failure",
            "select",
            "stats",
            "machine",
            "units",
            "shard",
        ],
    ),
    (
        "files and schema",
        &["results", "compare", "schema", "cancel", "exclusive", "signal", "event", "validate", "export"],
    ),
    ("what a test sees", &["context", "definition", "profiler", "registry", "settings", "plan"]),
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

/// The names a path into the crate may start with, besides `crate` (`$crate`,
/// `super`, `self`): `harness_core` inside harness-core.
fn own_names(krate: &str) -> &'static [&'static str] {
    if krate == "harness-core" { &["harness_core"] } else { &[] }
}

/// The text of `src` with comments and the contents of strings and char
/// literals taken out, so that only code is left.
fn without_comments_and_strings(src: &str) -> String {
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

/// The end of the item that starts at `from` (after its attributes): past
/// its `;`, or past the brace group that closes it.
fn item_end(code: &str, from: usize) -> usize {
    let bytes = code.as_bytes();
    let mut i = from;
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// `src` as code: no comments, no string contents, and no item marked
/// `#[cfg(test)]` (wherever it is in the file; what follows it is kept).
fn code_of(src: &str) -> String {
    let mut code = without_comments_and_strings(src);
    while let Some(at) = code.find("#[cfg(test)]") {
        let end = item_end(&code, at + "#[cfg(test)]".len());
        code.replace_range(at..end, "");
    }
    code
}

/// The module a file defines: `results/chart.rs` is `results::chart`,
/// `results/mod.rs` is `results`, `lib.rs` the crate root.
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|last| last == "mod" || last == "lib" || last == "main") {
        parts.pop();
    }
    parts
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths of a `use` tree or an expression path at the start of `text`
/// (after its first `::`): `a::{b::C, d}` gives `[a, b, C]` and `[a, d]`.
fn path_tree(text: &str) -> Vec<Vec<String>> {
    fn parse(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
        let mut path = prefix.to_vec();
        let mut i = 0;
        let bytes = text.as_bytes();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if text[i..].starts_with('{') {
                i += 1;
                loop {
                    i += parse(&text[i..], &path, out);
                    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    match bytes.get(i) {
                        Some(b',') => i += 1,
                        Some(b'}') => return i + 1,
                        _ => return i,
                    }
                    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'}') {
                        return i + 1;
                    }
                }
            }
            if text[i..].starts_with('*') {
                out.push(path);
                return i + 1;
            }
            let name: String = text[i..].chars().take_while(|c| is_ident_char(*c)).collect();
            if name.is_empty() {
                out.push(path);
                return i;
            }
            i += name.len();
            path.push(name);
            if text[i..].starts_with("::") && !text[i + 2..].starts_with('<') {
                i += 2;
            } else {
                out.push(path);
                return i;
            }
        }
    }
    let mut out = Vec::new();
    parse(text, &[], &mut out);
    out.retain(|p| !p.is_empty());
    out
}

/// The modules `code` declares (`mod chart;`), whose paths it may write
/// bare (`chart::PerfChart`).
fn child_modules(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("mod ") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + 4..];
        if before.is_some_and(is_ident_char) {
            continue;
        }
        let name: String = rest.trim_start().chars().take_while(|c| is_ident_char(*c)).collect();
        let after = rest.trim_start()[name.len()..].trim_start();
        if !name.is_empty() && (after.starts_with(';') || after.starts_with('{')) {
            found.push(name);
        }
    }
    found
}

/// Every path `code` (of the file defining `module`) names into its own
/// crate, resolved to absolute segments from the crate root: `crate::`,
/// `$crate::`, `super::`, `self::`, the crate's own names (`harness_core::`,
/// `::harness_core::`), and the bare paths of the modules the file declares.
fn crate_paths(code: &str, module: &[String], own: &[&str]) -> Vec<Vec<String>> {
    let children = child_modules(code);
    let mut starts: Vec<(String, Vec<String>)> = vec![
        ("crate::".to_owned(), Vec::new()),
        ("super::".to_owned(), module[..module.len().saturating_sub(1)].to_vec()),
        ("self::".to_owned(), module.to_vec()),
    ];
    starts.extend(own.iter().map(|name| (format!("{name}::"), Vec::new())));
    // A declared child is named from here: `chart::X` is `<module>::chart::X`.
    starts.extend(children.iter().map(|child| (format!("{child}::"), module.to_vec())));
    let mut found = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let before = &code[..at];
        let start_ok = match before.chars().next_back() {
            None => true,
            Some(':') => before.ends_with("::") && !before[..before.len() - 2].ends_with(is_ident_char),
            Some(c) => !is_ident_char(c),
        };
        let matched = if start_ok { starts.iter().find(|(start, _)| rest.starts_with(start.as_str())) } else { None };
        let Some((start, base)) = matched else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut base = base.clone();
        let mut tail = &rest[start.len()..];
        if start == "super::" {
            while let Some(more) = tail.strip_prefix("super::") {
                base.pop();
                tail = more;
            }
        }
        // A declared child's path starts with its own name.
        if children.iter().any(|child| format!("{child}::") == *start) {
            tail = rest;
        }
        for path in path_tree(tail) {
            let mut full = base.clone();
            full.extend(path.into_iter().filter(|segment| segment != "self"));
            found.push(full);
        }
        at += start.len();
    }
    found
}

/// A crate's import graph: file -> the files it names, and the paths that go
/// through the crate root's re-exports.
#[derive(Debug, Default)]
struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
    through_root: Vec<String>,
}

/// The graph of `sources` (relative path -> text).
fn graph(sources: &BTreeMap<String, String>, own: &[&str]) -> Graph {
    let modules: BTreeMap<Vec<String>, String> = sources.keys().map(|file| (module_path(file), file.clone())).collect();
    let mut graph = Graph::default();
    for (file, text) in sources {
        let module = module_path(file);
        let code = code_of(text);
        let targets = graph.edges.entry(file.clone()).or_default();
        for path in crate_paths(&code, &module, own) {
            // The file a path lands in: its longest prefix that is a module.
            let depth = (0..=path.len()).rev().find(|n| modules.contains_key(&path[..*n])).unwrap_or(0);
            let target = &modules[&path[..depth]];
            if depth == 0 && !path.is_empty() {
                if !module.is_empty() {
                    graph.through_root.push(format!("{file}: {}", path.join("::")));
                }
                continue;
            }
            if target != file {
                targets.insert(target.clone());
            }
        }
    }
    graph
}

/// The top-level module of a file: `engine` for `engine/run.rs`, `lib` for the root.
fn top_level(file: &str) -> String {
    module_path(file).first().cloned().unwrap_or_else(|| "lib".to_owned())
}

/// The edges between the parts of each folder (its files and subfolders, and
/// its `mod.rs` as `mod`), folder by folder: `""` is the crate's `src`.
fn folder_edges(graph: &Graph) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let part = |file: &str, folder: &[String]| -> Option<String> {
        let module = module_path(file);
        if !module.starts_with(folder) {
            return None;
        }
        let own = if folder.is_empty() { "lib" } else { "mod" };
        Some(module.get(folder.len()).cloned().unwrap_or_else(|| own.to_owned()))
    };
    let mut folders: BTreeSet<Vec<String>> = BTreeSet::new();
    for file in graph.edges.keys() {
        let module = module_path(file);
        for n in 0..module.len() {
            folders.insert(module[..n].to_vec());
        }
    }
    let mut out = BTreeMap::new();
    for folder in folders {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &graph.edges {
            let Some(a) = part(from, &folder) else { continue };
            for to in targets {
                if let Some(b) = part(to, &folder)
                    && a != b
                {
                    edges.entry(a.clone()).or_default().insert(b);
                }
            }
        }
        out.insert(folder.join("/"), edges);
    }
    out
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

/// Every circle of imports, in any folder: `folder: a -> b -> a`.
fn circles(graph: &Graph) -> Vec<String> {
    folder_edges(graph)
        .into_iter()
        .filter_map(|(folder, edges)| {
            let cycle = find_cycle(&edges)?;
            Some(format!("{}: {}", if folder.is_empty() { "src" } else { &folder }, cycle.join(" -> ")))
        })
        .collect()
}

fn layer_of(layers: Layers, module: &str) -> Option<usize> {
    layers.iter().position(|(_, modules)| modules.contains(&module))
}

/// Every import against the layers: `from -> to` with both layers named.
fn upward(layers: Layers, graph: &Graph) -> Vec<String> {
    let mut found = BTreeSet::new();
    for (from, targets) in &graph.edges {
        let from = top_level(from);
        for to in targets {
            let to = top_level(to);
            let (Some(a), Some(b)) = (layer_of(layers, &from), layer_of(layers, &to)) else { continue };
            let allowed = ALLOWED_UPWARD.iter().any(|(f, t, _)| *f == from && *t == to);
            if b > a && !allowed {
                found.insert(format!("{from} ({}) imports {to} ({})", layers[a].0, layers[b].0));
            }
        }
    }
    found.into_iter().collect()
}

/// Every `.rs` file under `src`, by its path relative to `src`.
fn sources(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().to_string_lossy().into_owned();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

fn source_dir(krate: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("src")
}

fn crates() -> [(&'static str, Layers); 2] {
    [("harness-core", LAYERS), ("harness-macros", MACRO_LAYERS)]
}

#[test]
fn every_module_has_a_layer() {
    for (krate, layers) in crates() {
        let graph = graph(&sources(&source_dir(krate)), own_names(krate));
        let modules: BTreeSet<String> = graph.edges.keys().map(|f| top_level(f)).collect();
        let unplaced: Vec<&String> = modules.iter().filter(|m| layer_of(layers, m).is_none()).collect();
        assert!(
            unplaced.is_empty(),
            "{krate}: modules with no layer (add them here and to docs/design.md): {unplaced:?}"
        );
        for (_, names) in layers {
            for module in *names {
                assert!(modules.contains(*module), "the layers name `{module}`, which {krate}/src does not have");
            }
        }
    }
}

#[test]
fn imports_flow_one_way_without_circles() {
    for (krate, layers) in crates() {
        let graph = graph(&sources(&source_dir(krate)), own_names(krate));
        assert_eq!(circles(&graph), Vec::<String>::new(), "{krate}: circles of imports");
        assert_eq!(
            upward(layers, &graph),
            Vec::<String>::new(),
            "{krate}: imports against the layers of docs/design.md"
        );
        assert_eq!(
            graph.through_root,
            Vec::<String>::new(),
            "{krate}: internal imports must name their module, not the root"
        );
    }
    let core = graph(&sources(&source_dir("harness-core")), own_names("harness-core"));
    let imports = |from: &str| -> BTreeSet<String> {
        core.edges
            .iter()
            .filter(|(f, _)| top_level(f) == from)
            .flat_map(|(_, t)| t.iter().map(|t| top_level(t)))
            .collect()
    };
    assert!(imports("engine").contains("context") && !imports("engine").contains("job"), "{:?}", imports("engine"));
}

fn fixture(files: &[(&str, &str)]) -> Graph {
    let sources = files.iter().map(|(path, text)| ((*path).to_owned(), (*text).to_owned())).collect();
    graph(&sources, &["harness_core"])
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // Two files of one folder importing each other, through `super::`.
    let folder = fixture(&[
        ("lib.rs", "mod results;"),
        ("results/mod.rs", "mod chart;\nmod chart_json;"),
        ("results/chart.rs", "use super::chart_json::write;"),
        ("results/chart_json.rs", "pub fn write() { super::chart::PerfChart::new(); }"),
    ]);
    assert_eq!(circles(&folder), ["results: chart -> chart_json -> chart"]);
    // A file importing through its folder's `mod.rs`, which re-exports it.
    let via_mod = fixture(&[
        ("lib.rs", "mod engine;"),
        ("engine/mod.rs", "mod run;\npub(crate) use self::run::run;"),
        ("engine/run.rs", "use crate::engine::Other;"),
    ]);
    assert_eq!(circles(&via_mod), ["engine: mod -> run -> mod"]);
    // A circle between folders, one side written `harness_core::`, the other `self::` in a nested module.
    let folders = fixture(&[
        ("lib.rs", "mod args;\nmod engine;"),
        ("args.rs", "fn f() { harness_core::engine::run(); }"),
        ("engine/mod.rs", "mod run;"),
        ("engine/run.rs", "use crate::{args::Args, status::Status};"),
    ]);
    assert_eq!(circles(&folders), ["src: args -> engine -> args"]);
    assert_eq!(upward(LAYERS, &folders), ["args (foundation) imports engine (engine)"]);
    // An upward import written `super::super::`, from two folders down.
    let upward_super = fixture(&[
        ("lib.rs", "mod results;\nmod job;"),
        ("results/mod.rs", "mod outputs;"),
        ("results/outputs/mod.rs", "mod record;"),
        ("results/outputs/record.rs", "use super::super::super::job::Job;"),
        ("job.rs", "pub struct Job;"),
    ]);
    assert_eq!(upward(LAYERS, &upward_super), ["results (files and schema) imports job (job)"]);
    // What a test item imports does not count; what follows it does.
    let tests = fixture(&[
        ("lib.rs", "mod status;\nmod job;"),
        (
            "status.rs",
            "#[cfg(test)]\nfn helper() { crate::job::x(); }\nuse crate::job::Job;\n#[cfg(test)]\nmod tests { use crate::job; }",
        ),
        ("job.rs", "pub struct Job;"),
    ]);
    assert_eq!(tests.edges["status.rs"], BTreeSet::from(["job.rs".to_owned()]));
    assert_eq!(upward(LAYERS, &tests), ["status (foundation) imports job (job)"]);
    // Through the root, and what is not an import at all.
    let root = fixture(&[
        ("lib.rs", "mod engine;\npub use engine::Status;"),
        ("engine.rs", "use crate::Status;\n// crate::job\nlet s = \"crate::cli\";\nfn f() -> self::X {}"),
    ]);
    assert_eq!(root.through_root, ["engine.rs: Status"]);
    assert_eq!(root.edges["engine.rs"], BTreeSet::new());
    assert_eq!(
        path_tree("results::{chart::{A, b}, keyval}::x"),
        [vec!["results", "chart", "A"], vec!["results", "chart", "b"], vec!["results", "keyval"]]
    );
}
