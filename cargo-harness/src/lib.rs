//! The results tools of harness: what reads a run after it ran. `report`
//! prints a run (or draws it as a page), joins the shards of a suite run on
//! several machines (`report --merge`) and draws metrics over runs (`report
//! --history`); `compare` judges two runs metric by metric.
//!
//! Installed once, as cargo-criterion is (`cargo install --path cargo-harness`
//! in harness's repository), and run as `cargo harness COMMAND` or
//! `cargo-harness COMMAND`, so that a crate of tests never compiles what only
//! reads results. The command line is in docs/cli.md.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`html`] | the report page and the history page |
//! | `command` | the command line (clap) |
//! | [`history`] | the history store, its change points and noise |
//! | [`changes`] | change-point detection (E-Divisive means, as Apache Otava) |
//! | `report`, `merge`, `compare`, `confirm`, `export`, `shards` | the commands |
//! | `error` | what the commands refuse |

pub mod changes;
mod command;
mod compare;
mod confirm;
mod error;
mod expect;
mod export;
pub mod history;
pub mod html;
mod merge;
mod report;
mod shards;

use clap::Parser as _;

use self::command::{Cli, Command, HistoryCommand, ShardsCommand};
use harness_core::console::Console;

/// Exit status when every test ended GOOD, WARN or TEST_NA.
const EXIT_OK: i32 = 0;
/// Exit status when a test ended FAIL, ERROR or ABORT, or a metric regressed.
const EXIT_FAILED: i32 = 1;
/// Exit status for usage errors (nothing was read).
const EXIT_USAGE: i32 = 2;

/// Runs the command line `args` (the first is the program's name; as a cargo
/// subcommand, `cargo` passes `harness` next, which is skipped) and returns
/// the exit status.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|a| a == "harness") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let console = Console::new(cli.color.color);
    match cli.command {
        Command::Compare { base, new, alpha, noise, json, allow_failures, fail_on_inconclusive } => {
            let gate = compare::Gate { allow_failures, fail_on_inconclusive };
            // An explicit --noise wins; else k x the history's noise, where it has some.
            let store = harness_core::compare::history_path(std::path::Path::new(history::RESULTS_ROOT));
            let history = if noise.is_some() { None } else { harness_core::compare::NoiseFigures::beside(&store) };
            let knobs = harness_core::compare::Knobs { alpha, noise: noise.unwrap_or(0.02), history };
            compare::command(&base, &new, &knobs, json, gate)
        }
        Command::Export { format, out, master, bot, benchmark, point_id, log_urls, run } => {
            let options = harness_core::export::Options { master, bot, benchmark, point_id, log_urls };
            export::command(export::ExportArgs { run, format, out, options })
        }
        Command::Shards { command: ShardsCommand::Plan { shards, history, results, tests, out } } => {
            shards::command(&shards::PlanArgs { shards, history, results, tests, out })
        }
        Command::History { history, command } => match command {
            HistoryCommand::Import { dirs } => history::import(history.as_deref(), &dirs),
            HistoryCommand::Changes { test, metric, machine, window, max_pvalue, min_magnitude, json, html } => {
                history::changes(&history::ChangesArgs {
                    history,
                    test,
                    metric,
                    machine,
                    window,
                    max_pvalue,
                    min_magnitude,
                    json,
                    html,
                })
            }
            HistoryCommand::Noise { json } => history::noise(history.as_deref(), json),
        },
        Command::Confirm {
            base,
            new,
            tests,
            rounds,
            time,
            alpha,
            noise,
            history,
            json,
            allow_failures,
            fail_on_inconclusive,
            run_args,
        } => confirm::command(&confirm::ConfirmArgs {
            base,
            new,
            tests,
            rounds,
            time,
            alpha,
            noise,
            history,
            json,
            gate: compare::Gate { allow_failures, fail_on_inconclusive },
            run_args,
        }),
        Command::Report { dirs, merge, into, shards, expect, html, baseline, history } => {
            // The baseline is named as the user named it (`main`, `results/r1`).
            let baseline = match baseline.as_deref().map(|name| compare::load_side(name).map(|b| (name.to_owned(), b)))
            {
                Some(Ok(baseline)) => Some(baseline),
                Some(Err(e)) => return usage_error(&e),
                None => None,
            };
            match (merge, into) {
                _ if history => {
                    history::report_page(&dirs, html.as_deref().unwrap_or(std::path::Path::new("history.html")))
                }
                (true, Some(into)) => report::merged(&dirs, &into, shards, expect.as_deref(), html.as_deref(), console),
                _ if dirs.len() > 1 => usage_error(&error::CliError::ReportUsage(
                    "report takes one DIR; join shards with --merge DIR... --into OUT",
                )),
                _ => report::report(&dirs[0], html.as_deref(), baseline.as_ref(), console),
            }
        }
    }
}

fn usage_error(error: &error::CliError) -> i32 {
    eprintln!("error: {error}");
    EXIT_USAGE
}
