//! Helpers that measure and record in one call: the time a closure takes per
//! call, and a throughput, each with its units and direction.

use std::time::{Duration, Instant};

use super::test_context::TestContext;
use crate::error::Result;
use crate::results::formats::perf_value::PerfValue;

/// What a throughput counts: bytes (recorded in `MB_per_sec`, 10^6 bytes a second) or
/// operations (`ops_per_sec`). Higher is better for both. (Units keep to
/// autotest's characters, `[-.\w]`: `/` would become `_`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    /// Bytes moved.
    Bytes(u64),
    /// Operations done.
    Operations(u64),
}

impl TestContext {
    /// Runs `f` `calls` times (at least once), each result through
    /// [`black_box`](std::hint::black_box), and records the mean time per call
    /// as perf value `description` in nanoseconds, lower is better; returns it.
    ///
    /// ```no_run
    /// # use harness_core::prelude::*;
    /// # fn phase(ctx: &mut TestContext) -> TestResult {
    /// let per_call = ctx.time_per_call("stat", 10_000, || std::fs::metadata("/"))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// What [`output_perf_value`](Self::output_perf_value) returns.
    pub fn time_per_call<T>(&mut self, description: &str, calls: u64, mut f: impl FnMut() -> T) -> Result<Duration> {
        let calls = calls.max(1);
        let start = Instant::now();
        for _ in 0..calls {
            std::hint::black_box(f());
        }
        let per_call = start.elapsed().div_f64(precision_safe(calls));
        let nanos = per_call.as_secs_f64() * 1e9;
        self.output_perf_value(PerfValue::new(description, nanos).units("ns").higher_is_better(false))?;
        Ok(per_call)
    }

    /// Records `amount` over `elapsed` as perf value `description`: `MB_per_sec` for
    /// bytes (10^6 bytes a second), `ops_per_sec` for operations, higher is better;
    /// returns the rate.
    ///
    /// # Errors
    ///
    /// What [`output_perf_value`](Self::output_perf_value) returns (a zero
    /// `elapsed` gives an infinite rate, which is refused).
    pub fn output_throughput(&mut self, description: &str, amount: Amount, elapsed: Duration) -> Result<f64> {
        let seconds = elapsed.as_secs_f64();
        let (rate, units) = match amount {
            Amount::Bytes(bytes) => (precision_safe(bytes) / 1e6 / seconds, "MB_per_sec"),
            Amount::Operations(ops) => (precision_safe(ops) / seconds, "ops_per_sec"),
        };
        self.output_perf_value(PerfValue::new(description, rate).units(units).higher_is_better(true))?;
        Ok(rate)
    }
}

/// A count as `f64` (exact below 2^53, which any count of calls or bytes is).
#[allow(clippy::cast_precision_loss, reason = "counts below 2^53")]
fn precision_safe(count: u64) -> f64 {
    count as f64
}
