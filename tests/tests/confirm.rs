//! `cargo harness confirm`: two builds of a harness binary run again,
//! alternately, until the verdict is clear. `confirm_base` and
//! `confirm_slow` are two builds of one test (`latency_probe`, 1% noise),
//! the second 10% slower; a copy of the first is an identical build.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

const BASE: &str = env!("CARGO_BIN_EXE_confirm_base");
const SLOW: &str = env!("CARGO_BIN_EXE_confirm_slow");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn confirm(dir: &Path, base: &str, new: &str, extra: &[&str]) -> Output {
    harness_tests::tools_in(dir)
        .args(["confirm", "--base", base, "--new", new, "latency_probe"])
        .args(extra)
        .args(["--", "--iterations", "10"])
        .env("HARNESS_STATE_DIR", dir.join(".state"))
        .output()
        .unwrap()
}

fn roles(dir: &Path) -> Vec<(String, i64)> {
    let db = rusqlite::Connection::open(dir.join("results/history.sqlite")).unwrap();
    let mut statement = db.prepare("SELECT role, count(*) FROM runs GROUP BY role ORDER BY role").unwrap();
    statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_build_with_a_known_slowdown_is_confirmed_regressed() {
    let dir = tempfile::tempdir().unwrap();
    let out = confirm(dir.path(), BASE, SLOW, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    // Two rounds at least (base-new, then new-base), 10 values a side each.
    assert!(lines[1].starts_with("latency_probe/latency   20/20 "), "{stdout}");
    assert!(lines[1].ends_with("regressed"), "{stdout}");
    // The change: 10% give or take the noise of 20 values a side.
    let change: f64 = lines[1].split_whitespace().nth(6).unwrap().trim_end_matches('%').parse().unwrap();
    assert!((8.5..=11.5).contains(&change), "{stdout}");
    assert!(lines.last().unwrap().starts_with("confirm: regressed after 2 rounds ("), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("round 1: 1 regressed, 0 inconclusive, 1 compared\n"), "{stderr}");
    // Both sides are in the history, apart from the series.
    assert_eq!(roles(dir.path()), [("confirm-base".to_owned(), 2), ("confirm-new".to_owned(), 2)]);
    let changes = harness_tests::tools_in(dir.path()).args(["history", "changes"]).output().unwrap();
    assert_eq!(text(&changes.stdout), "0 changes in 0 series\n");
    // Each round's runs and their output are kept.
    let work = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("confirm-"));
    let work = work.expect("the confirmation's directory").path();
    for run in ["base-1", "new-1", "new-2", "base-2"] {
        assert!(work.join(run).join("results.json").is_file(), "{run}");
        assert!(work.join(format!("{run}.log")).is_file(), "{run}.log");
    }
}

#[test]
fn identical_builds_are_confirmed_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("harness-copy");
    std::fs::copy(BASE, &copy).unwrap();
    let out = confirm(dir.path(), BASE, "harness-copy", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "same", "{json:#}");
    let rounds = json["rounds"].as_u64().unwrap();
    assert!((2..=10).contains(&rounds), "{json:#}");
    let metric = &json["comparison"]["metrics"][0];
    assert_eq!(metric["verdict"], "same");
    assert_eq!(metric["base"]["n"].as_u64(), Some(10 * rounds));
    // Each look at alpha / rounds.
    assert_eq!(json["comparison"]["alpha"].as_f64(), Some(0.005));
}

#[test]
fn a_build_that_cannot_run_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = confirm(dir.path(), BASE, "missing", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "error: --new `missing` is not an executable file\n");
    assert!(!dir.path().join("results").exists(), "nothing made");
    // A build that runs but writes no results: its output is kept and named.
    let script = dir.path().join("broken");
    std::fs::write(&script, "#!/bin/sh\necho broken build >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = confirm(dir.path(), BASE, "broken", &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    let log = stderr.lines().last().unwrap().rsplit(' ').next().unwrap().to_owned();
    assert!(
        stderr.ends_with(&format!(
            "error: new `{}` exited with exit status: 3 and wrote no results; its output is in {log}\n",
            script.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join(&log)).unwrap(), "broken build\n");
    let out = confirm(dir.path(), BASE, BASE, &["--rounds", "0"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(2), "error: --rounds must be at least 1\n".to_owned()));
}
