use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) -> u32 {
        7
    }
}

fn main() {}
