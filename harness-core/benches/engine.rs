//! The costs docs/performance.md reports, measured with criterion inside real
//! test runs: each sample runs a job whose test times only its own loop, and
//! (`whole_job`) the job around it: its files, the test, `Job::complete`.
//!
//! `cargo bench -p harness-core --bench engine`

use std::io::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use harness_core::Job;
use harness_core::definition::{Autotest, Phase, PhaseTable, TestInfo, Version};
use harness_core::prelude::*;

/// What a sample asks the test to do, and the time its loop took.
static WORK: Mutex<(Option<Work>, Duration)> = Mutex::new((None, Duration::ZERO));

#[derive(Clone, Copy)]
enum Work {
    PerfSame(u64),
    PerfDistinct(u64),
    Keyval(u64),
    WriteLoop(u64),
}

const BLOCK: &str =
    "errors{perf}=0.0\nlatency{perf}=2.5\nqueue_depth{perf}=3.0\nretries{perf}=2.0\nthroughput{perf}=1.5\n\n";

#[allow(clippy::cast_precision_loss, reason = "benchmark values")]
fn value(i: u64) -> f64 {
    i as f64 * 1.5
}

struct Bench;

static BENCH: TestInfo = TestInfo::new("bench", Version::Int(1)).with_phases(&[
    PhaseTable::new(Phase::Warmup, &[]),
    PhaseTable::new(Phase::RunOnce, &[]),
    PhaseTable::new(Phase::Postprocess, &[]),
]);

/// Runs the sample's work in run_once; for the engine loop, times from the end of
/// warmup to the start of postprocess.
static LOOP_START: Mutex<Option<Instant>> = Mutex::new(None);

impl Autotest for Bench {
    fn info(&self) -> &'static TestInfo {
        &BENCH
    }

    fn run_phase(&mut self, phase: Phase, ctx: &mut TestContext, _args: &Args) -> TestResult {
        match phase {
            Phase::Warmup => *LOOP_START.lock().unwrap() = Some(Instant::now()),
            Phase::Postprocess => {
                let start = LOOP_START.lock().unwrap().take();
                let mut work = WORK.lock().unwrap();
                if work.0.is_none() {
                    work.1 = start.map_or(Duration::ZERO, |s| s.elapsed());
                }
            }
            Phase::RunOnce => {
                let Some(work) = WORK.lock().unwrap().0 else { return Ok(()) };
                let start = Instant::now();
                match work {
                    Work::PerfSame(n) => {
                        for i in 0..n {
                            ctx.output_perf_value(PerfValue::new("metric", value(i)).units("ms"))?;
                        }
                        ctx.flush_perf_values()?;
                    }
                    Work::PerfDistinct(n) => {
                        for i in 0..n {
                            ctx.output_perf_value(PerfValue::new(format!("metric_{i}"), value(i)).units("ms"))?;
                        }
                        ctx.flush_perf_values()?;
                    }
                    Work::Keyval(n) => {
                        for i in 0..n {
                            let v = value(i);
                            ctx.write_perf_keyval([
                                ("throughput", v),
                                ("latency", v + 1.0),
                                ("errors", 0.0),
                                ("retries", 2.0),
                                ("queue_depth", v * 2.0),
                            ])?;
                        }
                    }
                    Work::WriteLoop(n) => {
                        let mut file = std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(ctx.resultsdir().join("keyval"))?;
                        for _ in 0..n {
                            file.write_all(BLOCK.as_bytes())?;
                        }
                    }
                }
                WORK.lock().unwrap().1 = start.elapsed();
            }
            _ => {}
        }
        Ok(())
    }
}

/// Runs one job with `work` (or the engine loop for `iterations`) and returns the
/// time of the measured loop.
fn sample(work: Option<Work>, iterations: u64) -> Duration {
    *WORK.lock().unwrap() = (work, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let job = Job::builder(dir.path().join("r"))
        .before_iteration_hook(|_| Ok(()))
        .after_iteration_hook(|_| Ok(()))
        .build()
        .unwrap();
    let mut args = Args::new().with("iterations", iterations);
    if work.is_none() {
        // The engine loop is measured with its constraint check on the path.
        args.set("constraints", vec!["missing_key > 0"]);
    }
    let record = job.run_test_with(Bench, args).unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    WORK.lock().unwrap().1
}

/// The whole job around `work`, as a user waits for it: the job's files,
/// the test, and `Job::complete` writing `results.json` and `junit.xml`.
fn sample_job(work: Work) -> Duration {
    *WORK.lock().unwrap() = (Some(work), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let job = Job::builder(dir.path().join("r")).build().unwrap();
    let status = job.run_test_with(Bench, Args::new()).unwrap().status;
    let _ = job.complete().unwrap();
    drop(job);
    let elapsed = start.elapsed();
    assert_eq!(status, Status::Good);
    elapsed
}

fn whole_jobs(c: &mut Criterion) {
    let mut group = c.benchmark_group("whole_job");
    group.sample_size(10);
    for (name, work) in [
        ("perf_distinct_10000", Work::PerfDistinct(10_000)),
        ("perf_same_1000000", Work::PerfSame(1_000_000)),
        ("keyval_100000", Work::Keyval(100_000)),
        ("write_loop_100000", Work::WriteLoop(100_000)),
    ] {
        group.bench_function(name, |b| b.iter_custom(|reps| (0..reps).map(|_| sample_job(work)).sum()));
    }
    group.finish();
}

fn perf_values(c: &mut Criterion) {
    let mut group = c.benchmark_group("output_perf_value");
    group.sample_size(10);
    for n in [10_000u64, 1_000_000] {
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("same_description", n), &n, |b, &n| {
            b.iter_custom(|reps| (0..reps).map(|_| sample(Some(Work::PerfSame(n)), 1)).sum());
        });
    }
    let n = 10_000;
    group.throughput(Throughput::Elements(n));
    group.bench_with_input(BenchmarkId::new("distinct_descriptions", n), &n, |b, &n| {
        b.iter_custom(|reps| (0..reps).map(|_| sample(Some(Work::PerfDistinct(n)), 1)).sum());
    });
    group.finish();
}

fn keyvals(c: &mut Criterion) {
    let mut group = c.benchmark_group("write_perf_keyval_5_keys");
    group.sample_size(20);
    // Per call: criterion asks for `reps` calls; both run the same number.
    group.bench_function("write_perf_keyval", |b| b.iter_custom(|reps| sample(Some(Work::Keyval(reps)), 1)));
    group.bench_function("write_of_the_same_bytes", |b| b.iter_custom(|reps| sample(Some(Work::WriteLoop(reps)), 1)));
    group.finish();
}

fn engine_loop(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_loop");
    group.sample_size(20);
    group.bench_function("noop_run_once_per_iteration", |b| b.iter_custom(|reps| sample(None, reps)));
    group.finish();
}

criterion_group!(benches, perf_values, keyvals, engine_loop, whole_jobs);
criterion_main!(benches);
