//! autotest's classic sample test.

use std::time::Duration;

use harness_core::prelude::*;

/// Sleeps for `seconds` in every iteration: autotest's classic sample test.
#[autotest(name = "sleeptest", version = 1, cargo_test(seconds = 0.01, iterations = 2))]
#[derive(Debug, Default)]
pub struct SleepTest {
    slept: f64,
}

#[autotest]
impl SleepTest {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = 1.0, doc = "seconds to sleep in each iteration")] seconds: f64,
    ) -> TestResult {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(Failure::error(format!("`seconds` must be a non-negative number, got {seconds}")));
        }
        // ctx.sleep returns early (ABORT or timeout ERROR) when the job asks the test to stop.
        ctx.sleep(Duration::from_secs_f64(seconds))?;
        self.slept += seconds;
        ctx.write_perf_keyval([("slept_seconds", self.slept)])?;
        Ok(())
    }

    fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.output_perf_value(PerfValue::new("total_sleep", self.slept).units("s"))?;
        Ok(())
    }
}
