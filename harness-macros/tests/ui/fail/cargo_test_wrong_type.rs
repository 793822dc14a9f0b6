use harness_core::prelude::*;

#[autotest(version = 1, cargo_test(size_mb = "four", mode = "fast", ratio = 2))]
#[derive(Default)]
struct MemCopy;

#[autotest]
impl MemCopy {
    fn run_once(&mut self, size_mb: usize, mode: String, ratio: f64) {
        let _ = (size_mb, mode, ratio);
    }
}

fn main() {}
