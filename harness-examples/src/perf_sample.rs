//! A perf test whose numbers are given: to try `compare`, baselines and
//! `baseline(...)` constraints without a noisy benchmark.

use harness_core::prelude::*;

/// Reports `values` as its latency: one per iteration (cycling) as the perf
/// keyval `latency`, and all of them as the perf value `latency` (ms, lower is
/// better) with an optional `regression_threshold`.
#[autotest(name = "perf_sample", version = 1, attrs("group:perf"))]
#[derive(Debug, Default)]
pub struct PerfSample {
    seen: Vec<f64>,
}

#[autotest]
impl PerfSample {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = vec![10.0, 10.2, 9.8], doc = "the latencies to report, in ms")] values: Vec<f64>,
    ) -> TestResult {
        let Some(value) = values.get((ctx.iteration() as usize - 1) % values.len().max(1)) else {
            return Err(Failure::error("`values` must not be empty"));
        };
        self.seen.push(*value);
        ctx.write_perf_keyval([("latency", *value)])?;
        Ok(())
    }

    fn postprocess(
        &mut self,
        ctx: &mut TestContext,
        #[arg(doc = "the change beyond which a slower latency is a regression (0.1: 10%)")] threshold: Option<f64>,
    ) -> TestResult {
        let mut value = PerfValue::new("latency", self.seen.clone()).units("ms");
        if let Some(threshold) = threshold {
            value = value.regression_threshold(threshold);
        }
        ctx.output_perf_value(value)?;
        Ok(())
    }
}
