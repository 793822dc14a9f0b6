//! `run`: plan (a control file, or one test from the command line, validated
//! whole), job (a results directory claimed, each test isolated in a child
//! process), loop (every planned test run in order, until interrupted).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::command::RunArgs;
use super::control::{self, ControlFile, JobOptions, Plan, TestEntry};
use super::error::{CliError, Problem};
use super::exit::{EXIT_FAILED, EXIT_OK, usage_errors};
use super::outputs;
use super::progress::Progress;
use super::reporter::Reporter;
use super::select;
use crate::cancel::CancelToken;
use crate::compare;
use crate::console::{ColorChoice, Console, print_out};
use crate::job::Job;
use crate::profiler::ProfilerSpec;
use crate::results::EventsCopy;
use crate::settings::Isolation;
use crate::shard::Part;

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

/// The engine options of the command line (`--iterations`, `--test-length`,
/// `--warmup-iterations`, `--warmup-time`, `--profile-only`, `--constraint`,
/// `--timeout`, `--retries`), as arguments.
fn engine_options(args: &RunArgs) -> Result<serde_json::Map<String, Value>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (option, seconds, zero) in [
        ("--test-length", args.test_length, true),
        ("--warmup-time", args.warmup_time, true),
        ("--timeout", args.timeout, false),
    ] {
        if let Err(e) = checked_seconds(option, seconds, zero) {
            problems.push(e.into());
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut options = serde_json::Map::new();
    if let Some(n) = args.iterations {
        options.insert("iterations".to_owned(), n.into());
    }
    if let Some(secs) = args.test_length {
        options.insert("test_length".to_owned(), secs.into());
    }
    if let Some(n) = args.warmup_iterations {
        options.insert("warmup_iterations".to_owned(), n.into());
    }
    if let Some(secs) = args.warmup_time {
        options.insert("warmup_time".to_owned(), secs.into());
    }
    if args.profile_only {
        options.insert("profile_only".to_owned(), true.into());
    }
    if let Some(cpus) = &args.cpus {
        options.insert("cpus".to_owned(), cpus.clone().into());
    }
    if args.parallel {
        options.insert("parallel".to_owned(), true.into());
    }
    if !args.constraints.is_empty() {
        options.insert("constraints".to_owned(), args.constraints.clone().into());
    }
    if let Some(secs) = args.timeout {
        options.insert("timeout".to_owned(), secs.into());
    }
    if let Some(retries) = args.retries {
        options.insert("retries".to_owned(), retries.into());
    }
    Ok(options)
}

/// The plan of `run TEST...`: one entry per test, each with the command
/// line's `--arg`s, engine options and tag.
fn command_line_control(args: &RunArgs, tests: Vec<String>) -> Result<ControlFile, Vec<Problem>> {
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
    match engine_options(args) {
        Ok(options) => test_args.extend(options),
        Err(more) => problems.extend(more),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let tests = tests
        .into_iter()
        .map(|test| TestEntry { test, tag: args.tag.clone(), args: Value::Object(test_args.clone()) })
        .collect();
    Ok(ControlFile {
        job: JobOptions::default(),
        profilers: args.profilers.iter().map(|p| ProfilerSpec::parse_cli(p)).collect(),
        tests,
        from_command_line: true,
    })
}

/// What the command line asks to run, before `--select` narrows it.
fn requested(args: &RunArgs) -> Result<Option<ControlFile>, Vec<Problem>> {
    let one = |e: CliError| vec![Problem::from(e)];
    if let Some(path) = &args.control {
        return control::load(path).map(Some).map_err(one);
    }
    if let Some(dir) = &args.rerun_failed {
        let tests = select::failed_entries(dir).map_err(one)?;
        if tests.is_empty() {
            return Ok(None);
        }
        return Ok(Some(ControlFile { tests, ..ControlFile::default() }));
    }
    let tests = match (args.tests.is_empty(), &args.select) {
        (false, _) => select::names(&args.tests).map_err(one)?,
        (true, Some(_)) => select::all_names(),
        (true, None) => return Err(one(CliError::NothingToRun)),
    };
    command_line_control(args, tests).map(Some)
}

/// The plan, or `None` when `--rerun-failed` finds nothing that failed.
fn plan(args: &RunArgs) -> Result<Option<Plan>, Vec<Problem>> {
    let Some(mut control) = requested(args)? else { return Ok(None) };
    if !control.from_command_line {
        // A control file's or a rerun's entries, with the command line's
        // profilers and engine options (`--retries` among them) on top.
        control.profilers.extend(args.profilers.iter().map(|p| ProfilerSpec::parse_cli(p)));
        let options = engine_options(args)?;
        for entry in &mut control.tests {
            if let Value::Object(entry_args) = &mut entry.args {
                if options.contains_key("iterations") {
                    entry_args.remove("test_length");
                }
                if options.contains_key("test_length") {
                    entry_args.remove("iterations");
                }
                entry_args.extend(options.clone());
            } else if entry.args.is_null() {
                entry.args = Value::Object(options.clone());
            }
        }
    }
    if let Some(text) = &args.select {
        let selection = select::selection(text).map_err(|e| vec![e.into()])?;
        control.tests.retain(|entry| select::selects(&selection, &entry.test));
        if control.tests.is_empty() {
            return Err(vec![CliError::NoneSelected { expr: text.clone() }.into()]);
        }
    }
    checked_seconds("--grace", Some(args.grace), true).map_err(|e| vec![e.into()])?;
    checked_seconds("--device-wait", Some(args.device_wait), true).map_err(|e| vec![e.into()])?;
    control::plan(control).map(Some)
}

/// The default results root.
pub(crate) const RESULTS_ROOT: &str = "results";

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
pub(crate) fn run(args: &RunArgs, color: ColorChoice) -> i32 {
    let events_on_stdout = args.events.as_deref() == Some(Path::new("-"));
    let console =
        if events_on_stdout { Console::on(color, &std::io::stderr()) } else { Console::on(color, &std::io::stdout()) };
    // What is not an event goes to stderr when stdout carries the events.
    let print_out = |text: &str| if events_on_stdout { eprint!("{text}") } else { print_out(text) };
    let mut plan = match plan(args) {
        Ok(Some(plan)) => plan,
        Ok(None) => {
            let dir = args.rerun_failed.as_deref().unwrap_or(Path::new("."));
            print_out(&format!("nothing to rerun: every test in {} ended GOOD, WARN or TEST_NA\n", dir.display()));
            return EXIT_OK;
        }
        Err(problems) => return usage_errors(&problems),
    };
    // Every entry is checked above, so every shard refuses the same bad file.
    let part = match Part::choose(args.shard.as_deref(), args.shard_file.as_deref()) {
        Ok(part) => part,
        Err(e) => return usage_errors(&[CliError::Shard(e).into()]),
    };
    if let Some(part) = &part {
        let planned = plan.tests.len();
        plan.tests.retain(|test| part.holds(&test.run.name()));
        eprintln!("note: {}: {} of {planned} tests", part.label(), plan.tests.len());
    }
    // A baseline to compare with is found before anything runs.
    let baseline = match &args.baseline {
        Some(name) => match compare::load_run(Path::new(RESULTS_ROOT), name) {
            Ok((results, rebuilt)) => {
                if let Some(note) = rebuilt {
                    eprintln!("note: {note}");
                }
                Some(results)
            }
            Err(e) => return usage_errors(&[CliError::from(e).into()]),
        },
        None => None,
    };
    if let Some(name) = &args.save_baseline
        && let Err(e) = compare::baseline_path(Path::new(RESULTS_ROOT), name)
    {
        return usage_errors(&[CliError::from(e).into()]);
    }
    let exports = match outputs::export_specs(&args.exports) {
        Ok(exports) => exports,
        Err(e) => return usage_errors(&[e.into()]),
    };
    let (resultdir, default_dir) = match &args.results {
        Some(dir) => (dir.clone(), false),
        None => match make_default_resultdir(plan.job.tag.as_deref()) {
            Ok(dir) => (dir, true),
            Err(e) => return usage_errors(&[e.into()]),
        },
    };
    let cancel = CancelToken::new();
    let reporter = Arc::new(Reporter::new(console, plan.tests.len(), &resultdir, (!args.quiet, events_on_stdout)));
    let grace = Duration::try_from_secs_f64(args.grace).unwrap_or(Duration::MAX);
    // Devices get a bundle of this binary, made once for the job.
    let bundled = if args.remote.is_empty() {
        None
    } else {
        let made = tempfile::Builder::new()
            .prefix("harness-remote-")
            .tempdir()
            .map_err(|e| e.to_string())
            .and_then(|dir| super::bundle::for_devices(dir.path()).map(|(path, entry)| (dir, path, entry)));
        match made {
            Ok(made) => Some(made),
            Err(e) => return usage_errors(&[CliError::Remote(format!("cannot bundle this binary: {e}")).into()]),
        }
    };
    let isolation = match &bundled {
        Some((_, bundle, entry)) => Isolation::Remote {
            devices: args.remote.clone(),
            ssh_config: args.ssh_config.clone(),
            device_wait: Duration::try_from_secs_f64(args.device_wait).unwrap_or(Duration::MAX),
            bundle: bundle.clone(),
            entry: entry.clone(),
        },
        None => Isolation::Process { grace, child_args: Vec::new() },
    };
    let mut builder = Job::builder(&resultdir).cancel_token(cancel.clone()).isolation(isolation);
    // The bar is told first, so it is taken away before the reporter prints.
    if !args.quiet {
        builder = builder.observer(Arc::new(Progress::new()));
    }
    builder = builder.observer(reporter.clone());
    if args.lava_signals || outputs::under_lava() {
        builder = builder.observer(Arc::new(outputs::LavaSignals));
    }
    if let Some(state) = &args.state_dir {
        builder = builder.state_dir(state);
    }
    match &args.events {
        Some(_) if events_on_stdout => builder = builder.events_copy(EventsCopy::Stdout),
        Some(path) => builder = builder.events_copy(EventsCopy::File(path.clone())),
        None => {}
    }
    if let Some(base) = &baseline {
        builder = builder.baseline(base);
    }
    if let Some(shard) = part.as_ref().and_then(Part::shard) {
        builder = builder.shard(shard);
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
        // Validated, and still it may not start (the disk, a race): ERROR, counted.
        if let Err(e) = job.run_counted(planned.run.clone(), &planned.subdir) {
            eprintln!("error: {}{e}", planned.place);
        }
    }
    let summary = match job.complete() {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    };
    let all_ran = summary.records().len() >= plan.tests.len();
    let mut status = if summary.has_failures() || !all_ran { EXIT_FAILED } else { EXIT_OK };
    if !outputs::write_exports(&exports, &resultdir) {
        status = EXIT_FAILED;
    }
    if let Some(name) = &args.save_baseline {
        match compare::save_baseline(Path::new(RESULTS_ROOT), &resultdir, name) {
            Ok(path) => reporter.say(&format!("baseline {name}: {}", path.display())),
            Err(e) => {
                eprintln!("error: {e}");
                status = EXIT_FAILED;
            }
        }
    }
    if let Some(base) = baseline {
        // k times the noise the history measured, where it has: the results
        // tools keep the figures beside the store.
        let store = compare::history_path(Path::new(RESULTS_ROOT));
        let knobs = compare::Knobs { history: compare::NoiseFigures::beside(&store), ..compare::Knobs::default() };
        match crate::results::JobResults::read(resultdir.join("results.json")) {
            Ok(new) => {
                let comparison = compare::compare(&base, &new, &knobs);
                print_out(&comparison.table());
                if comparison.regressed() {
                    status = EXIT_FAILED;
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                status = EXIT_FAILED;
            }
        }
    }
    status
}
