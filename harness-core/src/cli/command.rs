//! The command line of a harness binary.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

use crate::console::ColorArg;

/// Runs autotest-style tests of this binary and writes autotest's result files.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) color: ColorArg,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the tests: name, version, description, and each phase's parameters.
    List {
        /// Only these tests: names or globs (`disk_*`); variants as `test.variant`.
        tests: Vec<String>,
        /// Only the tests this expression selects (`"group:perf" && !informational`; docs/running.md).
        #[arg(long, value_name = "EXPR")]
        select: Option<String>,
        /// Only the tests whose requirements this machine meets.
        #[arg(long)]
        runnable: bool,
        /// Print the list as JSON (schema in docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// Run one test, or every test of a control file.
    Run(Box<RunArgs>),
    /// Run a test binary on a device over SSH: a cargo target runner
    /// (`runner = ["my-harness", "remote-runner", "dut"]`), so cargo test and nextest run there.
    RemoteRunner {
        /// The ssh config file (`ssh -F`); default: ssh's own.
        #[arg(long, value_name = "FILE")]
        ssh_config: Option<PathBuf>,
        /// The device: `[user@]host[:port]`, or a Host of your ssh config.
        #[arg(value_name = "[USER@]HOST[:PORT]")]
        device: String,
        /// The test binary cargo built.
        #[arg(value_name = "BINARY")]
        binary: PathBuf,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Pack this binary, test_main binaries, control files and data into one tar that runs without Rust.
    Bundle {
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A test_main() binary to pack too (repeatable).
        #[arg(long = "binary", value_name = "PATH")]
        binaries: Vec<PathBuf>,
        /// A control file to pack (repeatable); `run --bundle FILE --control NAME` runs it.
        #[arg(long = "control", value_name = "FILE")]
        controls: Vec<PathBuf>,
        /// A file or directory the tests read (repeatable), unpacked under $HARNESS_BUNDLE_DATA.
        #[arg(long, value_name = "PATH")]
        data: Vec<PathBuf>,
    },
    /// Check a control file (tests, arguments, constraints, profilers) without running anything.
    Validate {
        /// The control file.
        #[arg(long, value_name = "FILE")]
        control: PathBuf,
    },
    /// The commands that read results (`report`, `compare`) are the results
    /// tools' (`cargo harness ...`): say where they went.
    #[command(external_subcommand)]
    Moved(Vec<String>),
}

#[derive(Debug, ClapArgs)]
pub(crate) struct RunArgs {
    /// The tests to run: names or globs (`disk_*`; see `list`), in order.
    pub(crate) tests: Vec<String>,
    /// Run the tests of a control file instead (schema in docs/control-files.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tests", "args", "tag", "rerun_failed"])]
    pub(crate) control: Option<PathBuf>,
    /// Run again the tests of a finished run that did not end GOOD, WARN or TEST_NA, with their arguments and tags.
    #[arg(long, value_name = "RESULTS_DIR", conflicts_with_all = ["tests", "args", "tag"])]
    pub(crate) rerun_failed: Option<PathBuf>,
    /// Only the tests this expression selects, among those named, the control file's or all (docs/running.md).
    #[arg(long, value_name = "EXPR")]
    pub(crate) select: Option<String>,
    /// A test argument; the value is JSON, or else a string (`--arg seconds=0.5 --arg mode=fast --arg sizes=[1,2]`).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub(crate) args: Vec<String>,
    /// Run `run_once` N times (default 1).
    #[arg(long, value_name = "N", conflicts_with = "test_length")]
    pub(crate) iterations: Option<u64>,
    /// Run `run_once` until at least SECS seconds have passed.
    #[arg(long, value_name = "SECS")]
    pub(crate) test_length: Option<f64>,
    /// Run `run_once` N times first, with its hooks, and throw those iterations away.
    #[arg(long, value_name = "N")]
    pub(crate) warmup_iterations: Option<u64>,
    /// Run `run_once` first for at least SECS seconds, and throw those iterations away.
    #[arg(long, value_name = "SECS")]
    pub(crate) warmup_time: Option<f64>,
    /// Run the tests beside other tests: without the machine-wide lock that
    /// keeps two measuring tests apart (for functional tests).
    #[arg(long)]
    pub(crate) parallel: bool,
    /// Run each test on these CPUs only (`0-3,6`): its CPU affinity, recorded in the test keyval.
    #[arg(long, value_name = "LIST")]
    pub(crate) cpus: Option<String>,
    /// Tag the run: its output directory becomes `<test>.<tag>`.
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Option<String>,
    /// Profile every iteration instead of one extra profiled iteration.
    #[arg(long)]
    pub(crate) profile_only: bool,
    /// Add a profiler: `vmstat[:INTERVAL]`, `perf[:EVENT,...]`, or any program as `NAME[:ARGS]`.
    #[arg(long = "profiler", value_name = "NAME[:ARGS]")]
    pub(crate) profilers: Vec<String>,
    /// Retry an iteration failing with `fail_retry` up to N times.
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<u32>,
    /// A perf constraint checked after every iteration (`throughput > 100`).
    #[arg(long = "constraint", value_name = "EXPR")]
    pub(crate) constraints: Vec<String>,
    /// End the test with ERROR "Test timeout expired" after SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// How long a test that timed out or was interrupted may take to clean up before it is killed.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) grace: f64,
    /// The result directory (default: ./results/<job tag or time>, never an existing run; `results/latest` points at it).
    #[arg(long, value_name = "DIR")]
    pub(crate) results: Option<PathBuf>,
    /// Where builds of `setup` and the setup lock live between runs (default: $HARNESS_STATE_DIR, else ~/.cache/harness/<binary>).
    #[arg(long, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,
    /// Keep this run's values as baseline NAME (in `./results/baselines/NAME.json`).
    #[arg(long, value_name = "NAME")]
    pub(crate) save_baseline: Option<String>,
    /// At the end, compare this run with baseline NAME; a significant regression exits 1.
    #[arg(long, value_name = "NAME")]
    pub(crate) baseline: Option<String>,
    /// When the run ends, also write it as FORMAT to PATH: bmf, github-action-benchmark (PATH is the stem
    /// of its two files), histogramset or lava (repeatable).
    #[arg(long = "export", value_name = "FORMAT=PATH")]
    pub(crate) exports: Vec<String>,
    /// Also write the job's event stream (what events.jsonl in the results holds) to PATH, or to stdout
    /// with `-` (the console then goes to stderr).
    #[arg(long, value_name = "PATH|-")]
    pub(crate) events: Option<PathBuf>,
    /// Print LAVA test-case signals as each test ends (on by itself under LAVA's test shell).
    #[arg(long)]
    pub(crate) lava_signals: bool,
    /// Run shard K of N of the tests (`--shard 2/4`), each test in exactly one shard by a hash of its
    /// name; without it, the shard of Bazel, Kubernetes, GitLab or GoogleTest variables (docs/ci.md).
    #[arg(long, value_name = "K/N", conflicts_with = "shard_file")]
    pub(crate) shard: Option<String>,
    /// Run from a bundle (`harness bundle`): check it, unpack it, and run its harness binary with the
    /// rest of this command line.
    #[arg(long, value_name = "FILE")]
    pub(crate) bundle: Option<PathBuf>,
    /// Run the tests on a device over SSH (`[user@]host[:port]`, or a Host of your ssh config);
    /// several spread the tests over the devices (docs/running.md).
    #[arg(long, value_name = "[USER@]HOST[:PORT]")]
    pub(crate) remote: Vec<String>,
    /// The ssh config file for --remote (`ssh -F FILE`); default: ssh's own.
    #[arg(long, value_name = "FILE", requires = "remote")]
    pub(crate) ssh_config: Option<PathBuf>,
    /// With --remote: when no device is ready, try the lost ones again for up to SECS before the
    /// test is ABORT (a device rebooting); default 0.
    #[arg(long, value_name = "SECS", default_value_t = 0.0, requires = "remote")]
    pub(crate) device_wait: f64,
    /// Run only the tests a shard file lists (written by `cargo harness shards plan`).
    #[arg(long, value_name = "FILE")]
    pub(crate) shard_file: Option<PathBuf>,
    /// No progress bar, and no perf values under each test's line.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}
