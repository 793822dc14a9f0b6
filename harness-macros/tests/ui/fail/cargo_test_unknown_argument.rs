use harness_core::prelude::*;

#[autotest(version = 1, cargo_test(sise_mb = 4, iterations = 2))]
#[derive(Default)]
struct MemCopy;

#[autotest]
impl MemCopy {
    fn run_once(&mut self, size_mb: usize, #[arg(default = 1)] block_kb: u32) {
        let _ = (size_mb, block_kb);
    }
}

fn main() {}
