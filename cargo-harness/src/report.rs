//! `report DIR [--html OUT.html]`: a finished run at a glance; exits 1 when
//! the job's status is a failure (FAIL, ERROR, ABORT).

use std::path::{Path, PathBuf};

use harness_core::Status;
use harness_core::console::{Console, escaped, print_out};
use harness_core::results::{JobResults, TestRecord, read_or_rebuild};

use crate::error::CliError;

/// The results of a run: `results.json`, or rebuilt from `status.log` when the
/// job died before writing it (and said so).
pub(crate) fn load(dir: &Path) -> Result<JobResults, CliError> {
    let (results, rebuilt) = read_or_rebuild(dir)?;
    if let Some(note) = rebuilt {
        eprintln!("note: {note}");
    }
    Ok(results)
}

/// The table printed in the terminal.
pub(crate) fn table(results: &JobResults, console: Console) -> String {
    let mut out = String::new();
    let mut rows = Vec::new();
    with_subtests(&results.tests, 0, &mut rows);
    let width = rows.iter().map(|(t, depth)| t.subdir.len() + 2 * depth).max().unwrap_or(4).max(4);
    out.push_str(&format!("{:<8} {:<width$} {:>9} {:>10}  REASON\n", "STATUS", "TEST", "TIME", "ITERATIONS"));
    for (test, depth) in rows {
        let reason = if test.status == Status::Good { String::new() } else { escaped(shown_reason(test)) };
        let line = format!(
            "{} {:<width$} {:>7.2} s {:>10}  {reason}",
            console.status(test.status, 8),
            format!("{:depth$}{}", "", test.subdir, depth = 2 * depth),
            test.duration,
            test.iterations,
        );
        out.push_str(line.trim_end());
        out.push('\n');
        // As `run` shows them: the measured iterations' summary.
        for perf in &test.perf_values {
            out.push_str(&format!("{:8} {:width$}   {}\n", "", "", escaped(&perf.describe())));
        }
    }
    let counts: Vec<String> = results.job.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    out.push_str(&format!("job {}: {}\n", results.job.status, counts.join(", ")));
    out
}

/// Every test, each followed by its subtests (indented one level deeper).
fn with_subtests<'r>(tests: &'r [TestRecord], depth: usize, out: &mut Vec<(&'r TestRecord, usize)>) {
    for test in tests {
        out.push((test, depth));
        with_subtests(&test.subtests, depth + 1, out);
    }
}

/// The summary, or the reason for results written before summaries existed.
fn shown_reason(test: &TestRecord) -> &str {
    if test.summary.is_empty() { &test.reason } else { &test.summary }
}

pub(crate) fn report(
    dir: &Path,
    html: Option<&Path>,
    baseline: Option<&(String, JobResults)>,
    console: Console,
) -> i32 {
    match load(dir) {
        Ok(results) => show_with(&results, dir, html, baseline, console),
        Err(e) => {
            eprintln!("error: {e}");
            crate::EXIT_USAGE
        }
    }
}

/// `report --merge DIR... --into OUT`: the shards joined, then reported.
pub(crate) fn merged(
    dirs: &[PathBuf],
    into: &Path,
    shards: Option<usize>,
    expect: Option<&Path>,
    html: Option<&Path>,
    console: Console,
) -> i32 {
    let expected = match expect.map(crate::expect::expected).transpose() {
        Ok(expected) => expected,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_USAGE;
        }
    };
    match crate::merge::merge(dirs, into, shards) {
        Ok(crate::merge::Merged { results, ran, notes, conflicts, incomplete }) => {
            for note in notes {
                eprintln!("note: {note}");
            }
            // What made the shards' numbers noisy: a debug build above all.
            for noise in &results.job.noise {
                eprintln!("warning: {noise}");
            }
            for problem in conflicts.iter().chain(&incomplete) {
                eprintln!("error: {problem}");
            }
            print_out(&format!(
                "merged {} shard{} into {}\n",
                dirs.len(),
                if dirs.len() == 1 { "" } else { "s" },
                into.display()
            ));
            let shown = show_with(&results, into, html, None, console);
            // Every test the run was meant to run, and no shard ran: not run.
            let not_run: Vec<_> = expected.iter().flatten().filter(|test| !ran.contains(*test)).collect();
            for (binary, test) in &not_run {
                eprintln!("error: not run: {binary}/{test} is in the expected list and in no shard");
            }
            if let Some(expected) = &expected
                && !not_run.is_empty()
            {
                eprintln!("error: {} of {} expected tests did not run", not_run.len(), expected.len());
            }
            if conflicts.is_empty() && incomplete.is_empty() && not_run.is_empty() {
                shown
            } else {
                shown.max(crate::EXIT_FAILED)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            crate::EXIT_USAGE
        }
    }
}

/// `to` as a path from the directory `from` (`..` where needed); `to` as it
/// is when the two cannot be related.
fn relative(from: &Path, to: &Path) -> String {
    let (Ok(from), Ok(to)) = (from.canonicalize(), to.canonicalize()) else { return to.display().to_string() };
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_owned(), a.len() - common).collect();
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// The table, the page if asked for (links to the run in `dir`, a baseline
/// compared), and the exit status of the job.
fn show_with(
    results: &JobResults,
    dir: &Path,
    html: Option<&Path>,
    baseline: Option<&(String, JobResults)>,
    console: Console,
) -> i32 {
    print_out(&table(results, console));
    if let Some(out) = html {
        let page_dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let links = relative(page_dir, dir);
        let page = crate::html::page(results, baseline.map(|(n, b)| (n.as_str(), b)), &links);
        if let Err(e) = std::fs::write(out, page) {
            eprintln!("error: cannot write `{}`: {e}", out.display());
            return crate::EXIT_FAILED;
        }
        print_out(&format!("report: {}\n", out.display()));
    }
    // GOOD, WARN and TEST_NA jobs passed; a failure or an abort did not.
    if results.job.status.is_failure() { crate::EXIT_FAILED } else { crate::EXIT_OK }
}
