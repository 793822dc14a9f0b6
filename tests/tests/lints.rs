//! Expansions of `#[autotest]` are clean under the user's strictest lints:
//! `cargo clippy --all-targets -- -D warnings` checks this file with pedantic on.
#![deny(warnings, clippy::pedantic, clippy::all)]

use harness_core::prelude::*;

/// Uses every kind of parameter, both result types and the flags.
#[autotest(
    name = "linted",
    version = 3,
    preserve_srcdir,
    postprocess_profiled_run,
    network_destabilizing,
    cargo_test(size = 2)
)]
#[derive(Debug, Default)]
pub struct Linted {
    total: u64,
}

#[autotest]
impl Linted {
    fn initialize(&mut self, size: u64, label: Option<String>) {
        self.total = size + label.map_or(0, |label| label.len() as u64);
    }

    fn warmup(&mut self, #[arg(default = 1, doc = "rounds")] rounds: u32) -> Result<(), std::io::Error> {
        self.total += u64::from(rounds);
        std::fs::metadata(".").map(drop)
    }

    fn run_once(&mut self, ctx: &mut TestContext, size: u64) -> TestResult {
        ctx.write_perf_keyval([("total", self.total + size)])?;
        Ok(())
    }

    fn cleanup(&mut self, #[args] all: &Args) {
        self.total += all.len() as u64;
    }
}

#[test]
fn linted_test_runs() {
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).build().unwrap();
    let status = job.test("linted").arg("size", 4).run().unwrap();
    assert_eq!(status, Status::Good);
}
