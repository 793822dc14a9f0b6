//! A file I/O benchmark in the test's tmpdir.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::time::Instant;

use harness_core::prelude::*;

/// Writes then reads back a file of `size_mb` megabytes in the test's tmpdir, in
/// blocks of `block_kb` kilobytes, and reports both throughputs each iteration.
/// The first iteration warms the page cache and the allocator up and is thrown
/// away. Run it with the job's `drop_caches_between_iterations` so reads come
/// from the disk.
#[autotest(
    name = "file_io",
    version = 1,
    attrs("group:perf", "disk"),
    contacts("storage@example.com"),
    timeout = 120,
    warmup_iterations = 1,
    requires(file("/proc/meminfo"), cpus(1)),
    variants(small(block_kb = 4, size_mb = 1), large(block_kb = 1024, size_mb = 4, iterations = 3)),
    cargo_test(size_mb = 1, iterations = 2)
)]
#[derive(Debug, Default)]
pub struct FileIo;

fn rate(bytes: usize, seconds: f64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "file sizes are far below 2^52")]
    let bytes = bytes as f64;
    bytes / 1e6 / seconds.max(1e-9)
}

#[autotest]
impl FileIo {
    fn run_once(
        &mut self,
        ctx: &mut TestContext,
        #[arg(default = 64, doc = "file size, in MB")] size_mb: usize,
        #[arg(default = 256, doc = "block size, in KB")] block_kb: usize,
    ) -> TestResult {
        if size_mb == 0 || block_kb == 0 {
            return Err(Failure::error("`size_mb` and `block_kb` must be positive"));
        }
        let path = ctx.tmpdir().join(format!("data.{}", ctx.iteration()));
        let block: Vec<u8> = (0..block_kb << 10).map(|i| u8::try_from(i % 251).unwrap_or(0)).collect();
        let total = size_mb << 20;
        let start = Instant::now();
        let mut file = File::create(&path)?;
        let mut written = 0;
        while written < total {
            let n = block.len().min(total - written);
            file.write_all(&block[..n])?;
            written += n;
        }
        file.sync_all()?;
        drop(file);
        let write_rate = rate(written, start.elapsed().as_secs_f64());
        let start = Instant::now();
        let mut file = File::open(&path)?;
        let mut buffer = vec![0u8; block.len()];
        let mut read = 0;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            if buffer[..n] != block[..n] {
                return Err(Failure::fail(format!("data read back differs from data written at byte {read}")));
            }
            read += n;
        }
        let read_rate = rate(read, start.elapsed().as_secs_f64());
        if read != written {
            return Err(Failure::fail(format!("read {read} bytes back, wrote {written}")));
        }
        std::fs::remove_file(&path)?;
        // One value per iteration: the engine keeps warm-up and the profiled
        // iteration out of the measured ones.
        ctx.write_perf_keyval([("write_mb_s", write_rate), ("read_mb_s", read_rate)])?;
        ctx.output_perf_value(
            PerfValue::new("write", write_rate).units("MB_per_s").higher_is_better(true).graph("file_io"),
        )?;
        ctx.output_perf_value(
            PerfValue::new("read", read_rate).units("MB_per_s").higher_is_better(true).graph("file_io"),
        )?;
        Ok(())
    }
}
