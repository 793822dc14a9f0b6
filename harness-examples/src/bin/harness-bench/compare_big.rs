//! The `compare-big` workload: the statistics `compare` runs on one metric,
//! N values a side (a shift of 1% in noisy values): Mann-Whitney, the
//! Kolmogorov-Smirnov test and the Hodges-Lehmann interval, whose n*m
//! differences are never made. Prints the time and the process's peak memory.

use std::time::Instant;

use harness_core::stats::{ks_2samp, mann_whitney_p, shift_interval};

/// N pseudo-random values around `center` (a fixed xorshift sequence).
fn values(n: usize, center: f64, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            #[allow(clippy::cast_precision_loss, reason = "a fraction of u64::MAX")]
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            center * (0.95 + 0.1 * unit)
        })
        .collect()
}

pub(crate) fn compare_big(n: usize) {
    let base = values(n, 100.0, 0x9e37_79b9_7f4a_7c15);
    let new = values(n, 101.0, 0xd1b5_4a32_d192_ed03);
    let start = Instant::now();
    let p = mann_whitney_p(&base, &new);
    let (d, ks_p) = ks_2samp(&base, &new);
    let interval = shift_interval(&base, &new, 0.05).expect("two samples");
    let elapsed = start.elapsed();
    println!(
        "compare-big n={n} a side: {:.3} s; p = {p:.3e}, KS D = {d:.4} (p = {ks_p:.3e}), shift {:.4} in [{:.4}, {:.4}]",
        elapsed.as_secs_f64(),
        interval.0,
        interval.1,
        interval.2
    );
    crate::print_peak_memory();
}
