//! The `cargo test` / nextest front end: `#[autotest(cargo_test)]`'s `#[test]`s.

use std::path::PathBuf;

use crate::{Args, Autotest, Job, Status};

/// Where `cargo test` runs put their results: `HARNESS_RESULTS_DIR`, else
/// `harness-results` in the target directory of the running test binary.
#[must_use]
pub fn results_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARNESS_RESULTS_DIR") {
        return PathBuf::from(dir);
    }
    let target = std::env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?;
        // target/<profile>/deps/<binary> for tests, target/<profile>/<binary> otherwise.
        let profile = if dir.file_name().is_some_and(|n| n == "deps") { dir.parent()? } else { dir };
        profile.parent().map(PathBuf::from)
    });
    target.unwrap_or_else(|| PathBuf::from("target")).join("harness-results")
}

/// A name no other run of this test shares: time, process, and nextest's attempt.
pub(crate) fn run_id() -> String {
    let mut id = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), std::process::id());
    if let Ok(attempt) = std::env::var("NEXTEST_ATTEMPT") {
        id.push_str("-attempt");
        id.push_str(&attempt);
    }
    id
}

/// Runs one test in a job of its own under [`results_root`]`/cargo-test/<name>/`,
/// panicking with the status and reason unless it ends GOOD.
pub(crate) fn run_cargo_test(test: Box<dyn Autotest>, args: Args) {
    let name = test.info().name();
    let root = results_root();
    let state = root.join(".harness");
    let resultdir = root.join("cargo-test").join(name).join(run_id());
    let job = Job::builder(&resultdir)
        .tmpdir(state.join("tmp"))
        .testdir(state.join("tests"))
        .build()
        .unwrap_or_else(|e| panic!("cannot start a job for {name}: {e}"));
    let record = crate::engine::run(&job, test, args).unwrap_or_else(|e| panic!("{name} could not run: {e}"));
    let _ = job.complete();
    if record.status != Status::Good {
        let mut message = format!("{name} ended {}: {}", record.status, record.reason);
        for detail in &record.details {
            message.push_str("\n  ");
            message.push_str(detail);
        }
        if record.reason.starts_with("missing required argument") {
            message.push_str("\n  give the value in the struct's attribute: #[autotest(cargo_test(name = value))]");
        }
        message.push_str(&format!("\nresults: {}", record.outputdir.display()));
        panic!("{message}");
    }
}
