//! What `run` writes besides autotest's files: `--export FORMAT=PATH`, each
//! written from `results.json` when the job ends, and LAVA's test-case
//! signals, printed as each test ends when running under LAVA (its test
//! shell sets `LAVA_RESULT_DIR`, its overlay `LAVA_JOB_ID`) or with
//! `--lava-signals`.

use std::path::{Path, PathBuf};

use super::error::CliError;
use crate::console::print_out;
use crate::event::{Event, Observer};
use crate::export::{Format, Options, export};
use crate::results::JobResults;

/// One `--export FORMAT=PATH`.
#[derive(Debug, Clone)]
pub(crate) struct ExportSpec {
    format: Format,
    path: PathBuf,
}

/// Parses every `--export`, before anything runs.
pub(crate) fn export_specs(texts: &[String]) -> Result<Vec<ExportSpec>, CliError> {
    texts
        .iter()
        .map(|text| {
            let (format, path) = text.split_once('=').filter(|(_, p)| !p.is_empty()).ok_or_else(|| {
                CliError::Export(format!(
                    "--export `{}`: expected FORMAT=PATH (github-action-benchmark=bench writes bench.smaller-is-better.json and bench.bigger-is-better.json)",
                    crate::text::shown(text)
                ))
            })?;
            let format = format.parse::<Format>().map_err(|e| CliError::Export(format!("--export: {e}")))?;
            Ok(ExportSpec { format, path: PathBuf::from(path) })
        })
        .collect()
}

/// Writes each export of the finished run in `resultdir`; says each file,
/// and each change made to fit a reader, on stderr. Whether all were written.
pub(crate) fn write_exports(specs: &[ExportSpec], resultdir: &Path) -> bool {
    if specs.is_empty() {
        return true;
    }
    let results = match JobResults::read(resultdir.join("results.json")) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("error: no export written: {e}");
            return false;
        }
    };
    let mut ok = true;
    for spec in specs {
        let exported = export(&results, spec.format, &Options::default());
        for warning in exported.warnings() {
            eprintln!("warning: {warning}");
        }
        match exported.write(&spec.path) {
            Ok(paths) => {
                for path in paths {
                    eprintln!("{}: {}", spec.format.name(), path.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    ok
}

/// Whether this process runs under LAVA's test shell.
pub(crate) fn under_lava() -> bool {
    ["LAVA_RESULT_DIR", "LAVA_JOB_ID"].iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Prints each test's LAVA signals on stdout as it ends.
pub(crate) struct LavaSignals;

impl Observer for LavaSignals {
    fn on_event(&self, event: &Event<'_>) {
        if let Event::TestFinished { record, .. } = event {
            let mut warnings = Vec::new();
            let lines = crate::export::lava_signals(record, &mut warnings);
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            print_out(&lines);
        }
    }
}
