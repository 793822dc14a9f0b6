//! The test of `confirm`'s two builds (`confirm_base`, `confirm_slow`): a
//! latency of `10 ms x SLOWDOWN` with 1% noise, different in every process
//! and iteration, measured by nothing (so that the machine's own noise
//! cannot make the test of `confirm` flaky).

use harness_core::prelude::*;

/// Reports a latency of `10 * SLOWDOWN` ms with 1% noise each iteration.
#[autotest(name = "latency_probe", version = 1)]
#[derive(Debug, Default)]
pub(crate) struct LatencyProbe;

#[autotest]
impl LatencyProbe {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let seed = u64::from(std::process::id()) << 20 ^ ctx.iteration() ^ nanos();
        let value = 10.0 * super::SLOWDOWN * (1.0 + 0.01 * normal(seed));
        ctx.output_perf_value(PerfValue::new("latency", value).units("ms"))?;
        Ok(())
    }
}

fn nanos() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::from(now.subsec_nanos())
}

/// A standard normal value from `seed` (splitmix64, then Box-Muller).
fn normal(seed: u64) -> f64 {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        #[allow(clippy::cast_precision_loss, reason = "53 random bits")]
        let unit = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        unit
    };
    let (u, v) = (next().max(f64::MIN_POSITIVE), next());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}
