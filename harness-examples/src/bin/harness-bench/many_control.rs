//! `many-control N`: a control file of N no-op tests run through this binary's
//! command line (`harness-bench cli run --control`), a child process per test, timed
//! as a whole process, side by side with `cargo nextest run` on the same bodies as
//! plain `#[test]` fns (`tests/tests/noop_libtest.rs`), alternating, three rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds of each side; the median is reported.
const ROUNDS: usize = 3;

/// The workspace root, where `cargo nextest run` finds the comparison target.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn control_file(dir: &Path, n: u64) -> PathBuf {
    let tests: Vec<String> = (0..n).map(|i| format!("    {{ \"test\": \"many_{i:04}\" }}")).collect();
    let path = dir.join("many.control.json");
    std::fs::write(&path, format!("{{\n  \"tests\": [\n{}\n  ]\n}}\n", tests.join(",\n"))).expect("the control file");
    path
}

/// One whole `cli run --control` process, in a fresh results directory.
fn harness_round(dir: &Path, control: &Path, round: usize) -> Duration {
    let exe = std::env::current_exe().expect("this binary");
    let start = Instant::now();
    let status = Command::new(exe)
        .args(["cli", "run", "--color", "never", "--control"])
        .arg(control)
        .arg("--results")
        .arg(dir.join(format!("results-{round}")))
        .env("HARNESS_STATE_DIR", dir.join("state"))
        .stdout(Stdio::null())
        .status()
        .expect("the harness command line starts");
    let elapsed = start.elapsed();
    assert!(status.success(), "the control file run failed: {status}");
    elapsed
}

fn nextest(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command
        .args(["nextest", "run", "--release", "-p", "harness-tests", "--test", "noop_libtest"])
        .args(args)
        .current_dir(workspace())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// One whole `cargo nextest run` process (already built), or `None` without nextest.
fn nextest_round() -> Option<Duration> {
    let start = Instant::now();
    let status = nextest(&[]).status().ok()?;
    let elapsed = start.elapsed();
    status.success().then_some(elapsed)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub(crate) fn many_control(n: u64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let control = control_file(dir.path(), n);
    // Build the comparison target first, so no round includes a compile.
    let have_nextest = nextest(&["--no-run"]).status().is_ok_and(|s| s.success());
    if !have_nextest {
        eprintln!("note: `cargo nextest run` is not available here; timing harness alone");
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        ours.push(harness_round(dir.path(), &control, round));
        if have_nextest && let Some(t) = nextest_round() {
            theirs.push(t);
        }
    }
    let ours = median(ours);
    println!(
        "many-control n={n}: harness run --control, a child per test: {:.3} s (median of {ROUNDS})",
        ours.as_secs_f64()
    );
    if !theirs.is_empty() {
        let theirs = median(theirs);
        println!(
            "cargo nextest run, the same {n} bodies: {:.3} s (median of {ROUNDS}); ratio harness/nextest {:.2}",
            theirs.as_secs_f64(),
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
}
