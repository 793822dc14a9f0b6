//! The entry point of a harness binary's command line: parse, check the
//! registry, and hand each command to its module.

use clap::Parser as _;

use super::command::{Cli, Command};
use super::exit::{EXIT_OK, EXIT_USAGE, usage_errors};
use super::{control, list, run};
use crate::console::print_out;

/// The command line of a harness binary: `list`, `run`, `validate`.
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
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
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
    if crate::registry::all().next().is_none() && !matches!(cli.command, Command::Moved { .. }) {
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
        Command::Run(run) if run.bundle.is_some() => {
            super::bundle::run_bundle(run.bundle.as_deref().unwrap_or(std::path::Path::new("")), &args)
        }
        Command::Run(args) => run::run(&args, cli.color.color),
        Command::RemoteRunner { ssh_config, device, binary, args } => {
            match crate::supervisor::RemoteIsolation::new(
                &[device],
                ssh_config,
                std::time::Duration::ZERO,
                std::path::PathBuf::new(),
                String::new(),
            ) {
                Ok(remote) => remote.run_binary(&binary, &args),
                Err(e) => {
                    eprintln!("error: remote-runner: {e}");
                    101
                }
            }
        }
        Command::Bundle { out, binaries, controls, data } => {
            super::bundle::bundle(&super::bundle::BundleArgs { out, binaries, controls, data })
        }
        Command::Moved(words) => {
            let command = words.first().map_or("", String::as_str);
            if !RESULTS_COMMANDS.contains(&command) {
                eprintln!(
                    "error: unrecognized subcommand `{}`; the commands are list, run and validate (see --help)",
                    crate::text::shown(command)
                );
                return EXIT_USAGE;
            }
            eprintln!(
                "error: `{command}` reads results, and the results tools do that: `cargo harness {}` (install them once with `cargo install cargo-harness`, or `cargo install --path cargo-harness` in harness's repository); a harness binary runs tests",
                words.join(" ")
            );
            EXIT_USAGE
        }
    }
}

/// The commands of the results tools (`cargo harness ...`), which a harness
/// binary points to.
const RESULTS_COMMANDS: [&str; 4] = ["report", "compare", "history", "confirm"];
