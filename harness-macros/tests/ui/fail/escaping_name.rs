use harness_core::prelude::*;

#[autotest(name = "../outside", version = 1)]
#[derive(Default)]
struct T;

#[autotest]
impl T {
    fn run_once(&mut self) {}
}

fn main() {}
