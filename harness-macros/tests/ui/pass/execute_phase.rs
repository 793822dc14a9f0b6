// A test that drives its own loop with `execute`, with the flags and cargo_test.
use harness_core::prelude::*;

/// Counts to `n` by itself.
#[autotest(name = "own-loop", version = 7, preserve_srcdir, postprocess_profiled_run, network_destabilizing, cargo_test(n = 2))]
#[derive(Default)]
struct OwnLoop;

#[autotest]
impl OwnLoop {
    fn execute(&mut self, ctx: &mut TestContext, n: u32) -> TestResult {
        for i in 0..n {
            ctx.write_perf_keyval([("i", i)])?;
        }
        assert!(ctx.job().warnings_disabled("NETWORK"));
        Ok(())
    }
}

fn main() {
    let info = harness_core::registry::find("own-loop").unwrap().info();
    assert!(info.preserve_srcdir() && info.postprocess_profiled_run() && info.network_destabilizing());
    assert!(info.has_own_execute());
    let dir = tempfile::tempdir().unwrap();
    let job = harness_core::Job::builder(dir.path().join("r")).build().unwrap();
    let record = job.run_test_detail("own-loop", Args::new().with("n", 3)).unwrap();
    assert_eq!(record.status, Status::Good, "{}", record.reason);
    assert_eq!(record.perf_keyvals["i"], 2.0);
    assert!(!job.warnings_disabled("NETWORK"));
}
