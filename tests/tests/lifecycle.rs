//! The engine's call order, pinned against the original's `base_test` for every
//! path: iterations, zero iterations, test_length, profile_only, the profiled
//! run, retries, failures and panics in every phase, and cleanup rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use harness_core::definition::Phase;
use harness_core::results::StatusLog;
use harness_core::results::TestRecord;
use harness_core::{Args, Failure, Job, JobBuilder, Status};
use harness_tests::{Events, Fixture, Recorder, RecorderInfo, RecordingProfiler, lines, status_lines};
use serde_json::json;

/// A job with a recording profiler and iteration hooks that record too.
fn profiled(builder: JobBuilder, events: &Events) -> JobBuilder {
    builder
        .profiler(RecordingProfiler { name: "rec".into(), events: events.clone() })
        .before_iteration_hook({
            let events = events.clone();
            move |ctx| {
                events.push(format!("hook before {}", ctx.iteration()));
                Ok(())
            }
        })
        .after_iteration_hook({
            let events = events.clone();
            move |ctx| {
                events.push(format!("hook after {}", ctx.iteration()));
                Ok(())
            }
        })
}

#[test]
fn two_iterations_with_profilers_follow_the_original() {
    let fx = Fixture::with(profiled);
    let record = fx.run(fx.recorder("t"), Args::new().with("iterations", 2));
    assert_eq!(record.status, Status::Good);
    assert_eq!(record.iterations, 2);
    assert_eq!(
        fx.events.take(),
        [
            "initialize",
            "setup",
            "warmup",
            "hook before 1",
            "before_run_once 1",
            "run_once 1",
            "after_run_once 1",
            "postprocess_iteration 1",
            "hook after 1",
            "hook before 2",
            "before_run_once 2",
            "run_once 2",
            "after_run_once 2",
            "postprocess_iteration 2",
            "hook after 2",
            "profilers.before_start 3",
            "before_run_once 3",
            "profilers.start 3",
            "run_once 3",
            "profilers.stop 3",
            "profilers.report 3",
            "after_run_once 3",
            "postprocess 3",
            "cleanup",
        ]
    );
    let outputdir = fx.results("t");
    assert_eq!(std::fs::read_to_string(outputdir.join("profiling/iteration.3/rec")).unwrap(), "profile");
    assert_eq!(lines(outputdir.join("keyval")), ["param-iterations=2", "version=1"]);
}

#[test]
fn zero_iterations_run_only_the_profiled_run_and_postprocess() {
    let fx = Fixture::new();
    let record = fx.run(fx.recorder("t"), Args::new().with("iterations", 0));
    assert_eq!(record.status, Status::Good);
    assert_eq!(record.iterations, 0);
    assert_eq!(fx.events.take(), ["initialize", "setup", "warmup", "postprocess 1", "cleanup"]);
}

#[test]
fn test_length_wins_over_iterations() {
    let ticks = Arc::new(AtomicUsize::new(0));
    #[allow(clippy::cast_precision_loss, reason = "small tick counts")]
    let fx = Fixture::with(|builder, _| builder.clock(move || ticks.fetch_add(1, Ordering::SeqCst) as f64));
    let record = fx.run(fx.recorder("t"), Args::new().with("iterations", 1).with("test_length", 3));
    assert_eq!(record.iterations, 3);
    let runs: Vec<String> =
        fx.events.take().into_iter().filter(|e| e.starts_with("run_once") || e.starts_with("postprocess ")).collect();
    // Deliberate difference: the counter counts up in test_length mode (the original leaves it at 0).
    assert_eq!(runs, ["run_once 1", "run_once 2", "run_once 3", "postprocess 4"]);
}

#[test]
fn profile_only_profiles_every_iteration_and_adds_no_extra_run() {
    let fx = Fixture::with(profiled);
    let record = fx.run(fx.recorder("t"), Args::new().with("iterations", 2).with("profile_only", true));
    assert_eq!(record.status, Status::Good);
    let expected: Vec<String> = (1..=2)
        .flat_map(|i| {
            [
                "hook before",
                "profilers.before_start",
                "before_run_once",
                "profilers.start",
                "run_once",
                "profilers.stop",
                "profilers.report",
                "after_run_once",
                "postprocess_iteration",
                "hook after",
            ]
            .map(|e| format!("{e} {i}"))
        })
        .collect();
    let events = fx.events.take();
    assert_eq!(events[..3], ["initialize", "setup", "warmup"]);
    assert_eq!(events[3..events.len() - 2], expected[..]);
    assert_eq!(events[events.len() - 2..], ["postprocess 2", "cleanup"]);
    for i in 1..=2 {
        assert!(fx.results(&format!("t/profiling/iteration.{i}/rec")).is_file());
    }
}

#[test]
fn profile_only_without_profilers_warns_and_runs_nothing() {
    let fx = Fixture::new();
    let record = fx.run(fx.recorder("t"), Args::new().with("iterations", 2).with("profile_only", true));
    // The WARN line inside the test's group makes the test WARN, as TKO rolls it up.
    assert_eq!(record.status, Status::Warn, "{}", record.reason);
    assert_eq!(
        fx.events.take(),
        [
            "initialize",
            "setup",
            "warmup",
            "postprocess_iteration 1",
            "postprocess_iteration 2",
            "postprocess 2",
            "cleanup"
        ]
    );
    let warn = "\t\tWARN\t----\t----\tNo profilers have been added but profile_only is set - nothing will be run";
    let log = status_lines(fx.results("status.log"));
    assert_eq!(log.iter().filter(|l| *l == warn).count(), 2, "{log:#?}");
}

#[test]
fn default_profile_only_comes_from_the_job() {
    let fx = Fixture::with(|builder, events| {
        builder.default_profile_only(true).profiler(RecordingProfiler { name: "rec".into(), events: events.clone() })
    });
    fx.run(fx.recorder("t"), Args::new().with("iterations", 3));
    let starts: Vec<String> = fx.events.take().into_iter().filter(|e| e.starts_with("profilers.start")).collect();
    assert_eq!(starts, ["profilers.start 1", "profilers.start 2", "profilers.start 3"]);
}

fn profiled_run_events(attribute: bool, argument: Option<bool>) -> Vec<String> {
    let fx = Fixture::with(|builder, events| {
        builder.profiler(RecordingProfiler { name: "rec".into(), events: events.clone() })
    });
    let mut args = Args::new().with("iterations", 1);
    if let Some(argument) = argument {
        args.set("postprocess_profiled_run", argument);
    }
    let info = RecorderInfo { postprocess_profiled_run: attribute, ..RecorderInfo::new("t") };
    fx.run(Recorder::with_info(info, &fx.events), args);
    let events = fx.events.take();
    let at = events.iter().position(|e| e == "profilers.start 2").unwrap();
    events[at + 1..events.len() - 2].to_vec()
}

#[test]
fn postprocess_profiled_run_argument_wins_over_the_attribute() {
    let with = ["run_once 2", "postprocess_iteration 2", "profilers.stop 2", "profilers.report 2", "after_run_once 2"];
    let without = ["run_once 2", "profilers.stop 2", "profilers.report 2", "after_run_once 2"];
    assert_eq!(profiled_run_events(false, Some(true)), with);
    assert_eq!(profiled_run_events(false, Some(false)), without);
    assert_eq!(profiled_run_events(false, None), without);
    assert_eq!(profiled_run_events(true, None), with);
    assert_eq!(profiled_run_events(true, Some(false)), without);
}

fn retry_run(test_retry: u32, fail_calls: u32, failure: fn() -> Failure) -> (TestRecord, Vec<String>, Fixture) {
    let fx = Fixture::with(|builder, _| builder.test_retry(test_retry));
    let test =
        fx.recorder("t").on(Phase::RunOnce, move |_, calls| if calls <= fail_calls { Err(failure()) } else { Ok(()) });
    let record = fx.run(test, Args::new());
    let events = fx.events.take();
    (record, events, fx)
}

#[test]
fn retries_exhausted() {
    let (record, events, fx) = retry_run(5, 99, || Failure::fail_retry("fail"));
    assert_eq!((record.status, record.reason.as_str()), (Status::Fail, "fail"));
    assert_eq!(events.iter().filter(|e| *e == "run_once 1").count(), 6);
    assert!(!events.contains(&"after_run_once 1".to_owned()));
    let infos: Vec<String> =
        status_lines(fx.results("status.log")).into_iter().filter(|l| l.contains("INFO")).collect();
    let expected: Vec<String> = (0..5).map(|r| format!("\t\tINFO\t----\t----\tRun {r} failed with fail")).collect();
    assert_eq!(infos, expected);
    assert_eq!(lines(fx.results("t/keyval")), ["version=1"]);
}

#[test]
fn only_fail_retry_is_retried() {
    let (record, events, fx) = retry_run(5, 1, || Failure::fail("fail"));
    assert_eq!((record.status, record.reason.as_str()), (Status::Fail, "fail"));
    assert_eq!(events.iter().filter(|e| *e == "run_once 1").count(), 1);
    assert!(!std::fs::read_to_string(fx.results("status.log")).unwrap().contains("INFO"));
}

#[test]
fn passing_after_two_retries() {
    let (record, events, fx) = retry_run(5, 2, || Failure::fail_retry("fail"));
    assert_eq!(record.status, Status::Good);
    assert_eq!(
        events,
        [
            "initialize",
            "setup",
            "warmup",
            "before_run_once 1",
            "run_once 1",
            "before_run_once 1",
            "run_once 1",
            "before_run_once 1",
            "run_once 1",
            "after_run_once 1",
            "postprocess_iteration 1",
            "postprocess 2",
            "cleanup"
        ]
    );
    assert_eq!(lines(fx.results("t/keyval")), ["version=1", "test_retries_before_success=2"]);
}

#[test]
fn a_failing_run_once_still_runs_after_hooks_and_cleanup_but_not_postprocess() {
    let fx = Fixture::with(profiled);
    let test = fx.recorder("t").on(Phase::RunOnce, |_, _| Err(std::io::Error::other("boom"))?);
    let record = fx.run(test, Args::new().with("iterations", 3));
    assert_eq!((record.status, record.reason.as_str()), (Status::Fail, "Unhandled io::Error: boom"));
    assert_eq!(
        fx.events.take(),
        [
            "initialize",
            "setup",
            "warmup",
            "hook before 1",
            "before_run_once 1",
            "run_once 1",
            "hook after 1",
            "cleanup"
        ]
    );
}

#[test]
fn a_good_run_writes_autotests_status_lines() {
    let fx = Fixture::new();
    fx.run(fx.recorder("sleeptest"), Args::new().with("tag", "quick").with("timeout", 60));
    let summary = fx.job.complete().unwrap();
    assert_eq!(summary.status(), Status::Good);
    assert_eq!(
        status_lines(fx.results("status.log")),
        [
            "START\t----\t----\t",
            "\tSTART\tsleeptest.quick\tsleeptest.quick\ttimeout=60\t",
            "\t\tGOOD\tsleeptest.quick\tsleeptest.quick\tcompleted successfully",
            "\tEND GOOD\tsleeptest.quick\tsleeptest.quick\t",
            "END GOOD\t----\t----\t",
        ]
    );
    assert_eq!(status_lines(fx.results("sleeptest.quick/status.log")), status_lines(fx.results("status.log"))[1..4]);
    let keyval = lines(fx.results("keyval"));
    let keys: Vec<&str> = keyval
        .iter()
        .map(|line| line.split('=').next().unwrap())
        .filter(|k| *k != "hostname" && *k != "user" && !k.starts_with("sysinfo-") && !k.starts_with("noise-"))
        .collect();
    assert_eq!(keys, ["harness_version", "job_started", "status_version", "job_finished"]);
    assert!(keyval.iter().any(|line| line.starts_with("sysinfo-kernel=")), "{keyval:?}");
    assert!(keyval.contains(&"status_version=1".to_owned()));
    assert!(keyval.contains(&"harness_version=0.1.0".to_owned()));
}

/// Which status an unhandled error (and a panic) gives in each phase, and what ran.
#[test]
fn unhandled_failures_map_to_fail_or_error_by_phase() {
    let cases = [
        (Phase::Initialize, Status::Error),
        (Phase::Setup, Status::Error),
        (Phase::Warmup, Status::Fail),
        (Phase::BeforeRunOnce, Status::Fail),
        (Phase::RunOnce, Status::Fail),
        (Phase::AfterRunOnce, Status::Fail),
        (Phase::PostprocessIteration, Status::Fail),
        (Phase::Postprocess, Status::Fail),
        (Phase::Cleanup, Status::Error),
    ];
    for panics in [false, true] {
        for (phase, status) in cases {
            let fx = Fixture::with(profiled);
            let test = fx.recorder("t").on(phase, move |_, _| {
                if panics {
                    panic!("boom in {phase}");
                }
                Err(std::fmt::Error)?
            });
            let record = fx.run(test, Args::new());
            let expected_reason = if panics {
                format!("Unhandled panic: boom in {phase}")
            } else {
                "Unhandled fmt::Error: an error occurred when formatting an argument".to_owned()
            };
            assert_eq!((record.status, &record.reason), (status, &expected_reason), "{phase} panics={panics}");
            if panics {
                assert!(record.details[0].starts_with("panicked at tests/tests/lifecycle.rs:"), "{:?}", record.details);
            }
            let events = fx.events.take();
            assert_eq!(
                events.last().map(String::as_str),
                Some("cleanup"),
                "{phase}: cleanup runs on every path: {events:?}"
            );
            let log = StatusLog::read(fx.results("status.log")).unwrap();
            let test_group = log.tests().next().unwrap();
            assert_eq!((test_group.status, test_group.closed_by_reader), (status, false));
        }
    }
}

#[test]
fn explicit_outcomes_keep_their_status_everywhere() {
    let outcomes: [(fn() -> Failure, Status); 4] = [
        (|| Failure::not_applicable("no gpu"), Status::TestNa),
        (|| Failure::warn("slow"), Status::Warn),
        (|| Failure::error("broke"), Status::Error),
        (|| Failure::fail("bad"), Status::Fail),
    ];
    for (make, status) in outcomes {
        for phase in [Phase::Initialize, Phase::RunOnce, Phase::Cleanup] {
            let fx = Fixture::new();
            let record = fx.run(fx.recorder("t").on(phase, move |_, _| Err(make())), Args::new());
            assert_eq!(record.status, status, "{phase}");
        }
    }
}

#[test]
fn cleanup_failure_loses_to_the_original_error_and_counts_after_success() {
    let fx = Fixture::new();
    let both = fx
        .recorder("both")
        .on(Phase::RunOnce, |_, _| Err(Failure::fail("run failed")))
        .on(Phase::Cleanup, |_, _| Err(Failure::fail("cleanup failed")));
    assert_eq!(fx.run(both, Args::new()).reason, "run failed");
    let debug = std::fs::read_to_string(fx.results("both/debug/both.DEBUG")).unwrap();
    assert!(debug.contains("cleanup failed as well (the original failure is reported): cleanup failed"), "{debug}");
    let only = fx.recorder("only").on(Phase::Cleanup, |_, _| Err(std::fmt::Error)?);
    let record = fx.run(only, Args::new());
    assert_eq!(
        (record.status, record.reason.as_str()),
        (Status::Error, "Unhandled fmt::Error: an error occurred when formatting an argument")
    );
}

#[test]
fn run_cleanup_false_skips_cleanup() {
    let fx = Fixture::new();
    fx.run(fx.recorder("t"), Args::new().with("run_cleanup", false));
    assert!(!fx.events.take().contains(&"cleanup".to_owned()));
    let off = Fixture::with(|builder, _| builder.run_test_cleanup(false));
    off.run(off.recorder("t"), Args::new());
    assert!(!off.events.take().contains(&"cleanup".to_owned()));
    off.run(off.recorder("t"), Args::new().with("run_cleanup", true).with("tag", "x"));
    assert!(off.events.take().contains(&"cleanup".to_owned()));
}

#[test]
fn hooks_that_panic_do_not_take_the_runner_down() {
    let fx = Fixture::with(|builder, _| {
        builder.after_iteration_hook(|_| panic!("hook panic")).after_test_hook(|_| panic!("after test panic"))
    });
    let record = fx.run(fx.recorder("t"), Args::new());
    assert_eq!((record.status, record.reason.as_str()), (Status::Fail, "Unhandled panic: hook panic"));
    assert_eq!(fx.events.take().last().unwrap(), "cleanup");
    let record = fx.run(fx.recorder("u"), Args::new().with("iterations", 0));
    assert_eq!((record.status, record.reason.as_str()), (Status::Error, "Unhandled panic: after test panic"));
    let _ = fx.job.complete().unwrap();
    let log = StatusLog::read(fx.results("status.log")).unwrap();
    assert!(log.groups.iter().all(|g| !g.closed_by_reader));
    assert_eq!(log.tests().count(), 2);
}

#[test]
fn a_failing_before_test_hook_is_an_error_and_the_test_does_not_run() {
    let fx = Fixture::with(|builder, _| builder.before_test_hook(|_| Err(Failure::unhandled("no sysinfo"))));
    let record = fx.run(fx.recorder("t"), Args::new());
    assert_eq!((record.status, record.reason.as_str()), (Status::Error, "no sysinfo"));
    assert!(fx.events.take().is_empty());
}

#[test]
fn unknown_arguments_are_an_error_before_initialize() {
    let fx = Fixture::new();
    let test = harness_core::definition::TestInfo::new("strict", harness_core::definition::Version::Int(1));
    struct Strict(&'static harness_core::definition::TestInfo, Events);
    impl harness_core::definition::Autotest for Strict {
        fn info(&self) -> &'static harness_core::definition::TestInfo {
            self.0
        }
        fn run_phase(&mut self, phase: Phase, _: &mut harness_core::TestContext, _: &Args) -> harness_core::TestResult {
            self.1.push(phase.name());
            Ok(())
        }
    }
    let record = fx
        .job
        .run_test_with(Strict(Box::leak(Box::new(test)), fx.events.clone()), Args::new().with("bogus", 1))
        .unwrap();
    assert_eq!(
        (record.status, record.reason.as_str()),
        (Status::Error, "Unknown parameter: bogus (strict takes no parameters)")
    );
    assert!(fx.events.take().is_empty(), "nothing runs, not even cleanup");
    assert_eq!(lines(fx.results("strict/keyval")), ["param-bogus=1", "version=1"]);
    let log = status_lines(fx.results("strict/status.log"));
    assert_eq!(log[1], "\t\tERROR\tstrict\tstrict\tUnknown parameter: bogus (strict takes no parameters)");
}

#[test]
fn bad_tags_and_existing_output_dirs_are_refused_before_anything_is_written() {
    let fx = Fixture::new();
    let before = harness_tests::tree(fx.root());
    for (tag, message) in [
        (
            "../escape",
            "invalid tag `../escape`: it contains a path separator; it must stay inside the results directory",
        ),
        ("a..b", "invalid tag `a..b`: it contains `..`; it must stay inside the results directory"),
        ("new\nline", "invalid tag `new\\nline`: it contains a control character"),
    ] {
        let err = fx.job.run_test_with(fx.recorder("t"), Args::new().with("tag", tag)).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = fx.job.run_test_with(fx.recorder("t"), Args::new().with("tag", json!({"a": 1}))).unwrap_err();
    assert_eq!(err.to_string(), "`tag` expects a string, got {\"a\":1}");
    assert_eq!(harness_tests::tree(fx.root()), before);
    assert!(fx.events.take().is_empty());
    fx.run(fx.recorder("t"), Args::new());
    let status_before = std::fs::read_to_string(fx.results("status.log")).unwrap();
    let err = fx.job.run_test_with(fx.recorder("t"), Args::new()).unwrap_err();
    assert_eq!(err.to_string(), "t already exists; multiple tests cannot run with the same subdirectory");
    assert_eq!(std::fs::read_to_string(fx.results("status.log")).unwrap(), status_before);
}

#[test]
fn invalid_keyvals_write_nothing() {
    let fx = Fixture::new();
    let test = fx.recorder("t").on(Phase::RunOnce, |ctx, _| {
        let invalid = ctx.write_perf_keyval([("a", 1.0), ("b c", 2.0)]).unwrap_err();
        assert_eq!(invalid.to_string(), "Invalid key: b c{perf}");
        let nan = ctx.write_perf_keyval([("a", 1.0), ("b", f64::NAN)]).unwrap_err();
        assert_eq!(nan.to_string(), "invalid value for key `b{perf}`: perf values must be finite numbers, got nan");
        let newline = ctx.write_attr_keyval([("a", "x"), ("b", "two\nlines")]).unwrap_err();
        assert!(newline.to_string().starts_with("invalid value for key `b{attr}`"));
        assert_eq!(ctx.write_test_keyval([("sp ace", 1)]).unwrap_err().to_string(), "Invalid key: sp ace");
        Ok(())
    });
    assert_eq!(fx.run(test, Args::new()).status, Status::Good);
    assert!(!fx.results("t/results/keyval").exists());
    assert_eq!(lines(fx.results("t/keyval")), ["version=1"]);
}

#[test]
fn setup_runs_once_per_version_and_a_failed_setup_leaves_no_version() {
    let fx = Fixture::new();
    let build = |ctx: &mut harness_core::TestContext, _| {
        std::fs::create_dir_all(ctx.srcdir()).map_err(Failure::from)?;
        Ok(())
    };
    let srcdir = fx.root().join("tests/t/src");
    let failing = fx.recorder("t").on(Phase::Setup, |ctx, _| {
        std::fs::create_dir_all(ctx.srcdir()).map_err(Failure::from)?;
        Err(Failure::error("compiler missing"))
    });
    let record = fx.run(failing, Args::new().with("tag", "a"));
    assert_eq!((record.status, record.reason.as_str()), (Status::Error, "compiler missing"));
    assert!(!srcdir.join(".version").exists());
    fx.run(fx.recorder("t").on(Phase::Setup, build), Args::new().with("tag", "b"));
    assert_eq!(std::fs::read_to_string(srcdir.join(".version")).unwrap(), "I1\n.");
    fx.run(fx.recorder("t").on(Phase::Setup, build), Args::new().with("tag", "c"));
    let setups = fx.events.take().into_iter().filter(|e| e == "setup").count();
    assert_eq!(setups, 2, "the failed setup, then once for version 1");
}

#[test]
fn concurrent_jobs_run_setup_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let setups = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let root = dir.path().to_owned();
            let setups = Arc::clone(&setups);
            std::thread::spawn(move || {
                let events = Events::new();
                let job = Job::builder(root.join(format!("results{i}")))
                    .tmpdir(root.join("tmp"))
                    .testdir(root.join("tests"))
                    .build()
                    .unwrap();
                let test = Recorder::new("shared", &events).on(Phase::Setup, move |ctx, _| {
                    setups.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    std::fs::create_dir_all(ctx.srcdir()).map_err(Failure::from)?;
                    Ok(())
                });
                job.run_test_with(test, Args::new()).unwrap().status
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), Status::Good);
    }
    assert_eq!(setups.load(Ordering::SeqCst), 1);
    assert_eq!(std::fs::read_to_string(dir.path().join("tests/shared/src/.version")).unwrap(), "I1\n.");
}

#[test]
fn perf_values_are_flushed_at_phase_ends_and_replaced_atomically() {
    let fx = Fixture::with(|builder, _| builder.flush_interval(std::time::Duration::from_secs(3600)));
    let chart_path = fx.results("t/results/results-chart.json");
    let seen_in_warmup = Arc::new(std::sync::Mutex::new(None));
    let seen = Arc::clone(&seen_in_warmup);
    let path = chart_path.clone();
    let test = fx
        .recorder("t")
        .on(Phase::Initialize, |ctx, _| Ok(ctx.output_perf_value(harness_core::PerfValue::new("init", 1))?))
        .on(Phase::Warmup, move |ctx, _| {
            *seen.lock().unwrap() = Some(std::fs::read_to_string(&path).unwrap());
            Ok(ctx.output_perf_value(harness_core::PerfValue::new("warm", 2))?)
        });
    fx.run(test, Args::new());
    let in_warmup: serde_json::Value =
        serde_json::from_str(seen_in_warmup.lock().unwrap().as_deref().unwrap()).unwrap();
    assert_eq!(
        in_warmup,
        json!({"init": {"summary": {"type": "scalar", "units": null, "value": 1.0, "improvement_direction": "down"}}})
    );
    let at_end: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&chart_path).unwrap()).unwrap();
    assert_eq!(at_end.as_object().unwrap().keys().collect::<Vec<_>>(), ["init", "warm"]);
    let leftovers: Vec<String> = harness_tests::tree(&fx.results("t/results"));
    assert_eq!(leftovers, ["results-chart.json"]);
}

/// A deliberate difference from autotest: a versioned setup that already ran
/// with other setup arguments runs again, so a result is never labelled with
/// arguments its data was not built with. The same arguments skip it; each
/// set builds in a srcdir of its own, kept for the next run with it.
#[test]
fn setup_runs_again_when_its_arguments_change() {
    static SETUP: [harness_core::definition::PhaseTable; 2] = [
        harness_core::definition::PhaseTable::new(
            Phase::Setup,
            &[harness_core::definition::Param::required::<u32>("size_mb", "u32")],
        ),
        harness_core::definition::PhaseTable::new(Phase::RunOnce, &[]),
    ];
    struct Sized(Events);
    impl harness_core::definition::Autotest for Sized {
        fn info(&self) -> &'static harness_core::definition::TestInfo {
            static INFO: harness_core::definition::TestInfo =
                harness_core::definition::TestInfo::new("sized", harness_core::definition::Version::Int(1))
                    .with_phases(&SETUP);
            &INFO
        }
        fn run_phase(
            &mut self,
            phase: Phase,
            ctx: &mut harness_core::TestContext,
            args: &Args,
        ) -> harness_core::TestResult {
            if phase == Phase::Setup {
                let size: u32 = args.get_as("size_mb")?.unwrap_or(0);
                self.0.push(format!("setup {size}"));
                std::fs::create_dir_all(ctx.srcdir()).map_err(Failure::from)?;
            }
            Ok(())
        }
    }
    let fx = Fixture::new();
    for (tag, size) in [("a", 4), ("b", 4), ("c", 8), ("d", 8), ("e", 4)] {
        let args = Args::new().with("tag", tag).with("size_mb", size).with("iterations", 1);
        assert_eq!(fx.job.run_test_with(Sized(fx.events.clone()), args).unwrap().status, Status::Good);
    }
    // Each set of setup arguments has a srcdir of its own, kept: back to 4 builds nothing.
    assert_eq!(fx.events.take(), ["setup 4", "setup 8"]);
    let mut built: Vec<String> = std::fs::read_dir(fx.root().join("tests/sized"))
        .unwrap()
        .map(|e| {
            let srcdir = e.unwrap().path();
            assert!(srcdir.file_name().unwrap().to_string_lossy().starts_with("src."), "{}", srcdir.display());
            assert_eq!(std::fs::read_to_string(srcdir.join(".version")).unwrap(), "I1\n.");
            std::fs::read_to_string(srcdir.join(".harness-setup-args")).unwrap()
        })
        .collect();
    built.sort();
    assert_eq!(built, [r#"{"size_mb":4}"#, r#"{"size_mb":8}"#]);
}

/// `ctx.is_profiled_run()` is true in the extra profiled iteration only, and the
/// record names that iteration.
#[test]
fn the_profiled_run_is_told_and_marked() {
    let fx = Fixture::with(|builder, events| {
        builder.profiler(RecordingProfiler { name: "rec".into(), events: events.clone() })
    });
    let seen = fx.events.clone();
    let test = fx.recorder("t").on(Phase::RunOnce, move |ctx, _| {
        seen.push(format!("profiled {}", ctx.is_profiled_run()));
        Ok(())
    });
    let record = fx.run(test, Args::new().with("iterations", 2));
    let profiled: Vec<String> = fx.events.take().into_iter().filter(|e| e.starts_with("profiled ")).collect();
    assert_eq!(profiled, ["profiled false", "profiled false", "profiled true"]);
    assert_eq!((record.iterations, record.profiled_iteration), (2, Some(3)));
    let without = Fixture::new();
    let plain = without.run(without.recorder("t"), Args::new());
    assert_eq!(plain.profiled_iteration, None, "no profilers, no profiled run");
}

/// A failed constraint reads with its iteration (numbered as the progress
/// display numbers them) and the values measured; status.log keeps autotest's
/// text; the debug log names the constraint instead of an engine line.
#[test]
fn constraint_failures_show_the_measured_values() {
    let fx = Fixture::new();
    let test = fx.recorder("t").on(Phase::RunOnce, |ctx, _| {
        let rate = if ctx.iteration() == 2 { 812.4 } else { 60_000.0 };
        ctx.write_perf_keyval([("write_mb_s", rate)])?;
        Ok(())
    });
    let args = Args::new().with("iterations", 3).with("constraints", json!(["write_mb_s > 50000", "missing > 1"]));
    let record = fx.run(test, args);
    assert_eq!(record.status, Status::Fail);
    assert_eq!(
        record.reason,
        "iteration 0:could not evaluate constraint: missing > 1  \
         iteration 1:write_mb_s > 50000: constraint was not met,could not evaluate constraint: missing > 1  \
         iteration 2:could not evaluate constraint: missing > 1  "
    );
    assert_eq!(
        record.summary,
        "iteration 1: could not evaluate `missing > 1`: no perf value `missing` in this iteration; \
         iteration 2: write_mb_s > 50000 not met (write_mb_s = 812.4); \
         iteration 2: could not evaluate `missing > 1`: no perf value `missing` in this iteration; \
         iteration 3: could not evaluate `missing > 1`: no perf value `missing` in this iteration"
    );
    assert_eq!(record.raised_at, None);
    let status = std::fs::read_to_string(record.outputdir.join("status.log")).unwrap();
    assert!(status.contains(&format!("\t{}\n", record.reason)), "{status}");
    let debug = std::fs::read_to_string(record.outputdir.join("debug/t.DEBUG")).unwrap();
    assert!(
        debug.contains("constraint `write_mb_s > 50000`: iteration 2: write_mb_s > 50000 not met (write_mb_s = 812.4)"),
        "{debug}"
    );
    assert!(!debug.contains("raised at"), "{debug}");
}

/// Where a failure was raised is the test's own line.
#[test]
fn failures_know_the_line_that_raised_them() {
    let fx = Fixture::new();
    let line = line!() + 1;
    let test = fx.recorder("t").on(Phase::RunOnce, |_, _| Err(Failure::fail("too slow")));
    let record = fx.run(test, Args::new());
    let at = record.raised_at.unwrap();
    assert!(at.starts_with(&format!("{}:{line}:", file!())), "{at}");
    let panics = fx.recorder("p").on(Phase::Warmup, |_, _| panic!("boom"));
    let record = fx.run(panics, Args::new());
    let at = record.raised_at.unwrap();
    assert!(at.starts_with(&format!("{}:{}:", file!(), line!() - 3)), "{at}");
}

/// Warm-up iterations run `run_once` with its hooks before the measured ones
/// and keep nothing: no keyval block, no perf value, no constraint checked;
/// the status log and the record say how many ran. The extra profiled
/// iteration's values are kept apart from the measured ones.
#[test]
fn warm_up_is_thrown_away_and_the_profiled_run_kept_apart() {
    let fx = Fixture::with(profiled);
    let test = fx.recorder("t").on(Phase::RunOnce, |ctx, calls| {
        // The cold first call is slow: 1000 against 10 for every later one.
        let value = if calls == 1 { 1000.0 } else { 10.0 + f64::from(calls) };
        let value = if ctx.is_profiled_run() { 5000.0 } else { value };
        ctx.write_perf_keyval([("mb_s", value)])?;
        ctx.output_perf_value(harness_core::PerfValue::new("mb_s", value).units("MB/s").higher_is_better(true))?;
        Ok(())
    });
    let args =
        Args::new().with("iterations", 3).with("warmup_iterations", 2).with("constraints", json!(["mb_s < 100"]));
    let record = fx.run(test, args);
    // The cold value broke the constraint, but only in warm-up: not checked.
    assert_eq!((record.status, record.reason.as_str()), (Status::Good, "completed successfully"));
    assert_eq!((record.iterations, record.warmup_iterations, record.profiled_iteration), (3, 2, Some(4)));
    let runs: Vec<String> =
        fx.events.take().into_iter().filter(|e| e.starts_with("run_once") || e.starts_with("hook")).collect();
    assert_eq!(
        runs,
        [
            "hook before 0",
            "run_once 0",
            "hook after 0",
            "hook before 0",
            "run_once 0",
            "hook after 0",
            "hook before 1",
            "run_once 1",
            "hook after 1",
            "hook before 2",
            "run_once 2",
            "hook after 2",
            "hook before 3",
            "run_once 3",
            "hook after 3",
            "run_once 4",
        ]
    );
    let perf = &record.perf_values[0];
    assert_eq!(
        (perf.values.as_slice(), perf.profiled.as_slice()),
        ([13.0, 14.0, 15.0].as_slice(), [5000.0].as_slice())
    );
    let blocks: Vec<(harness_core::results::BlockKind, Option<u64>, f64)> =
        record.keyval_blocks.iter().map(|b| (b.kind, b.iteration, b.perf["mb_s"])).collect();
    use harness_core::results::BlockKind::{Iteration, Profiled};
    assert_eq!(
        blocks,
        [
            (Iteration, Some(1), 13.0),
            (Iteration, Some(2), 14.0),
            (Iteration, Some(3), 15.0),
            (Profiled, Some(4), 5000.0)
        ]
    );
    let chart = std::fs::read_to_string(fx.results("t/results/results-chart.json")).unwrap();
    assert!(chart.contains("[\n        13.0,\n        14.0,\n        15.0\n      ]"), "{chart}");
    let profiled = std::fs::read_to_string(fx.results("t/results/profiled-chart.json")).unwrap();
    assert!(profiled.contains("\"value\": 5000.0"), "{profiled}");
    let log = status_lines(fx.results("status.log"));
    let warm: Vec<&String> = log.iter().filter(|l| l.contains("warm-up")).collect();
    assert_eq!(warm.len(), 1, "{log:#?}");
    assert!(warm[0].starts_with("\t\tINFO\t----\t----\twarm-up: 2 iterations in "), "{}", warm[0]);
    assert!(warm[0].ends_with(" s, not measured"), "{}", warm[0]);
}

/// `warmup_time` warms up for at least that long (the job's clock), and a
/// failing warm-up iteration fails the test like any iteration.
#[test]
fn warm_up_time_and_a_failing_warm_up() {
    let ticks = Arc::new(AtomicUsize::new(0));
    #[allow(clippy::cast_precision_loss, reason = "small tick counts")]
    let fx = Fixture::with(|builder, _| builder.clock(move || ticks.fetch_add(1, Ordering::SeqCst) as f64));
    let record = fx.run(fx.recorder("t"), Args::new().with("warmup_time", 3).with("iterations", 1));
    assert_eq!((record.status, record.iterations), (Status::Good, 1));
    assert!(record.warmup_iterations >= 1, "{}", record.warmup_iterations);
    let failing = fx
        .recorder("u")
        .on(Phase::RunOnce, |ctx, _| if ctx.is_warmup() { Err(Failure::fail("cold start failed")) } else { Ok(()) });
    let record = fx.run(failing, Args::new().with("warmup_iterations", 1));
    assert_eq!((record.status, record.reason.as_str(), record.iterations), (Status::Fail, "cold start failed", 0));
}

/// The thread's CPUs, as the kernel lists them (`0-1`).
fn cpus_allowed() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap().trim().to_owned()
}

/// `cpus` runs every phase on those CPUs (the threads they start too), says so
/// in the test keyval and puts the thread's affinity back afterwards; a CPU
/// list that is not one is refused before anything runs.
#[test]
fn cpus_pin_the_test_and_are_recorded() {
    let fx = Fixture::new();
    let before = cpus_allowed();
    // The first CPU this process may use (a container may not have CPU 0).
    let first: String = before.chars().take_while(char::is_ascii_digit).collect();
    let seen = fx.events.clone();
    let test = fx.recorder("t").on(Phase::RunOnce, move |_, _| {
        seen.push(format!("on {}", cpus_allowed()));
        let from_a_thread = std::thread::spawn(cpus_allowed).join().unwrap();
        seen.push(format!("thread on {from_a_thread}"));
        Ok(())
    });
    let record = fx.run(test, Args::new().with("cpus", first.as_str()));
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    let on: Vec<String> = fx.events.take().into_iter().filter(|e| e.contains(" on ") || e.starts_with("on ")).collect();
    assert_eq!(on, [format!("on {first}"), format!("thread on {first}")]);
    assert_eq!(record.keyvals["cpus"], first);
    assert_eq!(cpus_allowed(), before, "the affinity is put back");
    let record = fx.run(fx.recorder("u"), Args::new().with("cpus", "3-1"));
    assert_eq!(record.status, Status::Error);
    assert_eq!(record.reason, "`cpus` expects a CPU list such as \"0-3,6\" or [0, 1], got \"3-1\"");
    assert!(fx.events.take().is_empty(), "nothing ran");
}

/// The timing and throughput helpers record with the right units and direction.
#[test]
fn timing_and_throughput_helpers_record_units_and_direction() {
    let fx = Fixture::new();
    let test = fx.recorder("t").on(Phase::RunOnce, |ctx, _| {
        let per_call = ctx.time_per_call("stat", 100, || harness_core::prelude::black_box(std::fs::metadata("/")))?;
        assert!(per_call > std::time::Duration::ZERO);
        let rate =
            ctx.output_throughput("write", harness_core::Amount::Bytes(10_000_000), std::time::Duration::from_secs(2))?;
        assert!((rate - 5.0).abs() < 1e-12, "{rate}");
        ctx.output_throughput("open", harness_core::Amount::Operations(300), std::time::Duration::from_millis(1500))?;
        Ok(())
    });
    let record = fx.run(test, Args::new());
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    let seen: Vec<(&str, Option<&str>, &str)> = record
        .perf_values
        .iter()
        .map(|p| (p.description.as_str(), p.units.as_deref(), p.improvement_direction.as_ref()))
        .collect();
    assert_eq!(
        seen,
        [("stat", Some("ns"), "down"), ("write", Some("MB_per_sec"), "up"), ("open", Some("ops_per_sec"), "up")]
    );
    assert!(record.perf_values[0].values[0] > 0.0);
    assert_eq!(record.perf_values[1].values, [5.0]);
    assert_eq!(record.perf_values[2].values, [200.0]);
}
