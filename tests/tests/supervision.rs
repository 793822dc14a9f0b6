//! The verdicts of `harness run` hold however a test misbehaves: each test here
//! is one guarantee of docs/reliability.md, tried as an attacker would.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use harness_core::Status;
use harness_core::results::{JobResults, StatusLog};
use harness_tests::{harness_in, wait_for};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    harness_in(dir).args(args).output().unwrap()
}

fn write(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).unwrap();
}

fn outcomes(results: &JobResults) -> Vec<(String, Status)> {
    results.tests.iter().map(|t| (t.subdir.clone(), t.status)).collect()
}

/// Whether this machine lets us make pid namespaces (root, or user namespaces).
fn pid_namespaces() -> bool {
    let ok = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("note: skipped: `unshare --pid --fork --mount-proc` is not allowed on this machine");
    }
    ok
}

/// Guarantee 1: two runs in separate pid namespaces (where both harnesses are pid 1 and
/// their children get the same pids) share one state directory; each run's
/// segfault is its ERROR, never another run's GOOD.
#[test]
fn runs_in_separate_pid_namespaces_never_read_each_others_results() {
    if !pid_namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.json",
        r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 0.3}}, {"test": "fault_segfault"}, {"test": "status_good"}]}"#,
    );
    let unshare = |results: &str| {
        Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc"])
            .arg(harness_tests::example_harness())
            .args(["run", "--control", "c.json", "--results", results, "-q"])
            .current_dir(dir.path())
            .env("HARNESS_STATE_DIR", dir.path().join(".state"))
            .env_remove("HARNESS_CHILD_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (unshare("shared/a"), unshare("shared/b"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for (out, results) in [(a, "shared/a"), (b, "shared/b")] {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let results = JobResults::read(dir.path().join(results).join("results.json")).unwrap();
        assert_eq!(
            outcomes(&results),
            [
                ("sleeptest".to_owned(), Status::Good),
                ("fault_segfault".to_owned(), Status::Error),
                ("status_good".to_owned(), Status::Good)
            ]
        );
        assert_eq!(results.tests[1].reason, "Test subprocess died from signal 11 (SIGSEGV)");
    }
}

/// Guarantee 1: a run killed with SIGKILL leaves its children's scratch directory behind; the
/// next run removes it, and its own segfault is ERROR.
#[test]
fn scratch_of_a_killed_run_is_cleaned_and_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = harness_in(dir.path())
        .args(["run", "sleeptest", "--arg", "seconds=60", "--results", "first", "-q"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let children = dir.path().join(".state/tmp/children");
    assert!(wait_for(20.0, || std::fs::read_dir(&children).is_ok_and(|mut d| d.next().is_some())));
    assert!(wait_for(20.0, || dir.path().join("first/sleeptest/debug/sleeptest.DEBUG").exists()));
    first.kill().unwrap();
    first.wait().unwrap();
    let stale: Vec<_> = std::fs::read_dir(&children).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(stale.len(), 1, "the killed run left its directory of children");
    let child: Vec<_> = std::fs::read_dir(&stale[0]).unwrap().flatten().filter(|e| e.path().is_dir()).collect();
    assert_eq!(child.len(), 1, "and in it its child's directory");
    // A result planted there, as a stale run could leave one, is never believed.
    std::fs::write(child[0].path().join("result.json"), r#"{"nonce": "x", "verdict": {"status": "GOOD", "reason": "completed successfully", "summary": null, "raised_at": null, "iterations": 1, "profiled_iteration": null}, "records": []}"#).unwrap();
    let out = run(dir.path(), &["run", "fault_segfault", "--results", "second", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("second/results.json")).unwrap();
    assert_eq!(results.tests[0].status, Status::Error);
    assert_eq!(results.tests[0].reason, "Test subprocess died from signal 11 (SIGSEGV)");
    assert!(!stale[0].exists(), "the stale directory of the killed run is removed");
    assert_eq!(std::fs::read_dir(&children).unwrap().count(), 0);
}

/// Guarantee 2: entries that cannot be prepared are refused by `validate` and by `run`
/// before anything runs, by the code that names runs: a name too long for a
/// directory, a tag with a control character, and one output directory in any
/// spelling (`tag: 1` and `"1"`; a tag `y` and a `subdir_tag` `y`).
#[test]
fn entries_that_cannot_be_named_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(195);
    write(
        dir.path(),
        "c.json",
        &format!(
            r#"{{"tests": [
                {{"test": "sleeptest", "tag": "{long}", "args": {{"seconds": 0}}}},
                {{"test": "sleeptest", "tag": "a\u0007b", "args": {{"seconds": 0}}}},
                {{"test": "sleeptest", "args": {{"seconds": 0, "tag": 1}}}},
                {{"test": "sleeptest", "tag": "1", "args": {{"seconds": 0}}}},
                {{"test": "status_good", "tag": "y"}},
                {{"test": "status_good", "args": {{"subdir_tag": "y"}}}}
            ]}}"#
        ),
    );
    for command in ["validate", "run"] {
        let out = run(dir.path(), &[command, "--control", "c.json"]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 4, "{command}: {stderr}");
        assert!(
            lines[0].starts_with("error: tests[0] (sleeptest): invalid tagged test name `sleeptest.xxxx"),
            "{stderr}"
        );
        assert!(lines[0].ends_with("...`: it is longer than 200 bytes"), "{stderr}");
        assert_eq!(lines[1], "error: tests[1] (sleeptest): invalid tag `a\\u{7}b`: it contains a control character");
        assert_eq!(
            lines[2],
            "error: tests[3] (sleeptest.1): writes to the same output directory as tests[2]; give one of them another `tag`"
        );
        assert_eq!(
            lines[3],
            "error: tests[5] (status_good.y): writes to the same output directory as tests[4]; give one of them another `tag`"
        );
        assert!(!dir.path().join("results").exists(), "{command} wrote results");
    }
}

/// Guarantee 2: an entry whose output directory is taken between validation and its run
/// is an ERROR with its reason, counted, and the exit status is 1: never skipped.
#[test]
fn an_entry_that_cannot_start_is_an_error_not_a_skip() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.json",
        r#"{"tests": [{"test": "fault_squat", "args": {"subdir": "status_good"}}, {"test": "status_good"}, {"test": "sleeptest", "args": {"seconds": 0}}]}"#,
    );
    let out = run(dir.path(), &["run", "--control", "c.json", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ERROR    status_good"), "{stdout}");
    assert!(stdout.contains("3 tests: 2 GOOD, 1 ERROR in "), "{stdout}");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(
        outcomes(&results),
        [
            ("fault_squat".to_owned(), Status::Good),
            ("status_good".to_owned(), Status::Error),
            ("sleeptest".to_owned(), Status::Good)
        ]
    );
    assert_eq!(
        results.tests[1].reason,
        "status_good already exists; multiple tests cannot run with the same subdirectory"
    );
    let log = StatusLog::read(dir.path().join("r/status.log")).unwrap();
    let tests: Vec<(Option<&str>, Status)> = log.tests().map(|g| (g.operation.as_deref(), g.status)).collect();
    assert_eq!(
        tests,
        [(Some("fault_squat"), Status::Good), (Some("status_good"), Status::Error), (Some("sleeptest"), Status::Good)]
    );
}

/// Guarantee 3: time limits of any finite size run; infinite or NaN ones are refused with
/// a message, never dropped.
#[test]
fn huge_and_infinite_limits() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["run", "sleeptest", "--arg", "seconds=0", "--timeout", "1e300", "--grace", "1e300", "--results", "r", "-q"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (option, value, message) in [
        ("--timeout", "inf", "error: --timeout must be a finite number of seconds, got inf"),
        ("--timeout", "NaN", "error: --timeout must be a finite number of seconds, got NaN"),
        ("--grace", "inf", "error: --grace must be a finite number of seconds, got inf"),
        ("--test-length", "inf", "error: --test-length must be a finite number of seconds, got inf"),
        ("--timeout", "0", "error: --timeout must be a positive number of seconds, got 0"),
    ] {
        let out = run(dir.path(), &["run", "sleeptest", option, value, "--results", "refused"]);
        assert_eq!(out.status.code(), Some(2), "{option} {value}");
        assert_eq!(text(&out.stderr).lines().next(), Some(message), "{option} {value}");
        assert!(!dir.path().join("refused").exists());
    }
}

/// Guarantee 3: a closed stdout (`| head -1`) ends the printing quietly; the job runs to
/// its end and writes its files.
#[test]
fn a_closed_stdout_does_not_stop_the_job() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.json",
        r#"{"tests": [{"test": "status_good"}, {"test": "sleeptest", "tag": "a", "args": {"seconds": 0.2}}, {"test": "sleeptest", "tag": "b", "args": {"seconds": 0}}]}"#,
    );
    let mut child = harness_in(dir.path())
        .args(["run", "--control", "c.json", "--results", "r", "-q"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line, then close the pipe, as `head -1` does.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, "results: r\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.tests.len(), 3);
    assert!(results.tests.iter().all(|t| t.status == Status::Good));
}

/// Guarantee 3, for the commands that print: with stdout a pipe whose reader is
/// gone before anything is written (`| head` that has exited), each ends without a
/// panic and with the exit status its work gives.
#[test]
fn printing_commands_end_quietly_on_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.json", r#"{"tests": [{"test": "status_good"}]}"#);
    // A perf test, so that `compare r r` has metrics to compare.
    let ran = run(dir.path(), &["run", "perf_sample", "--iterations", "5", "--results", "r", "-q"]);
    assert!(ran.status.success(), "{}", text(&ran.stderr));
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["validate", "--control", "c.json"],
        &["report", "r"],
        &["compare", "r", "r"],
        &["compare", "r", "r", "--json"],
    ] {
        let (read, write_end) = nix::unistd::pipe().unwrap();
        drop(read);
        let mut command = if matches!(args[0], "report" | "compare") {
            harness_tests::tools_in(dir.path())
        } else {
            harness_in(dir.path())
        };
        let out = command.args(args).stdout(Stdio::from(write_end)).output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// Guarantee 6: a test that changes its working directory still writes inside its output
/// directory (the job's paths are absolute), and is GOOD.
#[test]
fn a_test_that_changes_directory_still_writes_its_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run", "fault_chdir", "--results", "r", "-q"]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("r/fault_chdir/results/keyval")).unwrap(),
        "after_chdir{perf}=1\n\n"
    );
    assert!(dir.path().join("r/fault_chdir/results/results-chart.json").is_file());
}

/// Guarantee 7: a test's stdin is `/dev/null`: reading it gives EOF, in a pipe and on a
/// terminal alike.
#[test]
fn a_test_that_reads_stdin_gets_eof() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness_in(dir.path())
        .args(["run", "fault_read_stdin", "--results", "piped", "-q"])
        .stdin(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("piped/fault_read_stdin/results/keyval")).unwrap(),
        "stdin_bytes{perf}=0\n\n"
    );
    let mut command = harness_in(dir.path());
    command.args(["run", "fault_read_stdin", "--results", "terminal", "--timeout", "30", "-q"]);
    let (status, out) = harness_tests::run_in_pty(&mut command);
    assert!(status.success(), "{out}");
    assert!(out.contains("GOOD"), "{out}");
}

/// Guarantee 10: every file a run writes is readable as the umask allows (0666 & !umask).
#[test]
fn result_files_are_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 022; exec '{}' run --control '{}' --results r -q",
            harness_tests::example_harness().display(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness-examples/control/quick.json").display()
        ))
        .current_dir(dir.path())
        .env("HARNESS_STATE_DIR", dir.path().join(".state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut files = Vec::new();
    let mut stack = vec![dir.path().join("r"), dir.path().join(".state/tests")];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    for must in ["results.json", "junit.xml", "results-chart.json", ".version", "keyval", "status.log"] {
        assert!(files.iter().any(|f| f.file_name().is_some_and(|n| n == must)), "{must} among {files:#?}");
    }
    for file in files {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert!(mode & 0o044 == 0o044, "{} is {mode:o}", file.display());
    }
}

/// Guarantee 12: a reason is printed escaped: an escape sequence cannot make a FAIL look GOOD.
#[test]
fn reasons_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["run", "fault_reason", "--arg", "reason=\u{1b}[32mGOOD\u{1b}[0m", "--results", "r", "-q", "--color", "never"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("FAIL     fault_reason"), "{stdout}");
    assert!(stdout.contains("  \\u{1b}[32mGOOD\\u{1b}[0m\n"), "{stdout}");
    let report = harness_tests::tools_in(dir.path()).args(["report", "r", "--color", "never"]).output().unwrap();
    let table = text(&report.stdout);
    assert!(!table.contains('\u{1b}') && table.contains("\\u{1b}[32mGOOD"), "{table:?}");
}

/// Guarantee 12: a control file read from a pipe or a device is bounded like a file, and
/// an argument given twice in one entry is refused.
#[test]
fn control_files_are_bounded_and_keys_unique() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["validate", "--control", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: control file `/dev/zero` is more than 16777216 bytes; control files are limited to 16777216 bytes\n"
    );
    write(dir.path(), "c.json", r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 1, "seconds": 0}}]}"#);
    let out = run(dir.path(), &["validate", "--control", "c.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: invalid control file `c.json`: duplicate key `seconds` at line 1"),
        "{}",
        text(&out.stderr)
    );
}

/// Guarantee 12: a child that reported GOOD and then failed (a panic in a destructor) is
/// not GOOD.
#[test]
fn a_child_that_fails_after_reporting_is_not_good() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run", "fault_panic_on_drop", "--results", "r", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.tests[0].status, Status::Error);
    assert_eq!(
        results.tests[0].reason,
        "Test subprocess failed rc=101 after the test ended GOOD completed successfully"
    );
    let stderr =
        std::fs::read_to_string(dir.path().join("r/fault_panic_on_drop/debug/fault_panic_on_drop.stderr")).unwrap();
    assert!(stderr.contains("panicked while dropping the test"), "{stderr}");
}

/// Whether this process may make a cgroup (v2) below its own: root, or a
/// delegated subtree. Says so when it may not.
fn cgroups_allowed() -> bool {
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|text| text.lines().find_map(|l| l.strip_prefix("0::").map(str::to_owned)));
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mount = mounts.lines().find_map(|line| {
        let (head, tail) = line.split_once(" - ")?;
        (tail.split_whitespace().next()? == "cgroup2").then(|| head.split_whitespace().nth(4).map(str::to_owned))?
    });
    let probe = own.zip(mount).map(|(own, mount)| {
        Path::new(&mount).join(own.trim_start_matches('/')).join(format!("harness-probe-{}", std::process::id()))
    });
    let allowed = probe.is_some_and(|dir| std::fs::create_dir(&dir).is_ok() && std::fs::remove_dir(&dir).is_ok());
    if !allowed {
        println!("note: skipped: this process may not make a cgroup v2 here");
    }
    allowed
}

/// Guarantee 15: a double-forked daemon in a session of its own, its stdio on
/// `/dev/null`, is still found (in the test's cgroup), killed and reported;
/// the debug log says which method found it.
#[test]
fn a_double_forked_daemon_is_found_killed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run", "fault_leak", "--arg", "daemon=true", "--results", "r", "-q"]);
    let debug = std::fs::read_to_string(dir.path().join("r/fault_leak/debug/fault_leak.DEBUG")).unwrap();
    let daemon: u32 = harness_core::results::read_keyval(dir.path().join("r/fault_leak"), None).unwrap()["daemon"]
        .to_string()
        .parse()
        .unwrap();
    if !cgroups_allowed() {
        assert!(
            debug.contains(
                "processes the test leaves behind are found by its process group and its output pipes (no cgroup: "
            ),
            "{debug}"
        );
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(daemon).unwrap()),
            nix::sys::signal::Signal::SIGKILL,
        );
        return;
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(debug.contains("processes the test leaves behind are found by its cgroup `"), "{debug}");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(
        (results.tests[0].status, results.tests[0].reason.as_str()),
        (Status::Warn, format!("the test left processes running, killed: {daemon} (sleep)").as_str())
    );
    assert!(wait_for(5.0, || !harness_tests::alive(daemon)), "the daemon {daemon} still runs");
}

/// The largest resident size `pid` has had, in kB (`VmHWM`).
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

/// Guarantee 18: a test that floods harness's channel to its process (256 MB
/// without a line break) is killed and ends ERROR, and the harness stays small.
#[test]
fn a_flood_on_the_private_channel_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_in(dir.path())
        .args(["run", "fault_flood_channel", "--results", "r", "--timeout", "120", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = harness.id();
    let mut peak = 0;
    while harness.try_wait().unwrap().is_none() {
        peak = peak.max(peak_kb(pid).unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = harness.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(
        (results.tests[0].status, results.tests[0].reason.as_str()),
        (
            Status::Error,
            "the test sent a message of over 1048576 bytes on harness's channel to its process; it was killed"
        )
    );
    assert!(peak < 50_000, "the harness grew to {peak} kB");
}

/// Guarantee 19: a test that runs a harness binary (here, its own binary's
/// `list`) gets a harness, not a child; its processes see none of harness's
/// internal variables.
#[test]
fn a_test_can_run_another_harness() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run", "fault_nested", "--results", "r", "-q"]);
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(
        (results.tests[0].status, results.tests[0].reason.as_str()),
        (Status::Good, "completed successfully"),
        "{}",
        text(&out.stderr)
    );
    assert!(results.tests[0].perf_keyvals["nested_tests"] > 10.0, "{:?}", results.tests[0].perf_keyvals);
}

/// Guarantee 24: a 5,000-character reason is one line on the console, cut to
/// the width (the whole reason is in results.json and the debug log); a
/// 100 kB argument name is shown cut, never echoed whole.
#[test]
fn long_reasons_and_names_are_cut_on_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let reason = "r".repeat(5000);
    let out = harness_in(dir.path())
        .env("COLUMNS", "80")
        .args(["run", "fault_reason", "--arg", &format!("reason={reason}"), "--results", "r", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("FAIL")).unwrap();
    assert_eq!(line.chars().count(), 80, "{line}");
    assert!(line.ends_with("rrr…"), "{line}");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.tests[0].reason, reason);
    let debug = std::fs::read_to_string(dir.path().join("r/fault_reason/debug/fault_reason.DEBUG")).unwrap();
    assert!(debug.contains(&reason), "the debug log has the whole reason");

    let name = "n".repeat(100_000);
    for args in [vec!["--arg".to_owned(), format!("{name}=1")], vec!["--arg".to_owned(), name.clone()]] {
        let out = harness_in(dir.path()).args(["run", "sleeptest", "--results", "r2"]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(stderr.len() < 1000, "{} bytes: {}...", stderr.len(), &stderr[..200]);
        assert!(stderr.contains(&format!("{}...", "n".repeat(100))), "{stderr}");
    }
}
