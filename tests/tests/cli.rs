//! The harness binary of `harness-examples`, driven through its command line:
//! every command, every bad input, crashes, hangs and interrupts, and the files
//! each run leaves.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness_core::Status;
use harness_core::results::{JobResults, StatusLog, read_keyval};
use serde_json::Value;

/// The example harness binary, built once per test run.
fn harness() -> &'static Path {
    harness_tests::example_harness()
}

fn control_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-examples/control")
}

/// Runs the harness in `dir`, with its state (setup builds) in `<dir>/.state`
/// rather than the user's cache, so that every test starts from nothing.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    harness_command(dir).args(args).output().unwrap()
}

/// The results tools (`cargo-harness`) in `dir`.
fn tools(dir: &Path, args: &[&str]) -> Output {
    harness_tests::tools_in(dir).args(args).output().unwrap()
}

fn harness_command(dir: &Path) -> Command {
    let mut command = Command::new(harness());
    // A lock of its own: the tests here run side by side and would wait for each other.
    command
        .current_dir(dir)
        .env_remove("HARNESS_LOG")
        .env_remove("NO_COLOR")
        .env("HARNESS_STATE_DIR", state_dir(dir))
        .env("HARNESS_LOCK_DIR", dir.join(".locks"));
    command
}

/// Where the runs of a test directory keep their state.
fn state_dir(dir: &Path) -> PathBuf {
    dir.join(".state")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Everything under `dir` (relative paths).
fn tree(dir: &Path) -> Vec<String> {
    harness_tests::tree(dir)
}

#[test]
fn list_shows_tests_and_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["list"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("sleeptest (version 1): Sleeps for `seconds` in every iteration: autotest's classic sample test.\n    run_once\n        seconds: f64 (default 1.0)  seconds to sleep in each iteration\n"), "{stdout}");
    let json = run_in(dir.path(), &["list", "--json"]);
    let list: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(list["schema_version"], 3);
    let names: Vec<&str> = list["tests"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    let sleep = list["tests"].as_array().unwrap().iter().find(|t| t["name"] == "sleeptest").unwrap();
    assert_eq!(
        sleep["phases"],
        serde_json::json!([
            {"phase": "run_once", "accepts_all": false, "params": [
                {"name": "seconds", "type": "f64", "kind": "default", "default": 1.0, "default_expr": "1.0", "doc": "seconds to sleep in each iteration"}
            ]},
            {"phase": "postprocess", "accepts_all": false, "params": []}
        ])
    );
    // Defaults are shown as values, not as the expressions that make them.
    assert!(stdout.contains("        compiler: String (default \"cc\")  the C compiler\n"), "{stdout}");
    assert!(stdout.contains("        algorithm: String (default \"fnv1a\")  fnv1a, adler32 or crc32\n"), "{stdout}");
    let build = list["tests"].as_array().unwrap().iter().find(|t| t["name"] == "build_once").unwrap();
    let compiler = &build["phases"][0]["params"][0];
    assert_eq!(
        (&compiler["default"], &compiler["default_expr"]),
        (&serde_json::json!("cc"), &serde_json::json!("\"cc\".to_owned()"))
    );
    assert!(tree(dir.path()).is_empty(), "listing writes nothing");
}

#[test]
fn run_one_test_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0.01", "--iterations", "2", "--tag", "t", "-q"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let results_line = stdout.lines().next().unwrap();
    let resultdir = dir.path().join(results_line.strip_prefix("results: ").unwrap());
    assert!(stdout.contains("GOOD     sleeptest.t"), "{stdout}");
    assert!(stdout.ends_with(&format!("; results: {}\n", results_line.strip_prefix("results: ").unwrap())), "{stdout}");
    let files = tree(&resultdir);
    for file in [
        "junit.xml",
        "keyval",
        "results.json",
        "status.log",
        "sleeptest.t/keyval",
        "sleeptest.t/status.log",
        "sleeptest.t/results/keyval",
        "sleeptest.t/results/results-chart.json",
        "sleeptest.t/debug/sleeptest.t.DEBUG",
    ] {
        assert!(files.contains(&file.to_owned()), "{file} missing from {files:#?}");
    }
    assert_eq!(
        std::fs::read_to_string(resultdir.join("sleeptest.t/keyval")).unwrap(),
        "param-iterations=2\nparam-seconds=0.01\nversion=1\n"
    );
    assert_eq!(
        std::fs::read_to_string(resultdir.join("sleeptest.t/results/keyval")).unwrap(),
        "slept_seconds{perf}=0.01\n\nslept_seconds{perf}=0.02\n\n"
    );
    let results = JobResults::read(resultdir.join("results.json")).unwrap();
    assert_eq!(results.tests.len(), 1);
    assert_eq!((results.tests[0].status, results.tests[0].iterations), (Status::Good, 2));
    assert_eq!(results.tests[0].perf_values[0].values, [0.02]);
    let log = StatusLog::read(resultdir.join("status.log")).unwrap();
    assert!(log.groups.iter().all(|g| !g.closed_by_reader && g.status == Status::Good));
}

#[test]
fn a_control_file_runs_its_entries_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let control = write(
        dir.path(),
        "c.json",
        r#"{"job": {"tag": "ctl", "test_retry": 1},
            "tests": [
              {"test": "sleeptest", "tag": "a", "args": {"seconds": 0.01}},
              {"test": "status_flaky", "args": {"iterations": 2}},
              {"test": "checksum_throughput", "args": {"size_mb": 1, "algorithm": "crc32", "constraints": ["throughput_mb_s > 0.001"]}}
            ]}"#,
    );
    let out = run_in(dir.path(), &["run", "--control", control.to_str().unwrap(), "-q"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("results/ctl/results.json")).unwrap();
    let subdirs: Vec<&str> = results.tests.iter().map(|t| t.subdir.as_str()).collect();
    assert_eq!(subdirs, ["sleeptest.a", "status_flaky", "checksum_throughput"]);
    assert!(results.tests.iter().all(|t| t.status == Status::Good));
    let flaky = read_keyval(dir.path().join("results/ctl/status_flaky"), None).unwrap();
    assert_eq!(flaky["test_retries_before_success"].to_string(), "1");
    // A second run of the same control file never writes over the first.
    let again = run_in(dir.path(), &["run", "--control", control.to_str().unwrap(), "-q"]);
    assert!(again.status.success());
    assert!(text(&again.stdout).starts_with("results: results/ctl.1\n"), "{}", text(&again.stdout));
}

/// Runs `args` in a fresh directory; the exit status must be 2, stderr must
/// hold `message`, and nothing may be written.
fn refused(args: &[&str], files: &[(&str, &str)], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        write(dir.path(), name, contents);
    }
    let before = tree(dir.path());
    let out = run_in(dir.path(), args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}{}", text(&out.stdout));
    assert!(stderr.contains(message), "{args:?}: expected {message:?} in\n{stderr}");
    assert_eq!(tree(dir.path()), before, "{args:?} wrote files");
}

#[test]
fn bad_input_is_refused_before_anything_runs() {
    // A single-test run speaks of its test, not of `tests[0]`.
    refused(&["run", "sleeptst"], &[], "error: unknown test `sleeptst`; did you mean `sleeptest`?\n");
    refused(
        &["run", "sleeptest", "--arg", "seconds=abc"],
        &[],
        "error: `seconds` of sleeptest.run_once expects f64, got \"abc\"\n",
    );
    refused(
        &["run"],
        &[],
        "error: nothing to run: name a test (`run sleeptest`; `list` shows them) or a control file (`run --control FILE`)\n",
    );
    refused(
        &["run", "--control", "c.json"],
        &[("c.json", r#"[{"test": "sleeptest"}]"#)],
        "invalid control file `c.json`: its top level is an array; a control file is an object whose `tests` holds the list: {\"tests\": [...]}",
    );
    refused(
        &["run", "sleeptest", "--arg", "secnds=1"],
        &[],
        "Unknown parameter: secnds (did you mean `seconds`? sleeptest accepts: seconds)",
    );
    refused(
        &["run", "sleeptest", "--arg", "seconds=abc"],
        &[],
        "`seconds` of sleeptest.run_once expects f64, got \"abc\"",
    );
    refused(
        &["run", "sleeptest", "--constraint", "x >"],
        &[],
        "could not parse constraint `x >`: expected a number, a name or `(`, found the end at column 4",
    );
    refused(
        &["run", "sleeptest", "--iterations", "2", "--test-length", "1"],
        &[],
        "the argument '--iterations <N>' cannot be used with '--test-length <SECS>'",
    );
    refused(&["run", "sleeptest", "--tag", "../up"], &[], "invalid tag `../up`: it contains a path separator");
    refused(&["run", "sleeptest", "--arg", "novalue"], &[], "invalid --arg `novalue`: expected NAME=VALUE");
    refused(
        &["run", "sleeptest", "--profiler", "no-such-profiler-program"],
        &[],
        "profiler `no-such-profiler-program`: program `no-such-profiler-program` was not found",
    );
    refused(
        &["run", "--control", "c.json"],
        &[("c.json", "{\"tests\": [\n  {\"test\": \"sleeptest\",}\n]}")],
        "invalid control file `c.json`: trailing comma at line 2 column 24",
    );
    refused(
        &["run", "--control", "c.json"],
        &[("c.json", r#"{"tests": [{"test": "sleeptest", "iterations": 2}]}"#)],
        "invalid control file `c.json`: unknown field `iterations`, expected one of `test`, `tag`, `args` at line 1 column 45",
    );
    refused(
        &["run", "--control", "c.json"],
        &[("c.json", r#"{"tests": [{"test": "sleeptest", "args": [1, 2]}]}"#)],
        "tests[0] (sleeptest): Unnamed arguments not accepted. Please call job.run_test with named args only",
    );
    refused(&["run", "--control", "missing.json"], &[], "cannot read control file `missing.json`");
    refused(&["run", "sleeptest", "--results", "taken"], &[("taken", "")], "error: cannot create `taken`: File exists");
}

#[test]
fn an_existing_results_directory_is_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("old")).unwrap();
    write(&dir.path().join("old"), "status.log", "START\t----\t----\t\n");
    let out = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0", "--results", "old"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("results directory `old` already exists and is not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("old/status.log")).unwrap(), "START\t----\t----\t\n");
}

#[test]
fn validate_reports_every_problem_with_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    let good = run_in(dir.path(), &["validate", "--control", control_dir().join("quick.json").to_str().unwrap()]);
    assert!(good.status.success(), "{}", text(&good.stderr));
    assert!(text(&good.stdout).ends_with("quick.json: OK, 6 tests\n"), "{}", text(&good.stdout));
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"job": {"tag": "a/b"},
            "tests": [
              {"test": "sleeptest", "args": {"seconds": "slow"}},
              {"test": "nope"},
              {"test": "sleeptest", "args": {"constraints": ["1 +"]}},
              {"test": "sleeptest"}
            ]}"#,
    );
    let out = run_in(dir.path(), &["validate", "--control", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: job: invalid job tag `a/b`: it contains a path separator; it must stay inside the results directory\n\
         error: tests[0] (sleeptest): `seconds` of sleeptest.run_once expects f64, got \"slow\"\n\
         error: tests[1]: unknown test `nope`\n\
         error: tests[2] (sleeptest): could not parse constraint `1 +`: expected a number, a name or `(`, found the end at column 4\n\
         error: tests[2] (sleeptest): writes to the same output directory as tests[0]; give one of them another `tag`\n\
         error: tests[3] (sleeptest): writes to the same output directory as tests[0]; give one of them another `tag`\n"
    );
    assert_eq!(tree(dir.path()), ["bad.json"]);
}

#[test]
fn crashes_and_hangs_are_that_tests_error_and_the_job_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &["run", "--control", control_dir().join("status_tour.json").to_str().unwrap(), "--grace", "1", "-q"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("results/status_tour/results.json")).unwrap();
    let outcomes: Vec<(&str, Status, &str)> =
        results.tests.iter().map(|t| (t.subdir.as_str(), t.status, t.reason.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            ("status_good", Status::Good, "completed successfully"),
            ("status_warn", Status::Warn, "passed, but took the slow path"),
            ("status_test_na", Status::TestNa, "needs a GPU, and this machine has none"),
            ("status_fail", Status::Fail, "latency 250 ms is over the 100 ms budget"),
            ("status_error", Status::Error, "Unhandled io::Error: No such file or directory (os error 2)"),
            ("status_flaky", Status::Good, "completed successfully"),
            ("fault_abort", Status::Error, "Test subprocess died from signal 6 (SIGABRT)"),
            ("fault_segfault", Status::Error, "Test subprocess died from signal 11 (SIGSEGV)"),
            ("fault_hang.cooperative", Status::Error, "Test timeout expired"),
            ("fault_hang.stuck", Status::Error, "Test timeout expired"),
            ("sleeptest.after_faults", Status::Good, "completed successfully"),
        ]
    );
    assert_eq!(results.tests[9].details, ["killed after the 1 s grace period"]);
    let cooperative = read_keyval(dir.path().join("results/status_tour/fault_hang.cooperative"), None).unwrap();
    assert_eq!(cooperative["cleanup_ran"].to_string(), "yes", "the timed-out test's cleanup ran");
    let stuck = read_keyval(dir.path().join("results/status_tour/fault_hang.stuck"), None).unwrap();
    assert!(!stuck.contains_key("cleanup_ran"));
    let log = StatusLog::read(dir.path().join("results/status_tour/status.log")).unwrap();
    assert!(log.groups.iter().all(|g| !g.closed_by_reader), "every START has its END");
    let timeout_start = log.entries.iter().find(|(_, e)| e.operation() == Some("fault_hang.cooperative")).unwrap();
    assert_eq!(timeout_start.1.field("timeout"), Some("1"));
    let junit = std::fs::read_to_string(dir.path().join("results/status_tour/junit.xml")).unwrap();
    assert!(junit.contains("tests=\"11\" failures=\"1\" errors=\"5\""), "{junit}");
    assert_eq!(junit.matches("skipped=\"1\"").count(), 1, "{junit}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\n11 tests: 3 GOOD, 1 WARN, 1 TEST_NA, 1 FAIL, 5 ERROR in "), "{stdout}");
}

/// Sends `signal` to a harness running a hanging test, and checks that the test's
/// cleanup ran, it and the job are ABORT, no further test starts, the job files
/// are written and the exit status is 1.
fn interrupt(signal: nix::sys::signal::Signal) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.json",
        r#"{"tests": [{"test": "fault_hang", "args": {"seconds": 600}}, {"test": "sleeptest", "args": {"seconds": 0}}]}"#,
    );
    let child = harness_command(dir.path())
        .args(["run", "--control", "c.json", "--results", "r", "-q"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let debug = dir.path().join("r/fault_hang/debug/fault_hang.DEBUG");
    for _ in 0..500 {
        if std::fs::read_to_string(&debug).is_ok_and(|d| d.contains("hanging for 600 s")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, signal).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let reason = format!("Interrupted by {}", signal.as_str());
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.job.status, Status::Abort);
    assert_eq!(results.tests.len(), 1, "no test starts after the interrupt");
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Abort, reason.as_str()));
    let keyval = read_keyval(dir.path().join("r/fault_hang"), None).unwrap();
    assert_eq!(keyval["cleanup_ran"].to_string(), "yes");
    let junit = std::fs::read_to_string(dir.path().join("r/junit.xml")).unwrap();
    assert!(junit.contains("tests=\"1\"") && junit.contains(&reason), "{junit}");
    let log = StatusLog::read(dir.path().join("r/status.log")).unwrap();
    assert!(log.groups.iter().all(|g| !g.closed_by_reader));
    assert_eq!(log.groups[0].status, Status::Abort);
    assert_eq!(log.groups[0].reason, reason);
}

#[test]
fn sigint_aborts_the_running_test_after_its_cleanup() {
    interrupt(nix::sys::signal::Signal::SIGINT);
}

#[test]
fn sigterm_aborts_the_running_test_after_its_cleanup() {
    interrupt(nix::sys::signal::Signal::SIGTERM);
}

#[test]
fn report_prints_a_table_and_writes_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &["run", "checksum_throughput", "--arg", "size_mb=1", "--iterations", "3", "--results", "r", "-q"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = tools(dir.path(), &["report", "r", "--html", "page.html"]);
    let stdout = text(&report.stdout);
    assert!(report.status.success(), "{}", text(&report.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "STATUS   TEST                     TIME ITERATIONS  REASON");
    assert!(lines[1].starts_with("GOOD     checksum_throughput "), "{stdout}");
    assert!(lines[1].ends_with(" s          3"), "no trailing spaces: {stdout}");
    assert!(lines[2].trim_start().starts_with("checksum.throughput: median "), "{stdout}");
    assert!(lines[2].contains(" MB_per_s, IQR ") && lines[2].ends_with(", n=3, higher is better"), "{stdout}");
    assert!(stdout.ends_with("job GOOD: 1 GOOD\nreport: page.html\n"), "{stdout}");
    let page = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 1);
    assert!(page.contains("data-metric=\"checksum.throughput\""), "{page}");
}

#[test]
fn report_rebuilds_results_from_the_status_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0", "--results", "r", "-q"]);
    assert!(out.status.success());
    std::fs::remove_file(dir.path().join("r/results.json")).unwrap();
    std::fs::remove_file(dir.path().join("r/junit.xml")).unwrap();
    let report = tools(dir.path(), &["report", "r"]);
    assert!(report.status.success());
    assert!(text(&report.stderr).contains("rebuilt it (and junit.xml) from status.log"));
    let rebuilt = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((rebuilt.tests[0].test.as_str(), rebuilt.tests[0].status), ("sleeptest", Status::Good));
    assert!(dir.path().join("r/junit.xml").is_file());
    let missing = tools(dir.path(), &["report", "nowhere"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn the_readme_job_runs_every_example_and_ends_good() {
    let dir = tempfile::tempdir().unwrap();
    let quick = control_dir().join("quick.json");
    let out = run_in(dir.path(), &["run", "--control", quick.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("results: results/quick\n"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("sleeptest: iteration 3/3"), "progress goes to stderr when it is not a terminal: {stderr}");
    let results = JobResults::read(dir.path().join("results/quick/results.json")).unwrap();
    let tests: Vec<(&str, Status, u64)> =
        results.tests.iter().map(|t| (t.subdir.as_str(), t.status, t.iterations)).collect();
    assert_eq!(
        tests,
        [
            ("sleeptest", Status::Good, 3),
            ("checksum_throughput.fnv1a", Status::Good, 5),
            ("checksum_throughput.crc32", Status::Good, 3),
            ("file_io", Status::Good, 3),
            ("build_once", Status::Good, 1),
            ("status_good", Status::Good, 1),
        ]
    );
    let checksum = &results.tests[1];
    assert_eq!(checksum.perf_values[0].graph.as_deref(), Some("checksum"));
    assert_eq!(checksum.perf_values[0].values.len(), 5);
    assert_eq!(checksum.keyvals["param-constraints"], "['throughput_mb_s > 1']");
    let file_io = &results.tests[3];
    let names: Vec<&str> = file_io.perf_values.iter().map(|p| p.description.as_str()).collect();
    assert_eq!(names, ["write", "read"]);
    assert_eq!(file_io.perf_keyvals.keys().collect::<Vec<_>>(), ["read_mb_s", "write_mb_s"]);
    let sleep_chart: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("results/quick/sleeptest/results/results-chart.json")).unwrap(),
    )
    .unwrap();
    assert!((sleep_chart["total_sleep"]["summary"]["value"].as_f64().unwrap() - 0.3).abs() < 1e-9);
}

#[test]
fn build_once_builds_once_per_version() {
    let dir = tempfile::tempdir().unwrap();
    let run = |tag: &str| {
        let out =
            run_in(dir.path(), &["run", "build_once", "--tag", tag, "--results", &format!("results/{tag}"), "-q"]);
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        let debug = std::fs::read_to_string(
            dir.path().join(format!("results/{tag}/build_once.{tag}/debug/build_once.{tag}.DEBUG")),
        )
        .unwrap();
        let built =
            std::fs::read_to_string(dir.path().join(format!("results/{tag}/build_once.{tag}/results/keyval"))).unwrap();
        (debug, built)
    };
    let (first_log, first_built) = run("first");
    assert!(first_log.contains("running setup for version 1"), "{first_log}");
    let (second_log, second_built) = run("second");
    assert!(second_log.contains("setup skipped"), "{second_log}");
    let stamp = |keyval: &str| keyval.lines().find(|l| l.starts_with("built{attr}=")).unwrap().to_owned();
    assert_eq!(stamp(&first_built), stamp(&second_built), "the second run used the first run's build");
    assert_eq!(std::fs::read_to_string(state_dir(dir.path()).join("tests/build_once/src/.version")).unwrap(), "I1\n.");
}

#[test]
fn every_shipped_control_file_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["quick.json", "nightly.json", "status_tour.json"] {
        let out = run_in(dir.path(), &["validate", "--control", control_dir().join(file).to_str().unwrap()]);
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
    }
}

/// `--results DIR` writes nothing beside DIR; the default `results/<name>` is
/// pointed at by `results/latest` after each run.
#[test]
fn results_dirs_hold_everything_and_latest_points_at_the_last_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("parent")).unwrap();
    let out = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0", "--results", "parent/r", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let beside: Vec<String> = std::fs::read_dir(dir.path().join("parent"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["r"], "nothing is created beside the results dir");
    assert!(!dir.path().join("results").exists(), "an explicit --results makes no results/ root");
    for tag in ["one", "two"] {
        let out = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0", "--tag", tag, "-q"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let latest = std::fs::read_link(dir.path().join("results/latest")).unwrap();
    assert_eq!(latest.components().count(), 1, "a relative link to a sibling: {latest:?}");
    let runs: Vec<String> = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "latest")
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let status = std::fs::read_to_string(dir.path().join("results/latest/status.log")).unwrap();
    assert!(status.contains("sleeptest.two"), "latest is the last run: {status}");
}

/// Statuses are coloured on a terminal and with `--color always`; never with
/// `--color never`, `NO_COLOR`, or into a pipe.
#[test]
fn colour_follows_the_terminal_and_the_flags() {
    const GREEN_GOOD: &str = "\u{1b}[32mGOOD";
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], env: Option<(&str, &str)>, pty: bool| {
        let mut command = harness_command(dir.path());
        command.args(["run", "sleeptest", "--arg", "seconds=0", "-q"]).args(extra);
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        if pty {
            let (status, out) = harness_tests::run_in_pty(&mut command);
            assert!(status.success(), "{out}");
            out
        } else {
            let out = command.output().unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout)
        }
    };
    assert!(!run(&[], None, false).contains('\u{1b}'), "no colour into a pipe");
    assert!(run(&["--color", "always"], None, false).contains(GREEN_GOOD));
    let terminal = run(&[], None, true);
    assert!(terminal.contains(GREEN_GOOD), "{terminal:?}");
    assert!(!run(&[], Some(("NO_COLOR", "1")), true).contains('\u{1b}'));
    assert!(!run(&["--color", "never"], None, true).contains('\u{1b}'));
}

/// On a terminal, a bar is drawn only once a test iterates (none for a test
/// that ends before its first iteration), and a timed run shows the time left.
#[test]
fn progress_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = harness_command(dir.path());
    command.args(["run", "status_test_na", "--color", "never"]);
    let (status, out) = harness_tests::run_in_pty(&mut command);
    assert!(status.success(), "{out}");
    let first_line_end = out.find('\n').unwrap() + 1;
    // The job's own warnings (a debug build) are lines of their own; no bar.
    let before_result: Vec<&str> = out[first_line_end..out.find("TEST_NA").unwrap()]
        .split("\r\n")
        .filter(|line| !line.is_empty() && !line.starts_with("warning: "))
        .collect();
    assert!(before_result.is_empty(), "nothing is drawn between the results line and the result: {out:?}");
    let mut command = harness_command(dir.path());
    command.args(["run", "sleeptest", "--arg", "seconds=0.2", "--test-length", "0.5", "--color", "never"]);
    let (status, out) = harness_tests::run_in_pty(&mut command);
    assert!(status.success(), "{out}");
    assert!(out.contains(" s left"), "{out:?}");
    // Not on a terminal: one line per second at most, with the time left.
    let plain = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0.2", "--test-length", "0.3"]);
    assert!(text(&plain.stderr).contains("sleeptest: iteration 1, 0."), "{}", text(&plain.stderr));
}

/// A failed constraint reads on the console with the iteration and the value.
#[test]
fn a_failed_constraint_shows_its_value_on_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "run",
            "checksum_throughput",
            "--arg",
            "size_mb=1",
            "--iterations",
            "2",
            "--constraint",
            "throughput_mb_s < 0",
            "-q",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("FAIL")).unwrap();
    assert!(line.contains("  iteration 1: throughput_mb_s < 0 not met (throughput_mb_s = "), "{line}");
    assert!(line.contains("; iteration 2: throughput_mb_s < 0 not met"), "{line}");
}

/// Two harness runs on one machine take turns: the second waits for the
/// first's test to finish, says whom it waits for, and its test's time and
/// timeout start after the wait. `--parallel` runs beside the other.
#[test]
fn two_runs_on_one_machine_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("locks");
    let start = |results: &str, extra: &[&str]| {
        harness_command(dir.path())
            .args(["run", "sleeptest", "--arg", "seconds=1", "--timeout", "1.5", "--results", results, "-q"])
            .args(extra)
            .env("HARNESS_LOCK_DIR", &locks)
            .env_remove("HARNESS_PARALLEL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = start("a", &[]);
    let held = locks.join("measure.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&held).is_ok_and(|t| t.starts_with(&format!("{} sleeptest", first.id()))) {
        assert!(std::time::Instant::now() < deadline, "the first run never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let second = start("b", &[]);
    let beside = start("c", &["--parallel"]);
    let (first_pid, first, second, beside) = (
        first.id(),
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
        beside.wait_with_output().unwrap(),
    );
    for out in [&first, &second, &beside] {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert_eq!(
        text(&second.stderr).lines().find(|l| l.contains("waiting for")),
        Some(format!("sleeptest: waiting for sleeptest (pid {first_pid}) to finish: one test measures at a time on this machine").as_str())
    );
    assert!(!text(&beside.stderr).contains("waiting for"), "{}", text(&beside.stderr));
    let span = |run: &str| {
        let test = &JobResults::read(dir.path().join(run).join("results.json")).unwrap().tests[0];
        (test.start.clone(), test.end.clone(), test.duration)
    };
    let (a, b, c) = (span("a"), span("b"), span("c"));
    assert!(a.1 <= b.0, "the second run's test started before the first's ended: {a:?} {b:?}");
    assert!(b.2 < 1.5, "the wait is not the test's time: {b:?}");
    assert!(c.0 < a.1, "--parallel waited: {a:?} {c:?}");
}

/// Before its first measuring test a job says once, as the job's and not as a
/// test's, what makes its numbers noisy (here at least the debug build this
/// suite runs in): on the console, in the job keyval and in results.json. A run of `parallel` tests measures nothing and says nothing.
/// `--cpus` pins the test's process and is in its keyval.
#[test]
fn the_job_says_once_what_makes_its_numbers_noisy() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "two.json",
        r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 0}}, {"test": "sleeptest", "tag": "again", "args": {"seconds": 0}}]}"#,
    );
    let out =
        run_in(dir.path(), &["run", "--control", "two.json", "--cpus", "0", "--results", "r", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let said: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(said.iter().filter(|l| l.starts_with("warning: this is a debug build")).count(), 1, "{stderr}");
    assert!(!stderr.contains("sleeptest: WARNING: this is a debug build"), "{stderr}");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.job.noise.len(), said.len(), "{:?} {said:?}", results.job.noise);
    assert!(results.job.noise[0].starts_with("this is a debug build"), "{:?}", results.job.noise);
    // In the job keyval, which TKO keeps with the job; the status log stays autotest's.
    let keyval = std::fs::read_to_string(dir.path().join("r/keyval")).unwrap();
    assert!(keyval.contains("\nnoise-1=this is a debug build: "), "{keyval}");
    assert!(!std::fs::read_to_string(dir.path().join("r/status.log")).unwrap().contains("debug build"));
    for test in &results.tests {
        assert_eq!(test.keyvals["cpus"], "0", "{}", test.subdir);
    }
    let quiet = run_in(dir.path(), &["run", "sleeptest", "--arg", "seconds=0", "--parallel", "--results", "p"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(!text(&quiet.stderr).contains("warning: "), "{}", text(&quiet.stderr));
    assert!(JobResults::read(dir.path().join("p/results.json")).unwrap().job.noise.is_empty());
}

/// Each finished test shows its perf values under its line: the measured
/// iterations' median, spread and count, units and direction; `-q` hides them.
#[test]
fn a_run_shows_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["run", "file_io.small", "--iterations", "3", "--results", "r", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("GOOD     file_io.small")).unwrap();
    for (line, metric) in lines[at + 1..at + 3].iter().zip(["file_io.write", "file_io.read"]) {
        assert!(line.starts_with(&format!("         {metric}: median ")), "{stdout}");
        assert!(line.contains(" MB_per_s, IQR ") && line.contains(", CV "), "{stdout}");
        assert!(line.ends_with(", n=3, higher is better"), "{stdout}");
    }
    let quiet = run_in(dir.path(), &["run", "file_io.small", "--iterations", "3", "--results", "q", "-q"]);
    assert!(!text(&quiet.stdout).contains("median"), "{}", text(&quiet.stdout));
}

#[test]
fn a_harness_binary_points_to_the_results_tools_and_refuses_other_commands() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["report", "compare", "history", "confirm"] {
        let out = run_in(dir.path(), &[command, "x"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(
            text(&out.stderr).starts_with(&format!(
                "error: `{command}` reads results, and the results tools do that: `cargo harness {command} x`"
            )),
            "{}",
            text(&out.stderr)
        );
    }
    let out = run_in(dir.path(), &["histroy"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: unrecognized subcommand `histroy`; the commands are list, run and validate (see --help)\n"
    );
}
