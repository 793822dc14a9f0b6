//! The `first-build` workload: what a user's first build costs, beside the
//! tools they would otherwise pick. Three new crates, each with one test or
//! benchmark, each built from clean (`cargo test --no-run --all-targets`, the
//! dev profile, a target directory of its own, emptied before every build):
//! harness-core on its default features, criterion on its, divan on its.
//! The builds alternate (harness, criterion, divan, harness, ...) so that a
//! busy machine slows all three alike; dependencies are fetched once, before
//! anything is timed. N is the number of rounds. `first-build-release` builds
//! with `--release`, as a perf test (and `cargo bench`) is built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::compile::write;

/// One crate to build: its name, its manifest's dependency lines and target,
/// its one source file.
struct Contender {
    name: &'static str,
    dependencies: String,
    target: &'static str,
    file: &'static str,
    source: &'static str,
}

const HARNESS_TEST: &str = "use harness_core::prelude::*;

#[autotest(name = \"one\", version = 1, cargo_test)]
#[derive(Debug, Default)]
struct One;

#[autotest]
impl One {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.output_perf_value(PerfValue::new(\"sum\", std::hint::black_box(1 + 1)).units(\"count\"))?;
        Ok(())
    }
}
";

const CRITERION_BENCH: &str = "use criterion::{Criterion, criterion_group, criterion_main};

fn one(c: &mut Criterion) {
    c.bench_function(\"sum\", |b| b.iter(|| std::hint::black_box(1 + 1)));
}

criterion_group!(benches, one);
criterion_main!(benches);
";

const DIVAN_BENCH: &str = "fn main() {
    divan::main();
}

#[divan::bench]
fn sum() -> i32 {
    std::hint::black_box(1 + 1)
}
";

fn contenders(core: &Path) -> Vec<Contender> {
    vec![
        Contender {
            name: "harness",
            dependencies: format!("[dependencies]\nharness-core = {{ path = {core:?} }}\n"),
            target: "",
            file: "tests/one.rs",
            source: HARNESS_TEST,
        },
        Contender {
            name: "criterion",
            dependencies: "[dev-dependencies]\ncriterion = \"0.8\"\n".to_owned(),
            target: "[[bench]]\nname = \"one\"\nharness = false\n",
            file: "benches/one.rs",
            source: CRITERION_BENCH,
        },
        Contender {
            name: "divan",
            dependencies: "[dev-dependencies]\ndivan = \"0.1\"\n".to_owned(),
            target: "[[bench]]\nname = \"one\"\nharness = false\n",
            file: "benches/one.rs",
            source: DIVAN_BENCH,
        },
    ]
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Makes the crate of `contender` under `root` and fetches its dependencies
/// (the one step that may use the network); its directory.
fn make(root: &Path, contender: &Contender) -> PathBuf {
    let dir = root.join(contender.name);
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"first-build-{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n{}\n{}\n[workspace]\n",
            contender.name, contender.dependencies, contender.target
        ),
    );
    write(&dir.join("src/lib.rs"), "");
    write(&dir.join(contender.file), contender.source);
    let status = cargo().arg("fetch").current_dir(&dir).status().expect("cargo runs");
    assert!(status.success(), "cargo fetch for {} failed", contender.name);
    dir
}

/// Builds the crate in `dir` from clean: the time, and how many crates were compiled.
fn build_from_clean(dir: &Path, release: bool) -> (Duration, usize) {
    let target = dir.join("target");
    let _ = std::fs::remove_dir_all(&target);
    let start = Instant::now();
    let out = cargo()
        .args(["test", "--no-run", "--all-targets", "--offline"])
        .args(release.then_some("--release"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("cargo runs");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "building {} failed:\n{stderr}", dir.display());
    (elapsed, stderr.lines().filter(|l| l.trim_start().starts_with("Compiling ")).count())
}

/// Prints each contender's builds, fastest and slowest, and harness's ratio to each.
pub(crate) fn first_build(rounds: usize, release: bool) {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-core").canonicalize().expect("harness-core");
    let root = tempfile::tempdir().expect("a temporary directory");
    let contenders = contenders(&core);
    let dirs: Vec<PathBuf> = contenders.iter().map(|c| make(root.path(), c)).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    let mut crates = vec![0; contenders.len()];
    for round in 1..=rounds {
        for (i, dir) in dirs.iter().enumerate() {
            let (elapsed, compiled) = build_from_clean(dir, release);
            times[i].push(elapsed);
            crates[i] = compiled;
            println!("round {round}: {} {:.1} s ({compiled} crates)", contenders[i].name, elapsed.as_secs_f64());
        }
    }
    let profile = if release { "release" } else { "dev" };
    println!("first-build, {profile} profile, {} cores:", std::thread::available_parallelism().map_or(1, usize::from));
    let best: Vec<f64> = times.iter().map(|t| t.iter().min().expect("a round").as_secs_f64()).collect();
    for (i, contender) in contenders.iter().enumerate() {
        let worst = times[i].iter().max().expect("a round").as_secs_f64();
        println!(
            "first-build {}: {:.1}-{worst:.1} s over {rounds} rounds, {} crates",
            contender.name, best[i], crates[i]
        );
    }
    for (i, contender) in contenders.iter().enumerate().skip(1) {
        println!("first-build harness / {}: {:.2} (fastest builds)", contender.name, best[0] / best[i]);
    }
}
