use harness_core::prelude::*;

#[autotest(name = "t", version = 1.5)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
