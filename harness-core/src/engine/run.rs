//! One `run_test`: name and directories, START, hooks, the lifecycle, the status
//! line and END, and the record of it all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::execute::{Schedule, execute};
use super::job_core::JobCore;
use super::phase::{call, guarded};
use super::setup::setup_once;
use crate::args::Args;
use crate::context::TestContext;
use crate::context::{TestDirs, describe_args};
use crate::debuglog::{TestLog, note};
use crate::definition::Autotest;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::failure::{Failure, TestResult};
use crate::names::{NameParts, Naming, naming};
use crate::phase::Phase;
use crate::results::pyfmt::{float_repr, value_repr, value_str};
use crate::results::{Outcome, RecordData, StatusCode, StatusEntry, TestRecord, read_blocks, split_lines};
use crate::schema::TestInfo;
use crate::status::Status;
use crate::validate::{Checked, EXECUTE_ARGS, JOB_ARGS, check};

/// A test whose output directory exists and whose START line is written. If
/// it is dropped before [`finish`] (a panic in harness itself), its group is
/// closed as ABORT, never left open or GOOD.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) info: &'static TestInfo,
    /// The run's arguments as given (`--rerun-failed` gives them again).
    pub(crate) args: Args,
    pub(crate) naming: Naming,
    /// The variant run (`small` of `file_io.small`), if any.
    pub(crate) variant: Option<&'static str>,
    pub(crate) outputdir: PathBuf,
    /// The run's arguments, checked once: the engine's own parsed, and every problem.
    pub(crate) checked: Checked,
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    /// The job whose group this run opened, until `finish` closes it.
    open: Option<Arc<JobCore>>,
    /// Why the test's own `status.log` did not take the START the job's did.
    start_lost: Option<Error>,
}

impl Prepared {
    /// A run prepared by another process (a child's parent).
    pub(crate) fn resume(info: &'static TestInfo, naming: Naming, outputdir: PathBuf, args: &Args) -> Self {
        Prepared {
            info,
            args: args.clone(),
            naming,
            variant: None,
            outputdir,
            checked: check(info, args),
            started: chrono::Utc::now(),
            clock: Instant::now(),
            open: None,
            start_lost: None,
        }
    }

    /// The run's `timeout`, in seconds.
    pub(crate) fn timeout(&self) -> Option<f64> {
        self.checked.engine.timeout
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(core) = self.open.take() {
            let reason = "the run ended without a verdict: harness itself failed";
            let (subdir, operation) = (Some(self.naming.subdir.as_str()), Some(self.naming.operation.as_str()));
            let _ = core.record(StatusCode::Status(Status::Abort), subdir, operation, reason);
            let _ = core.record(StatusCode::End(Status::Abort), subdir, operation, "");
        }
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

/// Runs one test from START to END and records it.
///
/// In a job that isolates its tests, the body runs in a child process (when the
/// test is registered, so that the child can find it by name).
pub(crate) fn run(
    core: &Arc<JobCore>,
    mut test: Box<dyn Autotest>,
    args: Args,
    variant: Option<&'static str>,
) -> Result<Arc<TestRecord>> {
    let info = test.info();
    let mut prepared = prepare(core, info, &args, variant)?;
    if let Some(error) = prepared.start_lost.take() {
        // The job's log has the START, the test's own does not (a full disk):
        // the run ends here, ERROR naming why, never a second START.
        return finish(core, prepared, &Verdict::of(Status::Error, error.to_string()), RecordData::default());
    }
    let registered = crate::registry::find(info.name()).is_some_and(|r| std::ptr::eq(r.info(), info));
    match &core.isolation {
        Some(isolation) if registered => {
            let isolated = isolation.run_body(core, &prepared, &args);
            for record in isolated.records {
                core.push_record(Arc::new(record));
            }
            let data = RecordData::read(&prepared.outputdir, &isolated.kinds);
            finish(core, prepared, &isolated.verdict, data)
        }
        _ => {
            let Ran { verdict, data } = body(core, test.as_mut(), &args, &prepared);
            finish(core, prepared, &verdict, data)
        }
    }
}

/// Records a planned test that could not start (its name cannot be a
/// directory, its output directory cannot be made): START, ERROR with the
/// reason, END, so that it is counted and never silently skipped.
#[cfg(feature = "cli")]
pub(crate) fn unrunnable(core: &JobCore, test: &str, subdir: Option<&str>, reason: &str) -> Result<Arc<TestRecord>> {
    // A column that cannot be written as given is written without it.
    let column =
        |text: &str| StatusEntry::new(StatusCode::Start, None, Some(text), "").is_ok().then(|| text.to_owned());
    let operation = column(test);
    let subdir = subdir.and_then(column);
    for (code, message) in
        [(StatusCode::Start, ""), (StatusCode::Status(Status::Error), reason), (StatusCode::End(Status::Error), "")]
    {
        core.record(code, subdir.as_deref(), operation.as_deref(), message)?;
    }
    let now = chrono::Utc::now();
    let outcome = Outcome {
        test: test.to_owned(),
        variant: None,
        tag: None,
        subdir: subdir.unwrap_or_else(|| test.to_owned()),
        status: Status::Error,
        reason: reason.to_owned(),
        summary: None,
        raised_at: None,
        profiled_iteration: None,
        start: Some(now),
        end: Some(now),
        duration: 0.0,
        iterations: 0,
        outputdir: core.settings.resultdir.clone(),
        subtests: Vec::new(),
        attrs: Vec::new(),
        contacts: Vec::new(),
        args: serde_json::Map::new(),
    };
    let record = Arc::new(TestRecord::new(outcome, RecordData::default()));
    core.emit(&Event::TestFinished(&record));
    core.push_record(Arc::clone(&record));
    Ok(record)
}

/// Names the run, creates its output directory and writes START. The START
/// line of a variant's run says what its operation column cannot: which part
/// of the tag is the variant (`variant=small`).
pub(crate) fn prepare(
    core: &Arc<JobCore>,
    info: &'static TestInfo,
    args: &Args,
    variant: Option<&'static str>,
) -> Result<Prepared> {
    let checked = check(info, args);
    if let Some(errors) = checked.naming_errors() {
        return Err(Error::Args(errors));
    }
    // The job's group is the first open one: a top-level test is at level 1.
    let depth = core.indent();
    if depth > crate::names::MAX_DEPTH {
        return Err(Error::TooDeep { test: info.name().to_owned(), depth });
    }
    let engine = &checked.engine;
    let settings = &core.settings;
    let sequence = settings.use_sequence_number.then(|| core.next_sequence());
    let naming = naming(
        info.name(),
        NameParts {
            tag: engine.tag.as_deref(),
            sequence,
            automatic_tag: settings.automatic_test_tag.as_deref(),
            subdir_tag: engine.subdir_tag.as_deref(),
            master_testpath: engine.master_testpath.as_deref(),
        },
    )?;
    let outputdir = settings.resultdir.join(&naming.subdir);
    match fs::create_dir(&outputdir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::OutputDirExists { subdir: naming.subdir });
        }
        Err(e) => return Err(Error::io("create", &outputdir, e)),
    }
    let mut start = StatusEntry::new(StatusCode::Start, Some(&naming.subdir), Some(&naming.operation), "")?;
    if let Some(variant) = variant {
        start = start.with_field("variant", variant)?;
    }
    if let Some(timeout) = engine.timeout {
        start = start.with_field("timeout", &seconds_text(timeout))?;
    }
    // Once the job's log has the START, this run ends with a status line and END.
    let start_lost = core.logger.record_partly(&start)?;
    core.emit(&Event::TestStarted { test: info.name(), subdir: &naming.subdir });
    Ok(Prepared {
        info,
        args: args.clone(),
        naming,
        variant,
        outputdir,
        checked,
        started: chrono::Utc::now(),
        clock: Instant::now(),
        open: Some(Arc::clone(core)),
        start_lost,
    })
}

/// Writes the status line and END, and records the run. Once START is in
/// the job's log this never fails: a status line the job's log cannot take
/// (a full disk) makes the END `END ERROR` naming why, and the record ERROR;
/// an END it cannot take leaves the group open, which the job's own END (or
/// any reader) closes as ABORT. Never GOOD either way.
pub(crate) fn finish(
    core: &JobCore,
    mut prepared: Prepared,
    verdict: &Verdict,
    data: RecordData,
) -> Result<Arc<TestRecord>> {
    prepared.open = None;
    let info = prepared.info;
    let test = info.name();
    let naming = prepared.naming.clone();
    let outputdir = prepared.outputdir.clone();
    let (started, clock) = (prepared.started, prepared.clock);
    let (subdir, operation) = (Some(naming.subdir.as_str()), Some(naming.operation.as_str()));
    let (status, reason) =
        match core.record_partly(StatusCode::Status(verdict.status), subdir, operation, &verdict.reason) {
            Ok(own_log) => {
                if let Some(error) = own_log {
                    core.emit(&Event::Notice { subdir: &naming.subdir, text: &error.to_string() });
                }
                (verdict.status, verdict.reason.clone())
            }
            Err(error) => {
                let status = if verdict.status == Status::Abort { Status::Abort } else { Status::Error };
                let first = split_lines(&verdict.reason).first().copied().unwrap_or("").to_owned();
                (status, format!("its status line could not be written: {error}\nit ended {} {first}", verdict.status))
            }
        };
    let end_message = if status == verdict.status { String::new() } else { split_lines(&reason)[0].to_owned() };
    if let Err(error) = core.record_partly(StatusCode::End(status), subdir, operation, &end_message) {
        core.emit(&Event::Notice { subdir: &naming.subdir, text: &format!("its END could not be written: {error}") });
    }
    let mut outcome = Outcome {
        test: test.to_owned(),
        variant: prepared.variant.map(str::to_owned),
        tag: naming.tag,
        subdir: naming.subdir,
        status,
        reason,
        summary: verdict.summary.clone(),
        raised_at: verdict.raised_at.clone(),
        profiled_iteration: verdict.profiled_iteration,
        start: Some(started),
        end: Some(chrono::Utc::now()),
        duration: clock.elapsed().as_secs_f64(),
        iterations: verdict.iterations,
        outputdir,
        subtests: Vec::new(),
        attrs: info.attrs().iter().map(ToString::to_string).collect(),
        contacts: info.contacts().iter().map(ToString::to_string).collect(),
        args: prepared.args.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect(),
    };
    // The test's verdict is its group's, rolled up as TKO rolls it up: a failed
    // subtest or a WARN line inside it makes it worse.
    if let Some((rolled, rolled_reason)) = core.logger.take_closed() {
        let own_line = StatusEntry::new(StatusCode::Status(status), None, None, &outcome.reason)?;
        if rolled != status || rolled_reason != own_line.message() {
            let details = split_lines(&outcome.reason).into_iter().skip(1).collect::<Vec<_>>().join("\n");
            outcome.status = rolled;
            outcome.summary = Some(rolled_reason.clone());
            outcome.reason = if details.is_empty() { rolled_reason } else { format!("{rolled_reason}\n{details}") };
        }
    }
    let shown =
        outcome.summary.as_deref().unwrap_or_else(|| split_lines(&outcome.reason).first().copied().unwrap_or(""));
    if let Some(loss) = crate::context::reason_loss(shown) {
        let text = format!("{loss} (TKO's `tko_tests.reason` column)");
        log::warn!("{text}");
        core.emit(&Event::Notice { subdir: &outcome.subdir, text: &text });
    }
    outcome.subtests = core.take_records_under(&outcome.subdir);
    let record = Arc::new(TestRecord::new(outcome, data));
    core.emit(&Event::TestFinished(&record));
    core.push_record(Arc::clone(&record));
    Ok(record)
}

/// `60` for whole seconds, else the shortest form (`0.5`).
fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 && seconds < 1e15 { format!("{seconds:.0}") } else { float_repr(seconds) }
}

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
/// lifecycle, the perf chart written out, the tmpdir removed.
pub(crate) fn body(core: &JobCore, test: &mut dyn Autotest, args: &Args, prepared: &Prepared) -> Ran {
    let info = test.info();
    let naming = &prepared.naming;
    let mut iterations = 0;
    let srcdir = super::setup::srcdir_name(info, &args.without(&[&JOB_ARGS]));
    let dirs = match make_dirs(core, naming, &prepared.outputdir, info.name(), &srcdir) {
        Ok(dirs) => dirs,
        Err(e) => return Ran { verdict: Verdict::of(Status::Error, e.to_string()), data: RecordData::default() },
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
        failure = lifecycle(core, test, &mut ctx, args, &prepared.checked, &mut iterations).err();
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
    let verdict = Verdict::from_failure(failure.as_ref(), iterations, ctx.profiled_iteration);
    if let Some(tmpdir) = ctx.made_tmpdir() {
        let _ = fs::remove_dir_all(tmpdir);
    }
    let data = RecordData {
        chart: ctx.chart.take(),
        keyvals: std::mem::take(&mut ctx.test_keyvals),
        perf_keyvals: ctx.iteration_keyvals.last_perf_values(),
        blocks: read_blocks(&prepared.outputdir, ctx.iteration_keyvals.kinds()),
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
        let run_cleanup = engine.run_cleanup.unwrap_or(core.settings.run_test_cleanup);
        let schedule = Schedule {
            iterations: engine.iterations,
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
