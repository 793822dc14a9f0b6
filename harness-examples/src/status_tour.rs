//! One test per outcome, to see each in `status.log`, `junit.xml` and the summary.

use harness_core::prelude::*;

/// Ends GOOD.
#[autotest(name = "status_good", version = 1, attrs("tour"), cargo_test)]
#[derive(Debug, Default)]
pub struct StatusGood;

#[autotest]
impl StatusGood {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_perf_keyval([("answer", 42)])?;
        Ok(())
    }
}

/// Ends WARN: it passed, with something worth a look.
#[autotest(name = "status_warn", version = 1, attrs("tour"))]
#[derive(Debug, Default)]
pub struct StatusWarn;

#[autotest]
impl StatusWarn {
    fn run_once(&mut self) -> TestResult {
        Err(Failure::warn("passed, but took the slow path"))
    }
}

/// Ends TEST_NA unless `$HARNESS_EXAMPLE_NEED` is set: a requirement this
/// machine does not meet, checked before `initialize`.
#[autotest(name = "status_needs", version = 1, attrs("tour"), requires(env("HARNESS_EXAMPLE_NEED")))]
#[derive(Debug, Default)]
pub struct StatusNeeds;

#[autotest]
impl StatusNeeds {
    fn run_once(&mut self) {}
}

/// Ends ERROR "Test timeout expired" when asked to sleep past the 1 s limit
/// of its attribute.
#[autotest(name = "status_slow", version = 1, attrs("tour"), timeout = 1)]
#[derive(Debug, Default)]
pub struct StatusSlow;

#[autotest]
impl StatusSlow {
    fn run_once(&mut self, ctx: &mut TestContext, #[arg(default = 0.0)] seconds: f64) -> TestResult {
        ctx.sleep(std::time::Duration::from_secs_f64(seconds))?;
        Ok(())
    }
}

/// Ends TEST_NA: it does not apply to this machine.
#[autotest(name = "status_test_na", version = 1)]
#[derive(Debug, Default)]
pub struct StatusTestNa;

#[autotest]
impl StatusTestNa {
    fn initialize(&mut self) -> TestResult {
        Err(Failure::not_applicable("needs a GPU, and this machine has none"))
    }

    fn run_once(&mut self) {}
}

/// Ends FAIL: the system under test misbehaved.
#[autotest(name = "status_fail", version = 1, attrs("tour", "failing"))]
#[derive(Debug, Default)]
pub struct StatusFail;

#[autotest]
impl StatusFail {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        ctx.write_perf_keyval([("latency_ms", 250)])?;
        Err(Failure::fail("latency 250 ms is over the 100 ms budget"))
    }
}

/// Ends ERROR: the test could not do its job (here, a missing file in initialize).
#[autotest(name = "status_error", version = 1, attrs("tour", "failing"))]
#[derive(Debug, Default)]
pub struct StatusError;

#[autotest]
impl StatusError {
    fn initialize(&mut self) -> TestResult {
        std::fs::read("/nonexistent/harness/fixture.bin")?;
        Ok(())
    }

    fn run_once(&mut self) {}
}

/// Fails its first try of every iteration with `fail_retry`, then passes: run it
/// with the job's `test_retry` of 1 or more to see a retried iteration.
#[autotest(name = "status_flaky", version = 1)]
#[derive(Debug, Default)]
pub struct StatusFlaky {
    tries: u32,
}

#[autotest]
impl StatusFlaky {
    fn run_once(&mut self) -> TestResult {
        self.tries += 1;
        if self.tries % 2 == 1 {
            return Err(Failure::fail_retry(format!("flaked on try {}", self.tries)));
        }
        Ok(())
    }
}
