//! Runs at once, and state others could tamper with: no two jobs share a
//! results directory, nothing is followed through a planted link, a shared
//! state directory is refused, and a job dropped mid-test never reads GOOD.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Output, Stdio};

use harness_core::results::StatusLog;
use harness_core::{Args, Job, Status};
use harness_tests::{Events, Recorder, harness_in};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn job_starts(results: &Path) -> usize {
    std::fs::read_to_string(results.join("status.log")).unwrap().lines().filter(|l| l.starts_with("START\t")).count()
}

/// Eight runs started at once with the default results directory get eight
/// directories, each with one job START.
#[test]
fn runs_started_at_once_get_a_directory_each() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.json"), r#"{"job": {"tag": "race"}, "tests": [{"test": "status_good"}]}"#)
        .unwrap();
    let runs: Vec<_> = (0..8)
        .map(|_| {
            harness_in(dir.path())
                .args(["run", "--control", "c.json", "-q"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut dirs: Vec<String> = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "latest")
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["race", "race.1", "race.2", "race.3", "race.4", "race.5", "race.6", "race.7"]);
    for name in dirs {
        assert_eq!(job_starts(&dir.path().join("results").join(&name)), 1, "{name}");
    }
}

/// Two runs with the same `--results`: one is refused with exit status 2, and
/// nothing of it is written in the other's directory.
#[test]
fn two_runs_never_share_one_results_directory() {
    let dir = tempfile::tempdir().unwrap();
    let start = |seconds: &str| {
        harness_in(dir.path())
            .args(["run", "sleeptest", "--arg", &format!("seconds={seconds}"), "--results", "shared", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start("0.3"), start("0.3"));
    let (a, b): (Output, Output) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(2)], "{}{}", text(&a.stderr), text(&b.stderr));
    let refused = if a.status.code() == Some(2) { &a } else { &b };
    assert!(text(&refused.stderr).contains("results directory `shared` already exists"), "{}", text(&refused.stderr));
    let shared = dir.path().join("shared");
    assert_eq!(job_starts(&shared), 1);
    let keyval = std::fs::read_to_string(shared.join("keyval")).unwrap();
    assert_eq!(keyval.matches("job_started=").count(), 1, "{keyval}");
    assert_eq!(StatusLog::read(shared.join("status.log")).unwrap().tests().count(), 1);
}

/// Links planted in the state directory are never followed: the victim stays
/// as it was, and the test that would have used them is an ERROR saying why.
#[test]
fn planted_links_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious"), "keep me").unwrap();
    let state = dir.path().join(".state");
    // The build dir of a test, and the setup lock, as links to the victim.
    std::fs::create_dir_all(state.join("tests")).unwrap();
    std::fs::create_dir_all(state.join("tmp")).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("tests/build_once")).unwrap();
    let out = harness_in(dir.path()).args(["run", "build_once", "--results", "a", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("it is a symbolic link"), "{}", text(&out.stdout));
    std::fs::remove_file(state.join("tests/build_once")).unwrap();
    std::os::unix::fs::symlink(victim.join("lockfile"), state.join("tmp/.testlock")).unwrap();
    let out = harness_in(dir.path()).args(["run", "build_once", "--results", "b", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("cannot open the setup lock"), "{}", text(&out.stdout));
    std::fs::remove_file(state.join("tmp/.testlock")).unwrap();
    // A srcdir planted as a link is removed as a link, and setup builds a real one.
    std::fs::create_dir_all(state.join("tests/build_once")).unwrap();
    std::os::unix::fs::symlink(&victim, state.join("tests/build_once/src")).unwrap();
    let out = harness_in(dir.path()).args(["run", "build_once", "--results", "c", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(!std::fs::symlink_metadata(state.join("tests/build_once/src")).unwrap().file_type().is_symlink());
    let mut victim_files: Vec<String> =
        std::fs::read_dir(&victim).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    victim_files.sort();
    assert_eq!(victim_files, ["precious"], "the victim is unchanged");
    assert_eq!(std::fs::read_to_string(victim.join("precious")).unwrap(), "keep me");
}

/// A state directory others can write in (or one that is a link) is refused,
/// as ssh refuses such a `~/.ssh`; the default state is never beside a results
/// directory in a shared place.
#[test]
fn shared_state_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out = harness_in(dir.path())
        .args(["run", "status_good", "--results", "r", "-q"])
        .env("HARNESS_STATE_DIR", &shared)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("others can write in it"), "{}", text(&out.stderr));
    assert!(!dir.path().join("r").exists(), "a refused run writes no results");
    // `--results <shared>/x` with the default state: the state goes to the
    // user's cache, not to `<shared>/.harness`.
    let home = dir.path().join("home");
    let out = harness_in(dir.path())
        .args(["run", "status_good", "--results"])
        .arg(shared.join("x"))
        .arg("-q")
        .env_remove("HARNESS_STATE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let beside: Vec<String> =
        std::fs::read_dir(&shared).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(beside, ["x"]);
    assert!(home.join(".cache/harness/harness/tmp").is_dir());
    let mode = std::fs::metadata(home.join(".cache/harness/harness/tmp")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

/// A job dropped while a test is open closes that test's group as ABORT, and
/// the job's too: never END GOOD.
#[test]
fn a_job_dropped_mid_test_never_reads_good() {
    struct Panics;
    impl harness_core::event::Observer for Panics {
        fn on_event(&self, event: &harness_core::event::Event<'_>) {
            if let harness_core::event::Event::TestStarted { .. } = event {
                panic!("an observer failed");
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let events = Events::new();
    let job = Job::builder(dir.path().join("r"))
        .state_dir(dir.path().join("state"))
        .observer(std::sync::Arc::new(Panics))
        .build()
        .unwrap();
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        job.run_test_with(Recorder::new("t", &events), Args::new())
    }));
    assert!(ran.is_err());
    drop(job);
    let log = StatusLog::read(dir.path().join("r/status.log")).unwrap();
    let test = log.tests().next().unwrap();
    assert_eq!(test.status, Status::Abort);
    assert!(!test.closed_by_reader, "the END line was written");
    assert_eq!(log.groups[0].status, Status::Abort);
    let text = std::fs::read_to_string(dir.path().join("r/status.log")).unwrap();
    assert!(!text.contains("END GOOD"), "{text}");
}

/// Every file named `name` under `dir`.
fn find_all(dir: &Path, name: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_all(&path, name, out);
        } else if entry.file_name() == name {
            out.push(path);
        }
    }
}

/// Four variants of one test, whose setup takes the variant's argument, run
/// at once under `cargo nextest run -j 8` (with no test group to keep them
/// apart, as in a workspace that never configured one): none removes the
/// build another is reading, every one passes, and setup runs once per
/// distinct arguments, in this run and the next.
#[test]
fn variants_with_their_own_setup_arguments_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nextest.toml");
    std::fs::write(&config, "").unwrap();
    let results = dir.path().join("results");
    let nextest = || {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        std::process::Command::new(cargo)
            .args(["nextest", "run", "--workspace", "--no-fail-fast", "--color", "never", "-j", "8"])
            .arg("--config-file")
            .arg(&config)
            .arg("-E")
            .arg("binary(autotests) & test(/^nx_built[.]/)")
            .env("HARNESS_RESULTS_DIR", &results)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo nextest is installed (see .ci/run)")
    };
    for round in 1..=2 {
        let out = nextest();
        assert!(out.status.success(), "round {round}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("4 tests run: 4 passed"), "round {round}: {}", text(&out.stderr));
        let mut logs = Vec::new();
        find_all(&results, "setups.log", &mut logs);
        assert_eq!(logs.len(), 1, "{logs:?}");
        let mut setups: Vec<String> = std::fs::read_to_string(&logs[0]).unwrap().lines().map(str::to_owned).collect();
        setups.sort();
        assert_eq!(setups, ["a", "b", "c", "d"], "round {round}: setup runs once per distinct arguments");
    }
}
