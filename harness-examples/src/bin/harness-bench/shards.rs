//! The `shards` workload: a skewed suite of N tests (a few long ones, many
//! short, durations from a seeded generator) split into 4, 8 and 16 shards
//! by `harness_core::shard::pack` (longest first, by recorded duration) and
//! by the name hash `--shard K/N` and nextest's `hash:` partitions use; prints
//! each one's slowest shard against the mean.

use harness_core::shard::{assigned, pack};

/// A test's duration: log-normal-like (the product of a few uniforms), with
/// one test in 20 ten times longer, as real system suites look.
fn durations(n: usize) -> Vec<(String, f64)> {
    let mut state: u64 = 0x853c_49e6_748f_ea9b;
    let mut uniform = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        #[allow(clippy::cast_precision_loss, reason = "a fraction from 53 bits")]
        let x = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
        x
    };
    (0..n)
        .map(|i| {
            let base = 0.2 + 8.0 * uniform() * uniform() * uniform();
            (format!("test_{i}"), if i % 20 == 0 { base * 10.0 } else { base })
        })
        .collect()
}

pub(crate) fn shards(n: usize) {
    let tests = durations(n.max(1));
    let longest = tests.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    println!("shards n={n}: the longest test takes {longest:.1} s; no plan's slowest shard is shorter");
    for count in [4u32, 8, 16] {
        let total: f64 = tests.iter().map(|(_, s)| s).sum();
        let mean = total / f64::from(count);
        let planned = pack(&tests, count).iter().map(|p| p.seconds).fold(0.0, f64::max);
        let mut hashed = vec![0.0; count as usize];
        for (name, seconds) in &tests {
            hashed[assigned(name, count) as usize - 1] += seconds;
        }
        let hashed = hashed.into_iter().fold(0.0, f64::max);
        println!(
            "shards n={n} into {count}: mean {mean:.1} s; slowest by duration {planned:.1} s ({:+.1}%), by hash {hashed:.1} s ({:+.1}%)",
            (planned / mean - 1.0) * 100.0,
            (hashed / mean - 1.0) * 100.0
        );
    }
}
