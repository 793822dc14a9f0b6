//! Which tests a command line means: names and globs (`disk_*`), a
//! `--select` expression, and the failed tests of an earlier run
//! (`--rerun-failed`).

use std::path::Path;

use serde_json::Value;

use super::control::TestEntry;
use super::error::CliError;
use crate::args::Args;
use crate::plan::PlannedRun;
use crate::registry::{self, Registration};
use crate::schema::Variant;
use crate::select::Selection;
use crate::status::Status;

/// Whether `pattern` is a glob rather than a name.
fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether a glob or a selection that matches `name` takes it: a variant, a
/// test without variants, and a test with variants only when it runs without
/// one (every required argument has a default). A test with variants stands
/// for its variants; named exactly, it runs as itself.
fn stands_for_itself(registration: &'static Registration, variant: Option<&Variant>) -> bool {
    variant.is_some()
        || registration.info().variants().is_empty()
        || PlannedRun::of(registration, None, Args::new()).checked().missing().is_none()
}

/// The names `patterns` stand for, in order, each once: a glob stands for
/// every test and variant name it matches (a test with variants for its
/// variants, see [`stands_for_itself`]), a name for itself (an unknown one is
/// reported with suggestions when the run is planned).
///
/// # Errors
///
/// A glob that is not one, or that matches nothing.
pub(crate) fn names(patterns: &[String]) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for pattern in patterns {
        if !is_glob(pattern) {
            if seen.insert(pattern.clone()) {
                out.push(pattern.clone());
            }
            continue;
        }
        let selection = Selection::name(pattern).map_err(|source| CliError::Select { source })?;
        let before = out.len();
        for (name, registration, variant) in registry::names() {
            if stands_for_itself(registration, variant)
                && selection.matches(&name, registration.info().attrs())
                && seen.insert(name.to_string())
            {
                out.push(name.into_owned());
            }
        }
        if out.len() == before {
            return Err(CliError::NoMatch { pattern: pattern.clone() });
        }
    }
    Ok(out)
}

/// Every name `--select` chooses from, in order: each variant, and each test
/// that runs as itself (see [`stands_for_itself`]).
pub(crate) fn all_names() -> Vec<String> {
    registry::names()
        .filter(|(_, registration, variant)| stands_for_itself(registration, *variant))
        .map(|(name, _, _)| name.into_owned())
        .collect()
}

/// Parses `--select`.
///
/// # Errors
///
/// [`CliError::Select`] with the caret under the problem.
pub(crate) fn selection(text: &str) -> Result<Selection, CliError> {
    Selection::parse(text).map_err(|source| CliError::Select { source })
}

/// Whether `selection` takes the test run as `name` (a name that is not
/// registered is kept, for the plan to report).
pub(crate) fn selects(selection: &Selection, name: &str) -> bool {
    match registry::resolve(name) {
        Some((registration, _)) => selection.matches(name, registration.info().attrs()),
        None => true,
    }
}

/// The entries of `--rerun-failed DIR`: every test of the run there that
/// did not end GOOD, WARN or TEST_NA, as it ran: the same test or variant
/// (`file_io.small`), its tag, and its arguments (from `results.json`, or
/// from the files when the run died before writing it).
///
/// # Errors
///
/// A directory that is not a finished run.
pub(crate) fn failed_entries(dir: &Path) -> Result<Vec<TestEntry>, CliError> {
    let (results, rebuilt) = crate::results::read_or_rebuild(dir)?;
    if let Some(note) = rebuilt {
        eprintln!("note: {note}");
    }
    Ok(results
        .tests
        .into_iter()
        .filter(|record| !matches!(record.status, Status::Good | Status::Warn | Status::TestNa))
        .map(|record| {
            let mut args = record.args;
            let tag = match args.remove("tag") {
                Some(Value::String(tag)) => Some(tag),
                _ => record.tag,
            };
            // A variant's tag starts with its name, which running the variant puts back.
            let (test, tag) = match &record.variant {
                Some(variant) => {
                    let given = tag.as_deref().and_then(|t| t.strip_prefix(variant.as_str()));
                    let given = given.map(|rest| rest.trim_start_matches('.')).filter(|rest| !rest.is_empty());
                    (format!("{}.{variant}", record.test), given.map(str::to_owned))
                }
                None => (record.test, tag),
            };
            TestEntry { test, tag, args: Value::Object(args) }
        })
        .collect())
}
