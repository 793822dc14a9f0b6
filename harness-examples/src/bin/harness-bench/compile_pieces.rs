//! The `compile-pieces` workload: what each piece of an `#[autotest]` expansion
//! costs the compiler, per test.
//!
//! One generated crate holds N one-line tests nine times over, one test target
//! per level: plain `#[test]` fns, then the same tests as `#[autotest]` structs
//! written out by hand one piece of the expansion at a time (each level adds one
//! piece to the one before), and last the real macro. Every target is rebuilt
//! with its dependencies already built, the levels alternating, three times;
//! the fastest time of each is printed with what its piece adds per test. The
//! hand-written levels follow the macro's expansion as of 2026-12-01 (`cargo
//! expand` shows the real one); the real macro's level is what users get.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::compile::{body, build, write};

/// The levels: target name and what its piece is.
const LEVELS: [(&str, &str); 9] = [
    ("plain", "plain #[test] fns (libtest)"),
    ("l1", "the struct, its Default and its impl, unused"),
    ("l2", "+ the body compiled"),
    ("l3", "+ a static TestInfo (name, version, description, place, crate)"),
    ("l4", "+ the inventory registration (a shared constructor)"),
    ("l5", "+ the Autotest impl and make::<T> (the box and its vtable)"),
    ("l6", "+ the parameter table and the argument-decoding dispatcher"),
    ("l7", "+ the Meta and Phases traits (the struct's and the impl's halves)"),
    ("l8", "the real #[autotest] expansion (+ the macro's own run)"),
];

const P: &str = "::harness_core::__private";

fn user(i: usize) -> String {
    format!(
        "#[derive(Default)]\nstruct T{i};\nimpl T{i} {{\n    fn run_once(&mut self, size: Option<u32>) {{\n{}    }}\n}}\n",
        body(i, false, "")
    )
}

/// Test `i` at `level` (1 to 8).
fn test(level: usize, i: usize) -> String {
    if level == 8 {
        return format!(
            "/// Test {i}.\n#[autotest(version = 1)]\n#[derive(Default)]\nstruct T{i};\n#[autotest]\nimpl T{i} {{\n    fn run_once(&mut self, size: Option<u32>) {{\n{}    }}\n}}\n",
            body(i, false, "")
        );
    }
    let mut out = user(i);
    if level == 1 {
        return out;
    }
    if level <= 4 {
        let _ = writeln!(out, "#[used]\nstatic RUN{i}: fn(&mut T{i}, Option<u32>) = T{i}::run_once;");
    }
    if level == 2 {
        return out;
    }
    let chain = format!(
        "{P}::TestInfo::new(\"t{i}\", {P}::Version::Int(1)).with_description(\"Test {i}.\").with_location(\"tests/l.rs\", 8u32).with_crate(\"pieces\", \"0.0.0\", \"/\")"
    );
    let tables = format!("&[{P}::PhaseTable::new({P}::Phase::RunOnce, RO{i})]");
    let params = format!(
        "const RO{i}: &[{P}::Param] = &[{P}::Param::new(\"size\", \"Option<u32>\", {P}::ParamKind::Optional, {P}::decoder::<u32>)];\n"
    );
    if level == 7 {
        let _ =
            writeln!(out, "impl {P}::Meta for T{i} where T{i}: {P}::Phases {{ const META: {P}::TestInfo = {chain}; }}");
        let _ = writeln!(
            out,
            "impl {P}::Phases for T{i} {{\n    const PARAMS: &'static [(&'static str, &'static str, {P}::ValueKind)] = &[(\"size\", \"u32\", {P}::ValueKind::Int)];\n    const PARAM_LIST: &'static str = \"size (u32)\";\n}}"
        );
        let _ =
            writeln!(out, "{params}static INFO{i}: {P}::TestInfo = <T{i} as {P}::Meta>::META.with_phases({tables});");
    } else if level == 6 {
        let _ = writeln!(out, "{params}static INFO{i}: {P}::TestInfo = {chain}.with_phases({tables});");
    } else {
        let _ = writeln!(out, "static INFO{i}: {P}::TestInfo = {chain};");
    }
    if level == 3 {
        let _ = writeln!(out, "#[used]\nstatic USE{i}: &{P}::TestInfo = &INFO{i};");
        return out;
    }
    let make = if level == 4 { "shared_make".to_owned() } else { format!("{P}::make::<T{i}>") };
    let _ = writeln!(out, "{P}::inventory::submit! {{ {P}::Registration::new(&INFO{i}, {make}) }}");
    if level == 4 {
        return out;
    }
    let info = format!("fn info(&self) -> &'static {P}::TestInfo {{ &INFO{i} }}");
    if level == 5 {
        let _ = writeln!(
            out,
            "impl {P}::Autotest for T{i} {{\n    {info}\n    fn run_phase(&mut self, phase: {P}::Phase, _: &mut {P}::TestContext, _: &{P}::Args) -> {P}::TestResult {{\n        if let {P}::Phase::RunOnce = phase {{ Self::run_once(self, None) }}\n        {P}::Result::Ok(())\n    }}\n}}"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "impl {P}::Autotest for T{i} {{
    {info}
    fn run_phase(&mut self, phase: {P}::Phase, _: &mut {P}::TestContext, args: &{P}::Args) -> {P}::TestResult {{
        match phase {{
            {P}::Phase::RunOnce => {{
                let arg0: Option<u32> = match {P}::optional::<u32>(args, &RO{i}[0usize], &INFO{i}, \"run_once\") {{
                    {P}::Result::Ok(value) => value,
                    {P}::Result::Err(failure) => return {P}::Result::Err(failure),
                }};
                let result = Self::run_once(self, arg0);
                {P}::IntoTestResult::into_test_result(result)
            }}
            _ => {P}::Result::Ok(()),
        }}
    }}
}}"
    );
    out
}

/// The source of one level's target with `n` tests.
fn source(level: &str, n: usize) -> String {
    if level == "plain" {
        let mut out = String::new();
        for i in 0..n {
            let _ = write!(
                out,
                "#[test]\nfn t{i}() {{\n    let size: Option<u32> = std::hint::black_box(None);\n{}}}\n",
                body(i, false, "")
            );
        }
        return out;
    }
    let level: usize = level[1..].parse().expect("a level number");
    let mut out = String::from(
        "#![allow(dead_code, unused_imports)]\nuse harness_core::prelude::*;\n\nfn main() {\n    harness_core::test_main();\n}\n\n",
    );
    if level == 4 {
        let _ = writeln!(out, "fn shared_make() -> Box<dyn {P}::Autotest> {{\n    unimplemented!()\n}}\n");
    }
    for i in 0..n {
        out.push_str(&test(level, i));
        out.push('\n');
    }
    out
}

fn manifest(core: &Path) -> String {
    let mut out = format!(
        "[package]\nname = \"pieces\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nharness-core = {{ path = {core:?}, default-features = false }}\n\n[workspace]\n"
    );
    for (name, _) in &LEVELS[1..] {
        let _ = write!(out, "\n[[test]]\nname = \"{name}\"\nharness = false\n");
    }
    out
}

/// Prints each level's build time and what its piece adds per test.
pub(crate) fn compile_pieces(n: usize) {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-core").canonicalize().expect("harness-core");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/harness-bench/pieces");
    let target = dir.join("target");
    write(&dir.join("Cargo.toml"), &manifest(&core));
    write(&dir.join("src/lib.rs"), "");
    for (name, _) in &LEVELS {
        write(&dir.join(format!("tests/{name}.rs")), &source(name, n));
    }
    // The first round builds the dependencies; only the rebuilds count.
    for (name, _) in &LEVELS {
        build(&dir, &target, name);
    }
    let mut best = [Duration::MAX; LEVELS.len()];
    for _ in 0..3 {
        for (slot, (name, _)) in best.iter_mut().zip(&LEVELS) {
            *slot = (*slot).min(build(&dir, &target, name));
        }
    }
    let shown = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    println!("compile-pieces n={n} (fastest of 3 rebuilds; in {})", shown.display());
    #[allow(clippy::cast_precision_loss, reason = "test counts")]
    let per_test = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()) * 1e3 / n as f64;
    for (k, (name, what)) in LEVELS.iter().enumerate() {
        let seconds = best[k].as_secs_f64();
        let added = match k {
            0 => String::new(),
            // Mostly linking harness-core, once per binary, and plain's bodies.
            1 => format!("{:+.2} s against plain", seconds - best[0].as_secs_f64()),
            8 => format!("{:+.2} ms/test against l7", per_test(best[8], best[7])),
            _ => format!("{:+.2} ms/test", per_test(best[k], best[k - 1])),
        };
        println!("{name:>5} {seconds:6.2} s  {:4.2}x plain  {added:<28} {what}", seconds / best[0].as_secs_f64());
    }
}
