use harness_core::prelude::*;

fn has_gpu() -> bool {
    false
}

#[autotest(version = 1, requires(fn(has_gpu)))]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
