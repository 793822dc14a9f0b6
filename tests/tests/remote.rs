//! `run --remote`: tests run on devices over SSH, against a real OpenSSH
//! server on 127.0.0.1 (Debian's openssh-server, which `.ci/run` installs);
//! where it cannot start, each test says so and skips.

use std::path::Path;
use std::process::Output;

use harness_core::Status;
use harness_core::results::{JobResults, StatusLog};
use harness_tests::{Sshd, harness_in};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn server() -> Option<Sshd> {
    match Sshd::start() {
        Ok(server) => Some(server),
        Err(why) => {
            println!("note: skipped: no SSH server here: {why}");
            None
        }
    }
}

fn remote_run(dir: &Path, sshd: &Sshd, devices: &[&str], args: &[&str]) -> Output {
    let mut command = harness_in(dir);
    command.arg("run").arg("--ssh-config").arg(sshd.ssh_config());
    for device in devices {
        command.args(["--remote", device]);
    }
    command.args(args).args(["--results", "r", "--color", "never"]).output().unwrap()
}

fn verdicts(dir: &Path) -> Vec<(String, Status, String)> {
    JobResults::read(dir.join("r/results.json"))
        .unwrap()
        .tests
        .iter()
        .map(|t| (t.subdir.clone(), t.status, t.reason.clone()))
        .collect()
}

#[test]
fn tests_run_on_a_device_and_come_home_as_a_local_job() {
    let Some(sshd) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out =
        remote_run(dir.path(), &sshd, &["dut"], &["status_good", "perf_sample", "status_fail", "--iterations", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let r = dir.path().join("r");
    assert_eq!(
        verdicts(dir.path()),
        [
            ("status_good".into(), Status::Good, "completed successfully".into()),
            ("perf_sample".into(), Status::Good, "completed successfully".into()),
            ("status_fail".into(), Status::Fail, "latency 250 ms is over the 100 ms budget".into()),
        ]
    );
    let results = JobResults::read(r.join("results.json")).unwrap();
    let perf = &results.tests[1];
    assert_eq!(perf.iterations, 3);
    assert_eq!(perf.perf_values[0].values, [10.0, 10.2, 9.8]);
    assert_eq!(perf.keyval_blocks.len(), 3);
    // The files are the local job's, as if it ran here; the device is named.
    let log = StatusLog::read(r.join("status.log")).unwrap();
    let tests: Vec<(String, Status)> = log.tests().map(|g| (g.subdir.clone().unwrap(), g.status)).collect();
    assert_eq!(
        tests,
        [
            ("status_good".into(), Status::Good),
            ("perf_sample".into(), Status::Good),
            ("status_fail".into(), Status::Fail)
        ]
    );
    assert_eq!(std::fs::read_to_string(r.join("perf_sample/debug/device")).unwrap(), "dut\n");
    assert!(r.join("perf_sample/results/keyval").is_file() && r.join("perf_sample/debug/perf_sample.DEBUG").is_file());
    assert!(harness_tests::junit_schema_errors(&std::fs::read_to_string(r.join("junit.xml")).unwrap()).is_empty());
    // The device's iterations came back as they ended, into the job's stream.
    let events = harness_tests::readers::events(&std::fs::read_to_string(r.join("events.jsonl")).unwrap()).unwrap();
    let iterations: Vec<(&str, u64, f64)> = events
        .iter()
        .filter(|e| e["event"] == "iteration_finished")
        .map(|e| {
            (
                e["subdir"].as_str().unwrap(),
                e["iteration"].as_u64().unwrap(),
                e["perf"]["latency"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    assert_eq!(
        iterations,
        [
            ("status_good", 1, 0.0),
            ("status_good", 2, 0.0),
            ("status_good", 3, 0.0),
            ("perf_sample", 1, 10.0),
            ("perf_sample", 2, 10.2),
            ("perf_sample", 3, 9.8)
        ]
    );
    // Nothing is left on the device.
    assert_eq!(std::fs::read_dir(sshd.home().join(".harness-remote")).map(|d| d.count()).unwrap_or(0), 0);
}

/// The device each test of the run in `dir` ran on.
fn devices(dir: &Path) -> Vec<String> {
    JobResults::read(dir.join("r/results.json"))
        .unwrap()
        .tests
        .iter()
        .map(|t| std::fs::read_to_string(t.outputdir.join("debug/device")).unwrap_or_default().trim().to_owned())
        .collect()
}

#[test]
fn tests_spread_over_devices_and_leave_one_that_cannot_be_reached() {
    let Some(sshd) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tests = ["status_good", "perf_sample", "status_warn", "checksum_throughput"];
    let out = remote_run(dir.path(), &sshd, &["dut", "dut2"], &tests);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(devices(dir.path()), ["dut", "dut2", "dut", "dut2"]);
    // A device that cannot be reached gives its tests to the others.
    let dir = tempfile::tempdir().unwrap();
    let out = remote_run(dir.path(), &sshd, &["gone", "dut"], &tests);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(devices(dir.path()), ["dut", "dut", "dut", "dut"]);
    // With none left, every test is ABORT "device unreachable", never FAIL.
    let dir = tempfile::tempdir().unwrap();
    let out = remote_run(dir.path(), &sshd, &["gone"], &["status_good", "perf_sample"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    for (subdir, status, reason) in verdicts(dir.path()) {
        assert_eq!(status, Status::Abort, "{subdir}");
        assert!(reason.starts_with("device unreachable: gone: ssh: connect to host 127.0.0.1 port "), "{reason}");
    }
}

/// Runs a 3-second sleeptest then status_good on `dut`, doing `during` once
/// the device runs the sleeptest.
fn run_through(sshd: &Sshd, during: impl FnOnce()) -> (tempfile::TempDir, Output) {
    run_through_with(sshd, &[], during)
}

fn run_through_with(sshd: &Sshd, extra: &[&str], during: impl FnOnce()) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.json"),
        r#"{"tests": [{"test": "sleeptest", "args": {"seconds": 3}}, {"test": "status_good"}]}"#,
    )
    .unwrap();
    let mut command = harness_in(dir.path());
    command
        .arg("run")
        .arg("--ssh-config")
        .arg(sshd.ssh_config())
        .args(["--remote", "dut", "--control", "c.json", "--results", "r", "--color", "never"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    // The device's harness runs the sleeptest: its output directory exists there.
    let started = harness_tests::wait_for(30.0, || {
        std::fs::read_dir(sshd.home().join(".harness-remote"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|run| run.path().join("r1/sleeptest").is_dir())
    });
    assert!(started, "the device never started the sleeptest");
    during();
    let out = child.wait_with_output().unwrap();
    (dir, out)
}

#[test]
fn a_lost_connection_is_abort_and_the_next_test_runs() {
    let Some(sshd) = server() else { return };
    let (dir, out) = run_through(&sshd, || sshd.cut_connections());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdicts = verdicts(dir.path());
    assert_eq!((verdicts[0].0.as_str(), verdicts[0].1), ("sleeptest", Status::Abort));
    assert!(verdicts[0].2.starts_with("connection to dut lost: "), "{}", verdicts[0].2);
    assert_eq!(verdicts[1], ("status_good".into(), Status::Good, "completed successfully".into()));
}

#[test]
fn a_reboot_during_a_test_is_abort_and_the_device_is_used_again() {
    let Some(sshd) = server() else { return };
    let (dir, out) = run_through(&sshd, || sshd.reboot("boot-2"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(
        verdicts(dir.path()),
        [
            ("sleeptest".into(), Status::Abort, "device rebooted during the test: dut (boot id boot-2)".into()),
            ("status_good".into(), Status::Good, "completed successfully".into())
        ]
    );
}

#[test]
fn a_device_that_stops_answering_is_abort_for_the_rest() {
    let Some(sshd) = server() else { return };
    let (dir, out) = run_through(&sshd, || sshd.stop());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdicts = verdicts(dir.path());
    assert_eq!(
        verdicts.iter().map(|v| (v.0.as_str(), v.1)).collect::<Vec<_>>(),
        [("sleeptest", Status::Abort), ("status_good", Status::Abort)]
    );
    assert!(
        verdicts[0].2.starts_with("device unreachable: dut: ") && verdicts[0].2.ends_with(" (lost during the test)"),
        "{}",
        verdicts[0].2
    );
    assert!(verdicts[1].2.starts_with("device unreachable: dut: "), "{}", verdicts[1].2);
}

#[test]
fn remote_runner_runs_test_binaries_on_the_device_for_cargo_and_nextest() {
    let Some(sshd) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let autotests = harness_tests::test_target("autotests");
    let runner = |device: &str, args: &[&str]| {
        harness_in(dir.path())
            .arg("remote-runner")
            .arg("--ssh-config")
            .arg(sshd.ssh_config())
            .arg(device)
            .arg(&autotests)
            .args(args)
            .output()
            .unwrap()
    };
    let here = std::process::Command::new(&autotests)
        .args(["--list", "--format", "terse"])
        .env_remove("NEXTEST")
        .env_remove("HARNESS_SHARD")
        .output()
        .unwrap();
    let there = runner("dut", &["--list", "--format", "terse"]);
    assert_eq!(there.status.code(), Some(0), "{}", text(&there.stderr));
    assert_eq!(text(&there.stdout), text(&here.stdout));
    let ran = runner("dut", &["nx_good", "--exact"]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    assert!(text(&ran.stdout).contains("test nx_good ... ok"), "{}", text(&ran.stdout));
    let gone = runner("gone", &["--list"]);
    assert_eq!(gone.status.code(), Some(101));
    assert!(
        text(&gone.stderr)
            .starts_with("error: remote-runner: device unreachable: gone: ssh: connect to host 127.0.0.1"),
        "{}",
        text(&gone.stderr)
    );
    // As cargo's target runner: nextest lists and runs on the device.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let triple = format!("CARGO_TARGET_{}_UNKNOWN_LINUX_GNU_RUNNER", std::env::consts::ARCH.to_uppercase());
    let out = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "nextest",
            "run",
            "-p",
            "harness-tests",
            "--test",
            "autotests",
            "-E",
            "test(=nx_good)",
            "--color",
            "never",
        ])
        .env(
            triple,
            format!(
                "{} remote-runner --ssh-config {} dut",
                harness_tests::example_harness().display(),
                sshd.ssh_config().display()
            ),
        )
        .env("HARNESS_RESULTS_DIR", dir.path().join("results"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 test run: 1 passed"), "{}", text(&out.stderr));
    // The device ran it: no results here.
    assert!(!dir.path().join("results").exists());
}

#[test]
fn device_wait_holds_the_next_test_until_the_device_is_back() {
    let Some(sshd) = server() else { return };
    let (dir, out) = run_through_with(&sshd, &["--device-wait", "30"], || {
        sshd.stop();
        // Back after a few seconds, as a rebooting device would be.
        std::thread::sleep(std::time::Duration::from_secs(3));
        sshd.restart().unwrap();
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdicts = verdicts(dir.path());
    assert_eq!((verdicts[0].0.as_str(), verdicts[0].1), ("sleeptest", Status::Abort));
    assert_eq!(verdicts[1], ("status_good".into(), Status::Good, "completed successfully".into()));
    // A wait that is not a number of seconds is refused before anything runs.
    let bad = harness_in(dir.path())
        .args(["run", "status_good", "--remote", "dut", "--device-wait", "-1", "--results", "bad"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn a_bundle_the_device_refuses_is_the_tests_error_with_the_reason() {
    let Some(sshd) = server() else { return };
    // While the sleeptest runs, the device's copy of the bundle is damaged:
    // the next test's `run --bundle` refuses it there.
    let (dir, out) = run_through(&sshd, || {
        for run in std::fs::read_dir(sshd.home().join(".harness-remote")).unwrap().flatten() {
            let tar = run.path().join("suite.tar");
            let mut bytes = std::fs::read(&tar).unwrap();
            bytes[4096 + 100_000] ^= 0xff;
            std::fs::write(&tar, bytes).unwrap();
        }
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let verdicts = verdicts(dir.path());
    assert_eq!(verdicts[0], ("sleeptest".into(), Status::Good, "completed successfully".into()));
    assert_eq!(verdicts[1].1, Status::Error);
    assert!(
        verdicts[1].2.starts_with(
            "the device could not run the test (exit 2): error: run --bundle suite.tar: `bin/harness` is damaged: "
        ),
        "{}",
        verdicts[1].2
    );
}
