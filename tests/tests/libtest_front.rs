//! `harness_core::test_main()` speaks the libtest protocol that `cargo test` and
//! `cargo nextest` use: the `autotests` target of this package is driven here
//! directly, and through `cargo nextest run` with `--partition`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use harness_core::Status;
use harness_core::results::JobResults;

fn run(args: &[&str], results: &Path, env: &[(&str, &str)]) -> Output {
    run_binary("autotests", args, results, env)
}

fn run_binary(target: &str, args: &[&str], results: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(harness_tests::test_target(target));
    command
        .args(args)
        .env("HARNESS_RESULTS_DIR", results)
        .env_remove("NEXTEST_ATTEMPT")
        .env_remove("HARNESS_TESTS_FAIL")
        .env_remove("HARNESS_SELECT");
    for var in harness_tests::SHARD_VARS {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// When the one run of `test` under `results/<binary>` started and ended.
fn span(results: &Path, binary: &str, test: &str) -> (String, String) {
    let runs = results.join(binary).join(test);
    let run = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
    let results = JobResults::read(run.join("results.json")).unwrap();
    (results.tests[0].start.clone(), results.tests[0].end.clone())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Output with runs of spaces collapsed (libtest pads names into columns).
fn squeezed(bytes: &[u8]) -> String {
    let text = text(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

const ALL: [&str; 22] = [
    "nx_built",
    "nx_built.a",
    "nx_built.b",
    "nx_built.c",
    "nx_built.d",
    "nx_fails_on_request",
    "nx_flaky",
    "nx_good",
    "nx_hangs",
    "nx_hangs_forever",
    "nx_leaves_group",
    "nx_limited",
    "nx_needs",
    "nx_needs_value",
    "nx_not_applicable",
    "nx_sized",
    "nx_sized.small",
    "nx_sized.large",
    "nx_slow_a",
    "nx_slow_b",
    "nx_warn",
    "nx_with_value",
];

#[test]
fn list_terse_prints_exactly_the_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["--list", "--format", "terse"], dir.path(), &[]);
    assert!(out.status.success());
    let expected: String = ALL.iter().map(|t| format!("{t}: test\n")).collect();
    assert_eq!(text(&out.stdout), expected);
    let ignored = run(&["--list", "--format", "terse", "--ignored"], dir.path(), &[]);
    assert_eq!(text(&ignored.stdout), "nx_built: test\nnx_needs: test\nnx_needs_value: test\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "listing writes no results");
}

#[test]
fn filters_exact_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["nx_with_value", "--exact"], dir.path(), &[]);
    let stdout = squeezed(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test nx_with_value ... ok"), "{stdout}");
    assert!(stdout.contains("1 passed; 0 failed; 0 ignored; 0 measured; 21 filtered out"), "{stdout}");

    let all = run(&[], dir.path(), &[]);
    let stdout = squeezed(&all.stdout);
    assert!(all.status.success(), "{stdout}");
    assert!(
        stdout.contains("test nx_not_applicable ... ignored (TEST_NA needs hardware this machine lacks)"),
        "{stdout}"
    );
    assert!(stdout.contains("test nx_needs_value ... ignored"), "{stdout}");
    assert!(stdout.contains("18 passed; 0 failed; 4 ignored"), "TEST_NA is never a pass: {stdout}");
    assert!(stdout.contains("test nx_needs ... ignored\n"), "{stdout}");
    let stderr = text(&all.stderr);
    assert!(
        stderr.contains(
            "note: nx_needs: ignored, TEST_NA requirement not met: env(\"HARNESS_TESTS_NEED\"): $HARNESS_TESTS_NEED is not set"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nx_warn: WARN slow but fine"), "{stderr}");
    assert!(stderr.contains("note: nx_needs_value: ignored, needs a value for `device` (String)"), "{stderr}");
    assert!(
        stderr.contains("note: 1 test with #[autotest(cargo_test)] runs as `autotest_<name>` in its crate's own unit tests, not here: lib_unit_test"),
        "{stderr}"
    );
    // One at a time: the two slow tests do not overlap.
    let (a, b) = (span(dir.path(), "autotests", "nx_slow_a"), span(dir.path(), "autotests", "nx_slow_b"));
    assert!(a.1 <= b.0 || b.1 <= a.0, "test_main ran two tests side by side: {a:?} {b:?}");

    let failing = run(&["nx_fails_on_request", "--exact"], dir.path(), &[("HARNESS_TESTS_FAIL", "1")]);
    let stdout = text(&failing.stdout);
    assert_eq!(failing.status.code(), Some(101), "{stdout}");
    assert!(stdout.contains("FAIL failed on request"), "{stdout}");
    assert!(
        stdout.contains(&format!("results: {}", dir.path().join("autotests/nx_fails_on_request").display())),
        "{stdout}"
    );
}

#[test]
fn every_attempt_gets_its_own_results() {
    let dir = tempfile::tempdir().unwrap();
    for attempt in ["1", "2"] {
        let out = run(&["nx_good", "--exact"], dir.path(), &[("NEXTEST_ATTEMPT", attempt)]);
        assert!(out.status.success());
    }
    let runs: Vec<String> = std::fs::read_dir(dir.path().join("autotests/nx_good"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let attempts: BTreeSet<&str> = runs.iter().map(|r| r.rsplit('-').next().unwrap()).collect();
    assert_eq!(attempts, BTreeSet::from(["attempt1", "attempt2"]));
    for run in &runs {
        let keyval =
            std::fs::read_to_string(dir.path().join("autotests/nx_good").join(run).join("nx_good/results/keyval"))
                .unwrap();
        let attempt = run.rsplit("attempt").next().unwrap();
        assert_eq!(keyval, format!("attempt{{perf}}={attempt}\n\n"));
    }
}

fn nextest(partition: &str, results: &Path) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args([
            "nextest",
            "run",
            "--workspace",
            "--no-fail-fast",
            "--color",
            "never",
            "-E",
            "binary(autotests)",
            "--partition",
            partition,
        ])
        .env("HARNESS_RESULTS_DIR", results)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo nextest is installed (see .ci/run)")
}

/// The tests nextest ran, from its `PASS [...] harness-tests::autotests NAME` lines.
fn passed(output: &Output) -> BTreeSet<String> {
    text(&output.stderr)
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("PASS"))
        .filter_map(|rest| rest.split_whitespace().last().map(str::to_owned))
        .collect()
}

#[test]
fn nextest_partitions_cover_every_test_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = nextest("hash:1/2", dir.path());
    let second = nextest("hash:2/2", dir.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(second.status.success(), "{}", text(&second.stderr));
    let (a, b) = (passed(&first), passed(&second));
    assert!(a.is_disjoint(&b), "{a:?} {b:?}");
    let union: BTreeSet<String> = a.union(&b).cloned().collect();
    // nx_needs_value and nx_needs (its requirement unmet) are ignored, so
    // nextest skips them; nx_not_applicable runs and
    // exits 0 (nextest has no way to hear of a skip at run time).
    let expected: BTreeSet<String> = [
        "nx_built.a",
        "nx_built.b",
        "nx_built.c",
        "nx_built.d",
        "nx_fails_on_request",
        "nx_flaky",
        "nx_good",
        "nx_hangs",
        "nx_hangs_forever",
        "nx_leaves_group",
        "nx_limited",
        "nx_not_applicable",
        "nx_sized",
        "nx_sized.large",
        "nx_sized.small",
        "nx_slow_a",
        "nx_slow_b",
        "nx_warn",
        "nx_with_value",
    ]
    .iter()
    .map(|t| (*t).to_owned())
    .collect();
    assert_eq!(union, expected);
    // One process per test, each with its own result directory.
    let dirs: BTreeSet<String> = std::fs::read_dir(dir.path().join("autotests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(dirs, expected);
    let attempt_dirs: Vec<String> = std::fs::read_dir(dir.path().join("autotests/nx_good"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(attempt_dirs.len(), 1);
    assert!(attempt_dirs[0].ends_with("-attempt1"), "{attempt_dirs:?}");
}

/// A test whose requirement is unmet is known to be so when the tests are
/// listed: nextest shows it as skipped, never as a pass; with the requirement
/// met it runs.
#[test]
fn nextest_skips_a_test_whose_requirement_is_unmet() {
    let dir = tempfile::tempdir().unwrap();
    let nextest = |need: bool| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = Command::new(cargo);
        command
            .args(["nextest", "run", "--workspace", "--color", "never", "--status-level", "skip", "--no-tests", "pass"])
            .args(["-E", "binary(autotests) & test(=nx_needs)"])
            .env("HARNESS_RESULTS_DIR", dir.path())
            .env_remove("HARNESS_TESTS_NEED")
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if need {
            command.env("HARNESS_TESTS_NEED", "1");
        }
        command.output().expect("cargo nextest is installed (see .ci/run)")
    };
    let unmet = nextest(false);
    let stderr = text(&unmet.stderr);
    assert!(unmet.status.success(), "{stderr}");
    assert!(stderr.contains("SKIP [         ] (───) harness-tests::autotests nx_needs\n"), "{stderr}");
    assert!(stderr.contains("0 tests run: 0 passed"), "{stderr}");
    assert!(!stderr.contains("PASS"), "{stderr}");
    let met = nextest(true);
    let stderr = text(&met.stderr);
    assert!(met.status.success(), "{stderr}");
    assert!(stderr.contains("1 test run: 1 passed"), "{stderr}");
}

/// nextest runs every test in a process of its own, four at a time here, with
/// no test group: the machine-wide lock still lets one measuring test run at a
/// time, whether it is a `test_main` test or a `cargo_test` one, of any binary.
/// Tests marked `parallel` run side by side.
#[test]
fn nextest_runs_one_measuring_test_at_a_time_machine_wide() {
    let dir = tempfile::tempdir().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let filter = "test(/nx_slow_/) | test(/ct_slow_/) | test(/ct_par_/)";
    let out = Command::new(cargo)
        .args(["nextest", "run", "--workspace", "--color", "never", "--no-fail-fast", "-E", filter])
        .args(["--test-threads", "4"])
        .env("HARNESS_RESULTS_DIR", dir.path())
        .env("HARNESS_EVENTS", dir.path().join("all-events.jsonl"))
        .env_remove("HARNESS_PARALLEL")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo nextest is installed (see .ci/run)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let measuring = [
        ("autotests", "nx_slow_a"),
        ("autotests", "nx_slow_b"),
        ("cargo_test_front", "ct_slow_a"),
        ("cargo_test_front", "ct_slow_b"),
    ]
    .map(|(binary, test)| (test, span(dir.path(), binary, test)));
    for (i, (a, span_a)) in measuring.iter().enumerate() {
        for (b, span_b) in &measuring[i + 1..] {
            let apart = span_a.1 <= span_b.0 || span_b.1 <= span_a.0;
            assert!(apart, "{a} {span_a:?} and {b} {span_b:?} ran side by side");
        }
    }
    let (a, b) = (span(dir.path(), "cargo_test_front", "ct_par_a"), span(dir.path(), "cargo_test_front", "ct_par_b"));
    assert!(a.0 < b.1 && b.0 < a.1, "the two parallel tests ran one after the other: {a:?} {b:?}");
    // HARNESS_EVENTS: every process appended to one stream, whole lines
    // counted one by one across them, each test's end in it once.
    let all = std::fs::read_to_string(dir.path().join("all-events.jsonl")).unwrap();
    let lines = harness_tests::readers::events(&all).unwrap();
    let mut finished: Vec<&str> =
        lines.iter().filter(|l| l["event"] == "test_finished").map(|l| l["record"]["test"].as_str().unwrap()).collect();
    finished.sort_unstable();
    assert_eq!(finished, ["ct_par_a", "ct_par_b", "ct_slow_a", "ct_slow_b", "nx_slow_a", "nx_slow_b"]);
    assert_eq!(lines.iter().filter(|l| l["event"] == "job_started").count(), 6);
}

/// `#[autotest(cargo_test)]` gives the verdicts `test_main` and the CLI give:
/// WARN and TEST_NA pass with a line saying so; a failure or panic points at the
/// test's own line, with no frames of harness, even with `RUST_BACKTRACE=1`.
#[test]
fn cargo_test_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_binary("cargo_test_front", &["--test-threads", "4"], dir.path(), &[]);
    let stdout = squeezed(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("13 passed; 0 failed"), "{stdout}");
    assert!(
        stderr.contains(
            "autotest_ct_needs: TEST_NA requirement not met: env(\"HARNESS_TESTS_NEED\"): $HARNESS_TESTS_NEED is not set\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("autotest_ct_warn: WARN slow but fine\n"), "{stderr}");
    assert!(stderr.contains("autotest_ct_not_applicable: TEST_NA needs a GPU\n"), "{stderr}");

    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cargo_test_front.rs")).unwrap();
    let line_of = |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let failing = run_binary(
        "cargo_test_front",
        &["autotest_ct_"],
        dir.path(),
        &[("HARNESS_TESTS_FAIL", "1"), ("RUST_BACKTRACE", "1")],
    );
    let stdout = text(&failing.stdout);
    assert_eq!(failing.status.code(), Some(101), "{stdout}");
    let fail_at = format!("tests/tests/cargo_test_front.rs:{}:", line_of("Failure::fail(\"latency over budget\")"));
    assert!(stdout.contains(&format!("thread 'autotest_ct_fails_on_request' panicked at {fail_at}")), "{stdout}");
    assert!(stdout.contains("ct_fails_on_request ended FAIL latency over budget\n"), "{stdout}");
    let question_at =
        format!("tests/tests/cargo_test_front.rs:{}:", line_of("fn run_once(&mut self) -> Result<(), std::io::Error>"));
    assert!(stdout.contains(&format!("thread 'autotest_ct_question_mark' panicked at {question_at}")), "{stdout}");
    assert!(stdout.contains("ct_question_mark ended FAIL Unhandled io::Error: No such file or directory"), "{stdout}");
    let panic_at = format!("tests/tests/cargo_test_front.rs:{}:", line_of("assert!(!fail"));
    assert!(stdout.contains(&format!("panicked at {panic_at}")), "{stdout}");
    assert!(stdout.contains("ended FAIL Unhandled panic: device vanished"), "{stdout}");
    assert!(!stdout.contains("harness-core") && !stdout.contains("harness_core"), "no harness frames: {stdout}");
    assert!(!text(&failing.stderr).contains("harness_core"), "{}", text(&failing.stderr));
}

/// Harness tests of one binary never run side by side under `cargo test`: libtest
/// gives them threads, harness gives them turns.
#[test]
fn cargo_test_runs_harness_tests_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_binary("cargo_test_front", &["autotest_ct_slow", "--test-threads", "2"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let (a, b) = (span(dir.path(), "cargo_test_front", "ct_slow_a"), span(dir.path(), "cargo_test_front", "ct_slow_b"));
    assert!(a.1 <= b.0 || b.1 <= a.0, "the two ran side by side: {a:?} {b:?}");
}

/// `--select` and `HARNESS_SELECT` choose the trials (so nextest sees only
/// those), a requirement met runs the test, and the attribute's timeout ends
/// a slow one.
#[test]
fn select_requirements_and_timeouts_under_test_main() {
    let dir = tempfile::tempdir().unwrap();
    let listed = |args: &[&str], env: &[(&str, &str)]| text(&run(args, dir.path(), env).stdout);
    assert_eq!(
        listed(&["--list", "--format", "terse", "--select", "group:perf"], &[]),
        "nx_sized: test\nnx_sized.small: test\nnx_sized.large: test\n"
    );
    assert_eq!(
        listed(&["--list", "--format", "terse"], &[("HARNESS_SELECT", "name(nx_sized.*) && !name(*.large)")]),
        "nx_sized.small: test\n"
    );
    let bad = run(&["--list", "--select", "a &&"], dir.path(), &[]);
    assert_eq!(bad.status.code(), Some(101));
    assert!(text(&bad.stderr).starts_with("error: invalid selection: expected an attribute"), "{}", text(&bad.stderr));
    let met = run(&["nx_needs", "--exact"], dir.path(), &[("HARNESS_TESTS_NEED", "1")]);
    assert!(squeezed(&met.stdout).contains("test nx_needs ... ok"), "{}", text(&met.stdout));
    let begin = std::time::Instant::now();
    let slow = run(&["nx_limited", "--exact"], dir.path(), &[("HARNESS_TESTS_SLOW", "1")]);
    assert_eq!(slow.status.code(), Some(101));
    assert!(text(&slow.stdout).contains("ERROR Test timeout expired"), "{}", text(&slow.stdout));
    assert!(begin.elapsed() < std::time::Duration::from_secs(20));
    let large = run(&["nx_sized.large", "--exact"], dir.path(), &[]);
    assert!(large.status.success());
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("autotests/nx_sized.large")).unwrap().flatten().collect();
    let record = &JobResults::read(runs[0].path().join("results.json")).unwrap().tests[0];
    assert_eq!((record.subdir.as_str(), record.iterations, record.perf_keyvals["size"]), ("nx_sized.large", 2, 64.0));
}

/// The engine's retries behave the same in every front end, in one process
/// (so a test's state survives a retry, as in autotest): the attribute's
/// `retries` under `test_main`, `cargo_test(retries = N)` under `cargo test`,
/// and `--retries` or a control file's `retries` argument under the CLI.
#[test]
fn retries_run_in_process_in_every_front_end() {
    let dir = tempfile::tempdir().unwrap();
    let retried = |results: &Path, binary: &str, test: &str| {
        let runs = results.join(binary).join(test);
        let run = std::fs::read_dir(&runs).unwrap().next().unwrap().unwrap().path();
        let results = JobResults::read(run.join("results.json")).unwrap();
        let record = results.tests[0].clone();
        (record.status, record.keyvals.get("test_retries_before_success").cloned(), record.perf_keyvals["tries"])
    };
    let out = run(&["nx_flaky", "--exact"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(retried(dir.path(), "autotests", "nx_flaky"), (Status::Good, Some("1".to_owned()), 2.0));
    let out = run_binary("cargo_test_front", &["autotest_ct_flaky", "--exact"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(retried(dir.path(), "cargo_test_front", "ct_flaky"), (Status::Good, Some("1".to_owned()), 2.0));

    let cli = |args: &[&str]| harness_tests::harness_in(dir.path()).args(args).output().unwrap();
    let flaky = |results: &str| {
        let results = JobResults::read(dir.path().join(results).join("results.json")).unwrap();
        (results.tests[0].status, results.tests[0].keyvals.get("test_retries_before_success").cloned())
    };
    assert!(cli(&["run", "status_flaky", "--retries", "1", "--results", "r1", "-q"]).status.success());
    assert_eq!(flaky("r1"), (Status::Good, Some("1".to_owned())));
    std::fs::write(dir.path().join("c.json"), r#"{"tests": [{"test": "status_flaky", "args": {"retries": 1}}]}"#)
        .unwrap();
    assert!(cli(&["run", "--control", "c.json", "--results", "r2", "-q"]).status.success());
    assert_eq!(flaky("r2"), (Status::Good, Some("1".to_owned())));
    assert_eq!(cli(&["run", "status_flaky", "--results", "r3", "-q"]).status.code(), Some(1));
    assert_eq!(flaky("r3"), (Status::Fail, None));
}

/// With `--nocapture` (which nextest gives every test), `cargo_test` and
/// `test_main` tests print their perf values as `run` does, and where their
/// results are; captured, they print neither.
#[test]
fn nocapture_shows_the_numbers_and_where_the_results_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_binary("cargo_test_front", &["autotest_ct_par_a", "--exact", "--nocapture"], dir.path(), &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("ct_par_a: latency: median 2 ms, IQR 1.5-2.5, CV 50%, n=3, lower is better\n"), "{stderr}");
    let results = format!("ct_par_a: results in {}", dir.path().join("cargo_test_front/ct_par_a").display());
    assert!(stderr.contains(&results), "{stderr}");
    let captured = run_binary("cargo_test_front", &["autotest_ct_par_a", "--exact"], dir.path(), &[]);
    assert!(!text(&captured.stderr).contains("latency"), "{}", text(&captured.stderr));

    let out = run(&["nx_good", "--exact", "--nocapture"], dir.path(), &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("nx_good: latency: 1.5 ms, n=1, lower is better\n"), "{stderr}");
    assert!(
        stderr.contains(&format!("nx_good: results in {}", dir.path().join("autotests/nx_good").display())),
        "{stderr}"
    );
}

/// `cargo bench` passes `--bench` to a bench target: a `harness = false` bench
/// target calling `test_main()` runs its harness tests, as under `cargo test`.
#[test]
fn bench_mode_runs_the_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["--bench", "nx_good", "--exact"], dir.path(), &[]);
    let stdout = squeezed(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test nx_good ... ok"), "{stdout}");
    assert!(stdout.contains("1 passed; 0 failed"), "{stdout}");
}
