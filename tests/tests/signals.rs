//! Signals and orphans, handled as nextest handles them: the child dies with
//! its parent; SIGHUP and SIGQUIT end a job like SIGTERM; Ctrl-Z stops the
//! child with the timeout clock; a second interrupt kills at once; leftover
//! processes are killed and reported; `cargo test` and `test_main` enforce
//! time limits and end on SIGTERM.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness_core::Status;
use harness_core::results::{JobResults, read_keyval};
use harness_tests::{alive, children_of, harness_in, proc_field, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn signal(pid: u32, signal: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).unwrap();
}

/// Starts `harness run ARGS` in `dir`, and waits until its test's child runs
/// and its debug log holds `ready`. The harness gets a process group of its
/// own, as a shell's job does, so job control applies to it wherever this test
/// runs (a group whose parent is in another group of the session is not
/// orphaned).
fn start(dir: &Path, args: &[&str], debug: &str, ready: &str) -> (Child, u32) {
    use std::os::unix::process::CommandExt as _;
    let child =
        harness_in(dir).args(args).process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let parent = child.id();
    let log = dir.join(debug);
    assert!(
        wait_for(30.0, || std::fs::read_to_string(&log).is_ok_and(|l| l.contains(ready))),
        "the test did not start: {}",
        log.display()
    );
    let test = children_of(parent).into_iter().next().expect("the test's child process");
    (child, test)
}

/// The child of a harness dies with it, and so does what the test started.
#[test]
fn the_child_dies_with_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, test) = start(
        dir.path(),
        &["run", "fault_hang", "--arg", "spawn=true", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    let sleeper: u32 =
        read_keyval(dir.path().join("r/fault_hang"), None).unwrap()["sleeper"].to_string().parse().unwrap();
    assert!(alive(test) && alive(sleeper));
    harness.kill().unwrap();
    harness.wait().unwrap();
    assert!(wait_for(10.0, || !alive(test)), "the child outlived its parent");
    assert!(
        wait_for(10.0, || !alive(sleeper)),
        "the test's own process outlived the harness: state {:?}, parent {:?}, group {:?}, test group {:?}",
        proc_field(sleeper, 0),
        proc_field(sleeper, 1),
        proc_field(sleeper, 2),
        test
    );
}

/// SIGHUP and SIGQUIT end the job as SIGTERM does: cleanup, ABORT, files written.
#[test]
fn sighup_and_sigquit_end_the_job_like_sigterm() {
    for sig in [Signal::SIGHUP, Signal::SIGQUIT] {
        let dir = tempfile::tempdir().unwrap();
        let (harness, _) = start(
            dir.path(),
            &["run", "fault_hang", "--arg", "seconds=600", "--results", "r", "-q"],
            "r/fault_hang/debug/fault_hang.DEBUG",
            "hanging for",
        );
        signal(harness.id(), sig);
        let out = harness.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{sig}: {}", text(&out.stderr));
        let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
        assert_eq!(results.job.status, Status::Abort);
        assert_eq!(
            (results.tests[0].status, results.tests[0].reason.as_str()),
            (Status::Abort, format!("Interrupted by {}", sig.as_str()).as_str())
        );
        let keyval = read_keyval(dir.path().join("r/fault_hang"), None).unwrap();
        assert_eq!(keyval["cleanup_ran"].to_string(), "yes", "{sig}: the test's cleanup ran");
    }
}

/// Ctrl-Z stops the test's processes with the harness, and the timeout clock
/// stands still until `fg`.
#[test]
fn a_stopped_job_stops_its_test_and_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let begin = Instant::now();
    let (harness, test) = start(
        dir.path(),
        &["run", "fault_hang", "--arg", "seconds=600", "--timeout", "2", "--grace", "5", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    signal(harness.id(), Signal::SIGTSTP);
    assert!(wait_for(5.0, || proc_field(test, 0).as_deref() == Some("T")), "the test's process was not stopped");
    assert!(wait_for(5.0, || proc_field(harness.id(), 0).as_deref() == Some("T")), "the harness did not stop");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(proc_field(test, 0).as_deref(), Some("T"), "the test stays stopped while the harness is");
    let stopped_for = begin.elapsed();
    signal(harness.id(), Signal::SIGCONT);
    let out = harness.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Error, "Test timeout expired"));
    // Had the clock run on, the timeout would have fired at once on `fg`; it
    // waited for the rest of the 2 s instead.
    assert!(
        begin.elapsed() >= stopped_for + Duration::from_millis(500),
        "the timeout ignored the pause: {:?} after stopping for {stopped_for:?}",
        begin.elapsed()
    );
}

/// SIGTSTP to a harness with no terminal to be continued from (`setsid`, as on
/// CI: its process group is orphaned) is discarded, as the kernel discards it
/// for a process that keeps the default action: harness and test go on.
#[test]
fn a_stop_signal_without_a_terminal_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let harness = harness_tests::example_harness();
    let out = output_within(
        Command::new("setsid")
            .arg("--wait")
            .arg(harness)
            .args(["run", "fault_stop_harness", "--results", "r", "-q"])
            .current_dir(dir.path())
            .env("HARNESS_STATE_DIR", dir.path().join(".state"))
            .env_remove("HARNESS_CHILD_DIR"),
        60.0,
    );
    let Some(out) = out else {
        // The harness left in its own session, stopped: end it and its test.
        for pid in std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()) {
            if std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(dir.path())) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        panic!("SIGTSTP without a terminal stopped the harness for good");
    };
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!(results.tests[0].status, Status::Good, "{}", results.tests[0].reason);
}

/// A second interrupt kills the test at once, and the harness says what it
/// waits for and what it did.
#[test]
fn a_second_interrupt_kills_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (harness, _) = start(
        dir.path(),
        &["run", "fault_hang", "--arg", "cooperative=false", "--grace", "600", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    let begin = Instant::now();
    signal(harness.id(), Signal::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    signal(harness.id(), Signal::SIGINT);
    let out = harness.wait_with_output().unwrap();
    assert!(begin.elapsed() < Duration::from_secs(60), "the second interrupt did not kill the test");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "fault_hang: interrupted: waiting up to 600 s for the test to clean up (interrupt again to kill it now)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("fault_hang: interrupted again: killing the test's processes now"), "{stderr}");
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Abort, "Interrupted by SIGINT"));
    assert_eq!(results.tests[0].details, ["killed at once: the job was interrupted again"]);
}

/// Runs `command` in a process group of its own, and returns its output if it
/// ends within `seconds`; else kills that group and returns `None`.
fn output_within(command: &mut Command, seconds: f64) -> Option<std::process::Output> {
    use std::os::unix::process::CommandExt as _;
    let child = command.process_group(0).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs_f64(seconds)) {
        Ok(output) => Some(output.unwrap()),
        Err(_) => {
            let _ = nix::sys::signal::killpg(Pid::from_raw(i32::try_from(pid).unwrap()), Signal::SIGKILL);
            None
        }
    }
}

/// A test that leaves its process group (for the harness's own, as `setpgid`
/// allows) is still ended: after its timeout and grace period, and at once on
/// a second interrupt; under `run` and under `test_main`.
#[test]
fn a_test_that_leaves_its_process_group_is_still_ended() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "fault_hang", "--arg", "cooperative=false", "--arg", "leave_group=true", "--results"];
    let out =
        output_within(harness_in(dir.path()).args(args).args(["r", "--timeout", "2", "--grace", "1", "-q"]), 30.0)
            .expect("no verdict 30 s after a 2 s timeout and a 1 s grace period");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Error, "Test timeout expired"));
    assert_eq!(results.tests[0].details, ["killed after the 1 s grace period"]);

    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_in(dir.path());
    harness.args(args).args(["r", "--grace", "600", "-q"]);
    let debug = dir.path().join("r/fault_hang/debug/fault_hang.DEBUG");
    let interrupter = std::thread::spawn(move || {
        assert!(wait_for(30.0, || std::fs::read_to_string(&debug).is_ok_and(|l| l.contains("hanging for"))));
        let harness = children_of(std::process::id())
            .into_iter()
            .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|e| e.ends_with("harness")))
            .expect("the harness process");
        signal(harness, Signal::SIGINT);
        std::thread::sleep(Duration::from_millis(300));
        signal(harness, Signal::SIGINT);
    });
    let out = output_within(&mut harness, 30.0).expect("a second interrupt did not end a test that left its group");
    interrupter.join().unwrap();
    assert!(text(&out.stderr).contains("interrupted again: killing the test's processes now"), "{}", text(&out.stderr));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Abort, "Interrupted by SIGINT"));

    let dir = tempfile::tempdir().unwrap();
    let out = output_within(test_command("autotests", dir.path()).args(["nx_leaves_group", "--exact"]), 60.0)
        .expect("test_main gave no verdict 60 s after a 1 s timeout");
    assert_eq!(out.status.code(), Some(101), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("ERROR Test timeout expired"), "{}", text(&out.stdout));
}

/// What a test leaves running is killed and reported: in its process group, or
/// escaped from it (`setsid`) but holding its stdout.
#[test]
fn processes_left_behind_are_killed_and_reported() {
    for (setsid, comm) in [(false, "sleep"), (true, "sleep")] {
        let dir = tempfile::tempdir().unwrap();
        let out = harness_in(dir.path())
            .args(["run", "fault_leak", "--arg", &format!("setsid={setsid}"), "--results", "r", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success(), "setsid={setsid}: {}", text(&out.stderr));
        let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
        let test = &results.tests[0];
        assert_eq!(test.status, Status::Warn, "setsid={setsid}: {}", test.reason);
        let prefix = "the test left processes running, killed: ";
        assert!(test.reason.starts_with(prefix), "{}", test.reason);
        let leaked = &test.reason[prefix.len()..];
        assert!(leaked.ends_with(&format!("({comm})")), "{leaked}");
        let pid: u32 = leaked.split_whitespace().next().unwrap().parse().unwrap();
        assert!(wait_for(5.0, || !alive(pid)), "the leaked process {pid} still runs");
        assert!(
            text(&out.stderr).contains("fault_leak: killed processes the test left behind: "),
            "{}",
            text(&out.stderr)
        );
    }
}

/// A SIGTERM sent to a test's process from outside is an interrupt of that
/// test, said as such, not a timeout; the job goes on.
#[test]
fn a_sigterm_from_outside_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"tests": [{"test": "fault_hang", "args": {"seconds": 600, "timeout": 300}}, {"test": "status_good"}]}"#,
    )
    .unwrap();
    let (harness, test) = start(
        dir.path(),
        &["run", "--control", "c.json", "--results", "r", "-q"],
        "r/fault_hang/debug/fault_hang.DEBUG",
        "hanging for",
    );
    signal(test, Signal::SIGTERM);
    let out = harness.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results = JobResults::read(dir.path().join("r/results.json")).unwrap();
    assert_eq!((results.tests[0].status, results.tests[0].reason.as_str()), (Status::Abort, "Interrupted by SIGTERM"));
    assert_eq!(results.tests[1].status, Status::Good, "the job went on");
    assert_eq!(results.job.status, Status::Abort, "the worst of its tests");
}

/// A test binary of this package, built beside this one.
fn test_binary(target: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(&format!("{target}-")) && p.extension().is_none()
        })
        .max_by_key(|p| p.metadata().unwrap().modified().unwrap())
        .unwrap_or_else(|| panic!("the {target} test target is built with this one"))
}

fn test_command(target: &str, results: &Path) -> Command {
    let mut command = Command::new(test_binary(target));
    command
        .env("HARNESS_RESULTS_DIR", results)
        .env("HARNESS_TESTS_HANG", "1")
        .env("HARNESS_GRACE", "1")
        .env_remove("HARNESS_CHILD_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A test that never checks for cancellation is ended after its timeout and the
/// grace period, under `test_main` and under `cargo_test` alike.
#[test]
fn cargo_test_and_test_main_enforce_time_limits() {
    for (target, test) in [("autotests", "nx_hangs"), ("cargo_test_front", "autotest_ct_hangs")] {
        let dir = tempfile::tempdir().unwrap();
        let begin = Instant::now();
        let out = test_command(target, dir.path()).args([test, "--exact"]).output().unwrap();
        assert!(begin.elapsed() < Duration::from_secs(60), "{target}: the timeout was not enforced");
        assert_eq!(out.status.code(), Some(101), "{target}: {}", text(&out.stdout));
        assert!(text(&out.stdout).contains("ERROR Test timeout expired"), "{target}: {}", text(&out.stdout));
    }
}

/// SIGTERM to a test binary ends it after the grace period at the latest, and
/// nothing it started keeps its output pipe open; so does its parent's death
/// (`timeout 40 cargo test | tail` returns).
#[test]
fn a_test_binary_ends_on_sigterm_and_with_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = test_command("autotests", dir.path()).args(["nx_hangs_forever", "--exact"]).spawn().unwrap();
    let marker = dir.path().join("autotests/nx_hangs_forever");
    assert!(wait_for(30.0, || std::fs::read_dir(&marker).is_ok_and(|mut d| d.next().is_some())));
    assert!(wait_for(30.0, || !children_of(binary.id()).is_empty()));
    std::thread::sleep(Duration::from_millis(300));
    let begin = Instant::now();
    signal(binary.id(), Signal::SIGTERM);
    let mut stdout = binary.stdout.take().unwrap();
    let mut all = String::new();
    stdout.read_to_string(&mut all).unwrap();
    binary.wait().unwrap();
    assert!(begin.elapsed() < Duration::from_secs(20), "the pipe stayed open {:?}", begin.elapsed());

    // Its parent killed (as `timeout` kills cargo): the binary ends all the same.
    let dir = tempfile::tempdir().unwrap();
    let binary = test_binary("autotests");
    let mut shell = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' nx_hangs_forever --exact; echo done", binary.display()))
        .env("HARNESS_RESULTS_DIR", dir.path())
        .env("HARNESS_TESTS_HANG", "1")
        .env("HARNESS_GRACE", "1")
        .env_remove("HARNESS_CHILD_DIR")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(30.0, || children_of(shell.id()).iter().any(|b| !children_of(*b).is_empty())));
    std::thread::sleep(Duration::from_millis(300));
    let begin = Instant::now();
    shell.kill().unwrap();
    let mut rest = String::new();
    shell.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
    shell.wait().unwrap();
    assert!(begin.elapsed() < Duration::from_secs(20), "an orphan kept the pipe open {:?}", begin.elapsed());
}
