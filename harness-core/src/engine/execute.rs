//! The engine's `execute`: iterations (or a minimum `test_length`), each retried on
//! `fail_retry`, hooks around each, constraints after each, then the extra profiled
//! iteration, `postprocess`, and the constraint verdict.

use std::fmt::Write as _;
use std::time::Duration;

use super::job_core::JobCore;
use super::phase::{call, guarded};
use crate::args::Args;
use crate::constraint::Constraint;
use crate::context::TestContext;
use crate::debuglog::note;
use crate::definition::Autotest;
use crate::event::{Event, IterationValues, ProfilerQuery};
use crate::failure::{Failure, TestResult};
use crate::phase::Phase;
use crate::results::formats::pyfmt::float_repr;
use crate::results::formats::status_entry::StatusCode;

/// How `execute` runs: the engine arguments that shape the loop.
#[derive(Debug)]
pub(crate) struct Schedule<'a> {
    pub(crate) iterations: Option<u64>,
    /// Iterations run first and thrown away: at least this many...
    pub(crate) warmup_iterations: u64,
    /// ...and for at least this many seconds.
    pub(crate) warmup_time: f64,
    /// How often an iteration failing with `fail_retry` runs again.
    pub(crate) retries: u32,
    pub(crate) test_length: Option<f64>,
    pub(crate) profile_only: bool,
    pub(crate) postprocess_profiled_run: Option<bool>,
    pub(crate) constraints: &'a [Constraint],
}

/// What the loop needs on every iteration.
struct Run<'a> {
    job: &'a JobCore,
    test: &'a mut dyn Autotest,
    args: &'a Args,
    schedule: &'a Schedule<'a>,
    /// Per checked keyval block, autotest's messages for its failed constraints.
    failed_constraints: Vec<Vec<String>>,
    /// The same failures as a person reads them, with the iteration and values.
    constraint_summaries: Vec<String>,
}

fn cancelled(job: &JobCore) -> TestResult {
    match job.cancel.failure() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// Runs the test's iterations; `started` counts the iterations begun.
pub(crate) fn execute(
    job: &JobCore,
    test: &mut dyn Autotest,
    ctx: &mut TestContext,
    args: &Args,
    schedule: &Schedule<'_>,
    started: &mut u64,
) -> TestResult {
    if job.profilers_query(ProfilerQuery::Active) {
        job.profilers().stop(ctx)?;
    }
    if schedule.retries != 0 {
        note(&format!("Test will be retried a maximum of {} times", schedule.retries));
    }
    let mut run = Run { job, test, args, schedule, failed_constraints: Vec::new(), constraint_summaries: Vec::new() };
    run.warm_up(ctx)?;
    match schedule.test_length.filter(|length| *length > 0.0) {
        Some(length) => {
            if schedule.iterations.is_some() {
                note("Iterations parameter ignored (timed execution)");
            }
            note(&format!("Test started. Specified {length} s as the minimum test length"));
            let start = run.job.now();
            let mut elapsed = 0.0;
            while elapsed < length {
                cancelled(run.job)?;
                ctx.iteration += 1;
                *started += 1;
                ctx.this_iteration = IterationValues::default();
                run.once_with_retry(ctx)?;
                elapsed = run.job.now() - start;
                run.job.emit(&Event::IterationFinished {
                    subdir: ctx.subdir(),
                    iteration: ctx.iteration,
                    planned: None,
                    test_length: Some(length),
                    elapsed: Some(Duration::try_from_secs_f64(elapsed).unwrap_or_default()),
                    values: &ctx.this_iteration,
                });
            }
            note(&format!("Test finished after {} iterations, time elapsed: {elapsed:.3} s", ctx.iteration));
        }
        None => {
            let count = schedule.iterations.unwrap_or(1);
            if count > 1 {
                note(&format!("Test started. Specified {count} iterations"));
            }
            for iteration in 1..=count {
                cancelled(run.job)?;
                ctx.iteration = iteration;
                *started += 1;
                ctx.this_iteration = IterationValues::default();
                run.once_with_retry(ctx)?;
                // No clock read here: a counted run's progress needs none.
                run.job.emit(&Event::IterationFinished {
                    subdir: ctx.subdir(),
                    iteration,
                    planned: Some(count),
                    test_length: None,
                    elapsed: None,
                    values: &ctx.this_iteration,
                });
            }
        }
    }
    if !schedule.profile_only {
        ctx.iteration += 1;
        ctx.profiled_run = true;
        let profiled = run.profiled(ctx);
        ctx.profiled_run = false;
        profiled?;
    }
    cancelled(run.job)?;
    call(run.test, Phase::Postprocess, ctx, args)?;
    run.verdict()
}

impl Run<'_> {
    /// The warm-up: iterations with their hooks, before the measured ones,
    /// until both `warmup_iterations` and `warmup_time` are reached; what they
    /// record is checked and thrown away, and no constraint is checked. A
    /// failure fails the test, as in any iteration. Said in the status log.
    fn warm_up(&mut self, ctx: &mut TestContext) -> TestResult {
        let (count, length) = (self.schedule.warmup_iterations, self.schedule.warmup_time);
        if count == 0 && length <= 0.0 {
            return Ok(());
        }
        let start = self.job.now();
        ctx.warmup = true;
        ctx.iteration = 0;
        let mut warmed = Ok(());
        while ctx.warmup_iterations < count || self.job.now() - start < length {
            warmed = cancelled(self.job).and_then(|()| {
                ctx.warmup_iterations += 1;
                self.once(ctx)
            });
            if warmed.is_err() {
                break;
            }
        }
        ctx.warmup = false;
        let seconds = self.job.now() - start;
        let said = format!(
            "warm-up: {} iteration{} in {seconds:.3} s, not measured",
            ctx.warmup_iterations,
            if ctx.warmup_iterations == 1 { "" } else { "s" }
        );
        note(&said);
        self.job.record(StatusCode::Info, None, None, &said)?;
        warmed
    }

    /// autotest's `_call_run_once_with_retry`.
    fn once_with_retry(&mut self, ctx: &mut TestContext) -> TestResult {
        let max = self.schedule.retries;
        let mut retry = 0;
        loop {
            match self.once(ctx) {
                Ok(()) => break,
                Err(failure) if failure.is_retryable() && retry < max => {
                    self.job.record(
                        StatusCode::Info,
                        None,
                        None,
                        &format!("Run {retry} failed with {}", failure.message()),
                    )?;
                    retry += 1;
                }
                Err(failure) => return Err(failure),
            }
        }
        if retry > 0 {
            ctx.write_test_keyval([("test_retries_before_success", retry)])?;
        }
        Ok(())
    }

    /// autotest's `_call_run_once`: drop caches, before-hooks, the body, and the
    /// after-hooks in reverse order, always.
    fn once(&mut self, ctx: &mut TestContext) -> TestResult {
        if self.job.settings.drop_caches_between_iterations {
            self.job.drop_caches();
        }
        // The hooks are taken out of the context while they run (a hook gets
        // the context), not cloned: two atomic operations per hook and call
        // were most of the loop's cost. A hook registered meanwhile runs from
        // the next iteration on.
        let hooks = std::mem::take(&mut ctx.before_hooks);
        let before = hooks.iter().try_for_each(|hook| guarded(|| hook(ctx)));
        put_back(&mut ctx.before_hooks, hooks);
        before?;
        let body = self.body(ctx);
        let mut after = Ok(());
        let hooks = std::mem::take(&mut ctx.after_hooks);
        for hook in hooks.iter().rev() {
            if let Err(failure) = guarded(|| hook(ctx)) {
                note(&format!("after-iteration hook failed: {}", failure.full_text()));
                if after.is_ok() {
                    after = Err(failure);
                }
            }
        }
        put_back(&mut ctx.after_hooks, hooks);
        let flushed = ctx.flush_perf_values_if_due().map_err(Failure::from);
        body.and(after).and(flushed)
    }

    fn body(&mut self, ctx: &mut TestContext) -> TestResult {
        // A warm-up iteration is never profiled.
        if self.schedule.profile_only && !ctx.warmup {
            if !self.job.profilers_query(ProfilerQuery::Present) {
                self.job.record(
                    StatusCode::Status(crate::status::Status::Warn),
                    None,
                    None,
                    "No profilers have been added but profile_only is set - nothing will be run",
                )?;
            }
            self.profiled(ctx)?;
        } else {
            call(self.test, Phase::BeforeRunOnce, ctx, self.args)?;
            call(self.test, Phase::RunOnce, ctx, self.args)?;
            call(self.test, Phase::AfterRunOnce, ctx, self.args)?;
        }
        call(self.test, Phase::PostprocessIteration, ctx, self.args)?;
        if !ctx.warmup {
            self.analyze_constraints(ctx);
        }
        Ok(())
    }

    /// autotest's `run_once_profiling`: nothing without profilers; otherwise
    /// `run_once` between the profilers' start and stop, and their report.
    fn profiled(&mut self, ctx: &mut TestContext) -> TestResult {
        if !self.job.profilers_query(ProfilerQuery::Present) {
            return Ok(());
        }
        if ctx.profiled_run {
            ctx.profiled_iteration = Some(ctx.iteration);
        }
        if self.job.settings.drop_caches_between_iterations {
            self.job.drop_caches();
        }
        guarded(|| Ok(self.job.profilers().before_start(ctx)?))?;
        call(self.test, Phase::BeforeRunOnce, ctx, self.args)?;
        guarded(|| Ok(self.job.profilers().start(ctx)?))?;
        note("Profilers present. Profiling run started");
        let postprocess = self.schedule.postprocess_profiled_run.unwrap_or(self.test.info().postprocess_profiled_run());
        let body = call(self.test, Phase::RunOnce, ctx, self.args).and_then(|()| {
            if postprocess { call(self.test, Phase::PostprocessIteration, ctx, self.args) } else { Ok(()) }
        });
        let stopped = guarded(|| Ok(self.job.profilers().stop(ctx)?));
        let reported = guarded(|| Ok(self.job.profilers().report(ctx)?));
        body.and(stopped).and(reported)?;
        call(self.test, Phase::AfterRunOnce, ctx, self.args)
    }

    /// autotest's `analyze_perf_constraints`: only after a new keyval block, against
    /// its perf values.
    fn analyze_constraints(&mut self, ctx: &mut TestContext) {
        if !ctx.iteration_keyvals.take_new_block() {
            return;
        }
        let mut failures = Vec::new();
        for constraint in self.schedule.constraints {
            let baseline = self.job.settings.baseline.get(ctx.subdir());
            let value = |name: &str| match name.strip_prefix("baseline(").and_then(|n| n.strip_suffix(')')) {
                Some(metric) => baseline.and_then(|b| b.get(metric).copied()),
                None => ctx.iteration_keyvals.last_perf(name),
            };
            let (autotest, summary) = match constraint.evaluate(&value) {
                Some(true) => continue,
                Some(false) => {
                    let measured: Vec<String> = constraint
                        .names()
                        .filter_map(|name| value(name).map(|v| format!("{name} = {}", shown_number(v))))
                        .collect();
                    (
                        format!("{constraint}: constraint was not met"),
                        format!("{constraint} not met ({})", measured.join(", ")),
                    )
                }
                None => {
                    let missing: Vec<&str> = constraint.names().filter(|name| value(name).is_none()).collect();
                    let why = if missing.is_empty() {
                        "it divides by zero".to_owned()
                    } else {
                        format!("no perf value `{}` in this iteration", missing.join("`, `"))
                    };
                    (
                        format!("could not evaluate constraint: {constraint}"),
                        format!("could not evaluate `{constraint}`: {why}"),
                    )
                }
            };
            let summary = format!("iteration {}: {summary}", ctx.iteration);
            note(&format!("constraint `{constraint}`: {summary}"));
            failures.push(autotest);
            self.constraint_summaries.push(summary);
        }
        self.failed_constraints.push(failures);
    }

    /// autotest's `process_failed_constraints`: one TestFail listing every block
    /// that failed, numbered from 0 in the order the blocks were checked.
    fn verdict(&self) -> TestResult {
        let mut message = String::new();
        for (index, failures) in self.failed_constraints.iter().enumerate() {
            if !failures.is_empty() {
                let _ = write!(message, "iteration {index}:{}  ", failures.join(","));
            }
        }
        if message.is_empty() {
            return Ok(());
        }
        // Its place is the constraints (noted in the debug log), not a line of code.
        Err(Failure::fail(message).with_summary(self.constraint_summaries.join("; ")).without_location())
    }
}

/// Puts `hooks` back in `slot`, before any registered while they ran.
fn put_back<T>(slot: &mut Vec<T>, hooks: Vec<T>) {
    let added = std::mem::replace(slot, hooks);
    slot.extend(added);
}

/// A measured value as a person reads it: `812.4`, `3`, `1e+16`.
fn shown_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.0}") } else { float_repr(value) }
}
