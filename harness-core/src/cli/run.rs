//! `run`: plan (a control file, or one test from the command line, validated
//! whole), job (a results directory claimed, each test isolated in a child
//! process), loop (every planned test run in order, until interrupted).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::command::RunArgs;
use super::console::{Console, Reporter};
use super::control::{self, ControlFile, JobOptions, Plan, TestEntry};
use super::error::{CliError, Problem};
use super::progress::Progress;
use super::{EXIT_FAILED, EXIT_OK, usage_errors};
use crate::cancel::CancelToken;
use crate::job::Job;
use crate::profiler::ProfilerSpec;
use crate::settings::Isolation;

/// A number of seconds from the command line: finite and not negative (zero
/// only where `zero` allows it), or an error naming the option.
fn checked_seconds(option: &'static str, seconds: Option<f64>, zero: bool) -> Result<(), CliError> {
    match seconds {
        Some(seconds) if !seconds.is_finite() => Err(CliError::SecondsNotFinite { option, seconds }),
        Some(seconds) if seconds < 0.0 || (!zero && seconds == 0.0) => Err(CliError::SecondsOutOfRange {
            option,
            expected: if zero { "non-negative" } else { "positive" },
            seconds,
        }),
        _ => Ok(()),
    }
}

/// The plan of `run TEST ...`: a control file with one entry.
fn single_test_control(args: &RunArgs, test: &str) -> Result<ControlFile, Vec<Problem>> {
    let mut test_args = serde_json::Map::new();
    let mut problems = Vec::new();
    for text in &args.args {
        match control::parse_cli_arg(text) {
            Ok((name, value)) => {
                if test_args.insert(name.clone(), value).is_some() {
                    problems.push(CliError::ArgTwice { name }.into());
                }
            }
            Err(e) => problems.push(e.into()),
        }
    }
    for (option, seconds, zero) in [("--test-length", args.test_length, true), ("--timeout", args.timeout, false)] {
        if let Err(e) = checked_seconds(option, seconds, zero) {
            problems.push(e.into());
        }
    }
    let mut engine = |name: &str, value: Value| {
        test_args.insert(name.to_owned(), value);
    };
    if let Some(n) = args.iterations {
        engine("iterations", n.into());
    }
    if let Some(secs) = args.test_length {
        engine("test_length", secs.into());
    }
    if args.profile_only {
        engine("profile_only", true.into());
    }
    if !args.constraints.is_empty() {
        engine("constraints", args.constraints.clone().into());
    }
    if let Some(secs) = args.timeout {
        engine("timeout", secs.into());
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ControlFile {
        job: JobOptions { test_retry: args.retries, ..JobOptions::default() },
        profilers: args.profilers.iter().map(|p| ProfilerSpec::parse_cli(p)).collect(),
        tests: vec![TestEntry { test: test.to_owned(), tag: args.tag.clone(), args: Value::Object(test_args) }],
        from_command_line: true,
    })
}

fn plan(args: &RunArgs) -> Result<Plan, Vec<Problem>> {
    let mut control = match (&args.control, &args.test) {
        (Some(path), _) => control::load(path).map_err(|e| vec![e.into()])?,
        (None, Some(test)) => single_test_control(args, test)?,
        (None, None) => return Err(vec![CliError::NothingToRun.into()]),
    };
    if args.control.is_some() {
        control.profilers.extend(args.profilers.iter().map(|p| ProfilerSpec::parse_cli(p)));
        if args.retries.is_some() {
            control.job.test_retry = args.retries;
        }
    }
    checked_seconds("--grace", Some(args.grace), true).map_err(|e| vec![e.into()])?;
    control::plan(control)
}

/// The default results root.
const RESULTS_ROOT: &str = "results";

/// Makes `./results/<tag>` or `./results/<time>`, with `.1`, `.2`, ... appended
/// when that name is taken: each name is tried with an exclusive `mkdir`, so
/// runs started at once never share a directory.
fn make_default_resultdir(tag: Option<&str>) -> Result<PathBuf, CliError> {
    let base = tag.map_or_else(|| chrono::Local::now().format("%Y-%m-%d_%H-%M-%S").to_string(), str::to_owned);
    let root = Path::new(RESULTS_ROOT);
    std::fs::create_dir_all(root).map_err(|source| CliError::CreateDir { path: root.to_owned(), source })?;
    let mut n = 0u64;
    loop {
        let dir = if n == 0 { root.join(&base) } else { root.join(format!("{base}.{n}")) };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(source) => return Err(CliError::CreateDir { path: dir, source }),
        }
    }
}

/// Points `results/latest` at `dir` (a relative symlink, replaced atomically).
fn point_latest_at(dir: &Path) {
    let (Some(name), Some(root)) = (dir.file_name(), dir.parent()) else { return };
    let temp = root.join(format!(".latest.{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let made = std::os::unix::fs::symlink(name, &temp).and_then(|()| std::fs::rename(&temp, root.join("latest")));
    if let Err(e) = made {
        let _ = std::fs::remove_file(&temp);
        eprintln!("note: cannot point `{}` at this run: {e}", root.join("latest").display());
    }
}

/// `run`: exit status 0 when every test ended GOOD, WARN or TEST_NA, 1 when
/// one did not (or one could not run, or the job was interrupted), 2 when
/// nothing ran.
pub(crate) fn run(args: &RunArgs, console: Console) -> i32 {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(problems) => return usage_errors(&problems),
    };
    let (resultdir, default_dir) = match &args.results {
        Some(dir) => (dir.clone(), false),
        None => match make_default_resultdir(plan.job.tag.as_deref()) {
            Ok(dir) => (dir, true),
            Err(e) => return usage_errors(&[e.into()]),
        },
    };
    let cancel = CancelToken::new();
    let reporter = Arc::new(Reporter::new(console, plan.tests.len(), &resultdir));
    let grace = Duration::try_from_secs_f64(args.grace).unwrap_or(Duration::MAX);
    let mut builder = Job::builder(&resultdir)
        .cancel_token(cancel.clone())
        .isolation(Isolation::Process { grace, child_args: Vec::new() })
        .observer(reporter.clone());
    if !args.quiet {
        builder = builder.observer(Arc::new(Progress::new()));
    }
    if let Some(state) = &args.state_dir {
        builder = builder.state_dir(state);
    }
    let options = &plan.job;
    if let Some(tag) = &options.tag {
        builder = builder.tag(tag.clone());
    }
    builder = builder
        .test_retry(options.test_retry.unwrap_or(0))
        .drop_caches_between_iterations(options.drop_caches_between_iterations.unwrap_or(false))
        .default_profile_only(options.default_profile_only.unwrap_or(false))
        .run_test_cleanup(options.run_test_cleanup.unwrap_or(true));
    for profiler in &plan.profilers {
        builder = builder.profiler_spec(profiler.clone());
    }
    let job = match builder.build() {
        Ok(job) => job,
        Err(e) => {
            if default_dir {
                let _ = std::fs::remove_dir(&resultdir);
            }
            return usage_errors(&[CliError::from(e).into()]);
        }
    };
    if default_dir {
        point_latest_at(&resultdir);
    }
    let _signals = crate::signal::watch_job(&cancel);
    reporter.say(&format!("results: {}", resultdir.display()));
    for planned in &plan.tests {
        if cancel.is_cancelled() {
            break;
        }
        let name = planned.registration.info().name();
        if let Err(e) = job.run_test(name, planned.args.clone()) {
            // Validated, and still it could not start (the disk, a race): ERROR, counted.
            if let Err(e) = crate::engine::unrunnable(job.core(), name, Some(&planned.subdir), &e.to_string()) {
                eprintln!("error: {}{e}", planned.place);
            }
        }
    }
    let summary = match job.complete() {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    };
    let all_ran = summary.records().iter().filter(|r| !r.subdir.contains('/')).count() >= plan.tests.len();
    if summary.has_failures() || !all_ran { EXIT_FAILED } else { EXIT_OK }
}
