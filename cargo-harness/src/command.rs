//! The command line of the results tools.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use harness_core::console::ColorArg;

/// The results tools of harness: report, merge and compare runs.
#[derive(Debug, Parser)]
#[command(name = "cargo harness", bin_name = "cargo harness", version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) color: ColorArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Compare the perf metrics of two runs: statistics, verdicts, exit 1 on a significant regression.
    ///
    /// Exits 1 on a regression or a test that now fails, 2 when nothing could
    /// be compared, 0 otherwise.
    Compare {
        /// The run to compare against: a results directory, a results.json, or a baseline name.
        base: String,
        /// The run to judge: the same kinds.
        new: String,
        /// The significance level of the Mann-Whitney U test.
        #[arg(long, default_value_t = 0.05, value_name = "P")]
        alpha: f64,
        /// Changes smaller than this fraction are noise (a metric's `regression_threshold` wins for regressions).
        #[arg(long, default_value_t = 0.02, value_name = "FRACTION")]
        noise: f64,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
        /// Tests that passed in BASE and fail in NEW do not fail the comparison (they are still listed).
        #[arg(long)]
        allow_failures: bool,
        /// An `inconclusive` metric fails the comparison (exit 1), as a regression does.
        #[arg(long)]
        fail_on_inconclusive: bool,
    },
    /// Summarize a finished run: a table in the terminal, or a self-contained HTML page.
    Report {
        /// The run's result directory (the one holding status.log); with `--merge`, the shards' directories.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Join the results of several shards (nextest `--partition`) into one job in `--into`.
        #[arg(long, requires = "into")]
        merge: bool,
        /// Where `--merge` writes the joined job (a new or empty directory).
        #[arg(long, value_name = "OUT", requires = "merge")]
        into: Option<PathBuf>,
        /// With `--merge`: how many shards there are; fewer or more directories is an error.
        #[arg(long, value_name = "N", requires = "merge")]
        shards: Option<usize>,
        /// With `--merge`: the tests the run was meant to run (`cargo nextest list --message-format json` with
        /// the run's filter); each that no shard ran is reported as not run, and the merge exits 1.
        #[arg(long, value_name = "LIST", requires = "merge")]
        expect: Option<PathBuf>,
        /// With `--html`: compare with this run or baseline, drawing both distributions and the verdicts.
        #[arg(long, value_name = "RUN")]
        baseline: Option<String>,
        /// Draw each metric over the runs DIR... (oldest first) into the `--html` page.
        #[arg(long, requires = "html", conflicts_with_all = ["merge", "baseline"])]
        history: bool,
        /// Write an HTML page with one chart per perf metric.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
    },
}
