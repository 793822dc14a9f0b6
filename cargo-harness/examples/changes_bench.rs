//! Change-point detection (`cargo harness history changes`) over a series of
//! N points with two steps, at Otava's defaults, timed:
//! `cargo run --release -p cargo-harness --example changes_bench -- 1000`.

use std::time::Instant;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let series: Vec<f64> = (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            #[allow(clippy::cast_precision_loss, reason = "a fraction of u64::MAX")]
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let level = if i < n / 3 {
                100.0
            } else if i < 2 * n / 3 {
                110.0
            } else {
                95.0
            };
            level * (0.98 + 0.04 * unit)
        })
        .collect();
    let start = Instant::now();
    let found = cargo_harness::changes::detect(&series, cargo_harness::changes::Options::default());
    let elapsed = start.elapsed();
    let at: Vec<usize> = found.iter().map(|c| c.index).collect();
    println!("changes n={n}: {:.3} ms, change points at {at:?}", elapsed.as_secs_f64() * 1e3);
}
