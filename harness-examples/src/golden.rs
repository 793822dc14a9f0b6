//! A golden-file test: its input and the answer it must give are files the
//! test declares (`data(...)`), so a bundle carries them to a device.

use harness_core::prelude::*;

/// Checksums `data/golden/input.bin` (FNV-1a) and compares the answer with
/// `data/golden/expected.txt`: a FAIL names both on a mismatch.
#[autotest(name = "golden_checksum", version = 1, data("data/golden"))]
#[derive(Debug, Default)]
pub struct GoldenChecksum;

#[autotest]
impl GoldenChecksum {
    fn run_once(&mut self, ctx: &mut TestContext) -> TestResult {
        let dir = ctx.data("data/golden");
        let input = std::fs::read(dir.join("input.bin"))?;
        let expected = std::fs::read_to_string(dir.join("expected.txt"))?;
        let got = format!("{:016x}", crate::checksum::fnv1a(&input));
        if got != expected.trim() {
            return Err(Failure::fail(format!("checksum {got}, expected {} ({})", expected.trim(), dir.display())));
        }
        ctx.write_test_keyval([("golden_dir", dir.display().to_string())])?;
        Ok(())
    }
}
