//! The body of one run: everything between its START and its status line
//! (directories, hooks, autotest's `_exec` with its cleanup rules, the chart
//! written out, the tmpdir removed), in this process or a child's.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::execute::{Schedule, execute};
use super::isolate::Ran;
use super::job_core::JobCore;
use super::phase::{call, guarded};
use super::prepared::Prepared;
use super::setup::setup_once;
use crate::args::Args;
use crate::context::{TestContext, TestDirs, describe_args};
use crate::debuglog::{TestLog, note};
use crate::definition::Autotest;
use crate::error::{Error, Result};
use crate::failure::{Failure, TestResult};
use crate::names::Naming;
use crate::phase::Phase;
use crate::results::formats::pyfmt::{value_repr, value_str};
use crate::results::outputs::record::{Ending, RecordData, read_blocks};
use crate::status::Status;
use crate::validate::{Checked, EXECUTE_ARGS, JOB_ARGS};

fn make_dirs(core: &JobCore, naming: &Naming, outputdir: &Path, test: &str, srcdir: &str) -> Result<TestDirs> {
    // The parent of a child process may have made `debug/` for the child's output already.
    let mkdir_all =
        |path: PathBuf| fs::create_dir_all(&path).map(|()| path.clone()).map_err(|e| Error::io("create", &path, e));
    let bindir = core.settings.testdir.join(test);
    Ok(TestDirs {
        resultsdir: outputdir.join("results"),
        profdir: outputdir.join("profiling"),
        debugdir: mkdir_all(outputdir.join("debug"))?,
        outputdir: outputdir.to_owned(),
        srcdir: bindir.join(srcdir),
        bindir,
        tmp_parent: core.settings.tmpdir.clone(),
        tmp_suffix: format!("_{}", naming.tagged),
    })
}

/// Everything between START and the status line: directories, hooks, the
/// lifecycle, the perf chart written out, the tmpdir removed; how it ended,
/// with the subtests it ran.
pub(crate) fn body(core: &JobCore, test: &mut dyn Autotest, prepared: &Prepared) -> Ran {
    let info = test.info();
    let args = prepared.planned.args();
    let naming = &prepared.naming;
    let mut iterations = 0;
    let srcdir = super::setup::srcdir_name(info, &args.without(&[&JOB_ARGS]));
    let dirs = match make_dirs(core, naming, &prepared.outputdir, info.name(), &srcdir) {
        Ok(dirs) => dirs,
        Err(e) => return Ran { ending: Ending::of(Status::Error, e.to_string()), data: RecordData::default() },
    };
    let log = TestLog::open(&dirs.debugdir.join(format!("{}.DEBUG", naming.tagged)));
    note(&format!("running {} (version {}) with {}", naming.operation, info.version(), describe_args(args)));
    let names = (naming.tagged.clone(), naming.subdir.clone());
    let mut ctx = TestContext::new(core.view.clone(), core.settings.flush_interval, info, names, dirs);
    let mut failure = None;
    for hook in &core.hooks.before_test {
        if let Err(f) = guarded(|| hook(&mut ctx)) {
            failure = Some((f, Phase::Initialize));
            break;
        }
    }
    if failure.is_none() {
        ctx.before_hooks.extend(core.hooks.before_iteration.iter().cloned());
        ctx.after_hooks.extend(core.hooks.after_iteration.iter().cloned());
        failure = lifecycle(core, test, &mut ctx, args, prepared.planned.checked(), &mut iterations).err();
    }
    if let Err(e) = ctx.flush_perf_values() {
        failure.get_or_insert((Failure::from(e), Phase::Cleanup));
    }
    for hook in &core.hooks.after_test {
        if let Err(f) = guarded(|| hook(&mut ctx)) {
            note(&format!("after-test hook failed: {}", f.full_text()));
            failure.get_or_insert((f, Phase::Cleanup));
        }
    }
    if let Some((f, phase)) = &failure {
        note(&format!("{} in {}: {}", f.status_in(*phase), f.phase().unwrap_or(*phase), f.full_text()));
        if let Some(place) = f.raised_at() {
            note(&format!("raised at {place}"));
        }
    }
    let mut ending = ending(failure.as_ref(), iterations, ctx.profiled_iteration);
    ending.warmup_iterations = ctx.warmup_iterations;
    ending.subtests = ctx.take_subtests();
    if let Some(tmpdir) = ctx.made_tmpdir() {
        let _ = fs::remove_dir_all(tmpdir);
    }
    let data = RecordData {
        chart: ctx.chart.take(),
        profiled_chart: ctx.profiled_chart.take(),
        keyvals: std::mem::take(&mut ctx.test_keyvals),
        perf_keyvals: ctx.iteration_keyvals.last_perf_values(),
        blocks: read_blocks(&prepared.outputdir, ctx.iteration_keyvals.kinds()),
    };
    drop(ctx);
    drop(log);
    Ran { ending, data }
}

/// How a body ended, from the failure that escaped it (none: GOOD).
fn ending(failure: Option<&(Failure, Phase)>, iterations: u64, profiled_iteration: Option<u64>) -> Ending {
    let mut ending = match failure {
        None => Ending::of(Status::Good, "completed successfully"),
        Some((failure, phase)) => {
            let mut ending = Ending::of(failure.status_in(*phase), failure.full_text());
            ending.summary = (failure.summary() != failure.message()).then(|| failure.summary().to_owned());
            ending.raised_at = failure.raised_at();
            ending
        }
    };
    ending.iterations = iterations;
    ending.profiled_iteration = profiled_iteration;
    ending
}

/// The test keyval autotest writes first: `version`, `param-<name>=<repr>` and
/// the test attributes (the version wins over an attribute of that name).
fn test_keyval(test: &dyn Autotest, args: &Args, ctx: &mut TestContext) -> Result<()> {
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(serde_json::Value::Object(attributes)) = args.get("test_attributes") {
        for (key, value) in attributes {
            pairs.insert(key.clone(), value_str(value));
        }
    }
    pairs.insert("version".to_owned(), test.info().version().to_string());
    let info = test.info();
    for (key, list) in [("attrs", info.attrs()), ("contacts", info.contacts())] {
        if !list.is_empty() {
            pairs.insert(key.to_owned(), list.join(","));
        }
    }
    for (name, value) in args.iter() {
        if !JOB_ARGS.contains(&name) {
            pairs.insert(format!("param-{name}"), value_repr(value));
        }
    }
    ctx.write_test_keyval(pairs)
}

type Step = std::result::Result<(), (Failure, Phase)>;

fn not_cancelled(ctx: &TestContext, phase: Phase) -> Step {
    match ctx.job().cancel_token().failure() {
        Some(failure) => Err((failure, phase)),
        None => Ok(()),
    }
}

/// The end of a phase: perf values recorded so far are written out.
fn phase_end(ctx: &mut TestContext, phase: Phase, result: TestResult) -> Step {
    let flushed = ctx.flush_perf_values().map_err(Failure::from);
    result.and(flushed).map_err(|failure| (failure, phase))
}

/// autotest's `_exec`: keyval, argument check, initialize, setup, warmup,
/// execute, and cleanup with its rules.
fn lifecycle(
    core: &JobCore,
    test: &mut dyn Autotest,
    ctx: &mut TestContext,
    args: &Args,
    checked: &Checked,
    iterations: &mut u64,
) -> Step {
    let info = test.info();
    if info.network_destabilizing() {
        core.view.disable_warnings("NETWORK");
    }
    let result = (|| {
        test_keyval(test, args, ctx).map_err(|e| (Failure::from(e), Phase::Initialize))?;
        if let Some(errors) = checked.problems() {
            return Err((Failure::error(errors.to_string()), Phase::Initialize));
        }
        // What the machine lacks makes the test not applicable here, before
        // any of its code runs.
        info.check_requirements().map_err(|reason| (Failure::not_applicable(reason), Phase::Initialize))?;
        let engine = &checked.engine;
        // Every phase, and the threads they start, run on the CPUs asked for.
        let _pinned = match &engine.cpus {
            Some(cpus) => {
                let pinned =
                    crate::machine::run_on(cpus).map_err(|reason| (Failure::error(reason), Phase::Initialize))?;
                ctx.write_test_keyval([("cpus", crate::machine::cpu_list_text(cpus))])
                    .map_err(|e| (Failure::from(e), Phase::Initialize))?;
                Some(pinned)
            }
            None => None,
        };
        let run_cleanup = engine.run_cleanup.unwrap_or(core.settings.run_test_cleanup);
        let schedule = Schedule {
            iterations: engine.iterations,
            warmup_iterations: engine.warmup_iterations.unwrap_or(0),
            warmup_time: engine.warmup_time.unwrap_or(0.0),
            // The run's `retries`, else the test's attribute, else the job's `test_retry`.
            retries: engine.retries.unwrap_or(core.settings.test_retry),
            test_length: engine.test_length,
            profile_only: engine.profile_only.unwrap_or(core.settings.default_profile_only),
            postprocess_profiled_run: engine.postprocess_profiled_run,
            constraints: &engine.constraints,
        };
        // What each phase sees, as in autotest: never the job's own arguments, and
        // around each iteration not those the base `execute` consumes either.
        let phase_args = args.without(&[&JOB_ARGS]);
        let iteration_args = args.without(&[&JOB_ARGS, &EXECUTE_ARGS]);
        let body = phases(core, test, ctx, &phase_args, &iteration_args, &schedule, iterations);
        if !run_cleanup {
            return body;
        }
        let cleanup = call(test, Phase::Cleanup, ctx, &phase_args);
        let cleanup = phase_end(ctx, Phase::Cleanup, cleanup);
        match (body, cleanup) {
            (Err(failure), Err(cleanup)) => {
                note(&format!("cleanup failed as well (the original failure is reported): {}", cleanup.0.full_text()));
                Err(failure)
            }
            (body, cleanup) => body.and(cleanup),
        }
    })();
    if info.network_destabilizing() {
        core.view.enable_warnings("NETWORK");
    }
    result
}

fn phases(
    core: &JobCore,
    test: &mut dyn Autotest,
    ctx: &mut TestContext,
    args: &Args,
    iteration_args: &Args,
    schedule: &Schedule<'_>,
    iterations: &mut u64,
) -> Step {
    not_cancelled(ctx, Phase::Initialize)?;
    let result = call(test, Phase::Initialize, ctx, args);
    phase_end(ctx, Phase::Initialize, result)?;
    not_cancelled(ctx, Phase::Setup)?;
    let result = setup_once(test, ctx, args);
    phase_end(ctx, Phase::Setup, result)?;
    not_cancelled(ctx, Phase::Warmup)?;
    let result = call(test, Phase::Warmup, ctx, args);
    phase_end(ctx, Phase::Warmup, result)?;
    not_cancelled(ctx, Phase::Execute)?;
    let result = if test.info().has_own_execute() {
        call(test, Phase::Execute, ctx, args)
    } else {
        execute(core, test, ctx, iteration_args, schedule, iterations)
    };
    phase_end(ctx, Phase::Execute, result)
}
