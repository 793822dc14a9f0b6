//! One `run_test`: name and directories, START, hooks, the lifecycle, the status
//! line and END, and the record of it all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use super::execute::{Plan, execute};
use super::phase::{call, guarded};
use super::record::{PerfRecord, TestRecord};
use super::setup::setup_once;
use crate::args::{ArgError, ArgErrors, EXECUTE_ARGS, EngineArgs, JOB_ARGS, validate};
use crate::context::{TestDirs, check_component, describe_args};
use crate::debuglog::{TestLog, note};
use crate::results::pyfmt::{float_repr, value_repr, value_str};
use crate::results::{PerfChart, StatusCode, StatusEntry, parse_iterations, read_iterations, read_raw};
use crate::{Args, Autotest, Error, Failure, Job, Phase, Result, Status, TestContext, TestResult};

/// Where a run's output goes and what it is called in `status.log`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Naming {
    /// `<name>[.<tag parts>]`: the operation column.
    pub(crate) operation: String,
    /// `[<parent>/]<operation>[.<subdir_tag>]`, relative to the result directory.
    pub(crate) subdir: String,
    /// The basename of `subdir`.
    pub(crate) tagged: String,
    /// The tag parts joined with `.`.
    pub(crate) tag: Option<String>,
}

/// autotest's `_build_tagged_test_name`.
fn naming(job: &Job, name: &str, engine: &EngineArgs) -> Result<Naming> {
    let mut parts = Vec::new();
    if let Some(tag) = engine.tag.as_deref().filter(|t| !t.is_empty()) {
        check_component("tag", tag)?;
        parts.push(tag.to_owned());
    }
    if job.inner.use_sequence_number {
        let mut state = job.state();
        state.sequence += 1;
        parts.push(format!("_{:02}_", state.sequence));
    }
    if let Some(automatic) = &job.inner.automatic_test_tag {
        check_component("automatic_test_tag", automatic)?;
        parts.push(automatic.clone());
    }
    let operation = std::iter::once(name.to_owned()).chain(parts.iter().cloned()).collect::<Vec<_>>().join(".");
    let mut tagged = operation.clone();
    if let Some(subdir_tag) = engine.subdir_tag.as_deref().filter(|t| !t.is_empty()) {
        check_component("subdir_tag", subdir_tag)?;
        tagged = format!("{tagged}.{subdir_tag}");
        parts.push(subdir_tag.to_owned());
    }
    let subdir = match engine.master_testpath.as_deref().filter(|p| !p.is_empty()) {
        Some(parent) => {
            for component in parent.split('/') {
                check_component("master_testpath", component)?;
            }
            format!("{parent}/{tagged}")
        }
        None => tagged.clone(),
    };
    let tag = (!parts.is_empty()).then(|| parts.join("."));
    Ok(Naming { operation, subdir, tagged, tag })
}

/// A test whose output directory exists and whose START line is written.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) test: &'static str,
    pub(crate) naming: Naming,
    pub(crate) outputdir: PathBuf,
    #[cfg_attr(not(feature = "cli"), allow(dead_code, reason = "read by the CLI's child runner"))]
    pub(crate) timeout: Option<f64>,
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
}

impl Prepared {
    /// A run prepared by another process (the CLI's parent).
    #[cfg(feature = "cli")]
    pub(crate) fn resume(test: &'static str, naming: Naming, outputdir: PathBuf, timeout: Option<f64>) -> Self {
        Prepared { test, naming, outputdir, timeout, started: chrono::Utc::now(), clock: Instant::now() }
    }
}

/// How the body of a run ended: everything the record takes from the run
/// itself. A child process sends it to its parent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Verdict {
    pub(crate) status: Status,
    /// The reason with its detail lines, as the status log gets it.
    pub(crate) reason: String,
    /// What a person reads, when it differs from the reason's first line.
    pub(crate) summary: Option<String>,
    /// Where the failure was raised (`file:line:col`).
    pub(crate) raised_at: Option<String>,
    /// Iterations of `run_once` begun.
    pub(crate) iterations: u64,
    /// The extra profiled iteration's number, if it ran.
    pub(crate) profiled_iteration: Option<u64>,
}

impl Verdict {
    /// A run that ended with `status` and `reason` before or outside the test's
    /// own code (a crash, a timeout, a test that could not start).
    pub(crate) fn of(status: Status, reason: impl Into<String>) -> Self {
        Verdict {
            status,
            reason: reason.into(),
            summary: None,
            raised_at: None,
            iterations: 0,
            profiled_iteration: None,
        }
    }

    fn from_failure(failure: Option<&(Failure, Phase)>, iterations: u64, profiled_iteration: Option<u64>) -> Self {
        let mut verdict = match failure {
            None => Verdict::of(Status::Good, "completed successfully"),
            Some((failure, phase)) => Verdict {
                status: failure.status_in(*phase),
                reason: failure.full_text(),
                summary: (failure.summary() != failure.message()).then(|| failure.summary().to_owned()),
                raised_at: failure.raised_at(),
                iterations: 0,
                profiled_iteration: None,
            },
        };
        verdict.iterations = iterations;
        verdict.profiled_iteration = profiled_iteration;
        verdict
    }
}

/// What a run in this process hands to [`finish`]: its verdict, and its data
/// from memory (so an in-process run reads nothing back).
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) verdict: Verdict,
    pub(crate) data: RecordData,
}

/// The perf values and keyvals of a finished run.
#[derive(Debug, Default)]
pub(crate) struct RecordData {
    chart: PerfChart,
    keyvals: BTreeMap<String, String>,
    perf_keyvals: BTreeMap<String, f64>,
}

impl RecordData {
    /// The same, read from a test's output directory (a run in another process).
    fn read(outputdir: &Path) -> Self {
        RecordData {
            chart: PerfChart::read(outputdir.join("results/results-chart.json")).unwrap_or_default(),
            keyvals: read_raw(outputdir),
            perf_keyvals: read_iterations(outputdir.join("results"))
                .ok()
                .and_then(|iterations| iterations.into_iter().rev().find(|i| !i.perf.is_empty()))
                .map(|i| i.perf)
                .unwrap_or_default(),
        }
    }
}

/// Runs one test from START to END and records it.
pub(crate) fn run(job: &Job, mut test: Box<dyn Autotest>, args: Args) -> Result<TestRecord> {
    let prepared = prepare(job, test.info(), &args)?;
    let Ran { verdict, data } = body(job, test.as_mut(), &args, &prepared);
    finish(job, prepared, &verdict, Some(data))
}

/// Names the run, creates its output directory and writes START.
pub(crate) fn prepare(job: &Job, info: &'static crate::TestInfo, args: &Args) -> Result<Prepared> {
    check_component("test name", info.name())?;
    let mut errors = Vec::new();
    let engine = EngineArgs::parse(args, &mut errors);
    errors.retain(|e| matches!(e, ArgError::Engine { name, .. } if matches!(name.as_str(), "tag" | "subdir_tag" | "master_testpath")));
    if !errors.is_empty() {
        return Err(Error::Args(ArgErrors::new(info.name(), errors)));
    }
    let naming = naming(job, info.name(), &engine)?;
    let outputdir = job.resultdir().join(&naming.subdir);
    match fs::create_dir(&outputdir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::OutputDirExists { subdir: naming.subdir });
        }
        Err(e) => return Err(Error::io("create", &outputdir, e)),
    }
    let mut start = StatusEntry::new(StatusCode::Start, Some(&naming.subdir), Some(&naming.operation), "")?;
    if let Some(timeout) = engine.timeout {
        start = start.with_field("timeout", &seconds_text(timeout))?;
    }
    job.inner.logger.record(&start)?;
    if let Some(observer) = &job.inner.observer {
        observer.test_started(info.name(), &naming.subdir);
    }
    Ok(Prepared {
        test: info.name(),
        naming,
        outputdir,
        timeout: engine.timeout,
        started: chrono::Utc::now(),
        clock: Instant::now(),
    })
}

/// Writes the status line and END, and records the run.
pub(crate) fn finish(job: &Job, prepared: Prepared, verdict: &Verdict, data: Option<RecordData>) -> Result<TestRecord> {
    let Prepared { test, naming, outputdir, started, clock, .. } = prepared;
    let status = verdict.status;
    job.record(StatusCode::Status(status), Some(&naming.subdir), Some(&naming.operation), &verdict.reason)?;
    job.record(StatusCode::End(status), Some(&naming.subdir), Some(&naming.operation), "")?;
    let mut lines = verdict.reason.lines().map(str::to_owned);
    let reason = lines.next().unwrap_or_default();
    let RecordData { chart, keyvals, perf_keyvals } = data.unwrap_or_else(|| RecordData::read(&outputdir));
    let record = TestRecord {
        test: test.to_owned(),
        tag: naming.tag,
        subdir: naming.subdir,
        status,
        summary: verdict.summary.clone().unwrap_or_else(|| reason.clone()),
        reason,
        details: lines.collect(),
        raised_at: verdict.raised_at.clone(),
        profiled_iteration: verdict.profiled_iteration,
        start: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        end: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration: clock.elapsed().as_secs_f64(),
        iterations: verdict.iterations,
        perf_values: PerfRecord::from_chart(&chart),
        keyvals,
        perf_keyvals,
        outputdir,
    };
    if let Some(observer) = &job.inner.observer {
        observer.test_finished(&record);
    }
    job.push_record(record.clone());
    Ok(record)
}

/// `60` for whole seconds, else the shortest form (`0.5`).
fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 && seconds < 1e15 { format!("{seconds:.0}") } else { float_repr(seconds) }
}

fn make_dirs(job: &Job, naming: &Naming, outputdir: &Path, test: &str) -> Result<TestDirs> {
    let mkdir = |path: PathBuf| fs::create_dir(&path).map(|()| path.clone()).map_err(|e| Error::io("create", &path, e));
    let bindir = job.testdir().join(test);
    Ok(TestDirs {
        resultsdir: outputdir.join("results"),
        profdir: outputdir.join("profiling"),
        debugdir: mkdir(outputdir.join("debug"))?,
        outputdir: outputdir.to_owned(),
        srcdir: bindir.join("src"),
        bindir,
        tmp_parent: job.tmpdir().to_owned(),
        tmp_suffix: format!("_{}", naming.tagged),
    })
}

/// Everything between START and the status line: directories, hooks, the
/// lifecycle, the perf chart written out, the tmpdir removed.
pub(crate) fn body(job: &Job, test: &mut dyn Autotest, args: &Args, prepared: &Prepared) -> Ran {
    let info = test.info();
    let naming = &prepared.naming;
    let mut iterations = 0;
    let dirs = match make_dirs(job, naming, &prepared.outputdir, info.name()) {
        Ok(dirs) => dirs,
        Err(e) => return Ran { verdict: Verdict::of(Status::Error, e.to_string()), data: RecordData::default() },
    };
    let log = TestLog::open(&dirs.debugdir.join(format!("{}.DEBUG", naming.tagged)));
    note(&format!("running {} (version {}) with {}", naming.operation, info.version(), describe_args(args)));
    let mut ctx = TestContext::new(job.clone(), info, naming.tagged.clone(), naming.subdir.clone(), dirs);
    let mut failure = None;
    for hook in &job.inner.hooks.before_test {
        if let Err(f) = guarded(|| hook(&mut ctx)) {
            failure = Some((f, Phase::Initialize));
            break;
        }
    }
    if failure.is_none() {
        for hook in &job.inner.hooks.before_iteration {
            let hook = hook.clone();
            ctx.before_hooks.push(Rc::new(move |ctx: &mut TestContext| hook(ctx)));
        }
        for hook in &job.inner.hooks.after_iteration {
            let hook = hook.clone();
            ctx.after_hooks.push(Rc::new(move |ctx: &mut TestContext| hook(ctx)));
        }
        failure = lifecycle(test, &mut ctx, args, &mut iterations).err();
    }
    if let Err(e) = ctx.flush_perf_values() {
        failure.get_or_insert((Failure::from(e), Phase::Cleanup));
    }
    for hook in &job.inner.hooks.after_test {
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
    let verdict = Verdict::from_failure(failure.as_ref(), iterations, ctx.profiled_iteration);
    if let Some(tmpdir) = ctx.made_tmpdir() {
        let _ = fs::remove_dir_all(tmpdir);
    }
    let data = RecordData {
        chart: std::mem::take(&mut ctx.chart),
        keyvals: std::mem::take(&mut ctx.test_keyvals),
        perf_keyvals: {
            let (block, perf_at) = &ctx.last_perf_block;
            parse_iterations(block.get(*perf_at..).unwrap_or_default()).pop().map(|i| i.perf).unwrap_or_default()
        },
    };
    drop(ctx);
    drop(log);
    Ran { verdict, data }
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
fn lifecycle(test: &mut dyn Autotest, ctx: &mut TestContext, args: &Args, iterations: &mut u64) -> Step {
    let info = test.info();
    let job = ctx.job().clone();
    if info.network_destabilizing() {
        job.disable_warnings("NETWORK");
    }
    let result = (|| {
        test_keyval(test, args, ctx).map_err(|e| (Failure::from(e), Phase::Initialize))?;
        let engine = validate(info, args).map_err(|e| (Failure::error(e.to_string()), Phase::Initialize))?;
        let run_cleanup = engine.run_cleanup.unwrap_or(job.inner.run_test_cleanup);
        ctx.track_perf = !engine.constraints.is_empty();
        let plan = Plan {
            iterations: engine.iterations,
            test_length: engine.test_length,
            profile_only: engine.profile_only.unwrap_or(job.inner.default_profile_only),
            postprocess_profiled_run: engine.postprocess_profiled_run,
            constraints: &engine.constraints,
        };
        // What each phase sees, as in autotest: never the job's own arguments, and
        // around each iteration not those the base `execute` consumes either.
        let phase_args = args.without(&[&JOB_ARGS]);
        let iteration_args = args.without(&[&JOB_ARGS, &EXECUTE_ARGS]);
        let body = phases(test, ctx, &phase_args, &iteration_args, &plan, iterations);
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
        job.enable_warnings("NETWORK");
    }
    result
}

fn phases(
    test: &mut dyn Autotest,
    ctx: &mut TestContext,
    args: &Args,
    iteration_args: &Args,
    plan: &Plan<'_>,
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
        execute(test, ctx, iteration_args, plan, iterations)
    };
    phase_end(ctx, Phase::Execute, result)
}
