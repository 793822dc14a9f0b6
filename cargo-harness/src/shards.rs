//! `shards plan --shards N [--history PATH | --results DIR...] [--tests LIST]
//! --out DIR`: the tests packed into N shards by their recorded durations,
//! longest first, each into the shard with the least time so far (a test
//! with no recorded duration counts as the median of those with one), and
//! one shard file per shard: the `--shard-file` of `run`, the
//! `HARNESS_SHARD_FILE` of `test_main()`, and a nextest filterset on its last
//! line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harness_core::console::print_out;
use harness_core::shard::{Planned, Shard, pack, shard_file_text};

use crate::error::CliError;

/// How many of a test's latest recorded runs its planned duration is the median of.
const RECENT_RUNS: usize = 10;

/// What `shards plan` was asked.
pub(crate) struct PlanArgs {
    pub(crate) shards: u32,
    pub(crate) history: Option<PathBuf>,
    pub(crate) results: Vec<PathBuf>,
    pub(crate) tests: Option<PathBuf>,
    pub(crate) out: PathBuf,
}

/// `shards plan`: exit 0, or 2 with the reason.
pub(crate) fn command(args: &PlanArgs) -> i32 {
    match plan_files(args) {
        Ok(()) => crate::EXIT_OK,
        Err(e) => crate::usage_error(&e),
    }
}

fn plan_files(args: &PlanArgs) -> Result<(), CliError> {
    if args.shards == 0 {
        return Err(CliError::ReportUsage("--shards must be at least 1"));
    }
    let recorded = recorded(args)?;
    let mut known: BTreeMap<String, f64> = recorded
        .into_iter()
        .map(|(name, mut seconds)| {
            let recent = seconds.split_off(seconds.len().saturating_sub(RECENT_RUNS));
            (name, harness_core::stats::Summary::of(&recent).median)
        })
        .collect();
    let listed = match &args.tests {
        Some(path) => Some(listed_tests(path)?),
        None => None,
    };
    let median = {
        let values: Vec<f64> = known.values().copied().collect();
        if values.is_empty() { 1.0 } else { harness_core::stats::Summary::of(&values).median }
    };
    let mut unknown = 0;
    let tests: Vec<(String, f64)> = match listed {
        // The list is the suite: recorded tests it does not hold are gone.
        Some(names) => names
            .into_iter()
            .map(|name| {
                let seconds = known.remove(&name).unwrap_or_else(|| {
                    unknown += 1;
                    median
                });
                (name, seconds)
            })
            .collect(),
        None => known.into_iter().collect(),
    };
    if tests.is_empty() {
        return Err(CliError::ReportUsage(
            "no test to plan: no duration recorded in the history or results given, and no --tests list",
        ));
    }
    let shards = pack(&tests, args.shards);
    write_files(&args.out, &shards)?;
    let total: f64 = shards.iter().map(|s| s.seconds).sum();
    let mean = total / f64::from(args.shards);
    for (at, shard) in shards.iter().enumerate() {
        print_out(&format!(
            "shard {}/{}: {} test{}, {:.1} s planned\n",
            at + 1,
            args.shards,
            shard.tests.len(),
            if shard.tests.len() == 1 { "" } else { "s" },
            shard.seconds
        ));
    }
    let slowest = shards.iter().map(|s| s.seconds).fold(0.0, f64::max);
    print_out(&format!(
        "slowest shard {slowest:.1} s, mean {mean:.1} s ({:+.1}%); files in {}\n",
        if mean > 0.0 { (slowest / mean - 1.0) * 100.0 } else { 0.0 },
        args.out.display()
    ));
    if unknown > 0 {
        eprintln!(
            "note: {unknown} test{} with no recorded duration planned at the median, {median:.1} s",
            if unknown == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Every top-level test's recorded durations, oldest first, by name.
fn recorded(args: &PlanArgs) -> Result<BTreeMap<String, Vec<f64>>, CliError> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    if !args.results.is_empty() {
        let mut runs = crate::history::read_runs(&args.results)?;
        runs.sort_by(|a, b| a.0.job.start.cmp(&b.0.job.start));
        for (results, _) in runs {
            for test in &results.tests {
                let name = test.variant.as_ref().map_or_else(|| test.test.clone(), |v| format!("{}.{v}", test.test));
                out.entry(name).or_default().push(test.duration);
            }
        }
        return Ok(out);
    }
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| harness_core::compare::history_path(Path::new(crate::history::RESULTS_ROOT)));
    if !path.is_file() {
        return Ok(out);
    }
    let store = crate::history::store::Store::open(&path)?;
    for (name, seconds) in store.durations()? {
        out.entry(name).or_default().push(seconds);
    }
    Ok(out)
}

/// The suite's tests from `path`: nextest's `list --message-format json`, or
/// one name per line (`#` starts a comment), as `list` prints them.
fn listed_tests(path: &Path) -> Result<Vec<String>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
    if text.trim_start().starts_with('{') {
        return Ok(crate::expect::expected(path)?.into_iter().map(|(_, test)| test).collect());
    }
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Writes `shard-K.filter` for each shard into `dir` (made, or an existing
/// directory; files of an earlier plan with more shards are removed).
fn write_files(dir: &Path, shards: &[Planned]) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("shard-") && name.ends_with(".filter") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let total = u32::try_from(shards.len()).unwrap_or(u32::MAX);
    for (at, planned) in (1..=total).zip(shards) {
        let shard = Shard::new(at, total).map_err(|_| CliError::ReportUsage("--shards must be at least 1"))?;
        let path = dir.join(format!("shard-{at}.filter"));
        // Whole or not at all: a reader never sees half a shard.
        let partial = dir.join(format!(".shard-{at}.filter.partial"));
        std::fs::write(&partial, shard_file_text(&shard, &planned.tests))
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| CliError::io("write", &path, e))?;
    }
    Ok(())
}
