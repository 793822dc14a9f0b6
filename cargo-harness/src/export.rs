//! `export --format FORMAT [--out PATH] RUN`: a run in a dashboard's format
//! (`harness_core::export`), written to PATH or printed.

use std::path::PathBuf;

use harness_core::console::print_out;
use harness_core::export::{Format, Options, export};

use crate::error::CliError;

/// What `export` was asked.
#[derive(Debug)]
pub(crate) struct ExportArgs {
    pub(crate) run: String,
    pub(crate) format: Format,
    pub(crate) out: Option<PathBuf>,
    pub(crate) options: Options,
}

/// `export`: the files written (their paths on stdout) or the one printed;
/// each change made to fit the reader on stderr. Exit 0, 2 on an error.
pub(crate) fn command(args: ExportArgs) -> i32 {
    let results = match crate::compare::load_side(&args.run) {
        Ok(results) => results,
        Err(e) => return crate::usage_error(&e),
    };
    let exported = export(&results, args.format, &args.options);
    for warning in exported.warnings() {
        eprintln!("warning: {warning}");
    }
    match &args.out {
        Some(out) => match exported.write(out) {
            Ok(paths) => {
                for path in paths {
                    print_out(&format!("{}\n", path.display()));
                }
                crate::EXIT_OK
            }
            Err(e) => crate::usage_error(&CliError::Harness(e)),
        },
        None if exported.needs_stem() => crate::usage_error(&CliError::ReportUsage(
            "github-action-benchmark writes one file per direction: give --out STEM (STEM.smaller-is-better.json, STEM.bigger-is-better.json)",
        )),
        None => {
            for part in exported.parts() {
                print_out(&part.text);
            }
            crate::EXIT_OK
        }
    }
}
