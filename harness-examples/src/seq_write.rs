//! Sequential write throughput at a block size that has no good default: the
//! test stands for its variants.

use std::fs::File;
use std::io::Write as _;
use std::time::Instant;

use harness_core::prelude::*;

/// Writes `size_mb` megabytes in blocks of `block_kb` kilobytes to a file in
/// the test's tmpdir and syncs it, each iteration; records the throughput.
/// `block_kb` has no default: `run 'seq_*'` runs the variants, and
/// `run seq_write --arg block_kb=64` the test itself.
#[autotest(
    name = "seq_write",
    version = 1,
    attrs("group:perf", "disk"),
    warmup_iterations = 1,
    variants(small(block_kb = 4, iterations = 3), large(block_kb = 1024, iterations = 3))
)]
#[derive(Debug, Default)]
pub struct SeqWrite;

#[autotest]
impl SeqWrite {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(doc = "block size, in KB")] block_kb: usize,
        #[arg(default = 2, doc = "file size, in MB")] size_mb: usize,
    ) -> TestResult {
        if block_kb == 0 {
            return Err(Failure::error("`block_kb` must be positive"));
        }
        let block = vec![0x5a_u8; block_kb << 10];
        let total = size_mb << 20;
        let path = ctx.tmpdir().join("seq_write.data");
        let start = Instant::now();
        let mut file = File::create(&path)?;
        let mut written = 0;
        while written < total {
            let n = block.len().min(total - written);
            file.write_all(&block[..n])?;
            written += n;
        }
        file.sync_all()?;
        let elapsed = start.elapsed();
        drop(file);
        std::fs::remove_file(&path)?;
        ctx.output_throughput("write", Amount::Bytes(u64::try_from(written).unwrap_or(u64::MAX)), elapsed)?;
        Ok(())
    }
}
