use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self, iterations: u32) {
        let _ = iterations;
    }
}

fn main() {}
