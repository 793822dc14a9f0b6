//! The command line of any harness binary: `fn main() { harness_core::main() }`.

mod child;
mod command;
mod console;
mod control;
mod list;
mod progress;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser as _;
use serde_json::Value;

use self::child::{ChildSpec, abort_on_signals, supervise};
use self::command::{Cli, Command, RunArgs};
use self::console::Console;
use self::control::{ControlFile, JobOptions, Plan, ProfilerSpec, TestEntry};
use crate::engine::{self, TestRecord};
use crate::{CancelToken, Job, Status};

/// Exit status when every test ended GOOD, WARN or TEST_NA.
const EXIT_OK: i32 = 0;
/// Exit status when a test ended FAIL, ERROR or ABORT.
const EXIT_FAILED: i32 = 1;
/// Exit status for usage and validation errors (nothing ran).
const EXIT_USAGE: i32 = 2;

/// The command line of a harness binary: `list`, `run`, `validate`, `report`.
///
/// ```text
/// // src/main.rs of a harness binary
/// fn main() {
///     harness_core::main()
/// }
/// ```
///
/// Exits with 0 when every test ended GOOD, WARN or TEST_NA, 1 when any ended
/// FAIL, ERROR or ABORT, and 2 on usage or validation errors. See `docs/cli.md`.
pub fn main() {
    std::process::exit(run_cli(std::env::args_os()));
}

/// Runs the command line given by `args` (the first is the program name) and
/// returns the exit status.
pub fn run_cli<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    if let Err(e) = crate::registry::check() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    if crate::registry::all().next().is_none() && !matches!(cli.command, Command::Report { .. }) {
        eprintln!(
            "note: this binary has no tests; tests defined in a library crate are linked only when the binary names it: add `use my_tests as _;` to main.rs"
        );
    }
    match cli.command {
        Command::List { json } => {
            print!("{}", if json { list::json() + "\n" } else { list::text() });
            EXIT_OK
        }
        Command::Validate { control } => match control::load(&control).map_err(|e| vec![e]).and_then(control::validate)
        {
            Ok(plan) => {
                println!(
                    "{}: OK, {} test{}",
                    control.display(),
                    plan.tests.len(),
                    if plan.tests.len() == 1 { "" } else { "s" }
                );
                EXIT_OK
            }
            Err(problems) => usage_errors(&problems),
        },
        Command::Run(args) => run(&args, Console::new(cli.color)),
        Command::Report { dir, html } => report::report(&dir, html.as_deref(), Console::new(cli.color)),
        Command::Child { spec } => child::child_main(&spec),
    }
}

/// How an entry is named in a message: `tests[2] (sleeptest): `, or nothing for
/// the one test of `run TEST`.
fn entry_place(plan: &Plan, index: usize) -> String {
    if plan.from_command_line {
        String::new()
    } else {
        format!("tests[{index}] ({}): ", plan.tests[index].registration.info().name())
    }
}

fn usage_errors(problems: &[String]) -> i32 {
    for problem in problems {
        eprintln!("error: {problem}");
    }
    EXIT_USAGE
}

/// The plan of `run TEST ...`: a control file with one entry.
fn single_test_control(args: &RunArgs, test: &str) -> Result<ControlFile, Vec<String>> {
    let mut test_args = serde_json::Map::new();
    let mut problems = Vec::new();
    for text in &args.args {
        match control::parse_cli_arg(text) {
            Ok((name, value)) => {
                test_args.insert(name, value);
            }
            Err(e) => problems.push(e),
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

fn plan(args: &RunArgs) -> Result<Plan, Vec<String>> {
    let mut control = match (&args.control, &args.test) {
        (Some(path), _) => control::load(path).map_err(|e| vec![e])?,
        (None, Some(test)) => single_test_control(args, test)?,
        (None, None) => {
            return Err(vec![
                "nothing to run: name a test (`run sleeptest`; `list` shows them) or a control file (`run --control FILE`)"
                    .to_owned(),
            ]);
        }
    };
    if args.control.is_some() {
        control.profilers.extend(args.profilers.iter().map(|p| ProfilerSpec::parse_cli(p)));
        if args.retries.is_some() {
            control.job.test_retry = args.retries;
        }
    }
    control::validate(control)
}

/// The default results root.
const RESULTS_ROOT: &str = "results";

/// Makes `./results/<tag>` or `./results/<time>`, with `.1`, `.2`, ... appended
/// when that name is taken: each name is tried with an exclusive `mkdir`, so
/// runs started at once never share a directory.
fn make_default_resultdir(tag: Option<&str>) -> Result<PathBuf, String> {
    let base = tag.map_or_else(|| chrono::Local::now().format("%Y-%m-%d_%H-%M-%S").to_string(), str::to_owned);
    let root = Path::new(RESULTS_ROOT);
    std::fs::create_dir_all(root).map_err(|e| format!("cannot create `{}`: {e}", root.display()))?;
    for n in 0u32.. {
        let dir = if n == 0 { root.join(&base) } else { root.join(format!("{base}.{n}")) };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create `{}`: {e}", dir.display())),
        }
    }
    unreachable!("a free name is found before u32 runs out")
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

fn print_record(console: Console, record: &TestRecord) {
    let reason =
        if record.status == Status::Good { String::new() } else { format!("  {}", console::escaped(&record.summary)) };
    println!("{} {:<32} {:>8.2} s{reason}", console.status(record.status, 8), record.subdir, record.duration);
}

fn run(args: &RunArgs, console: Console) -> i32 {
    let plan = match plan(args) {
        Ok(plan) => plan,
        Err(problems) => return usage_errors(&problems),
    };
    if !(args.grace.is_finite() && args.grace >= 0.0) {
        return usage_errors(&[format!("--grace must be a number of seconds, got {}", args.grace)]);
    }
    let (resultdir, default_dir) = match &args.results {
        Some(dir) => (dir.clone(), false),
        None => match make_default_resultdir(plan.job.tag.as_deref()) {
            Ok(dir) => (dir, true),
            Err(e) => return usage_errors(&[e]),
        },
    };
    let cancel = CancelToken::new();
    let mut builder = Job::builder(&resultdir).cancel_token(cancel.clone());
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
    let job = match builder.build() {
        Ok(job) => job,
        Err(e) => {
            if default_dir {
                let _ = std::fs::remove_dir(&resultdir);
            }
            return usage_errors(&[e.to_string()]);
        }
    };
    if default_dir {
        point_latest_at(&resultdir);
    }
    abort_on_signals(&cancel);
    println!("results: {}", resultdir.display());
    let begin = Instant::now();
    let grace = Duration::from_secs_f64(args.grace);
    for (index, planned) in plan.tests.iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let prepared = match engine::prepare(&job, planned.registration.info(), &planned.args) {
            Ok(prepared) => prepared,
            Err(e) => {
                eprintln!("error: {}{e}", entry_place(&plan, index));
                continue;
            }
        };
        let scratch = job.tmpdir().join(format!("child-{}-{index}", std::process::id()));
        let spec = ChildSpec {
            test: prepared.test.to_owned(),
            args: planned.args.clone(),
            naming: prepared.naming.clone(),
            outputdir: prepared.outputdir.clone(),
            timeout: prepared.timeout,
            resultdir: job.resultdir().to_owned(),
            tmpdir: job.tmpdir().to_owned(),
            testdir: job.testdir().to_owned(),
            indent: job.indent(),
            test_retry: options.test_retry.unwrap_or(0),
            drop_caches_between_iterations: options.drop_caches_between_iterations.unwrap_or(false),
            default_profile_only: options.default_profile_only.unwrap_or(false),
            run_test_cleanup: options.run_test_cleanup.unwrap_or(true),
            profilers: plan.profilers.clone(),
            quiet: args.quiet,
            result: scratch.with_extension("result.json"),
        };
        let spec_path = scratch.with_extension("json");
        let supervised = match serde_json::to_vec(&spec)
            .map_err(|e| e.to_string())
            .and_then(|bytes| std::fs::write(&spec_path, bytes).map_err(|e| e.to_string()))
        {
            Ok(()) => supervise(&spec_path, &spec.result, prepared.timeout, grace, &cancel),
            Err(e) => child::ChildResult {
                verdict: engine::Verdict::of(Status::Error, format!("cannot start the test: {e}")),
                records: Vec::new(),
            },
        };
        let _ = std::fs::remove_file(&spec_path);
        let _ = std::fs::remove_file(&spec.result);
        for record in supervised.records {
            job.push_record(record);
        }
        match engine::finish(&job, prepared, &supervised.verdict, None) {
            Ok(record) => print_record(console, &record),
            Err(e) => eprintln!("error: {}{e}", entry_place(&plan, index)),
        }
    }
    let summary = match job.complete() {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    };
    let mut counts: Vec<(Status, usize)> = Vec::new();
    for record in summary.records() {
        match counts.iter_mut().find(|(s, _)| *s == record.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((record.status, 1)),
        }
    }
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", console.status(*s, 0))).collect();
    let tests = summary.records().len();
    let aborted = if summary.status() == Status::Abort { " (job aborted)" } else { "" };
    println!(
        "{tests} test{}: {} in {:.2} s{aborted}; results: {}",
        if tests == 1 { "" } else { "s" },
        if counts.is_empty() { "none ran".to_owned() } else { counts.join(", ") },
        begin.elapsed().as_secs_f64(),
        resultdir.display()
    );
    if summary.has_failures() { EXIT_FAILED } else { EXIT_OK }
}
