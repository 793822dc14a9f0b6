//! The `compile` workload: build time of N `#[autotest]` tests against the same N
//! bodies as plain `#[test]` fns, rstest cases and test-case cases.
//!
//! Both crates hold their tests in one integration-test target, as users write
//! them: the `#[autotest]` one as a `harness = false` target run by
//! `harness_core::test_main()`, the plain one under libtest. Each is rebuilt with
//! its dependencies already built (the best of three), twice: with a one-line
//! body (the worst case for harness, where only its per-test machinery is left to
//! measure) and with a file round-trip body of a dozen lines (a typical system
//! test). The two crates' bodies are the same code; only how a result is reported
//! differs (`output_perf_value` against `println!`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a directory");
    std::fs::write(path, text).expect("a written file");
}

fn manifest(name: &str, core: &Path, harness: bool) -> String {
    let target = if harness { "\n[[test]]\nname = \"tests\"\nharness = false\n" } else { "" };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nharness-core = {{ path = {core:?}, default-features = false }}\n{target}\n[workspace]\n"
    )
}

/// The shared body of test `i`, with `size: Option<u32>` in scope; `report` is how
/// the throughput is reported.
pub(crate) fn body(i: usize, typical: bool, report: &str) -> String {
    if !typical {
        return format!("        assert!(std::hint::black_box(size.unwrap_or({i})) < u32::MAX);\n");
    }
    format!(
        "        let size = size.unwrap_or(4096) as usize + {i};
        let path = std::env::temp_dir().join(format!(\"harness-compile-{{}}-{i}\", std::process::id()));
        let data: Vec<u8> = (0..size).map(|b| (b % 251) as u8).collect();
        let start = std::time::Instant::now();
        std::fs::write(&path, &data).expect(\"written\");
        let back = std::fs::read(&path).expect(\"read back\");
        let seconds = start.elapsed().as_secs_f64().max(1e-9);
        std::fs::remove_file(&path).expect(\"removed\");
        assert_eq!(back.len(), data.len(), \"length after the round trip\");
        assert!(back == data, \"contents after the round trip\");
        let checksum: u64 = back.iter().map(|&b| u64::from(b)).sum();
        assert!(checksum > 0, \"checksum\");
        let throughput = size as f64 / seconds;
        {report}
"
    )
}

fn autotest_source(n: usize, typical: bool) -> String {
    let mut source =
        String::from("use harness_core::prelude::*;\n\nfn main() {\n    harness_core::test_main();\n}\n\n");
    let (ctx, report, ret, ok) = if typical {
        (
            "ctx: &mut TestContext, ",
            "ctx.output_perf_value(PerfValue::new(\"throughput\", throughput).units(\"B/s\"))?;",
            " -> TestResult",
            "        Ok(())\n",
        )
    } else {
        ("", "", "", "")
    };
    for i in 0..n {
        let body = body(i, typical, report);
        let _ = write!(
            source,
            "/// Test {i}.\n#[autotest(version = 1)]\n#[derive(Default)]\nstruct T{i};\n\n#[autotest]\nimpl T{i} {{\n    fn run_once(&mut self, {ctx}size: Option<u32>){ret} {{\n{body}{ok}    }}\n}}\n\n"
        );
    }
    source
}

fn plain_source(n: usize, typical: bool) -> String {
    let mut source = String::new();
    for i in 0..n {
        let body = body(i, typical, "println!(\"throughput {throughput} B/s\");");
        let _ = write!(
            source,
            "/// Test {i}.\n#[test]\nfn t{i}() {{\n    let size: Option<u32> = None;\n    {{\n{body}    }}\n}}\n\n"
        );
    }
    source
}

/// `cargo test --no-run --test <test>` of the crate in `dir` (its build in
/// `target`), after touching the test's source: the time of that rebuild.
pub(crate) fn build(dir: &Path, target: &Path, test: &str) -> Duration {
    let source = dir.join(format!("tests/{test}.rs"));
    let text = std::fs::read_to_string(&source).expect("the source");
    std::fs::write(&source, text).expect("touched");
    let start = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["test", "--no-run", "--offline", "-q", "--test", test])
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {test} in {} failed", dir.display());
    start.elapsed()
}

/// The same bodies under rstest: one `#[case]` each.
fn rstest_source(n: usize, typical: bool) -> String {
    let mut source = String::from("use rstest::rstest;\n\n");
    for i in 0..n {
        let body = body(i, typical, "println!(\"throughput {throughput} B/s\");");
        let _ = write!(
            source,
            "/// Test {i}.\n#[rstest]\n#[case(None)]\nfn t{i}(#[case] size: Option<u32>) {{\n    {{\n{body}    }}\n}}\n\n"
        );
    }
    source
}

/// The same bodies under test-case: one case each.
fn test_case_source(n: usize, typical: bool) -> String {
    let mut source = String::from("use test_case::test_case;\n\n");
    for i in 0..n {
        let body = body(i, typical, "println!(\"throughput {throughput} B/s\");");
        let _ = write!(
            source,
            "/// Test {i}.\n#[test_case(None ; \"none\")]\nfn t{i}(size: Option<u32>) {{\n    {{\n{body}    }}\n}}\n\n"
        );
    }
    source
}

/// A crate of tests in `dir`: its manifest (with `dependencies` lines), an
/// empty library and `tests/tests.rs`; its dependencies fetched.
fn make(dir: &Path, manifest: &str, source: &str) {
    write(&dir.join("Cargo.toml"), manifest);
    write(&dir.join("src/lib.rs"), "");
    write(&dir.join("tests/tests.rs"), source);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .arg("fetch")
        .current_dir(dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo fetch in {} failed", dir.display());
}

/// Builds the four crates of one body kind (`#[autotest]`, plain `#[test]`,
/// rstest, test-case) alternating, best of three each, and prints each time
/// and what a test costs over a plain `#[test]`.
fn compare(root: &Path, core: &Path, n: usize, typical: bool) {
    let kind = if typical { "typical" } else { "one-line" };
    let target = root.join("target");
    let plain_manifest = |name: &str, deps: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dev-dependencies]\n{deps}\n[workspace]\n"
        )
    };
    let crates = [
        (
            "#[autotest]",
            root.join(format!("autotests-{kind}")),
            manifest("autotests", core, true),
            autotest_source(n, typical),
        ),
        ("plain #[test]", root.join(format!("plain-{kind}")), manifest("plain", core, false), plain_source(n, typical)),
        (
            "rstest",
            root.join(format!("rstest-{kind}")),
            plain_manifest("with_rstest", "rstest = \"0.26\"\n"),
            rstest_source(n, typical),
        ),
        (
            "test-case",
            root.join(format!("test-case-{kind}")),
            plain_manifest("with_test_case", "test-case = \"3\"\n"),
            test_case_source(n, typical),
        ),
    ];
    for (_, dir, manifest, source) in &crates {
        make(dir, manifest, source);
        // The first build compiles the dependencies; only the test target's rebuilds count.
        build(dir, &target, "tests");
    }
    let mut best = [Duration::MAX; 4];
    // Interleaved, so drift on a shared machine hits all alike.
    for _ in 0..3 {
        for (at, (_, dir, _, _)) in crates.iter().enumerate() {
            best[at] = best[at].min(build(dir, &target, "tests"));
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "test counts")]
    let per_test = |at: usize| (best[at].as_secs_f64() - best[1].as_secs_f64()) * 1000.0 / n as f64;
    for (at, (name, _, _, _)) in crates.iter().enumerate() {
        println!(
            "compile n={n}, {kind} bodies: {name} {:.2} s, ratio to plain {:.2}, {:+.2} ms per test over plain",
            best[at].as_secs_f64(),
            best[at].as_secs_f64() / best[1].as_secs_f64(),
            per_test(at)
        );
    }
    println!("compile n={n}, {kind} bodies: #[autotest] per test / rstest per test: {:.2}", per_test(0) / per_test(2));
}

/// Prints the build times of both body kinds and their ratios.
pub(crate) fn compile(n: usize) {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-core").canonicalize().expect("harness-core");
    let root = tempfile::tempdir().expect("a temporary directory");
    compare(root.path(), &core, n, false);
    compare(root.path(), &core, n, true);
}
