use harness_core::prelude::*;

#[autotest(version = 1)]
#[derive(Default)]
struct T;

impl T {
    fn run_once(&mut self) {}
}

fn main() {}
