//! Suites of many tests from the command line: metadata in `list`, names,
//! globs and `--select`, requirements, variants and `--rerun-failed`, through
//! the example harness binary.

use std::path::Path;
use std::process::Output;

use harness_core::Status;
use harness_core::results::{JobResults, read_keyval};
use harness_tests::harness_in;
use serde_json::Value;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    harness_in(dir).env_remove("HARNESS_EXAMPLE_NEED").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The subdir and status of each test of the run in `dir/r`.
fn outcome(dir: &Path) -> Vec<(String, Status)> {
    JobResults::read(dir.join("r/results.json")).unwrap().tests.iter().map(|t| (t.subdir.clone(), t.status)).collect()
}

fn listed(out: &Output) -> Vec<String> {
    let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    list["tests"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn list_shows_metadata_requirements_and_variants() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["list", "file_io"]);
    assert_eq!(
        text(&out.stdout).lines().take(7).collect::<Vec<_>>(),
        [
            "file_io (version 1): Writes then reads back a file of `size_mb` megabytes in the test's tmpdir, in blocks of `block_kb` kilobytes, and reports both throughputs each iteration. The first iteration warms the page cache and the allocator up and is thrown away. Run it with the job's `drop_caches_between_iterations` so reads come from the disk.",
            "    attrs: group:perf, disk",
            "    contacts: storage@example.com",
            "    timeout: 120 s",
            "    warm-up: 1 iteration",
            "    requires: file(\"/proc/meminfo\"), cpus(1)",
            "    variants: file_io.small (block_kb=4, size_mb=1), file_io.large (block_kb=1024, size_mb=4, iterations=3)",
        ]
    );
    let json = run_in(dir.path(), &["list", "--json", "file_io", "status_needs"]);
    let list: Value = serde_json::from_slice(&json.stdout).unwrap();
    let file_io = &list["tests"][0];
    assert_eq!(file_io["attrs"], serde_json::json!(["group:perf", "disk"]));
    assert_eq!(file_io["contacts"], serde_json::json!(["storage@example.com"]));
    assert_eq!(file_io["timeout"], 120.0);
    assert_eq!(file_io["requirements"], serde_json::json!(["file(\"/proc/meminfo\")", "cpus(1)"]));
    assert_eq!(file_io["unmet"], Value::Null);
    assert_eq!(
        file_io["variants"][1],
        serde_json::json!({"name": "file_io.large", "args": {"block_kb": 1024, "size_mb": 4, "iterations": 3}})
    );
    let needs = &list["tests"][1];
    assert_eq!(needs["unmet"], "requirement not met: env(\"HARNESS_EXAMPLE_NEED\"): $HARNESS_EXAMPLE_NEED is not set");
    let runnable = run_in(dir.path(), &["list", "--json", "--runnable", "--select", "tour"]);
    assert!(!listed(&runnable).contains(&"status_needs".to_owned()));
    assert!(listed(&runnable).contains(&"status_good".to_owned()));
}

#[test]
fn names_globs_and_select_pick_the_tests() {
    let dir = tempfile::tempdir().unwrap();
    let globbed = run_in(dir.path(), &["list", "--json", "status_*", "sleeptest"]);
    assert_eq!(
        listed(&globbed),
        [
            "status_error",
            "status_fail",
            "status_flaky",
            "status_good",
            "status_needs",
            "status_slow",
            "status_test_na",
            "status_warn",
            "sleeptest"
        ]
    );
    let selected = run_in(dir.path(), &["list", "--json", "--select", "tour && !failing"]);
    assert_eq!(listed(&selected), ["status_good", "status_needs", "status_slow", "status_warn"]);
    let by_name = run_in(dir.path(), &["list", "--json", "--select", "name(file_io.*) || attr(\"group:*\")"]);
    assert_eq!(listed(&by_name), ["file_io", "perf_sample", "seq_write"]);
    let bad = run_in(dir.path(), &["list", "--select", "tour && (failing"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "error: invalid selection: expected `)` at column 17\n  tour && (failing\n                  ^\n"
    );
    let none = run_in(dir.path(), &["list", "nothing_*"]);
    assert_eq!(
        (none.status.code(), text(&none.stderr)),
        (Some(2), "error: no test matches `nothing_*` (`list` shows them)\n".to_owned())
    );
    let typo = run_in(dir.path(), &["run", "status_god", "--results", "r"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo.stderr).starts_with("error: unknown test `status_god`; did you mean one of `status_good`"),
        "{}",
        text(&typo.stderr)
    );

    let run =
        run_in(dir.path(), &["run", "status_good", "status_warn", "--select", "!failing", "--results", "r", "-q"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        outcome(dir.path()),
        [("status_good".to_owned(), Status::Good), ("status_warn".to_owned(), Status::Warn)]
    );
    let keyval = read_keyval(dir.path().join("r/status_good"), None).unwrap();
    assert_eq!(keyval["attrs"].to_string(), "tour");
    let empty = run_in(dir.path(), &["run", "status_fail", "--select", "!failing", "--results", "r2"]);
    assert_eq!(empty.status.code(), Some(2));
    assert_eq!(text(&empty.stderr), "error: --select `!failing` selects none of the tests\n");
    assert!(!dir.path().join("r2").exists(), "nothing is written for a run refused");
}

#[test]
fn a_control_file_is_narrowed_and_its_engine_arguments_overridden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 0, "iterations": 5}},
                      {"test": "status_good"}, {"test": "status_fail"}]}"#,
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["run", "--control", "c.json", "--select", "!failing", "--iterations", "2", "--results", "r", "-q"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    let runs: Vec<(&str, u64)> = results.tests.iter().map(|t| (t.subdir.as_str(), t.iterations)).collect();
    assert_eq!(runs, [("sleeptest", 2), ("status_good", 2)]);
}

#[test]
fn an_unmet_requirement_is_test_na_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "status_needs", "--results", "r", "-q"]);
    assert!(out.status.success(), "TEST_NA is not a failure: {}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(
        (results.tests[0].status, results.tests[0].reason.as_str()),
        (Status::TestNa, "requirement not met: env(\"HARNESS_EXAMPLE_NEED\"): $HARNESS_EXAMPLE_NEED is not set")
    );
    let met = harness_in(dir.path())
        .env("HARNESS_EXAMPLE_NEED", "1")
        .args(["run", "status_needs", "--results", "r2", "-q"])
        .output()
        .unwrap();
    assert!(met.status.success());
    assert_eq!(JobResults::read(dir.path().join("r2/results.json")).unwrap().tests[0].status, Status::Good);
}

#[test]
fn variants_run_and_select_like_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "file_io.*", "--results", "r", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    let runs: Vec<(&str, &str, u64)> =
        results.tests.iter().map(|t| (t.subdir.as_str(), t.tag.as_deref().unwrap_or(""), t.iterations)).collect();
    assert_eq!(runs, [("file_io.small", "small", 1), ("file_io.large", "large", 3)]);
    assert_eq!(results.tests[1].args["block_kb"], 1024);
    assert_eq!(results.tests[1].attrs, ["group:perf", "disk"]);
    let keyval = read_keyval(dir.path().join("r/file_io.large"), None).unwrap();
    assert_eq!(keyval["param-block_kb"].to_string(), "1024");
    let tagged = run_in(
        dir.path(),
        &["run", "file_io.small", "--tag", "nightly", "--arg", "size_mb=2", "--results", "r2", "-q"],
    );
    assert!(tagged.status.success(), "{}", text(&tagged.stderr));
    let results = JobResults::read(dir.path().join("r2/results.json")).unwrap();
    assert_eq!(results.tests[0].subdir, "file_io.small.nightly");
    assert_eq!(results.tests[0].args["size_mb"], 2, "the command line's arguments win over the variant's");
}

#[test]
fn rerun_failed_runs_again_what_did_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"tests": [{"test": "status_good"}, {"test": "status_fail", "tag": "first"},
                      {"test": "sleeptest", "args": {"seconds": -1}}, {"test": "status_warn"}]}"#,
    )
    .unwrap();
    let first = run_in(dir.path(), &["run", "--control", "c.json", "--results", "r", "-q"]);
    assert_eq!(first.status.code(), Some(1));
    let again = run_in(dir.path(), &["run", "--rerun-failed", "r", "--results", "again", "-q"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let results = JobResults::read(dir.path().join("again/results.json")).unwrap();
    let runs: Vec<(&str, Status)> = results.tests.iter().map(|t| (t.subdir.as_str(), t.status)).collect();
    assert_eq!(runs, [("status_fail.first", Status::Fail), ("sleeptest", Status::Error)]);
    assert_eq!(results.tests[1].args["seconds"], -1);
    let clean = run_in(dir.path(), &["run", "status_good", "--results", "good", "-q"]);
    assert!(clean.status.success());
    let nothing = run_in(dir.path(), &["run", "--rerun-failed", "good", "--results", "none"]);
    assert!(nothing.status.success());
    assert_eq!(text(&nothing.stdout), "nothing to rerun: every test in good ended GOOD, WARN or TEST_NA\n");
    assert!(!dir.path().join("none").exists());
}

#[test]
fn the_attribute_timeout_limits_every_run_unless_the_run_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let begin = std::time::Instant::now();
    let out = run_in(dir.path(), &["run", "status_slow", "--arg", "seconds=30", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(begin.elapsed() < std::time::Duration::from_secs(20), "the 1 s limit held");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Error, "Test timeout expired"));
    let log = harness_core::results::StatusLog::read(dir.path().join("r/status.log")).unwrap();
    assert_eq!(log.entries[1].1.field("timeout"), Some("1"), "START says the limit");
    let longer =
        run_in(dir.path(), &["run", "status_slow", "--arg", "seconds=1.5", "--timeout", "30", "--results", "r2", "-q"]);
    assert!(longer.status.success(), "a run's own timeout wins: {}", text(&longer.stderr));
}

/// After a crash (no results.json, no events.jsonl: the records are rebuilt
/// from status.log and the test directories),
/// `--rerun-failed` runs exactly what failed: the variant as a variant, with
/// its tag and its arguments; the rebuilt record keeps test, variant and tag
/// apart.
#[test]
fn rerun_failed_after_a_crash_repeats_exactly_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"tests": [{"test": "file_io.small", "tag": "nightly", "args": {"constraints": ["write_mb_s < 0"]}},
                      {"test": "sleeptest", "tag": "nightly", "args": {"seconds": -1, "timeout": 30}}]}"#,
    )
    .unwrap();
    let first = run_in(dir.path(), &["run", "--control", "c.json", "--results", "r", "-q"]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stderr));
    let live = JobResults::read(dir.path().join("r/results.json")).unwrap();
    // As if the harness had died before writing it, and its events were
    // lost: what status.log and the test directories hold is enough.
    std::fs::remove_file(dir.path().join("r/results.json")).unwrap();
    std::fs::remove_file(dir.path().join("r/events.jsonl")).unwrap();
    let report = harness_tests::tools_in(dir.path()).args(["report", "r"]).output().unwrap();
    assert_eq!(report.status.code(), Some(1), "{}", text(&report.stderr));
    assert!(text(&report.stderr).ends_with("rebuilt it (and junit.xml) from status.log\n"), "{}", text(&report.stderr));
    let rebuilt = JobResults::read(dir.path().join("r/results.json")).unwrap();
    let who = |r: &JobResults| -> Vec<(String, Option<String>, Option<String>)> {
        r.tests.iter().map(|t| (t.test.clone(), t.variant.clone(), t.tag.clone())).collect()
    };
    let expected = vec![
        ("file_io".to_owned(), Some("small".to_owned()), Some("small.nightly".to_owned())),
        ("sleeptest".to_owned(), None, Some("nightly".to_owned())),
    ];
    assert_eq!(who(&live), expected);
    assert_eq!(who(&rebuilt), expected);
    assert_eq!(rebuilt.tests[0].args["block_kb"], 4);
    assert_eq!(rebuilt.tests[0].args["constraints"], serde_json::json!(["write_mb_s < 0"]));
    assert_eq!(rebuilt.tests[1].args["seconds"], -1);
    assert_eq!(rebuilt.tests[1].args["timeout"], 30);

    let again = run_in(dir.path(), &["run", "--rerun-failed", "r", "--results", "again", "-q"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let rerun = JobResults::read(dir.path().join("again/results.json")).unwrap();
    assert_eq!(who(&rerun), expected);
    let runs: Vec<(&str, Status, &str)> =
        rerun.tests.iter().map(|t| (t.subdir.as_str(), t.status, t.reason.as_str())).collect();
    assert_eq!(
        runs,
        [
            ("file_io.small.nightly", Status::Fail, live.tests[0].reason.as_str()),
            ("sleeptest.nightly", Status::Error, "`seconds` must be a non-negative number, got -1")
        ]
    );
    // The files hold the timeout in force (file_io's attribute gives 120 s),
    // so the rerun names it; everything else is as given.
    let mut args = rerun.tests[0].args.clone();
    assert_eq!(args.remove("timeout"), Some(serde_json::json!(120)));
    assert_eq!(args, live.tests[0].args);
    assert_eq!(rerun.tests[1].args, live.tests[1].args);
}

/// A requirement check that panics is an unmet requirement with the panic's
/// message: `list`, `list --json` and `run` say so and go on.
#[test]
fn a_requirement_check_that_panics_is_unmet() {
    let dir = tempfile::tempdir().unwrap();
    let reason = "requirement not met: fn(probe_device): the check panicked: probing the device: No such file or directory (os error 2)";
    let list = run_in(dir.path(), &["list", "fault_requirement_panics"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    assert!(text(&list.stdout).starts_with("fault_requirement_panics (version 1)"), "{}", text(&list.stdout));
    let json = run_in(dir.path(), &["list", "--json", "fault_requirement_panics"]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let list: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(list["tests"][0]["unmet"], reason);
    let runnable = run_in(dir.path(), &["list", "--runnable", "fault_requirement_panics"]);
    assert_eq!(runnable.status.code(), Some(0), "{}", text(&runnable.stderr));
    assert!(!text(&runnable.stderr).contains("panicked at"), "{}", text(&runnable.stderr));
    let out = run_in(dir.path(), &["run", "fault_requirement_panics", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::TestNa, reason));
}

/// A test with variants stands for its variants: a glob or a selection that
/// matches it runs them, and the bare test only when it can run without one
/// (file_io: every argument has a default; seq_write: `block_kb` has none).
/// Named exactly, the bare test is what runs (and is refused without its
/// argument).
#[test]
fn a_test_with_variants_stands_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "seq_*", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ran: Vec<String> = outcome(dir.path()).into_iter().map(|(subdir, _)| subdir).collect();
    assert_eq!(ran, ["seq_write.small", "seq_write.large"]);
    std::fs::remove_dir_all(dir.path().join("r")).unwrap();
    let out = run_in(dir.path(), &["run", "--select", "attr(disk)", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ran: Vec<String> = outcome(dir.path()).into_iter().map(|(subdir, _)| subdir).collect();
    assert_eq!(ran, ["file_io", "file_io.small", "file_io.large", "seq_write.small", "seq_write.large"]);
    let named = run_in(dir.path(), &["run", "seq_write", "--results", "n", "-q"]);
    assert_eq!(named.status.code(), Some(2));
    assert_eq!(text(&named.stderr), "error: missing required argument `block_kb` for seq_write.run_once (usize)\n");
}
