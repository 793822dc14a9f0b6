//! Fault suites: a writer killed with SIGKILL at random moments, processes racing
//! for one versioned setup, and a setup that panics. The processes are
//! `src/bin/fault_writer.rs`.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use harness_core::Status;
use harness_core::results::{StatusLog, read_iterations};
use harness_tests::Random;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

const WRITER: &str = env!("CARGO_BIN_EXE_fault_writer");

/// The chart parses, and its values are `0, 1, ..., k-1` with every value up to
/// the last completed flush present.
fn check_chart(path: &Path, last_flushed: Option<u64>, context: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(path) else {
        assert_eq!(last_flushed, None, "{context}: a flush returned but there is no chart");
        return 0;
    };
    let chart: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{context}: the chart does not parse: {e}\n{text}"));
    let entry = &chart["metric"]["summary"];
    let values: Vec<f64> = match entry["type"].as_str() {
        Some("scalar") => vec![entry["value"].as_f64().unwrap()],
        Some("list_of_scalar_values") => {
            entry["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
        }
        other => panic!("{context}: unexpected chart entry type {other:?}"),
    };
    for (i, value) in values.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let expected = i as f64;
        assert!((value - expected).abs() < f64::EPSILON, "{context}: value {i} is {value}: not a prefix");
    }
    let count = values.len() as u64;
    if let Some(flushed) = last_flushed {
        assert!(count > flushed, "{context}: value {flushed} was flushed but the chart holds only {count} values");
    }
    assert_eq!(entry["units"], "count", "{context}");
    count
}

/// Every keyval block is whole: `value{perf}=<i>` and a blank line, `i` counting
/// up from 0; TKO's reader sees the same blocks.
fn check_keyval(path: &Path, context: &str) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    if text.is_empty() {
        return;
    }
    assert!(text.ends_with("\n\n"), "{context}: the keyval file ends inside a block: {:?}", &text[text.len() - 30..]);
    let blocks: Vec<&str> = text.trim_end_matches('\n').split("\n\n").collect();
    for (i, block) in blocks.iter().enumerate() {
        assert_eq!(*block, format!("value{{perf}}={i}"), "{context}: block {i}");
    }
    assert_eq!(read_iterations(path).unwrap().len(), blocks.len(), "{context}");
}

/// The status log parses; groups left open by the kill are closed as ABORT.
fn check_status_log(path: &Path, context: &str) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let log = StatusLog::parse(&text).unwrap_or_else(|e| panic!("{context}: {e}\n{text}"));
    for group in &log.groups {
        assert!(group.closed_by_reader, "{context}: the killed job has no END lines: {group:?}");
        assert_eq!(group.status, Status::Abort, "{context}: {group:?}");
    }
}

#[test]
fn sigkill_at_fifty_moments_loses_nothing_that_was_flushed() {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut recorded = 0;
    for round in 0..50 {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("r");
        let mut child = Command::new(WRITER)
            .args(["write", results.to_str().unwrap(), "300"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines =
            std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());
        let wait = random.below(250);
        std::thread::sleep(Duration::from_millis(wait));
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGKILL).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: the writer finished before the kill");
        let lines = lines.join().unwrap();
        let last_flushed =
            lines.iter().filter_map(|l| l.strip_prefix("flushed ")).next_back().map(|n| n.parse().unwrap());
        let context = format!("round {round} (killed after {wait} ms, last flush {last_flushed:?})");
        let test = results.join("chart_writer");
        recorded += check_chart(&test.join("results/results-chart.json"), last_flushed, &context);
        check_keyval(&test.join("results/keyval"), &context);
        check_status_log(&results.join("status.log"), &context);
        check_status_log(&test.join("status.log"), &context);
        // Only the results dir and the job's state dir beside it (tmp and tests).
        let mut beside: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        beside.sort();
        assert!(beside.iter().all(|name| name == "r" || name == ".harness"), "{context}: {beside:?}");
    }
    assert!(recorded > 0, "no round got as far as writing a chart");
}

fn race(shared: &Path, runs: std::ops::Range<usize>, panic: bool) -> Vec<String> {
    let children: Vec<_> = runs
        .map(|i| {
            let results = shared.join(format!("r{i}"));
            let mut command = Command::new(WRITER);
            command.args(["setup", results.to_str().unwrap(), shared.to_str().unwrap()]);
            if panic {
                command.arg("panic");
            }
            command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
        })
        .collect()
}

fn setup_runs(shared: &Path) -> usize {
    std::fs::read_to_string(shared.join("setup.log")).unwrap_or_default().lines().count()
}

/// The srcdir of `versioned_build`: its setup takes an argument (`log`), so
/// it builds in `src.<hash of the arguments>`.
fn srcdir(shared: &Path) -> Option<std::path::PathBuf> {
    let bindir = shared.join("tests/versioned_build");
    let mut dirs: Vec<_> = std::fs::read_dir(bindir).ok()?.flatten().map(|e| e.path()).collect();
    dirs.retain(|d| d.file_name().is_some_and(|n| n.to_string_lossy().starts_with("src.")));
    assert!(dirs.len() <= 1, "one set of setup arguments, one srcdir: {dirs:?}");
    dirs.pop()
}

fn version_file(shared: &Path) -> Option<String> {
    std::fs::read_to_string(srcdir(shared)?.join(".version")).ok()
}

#[test]
fn eight_processes_share_one_setup() {
    let shared = tempfile::tempdir().unwrap();
    let outcomes = race(shared.path(), 0..8, false);
    assert_eq!(outcomes, vec!["GOOD completed successfully"; 8]);
    assert_eq!(setup_runs(shared.path()), 1, "setup ran once for all eight");
    assert_eq!(version_file(shared.path()).as_deref(), Some("I3\n."), "`.version` is whole");
    let srcdir: Vec<_> = std::fs::read_dir(srcdir(shared.path()).unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // `.harness-setup-args` records what setup was given (its `log`), so a run
    // with other setup arguments builds again.
    assert_eq!(srcdir, [".harness-setup-args", ".version", "built"], "no temporary files are left");
}

#[test]
fn a_setup_that_panics_leaves_no_version_and_the_next_run_redoes_it() {
    let shared = tempfile::tempdir().unwrap();
    let failed = race(shared.path(), 0..1, true);
    assert!(failed[0].starts_with("ERROR "), "{failed:?}");
    assert!(failed[0].contains("setup exploded after building"), "{failed:?}");
    assert_eq!(version_file(shared.path()), None);
    assert_eq!(setup_runs(shared.path()), 1);

    let retried = race(shared.path(), 1..3, false);
    assert_eq!(retried, vec!["GOOD completed successfully"; 2]);
    assert_eq!(setup_runs(shared.path()), 2, "the failed setup is redone, once");
    assert_eq!(version_file(shared.path()).as_deref(), Some("I3\n."));

    let again = race(shared.path(), 3..4, false);
    assert_eq!(again, ["GOOD completed successfully"]);
    assert_eq!(setup_runs(shared.path()), 2, "a built version is not rebuilt");
}
