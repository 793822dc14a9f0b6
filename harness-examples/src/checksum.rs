//! A CPU benchmark: checksums over a generated buffer.

use std::time::Instant;

use harness_core::prelude::*;

/// The checksums `checksum_throughput` can compute.
const ALGORITHMS: [&str; 3] = ["fnv1a", "adler32", "crc32"];

pub(crate) fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

fn adler32(data: &[u8]) -> u64 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    u64::from((b << 16) | a)
}

fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    for (i, entry) in table.iter_mut().enumerate() {
        let mut crc = u32::try_from(i).unwrap_or(0);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
        *entry = crc;
    }
    table
}

fn crc32(data: &[u8], table: &[u32; 256]) -> u64 {
    let crc = data.iter().fold(!0u32, |crc, byte| table[usize::from((crc as u8) ^ byte)] ^ (crc >> 8));
    u64::from(!crc)
}

/// Measures checksum throughput (MB/s) over a generated buffer of `size_mb`
/// megabytes, with `algorithm` one of fnv1a, adler32 and crc32.
#[autotest(name = "checksum_throughput", version = 1, cargo_test(size_mb = 1, iterations = 2))]
#[derive(Debug, Default)]
pub struct ChecksumThroughput {
    algorithm: String,
    buffer: Vec<u8>,
    crc_table: Option<Box<[u32; 256]>>,
    rates: Vec<f64>,
}

#[autotest]
impl ChecksumThroughput {
    fn initialize(
        &mut self,
        #[arg(default = 16, doc = "size of the buffer, in MB")] size_mb: usize,
        #[arg(default = "fnv1a", doc = "fnv1a, adler32 or crc32")] algorithm: String,
    ) -> TestResult {
        if !ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(Failure::error(format!(
                "unknown algorithm `{algorithm}`; expected one of {}",
                ALGORITHMS.join(", ")
            )));
        }
        if size_mb == 0 || size_mb > 4096 {
            return Err(Failure::error(format!("`size_mb` must be between 1 and 4096, got {size_mb}")));
        }
        // A deterministic pseudo-random buffer (xorshift64).
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        self.buffer = (0..size_mb << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        self.crc_table = Some(Box::new(crc32_table()));
        log::info!("generated {size_mb} MB for {algorithm}");
        self.algorithm = algorithm;
        Ok(())
    }

    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let start = Instant::now();
        let sum = match self.algorithm.as_str() {
            "adler32" => adler32(&self.buffer),
            "crc32" => crc32(&self.buffer, self.crc_table.as_deref().unwrap_or(&crc32_table())),
            _ => fnv1a(&self.buffer),
        };
        let seconds = start.elapsed().as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss, reason = "buffer sizes are far below 2^52")]
        let rate = self.buffer.len() as f64 / 1e6 / seconds;
        self.rates.push(rate);
        ctx.write_iteration_keyval([("checksum", format!("{sum:016x}"))], [("throughput_mb_s", rate)])?;
        ctx.output_perf_value(
            PerfValue::new("throughput", rate).units("MB_per_s").higher_is_better(true).graph("checksum"),
        )?;
        Ok(())
    }

    fn postprocess(&mut self, ctx: &mut TestContext) -> TestResult {
        let best = self.rates.iter().copied().fold(0.0, f64::max);
        ctx.write_perf_keyval([("best_throughput_mb_s", best)])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(crc32(b"123456789", &crc32_table()), 0xCBF4_3926);
    }
}
