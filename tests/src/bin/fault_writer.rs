//! A harness process for the fault suites of `tests/tests/faults.rs`, run as a
//! child so that it can be killed or raced:
//!
//! - `fault_writer write RESULTS FLUSH_EVERY`: records perf values 0, 1, 2, ...
//!   and one perf keyval block per value until killed, flushing the chart
//!   explicitly every FLUSH_EVERY values (and on a 5 ms interval in between) and
//!   printing `flushed <i>` once a flush of values `0..=i` has returned.
//! - `fault_writer setup RESULTS SHARED [panic]`: runs `versioned_build`, whose
//!   setup logs `setup <pid>` to `SHARED/setup.log`, takes 300 ms and builds into
//!   its srcdir under `SHARED/tests` (with the job's lock under `SHARED/tmp`); with
//!   `panic`, the setup panics after building.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use harness_core::Job;
use harness_core::prelude::*;
use harness_core::results::TestRecord;

/// Records perf values and keyvals in a loop until it is killed.
#[autotest(name = "chart_writer", version = 1)]
#[derive(Default)]
struct ChartWriter;

#[autotest]
impl ChartWriter {
    fn run_once(&mut self, ctx: &mut TestContext, flush_every: u64) -> TestResult {
        let mut out = std::io::stdout().lock();
        for i in 0..10_000_000_u32 {
            ctx.output_perf_value(PerfValue::new("metric", f64::from(i)).units("count"))?;
            ctx.write_perf_keyval([("value", i)])?;
            if u64::from(i + 1) % flush_every == 0 {
                ctx.flush_perf_values()?;
                writeln!(out, "flushed {i}")?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// Whether `versioned_build`'s setup panics after building.
static PANIC: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A test with a slow, versioned setup, for racing processes.
#[autotest(name = "versioned_build", version = 3)]
#[derive(Default)]
struct VersionedBuild;

#[autotest]
impl VersionedBuild {
    fn setup(&mut self, ctx: &mut TestContext, log: String) -> TestResult {
        // Not a setup argument: a run whose setup panics builds the same srcdir as one whose does not.
        let panic = PANIC.load(std::sync::atomic::Ordering::SeqCst);
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        file.write_all(format!("setup {}\n", std::process::id()).as_bytes())?;
        std::thread::sleep(Duration::from_millis(300));
        std::fs::create_dir_all(ctx.srcdir())?;
        std::fs::write(ctx.srcdir().join("built"), "3")?;
        assert!(!panic, "setup exploded after building");
        Ok(())
    }

    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let built = std::fs::read_to_string(ctx.srcdir().join("built"))?;
        if built == "3" { Ok(()) } else { Err(Failure::fail(format!("srcdir holds build {built:?}, not 3"))) }
    }
}

fn run(args: &[String]) -> Result<TestRecord, String> {
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| format!("missing argument {i}: {args:?}"));
    let results = PathBuf::from(arg(1)?);
    let record = match arg(0)?.as_str() {
        "write" => {
            let every: u64 = arg(2)?.parse().map_err(|e| format!("FLUSH_EVERY: {e}"))?;
            let job =
                Job::builder(results).flush_interval(Duration::from_millis(5)).build().map_err(|e| e.to_string())?;
            job.test("chart_writer").arg("flush_every", every).run_detail().map_err(|e| e.to_string())?
        }
        "setup" => {
            let shared = PathBuf::from(arg(2)?);
            let job = Job::builder(results)
                .tmpdir(shared.join("tmp"))
                .testdir(shared.join("tests"))
                .build()
                .map_err(|e| e.to_string())?;
            let log = shared.join("setup.log").to_string_lossy().into_owned();
            PANIC.store(args.get(3).is_some_and(|a| a == "panic"), std::sync::atomic::Ordering::SeqCst);
            let record = job.test("versioned_build").arg("log", log).run_detail().map_err(|e| e.to_string())?;
            let _summary = job.complete().map_err(|e| e.to_string())?;
            record
        }
        other => return Err(format!("unknown mode `{other}`")),
    };
    Ok(record)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(record) => println!("{} {}", record.status, record.reason),
        Err(error) => {
            eprintln!("fault_writer: {error}");
            std::process::exit(2);
        }
    }
}
