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
        /// Changes smaller than this fraction are noise; by default 3 x the metric's noise in the history
        /// (`history noise`), else 0.02 (a metric's `regression_threshold` wins for regressions).
        #[arg(long, value_name = "FRACTION")]
        noise: Option<f64>,
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
        /// The run's result directory (the one holding status.log); with `--merge`, the shards' directories;
        /// with `--history`, runs to add to the history first.
        #[arg(required_unless_present = "history", value_name = "DIR")]
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
        /// Draw each metric of the history (results/history.sqlite) over its runs, with its change points,
        /// into the `--html` page; DIR... are added to the history first.
        #[arg(long, requires = "html", conflicts_with_all = ["merge", "baseline"])]
        history: bool,
        /// Write an HTML page with one chart per perf metric.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
    },
    /// Write a run in a dashboard's format: Bencher (bmf), github-action-benchmark, the Chrome perf
    /// dashboard (histogramset), LAVA signals (lava).
    Export {
        /// The format: bmf, github-action-benchmark, histogramset or lava.
        #[arg(long, value_name = "FORMAT")]
        format: harness_core::export::Format,
        /// Where to write (github-action-benchmark: the stem of its two files); default: print it.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// histogramset: the dashboard's master (default harness).
        #[arg(long, value_name = "NAME")]
        master: Option<String>,
        /// histogramset: the dashboard's bot (default: the machine's identity).
        #[arg(long, value_name = "NAME")]
        bot: Option<String>,
        /// histogramset: the dashboard's benchmark (default: the job's tag, else harness).
        #[arg(long, value_name = "NAME")]
        benchmark: Option<String>,
        /// histogramset: the point's id (default: the job's start in seconds since 1970).
        #[arg(long, value_name = "N")]
        point_id: Option<i64>,
        /// histogramset: a link to the run's logs (repeatable).
        #[arg(long = "log-url", value_name = "URL")]
        log_urls: Vec<String>,
        /// The run: a results directory, a results.json (a merged job's too), or a baseline name.
        #[arg(value_name = "RUN")]
        run: String,
    },
    /// Plan shards balanced by recorded durations: one shard file per shard.
    Shards {
        #[command(subcommand)]
        command: ShardsCommand,
    },
    /// The history of runs (results/history.sqlite): import runs, find where metrics changed, measure noise.
    History {
        /// The store (default: $HARNESS_HISTORY, else results/history.sqlite).
        #[arg(long, value_name = "PATH", global = true)]
        history: Option<PathBuf>,
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// Confirm a change by running two builds again, alternately, until the verdict is clear.
    ///
    /// Exits as `compare` does: 1 on a regression or a test that now fails, 2
    /// when nothing could be compared, 0 otherwise.
    Confirm {
        /// The build to compare against: a harness binary.
        #[arg(long, value_name = "BINARY")]
        base: PathBuf,
        /// The build to judge.
        #[arg(long, value_name = "BINARY")]
        new: PathBuf,
        /// The tests to run (names or globs, as `run` takes them).
        #[arg(required = true, value_name = "TEST")]
        tests: Vec<String>,
        /// At most this many rounds (each runs both builds once).
        #[arg(long, default_value_t = 10, value_name = "N")]
        rounds: usize,
        /// No round starts after this many seconds.
        #[arg(long, default_value_t = 1800.0, value_name = "SECS")]
        time: f64,
        /// The significance level of the whole confirmation (each round looks at alpha / rounds).
        #[arg(long, default_value_t = 0.05, value_name = "P")]
        alpha: f64,
        /// Changes smaller than this fraction are noise; by default 3 x the metric's noise in the history, else 0.02.
        #[arg(long, value_name = "FRACTION")]
        noise: Option<f64>,
        /// The store the runs are kept in (default: $HARNESS_HISTORY, else results/history.sqlite).
        #[arg(long, value_name = "PATH")]
        history: Option<PathBuf>,
        /// Print the verdict and the comparison as JSON.
        #[arg(long)]
        json: bool,
        /// Tests that pass in BASE and fail in NEW do not fail the confirmation.
        #[arg(long)]
        allow_failures: bool,
        /// An `inconclusive` metric when the budget is spent fails the confirmation (exit 1).
        #[arg(long)]
        fail_on_inconclusive: bool,
        /// Options for each `run` (`-- --iterations 10 --arg size=4096`).
        #[arg(last = true, value_name = "RUN_ARGS")]
        run_args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ShardsCommand {
    /// Pack the tests into N shards by their recorded durations (longest first; a test never
    /// recorded counts as the median) and write `shard-K.filter` for each into --out.
    Plan {
        /// How many shards.
        #[arg(long, value_name = "N")]
        shards: u32,
        /// The history store to read durations from (default: $HARNESS_HISTORY, else results/history.sqlite).
        #[arg(long, value_name = "PATH", conflicts_with = "results")]
        history: Option<PathBuf>,
        /// Read durations from these runs (or results roots of runs) instead.
        #[arg(long, value_name = "DIR", num_args = 1..)]
        results: Vec<PathBuf>,
        /// The suite's tests: `cargo nextest list --message-format json`, or one name per line; without it, the
        /// tests with a recorded duration.
        #[arg(long, value_name = "LIST")]
        tests: Option<PathBuf>,
        /// Where the shard files go.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
    /// Add result directories (runs, merged shards, or a results root of runs) to the history.
    Import {
        /// Run directories, or directories of runs up to 4 levels down (a test_main results root).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
    /// Find where each metric's level changed over the runs (E-Divisive means, as Apache Otava).
    Changes {
        /// Only tests whose directory matches this glob (`file_io.*`).
        #[arg(long, value_name = "GLOB")]
        test: Option<String>,
        /// Only this metric.
        #[arg(long, value_name = "NAME")]
        metric: Option<String>,
        /// Only this machine (its identity, as `history noise` shows it).
        #[arg(long, value_name = "ID")]
        machine: Option<String>,
        /// Otava's window: how many points each pass of E-Divisive looks at.
        #[arg(long, default_value_t = 50, value_name = "N")]
        window: usize,
        /// Otava's max p-value: the largest p-value of a change kept.
        #[arg(long, default_value_t = 0.001, value_name = "P")]
        max_pvalue: f64,
        /// Otava's min magnitude: the smallest relative change kept (0.05: 5%); by default 3 x the series' noise.
        #[arg(long, value_name = "FRACTION")]
        min_magnitude: Option<f64>,
        /// Print the changes as JSON.
        #[arg(long)]
        json: bool,
        /// Also draw each series with its changes into this page.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
    },
    /// Print each metric's noise between runs on its machine, and flag those too noisy to judge.
    Noise {
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}
