//! A perf test whose numbers are given: to try `compare`, baselines and
//! `baseline(...)` constraints without a noisy benchmark.

use harness_core::prelude::*;

/// Reports `values` as its latency, one per iteration (cycling): the perf
/// keyval `latency` and the perf value `latency` (ms, lower is better, with
/// an optional `regression_threshold`).
#[autotest(name = "perf_sample", version = 1, attrs("group:perf"))]
#[derive(Debug, Default)]
pub struct PerfSample;

#[autotest]
impl PerfSample {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = vec![10.0, 10.2, 9.8], doc = "the latencies to report, in ms")] values: Vec<f64>,
        #[arg(doc = "the change beyond which a slower latency is a regression (0.1: 10%)")] threshold: Option<f64>,
    ) -> TestResult {
        // Warm-up iterations are numbered 0; they report the first value.
        let at = usize::try_from(ctx.iteration().saturating_sub(1)).unwrap_or(0);
        let Some(value) = values.get(at % values.len().max(1)) else {
            return Err(Failure::error("`values` must not be empty"));
        };
        ctx.write_perf_keyval([("latency", *value)])?;
        let mut perf = PerfValue::new("latency", *value).units("ms");
        if let Some(threshold) = threshold {
            perf = perf.regression_threshold(threshold);
        }
        ctx.output_perf_value(perf)?;
        Ok(())
    }
}
