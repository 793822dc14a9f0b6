//! Job-level behaviour: tagged names and output directories, subtests, the
//! per-test tmpdir, the debug log, command profilers and dropping caches.

use std::sync::{Arc, Mutex};

use harness_core::Job;
use harness_core::prelude::*;
use harness_core::profiler::{CommandProfiler, ProfilerSet, StopSignal};
use harness_core::results::{StatusCode, StatusLog};
use harness_tests::{Events, Fixture, Recorder, job_builder, status_lines};

/// Runs a subtest from its run_once.
#[autotest(version = 1)]
#[derive(Default)]
struct Parent;

#[autotest]
impl Parent {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let status = ctx.runsubtest("child", Args::new().with("tag", "sub").with("label", "x"))?;
        ctx.write_test_keyval([("child_status", status)])?;
        Ok(())
    }
}

/// Writes a status line through what it sees of its job, and checks its dirs.
#[autotest(version = 1)]
#[derive(Default)]
struct Recording;

#[autotest]
impl Recording {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        // A clone of the view: a cheap handle, held while the context is written to.
        let job = ctx.job().clone();
        job.record(StatusCode::Info, None, Some("recording"), "hello from the test")?;
        ctx.write_test_keyval([("testdir", job.testdir().display()), ("resultdir", job.resultdir().display())])?;
        Ok(())
    }
}

/// Is run as a subtest.
#[autotest(version = 1)]
#[derive(Default)]
struct Child;

#[autotest]
impl Child {
    fn run_once(&mut self, ctx: &mut TestContext, label: String) -> TestResult {
        log::info!("child says {label}");
        ctx.write_perf_keyval([("profile_only_is_off", 1)])?;
        Ok(())
    }
}

/// Logs and panics.
#[autotest(version = 1)]
#[derive(Default)]
struct Loud;

#[autotest]
impl Loud {
    fn run_once(&mut self, ctx: &mut TestContext) {
        assert!(ctx.tmpdir().is_dir());
        std::fs::write(ctx.tmpdir().join("scratch"), "x").unwrap();
        log::warn!("about to fail");
        let numbers: Vec<u32> = Vec::new();
        let _ = numbers[3];
    }
}

#[test]
fn subtests_nest_under_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).default_profile_only(true).build().unwrap();
    // The job profiles every iteration by default; runsubtest turns that off for the child.
    assert_eq!(job.run_test("parent", Args::new().with("profile_only", false)).unwrap(), Status::Good);
    let summary = job.complete().unwrap();
    let subdirs: Vec<&str> = summary.records().iter().map(|r| r.subdir.as_str()).collect();
    assert_eq!(subdirs, ["parent"]);
    let child = &summary.records()[0].subtests;
    assert_eq!(child.iter().map(|r| r.subdir.as_str()).collect::<Vec<_>>(), ["parent/child.sub"]);
    assert_eq!(child[0].perf_keyvals["profile_only_is_off"], 1.0);
    assert_eq!(
        status_lines(dir.path().join("r/status.log")),
        [
            "START\t----\t----\t",
            "\tSTART\tparent\tparent\t",
            "\t\tSTART\tparent/child.sub\tchild.sub\t",
            "\t\t\tGOOD\tparent/child.sub\tchild.sub\tcompleted successfully",
            "\t\tEND GOOD\tparent/child.sub\tchild.sub\t",
            "\t\tGOOD\tparent\tparent\tcompleted successfully",
            "\tEND GOOD\tparent\tparent\t",
            "END GOOD\t----\t----\t",
        ]
    );
    assert_eq!(status_lines(dir.path().join("r/parent/child.sub/status.log")).len(), 3);
    let keyval = std::fs::read_to_string(dir.path().join("r/parent/keyval")).unwrap();
    assert!(keyval.ends_with("child_status=GOOD\n"), "{keyval}");
    let debug = std::fs::read_to_string(dir.path().join("r/parent/child.sub/debug/child.sub.DEBUG")).unwrap();
    assert!(debug.contains("INFO | job| child says x"), "{debug}");
}

#[test]
fn a_test_writes_status_lines_through_its_job_view() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).state_dir(dir.path().join("state")).build().unwrap();
    assert_eq!(job.run_test("recording", Args::new()).unwrap(), Status::Good);
    let _ = job.complete().unwrap();
    assert_eq!(
        status_lines(dir.path().join("r/status.log"))[1..4],
        [
            "\tSTART\trecording\trecording\t",
            "\t\tINFO\t----\trecording\thello from the test",
            "\t\tGOOD\trecording\trecording\tcompleted successfully",
        ]
    );
    let keyval = std::fs::read_to_string(dir.path().join("r/recording/keyval")).unwrap();
    assert!(keyval.contains(&format!("testdir={}\n", job.testdir().display())), "{keyval}");
    assert!(keyval.contains(&format!("resultdir={}\n", job.resultdir().display())), "{keyval}");
}

#[test]
fn tagged_names_follow_build_tagged_test_name() {
    let fx = Fixture::with(|builder, _| builder.use_sequence_number(true).automatic_test_tag("auto"));
    let cases = [
        (Args::new(), "t._01_.auto", "t._01_.auto", Some("_01_.auto")),
        (Args::new().with("tag", "tag"), "t.tag._02_.auto", "t.tag._02_.auto", Some("tag._02_.auto")),
        (
            Args::new().with("tag", "tag").with("subdir_tag", "subdir"),
            "t.tag._03_.auto.subdir",
            "t.tag._03_.auto",
            Some("tag._03_.auto.subdir"),
        ),
    ];
    for (args, subdir, operation, tag) in cases {
        let record = fx.run(fx.recorder("t"), args);
        assert_eq!((record.subdir.as_str(), record.tag.as_deref()), (subdir, tag));
        let start = status_lines(fx.results(subdir).join("status.log")).remove(0);
        assert_eq!(start, format!("\tSTART\t{subdir}\t{operation}\t"));
    }
    let plain = Fixture::new();
    let record = plain.run(plain.recorder("t"), Args::new().with("subdir_tag", "subdirtag"));
    assert_eq!((record.subdir.as_str(), record.tag.as_deref()), ("t.subdirtag", Some("subdirtag")));
}

#[test]
fn tmpdir_is_removed_and_panics_reach_the_debug_log() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).tmpdir(dir.path().join("tmp")).build().unwrap();
    let record = job.run_test_detail("loud", Args::new()).unwrap();
    assert_eq!(record.status, Status::Fail);
    assert_eq!(record.reason, "Unhandled panic: index out of bounds: the len is 0 but the index is 3");
    assert!(record.details[0].starts_with("panicked at tests/tests/job.rs:"), "{:?}", record.details);
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path().join("tmp")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(leftovers.is_empty(), "the per-test tmpdir is gone: {leftovers:?}");
    let debug = std::fs::read_to_string(dir.path().join("r/loud/debug/loud.DEBUG")).unwrap();
    assert!(debug.contains("WARN | job| about to fail"), "{debug}");
    assert!(debug.contains("ERROR| harness::panic| panicked at tests/tests/job.rs:"), "{debug}");
    assert!(debug.contains("FAIL in run_once: Unhandled panic: index out of bounds"), "{debug}");
}

#[test]
fn a_command_profiler_stops_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let script = format!("sleep 300 & echo $! > {0}; echo $$ >> {0}; echo started; wait", pids.display());
    let profiler = CommandProfiler::new("sleepers", "sh").args(["-c", &script]).stop_signal(StopSignal::Term);
    let events = Events::new();
    let job = job_builder(dir.path(), &events).profiler(profiler).build().unwrap();
    let wait_for_pids = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&wait_for_pids);
    let pids_file = pids.clone();
    let test = Recorder::new("t", &events).on(harness_core::definition::Phase::RunOnce, move |ctx, _| {
        if ctx.iteration() == 2 {
            // The profiled run: wait until both processes are up.
            for _ in 0..500 {
                if let Ok(text) = std::fs::read_to_string(&pids_file)
                    && text.lines().count() == 2
                {
                    *seen.lock().unwrap() = text.lines().map(|l| l.parse::<i32>().unwrap()).collect();
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        Ok(())
    });
    let record = job.run_test_with(test, Args::new()).unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    let pids = wait_for_pids.lock().unwrap().clone();
    assert_eq!(pids.len(), 2, "both the shell and its child started");
    for pid in pids {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "));
        assert!(!alive, "process {pid} outlived the profiled run");
    }
    let output = std::fs::read_to_string(dir.path().join("results/t/profiling/iteration.2/sleepers")).unwrap();
    assert_eq!(output, "started\n");
}

#[test]
fn profiler_sets_follow_profiler_manager() {
    let mut set = ProfilerSet::new();
    assert!(!set.present() && !set.active());
    set.add(CommandProfiler::new("a", "sh")).unwrap();
    set.add(CommandProfiler::new("a", "sh")).unwrap();
    set.add(CommandProfiler::new("b", "sh")).unwrap();
    assert_eq!(set.current_profilers().into_iter().collect::<Vec<_>>(), ["a", "b"]);
    assert!(set.present() && !set.active());
    assert_eq!(set.delete("a"), 2);
    assert_eq!(set.current_profilers().into_iter().collect::<Vec<_>>(), ["b"]);
}

#[test]
fn a_missing_profiler_program_stops_the_job_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let err = Job::builder(dir.path().join("r"))
        .profiler(CommandProfiler::new("ghost", "no-such-profiler-binary"))
        .build()
        .unwrap_err();
    assert!(err.to_string().starts_with("profiler `ghost`: program `no-such-profiler-binary` was not found"), "{err}");
    assert!(!dir.path().join("r/status.log").exists());
}

#[test]
fn dropping_caches_without_permission_warns_once_and_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let events = Events::new();
    let job = Job::builder(dir.path().join("r"))
        .drop_caches_between_iterations(true)
        .cache_dropper(|| Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied)))
        .build()
        .unwrap();
    let record = job.run_test_with(Recorder::new("t", &events), Args::new().with("iterations", 3)).unwrap();
    assert_eq!(record.status, Status::Good);
    let debug = std::fs::read_to_string(dir.path().join("r/t/debug/t.DEBUG")).unwrap();
    assert_eq!(debug.matches("cannot drop caches").count(), 1, "{debug}");
}

#[test]
fn job_complete_writes_results_json_and_junit() {
    let fx = Fixture::with(|builder, _| builder.tag("nightly"));
    fx.run(fx.recorder("good"), Args::new());
    fx.run(
        fx.recorder("bad").on(harness_core::definition::Phase::RunOnce, |ctx, _| {
            ctx.output_perf_value(PerfValue::new("latency", vec![1.5, 2.5]).units("ms"))?;
            Err(Failure::fail("too slow"))
        }),
        Args::new(),
    );
    fx.run(
        fx.recorder("na").on(harness_core::definition::Phase::Setup, |_, _| Err(Failure::not_applicable("no gpu"))),
        Args::new(),
    );
    let summary = fx.job.complete().unwrap();
    assert!(summary.has_failures());
    let results = harness_core::results::JobResults::read(fx.results("results.json")).unwrap();
    assert_eq!(results.schema_version, 1);
    assert_eq!(results.job.tag.as_deref(), Some("nightly"));
    let statuses: Vec<(&str, Status, &str)> =
        results.tests.iter().map(|t| (t.test.as_str(), t.status, t.reason.as_str())).collect();
    assert_eq!(
        statuses,
        [
            ("good", Status::Good, "completed successfully"),
            ("bad", Status::Fail, "too slow"),
            ("na", Status::TestNa, "no gpu")
        ]
    );
    assert_eq!(results.tests[1].perf_values[0].values, [1.5, 2.5]);
    let junit = std::fs::read_to_string(fx.results("junit.xml")).unwrap();
    assert!(junit.contains("<testsuites name=\"nightly\" tests=\"3\" failures=\"1\" errors=\"0\""), "{junit}");
    assert!(junit.contains("<failure message=\"too slow\" type=\"FAIL\"/>"), "{junit}");
    assert!(junit.contains("<skipped message=\"no gpu\" type=\"TEST_NA\"/>"), "{junit}");
    assert!(junit.contains("<property name=\"perf:latency\" value=\"[1.5, 2.5] ms (down)\"/>"), "{junit}");
    assert!(junit.contains("<testsuite name=\"na\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""), "{junit}");
    let log = StatusLog::read(fx.results("status.log")).unwrap();
    assert_eq!(log.groups[0].status, Status::Good);
}

/// Needs what no machine has: the Job API makes it TEST_NA before `initialize`.
#[autotest(name = "job_needs", version = 1, requires(cpus(1), file("/nonexistent/harness-test-device")))]
#[derive(Default)]
struct JobNeeds;

#[autotest]
impl JobNeeds {
    fn initialize(&mut self) -> TestResult {
        Err(Failure::error("initialize must not run"))
    }

    fn run_once(&mut self) {}
}

#[test]
fn an_unmet_requirement_stops_the_test_before_initialize() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r")).state_dir(dir.path().join(".state")).build().unwrap();
    let record = job.test("job_needs").run_detail().unwrap();
    assert_eq!(
        (record.status, record.reason.as_str()),
        (
            Status::TestNa,
            "requirement not met: file(\"/nonexistent/harness-test-device\"): /nonexistent/harness-test-device does not exist"
        )
    );
    assert!(!job.complete().unwrap().has_failures());
}
