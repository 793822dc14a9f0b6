//! `compare BASE NEW`: every perf metric of two runs side by side, with the
//! statistics of `crate::stats`, a verdict that knows the metric's direction,
//! and an exit status that fails CI on a real regression only. Also the
//! baselines `run --save-baseline` keeps and `run --baseline` compares with.

use std::path::{Path, PathBuf};

use super::error::CliError;
use crate::results::JobResults;
use crate::results::comparison::Comparison;
pub(crate) use crate::results::comparison::{Knobs, compare, table};

/// Where baselines live: `baselines/` in the results root.
pub(crate) const BASELINES: &str = "baselines";

/// A baseline's name: letters, digits, `_`, `-`, `.`, not starting with `.`.
fn check_name(name: &str) -> Result<(), CliError> {
    let fine = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if fine { Ok(()) } else { Err(CliError::BaselineName { name: name.to_owned() }) }
}

/// Where baseline `name` of the results root `root` is kept.
pub(crate) fn baseline_path(root: &Path, name: &str) -> Result<PathBuf, CliError> {
    check_name(name)?;
    Ok(root.join(BASELINES).join(format!("{name}.json")))
}

/// Keeps the run in `resultdir` as baseline `name` (its `results.json`, every
/// value of every iteration with the machine's sysinfo), replacing one of
/// that name.
pub(crate) fn save_baseline(root: &Path, resultdir: &Path, name: &str) -> Result<PathBuf, CliError> {
    let path = baseline_path(root, name)?;
    let results = resultdir.join("results.json");
    let bytes = std::fs::read(&results).map_err(|e| CliError::from(crate::error::Error::io("read", &results, e)))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::from(crate::error::Error::io("create", dir, e)))?;
    }
    crate::files::write_bytes_atomic(&path, &bytes)?;
    Ok(path)
}

/// A side of `compare`: a results directory, a `results.json`, or the name of
/// a baseline in `./results/baselines/`.
pub(crate) fn load_side(text: &str) -> Result<JobResults, CliError> {
    let path = Path::new(text);
    if path.is_dir() {
        return super::report::load(path);
    }
    if path.is_file() {
        return Ok(JobResults::read(path)?);
    }
    let baseline = baseline_path(Path::new(super::run::RESULTS_ROOT), text)
        .map_err(|_| CliError::NoSuchRun { what: text.to_owned() })?;
    if baseline.is_file() {
        return Ok(JobResults::read(&baseline)?);
    }
    Err(CliError::NoSuchRun { what: text.to_owned() })
}

/// Prints the comparison; its exit status (1 on a regression).
pub(crate) fn report(comparison: &Comparison, json: bool) -> i32 {
    if json {
        super::print_out(&(serde_json::to_string_pretty(comparison).unwrap_or_default() + "\n"));
    } else {
        super::print_out(&table(comparison));
    }
    if comparison.regressed() { super::EXIT_FAILED } else { super::EXIT_OK }
}

/// `compare BASE NEW`.
pub(crate) fn command(base: &str, new: &str, knobs: Knobs, json: bool) -> i32 {
    let loaded = load_side(base).and_then(|b| load_side(new).map(|n| (b, n)));
    match (check_knobs(knobs), loaded) {
        (Ok(()), Ok((base, new))) => report(&compare(&base, &new, knobs), json),
        (Err(e), _) | (_, Err(e)) => super::usage_errors(&[e.into()]),
    }
}

/// `--alpha` in (0, 1), `--noise` at least 0.
pub(crate) fn check_knobs(knobs: Knobs) -> Result<(), CliError> {
    if !(knobs.alpha > 0.0 && knobs.alpha < 1.0) {
        return Err(CliError::Knob { option: "--alpha", value: knobs.alpha, expected: "between 0 and 1" });
    }
    if !(knobs.noise.is_finite() && knobs.noise >= 0.0) {
        return Err(CliError::Knob { option: "--noise", value: knobs.noise, expected: "a fraction of at least 0" });
    }
    Ok(())
}
