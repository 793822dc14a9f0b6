//! `harness-bench WORKLOAD N`: times one workload of docs/performance.md in a
//! fresh results directory and prints its time and per-call cost, so any workload
//! can be timed as a whole process beside another program.
//!
//! Workloads: `perf-same`, `perf-distinct`, `keyval`, `write-loop`, `engine-noop`,
//! `many-tests`, `files-floor` (the bare file-system cost of `many-tests`),
//! `many-control` (a control file of N no-op tests through the CLI, a child process
//! per test, beside `cargo nextest run` on the same bodies), `compile`,
//! `compile-pieces` (what each piece of the expansion costs the compiler),
//! `compare-big` (compare's statistics on N values a side), `first-build` and
//! `first-build-release` (a new crate's first build beside
//! criterion's and divan's),
//! `list-many` (`harness list` in generated binaries of N/10 and N tests),
//! `shards` (a skewed suite of N tests planned by duration beside hash shards).
//!
//! `harness-bench whole WORKLOAD N ...` times workloads as whole processes, side by
//! side (see `whole.rs`).
//!
//! `harness-bench cli ARGS...` is the binary's harness command line (`run`, `list`,
//! ...), with the 1,000 `many_*` tests registered; `many-control` runs it.

use std::io::Write as _;
use std::time::{Duration, Instant};

use harness_core::prelude::*;
use harness_core::{Job, registry};

mod compare_big;
mod compile;
mod compile_pieces;
mod first_build;
mod list_many;
mod many;
mod many_control;
mod shards;
mod whole;

/// One workload, run inside a test's `run_once` so it uses the real context.
#[autotest(name = "bench_workload", version = 1)]
#[derive(Debug, Default)]
struct Workload {
    elapsed: Duration,
}

const KEYS: [&str; 5] = ["throughput", "latency", "errors", "retries", "queue_depth"];

#[allow(clippy::cast_precision_loss, reason = "benchmark values")]
fn value(i: u64) -> f64 {
    i as f64 * 1.5
}

#[autotest]
impl Workload {
    fn run_once(&mut self, ctx: &mut TestContext, workload: String, n: u64) -> TestResult {
        let start = Instant::now();
        match workload.as_str() {
            "perf-same" => {
                for i in 0..n {
                    ctx.output_perf_value(PerfValue::new("metric", value(i)).units("ms"))?;
                }
                ctx.flush_perf_values()?;
            }
            "perf-distinct" => {
                for i in 0..n {
                    ctx.output_perf_value(PerfValue::new(format!("metric_{i}"), value(i)).units("ms"))?;
                }
                ctx.flush_perf_values()?;
            }
            "keyval" => {
                for i in 0..n {
                    let v = value(i);
                    ctx.write_perf_keyval([
                        (KEYS[0], v),
                        (KEYS[1], v + 1.0),
                        (KEYS[2], 0.0),
                        (KEYS[3], 2.0),
                        (KEYS[4], v * 2.0),
                    ])?;
                }
            }
            "write-loop" => {
                // The floor for `keyval`: the same bytes, one write(2) per call, no formatting.
                let path = ctx.resultsdir().join("keyval");
                let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
                let block = "errors{perf}=0.0\nlatency{perf}=2.5\nqueue_depth{perf}=3.0\nretries{perf}=2.0\nthroughput{perf}=1.5\n\n";
                for _ in 0..n {
                    file.write_all(block.as_bytes())?;
                }
            }
            other => return Err(Failure::error(format!("unknown workload `{other}`"))),
        }
        self.elapsed = start.elapsed();
        ctx.write_test_keyval([("elapsed_ns", self.elapsed.as_nanos())])?;
        Ok(())
    }
}

/// A no-op run_once, for the engine's own cost per iteration.
#[autotest(name = "bench_noop", version = 1)]
#[derive(Debug, Default)]
struct Noop;

#[autotest]
impl Noop {
    fn run_once(&mut self) {}
}

fn report(workload: &str, n: u64, elapsed: Duration) {
    #[allow(clippy::cast_precision_loss, reason = "benchmark counts")]
    let per_call = elapsed.as_secs_f64() / n.max(1) as f64;
    let per = if per_call < 1e-6 { format!("{:.1} ns", per_call * 1e9) } else { format!("{:.3} us", per_call * 1e6) };
    println!("{workload} n={n}: {:.3} ms total, {per} per call", elapsed.as_secs_f64() * 1e3);
}

/// The file-system floor of `many-tests`: the directories and files N no-op tests
/// leave (a test directory, its `debug/`, and three small files), made with bare
/// calls, so the two can be timed side by side on the same disk.
fn files_floor(root: &std::path::Path, n: u64) -> Duration {
    std::fs::create_dir_all(root).expect("the floor's directory");
    let start = Instant::now();
    for i in 0..n {
        let test = root.join(format!("many_{i:04}"));
        std::fs::create_dir_all(test.join("debug")).expect("a test directory");
        for file in ["status.log", "keyval", "debug/many.DEBUG"] {
            let mut out = std::fs::OpenOptions::new().create(true).append(true).open(test.join(file)).expect("a file");
            out.write_all(b"a line of about sixty bytes, as the harness writes per file\n").expect("written");
        }
    }
    start.elapsed()
}

fn main() {
    // The children of `cli run` (one per test) and the command line itself.
    if std::env::var_os("HARNESS_CHILD_DIR").is_some() {
        harness_core::main();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "cli") {
        let rest = std::env::args_os().skip(2);
        std::process::exit(harness_core::run_cli(std::iter::once("harness-bench".into()).chain(rest)));
    }
    if args.first().is_some_and(|a| a == "whole") {
        whole::whole(&args[1..]);
        return;
    }
    let (Some(workload), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse::<u64>().ok())) else {
        eprintln!(
            "usage: harness-bench WORKLOAD N\nworkloads: perf-same perf-distinct keyval write-loop engine-noop many-tests files-floor many-control compile compile-pieces compare-big first-build first-build-release list-many shards"
        );
        std::process::exit(2);
    };
    if workload == "compile" {
        compile::compile(usize::try_from(n).unwrap_or(200));
        return;
    }
    if workload == "compare-big" {
        compare_big::compare_big(usize::try_from(n).unwrap_or(1_000_000));
        return;
    }
    if workload == "first-build" || workload == "first-build-release" {
        first_build::first_build(usize::try_from(n).unwrap_or(3), workload == "first-build-release");
        return;
    }
    if workload == "compile-pieces" {
        compile_pieces::compile_pieces(usize::try_from(n).unwrap_or(200));
        return;
    }
    if workload == "list-many" {
        list_many::list_many(usize::try_from(n).unwrap_or(10_000));
        return;
    }
    if workload == "shards" {
        shards::shards(usize::try_from(n).unwrap_or(200));
        return;
    }
    if workload == "many-control" {
        many_control::many_control(n);
        return;
    }
    // In `$HARNESS_BENCH_DIR` (kept, as a harness run keeps its results; `whole`
    // removes it after the process), else in a temporary directory removed at the end.
    let kept = std::env::var_os("HARNESS_BENCH_DIR").map(std::path::PathBuf::from);
    let root = if kept.is_none() { Some(tempfile::tempdir().expect("a temporary directory")) } else { None };
    let base = kept.or_else(|| root.as_ref().map(|r| r.path().to_owned())).expect("one of the two");
    let job = Job::builder(base.join("results"))
        .before_iteration_hook(|_| Ok(()))
        .after_iteration_hook(|_| Ok(()))
        .build()
        .expect("a job");
    let elapsed = match workload.as_str() {
        "engine-noop" => {
            // Hooks, a constraint and the retry wrapper are all on the path.
            let record = job
                .test("bench_noop")
                .iterations(n)
                .constraint("missing_key > 0")
                .run_detail()
                .expect("the engine loop runs");
            assert_eq!(record.status, Status::Good, "{}", record.reason);
            Duration::from_secs_f64(record.duration)
        }
        "files-floor" => files_floor(&base.join("floor"), n),
        "many-tests" => {
            let tests: Vec<&str> = registry::all()
                .map(|r| r.info().name())
                .filter(|name| name.starts_with("many_"))
                .take(usize::try_from(n).unwrap_or(usize::MAX))
                .collect();
            let start = Instant::now();
            for name in &tests {
                let status = job.run_test(name, Args::new()).expect("a no-op test runs");
                assert_eq!(status, Status::Good);
            }
            let elapsed = start.elapsed();
            if tests.len() as u64 != n {
                eprintln!("note: only {} many_* tests are registered", tests.len());
            }
            elapsed
        }
        _ => {
            // `run`, not `run_detail`: the record stays with the job (no copy of
            // its perf values), as in a harness binary.
            let status = job
                .test("bench_workload")
                .arg("workload", workload.as_str())
                .arg("n", n)
                .run()
                .expect("the workload runs");
            let records = job.records();
            let record = records.last().expect("the workload's record");
            if status != Status::Good {
                eprintln!("{}: {}", record.status, record.reason);
                std::process::exit(1);
            }
            let nanos: u64 = record.keyvals.get("elapsed_ns").and_then(|v| v.parse().ok()).unwrap_or(0);
            Duration::from_nanos(nanos)
        }
    };
    let _ = job.complete();
    report(workload, n, elapsed);
    print_peak_memory();
}

/// The process's peak resident memory (`VmHWM`), as a line.
pub(crate) fn print_peak_memory() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        println!("peak memory: {}", peak.trim_start_matches("VmHWM:").trim());
    }
}
