//! The `compile` workload: build time of N `#[autotest]` tests against the same N
//! bodies as plain `#[test]` fns.
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

/// Builds both crates for one body kind and prints both times and their ratio.
fn compare(root: &Path, core: &Path, n: usize, typical: bool) {
    let kind = if typical { "typical" } else { "one-line" };
    let target = root.join("target");
    let with_autotest = root.join(format!("autotests-{kind}"));
    let plain = root.join(format!("plain-{kind}"));
    write(&with_autotest.join("Cargo.toml"), &manifest("autotests", core, true));
    write(&with_autotest.join("src/lib.rs"), "");
    write(&with_autotest.join("tests/tests.rs"), &autotest_source(n, typical));
    write(&plain.join("Cargo.toml"), &manifest("plain", core, false));
    write(&plain.join("src/lib.rs"), "");
    write(&plain.join("tests/tests.rs"), &plain_source(n, typical));
    // The first builds compile the dependencies; only the test targets' rebuilds count.
    build(&with_autotest, &target, "tests");
    build(&plain, &target, "tests");
    let (mut autotest_best, mut plain_best) = (Duration::MAX, Duration::MAX);
    // Interleaved, so drift on a shared machine hits both alike.
    for _ in 0..3 {
        autotest_best = autotest_best.min(build(&with_autotest, &target, "tests"));
        plain_best = plain_best.min(build(&plain, &target, "tests"));
    }
    println!(
        "compile n={n}, {kind} bodies: #[autotest] {:.2} s, plain #[test] {:.2} s, ratio {:.2}",
        autotest_best.as_secs_f64(),
        plain_best.as_secs_f64(),
        autotest_best.as_secs_f64() / plain_best.as_secs_f64()
    );
}

/// Prints the build times of both body kinds and their ratios.
pub(crate) fn compile(n: usize) {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-core").canonicalize().expect("harness-core");
    let root = tempfile::tempdir().expect("a temporary directory");
    compare(root.path(), &core, n, false);
    compare(root.path(), &core, n, true);
}
