use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}

    fn execute(&mut self) {}
}

fn main() {}
