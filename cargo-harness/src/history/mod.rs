//! `history`: the runs of a results root kept in one SQLite store, each
//! metric's series over them, where its level changed, and how noisy it is.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`store`] | the store: schema, import, series |
//! | `changes` | `history changes`: the change points of each series |
//! | `noise` | `history noise`: each series' noise figure |
//!
//! Every `history` command first imports the runs under the results root the
//! store has not seen (each directory holding a `results.json`: runs still
//! going, which have none, wait for the next command), and writes the noise
//! figures beside the store for `compare` and `run --baseline`.

mod changes;
mod noise;
pub mod store;

use std::path::{Path, PathBuf};

use harness_core::compare::{NoiseFigures, history_path};
use harness_core::console::print_out;
use harness_core::results::read_or_rebuild;

pub use changes::{Change, SeriesChanges};
pub(crate) use changes::{ChangesArgs, changes};
pub(crate) use noise::noise;
use store::{Role, Store};

use crate::error::CliError;

/// The results root `run` writes under, whose runs the history imports.
pub(crate) const RESULTS_ROOT: &str = "results";

/// The store at `given`, else `HARNESS_HISTORY`, else
/// `results/history.sqlite`, opened, with the runs of the results root it
/// has not seen imported.
pub(crate) fn open(given: Option<&Path>) -> Result<(Store, PathBuf), CliError> {
    let path = given.map_or_else(|| history_path(Path::new(RESULTS_ROOT)), Path::to_path_buf);
    let mut store = Store::open(&path)?;
    let root = Path::new(RESULTS_ROOT);
    if root.is_dir() {
        let added = catch_up(&mut store, root)?;
        if added > 0 {
            eprintln!("note: imported {added} new run{} from {}", plural(added), root.display());
            write_noise(&store, &path)?;
        }
    }
    Ok((store, path))
}

/// Imports the finished runs directly under `root` that the store has not
/// seen: how many were new.
fn catch_up(store: &mut Store, root: &Path) -> Result<usize, CliError> {
    let known = store.sources()?;
    let mut added = 0;
    for dir in runs_under(root)? {
        let source = canonical(&dir);
        if known.contains(&source.display().to_string()) {
            continue;
        }
        match harness_core::results::JobResults::read(dir.join("results.json")) {
            Ok(results) => added += usize::from(store.import(&results, &source, Role::Run)?),
            // A run being written, or a damaged one: not this time, and said.
            Err(e) => eprintln!("warning: not imported: {e}"),
        }
    }
    Ok(added)
}

/// The directories directly under `root` that hold a `results.json`, by
/// name; the `latest` link, baselines and anything else are not runs.
fn runs_under(root: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries = std::fs::read_dir(root).map_err(|e| CliError::io("read", root, e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.join("results.json").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The runs below `root`, up to `depth` levels down, in path order: a results
/// root of runs, or `test_main()`'s `<root>/<binary>/<test>/<run>`. Links
/// are not followed; a run's own directories are not searched.
fn runs_below(root: &Path, depth: usize) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for dir in {
        let entries = std::fs::read_dir(root).map_err(|e| CliError::io("read", root, e))?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        dirs
    } {
        if dir.join("results.json").is_file() {
            out.push(dir);
        } else if depth > 1 {
            out.extend(runs_below(&dir, depth - 1)?);
        }
    }
    Ok(out)
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes the store's noise figures beside it.
fn write_noise(store: &Store, path: &Path) -> Result<(), CliError> {
    let figures = store.noise()?;
    figures.write(&NoiseFigures::path_beside(path)).map_err(CliError::from)
}

/// `history import DIR...`: each run directory (or each run under a results
/// root) added to the store; a run it holds already is not added again.
pub(crate) fn import(given: Option<&Path>, dirs: &[PathBuf]) -> i32 {
    match import_all(given, dirs) {
        Ok((added, known, path)) => {
            print_out(&format!("imported {added} run{}, {known} already in {}\n", plural(added), path.display()));
            crate::EXIT_OK
        }
        Err(e) => crate::usage_error(&e),
    }
}

fn import_all(given: Option<&Path>, dirs: &[PathBuf]) -> Result<(usize, usize, PathBuf), CliError> {
    let (mut store, path) = open(given)?;
    let (added, known) = import_dirs(&mut store, &path, dirs)?;
    Ok((added, known, path))
}

/// Imports `dirs` (runs, or results roots of runs) into `store` at `path`:
/// how many runs were new and how many it held already.
fn import_dirs(store: &mut Store, path: &Path, dirs: &[PathBuf]) -> Result<(usize, usize), CliError> {
    // Every directory is read before anything is written: a bad one names
    // itself and leaves the store as it was.
    let runs = read_runs(dirs)?;
    let (mut added, mut known) = (0, 0);
    for (results, source) in &runs {
        if store.import(results, source, Role::Run)? {
            added += 1;
        } else {
            known += 1;
        }
    }
    write_noise(store, path)?;
    Ok((added, known))
}

/// The runs `dirs` hold (each a run, or a results root of runs), with where
/// each was read from; a run without `results.json` rebuilt (and said).
///
/// # Errors
///
/// A directory that holds no run, or a run that cannot be read.
pub(crate) fn read_runs(dirs: &[PathBuf]) -> Result<Vec<(harness_core::results::JobResults, PathBuf)>, CliError> {
    let mut runs = Vec::new();
    for dir in dirs {
        if dir.join("results.json").is_file() || dir.join("status.log").is_file() {
            let (results, rebuilt) = read_or_rebuild(dir)?;
            if let Some(note) = rebuilt {
                eprintln!("note: {note}");
            }
            runs.push((results, canonical(dir)));
        } else if dir.is_dir() {
            for run in runs_below(dir, 4)? {
                let results = harness_core::results::JobResults::read(run.join("results.json"))?;
                runs.push((results, canonical(&run)));
            }
        } else {
            return Err(harness_core::Error::NotResults { path: dir.clone() }.into());
        }
    }
    Ok(runs)
}

/// `report --history [DIR...] --html OUT`: the runs `dirs` imported, then
/// every series of the store drawn with its change points (found on
/// defaults, as `history changes` finds them).
pub(crate) fn report_page(dirs: &[PathBuf], out: &Path) -> i32 {
    let drawn = open(None).and_then(|(mut store, path)| {
        import_dirs(&mut store, &path, dirs)?;
        let args = ChangesArgs::defaults();
        Ok((changes::find(store.series()?, &args)?, store.run_rows()?))
    });
    match drawn {
        Ok((found, runs)) => {
            if let Err(e) = std::fs::write(out, crate::html::history_page(&runs, &found)) {
                return crate::usage_error(&CliError::io("write", out, e));
            }
            print_out(&format!("history of {} runs: {}\n", runs.len(), out.display()));
            crate::EXIT_OK
        }
        Err(e) => crate::usage_error(&e),
    }
}
