use harness_core::prelude::*;

#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
