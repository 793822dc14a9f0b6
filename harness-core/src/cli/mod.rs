//! The command line of any harness binary: `fn main() { harness_core::main() }`.

mod command;
mod compare;
mod console;
mod control;
mod error;
mod list;
mod merge;
mod progress;
mod report;
mod run;
mod select;

use clap::Parser as _;

use self::command::{Cli, Command};
use self::console::Console;
use self::error::CliError;

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
    // A child process of a running test: its parent left it a spec.
    if let Some(dir) = crate::child::take_child_dir() {
        return crate::child::child_main(&dir);
    }
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
        Command::List { tests, select, runnable, json } => match list::chosen(&tests, select.as_deref(), runnable) {
            Ok(chosen) => {
                print_out(&if json { list::json(&chosen) + "\n" } else { list::text(&chosen) });
                EXIT_OK
            }
            Err(e) => usage_errors(&[e.into()]),
        },
        Command::Validate { control } => {
            match control::load(&control).map_err(|e| vec![e.into()]).and_then(control::plan) {
                Ok(plan) => {
                    print_out(&format!(
                        "{}: OK, {} test{}\n",
                        control.display(),
                        plan.tests.len(),
                        if plan.tests.len() == 1 { "" } else { "s" }
                    ));
                    EXIT_OK
                }
                Err(problems) => usage_errors(&problems),
            }
        }
        Command::Run(args) => run::run(&args, Console::new(cli.color)),
        Command::Compare { base, new, alpha, noise, json } => {
            compare::command(&base, &new, compare::Knobs { alpha, noise }, json)
        }
        Command::Report { dirs, merge, into, shards, html, baseline, history } => {
            let console = Console::new(cli.color);
            let baseline = match baseline.as_deref().map(compare::load_side).transpose() {
                Ok(baseline) => baseline.map(|b| (cli_name(&b), b)),
                Err(e) => return usage_errors(&[e.into()]),
            };
            match (merge, into) {
                _ if history => report::history(&dirs, html.as_deref().unwrap_or(std::path::Path::new("history.html"))),
                (true, Some(into)) => report::merged(&dirs, &into, shards, html.as_deref(), console),
                _ if dirs.len() > 1 => usage_errors(&[CliError::ReportUsage(
                    "report takes one DIR; join shards with --merge DIR... --into OUT",
                )
                .into()]),
                _ => report::report(&dirs[0], html.as_deref(), baseline.as_ref(), console),
            }
        }
    }
}

/// A run's name for the page: its tag, or its start time.
fn cli_name(results: &crate::results::JobResults) -> String {
    results.job.tag.clone().unwrap_or_else(|| results.job.start.clone())
}

/// Writes `text` to stdout. A closed stdout (`| head`) ends the output there,
/// quietly: the command's exit status stays what its work says.
pub(crate) fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub(crate) fn usage_errors(problems: &[error::Problem]) -> i32 {
    for problem in problems {
        eprintln!("error: {problem}");
    }
    EXIT_USAGE
}
