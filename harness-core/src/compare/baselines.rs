//! Where runs to compare with are found: kept baselines, result directories
//! and `results.json` files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::JobResults;

/// Where baselines live: `baselines/` in the results root.
pub const BASELINES: &str = "baselines";

/// Where baseline `name` of the results root `root` is kept:
/// `<root>/baselines/<name>.json`.
///
/// # Errors
///
/// [`Error::InvalidName`] for a name that is not letters, digits, `_`, `-`
/// and `.` (not first).
pub fn baseline_path(root: &Path, name: &str) -> Result<PathBuf> {
    let fine = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !fine {
        return Err(Error::InvalidName {
            what: "baseline name",
            value: crate::text::shown(name),
            reason: "use letters, digits, `_`, `-` and `.` (not first)",
        });
    }
    Ok(root.join(BASELINES).join(format!("{name}.json")))
}

/// A run to compare with, as a user names it: a results directory (its
/// `results.json`, or rebuilt from its `status.log`), a `results.json`, or
/// the name of a baseline kept under the results root `root`; and, for a
/// run that was rebuilt, the note saying from what.
///
/// # Errors
///
/// [`Error::NoSuchRun`] when `text` is none of these; what
/// [`read_or_rebuild`](crate::results::read_or_rebuild) and
/// [`JobResults::read`] return.
pub fn load_run(root: &Path, text: &str) -> Result<(JobResults, Option<String>)> {
    let path = Path::new(text);
    if path.is_dir() {
        return crate::results::read_or_rebuild(path);
    }
    if path.is_file() {
        return Ok((JobResults::read(path)?, None));
    }
    let no_such_run = || Error::NoSuchRun { what: text.to_owned() };
    let baseline = baseline_path(root, text).map_err(|_| no_such_run())?;
    if baseline.is_file() { Ok((JobResults::read(&baseline)?, None)) } else { Err(no_such_run()) }
}

/// Keeps the run in `resultdir` as baseline `name` of the results root
/// `root` (its `results.json`: every value of every iteration, with the
/// machine's sysinfo), replacing one of that name; returns where.
///
/// # Errors
///
/// A name [`baseline_path`] refuses; I/O errors.
pub fn save_baseline(root: &Path, resultdir: &Path, name: &str) -> Result<PathBuf> {
    let path = baseline_path(root, name)?;
    let results = resultdir.join("results.json");
    let bytes = std::fs::read(&results).map_err(|e| Error::io("read", &results, e))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    crate::files::write_bytes_atomic(&path, &bytes)?;
    Ok(path)
}
