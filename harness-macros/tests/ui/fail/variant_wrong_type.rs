use harness_core::prelude::*;

#[autotest(version = 1, variants(small(block_kb = "four")))]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self, block_kb: u32) {
        let _ = block_kb;
    }
}

fn main() {}
