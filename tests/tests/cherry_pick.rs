//! Each phase gets exactly the arguments it declares, as the original's
//! `Test_runtest.test_runtest` checks: `initialize(host, arg1)`, `warmup(host)`,
//! `run_once(arg2)`, and `cleanup(**kwargs)` receiving all three.

use std::sync::Mutex;

use harness_core::prelude::*;
use harness_core::{Job, results::read_keyval};

static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn called(call: String) {
    CALLS.lock().unwrap().push(call);
}

/// The original's `mocktest`.
#[autotest(version = 1)]
#[derive(Default)]
struct Mocktest;

#[autotest]
impl Mocktest {
    fn initialize(&mut self, host: String, arg1: Option<String>) {
        called(format!("initialize({host:?}, {arg1:?})"));
    }

    fn warmup(&mut self, host: String) {
        called(format!("warmup({host:?})"));
    }

    fn run_once(&mut self, arg2: String) {
        called(format!("run_once({arg2:?})"));
    }

    fn cleanup(&mut self, #[args] kwargs: &Args) {
        let names: Vec<&str> = kwargs.iter().map(|(name, _)| name).collect();
        called(format!("cleanup({names:?})"));
    }
}

/// A test whose arguments do not fit.
#[autotest(version = 1)]
#[derive(Default)]
struct Typed;

#[autotest]
impl Typed {
    fn run_once(&mut self, seconds: f64) {
        let _ = seconds;
        called("typed.run_once".to_owned());
    }
}

#[test]
fn each_phase_gets_exactly_its_arguments() {
    let _guard = SERIAL.lock().unwrap();
    CALLS.lock().unwrap().clear();
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).build().unwrap();
    let args =
        Args::new().with("host", "hostvalue").with("arg1", "value1").with("arg2", "value2").with("iterations", 2);
    assert_eq!(job.run_test("mocktest", args).unwrap(), Status::Good);
    assert_eq!(
        *CALLS.lock().unwrap(),
        [
            "initialize(\"hostvalue\", Some(\"value1\"))",
            "warmup(\"hostvalue\")",
            "run_once(\"value2\")",
            "run_once(\"value2\")",
            "cleanup([\"host\", \"arg1\", \"arg2\", \"iterations\"])"
        ]
        .map(str::to_owned),
        "run_once runs once per iteration; there are no profilers, so no profiled run"
    );
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Takes every argument in the phases autotest gives `**dargs`.
#[autotest(version = 1)]
#[derive(Default)]
struct Dargs;

#[autotest]
impl Dargs {
    fn warmup(&mut self, #[args] dargs: &Args) {
        let names: Vec<&str> = dargs.iter().map(|(name, _)| name).collect();
        called(format!("warmup({names:?})"));
    }

    fn run_once(&mut self, #[args] dargs: &Args) {
        let names: Vec<&str> = dargs.iter().map(|(name, _)| name).collect();
        called(format!("run_once({names:?})"));
    }

    fn cleanup(&mut self, #[args] dargs: &Args) {
        let names: Vec<&str> = dargs.iter().map(|(name, _)| name).collect();
        called(format!("cleanup({names:?})"));
    }
}

/// `#[args]` receives what autotest's phase would: never the job's arguments
/// (`job.run_test` and `_exec` remove `tag`, `subdir_tag`, `timeout`,
/// `run_cleanup`, `test_attributes`), and in `run_once` not those the base
/// `execute` consumes (`iterations`, `constraints`, ...).
#[test]
fn args_phases_see_what_autotest_passes() {
    let _guard = SERIAL.lock().unwrap();
    CALLS.lock().unwrap().clear();
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).build().unwrap();
    let args = Args::new()
        .with("host", "h")
        .with("iterations", 1)
        .with("tag", "x")
        .with("subdir_tag", "y")
        .with("timeout", 60)
        .with("run_cleanup", true)
        .with("test_attributes", serde_json::json!({"owner": "me"}))
        .with("constraints", serde_json::json!([]))
        .with("profile_only", false);
    assert_eq!(job.run_test("dargs", args).unwrap(), Status::Good);
    assert_eq!(
        *CALLS.lock().unwrap(),
        [
            "warmup([\"host\", \"iterations\", \"constraints\", \"profile_only\"])",
            "run_once([\"host\"])",
            "cleanup([\"host\", \"iterations\", \"constraints\", \"profile_only\"])",
        ]
        .map(str::to_owned)
    );
}

#[test]
fn wrong_arguments_are_refused_before_initialize() {
    let _guard = SERIAL.lock().unwrap();
    CALLS.lock().unwrap().clear();
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).build().unwrap();
    let cases = [
        (
            Args::new().with("seconds", "abc").with("tag", "type"),
            "`seconds` of typed.run_once expects f64, got \"abc\"",
        ),
        (Args::new().with("tag", "missing"), "missing required argument `seconds` for typed.run_once (f64)"),
        (
            Args::new().with("seconds", 1).with("secnds", 2).with("tag", "unknown"),
            "Unknown parameter: secnds (did you mean `seconds`? typed accepts: seconds)",
        ),
    ];
    for (args, reason) in cases {
        let tag = args.get("tag").unwrap().as_str().unwrap().to_owned();
        let record = job.run_test_detail("typed", args).unwrap();
        assert_eq!((record.status, record.reason.as_str()), (Status::Error, reason));
        let outputdir = dir.path().join(format!("r/typed.{tag}"));
        let keyval = read_keyval(&outputdir, None).unwrap();
        assert_eq!(keyval["version"].to_string(), "1");
        let status = std::fs::read_to_string(outputdir.join("status.log")).unwrap();
        assert!(status.contains(&format!("\tERROR\ttyped.{tag}\ttyped.{tag}\t")), "{status}");
        assert!(status.contains(reason), "{status}");
    }
    assert!(CALLS.lock().unwrap().is_empty(), "no phase ran");
}
